// custhealth/retention/kaplan_meier.hpp — Kaplan–Meier survival curves (right censoring, late entry,
// case weights) with a mergeable event table, Greenwood variance, log(−log) bands and medians.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "custhealth/detail/simd_sort.hpp"
#include "custhealth/detail/state_io.hpp"
#include "custhealth/detail/stats.hpp"
#include "custhealth/detail/survival_input.hpp"
#include "custhealth/detail/survival_sort.hpp"
#include "custhealth/parallel.hpp"
#include "custhealth/retention/survival_workspace.hpp"

namespace custhealth {

// Internals, nested in detail so that their short names cannot collide with other detail headers.
namespace detail::km {

inline constexpr double inf = std::numeric_limits<double>::infinity();

/// The weights of the removals at time bits t from removals[i] on, split into deaths and censorings;
/// advances i past them. Arithmetic rather than a branch on the flag, a coin toss for the predictor.
/// Exact: w·1 or w·0.
template <class Removal>
void count_removals(std::span<const Removal> removals, std::size_t& i, std::uint64_t t, double& deaths,
                    double& censorings) noexcept {
  for (; i < removals.size() && (key_of(removals[i]) >> 1) == t; ++i) {
    const double w = weight_of(removals[i]), event = static_cast<double>(key_of(removals[i]) & 1);
    deaths += w * event;
    censorings += w - w * event;
  }
}

/// Σ of the case weights in input order (as repeated km_event_table::add would sum them); n without weights.
inline double sum_of_weights(std::span<const double> weights, std::size_t n) {
  if (weights.empty()) return static_cast<double>(n);
  double total = 0.0;
  for (double w : weights) total += w;
  return total;
}

/// Slack of the "S(t) ≤ q" test of medians and quantiles. S is a running product Π(1 − dᵢ/nᵢ) in floating
/// point, so a curve that is exactly 0.5 in exact arithmetic (24 subjects, 12 die one by one) can come
/// out as 0.5000000000000001, and a strict test would report the next time as the median. Rounding
/// over k event times is about k·2⁻⁵³ relative; 1e-12 absorbs it for curves of thousands of event
/// times, while genuine steps of S are ≥ 1/n (1e-6 for a million subjects).
inline constexpr double crossing_tolerance = 1e-12;

/// The product-limit recursion, one row at a time: S ← S·(1 − d/n) (Kaplan & Meier 1958, statsmodels'
/// `cumprod(1 - d / n)`) and Greenwood's sum ← + d/(n(n − d)), for d events among n at risk.
struct product_limit {
  double survival = 1.0, greenwood = 0.0;

  void add(double d, double n) noexcept {
    // Arithmetic rather than branches (whether a row has an event is a coin toss for the predictor):
    // a row without events has d = 0, so its factor is exactly 1 and its Greenwood term 0 (n is
    // replaced by 1 where nobody is at risk, to avoid 0/0). When everyone at risk dies (n = d; n < d
    // only by rounding of fractional weights) the factor is 0, so S stays 0 for good, and lifelines
    // replaces the infinite Greenwood term by 0. A fit is bound by these two divisions; split into a
    // division pass and a running product it was slower, as vectors divide no faster than scalars
    // (benchmarks/README.md).
    const double n_or_1 = n > 0.0 ? n : 1.0;
    survival *= std::max(1.0 - d / n_or_1, 0.0);
    greenwood += n > d ? d / (n * (n - d)) : 0.0;
  }
};

}  // namespace detail::km

class km_event_table;
struct kaplan_meier_result;

/// Fits the Kaplan–Meier curve of an event table (defined below; declared here to be the table's friend,
/// so that fitting a temporary table moves its columns instead of copying them).
inline kaplan_meier_result kaplan_meier(km_event_table table, double confidence = 0.95,
                                        survival_workspace* workspace = nullptr);

namespace detail::km {
/// Builds the event table of a validated, non-empty sample; `dense_span` is dense_time_span's answer.
/// On up to n_threads threads where that keeps one thread's bits (see event_table_of's definition).
inline km_event_table event_table_of(std::span<const double> durations, std::span<const std::uint8_t> observed,
                                     std::span<const double> entry, std::span<const double> weights,
                                     std::size_t dense_span, survival_workspace* workspace,
                                     std::int32_t n_threads = 1);
/// Validates (naming `where` in messages) and builds an event table; see km_event_table::from_spans.
inline km_event_table build_event_table(std::string_view where, std::span<const double> durations,
                                        std::span<const std::uint8_t> observed, std::span<const double> entry,
                                        std::span<const double> weights, survival_workspace* workspace);
}  // namespace detail::km

/// Mergeable partial state of a Kaplan–Meier fit: one row per distinct time with the weighted number of
/// events (deaths), censorings and entrances at that time, sorted by time. Everything the estimator
/// needs is a function of this table, so shards of a data set are summarised independently and
/// combined with `+=` (a linear merge of two sorted tables).
///
/// Counts are doubles (case weights). Merging adds them; with integer weights — or any weights whose
/// partial sums are exact in binary floating point, such as multiples of 1/2^k — shards merge to a table
/// bit-identical to the unsplit one. Otherwise merge order can change the last bit of a sum, as any
/// floating-point reduction.
///
/// Entrances follow lifelines' `survival_table_from_events`: without late entry every subject enters at
/// time 0, so a table built from right-censored data always has a row at 0.
class km_event_table {
 public:
  km_event_table() = default;
  // A copy's columns are advised for huge pages (detail::km::advise_fill): std::vector's own copy would
  // fault its fresh memory in 4 KiB page by page.
  km_event_table(const km_event_table& other) : km_event_table(other, nullptr) {}
  km_event_table(km_event_table&&) noexcept = default;
  km_event_table& operator=(const km_event_table& other) { return *this = km_event_table(other); }
  km_event_table& operator=(km_event_table&&) noexcept = default;
  ~km_event_table() = default;

