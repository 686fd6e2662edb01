// custhealth/churn/metrics.hpp — how good a churn score or probability is (DESIGN §4 "Churn risk", Evaluation):
// ROC and PR AUC, Brier score, log loss, the calibration table, lift and precision at the top k, concordance.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "custhealth/detail/survival_memory.hpp"
#include "custhealth/detail/survival_sort.hpp"
#include "custhealth/enums.hpp"
#include "custhealth/error.hpp"

// Each function equals a peer's number on the same input (tests/python/test_metrics.py pins them):
// scikit-learn 1.9's roc_auc_score, average_precision_score, brier_score_loss, log_loss and
// calibration_curve, and lifelines' utils.concordance_index — except lift and precision_at_k, which
// neither has (pinned by hand and against numpy). Conventions shared by all of them:
//   - y is 0/1 (bool or numeric; anything else, NaN included, is invalid_input naming the index);
//   - scores and probabilities are finite (NaN or ±inf is invalid_input); probabilities lie in [0, 1];
//   - weights, where taken, are finite and ≥ 0 (scaling them all changes nothing);
//   - empty input, mismatched lengths, k outside (0, 1] and bins < 1 are invalid_input;
//   - a statistic that is undefined on valid input (AUC with one class only) is NaN, never an exception
//     (boost-histogram's accumulators do the same); the Python layer adds an UndefinedMetricWarning.
// Messages use scikit-learn's and lifelines' argument names (y_true, y_score, y_prob, sample_weight,
// event_times, predicted_scores, event_observed), so a Python user reads the name they passed.

namespace custhealth {

namespace detail::metrics {
template <class T>
concept label_type = std::same_as<T, bool> || std::same_as<T, std::uint8_t> || std::same_as<T, std::int8_t> ||
                     std::same_as<T, std::int32_t> || std::same_as<T, std::int64_t> || std::same_as<T, float> ||
                     std::same_as<T, double>;
}  // namespace detail::metrics

/// 0/1 labels (churned or not, event observed or not) read in place from the caller's contiguous array
/// of bool, (u)int8, int32, int64, float or double — no conversion copy. A view, as std::span: the array
/// must outlive it. A default-constructed view means "not given" (concordance_index then takes every
/// event as observed).
class label_view {
 public:
  enum class kind : std::uint8_t { none, boolean, u8, i8, i32, i64, f32, f64 };

  constexpr label_view() noexcept = default;

  template <class R>
    requires std::ranges::contiguous_range<const R> && std::ranges::sized_range<const R> &&
             detail::metrics::label_type<std::remove_cv_t<std::ranges::range_value_t<const R>>>
  label_view(const R& values) noexcept  // NOLINT(google-explicit-constructor): spans and vectors convert
      : data_(std::ranges::data(values)),
        size_(std::ranges::size(values)),
        kind_(kind_of<std::remove_cv_t<std::ranges::range_value_t<const R>>>()) {}

  std::size_t size() const noexcept { return size_; }
  bool given() const noexcept { return kind_ != kind::none; }

  /// f(std::span<const T>) over the labels as stored; f(std::span<const std::uint8_t>{}) when not given.
  template <class F>
  decltype(auto) visit(F&& f) const {
    switch (kind_) {
      case kind::boolean: return f(as<bool>());
      case kind::i8: return f(as<std::int8_t>());
      case kind::i32: return f(as<std::int32_t>());
      case kind::i64: return f(as<std::int64_t>());
      case kind::f32: return f(as<float>());
      case kind::f64: return f(as<double>());
      case kind::u8:
      case kind::none: break;
    }
    return f(as<std::uint8_t>());
  }

 private:
  template <class T>
  static constexpr kind kind_of() noexcept {
    if constexpr (std::same_as<T, bool>) return kind::boolean;
    else if constexpr (std::same_as<T, std::uint8_t>) return kind::u8;
    else if constexpr (std::same_as<T, std::int8_t>) return kind::i8;
    else if constexpr (std::same_as<T, std::int32_t>) return kind::i32;
    else if constexpr (std::same_as<T, std::int64_t>) return kind::i64;
    else if constexpr (std::same_as<T, float>) return kind::f32;
    else return kind::f64;
  }
  template <class T>
  std::span<const T> as() const noexcept {
    return {static_cast<const T*>(data_), size_};
  }

