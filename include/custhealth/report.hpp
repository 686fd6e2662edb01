// custhealth/report.hpp — the portfolio reports of the command line: a dataset summary and the
// health report, rendered as aligned text or Markdown.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "custhealth/dataset.hpp"

namespace custhealth {

struct scorecard;

enum class report_format { text, markdown };

struct report_options {
  timestamp as_of = no_time;  // default: the end of the data
  report_format format = report_format::text;
  int months = 12;            // how many months the monthly sections show
  const scorecard* adoption = nullptr;  // the adoption model (models/adoption_v1.json); none: section skipped
};

/// A small table of already-formatted cells, rendered aligned (text) or as a Markdown table.
struct text_table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;

  void render(std::ostream& out, report_format format) const;
};

/// Ingest and validation summary: rows per table, rejected rows by reason, accounts, time range.
void write_summary(const dataset& data, std::ostream& out, report_format format = report_format::text);

/// The portfolio health report: the summary's headline numbers, monthly activity and the
/// analytics sections.
void write_report(const dataset& data, const report_options& options, std::ostream& out);

}  // namespace custhealth
