// custhealth/feedback/survey.hpp — NPS, CSAT and CES survey statistics: small mergeable summaries
// with standard errors and confidence intervals, two-sample tests, and checked span entry points.
#pragma once

#include <array>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "custhealth/detail/stats.hpp"
#include "custhealth/enums.hpp"
#include "custhealth/error.hpp"

namespace custhealth {

namespace detail {

/// Answer counts per integer score Lo..Hi. Every statistic is a function of these counts alone, so
/// merging (element-wise integer addition) is exact, associative and commutative: shards combined in
/// any order give bit-identical results. One increment per answer keeps the grouped hot loop cheap.
template <int Lo, int Hi>
class score_histogram {
  static_assert(Lo <= Hi);

 public:
  void add(int score) noexcept {
    assert(Lo <= score && score <= Hi);
    ++counts_[static_cast<std::size_t>(score - Lo)];
  }

  /// Adds `times` answers of `score` at once (restoring a histogram from its counts).
  void add(int score, std::int64_t times) noexcept {
    assert(Lo <= score && score <= Hi && times >= 0);
    counts_[static_cast<std::size_t>(score - Lo)] += times;
  }

  score_histogram& operator+=(const score_histogram& other) noexcept {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    return *this;
  }

  /// Answers with exactly `score`; 0 outside Lo..Hi.
  std::int64_t count(int score) const noexcept {
    return score < Lo || score > Hi ? 0 : counts_[static_cast<std::size_t>(score - Lo)];
  }

  /// Answers with a score in [low, high] (clamped to Lo..Hi).
  std::int64_t count_between(int low, int high) const noexcept {
    std::int64_t total = 0;
    for (int s = low < Lo ? Lo : low; s <= high && s <= Hi; ++s) total += count(s);
    return total;
  }

  std::int64_t total() const noexcept { return count_between(Lo, Hi); }

  /// Mean score; NaN when empty. The integer sum is exact below 2^53 (far beyond any survey).
  double mean() const noexcept {
    const std::int64_t n = total();
    if (n == 0) return nan;
    std::int64_t sum = 0;
    for (int s = Lo; s <= Hi; ++s) sum += count(s) * s;
    return static_cast<double>(sum) / static_cast<double>(n);
  }

  /// Sample variance (divisor n − 1); NaN for n < 2. Two-pass over the bins, Σ c_k (k − x̄)², so
  /// there is no catastrophic cancellation as in Σx² − (Σx)²/n.
  double variance() const noexcept {
    const std::int64_t n = total();
    if (n < 2) return nan;
    const double m = mean();
    double m2 = 0.0;
    for (int s = Lo; s <= Hi; ++s) {
      const double d = s - m;
      m2 += static_cast<double>(count(s)) * d * d;
    }
    return m2 / static_cast<double>(n - 1);
  }

  double sd() const noexcept { return std::sqrt(variance()); }

  /// Standard error of the mean, s/√n; NaN for n < 2.
  double mean_se() const noexcept { return sd() / std::sqrt(static_cast<double>(total())); }

  /// Student-t interval for the mean, x̄ ± t_{c, n−1}·s/√n; NaN for n < 2.
  interval mean_t_interval(double confidence) const noexcept {
    const std::int64_t n = total();
    if (n < 2) return {};
    const double half = t_critical(confidence, static_cast<double>(n - 1)) * mean_se();
    if (std::isnan(half)) return {};
    const double m = mean();
    return {m - half, m + half};
  }

  friend bool operator==(const score_histogram&, const score_histogram&) = default;