  /// Bulk builder, O(n) for spread-out times: integer-valued times within ~2n go through a counting sort,
  /// other times through one bucket sort of the removals (and one of the entries when given) and a
  /// linear merge.
  /// `observed[i]` is 1 for an event, 0 for a censoring; `entry` (late entry / left truncation) and
  /// `weights` may be empty. Throws invalid_input naming the offending element. A `workspace` lends its
  /// spare buffers (see survival_workspace) and gets the sort buffers back.
  static km_event_table from_spans(std::span<const double> durations, std::span<const std::uint8_t> observed,
                                   std::span<const double> entry = {}, std::span<const double> weights = {},
                                   survival_workspace* workspace = nullptr) {
    return detail::km::build_event_table("km_event_table", durations, observed, entry, weights, workspace);
  }

  /// Adds one subject: exit at `duration` (an event when `observed`), entry at `entry` (0 = from the
  /// origin), case weight `weight`. O(rows) when the time is new — meant for streaming a few subjects;
  /// use from_spans for bulk data. Throws invalid_input on a bad value.
  void add(double duration, bool observed, double entry = 0.0, double weight = 1.0) {
    constexpr std::string_view where = "km_event_table::add";
    detail::km::check_duration(where, "duration", duration);
    detail::km::check_entry(where, "entry", entry, duration);
    detail::km::check_weight(where, "weight", weight);
    const std::size_t exit_row = row_at(duration);
    (observed ? observed_ : censored_)[exit_row] += weight;
    entrance_[row_at(entry)] += weight;
  }

  /// Merges another table into this one: rows at equal times add, the rest interleave in time order.
  km_event_table& operator+=(const km_event_table& other) {
    if (other.empty()) return *this;
    if (empty()) return *this = other;
    km_event_table merged;
    merged.reserve(size() + other.size(), nullptr);
    std::size_t i = 0, j = 0;
    while (i < size() || j < other.size()) {
      if (j == other.size() || (i < size() && time_[i] < other.time_[j])) {
        merged.push_row(time_[i], observed_[i], censored_[i], entrance_[i]);
        ++i;
      } else if (i == size() || other.time_[j] < time_[i]) {
        merged.push_row(other.time_[j], other.observed_[j], other.censored_[j], other.entrance_[j]);
        ++j;
      } else {
        merged.push_row(time_[i], observed_[i] + other.observed_[j], censored_[i] + other.censored_[j],
                        entrance_[i] + other.entrance_[j]);
        ++i;
        ++j;
      }
    }
    return *this = std::move(merged);
  }

  friend km_event_table operator+(km_event_table a, const km_event_table& b) {
    a += b;
    return a;
  }

  bool operator==(const km_event_table&) const = default;

  /// Number of distinct times (rows).
  std::size_t size() const noexcept { return time_.size(); }
  bool empty() const noexcept { return time_.empty(); }

  /// The columns of lifelines' event table, one entry per row.
  const std::vector<double>& times() const noexcept { return time_; }
  const std::vector<double>& observed() const noexcept { return observed_; }
  const std::vector<double>& censored() const noexcept { return censored_; }
  const std::vector<double>& entrance() const noexcept { return entrance_; }

