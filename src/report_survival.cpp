// src/report_survival.cpp — the report's "Account survival" section: Kaplan–Meier curves of account
// tenure as of the report date, overall and by segment (median tenure, 12-month survival, CIs).

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "custhealth/retention/kaplan_meier.hpp"
#include "custhealth/retention/tenure.hpp"
#include "report_sections.hpp"

namespace custhealth::detail {

namespace {

/// The horizon of the "12-month survival" column, in days (tenures are in days).
constexpr double horizon_days = 365.0;

std::string days_text(double t) {
  if (std::isnan(t)) return "-";
  if (std::isinf(t)) return "not reached";
  return fmt::format("{:.0f}", t);
}

/// The cells of one curve: accounts, churned, median with CI, S(365 d) with CI.
std::vector<std::string> curve_row(std::string label, const std::vector<double>& duration,
                                   const std::vector<std::uint8_t>& observed) {
  const auto km = kaplan_meier(duration, observed);
  double churned = 0.0;
  for (double d : km.observed) churned += d;
  const auto median_ci = km.median_ci();
  // S at the horizon is estimable when some account was followed that long, or the curve already hit
  // 0; beyond the last time the Kaplan–Meier curve is undefined, so it is not carried forward.
  std::string survival = "-", survival_ci = "-";
  if (!km.empty() && (km.timeline.back() >= horizon_days || km.survival.back() == 0.0)) {
    const auto ci = km.band_at(horizon_days);
    survival = percent(km.survival_at(horizon_days));
    survival_ci = percent(ci.low) + " - " + percent(ci.high);
  }
  return {std::move(label),
          fmt::format("{}", duration.size()),
          fmt::format("{:.0f}", churned),
          days_text(km.median()),
          km.empty() ? "-" : days_text(median_ci.low) + " - " + days_text(median_ci.high),
          survival,
          survival_ci};
}

}  // namespace

void report_survival(const report_context& ctx) {
  ctx.heading("Account survival");
  tenure_data t;
  try {
    t = tenure(ctx.data, ctx.as_of);
  } catch (const invalid_input& e) {
    // A portfolio without an accounts table (usage only) has no tenures; the rest of the report stands.
    ctx.note(std::string("No survival curves: ") + e.what() + ".");
    return;
  }
  const auto& acc = ctx.data.accounts();
  text_table table{{"group", "accounts", "churned", "median tenure (days)", "95% CI", "12-month survival", "95% CI"},
                   {}};
  table.rows.push_back(curve_row("all accounts", t.duration, t.observed));

  // Per segment, by name; accounts without a segment last, as a group of their own.
  const std::size_t segments = acc.segments.size();
  std::vector<std::vector<double>> duration(segments + 1);
  std::vector<std::vector<std::uint8_t>> observed(segments + 1);
  for (std::size_t i = 0; i < t.size(); ++i) {
    const auto a = static_cast<std::size_t>(t.account[i]);
    const std::int32_t code = acc.segment.empty() ? no_code : acc.segment[a];
    const std::size_t slot = code == no_code ? segments : static_cast<std::size_t>(code);
    duration[slot].push_back(t.duration[i]);
    observed[slot].push_back(t.observed[i]);
  }
  std::vector<std::size_t> order(segments);
  for (std::size_t s = 0; s < segments; ++s) order[s] = s;
  std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
    return acc.segments[static_cast<std::int32_t>(x)] < acc.segments[static_cast<std::int32_t>(y)];
  });
  if (segments > 0) order.push_back(segments);
  for (const std::size_t s : order)
    if (!duration[s].empty())
      table.rows.push_back(
          curve_row(s < segments ? "segment " + acc.segments[static_cast<std::int32_t>(s)] : std::string("no segment"),
                    duration[s], observed[s]));
  ctx.table(table);
  const std::string as_of = format_date(t.as_of);
  ctx.note(
      fmt::format("Left out: {} account(s) without a start date (seen only in event tables), {} starting "
                  "on or after {}.",
                  t.without_start, t.not_started, as_of));
  ctx.note(
      fmt::format("Tenure = days from start to end (churn), censored at {} while still active. Kaplan-Meier "
                  "estimates, exponential-Greenwood (log-log) 95% intervals; median = first day with "
                  "S <= 50%; '-' at 12 months: no account followed that long.",
                  as_of));
}

}  // namespace custhealth::detail