  const void* data_ = nullptr;
  std::size_t size_ = 0;
  kind kind_ = kind::none;
};

/// One row per non-empty bin, in bin order — scikit-learn's calibration_curve(y, p, n_bins, strategy)
/// returns prob_true and prob_pred for exactly these rows (it drops empty bins too). A prediction p
/// belongs to bin i when lower[i] < p ≤ upper[i] (numpy's searchsorted over the inner edges); the
/// first bin also takes p = lower[0].
struct calibration_table {
  std::vector<std::int64_t> bin;   ///< the bin's index in [0, bins)
  std::vector<double> lower;       ///< its lower edge (0 or min p for the first bin)
  std::vector<double> upper;       ///< its upper edge (1 or max p for the last bin)
  std::vector<std::int64_t> count; ///< predictions in the bin (> 0)
  std::vector<double> prob_pred;   ///< their mean p (calibration_curve's prob_pred)
  std::vector<double> prob_true;   ///< the share of them with y = 1 (calibration_curve's prob_true)
};

/// Harrell's concordance counts, as lifelines.utils.concordance_index counts them.
struct concordance_counts {
  std::int64_t concordant = 0;  ///< admissible pairs ordered as the prediction orders them
  std::int64_t tied = 0;        ///< admissible pairs with equal predictions (each counts ½)
  std::int64_t pairs = 0;       ///< admissible pairs
  /// (concordant + tied / 2) / pairs; NaN without admissible pairs (lifelines raises ZeroDivisionError).
  double index() const noexcept {
    return pairs == 0 ? std::numeric_limits<double>::quiet_NaN()
                      : (static_cast<double>(concordant) + static_cast<double>(tied) / 2) / static_cast<double>(pairs);
  }
};

// ---- internals ----------------------------------------------------------------------------------

namespace detail::metrics {

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

inline std::string number(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  std::string s = std::to_string(x);  // 6 decimals; trim the zeros of integers
  if (const auto dot = s.find('.'); dot != std::string::npos) {
    s.erase(s.find_last_not_of('0') + 1);
    if (s.back() == '.') s.pop_back();
  }
  return s;
}

[[noreturn]] inline void fail(std::string_view metric, const std::string& what) {
  throw invalid_input(std::string(metric) + ": " + what);
}

/// The sizes agree, the input is not empty, and weights (when given) have the same length.
inline void check_sizes(std::string_view metric, std::size_t n_y, std::string_view values, std::size_t n,
                        std::size_t n_weights, std::string_view y_name = "y_true") {
  if (n_y != n)
    fail(metric, std::string(y_name) + " has " + std::to_string(n_y) + " values but " + std::string(values) +
                     " has " + std::to_string(n));
  if (n_weights != 0 && n_weights != n)
    fail(metric, "sample_weight has " + std::to_string(n_weights) + " values but " + std::string(y_name) + " has " +
                     std::to_string(n));
  if (n == 0) fail(metric, "empty input: " + std::string(y_name) + " and " + std::string(values) + " have no values");
}

[[noreturn]] inline void bad_label(std::string_view metric, std::string_view name, std::size_t i, double v) {
  fail(metric, std::string(name) + "[" + std::to_string(i) + "] must be 0 or 1, got " + number(v));
}

[[noreturn]] inline void not_finite(std::string_view metric, std::string_view name, std::size_t i, double v) {
  fail(metric, std::string(name) + "[" + std::to_string(i) + "] is " + number(v) + ": values must be finite");
}

inline void check_finite(std::string_view metric, std::string_view name, std::span<const double> x) {
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!std::isfinite(x[i])) not_finite(metric, name, i, x[i]);
}

/// Probabilities in [0, 1] (scikit-learn raises on values outside it, as we do).
inline void check_probabilities(std::string_view metric, std::span<const double> p) {
  for (std::size_t i = 0; i < p.size(); ++i)
    if (!(p[i] >= 0.0 && p[i] <= 1.0)) {
      if (std::isnan(p[i])) not_finite(metric, "y_prob", i, p[i]);
      fail(metric, "y_prob[" + std::to_string(i) + "] must be a probability in [0, 1], got " + number(p[i]));
    }
}

inline void check_weights(std::string_view metric, std::span<const double> w) {
  for (std::size_t i = 0; i < w.size(); ++i)
    if (!(w[i] >= 0.0 && w[i] < std::numeric_limits<double>::infinity()))
      fail(metric, "sample_weight[" + std::to_string(i) + "] must be finite and >= 0, got " + number(w[i]));
}

/// f(i, positive) for every label, in order; a value other than 0 or 1 is invalid_input.
template <class F>
void for_each_label(std::string_view metric, std::string_view name, const label_view& y, F&& f) {
  y.visit([&](auto values) {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto v = values[i];
      if (v == 0)
        f(i, false);
      else if (v == 1)
        f(i, true);
      else
        bad_label(metric, name, i, static_cast<double>(v));
    }
  });
}