  /// lifelines' `at_risk` column: Σ_{j≤i} entrance_j − Σ_{j<i} removed_j (entrants of row i included).
  /// Computed from the tail as Σ_{j≥i} removed_j − Σ_{j>i} entrance_j (the same number, since total
  /// entrances = total removals): it is exact where a curve ends, so a last row where everyone at risk
  /// dies gives S = 0 exactly even with fractional weights. The column comes from `workspace`'s spares
  /// when given one.
  std::vector<double> at_risk(survival_workspace* workspace = nullptr) const {
    std::vector<double> out = detail::km::sized_column(size(), workspace);
    double removed_from_here = 0.0, entering_later = 0.0;
    for (std::size_t i = size(); i-- > 0;) {
      removed_from_here += observed_[i] + censored_[i];
      out[i] = removed_from_here - entering_later;
      entering_later += entrance_[i];
    }
    return out;
  }

  /// Σ weights of all subjects (= Σ entrance).
  double total_weight() const noexcept {
    double total = 0.0;
    for (double e : entrance_) total += e;
    return total;
  }

  /// A copy whose columns come from `workspace`'s spares (the copy constructor's are fresh memory), e.g.
  /// to fit a table repeatedly without consuming it.
  km_event_table copy(survival_workspace* workspace) const { return km_event_table(*this, workspace); }

  /// Hands the columns to `workspace` for a later fit and leaves this table empty: for a caller that
  /// builds tables repeatedly and is done with this one.
  void recycle(survival_workspace& workspace) {
    detail::km::recycle_columns(workspace, {&time_, &observed_, &censored_, &entrance_});
  }

 private:
  friend km_event_table detail::km::event_table_of(std::span<const double>, std::span<const std::uint8_t>,
                                                   std::span<const double>, std::span<const double>, std::size_t,
                                                   survival_workspace*, std::int32_t);
  friend kaplan_meier_result kaplan_meier(km_event_table, double, survival_workspace*);
  friend struct detail::state_io<km_event_table>;

  km_event_table(const km_event_table& other, survival_workspace* workspace)
      : time_(detail::km::copy_column(other.time_, workspace)),
        observed_(detail::km::copy_column(other.observed_, workspace)),
        censored_(detail::km::copy_column(other.censored_, workspace)),
        entrance_(detail::km::copy_column(other.entrance_, workspace)) {}

  void reserve(std::size_t rows, survival_workspace* workspace) {
    for (auto* column : {&time_, &observed_, &censored_, &entrance_})
      *column = detail::km::take_column(rows, workspace);
  }

  void push_row(double t, double observed, double censored, double entrance) {
    time_.push_back(t);
    observed_.push_back(observed);
    censored_.push_back(censored);
    entrance_.push_back(entrance);
  }

  /// Index of the row at time t, inserting an empty row if there is none.
  std::size_t row_at(double t) {
    t += 0.0;  // −0.0 → +0.0
    const auto it = std::lower_bound(time_.begin(), time_.end(), t);
    const auto row = static_cast<std::size_t>(it - time_.begin());
    if (it == time_.end() || *it != t) {
      const auto at = static_cast<std::ptrdiff_t>(row);
      time_.insert(time_.begin() + at, t);
      observed_.insert(observed_.begin() + at, 0.0);
      censored_.insert(censored_.begin() + at, 0.0);
      entrance_.insert(entrance_.begin() + at, 0.0);
    }
    return row;
  }