 private:
  std::array<std::int64_t, static_cast<std::size_t>(Hi - Lo + 1)> counts_{};
};

/// "NPS must be an integer 0..10, got 7.5" — the value printed in shortest round-trip form, so
/// 10.000001 is not shown as "10".
inline std::string score_domain_message(std::string_view kind, int low, int high, double got) {
  std::array<char, 32> buf{};
  const auto res = std::to_chars(buf.data(), buf.data() + buf.size(), got);
  std::string msg(kind);
  msg += " must be an integer ";
  msg += std::to_string(low);
  msg += "..";
  msg += std::to_string(high);
  msg += ", got ";
  msg.append(buf.data(), res.ptr);
  return msg;
}

/// Validates every value, then adds it through the summary's unchecked path. The error names the
/// index of the first bad value: `score[17]: NPS must be an integer 0..10, got 11`.
template <class Summary>
Summary summarize_checked(std::span<const double> scores, Summary summary, std::string_view kind,
                          int low, int high) {
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const double x = scores[i];
    if (!is_integer_score(x, {low, high}))
      throw invalid_input("score[" + std::to_string(i) + "]: " +
                          score_domain_message(kind, low, high, x));
    summary.add_unchecked(static_cast<int>(x));
  }
  return summary;
}

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// NPS
// ---------------------------------------------------------------------------------------------

/// Reichheld's bands (HBR 2003, "The One Number You Need to Grow"): 9–10 promoter, 7–8 passive,
/// 0–6 detractor. Precondition: `score` in 0..10.
constexpr nps_category classify_nps(int score) noexcept {
  return score >= 9 ? nps_category::promoter
                    : score >= 7 ? nps_category::passive : nps_category::detractor;
}

/// Net Promoter Score of a group of 0..10 answers. Keeps the count per score (so the full answer
/// distribution is available) and merges exactly with `+=`.
class nps_summary {
 public:
  static constexpr survey_kind kind = survey_kind::nps;
  static constexpr int min_score = survey_score_range(kind).low;
  static constexpr int max_score = survey_score_range(kind).high;

  /// Adds one answer; throws invalid_input unless `score` is an integer 0..10.
  void add(double score) {
    if (!is_integer_score(score, {min_score, max_score}))
      throw invalid_input(detail::score_domain_message(survey_label(kind), min_score, max_score, score));
    add_unchecked(static_cast<int>(score));
  }

  /// Adds one answer already validated as an integer 0..10 (grouped aggregation over a checked
  /// column). No check beyond a debug assert: an out-of-range score is undefined behaviour.
  void add_unchecked(int score) noexcept { counts_.add(score); }
  /// `times` such answers at once (e.g. restoring a summary from its counts).
  void add_unchecked(int score, std::int64_t times) noexcept { counts_.add(score, times); }

  nps_summary& operator+=(const nps_summary& other) noexcept {
    counts_ += other.counts_;
    return *this;
  }
  friend nps_summary operator+(nps_summary a, const nps_summary& b) noexcept { return a += b; }
  friend bool operator==(const nps_summary&, const nps_summary&) = default;

  std::int64_t n() const noexcept { return counts_.total(); }
  /// Answers with exactly `score`; 0 outside 0..10.
  std::int64_t count(int score) const noexcept { return counts_.count(score); }
  std::int64_t promoters() const noexcept { return counts_.count_between(9, 10); }
  std::int64_t passives() const noexcept { return counts_.count_between(7, 8); }
  std::int64_t detractors() const noexcept { return counts_.count_between(0, 6); }

  /// Shares in [0, 1]; NaN when empty.
  double promoter_share() const noexcept { return share(promoters()); }
  double passive_share() const noexcept { return share(passives()); }
  double detractor_share() const noexcept { return share(detractors()); }

  /// NPS = 100·(P − D)/N, in [−100, 100]; NaN when empty.
  double score() const noexcept {
    const std::int64_t total = n();
    if (total == 0) return detail::nan;
    return 100.0 * static_cast<double>(promoters() - detractors()) / static_cast<double>(total);
  }

  /// Variance of one respondent's +1 / 0 / −1 indicator, (p + d) − (p − d)² (multinomial, plug-in
  /// 1/N form). Evaluated as p(1 − p) + d(1 − d) + 2pd, the same quantity written as a sum of
  /// non-negative terms so rounding can never make it negative. NaN when empty.
  double respondent_variance() const noexcept {
    const double p = promoter_share();
    const double d = detractor_share();
    return p * (1.0 - p) + d * (1.0 - d) + 2.0 * p * d;
  }