/// Neumaier's compensated sum: the error stays O(ε) whatever n, so means agree with numpy's pairwise sums
/// to a few ulps (a plain running sum drifts by O(n·ε)).
struct compensated_sum {
  double sum = 0.0, compensation = 0.0;
  void add(double x) noexcept {
    const double t = sum + x;
    compensation += std::abs(sum) >= std::abs(x) ? (sum - t) + x : (x - t) + sum;
    sum = t;
  }
  double value() const noexcept { return sum + compensation; }
};

/// Stable LSD radix sort of records[0, n) on their 64-bit keys, 11 bits a pass, using scratch[0, n);
/// a pass whose digit is the same in every key is skipped. Needs n < 2³².
template <class Record>
void radix_sort(Record* records, Record* scratch, std::size_t n) {
  constexpr unsigned bits = 11, passes = (64 + bits - 1) / bits;
  constexpr std::size_t radix = std::size_t{1} << bits, mask = radix - 1;
  std::vector<std::uint32_t> counts(passes * radix, 0);
  for (std::size_t i = 0; i < n; ++i) {  // every pass's histogram in one read
    const std::uint64_t k = km::key_of(records[i]);
    for (unsigned p = 0; p < passes; ++p) ++counts[p * radix + ((k >> (p * bits)) & mask)];
  }
  Record *from = records, *to = scratch;
  for (unsigned p = 0; p < passes; ++p) {
    std::uint32_t* next = counts.data() + p * radix;
    if (std::find(next, next + radix, static_cast<std::uint32_t>(n)) != next + radix) continue;  // one digit
    std::uint32_t offset = 0;
    for (std::size_t d = 0; d < radix; ++d) offset += std::exchange(next[d], offset);
    for (std::size_t i = 0; i < n; ++i) to[next[(km::key_of(from[i]) >> (p * bits)) & mask]++] = from[i];
    std::swap(from, to);
  }
  if (from != records) std::copy_n(from, n, records);
}

/// True when the scores repeat a lot: fewer than 900 distinct values among 1,024 spread over the run,
/// as when ~3,000 or fewer distinct scores are shared by many accounts (a 0–100 health score with one
/// decimal has 1,001). Such keys favour the radix sort: its scatter writes go to few places, while the
/// bucket sort spends its time on the crowds of equal keys (measured: benchmarks/README.md, "Metrics").
template <class Record>
bool heavily_tied(const Record* records, std::size_t n) {
  constexpr std::size_t size = 1024;
  if (n < 16 * size) return false;
  std::array<std::uint64_t, size> sample;
  for (std::size_t i = 0; i < size; ++i) sample[i] = km::key_of(records[(2 * i + 1) * (n / (2 * size))]) >> 1;
  std::sort(sample.begin(), sample.end());
  return static_cast<std::size_t>(std::unique(sample.begin(), sample.end()) - sample.begin()) < 900;
}

/// Sorts one run of score keys: the radix sort when the scores are heavily tied, else the survival
/// sort (AVX-512 where the CPU has it, else a bucket sort linear in n for spread-out values).
template <class Record>
void sort_scores(Record* records, Record* scratch, std::size_t n) {
  if (n < std::numeric_limits<std::uint32_t>::max() && heavily_tied(records, n))
    radix_sort(records, scratch, n);
  else
    km::sort_records_in_place(records, scratch, n);
}

