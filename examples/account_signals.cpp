// A C++ service's health check of one account: load a portfolio, print its signals as of a moment.
#include <custhealth/io/csv.hpp>
#include <custhealth/signals/signals.hpp>
#include <iostream>

int main(int argc, char** argv) {
  const auto data = custhealth::read_csv(custhealth::csv_files::in_directory(argc > 1 ? argv[1] : "examples/data"));
  const auto as_of = argc > 3 ? custhealth::parse_time_or_throw(argv[3]) : data.time_range().end;  // default: today's data
  const auto account = data.account_ids().find(argc > 2 ? argv[2] : data.account_ids()[0]);
  if (account == custhealth::no_code) return std::cerr << "no such account\n", 1;
  const auto signals = custhealth::compute_signals(data, {as_of});
  for (std::size_t j = 0; j < signals.names.size(); ++j) std::cout << signals.names[j] << " " << signals.at(j, 0, account) << "\n";
}