  /// SE = 100·sqrt(((p + d) − (p − d)²)/N) in NPS points. Uses the plug-in variance, so a single
  /// answer (or a unanimous group) has SE 0; NaN when empty.
  double se() const noexcept {
    return 100.0 * std::sqrt(respondent_variance() / static_cast<double>(n()));
  }

  /// Normal-approximation interval NPS ± z·SE, clipped to [−100, 100]; NaN when empty.
  detail::interval ci(double confidence = 0.95) const noexcept {
    const double half = detail::z_critical(confidence) * se();
    if (std::isnan(half)) return {};
    const double s = score();
    return {s - half < -100.0 ? -100.0 : s - half, s + half > 100.0 ? 100.0 : s + half};
  }

 private:
  double share(std::int64_t k) const noexcept {
    const std::int64_t total = n();
    return total == 0 ? detail::nan : static_cast<double>(k) / static_cast<double>(total);
  }

  detail::score_histogram<0, 10> counts_;
};

// ---------------------------------------------------------------------------------------------
// CSAT
// ---------------------------------------------------------------------------------------------

/// Customer satisfaction on a 1..scale answer scale: the share of "satisfied" answers (the top
/// `top_boxes` boxes, score > scale − top_boxes) in percent, plus the mean score.
class csat_summary {
 public:
  /// Scales up to 10 points cover the CSAT scales in use (3, 5, 7, 10) and keep the summary a
  /// fixed-size histogram, which is what makes merging exact.
  static constexpr int max_scale = 10;

  /// The default: 1..5, satisfied = 4–5.
  csat_summary() noexcept = default;

  /// Throws invalid_input unless 2 ≤ scale ≤ 10 and 1 ≤ top_boxes < scale.
  explicit csat_summary(int scale, int top_boxes = 2) : scale_(scale), top_boxes_(top_boxes) {
    if (scale < 2 || scale > max_scale)
      throw invalid_input("CSAT scale must be an integer 2.." + std::to_string(max_scale) +
                          ", got " + std::to_string(scale));
    if (top_boxes < 1 || top_boxes >= scale)
      throw invalid_input("CSAT top_boxes must be an integer 1.." + std::to_string(scale - 1) +
                          " for a 1.." + std::to_string(scale) + " scale, got " +
                          std::to_string(top_boxes));
  }

  int scale() const noexcept { return scale_; }
  int top_boxes() const noexcept { return top_boxes_; }

  /// Adds one answer; throws invalid_input unless `score` is an integer 1..scale.
  void add(double score) {
    if (!is_integer_score(score, survey_score_range(survey_kind::csat, scale_)))
      throw invalid_input(detail::score_domain_message(survey_label(survey_kind::csat), 1, scale_, score));
    add_unchecked(static_cast<int>(score));
  }

  /// Adds one answer already validated as an integer 1..scale. No check beyond a debug assert.
  void add_unchecked(int score) noexcept {
    assert(1 <= score && score <= scale_);
    counts_.add(score);
  }
  /// `times` such answers at once (e.g. restoring a summary from its counts).
  void add_unchecked(int score, std::int64_t times) noexcept {
    assert(1 <= score && score <= scale_);
    counts_.add(score, times);
  }

  /// Merges; throws invalid_input (a std::invalid_argument) when scale or top_boxes differ, since
  /// the satisfied shares would then measure different things.
  csat_summary& operator+=(const csat_summary& other) {
    if (scale_ != other.scale_ || top_boxes_ != other.top_boxes_)
      throw invalid_input("cannot combine CSAT summaries with different definitions: " +
                          describe() + " vs " + other.describe());
    counts_ += other.counts_;
    return *this;
  }
  friend csat_summary operator+(csat_summary a, const csat_summary& b) { return a += b; }
  friend bool operator==(const csat_summary&, const csat_summary&) = default;