/// The scores as sort keys with the label in the flag bit — the survival keys of detail/survival_sort.hpp,
/// whose sorts (see sort_scores) need a time ≥ 0. So a score s ≥ 0 (−0 counts as +0) goes to the `upper` run as |s|, and s < 0 to the `lower`
/// run as |s| = −s: each run sorts ascending in |s|, and descending score order is the upper run read
/// backwards, then the lower run read forwards. Every bit of the score is kept, so ties are exact.
template <class Record>
struct ranked_scores {
  km::raw_block keys, scratch;
  std::size_t n = 0, n_upper = 0;
  Record* records() const noexcept { return reinterpret_cast<Record*>(keys.data()); }
};

template <class Record>
ranked_scores<Record> rank_scores(std::string_view metric, const label_view& y, std::span<const double> score,
                                  std::span<const double> weights) {
  check_sizes(metric, y.size(), "y_score", score.size(), weights.size());
  check_weights(metric, weights);
  ranked_scores<Record> r;
  r.n = score.size();
  r.keys = km::raw_block(r.n * sizeof(Record));
  r.scratch = km::raw_block(r.n * sizeof(Record));
  Record* out = r.records();
  std::size_t up = 0, down = r.n;  // the upper run fills from the front, the lower one from the back
  for_each_label(metric, "y_true", y, [&](std::size_t i, bool positive) {
    const double s = score[i] + 0.0;
    if (!std::isfinite(s)) not_finite(metric, "y_score", i, s);
    const bool upper = !std::signbit(s);
    const std::uint64_t key = km::time_key(upper ? s : -s, positive);
    Record& slot = out[upper ? up++ : --down];
    if constexpr (std::same_as<Record, std::uint64_t>)
      slot = key;
    else
      slot = Record{key, weights[i]};
  });
  r.n_upper = up;
  auto* scratch = reinterpret_cast<Record*>(r.scratch.data());
  sort_scores(out, scratch, up);
  sort_scores(out + up, scratch + up, r.n - up);
  return r;
}

/// f(negative weight, positive weight) for each distinct score, from the highest down. The label is
/// added arithmetically (w·flag), not by a branch: labels are a coin toss for the branch predictor.
template <class Record, class F>
void for_each_score_group(const ranked_scores<Record>& r, F&& f) {
  const Record* a = r.records();
  double neg = 0.0, pos = 0.0;
  auto add = [&](const Record& x) {
    const double w = km::weight_of(x), flag = static_cast<double>(km::key_of(x) & 1);
    pos += w * flag;
    neg += w - w * flag;
  };
  for (std::size_t i = r.n_upper; i > 0;) {  // the upper run, backwards
    const std::uint64_t t = km::key_of(a[i - 1]) >> 1;
    neg = pos = 0.0;
    do add(a[--i]);
    while (i > 0 && (km::key_of(a[i - 1]) >> 1) == t);
    f(neg, pos);
  }
  for (std::size_t i = r.n_upper; i < r.n;) {  // the lower run, forwards
    const std::uint64_t t = km::key_of(a[i]) >> 1;
    neg = pos = 0.0;
    do add(a[i++]);
    while (i < r.n && (km::key_of(a[i]) >> 1) == t);
    f(neg, pos);
  }
}

template <class F>
double with_ranked(std::string_view metric, const label_view& y, std::span<const double> score,
                   std::span<const double> weights, F&& walk) {
  if (weights.empty()) return walk(rank_scores<std::uint64_t>(metric, y, score, weights));
  return walk(rank_scores<km::weighted_key>(metric, y, score, weights));
}

/// Σ wᵢ·loss(yᵢ, pᵢ) / Σ wᵢ over valid probabilities (np.average, as scikit-learn's _average).
template <class Loss>
double mean_loss(std::string_view metric, const label_view& y, std::span<const double> p,
                 std::span<const double> weights, Loss&& loss) {
  check_sizes(metric, y.size(), "y_prob", p.size(), weights.size());
  check_probabilities(metric, p);
  check_weights(metric, weights);
  compensated_sum total, mass;
  for_each_label(metric, "y_true", y, [&](std::size_t i, bool positive) {
    const double w = weights.empty() ? 1.0 : weights[i];
    total.add(w * loss(positive, p[i]));
    mass.add(w);
  });
  return mass.value() > 0 ? total.value() / mass.value() : nan;
}

