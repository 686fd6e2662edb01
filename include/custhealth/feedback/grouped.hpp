// custhealth/feedback/grouped.hpp — NPS, CSAT and CES per group: by key columns × calendar period or a
// trailing window, over a dataset's surveys table or plain arrays (a DataFrame's columns), one pass.
#pragma once

#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custhealth/dataset.hpp"
#include "custhealth/detail/grouping.hpp"
#include "custhealth/feedback/survey.hpp"
#include "custhealth/grouping.hpp"

namespace custhealth {

/// Survey answers as plain arrays, borrowed (e.g. a DataFrame's columns read in place).
struct survey_rows {
  time_column time;
  std::span<const double> score;
  /// Optional: a kind code per row; only rows whose code equals `kind_code` are aggregated (the
  /// others are skipped unchecked). Empty: every row is an answer of the summarised kind.
  code_span kind;
  std::int64_t kind_code = 0;
  std::vector<key_column> keys;
};

/// The CSAT standard error in percentage points, 100·sqrt(p(1 − p)/n) (the binomial plug-in); NaN
/// when empty. Informational: the CSAT interval is Wilson's, which stays sensible where this is 0.
inline double csat_se(const csat_summary& s) noexcept {
  const auto n = static_cast<double>(s.n());
  if (!(n > 0)) return detail::nan;
  const double p = static_cast<double>(s.satisfied()) / n;
  return 100.0 * std::sqrt(p * (1.0 - p) / n);
}

namespace detail {

/// What each summary accepts: its name in messages, its score range and its kind in a dataset.
struct score_domain {
  std::string_view name;
  score_range range;
  survey_kind kind;
};
inline score_domain domain_of(const nps_summary&) noexcept {
  return {survey_label(survey_kind::nps), survey_score_range(survey_kind::nps), survey_kind::nps};
}
inline score_domain domain_of(const csat_summary& s) noexcept {
  return {survey_label(survey_kind::csat), survey_score_range(survey_kind::csat, s.scale()), survey_kind::csat};
}
inline score_domain domain_of(const ces_summary&) noexcept {
  return {survey_label(survey_kind::ces), survey_score_range(survey_kind::ces), survey_kind::ces};
}

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_bad_score(const score_domain& d, std::size_t r, double x) {
  throw invalid_input("surveys[" + std::to_string(r) + "]: " + score_domain_message(d.name, d.range.low, d.range.high, x));
}

/// The rows a summary takes: those of its kind (all rows when there is no kind column), every one
/// checked to be an integer score in range. A struct rather than a lambda so that it is reliably
/// inlined into the group-by's loop (it runs once per row).
struct survey_filter {
  const double* score;
  code_span kind;
  std::int64_t kind_code;
  score_domain domain;

  [[gnu::always_inline]] bool operator()(std::size_t r) const {
    if (!kind.empty() && kind[r] != kind_code) return false;
    const double x = score[r];
    if (!is_integer_score(x, domain.range)) [[unlikely]]
      throw_bad_score(domain, r, x);
    return true;
  }
};

template <class Summary>
struct survey_add {
  const double* score;

  [[gnu::always_inline]] void operator()(Summary& s, std::size_t r) const {
    s.add_unchecked(static_cast<int>(score[r]));
  }
};

}  // namespace detail

/// Summaries of `init`'s kind per group over `rows`. Every answer of that kind — in scope or not —
/// is checked: a score that is not an integer in the kind's range (NaN included) throws
/// invalid_input naming the row, `surveys[17]: NPS must be an integer 0..10, got 11`.
/// Complexity: O(rows) plus one scan of the time column; memory O(groups). On up to `n_threads`
/// threads for large tables, the same bits for any count (histograms merge exactly).
template <class Summary>
grouped<Summary> summarize_by(const survey_rows& rows, const time_grouping& scope, const Summary& init,
                              std::int32_t n_threads = 1) {
  const detail::score_domain d = detail::domain_of(init);
  const std::size_t n = rows.time.size();
  if (rows.score.size() != n || (!rows.kind.empty() && rows.kind.size() != n))
    throw invalid_input("surveys: the time, score and kind columns differ in length (" + std::to_string(n) + ", " +
                        std::to_string(rows.score.size()) + ", " + std::to_string(rows.kind.size()) + ")");
  detail::survey_filter keep{rows.score.data(), rows.kind, rows.kind_code, d};
  detail::survey_add<Summary> add{rows.score.data()};
  return detail::group_rows(rows.keys, rows.time, scope, init, {"surveys", "timestamp"}, keep, add, n_threads);
}

inline grouped<nps_summary> nps_by(const survey_rows& rows, const time_grouping& scope = {}) {
  return summarize_by(rows, scope, nps_summary{});
}
/// CSAT on a 1..scale answer scale, satisfied = the top `top_boxes` boxes.
inline grouped<csat_summary> csat_by(const survey_rows& rows, const time_grouping& scope = {}, int scale = default_csat_scale,
                                     int top_boxes = 2) {
  return summarize_by(rows, scope, csat_summary(scale, top_boxes));
}
inline grouped<ces_summary> ces_by(const survey_rows& rows, const time_grouping& scope = {}) {
  return summarize_by(rows, scope, ces_summary{});
}

/// The surveys table of `data` as rows of `kind`, keyed by `by`: account_id (or account), segment,
/// plan, owner (the account's). Throws invalid_input for an unknown key.
inline survey_rows survey_rows_of(const dataset& data, survey_kind kind, const std::vector<std::string>& by) {
  const survey_table& t = data.surveys();
  return {t.time, t.score.span(), t.kind, static_cast<std::int64_t>(kind),
          detail::dataset_keys(data, t.account, {}, by, "surveys")};
}

/// Summaries of `init`'s kind per group of the dataset's surveys.
template <class Summary>
grouped<Summary> summarize_by(const dataset& data, const std::vector<std::string>& by, time_grouping scope,
                              const Summary& init, std::int32_t n_threads = 1) {
  scope.as_of = data.as_of_or_end(scope.as_of, {table_id::surveys});
  return summarize_by(survey_rows_of(data, detail::domain_of(init).kind, by), scope, init, n_threads);
}

inline grouped<nps_summary> nps_by(const dataset& data, const std::vector<std::string>& by,
                                   const time_grouping& scope = {}) {
  return summarize_by(data, by, scope, nps_summary{});
}
inline grouped<csat_summary> csat_by(const dataset& data, const std::vector<std::string>& by,
                                     const time_grouping& scope = {}, int scale = default_csat_scale, int top_boxes = 2) {
  return summarize_by(data, by, scope, csat_summary(scale, top_boxes));
}
inline grouped<ces_summary> ces_by(const dataset& data, const std::vector<std::string>& by,
                                   const time_grouping& scope = {}) {
  return summarize_by(data, by, scope, ces_summary{});
}

}  // namespace custhealth