  /// Counting sort for integer-valued times in [0, span): one pass drops every subject into the bucket
  /// of its exit (and entry) time, one pass over the buckets emits the rows. Sums accumulate in input
  /// order, as in the bucket-sort path and in repeated add(). Unweighted, on up to n_threads threads:
  /// blocks of subjects into buckets of their own, added up — whole-number counts, so exact.
  void assemble_dense(std::span<const double> durations, std::span<const std::uint8_t> observed,
                      std::span<const double> entry, std::span<const double> weights, std::size_t span,
                      survival_workspace* workspace, std::int32_t n_threads = 1) {
    struct buckets {
      std::vector<double> deaths, censorings, entering;
      std::vector<std::uint8_t> present;  // a row exists even if its weights are all 0
    };
    const std::size_t n = durations.size();
    auto drop = [&](buckets& b, std::size_t first, std::size_t last) {
      for (std::size_t i = first; i < last; ++i) {
        const auto t = static_cast<std::size_t>(durations[i]);
        (observed[i] != 0 ? b.deaths : b.censorings)[t] += weights.empty() ? 1.0 : weights[i];
        b.present[t] = 1;
      }
      for (std::size_t i = first; i < std::min(last, entry.size()); ++i) {
        const auto t = static_cast<std::size_t>(entry[i]);
        b.entering[t] += weights.empty() ? 1.0 : weights[i];
        b.present[t] = 1;
      }
    };
    auto add = [span](buckets& into, const buckets& from) {
      for (std::size_t t = 0; t < span; ++t) {
        into.deaths[t] += from.deaths[t], into.censorings[t] += from.censorings[t];
        into.entering[t] += from.entering[t], into.present[t] |= from.present[t];
      }
    };
    buckets b = for_each_block_reduce(
        n, weights.empty() ? n_threads : 1,  // weighted sums must keep the input order
        buckets{std::vector<double>(span, 0.0), std::vector<double>(span, 0.0), std::vector<double>(span, 0.0),
                std::vector<std::uint8_t>(span, 0)},
        drop, add, block_grain::subjects, span * (3 * sizeof(double) + 1));
    if (entry.empty()) {
      b.entering[0] = detail::km::sum_of_weights(weights, n);
      b.present[0] = 1;
    }
    std::size_t rows = 0;
    for (std::uint8_t p : b.present) rows += p;
    reserve(rows, workspace);
    for (std::size_t t = 0; t < span; ++t)
      if (b.present[t]) push_row(static_cast<double>(t), b.deaths[t], b.censorings[t], b.entering[t]);
  }

  /// Builds the rows from removal records sorted on (time, event flag) and entrance records sorted on
  /// time, in one merging pass. The columns are reserved for the worst case (every time distinct) and
  /// shrunk when many times repeat.
  template <class Removal, class Entrance>
  void assemble(std::span<const Removal> removals, std::span<const Entrance> entrances,
                survival_workspace* workspace) {
    using detail::km::key_of;
    using detail::km::weight_of;
    constexpr std::uint64_t none = ~std::uint64_t{0};
    const std::size_t n = removals.size(), m = entrances.size();
    // Written through raw pointers, which stay in registers (push_back's ends did not), then cut to size.
    for (auto* column : {&time_, &observed_, &censored_, &entrance_})
      *column = detail::km::sized_column(n + m, workspace);
    double *time = time_.data(), *observed = observed_.data(), *censored = censored_.data(),
           *entrance = entrance_.data();
    std::size_t rows = 0;
    for (std::size_t i = 0, j = 0; i < n || j < m; ++rows) {
      const std::uint64_t t = std::min(i < n ? key_of(removals[i]) >> 1 : none, j < m ? key_of(entrances[j]) >> 1 : none);
      double deaths = 0.0, censorings = 0.0, entering = 0.0;
      detail::km::count_removals(removals, i, t, deaths, censorings);
      for (; j < m && (key_of(entrances[j]) >> 1) == t; ++j) entering += weight_of(entrances[j]);
      time[rows] = detail::km::time_from_bits(t);
      observed[rows] = deaths;
      censored[rows] = censorings;
      entrance[rows] = entering;
    }
    detail::km::trim_columns({&time_, &observed_, &censored_, &entrance_}, rows);
  }