/// Positives among the top m scores, ties at the cut shared out (see precision_at_k), and all positives.
struct top_hits {
  double hits = 0.0, positives = 0.0;
  std::size_t m = 0, n = 0;
};

}  // namespace detail::metrics

// ---- ranking ------------------------------------------------------------------------------------

/// Area under the ROC curve: the probability that a random positive scores above a random negative,
/// tied scores counting ½ (Mann–Whitney U / (P·N); weighted: Σ over positive–negative pairs of
/// wᵢwⱼ·[sᵢ > sⱼ] + ½[sᵢ = sⱼ], over Σw₊·Σw₋). Equals sklearn.metrics.roc_auc_score(y, score,
/// sample_weight=weights), which integrates the same step curve by trapezoids. O(n log n): one sort of
/// the scores, then one pass over the distinct scores. NaN when either class has no weight (scikit-learn:
/// NaN with UndefinedMetricWarning when y holds one class).
/// Throws invalid_input for labels other than 0/1, non-finite scores, negative weights, mismatched
/// lengths or empty input.
inline double roc_auc(label_view y, std::span<const double> score, std::span<const double> weights = {}) {
  return detail::metrics::with_ranked("roc_auc", y, score, weights, [](const auto& ranked) {
    double above = 0.0, negatives = 0.0, area = 0.0;  // positive weight above the current score
    detail::metrics::for_each_score_group(ranked, [&](double neg, double pos) {
      area += neg * (above + 0.5 * pos);
      above += pos;
      negatives += neg;
    });
    return above > 0 && negatives > 0 ? area / above / negatives : detail::metrics::nan;
  });
}

/// Average precision, the step-wise area under the precision–recall curve:
/// AP = Σₖ (Rₖ − Rₖ₋₁)·Pₖ over the distinct scores from the highest down (all tied scores enter together),
/// Pₖ and Rₖ the (weighted) precision and recall of "score ≥ the k-th distinct score". Equals
/// sklearn.metrics.average_precision_score(y, score, sample_weight=weights) — no interpolation. NaN when
/// the positives have no weight (scikit-learn returns 0 there, with a warning that recall is undefined).
/// Throws as roc_auc.
inline double pr_auc(label_view y, std::span<const double> score, std::span<const double> weights = {}) {
  return detail::metrics::with_ranked("pr_auc", y, score, weights, [](const auto& ranked) {
    double tp = 0.0, fp = 0.0, sum = 0.0;
    detail::metrics::for_each_score_group(ranked, [&](double neg, double pos) {
      tp += pos;
      fp += neg;
      if (pos > 0) sum += pos * (tp / (tp + fp));  // ΔR = pos / P, the 1/P taken out of the sum
    });
    return tp > 0 ? sum / tp : detail::metrics::nan;
  });
}

// ---- probabilities ------------------------------------------------------------------------------

/// Brier score Σ wᵢ(yᵢ − pᵢ)² / Σ wᵢ — sklearn.metrics.brier_score_loss(y, p, sample_weight=weights) (its
/// binary case, whose scale_by_half="auto" halves the two-column sum back to this). Probabilities outside
/// [0, 1] are invalid_input, as scikit-learn raises. NaN when all weights are 0.
inline double brier(label_view y, std::span<const double> p, std::span<const double> weights = {}) {
  return detail::metrics::mean_loss("brier", y, p, weights, [](bool positive, double q) {
    const double d = (positive ? 1.0 : 0.0) - q;
    return d * d;
  });
}

/// Mean negative log-likelihood −Σ wᵢ[yᵢ log pᵢ + (1 − yᵢ) log(1 − pᵢ)] / Σ wᵢ, natural log —
/// sklearn.metrics.log_loss(y, p, sample_weight=weights, labels=[0, 1]) of scikit-learn ≥ 1.5 (the `eps`
/// argument was deprecated in 1.3 and removed in 1.5): it forms the columns (1 − p, p), then clips each
/// to [ε, 1 − ε] with ε the machine epsilon of the dtype (2⁻⁵² for doubles), so p = 0 or 1 on the
/// wrong side costs −log(2⁻⁵²) ≈ 36.04 instead of infinity. The same here: log(clip(p)) for y = 1 and
/// log(clip(1 − p)) for y = 0. Unlike scikit-learn without `labels`, y holding one class only is fine
/// (the loss is defined). Probabilities outside [0, 1] are invalid_input; NaN when all weights are 0.
inline double log_loss(label_view y, std::span<const double> p, std::span<const double> weights = {}) {
  static constexpr double eps = std::numeric_limits<double>::epsilon();
  return detail::metrics::mean_loss("log_loss", y, p, weights, [](bool positive, double q) {
    return -std::log(std::clamp(positive ? q : 1.0 - q, eps, 1.0 - eps));
  });
}

