// src/report_sections.hpp — the sections of the portfolio report, one function per analytic area
// (each in its own src/report_<area>.cpp), called in order by write_report.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "custhealth/report.hpp"

namespace custhealth::detail {

struct report_context {
  const dataset& data;
  timestamp as_of;
  report_options options;
  std::ostream& out;

  void heading(std::string_view title) const;
  void note(std::string_view text) const;
  void table(const text_table& t) const { t.render(out, options.format); }
};

/// Cell texts the sections share: a share as "12.3%" ("-" for NaN), a count, a month as "2025-06".
std::string percent(double p, int decimals = 1);
std::string count(std::int64_t n);
std::string month_text(timestamp t);

void report_overview(const report_context& ctx);
void report_monthly_activity(const report_context& ctx);
void report_feedback(const report_context& ctx);
void report_sla(const report_context& ctx);
void report_backlog(const report_context& ctx);
void report_payments(const report_context& ctx);
void report_cohort_retention(const report_context& ctx);
void report_revenue_retention(const report_context& ctx);
void report_survival(const report_context& ctx);

}  // namespace custhealth::detail