  std::vector<double> time_;
  std::vector<double> observed_;
  std::vector<double> censored_;
  std::vector<double> entrance_;
};

namespace detail::km {

/// Fills n records with make(i), sorts them on their keys and hands them to use(span). Sort buffers are
/// uninitialised (no zero-fill pass) and come from `workspace`'s spares when given one (no page faults).
/// On up to n_threads threads: the stable sort in blocks, merged (the order of one thread's).
template <class Make, class Use>
void sort_records(std::size_t n, Make make, Use use, survival_workspace* workspace, std::int32_t n_threads = 1) {
  using Record = decltype(make(std::size_t{0}));
  scratch_buffer<Record> records(n, workspace);
  {
    scratch_buffer<Record> scratch(n, workspace);
    for_each_block(
        n, n_threads,
        [&](std::size_t first, std::size_t last) {
          for (std::size_t i = first; i < last; ++i) records.data()[i] = make(i);
          sort_records_in_place(records.data() + first, scratch.data() + first, last - first);
        },
        block_grain::subjects);
    const Record* sorted =
        merge_sorted_blocks(records.data(), scratch.data(), n, block_count(n, n_threads, block_grain::subjects));
    if (sorted != records.data()) std::copy_n(sorted, n, records.data());  // scratch goes back now
  }
  use(std::span<const Record>(records.data(), n));
}

/// Threads: the sorts in blocks (stable, merged: the records in one thread's order, so every later
/// sum is one thread's) and, unweighted, the counting sort's buckets (exact counts).
inline km_event_table event_table_of(std::span<const double> durations, std::span<const std::uint8_t> observed,
                                     std::span<const double> entry, std::span<const double> weights,
                                     std::size_t dense_span, survival_workspace* workspace, std::int32_t n_threads) {
  const std::size_t n = durations.size();
  km_event_table table;
  // Integer-valued times (days, weeks, months: the common case) within a range comparable to n need no
  // sort at all — a counting sort into per-time buckets.
  if (dense_span != 0) {
    table.assemble_dense(durations, observed, entry, weights, dense_span, workspace, n_threads);
    return table;
  }

  // Entrances: everyone at time 0 without late entry (their weights summed in input order, as repeated
  // add() would), otherwise one sorted record per subject.
  auto assemble_with_entrances = [&](auto removals) {
    auto assemble = [&](auto entrances) { table.assemble(removals, entrances, workspace); };
    if (entry.empty()) {
      const weighted_key everyone[1] = {{time_key(0.0), sum_of_weights(weights, n)}};
      assemble(std::span<const weighted_key>(everyone));
    } else if (weights.empty()) {
      sort_records(n, [&](std::size_t i) { return time_key(entry[i]); }, assemble, workspace, n_threads);
    } else {
      sort_records(n, [&](std::size_t i) { return weighted_key{time_key(entry[i]), weights[i]}; }, assemble,
                   workspace, n_threads);
    }
  };
  // Without weights the sort moves bare 8-byte keys.
  if (weights.empty())
    sort_records(n, [&](std::size_t i) { return time_key(durations[i], observed[i] != 0); }, assemble_with_entrances,
                 workspace, n_threads);
  else
    sort_records(n, [&](std::size_t i) { return weighted_key{time_key(durations[i], observed[i] != 0), weights[i]}; },
                 assemble_with_entrances, workspace, n_threads);
  return table;
}

inline km_event_table build_event_table(std::string_view where, std::span<const double> durations,
                                        std::span<const std::uint8_t> observed, std::span<const double> entry,
                                        std::span<const double> weights, survival_workspace* workspace) {
  check_survival_spans(where, durations, observed, entry, weights);
  if (durations.empty()) return {};
  return event_table_of(durations, observed, entry, weights, dense_time_span(durations, entry, durations.size()),
                        workspace);
}

}  // namespace detail::km

/// A fitted Kaplan–Meier curve, as lifelines' `KaplanMeierFitter` with the default timeline: one entry
/// per row of the event table (every distinct exit or entry time, starting at 0 unless all subjects
/// enter late), each vector of that length. Columns that are one arithmetic step from these
/// (cumulative density, variance, removed, the confidence band) are computed on request: writing a
/// stored column costs more than its arithmetic. Those methods take an optional workspace for the new
/// column (see survival_workspace); recycle() hands a result's columns to one when it is done with.
struct kaplan_meier_result {
  std::vector<double> timeline;
  /// S(t) = Π_{tᵢ ≤ t} (1 − dᵢ/nᵢ) (Kaplan & Meier 1958), accumulated as that product (statsmodels'
  /// `cumprod(1 - d / n)`; lifelines sums logs instead, which agrees to rounding).
  std::vector<double> survival;
  /// Σ_{tᵢ ≤ t} dᵢ / (nᵢ(nᵢ − dᵢ)) — Greenwood's sum, the variance of log S(t) (lifelines'
  /// `_cumulative_sq_`); a row with nᵢ = dᵢ adds 0, as lifelines replaces its infinite term by 0.
  std::vector<double> greenwood_sum;
  /// lifelines' event table: at_risk counts the entrants of the row itself (see km_event_table::at_risk);
  /// the estimator's nᵢ is at_risk − entrance except on the first row, where subjects entering at that
  /// time are at risk for its events (lifelines issue #497). With 0 ≤ entry < duration this means: at
  /// risk at t when entry < t ≤ duration, or entry = t = 0.
  std::vector<double> at_risk;
  std::vector<double> observed;
  std::vector<double> censored;
  std::vector<double> entrance;
  /// Confidence level of the band and of the median's interval.
  double confidence = 0.95;

  bool empty() const noexcept { return timeline.empty(); }