/// The bin edges of calibration(): bins + 1 values, as scikit-learn computes them bit for bit —
/// uniform: numpy.linspace(0, 1, bins + 1) (i·(1/bins), the last exactly 1); quantile:
/// numpy.percentile(p, linspace(0, 1, bins + 1)·100) with numpy's default linear interpolation
/// (Hyndman & Fan's method 7: virtual index (n − 1)·q, then numpy's _lerp).
inline std::vector<double> calibration_edges(std::span<const double> p, int bins,
                                             calibration_strategy strategy = calibration_strategy::uniform) {
  if (bins < 1) detail::metrics::fail("calibration", "bins must be >= 1, got " + std::to_string(bins));
  const auto b = static_cast<std::size_t>(bins);
  std::vector<double> q(b + 1);
  const double step = 1.0 / static_cast<double>(b);
  for (std::size_t i = 0; i < b; ++i) q[i] = static_cast<double>(i) * step;
  q[b] = 1.0;
  if (strategy == calibration_strategy::uniform) return q;
  if (p.empty()) detail::metrics::fail("calibration", "empty input: y_prob has no values");
  std::vector<double> sorted(p.begin(), p.end());
  std::sort(sorted.begin(), sorted.end());
  const std::size_t n = sorted.size();
  std::vector<double> edges(b + 1);
  for (std::size_t i = 0; i <= b; ++i) {
    const double quantile = q[i] * 100.0 / 100.0;  // calibration_curve passes percentages, numpy divides back
    const double virtual_index = static_cast<double>(n - 1) * quantile;
    if (virtual_index >= static_cast<double>(n - 1)) {
      edges[i] = sorted[n - 1];
      continue;
    }
    const double previous = std::floor(virtual_index), gamma = virtual_index - previous;
    const auto at = static_cast<std::size_t>(previous);
    const double a = sorted[at], c = sorted[at + 1], diff = c - a;
    edges[i] = gamma >= 0.5 ? c - diff * (1 - gamma) : a + diff * gamma;
  }
  return edges;
}

/// The reliability table: predictions grouped into `bins` bins (see calibration_edges), and per
/// non-empty bin its edges, count, mean prediction and observed rate. prob_true and prob_pred equal
/// sklearn.calibration.calibration_curve(y, p, n_bins=bins, strategy=...) — empty bins are dropped, as
/// there; with `quantile` and many tied p several edges coincide and the bins between them are empty.
/// No weights (calibration_curve takes none). Throws invalid_input for bins < 1, p outside [0, 1],
/// labels other than 0/1, mismatched lengths or empty input.
inline calibration_table calibration(label_view y, std::span<const double> p, int bins = 10,
                                     calibration_strategy strategy = calibration_strategy::uniform) {
  using namespace detail::metrics;
  if (bins < 1) fail("calibration", "bins must be >= 1, got " + std::to_string(bins));
  check_sizes("calibration", y.size(), "y_prob", p.size(), 0);
  check_probabilities("calibration", p);
  const std::vector<double> edges = calibration_edges(p, bins, strategy);
  const auto b = static_cast<std::size_t>(bins);
  // bin = how many inner edges lie strictly below p: numpy.searchsorted(edges[1:-1], p) (side="left").
  const auto inner_begin = edges.begin() + 1, inner_end = edges.end() - 1;
  std::vector<double> sum_p(b, 0.0), sum_y(b, 0.0);  // summed in input order, as numpy.bincount does
  std::vector<std::int64_t> count(b, 0);
  for_each_label("calibration", "y_true", y, [&](std::size_t i, bool positive) {
    const auto k = static_cast<std::size_t>(std::lower_bound(inner_begin, inner_end, p[i]) - inner_begin);
    sum_p[k] += p[i];
    sum_y[k] += positive ? 1.0 : 0.0;
    ++count[k];
  });
  calibration_table t;
  for (std::size_t k = 0; k < b; ++k) {
    if (count[k] == 0) continue;
    t.bin.push_back(static_cast<std::int64_t>(k));
    t.lower.push_back(edges[k]);
    t.upper.push_back(edges[k + 1]);
    t.count.push_back(count[k]);
    t.prob_pred.push_back(sum_p[k] / static_cast<double>(count[k]));
    t.prob_true.push_back(sum_y[k] / static_cast<double>(count[k]));
  }
  return t;
}

