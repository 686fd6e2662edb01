// src/report_retention.cpp — the report's retention sections: the monthly cohort retention table of
// the most recent cohorts, and the MRR bridge with trailing-12-month GRR, NRR and logo retention.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "custhealth/retention/cohort.hpp"
#include "custhealth/retention/revenue.hpp"
#include "report_sections.hpp"

namespace custhealth::detail {

namespace {

std::string money(double v) { return fmt::format("{:.0f}", v); }

}  // namespace

void report_cohort_retention(const report_context& ctx) {
  ctx.heading("Cohort retention (monthly)");
  if (ctx.data.usage().size() == 0) {
    ctx.note("No usage events: no cohorts.");
    return;
  }
  cohort_options o;
  o.as_of = ctx.as_of;
  o.n_threads = ctx.options.n_threads;
  const auto m = cohort_retention(ctx.data, o);
  // The most recent cohorts whose first month is complete, at most `months` of them and offsets.
  std::size_t end = m.n_cohorts();
  while (end > 0 && !m.observed(end - 1, 0)) --end;
  if (end == 0) {
    ctx.note("No complete month of activity before " + format_date(ctx.as_of) + ".");
    return;
  }
  const auto shown = static_cast<std::size_t>(std::max(1, ctx.options.months));
  const std::size_t begin = end > shown ? end - shown : 0;
  const std::size_t offsets = std::min(m.n_offsets(), shown);
  text_table t{{"cohort", "accounts"}, {}};
  for (std::size_t k = 0; k < offsets; ++k) t.header.push_back(fmt::format("M{}", k));
  for (std::size_t i = begin; i < end; ++i) {
    std::vector<std::string> row{month_text(m.cohort_start(i)), fmt::format("{}", m.accounts(i))};
    for (std::size_t k = 0; k < offsets; ++k) row.push_back(percent(m.rate(i, k)));
    t.rows.push_back(std::move(row));
  }
  const auto average = m.average();
  std::vector<std::string> row{"all cohorts", ""};
  for (std::size_t k = 0; k < offsets; ++k) row.push_back(percent(average[k]));
  t.rows.push_back(std::move(row));
  ctx.table(t);
  ctx.note(fmt::format(
      "Share of each cohort (accounts by the month of their first usage event) active in month k after it; "
      "'-': month not complete as of {}. 'all cohorts': size-weighted over every cohort with that month "
      "complete. {} account(s) without usage before then are not in any cohort.",
      format_date(ctx.as_of), m.excluded()));
}

void report_revenue_retention(const report_context& ctx) {
  ctx.heading("MRR bridge and revenue retention");
  const auto& t = ctx.data.mrr();
  if (t.size() == 0 || std::none_of(t.month.begin(), t.month.end(), [&](timestamp m) { return m < ctx.as_of; })) {
    ctx.note("No MRR rows before " + format_date(ctx.as_of) + ".");
    return;
  }
  const auto bridge = mrr_bridge(ctx.data, ctx.as_of);
  const auto trailing = revenue_retention(ctx.data, 12, ctx.as_of);
  const auto shown = static_cast<std::size_t>(std::max(1, ctx.options.months));
  const std::size_t begin = bridge.size() > shown ? bridge.size() - shown : 0;
  using f = mrr_bridge_table;
  text_table table{{"month", "opening", "new", "expansion", "reactivation", "contraction", "churn", "closing",
                    "paying", "GRR 12m", "NRR 12m", "logo ret. 12m"},
                   {}};
  for (std::size_t i = begin; i < bridge.size(); ++i) {
    std::string grr = "-", nrr = "-", logo = "-";
    // Both start at the table's first month; the trailing series 12 months later.
    if (i >= 12 && i - 12 < trailing.size()) {
      const auto r = trailing[i - 12];
      grr = percent(r.grr()), nrr = percent(r.nrr()), logo = percent(r.logo_retention());
    }
    table.rows.push_back({month_text(bridge.month(i)), money(bridge.get(i, f::opening_mrr)), money(bridge.get(i, f::new_mrr)),
                          money(bridge.get(i, f::expansion_mrr)), money(bridge.get(i, f::reactivation_mrr)),
                          money(bridge.get(i, f::contraction_mrr)), money(bridge.get(i, f::churned_mrr)),
                          money(bridge.get(i, f::closing_mrr)), fmt::format("{:.0f}", bridge.get(i, f::paying_accounts)), grr,
                          nrr, logo});
  }
  ctx.table(table);
  ctx.note(
      "closing - opening = new + expansion + reactivation - contraction - churn. A month without an MRR row counts "
      "as 0 (a churn after a paid month). GRR = sum of min(MRR now, MRR a year ago) / MRR a year ago, NRR = MRR now / "
      "MRR a year ago, over the accounts paying a year ago; logo retention = share of them still paying; "
      "'-': the table does not reach back a year.");
}

}  // namespace custhealth::detail
