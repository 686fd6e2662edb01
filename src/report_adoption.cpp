// src/report_adoption.cpp — the report's "Adoption" section: the adoption score's bands by segment and
// the least-adopted accounts with the measures that cost them most (models/adoption_v1.json).

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "custhealth/scorecard/scorecard.hpp"
#include "report_sections.hpp"

namespace custhealth::detail {

void report_adoption(const report_context& ctx) {
  if (ctx.options.adoption == nullptr) return;
  const scorecard& card = *ctx.options.adoption;
  ctx.heading("Adoption (" + card.name + ")");
  if (ctx.data.usage().size() == 0) return ctx.note("No usage table: no adoption score.");
  const scorecard_scores s = score_card(card, ctx.data, ctx.as_of, ctx.options.n_threads).scores;
  const account_table& acc = ctx.data.accounts();

  // By segment: accounts scored, mean score, and the share of each band.
  const std::size_t n_segments = acc.segments.size() + 1;  // + no segment
  std::vector<double> sum(n_segments, 0);
  std::vector<std::int64_t> scored(n_segments, 0);
  std::vector<std::vector<std::int64_t>> bands(n_segments, std::vector<std::int64_t>(card.bands.size(), 0));
  std::vector<std::int32_t> order;
  for (std::size_t a = 0; a < s.score.size(); ++a) {
    if (std::isnan(s.score[a])) continue;
    const std::int32_t seg = acc.segment.empty() ? no_code : acc.segment[a];
    const std::size_t row = seg == no_code ? n_segments - 1 : std::size_t(seg);
    sum[row] += s.score[a], ++scored[row], ++bands[row][std::size_t(s.band[a])];
    order.push_back(std::int32_t(a));
  }
  text_table t{{"segment", "accounts", "mean score"}, {}};
  for (const auto& b : card.bands) t.header.push_back(b.name);
  for (std::size_t r = 0; r < n_segments; ++r) {
    if (scored[r] == 0) continue;
    std::vector<std::string> row{r + 1 == n_segments ? "(none)" : acc.segments[std::int32_t(r)], count(scored[r]),
                                 fmt::format("{:.1f}", sum[r] / double(scored[r]))};
    for (const auto k : bands[r]) row.push_back(percent(double(k) / double(scored[r])));
    t.rows.push_back(std::move(row));
  }
  if (order.empty()) return ctx.note("No account is active at " + format_date(ctx.as_of) + ".");
  ctx.table(t);

  // The least-adopted accounts, each with the two measures that cost it most points.
  const std::size_t shown = std::min<std::size_t>(10, order.size());
  std::partial_sort(order.begin(), order.begin() + std::ptrdiff_t(shown), order.end(), [&](auto x, auto y) {
    return s.score[std::size_t(x)] != s.score[std::size_t(y)] ? s.score[std::size_t(x)] < s.score[std::size_t(y)] : x < y;
  });
  text_table least{{"account", "score", "weakest measures (points lost)"}, {}};
  for (std::size_t i = 0; i < shown; ++i) {
    const auto a = std::size_t(order[i]);
    least.rows.push_back({ctx.data.account_ids()[std::int32_t(a)], fmt::format("{:.1f}", s.score[a]), reasons_text(s, a)});
  }
  ctx.note("Least adopted at " + format_date(ctx.as_of) + ":");
  ctx.table(least);
}

}  // namespace custhealth::detail