// ---- the top of the list ------------------------------------------------------------------------

/// How many accounts "the top fraction k" of n is: ⌈k·n⌉, where a product within 1e-9 (relative) of an
/// integer counts as that integer — 0.7 of 10 is 7, although 0.7·10 = 7.000000000000001 in doubles.
/// At least 1 (k > 0) and at most n (k ≤ 1). k outside (0, 1] is invalid_input.
inline std::size_t top_k_count(std::size_t n, double k, std::string_view metric = "top_k_count") {
  if (!(k > 0.0 && k <= 1.0))
    detail::metrics::fail(metric, "k must be a fraction of the accounts in (0, 1], got " + detail::metrics::number(k));
  const double x = k * static_cast<double>(n), nearest = std::round(x);
  const double m = std::abs(x - nearest) <= 1e-9 * x ? nearest : std::ceil(x);
  return std::clamp<std::size_t>(static_cast<std::size_t>(m), n == 0 ? 0 : 1, n);
}

namespace detail::metrics {

/// The positives among the m = top_k_count(n, k) highest scores. Ties at the cut are shared, not broken
/// by input order: when the m-th highest score s* is held by t accounts of which only r make the top m
/// (those above s* make it anyway), they bring r/t of the positives among the t — the expected count
/// under a random order of the ties. So the result does not depend on the order of the rows.
/// O(n): one selection (nth_element) and one pass.
inline top_hits top_k_hits(std::string_view metric, const label_view& y, std::span<const double> score, double k) {
  check_sizes(metric, y.size(), "y_score", score.size(), 0);
  check_finite(metric, "y_score", score);
  top_hits h;
  h.n = score.size();
  h.m = top_k_count(h.n, k, metric);
  std::vector<double> copy(score.begin(), score.end());
  std::nth_element(copy.begin(), copy.begin() + static_cast<std::ptrdiff_t>(h.m - 1), copy.end(), std::greater<>());
  const double cut = copy[h.m - 1];
  double above = 0.0, tied = 0.0, positives_above = 0.0, positives_tied = 0.0;
  for_each_label(metric, "y_true", y, [&](std::size_t i, bool positive) {
    const double s = score[i];
    if (s > cut) {
      above += 1;
      positives_above += positive ? 1.0 : 0.0;
    } else if (s == cut) {
      tied += 1;
      positives_tied += positive ? 1.0 : 0.0;
    }
    h.positives += positive ? 1.0 : 0.0;
  });
  h.hits = positives_above + (static_cast<double>(h.m) - above) * positives_tied / tied;
  return h;
}

}  // namespace detail::metrics

/// Precision at the top k: the share of positives (churners) among the top_k_count(n, k) highest scores,
/// ties at the cut shared out (see detail::metrics::top_k_hits). Throws invalid_input for k outside
/// (0, 1], labels other than 0/1, non-finite scores, mismatched lengths or empty input.
inline double precision_at_k(label_view y, std::span<const double> score, double k = 0.1) {
  const auto h = detail::metrics::top_k_hits("precision_at_k", y, score, k);
  return h.hits / static_cast<double>(h.m);
}

/// Lift at the top k: precision_at_k over the overall positive rate P/n — how many times more churners
/// the top k of the list holds than a random k. NaN when there are no positives. Throws as precision_at_k.
inline double lift(label_view y, std::span<const double> score, double k = 0.1) {
  const auto h = detail::metrics::top_k_hits("lift", y, score, k);
  if (h.positives == 0) return detail::metrics::nan;
  return (h.hits / static_cast<double>(h.m)) / (h.positives / static_cast<double>(h.n));
}