  std::int64_t n() const noexcept { return counts_.total(); }
  /// Answers with exactly `score`; 0 outside 1..scale.
  std::int64_t count(int score) const noexcept { return counts_.count(score); }
  std::int64_t satisfied() const noexcept {
    return counts_.count_between(scale_ - top_boxes_ + 1, scale_);
  }

  /// CSAT = 100·satisfied/N in percent; NaN when empty.
  double score() const noexcept {
    const std::int64_t total = n();
    if (total == 0) return detail::nan;
    return 100.0 * static_cast<double>(satisfied()) / static_cast<double>(total);
  }

  /// Wilson score interval of the satisfied share, in percent; NaN when empty. Wilson rather than
  /// Wald because CSAT sits near 90 % where the Wald interval undercovers (Brown, Cai & DasGupta 2001).
  detail::interval ci(double confidence = 0.95) const noexcept {
    const detail::interval w = detail::wilson(static_cast<double>(satisfied()),
                                              static_cast<double>(n()), confidence);
    return {100.0 * w.low, 100.0 * w.high};
  }

  /// Mean score on the 1..scale scale; NaN when empty.
  double mean() const noexcept { return counts_.mean(); }
  /// Sample standard deviation (n − 1); NaN for n < 2.
  double sd() const noexcept { return counts_.sd(); }
  /// Student-t interval of the mean; NaN for n < 2.
  detail::interval mean_ci(double confidence = 0.95) const noexcept {
    return counts_.mean_t_interval(confidence);
  }

 private:
  std::string describe() const {
    return "1.." + std::to_string(scale_) + " top-" + std::to_string(top_boxes_);
  }

  // Scores index the bins directly; bins above scale_ stay zero.
  detail::score_histogram<1, max_scale> counts_;
  int scale_ = default_csat_scale;
  int top_boxes_ = 2;
};

// ---------------------------------------------------------------------------------------------
// CES
// ---------------------------------------------------------------------------------------------

/// Customer Effort Score: mean of 1..7 answers with a Student-t interval.
class ces_summary {
 public:
  static constexpr survey_kind kind = survey_kind::ces;
  static constexpr int min_score = survey_score_range(kind).low;
  static constexpr int max_score = survey_score_range(kind).high;

  /// Adds one answer; throws invalid_input unless `score` is an integer 1..7.
  void add(double score) {
    if (!is_integer_score(score, {min_score, max_score}))
      throw invalid_input(detail::score_domain_message(survey_label(kind), min_score, max_score, score));
    add_unchecked(static_cast<int>(score));
  }

  /// Adds one answer already validated as an integer 1..7. No check beyond a debug assert.
  void add_unchecked(int score) noexcept { counts_.add(score); }
  /// `times` such answers at once (e.g. restoring a summary from its counts).
  void add_unchecked(int score, std::int64_t times) noexcept { counts_.add(score, times); }

  ces_summary& operator+=(const ces_summary& other) noexcept {
    counts_ += other.counts_;
    return *this;
  }
  friend ces_summary operator+(ces_summary a, const ces_summary& b) noexcept { return a += b; }
  friend bool operator==(const ces_summary&, const ces_summary&) = default;

  std::int64_t n() const noexcept { return counts_.total(); }
  /// Answers with exactly `score`; 0 outside 1..7.
  std::int64_t count(int score) const noexcept { return counts_.count(score); }

  /// Mean score; NaN when empty.
  double mean() const noexcept { return counts_.mean(); }
  /// The headline CES is the mean (so all three summaries answer score() / ci()).
  double score() const noexcept { return mean(); }
  /// Sample standard deviation (n − 1); NaN for n < 2.
  double sd() const noexcept { return counts_.sd(); }
  /// Standard error of the mean, sd/√n; NaN for n < 2.
  double se() const noexcept { return counts_.mean_se(); }
  /// Student-t interval mean ± t_{(1+c)/2, n−1}·se; NaN for n < 2.
  detail::interval ci(double confidence = 0.95) const noexcept {
    return counts_.mean_t_interval(confidence);
  }

