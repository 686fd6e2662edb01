// A C++ service's first use of custhealth: load a portfolio from CSV files, report its NPS.
#include <custhealth/feedback/survey.hpp>
#include <custhealth/io/csv.hpp>
#include <iostream>

int main(int argc, char** argv) {
  const auto data = custhealth::read_csv(custhealth::csv_files::in_directory(argc > 1 ? argv[1] : "examples/data"));
  custhealth::nps_summary nps;
  for (std::size_t i = 0; i < data.surveys().size(); ++i)
    if (data.surveys().kind[i] == custhealth::survey_kind::nps) nps.add(data.surveys().score[i]);
  const auto ci = nps.ci();
  std::cout << data.n_accounts() << " accounts, NPS " << nps.score() << " (95% CI " << ci.low << " to " << ci.high << ")\n";
}