  /// Hands every column to `workspace` for a later fit and leaves this result empty (its confidence
  /// kept): for a caller that fits repeatedly and is done with this curve.
  void recycle(survival_workspace& workspace) {
    detail::km::recycle_columns(workspace, {&timeline, &survival, &greenwood_sum, &at_risk, &observed, &censored,
                                            &entrance});
  }

  /// 1 − S(t), lifelines' cumulative_density_.
  std::vector<double> cumulative_density(survival_workspace* workspace = nullptr) const {
    return per_row([this](std::size_t i) { return 1.0 - survival[i]; }, workspace);
  }

  /// Greenwood (1926) variance of S(t): S(t)² · greenwood_sum (0 where S = 0).
  std::vector<double> variance(survival_workspace* workspace = nullptr) const {
    return per_row([this](std::size_t i) { return survival[i] * survival[i] * greenwood_sum[i]; }, workspace);
  }

  /// removed = observed + censored (lifelines' event-table column).
  std::vector<double> removed(survival_workspace* workspace = nullptr) const {
    return per_row([this](std::size_t i) { return observed[i] + censored[i]; }, workspace);
  }

  /// Pointwise exponential-Greenwood ("log(−log)") interval of S at timeline row i, at `confidence`
  /// (Kalbfleisch & Prentice 1980, §1.3): exp(−exp(log(−log S) ∓ z·√greenwood_sum / log S)), written as
  /// exp(v·e^{∓h}) with v = log S and h = z·√greenwood_sum / v; (1, 1) where S = 1 and (0, 0) where
  /// S = 0, as lifelines' `_bounds` (its fillna(1.0) and exp(−exp(+inf))).
  detail::interval band_at_row(std::size_t i) const { return band(survival[i], greenwood_sum[i], z()); }

  /// The band on every timeline row (lifelines' confidence_interval_), as (low, high) columns.
  std::pair<std::vector<double>, std::vector<double>> confidence_band(survival_workspace* workspace = nullptr) const {
    const double z_value = z();
    std::vector<double> low = detail::km::take_column(survival.size(), workspace);
    std::vector<double> high = detail::km::take_column(survival.size(), workspace);
    detail::interval ci{1.0, 1.0};
    for (std::size_t i = 0; i < survival.size(); ++i) {
      // The band only moves where S does; elsewhere the previous row's values are reused.
      if (i == 0 || observed[i] > 0.0) ci = band(survival[i], greenwood_sum[i], z_value);
      low.push_back(ci.low);
      high.push_back(ci.high);
    }
    return {std::move(low), std::move(high)};
  }

  /// S(t) of the right-continuous step function; 1 before the first time, NaN for an empty fit or t NaN.
  double survival_at(double t) const noexcept {
    const std::ptrdiff_t row = row_at(t);
    return row == missing ? detail::nan : row < 0 ? 1.0 : survival[static_cast<std::size_t>(row)];
  }

  /// The band at time t (see band_at_row): (1, 1) before the first time, NaN for an empty fit or t NaN.
  detail::interval band_at(double t) const {
    const std::ptrdiff_t row = row_at(t);
    if (row == missing) return {};
    return row < 0 ? detail::interval{1.0, 1.0} : band_at_row(static_cast<std::size_t>(row));
  }

  /// Smallest t with S(t) ≤ q (lifelines' qth_survival_time, allowing detail::km::crossing_tolerance for
  /// rounding); +inf when S stays above q, NaN when empty.
  double survival_time(double q) const noexcept {
    if (survival.empty() || std::isnan(q)) return detail::nan;
    const double threshold = q + detail::km::crossing_tolerance;
    if (survival.back() > threshold) return detail::km::inf;
    // S is non-increasing (every factor is in [0, 1]), so a binary search finds the first crossing.
    const auto it = std::partition_point(survival.begin(), survival.end(),
                                         [threshold](double s) { return s > threshold; });
    return timeline[static_cast<std::size_t>(it - survival.begin())];
  }

  /// Median survival time: smallest t with S(t) ≤ 0.5; +inf if never, NaN for an empty fit (Kaplan &
  /// Meier 1958 §6; lifelines' median_survival_time_).
  double median() const noexcept { return survival_time(0.5); }