 private:
  detail::score_histogram<min_score, max_score> counts_;
};

static_assert(std::is_trivially_copyable_v<nps_summary>);
static_assert(std::is_trivially_copyable_v<csat_summary>);
static_assert(std::is_trivially_copyable_v<ces_summary>);

// ---------------------------------------------------------------------------------------------
// Two-sample tests
// ---------------------------------------------------------------------------------------------

/// A two-sided z-test of group a against group b. `difference` (a − b) and `se` are in the
/// metric's points (NPS points, CSAT percentage points); z = difference / se. NaN when undefined.
struct z_test_result {
  double difference = detail::nan;
  double se = detail::nan;
  double z = detail::nan;
  double p_value = detail::nan;
};

/// Difference of two independent NPS: z = (NPS₁ − NPS₂)/sqrt(SE₁² + SE₂²), two-sided normal
/// p-value. All NaN when a group is empty; z and p NaN when both groups are unanimous (SE 0).
inline z_test_result nps_test(const nps_summary& a, const nps_summary& b) noexcept {
  if (a.n() == 0 || b.n() == 0) return {};
  z_test_result r;
  r.difference = a.score() - b.score();
  r.se = std::sqrt(a.se() * a.se() + b.se() * b.se());
  if (r.se > 0.0) {
    r.z = r.difference / r.se;
    r.p_value = detail::normal_two_sided_p(r.z);
  }
  return r;
}

/// Two-proportion z-test of the satisfied shares with the pooled proportion p̄ = (x₁ + x₂)/(n₁ + n₂),
/// se = sqrt(p̄(1 − p̄)(1/n₁ + 1/n₂)) — statsmodels `proportions_ztest` with its defaults.
/// Throws invalid_input when the CSAT definitions differ. All NaN when a group is empty; z and p
/// NaN when p̄ is 0 or 1.
inline z_test_result csat_test(const csat_summary& a, const csat_summary& b) {
  if (a.scale() != b.scale() || a.top_boxes() != b.top_boxes())
    throw invalid_input("cannot compare CSAT summaries with different definitions: 1.." +
                        std::to_string(a.scale()) + " top-" + std::to_string(a.top_boxes()) +
                        " vs 1.." + std::to_string(b.scale()) + " top-" +
                        std::to_string(b.top_boxes()));
  if (a.n() == 0 || b.n() == 0) return {};
  const auto na = static_cast<double>(a.n());
  const auto nb = static_cast<double>(b.n());
  const auto xa = static_cast<double>(a.satisfied());
  const auto xb = static_cast<double>(b.satisfied());
  const double pooled = (xa + xb) / (na + nb);
  z_test_result r;
  r.difference = 100.0 * (xa / na - xb / nb);
  r.se = 100.0 * std::sqrt(pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb));
  if (r.se > 0.0) {
    r.z = r.difference / r.se;
    r.p_value = detail::normal_two_sided_p(r.z);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Checked entry points over arrays of answers
// ---------------------------------------------------------------------------------------------

/// Throws invalid_input naming the first bad value: `score[17]: NPS must be an integer 0..10, got 11`.
inline nps_summary summarize_nps(std::span<const double> scores) {
  return detail::summarize_checked(scores, nps_summary{}, survey_label(survey_kind::nps), nps_summary::min_score,
                                   nps_summary::max_score);
}

/// Throws invalid_input for a bad configuration or naming the first bad value.
inline csat_summary summarize_csat(std::span<const double> scores, int scale = default_csat_scale,
                                   int top_boxes = 2) {
  return detail::summarize_checked(scores, csat_summary(scale, top_boxes), survey_label(survey_kind::csat), 1, scale);
}

/// Throws invalid_input naming the first bad value.
inline ces_summary summarize_ces(std::span<const double> scores) {
  return detail::summarize_checked(scores, ces_summary{}, survey_label(survey_kind::ces), ces_summary::min_score,
                                   ces_summary::max_score);
}

}  // namespace custhealth
