// src/report_sections.hpp — the sections of the portfolio report, one function per analytic area
// (each in its own src/report_<area>.cpp), called in order by write_report.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "custhealth/report.hpp"
#include "custhealth/scorecard/scorecard.hpp"

namespace custhealth::detail {

struct report_context {
  const dataset& data;
  timestamp as_of;
  report_options options;
  std::ostream& out;
  nlohmann::ordered_json* json = nullptr;  // report_format::json: the sections, written at the end

  void heading(std::string_view title) const;
  void note(std::string_view text) const;
  void table(const text_table& t) const;
};

/// Cell texts the sections share: a share as "12.3%" ("-" for NaN), a count, a month as "2025-06".
std::string percent(double p, int decimals = 1);
std::string count(std::int64_t n);
std::string month_text(timestamp t);
/// The measures that cost an account most points, as "group/signal (12.3), …" (at most `k`).
std::string reasons_text(const scorecard_scores& s, std::size_t account, std::size_t k = 2);

/// The report's months: the last `months` calendar months up to the one containing as-of.
struct report_months {
  std::int64_t first, last;

  explicit report_months(const report_context& ctx)
      : first(period_index(ctx.as_of - 1, period::month) - ctx.options.months + 1),
        last(period_index(ctx.as_of - 1, period::month)) {}
  std::size_t size() const { return std::size_t(last - first + 1); }
  /// The slot of the month containing t in the range, or −1.
  std::int64_t slot(timestamp t) const {
    const auto m = period_index(t, period::month);
    return m >= first && m <= last ? m - first : -1;
  }
  timestamp start(std::size_t i) const { return period_start(first + std::int64_t(i), period::month); }
  /// Whole days from the first month's start to as-of, for a window covering the range.
  std::int64_t window_days(timestamp as_of) const { return (as_of - start(0) + seconds_per_day - 1) / seconds_per_day; }
};

void report_overview(const report_context& ctx);
void report_monthly_activity(const report_context& ctx);
void report_feedback(const report_context& ctx);
void report_sla(const report_context& ctx);
void report_backlog(const report_context& ctx);
void report_payments(const report_context& ctx);
void report_cohort_retention(const report_context& ctx);
void report_revenue_retention(const report_context& ctx);
void report_survival(const report_context& ctx);
void report_adoption(const report_context& ctx);
void report_health(const report_context& ctx);

}  // namespace custhealth::detail