// ---- survival -----------------------------------------------------------------------------------

/// Harrell's C over right-censored durations, with lifelines' conventions
/// (lifelines.utils.concordance_index(event_times, predicted_scores, event_observed)): a higher
/// prediction means a *longer* survival. A pair is admissible when the shorter duration ends in an
/// event; at equal durations, an event and a censoring are admissible (the event counts as first),
/// two events or two censorings are not. Concordant: the shorter one has the lower prediction; equal
/// predictions count ½. `events` not given: every duration ends in an event. O(n log n): a sort by
/// duration and a Fenwick tree over the ranks of the events' predictions. Throws invalid_input for
/// non-finite durations or predictions, events other than 0/1, mismatched lengths or empty input.
inline concordance_counts concordance(std::span<const double> durations, std::span<const double> predicted,
                                      label_view events = {}) {
  using namespace detail::metrics;
  constexpr std::string_view metric = "concordance_index";
  check_sizes(metric, durations.size(), "predicted_scores", predicted.size(), 0, "event_times");
  if (events.given() && events.size() != durations.size())
    fail(metric, "event_observed has " + std::to_string(events.size()) + " values but event_times has " +
                     std::to_string(durations.size()));
  check_finite(metric, "event_times", durations);
  check_finite(metric, "predicted_scores", predicted);
  const std::size_t n = durations.size();
  struct subject {
    double time, prediction;
    bool event;
  };
  std::vector<subject> subjects(n);
  for (std::size_t i = 0; i < n; ++i) subjects[i] = {durations[i], predicted[i], true};
  if (events.given())
    for_each_label(metric, "event_observed", events, [&](std::size_t i, bool e) { subjects[i].event = e; });
  std::sort(subjects.begin(), subjects.end(), [](const subject& a, const subject& b) { return a.time < b.time; });

  // The events' distinct predictions, ascending: a prediction's rank is its index here.
  std::vector<double> values;
  for (const auto& s : subjects)
    if (s.event) values.push_back(s.prediction);
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::vector<std::int64_t> tree(values.size() + 1, 0);  // Fenwick tree of the pool's counts by rank
  auto below = [&](std::size_t rank) {                   // pool members with rank < `rank`
    std::int64_t c = 0;
    for (std::size_t i = rank; i > 0; i &= i - 1) c += tree[i];
    return c;
  };
  auto insert = [&](std::size_t rank) {
    for (std::size_t i = rank + 1; i < tree.size(); i += i & (~i + 1)) ++tree[i];
  };

  // lifelines' sweep: the pool holds the events at durations already passed. At each duration, first
  // its events are compared with the pool (not with each other), then they join the pool, then its
  // censorings are compared with the pool (which now includes the events of the same duration).
  concordance_counts c;
  std::int64_t pool = 0;
  auto compare = [&](double prediction) {
    const auto it = std::lower_bound(values.begin(), values.end(), prediction);
    const auto rank = static_cast<std::size_t>(it - values.begin());
    const std::int64_t less = below(rank);
    c.concordant += less;
    if (it != values.end() && *it == prediction) c.tied += below(rank + 1) - less;
    c.pairs += pool;
  };
  for (std::size_t first = 0; first < n;) {
    std::size_t last = first;
    while (last < n && subjects[last].time == subjects[first].time) ++last;
    for (std::size_t i = first; i < last; ++i)
      if (subjects[i].event) compare(subjects[i].prediction);
    for (std::size_t i = first; i < last; ++i)
      if (subjects[i].event) {
        insert(static_cast<std::size_t>(std::lower_bound(values.begin(), values.end(), subjects[i].prediction) -
                                        values.begin()));
        ++pool;
      }
    for (std::size_t i = first; i < last; ++i)
      if (!subjects[i].event) compare(subjects[i].prediction);
    first = last;
  }
  return c;
}

/// concordance(durations, predicted, events).index(): equal to lifelines.utils.concordance_index; NaN
/// when no pair is admissible (lifelines raises ZeroDivisionError).
inline double concordance_index(std::span<const double> durations, std::span<const double> predicted,
                                label_view events = {}) {
  return concordance(durations, predicted, events).index();
}

}  // namespace custhealth
