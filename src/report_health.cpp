// src/report_health.cpp — the report's first section, "Health": the health card's bands by segment and
// by owner, the accounts at risk with their two biggest reasons, renewals due with their band,
// detractors to follow up, and the alerts that started in the last 7 days (models/saas_health_v1.json).

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include <fmt/format.h>

#include "custhealth/scorecard/scorecard.hpp"
#include "report_sections.hpp"

namespace custhealth::detail {

namespace {

constexpr std::size_t shown = 10;  // rows of each list; the rest are counted

std::string score_text(double v) { return std::isnan(v) ? "-" : fmt::format("{:.1f}", v); }
std::string signed_text(double v) { return std::isnan(v) ? "-" : fmt::format("{:+.1f}", v); }

/// Band counts of the scored accounts grouped by one account attribute (segment or owner codes).
text_table bands_by(const scorecard& card, const scorecard_scores& s, const column<std::int32_t>& codes,
                    const dictionary& names, const char* what) {
  const std::size_t groups = names.size() + 1;  // + none
  std::vector<std::vector<std::int64_t>> counts(groups, std::vector<std::int64_t>(card.bands.size(), 0));
  std::vector<double> sum(groups, 0);
  std::vector<std::int64_t> scored(groups, 0);
  for (std::size_t a = 0; a < s.score.size(); ++a) {
    if (std::isnan(s.score[a])) continue;
    const std::int32_t c = codes.empty() ? no_code : codes[a];
    const std::size_t row = c == no_code ? groups - 1 : std::size_t(c);
    ++counts[row][std::size_t(s.band[a])], sum[row] += s.score[a], ++scored[row];
  }
  text_table t{{what, "accounts", "mean score"}, {}};
  for (const auto& b : card.bands) t.header.push_back(b.name);
  std::vector<std::size_t> order(groups);  // by name, "(none)" last
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end() - 1, [&](auto x, auto y) { return names[std::int32_t(x)] < names[std::int32_t(y)]; });
  for (const std::size_t r : order) {
    if (scored[r] == 0) continue;
    std::vector<std::string> row{r + 1 == groups ? "(none)" : names[std::int32_t(r)], count(scored[r]),
                                 score_text(sum[r] / double(scored[r]))};
    for (const auto k : counts[r]) row.push_back(count(k));
    t.rows.push_back(std::move(row));
  }
  return t;
}

}  // namespace