  /// Interval for the median as lifelines' `median_survival_times(kmf.confidence_interval_)`: the same
  /// crossing rule applied to the lower band (→ low) and to the upper band (→ high, +inf if it stays
  /// above 0.5). A scan, not a binary search: the band need not be monotone.
  detail::interval median_ci() const {
    if (survival.empty()) return {};
    const double threshold = 0.5 + detail::km::crossing_tolerance, z_value = z();
    detail::interval out{detail::km::inf, detail::km::inf};
    for (std::size_t i = 0; i < survival.size() && out.high == detail::km::inf; ++i) {
      if (i > 0 && observed[i] == 0.0) continue;  // the band is flat between event rows
      const detail::interval ci = band(survival[i], greenwood_sum[i], z_value);
      if (out.low == detail::km::inf && ci.low <= threshold) out.low = timeline[i];
      if (ci.high <= threshold) out.high = timeline[i];
    }
    return out;
  }

 private:
  static constexpr std::ptrdiff_t missing = std::numeric_limits<std::ptrdiff_t>::min();

  double z() const { return detail::z_critical(confidence); }

  static detail::interval band(double s, double greenwood, double z_value) {
    if (s == 1.0) return {1.0, 1.0};
    if (s == 0.0) return {0.0, 0.0};
    const double v = std::log(s), grow = std::exp(z_value * std::sqrt(greenwood) / v);
    return {std::exp(v / grow), std::exp(v * grow)};
  }

  /// Row of the step function at t: the last row with timeline ≤ t, −1 before the first, `missing` for
  /// an empty fit or t NaN.
  std::ptrdiff_t row_at(double t) const noexcept {
    if (timeline.empty() || std::isnan(t)) return missing;
    return std::upper_bound(timeline.begin(), timeline.end(), t) - timeline.begin() - 1;
  }

  template <class F>
  std::vector<double> per_row(F value, survival_workspace* workspace) const {
    std::vector<double> out = detail::km::sized_column(timeline.size(), workspace);
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = value(i);
    return out;
  }
};

/// Fits the Kaplan–Meier curve of an event table. An empty table gives an empty curve (median NaN):
/// a shard without subjects is a valid state, not an error. Throws invalid_input when confidence is
/// outside (0, 1). One pass from the tail (at-risk sums) and one forward pass of two divisions per row;
/// the band is left to confidence_band() and band_at(), whose logs and exps cost more than the rest of
/// the fit together. With a `workspace`, new columns come from its spares.
inline kaplan_meier_result kaplan_meier(km_event_table table, double confidence, survival_workspace* workspace) {
  detail::km::check_confidence("kaplan_meier", confidence);
  const std::size_t rows = table.size();
  kaplan_meier_result r;
  r.confidence = confidence;
  if (rows == 0) return r;

  r.at_risk = table.at_risk(workspace);
  r.timeline = std::move(table.time_);
  r.observed = std::move(table.observed_);
  r.censored = std::move(table.censored_);
  r.entrance = std::move(table.entrance_);
  r.survival = detail::km::sized_column(rows, workspace);
  r.greenwood_sum = detail::km::sized_column(rows, workspace);
  const double *observed = r.observed.data(), *at_risk = r.at_risk.data(), *entrance = r.entrance.data();
  double *survival = r.survival.data(), *greenwood_sum = r.greenwood_sum.data();
  detail::km::product_limit curve;
  for (std::size_t i = 0; i < rows; ++i) {
    curve.add(observed[i], i == 0 ? at_risk[0] : at_risk[i] - entrance[i]);
    survival[i] = curve.survival;
    greenwood_sum[i] = curve.greenwood;
  }
  return r;
}

namespace detail::km {

/// The curve of an unweighted sample without late entry, from its sorted keys, in one pass: the rows of
/// its event table (as km_event_table::assemble with everyone entering at 0), their at-risk counts and
/// the product limit. Equal to the bit to building the table and fitting it (tested): the counts are
/// whole numbers, so at risk counted down from n equals at_risk()'s sums from the tail. With distinct
/// times it saves writing and re-reading five columns of n doubles.
inline kaplan_meier_result fit_sorted_keys(std::span<const std::uint64_t> keys, double confidence,
                                           survival_workspace* workspace) {
  const std::size_t n = keys.size(), capacity = n + 1;  // + the row at time 0
  kaplan_meier_result r;
  r.confidence = confidence;
  for (auto* column : {&r.timeline, &r.survival, &r.greenwood_sum, &r.at_risk, &r.observed, &r.censored, &r.entrance})
    *column = sized_column(capacity, workspace);
  double *timeline = r.timeline.data(), *survival = r.survival.data(), *greenwood_sum = r.greenwood_sum.data(),
         *at_risk = r.at_risk.data(), *observed = r.observed.data(), *censored = r.censored.data(),
         *entrance = r.entrance.data();
  product_limit curve;
  double remaining = static_cast<double>(n);
  std::size_t rows = 0, i = 0;
  // One row per distinct time; everyone enters at time 0, which always has a row (as in lifelines).
  auto add_row = [&](std::uint64_t t, double entering) {
    double deaths = 0.0, censorings = 0.0;
    count_removals(keys, i, t, deaths, censorings);
    timeline[rows] = time_from_bits(t);
    observed[rows] = deaths;
    censored[rows] = censorings;
    entrance[rows] = entering;
    at_risk[rows] = remaining;
    curve.add(deaths, remaining);
    survival[rows] = curve.survival;
    greenwood_sum[rows] = curve.greenwood;
    remaining -= deaths + censorings;
    ++rows;
  };
  add_row(0, remaining);
  while (i < n) add_row(keys[i] >> 1, 0.0);
  trim_columns({&r.timeline, &r.survival, &r.greenwood_sum, &r.at_risk, &r.observed, &r.censored, &r.entrance}, rows);
  return r;
}

/// kaplan_meier(durations, observed, entry, weights): validated, then as an event table and its fit, or
/// — unweighted, without late entry, and not a counting sort — in one pass from the sorted keys. The
/// sorts (and unweighted counting) on up to n_threads threads; the sums over the sorted rows on one.
inline kaplan_meier_result fit_sample(std::string_view where, std::span<const double> durations,
                                      std::span<const std::uint8_t> observed, std::span<const double> entry,
                                      std::span<const double> weights, double confidence,
                                      survival_workspace* workspace, std::int32_t n_threads = 1) {
  check_threads(n_threads, where);
  check_confidence(where, confidence);
  check_survival_spans(where, durations, observed, entry, weights);
  const std::size_t n = durations.size();
  if (n == 0) return kaplan_meier(km_event_table(), confidence, workspace);
  const std::size_t dense_span = dense_time_span(durations, entry, n);
  if (!entry.empty() || !weights.empty() || dense_span != 0)
    return kaplan_meier(event_table_of(durations, observed, entry, weights, dense_span, workspace, n_threads),
                        confidence, workspace);
  if (simd::has_sort_u64()) {  // the keys made inside the sort's first pass (simd_sort.hpp), by blocks
    scratch_buffer<std::uint64_t> keys(n, workspace), scratch(n, workspace);
    for_each_block(
        n, n_threads,
        [&](std::size_t first, std::size_t last) {
          simd::sort_time_keys(durations.data() + first, observed.data() + first, keys.data() + first,
                               scratch.data() + first, last - first);
        },
        block_grain::subjects);
    const std::uint64_t* sorted =
        merge_sorted_blocks(keys.data(), scratch.data(), n, block_count(n, n_threads, block_grain::subjects));
    return fit_sorted_keys(std::span<const std::uint64_t>(sorted, n), confidence, workspace);
  }
  kaplan_meier_result r;
  sort_records(
      n, [&](std::size_t i) { return time_key(durations[i], observed[i] != 0); },
      [&](std::span<const std::uint64_t> keys) { r = fit_sorted_keys(keys, confidence, workspace); }, workspace,
      n_threads);
  return r;
}

}  // namespace detail::km

/// Fits the Kaplan–Meier curve of a sample. `observed[i]` is 1 (event) or 0 (censored): a byte per
/// subject, the layout of a NumPy bool/uint8 array and an eighth of a double 0/1 column, and a type
/// that cannot carry 0.5. `entry` (late entry, 0 ≤ entry < duration) and `weights` (case weights ≥ 0)
/// may be empty. Throws invalid_input naming the offending element; an empty sample gives an empty curve.
/// A `workspace` lends its spare buffers and gets the sort buffers back (see survival_workspace); the
/// result is the same to the bit with or without one. On up to `n_threads` threads (1..max_threads, else
/// invalid_input): the sort by time in blocks merged into one thread's order, and unweighted integer
/// times counted per block (exact counts); the weighted counting sort and the sums over the sorted
/// rows stay on one thread, so the bits are one thread's for any count.
inline kaplan_meier_result kaplan_meier(std::span<const double> durations, std::span<const std::uint8_t> observed,
                                        std::span<const double> entry = {}, std::span<const double> weights = {},
                                        double confidence = 0.95, survival_workspace* workspace = nullptr,
                                        std::int32_t n_threads = 1) {
  return detail::km::fit_sample("kaplan_meier", durations, observed, entry, weights, confidence, workspace,
                                n_threads);
}

}  // namespace custhealth