void report_health(const report_context& ctx) {
  if (ctx.options.health == nullptr) return;
  const scorecard& card = *ctx.options.health;
  const dataset& data = ctx.data;
  const account_table& acc = data.accounts();
  ctx.heading("Health (" + card.name + ")");
  const scored_card sc = score_card(card, data, ctx.as_of, ctx.options.n_threads);
  const scorecard_scores& s = sc.scores;
  auto owner_of = [&](std::size_t a) {
    return acc.owner.empty() || acc.owner[a] == no_code ? std::string("-") : acc.owners[acc.owner[a]];
  };
  auto id_of = [&](std::size_t a) { return data.account_ids()[std::int32_t(a)]; };
  std::vector<std::size_t> scored;
  for (std::size_t a = 0; a < s.score.size(); ++a)
    if (!std::isnan(s.score[a])) scored.push_back(a);
  if (scored.empty()) return ctx.note("No account is active at " + format_date(ctx.as_of) + ".");
  ctx.table(bands_by(card, s, acc.segment, acc.segments, "segment"));
  ctx.table(bands_by(card, s, acc.owner, acc.owners, "owner"));

  // At risk: the lowest band, lowest scores first, with the two measures that cost most.
  std::vector<std::size_t> risk;
  for (const auto a : scored)
    if (s.band[a] == 0 && card.bands.size() > 1) risk.push_back(a);
  std::stable_sort(risk.begin(), risk.end(), [&](auto x, auto y) { return s.score[x] < s.score[y]; });
  text_table at_risk{{"account", "owner", "score", "trend", "biggest reasons (points lost)"}, {}, {1, 4}};
  for (std::size_t i = 0; i < risk.size() && i < shown; ++i) {
    const std::size_t a = risk[i];
    const std::string why = s.override_index[a] >= 0 ? "override: " + card.overrides[std::size_t(s.override_index[a])].reason
                                                       : reasons_text(s, a);
    at_risk.rows.push_back({id_of(a), owner_of(a), score_text(s.score[a]), signed_text(sc.trend[a]), why});
  }
  ctx.note(fmt::format("At risk ({} of {} scored accounts in {}):", risk.size(), scored.size(), card.bands.front().name));
  if (!risk.empty()) ctx.table(at_risk);

  // Renewals due and detractors, from the signals the alerts read.
  signal_options o;
  o.names = {"account.days_to_renewal", "mrr.current", "nps.last", "nps.days_since_last", "support.open_high"};
  o.n_threads = ctx.options.n_threads;
  const signal_frame f = compute_signals(data, {ctx.as_of}, o);
  const auto column = [&](std::size_t j) { return f.values[j].data(); };
  const double *to_renewal = column(0), *mrr = column(1), *nps = column(2), *since_nps = column(3), *open_high = column(4);
  std::vector<std::size_t> renewals, detractors;
  for (const auto a : scored) {
    if (to_renewal[a] >= 0 && to_renewal[a] <= card.alerts.renewal_days) renewals.push_back(a);
    if (nps[a] < card.alerts.detractor_below && since_nps[a] <= 90) detractors.push_back(a);
  }
  std::stable_sort(renewals.begin(), renewals.end(), [&](auto x, auto y) { return to_renewal[x] < to_renewal[y]; });
  text_table due{{"account", "owner", "renewal", "in days", "band", "score", "MRR"}, {}, {1, 2, 4}};
  for (std::size_t i = 0; i < renewals.size() && i < shown; ++i) {
    const std::size_t a = renewals[i];
    due.rows.push_back({id_of(a), owner_of(a), format_date(acc.renewal[a]), fmt::format("{:.0f}", std::floor(to_renewal[a])),
                        card.bands[std::size_t(s.band[a])].name, score_text(s.score[a]),
                        std::isnan(mrr[a]) ? "-" : fmt::format("{:.0f}", mrr[a])});
  }
  ctx.note(fmt::format("Renewals in the next {} days: {}", card.alerts.renewal_days, renewals.size()));
  if (!renewals.empty()) ctx.table(due);

  std::stable_sort(detractors.begin(), detractors.end(), [&](auto x, auto y) { return since_nps[x] < since_nps[y]; });
  text_table follow{{"account", "owner", "NPS", "answered", "open high/urgent tickets", "band"}, {}, {1, 3, 5}};
  for (std::size_t i = 0; i < detractors.size() && i < shown; ++i) {
    const std::size_t a = detractors[i];
    const timestamp when = ctx.as_of - std::llround(since_nps[a] * double(seconds_per_day));
    follow.rows.push_back({id_of(a), owner_of(a), fmt::format("{:.0f}", nps[a]), format_date(when),
                           fmt::format("{:.0f}", open_high[a]), card.bands[std::size_t(s.band[a])].name});
  }
  ctx.note(fmt::format("Detractors to follow up (NPS below {} in the last 90 days): {}", card.alerts.detractor_below,
                       detractors.size()));
  if (!detractors.empty()) ctx.table(follow);

  // Alerts that started in the last 7 days: those reported at the days after the first of the week.
  std::vector<timestamp> week;
  for (int d = 7; d >= 0; --d) week.push_back(ctx.as_of - d * seconds_per_day);
  std::vector<alert> started;
  for (auto& a : card_alerts(card, data, week, ctx.options.n_threads))
    if (a.as_of > week.front()) started.push_back(std::move(a));
  std::map<std::string, std::int64_t> by_kind;
  for (const auto& a : started) ++by_kind[alert_name(card, a)];
  std::string kinds;
  for (const auto& [k, n] : by_kind) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, k);
  ctx.note(fmt::format("Alerts started in the last 7 days: {}{}", started.size(), kinds.empty() ? "" : " (" + kinds + ")"));
  text_table alerts{{"account", "owner", "kind", "severity", "since", "why"}, {}, {1, 2, 3, 4, 5}};
  for (std::size_t i = 0; i < started.size() && i < 2 * shown; ++i) {
    const alert& a = started[i];
    alerts.rows.push_back({id_of(std::size_t(a.account)), owner_of(std::size_t(a.account)), alert_name(card, a),
                           std::string(to_string(a.severity)), format_date(a.time), a.message});
  }
  if (!started.empty()) ctx.table(alerts);
}

}  // namespace custhealth::detail
