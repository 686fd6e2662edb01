// custhealth/retention/cohort.hpp — cohort retention matrices (heads from usage, revenue from MRR) as
// mergeable count grids, plus the per-account walks over the CSR index that every retention analytic shares.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "custhealth/dataset.hpp"
#include "custhealth/detail/state_io.hpp"
#include "custhealth/detail/stats.hpp"
#include "custhealth/error.hpp"
#include "custhealth/parallel.hpp"
#include "custhealth/table.hpp"
#include "custhealth/time.hpp"

namespace custhealth {

inline cohort_mode parse_cohort_mode(std::string_view s) { return parse_enum<cohort_mode>("mode", s); }
inline cohort_origin parse_cohort_origin(std::string_view s) {
  return parse_enum<cohort_origin>("cohort_by", s);
}
inline cohort_value parse_cohort_value(std::string_view s) { return parse_enum<cohort_value>("value", s); }

/// The codes of the named events in `usage.events`, for the `events` filters; throws invalid_input
/// for a name the usage table does not contain (a typo would otherwise silently empty the matrix).
inline std::vector<std::int32_t> event_codes(const usage_table& usage, std::span<const std::string> names) {
  std::vector<std::int32_t> codes;
  codes.reserve(names.size());
  for (const auto& name : names) {
    const auto code = usage.events.find(name);
    if (code == no_code) throw invalid_input("unknown event \"" + name + "\": the usage table has no such event");
    codes.push_back(code);
  }
  return codes;
}

namespace detail {

inline constexpr std::int64_t no_period = std::numeric_limits<std::int64_t>::min();

/// Which event codes count as activity: all (no filter), or a set given as a bitmap over the codes,
/// built once so the hot loop tests one byte per event.
class activity_filter {
 public:
  activity_filter(const usage_table& usage, std::span<const std::int32_t> events) {
    if (events.empty()) return;
    allowed_.assign(usage.events.size(), 0);
    for (const auto code : events) {
      // no_code: a name absent from this shard of the usage table (custhealth.dask checks the names
      // over the whole table), which selects nothing here.
      if (code == no_code) continue;
      if (code < 0 || std::size_t(code) >= allowed_.size())
        throw invalid_input("event code " + std::to_string(code) + " is not in the usage table's event dictionary");
      allowed_[std::size_t(code)] = 1;
    }
  }
  /// Whether row `r` of `usage` qualifies; the event column is read only when there is a filter.
  bool operator()(const usage_table& usage, std::size_t r) const noexcept {
    return allowed_.empty() || allowed_[std::size_t(usage.event[r])];
  }

 private:
  std::vector<std::uint8_t> allowed_;
};

/// Calls `f(p)` for each distinct period `p`, in increasing order, in which account `a` has a
/// qualifying usage event at a time < `limit`. Rows are time-sorted per account (the CSR index),
/// so the end of the current period is cached and an event inside it costs one comparison; only
/// the first event of each period pays for a calendar conversion. No allocation.
template <class F>
void for_each_active_period(const usage_table& usage, std::int32_t a, const activity_filter& filter, period unit,
                            timestamp limit, F&& f) {
  timestamp period_end = std::numeric_limits<timestamp>::min();
  for (auto r = std::size_t(usage.index.begin(a)), end = std::size_t(usage.index.end(a)); r < end; ++r) {
    const timestamp t = usage.time[r];
    if (t >= limit) break;
    if (t < period_end || !filter(usage, r)) continue;
    const std::int64_t p = period_index(t, unit);
    period_end = period_start(p + 1, unit);
    f(p);
  }
}

/// The rows of account `a`'s first and last qualifying events before `limit` ({−1, −1} if none):
/// a binary search for `limit` in its time-sorted rows, then a scan inward from each end.
inline std::pair<std::int64_t, std::int64_t> active_bounds(const usage_table& usage, std::int32_t a,
                                                           const activity_filter& filter, timestamp limit) {
  const timestamp* times = usage.time.data();
  const auto begin = usage.index.begin(a);
  const auto end = std::lower_bound(times + begin, times + usage.index.end(a), limit) - times;
  auto first = begin, last = end - 1;
  while (first < end && !filter(usage, std::size_t(first))) ++first;
  if (first == end) return {-1, -1};
  while (!filter(usage, std::size_t(last))) --last;
  return {first, last};
}

/// The period of the earliest row before `limit` over all accounts of an event table (its
/// sort_time: a usage event, an MRR month), or no_period — a lower bound of every account's first
/// active period, read from the first row of each account.
template <class Table>
timestamp earliest_time(const Table& t) {
  const auto& time = t.*Table::sort_time;
  timestamp first = std::numeric_limits<timestamp>::max();
  for (std::int32_t a = 0; a < std::int32_t(t.index.accounts()); ++a)
    if (t.index.count(a) > 0) first = std::min(first, time[std::size_t(t.index.begin(a))]);
  return first;
}
template <class Table>
std::int64_t earliest_period(const Table& t, period unit, timestamp limit) {
  const timestamp first = earliest_time(t);
  return first < limit ? period_index(first, unit) : no_period;
}

/// Month number (period_index in months) of an MRR row.
inline std::int64_t mrr_month(const mrr_table& t, std::size_t r) noexcept { return period_index(t.month[r], period::month); }

/// The month range [first, last] (month numbers) of the MRR rows before `as_of`; first > last if none.
struct month_range {
  std::int64_t first = std::numeric_limits<std::int64_t>::max();
  std::int64_t last = std::numeric_limits<std::int64_t>::min();
  bool empty() const noexcept { return first > last; }
};
inline month_range mrr_months(const mrr_table& t, timestamp as_of) {
  month_range out;
  for (std::size_t r = 0; r < t.size(); ++r)
    if (t.month[r] < as_of) {
      const auto m = mrr_month(t, r);
      out.first = std::min(out.first, m), out.last = std::max(out.last, m);
    }
  return out;
}

/// A dense block of cells: rows keyed by an absolute period index, a few columns. `+=` re-frames both
/// to the union of their rows and columns and adds cell by cell, which is how partial states of
/// disjoint account shards merge; integer counts held as doubles stay exact below 2^53.
class period_grid {
 public:
  period_grid() = default;
  period_grid(std::int64_t first, std::int64_t rows, std::size_t cols)
      : first_(first), rows_(rows), cols_(cols), cells_(std::size_t(rows) * cols, 0.0) {}

  std::int64_t first() const noexcept { return first_; }
  std::int64_t rows() const noexcept { return rows_; }
  std::size_t cols() const noexcept { return cols_; }
  bool empty() const noexcept { return rows_ == 0; }
  /// The cells' memory (what a copy per thread costs).
  std::size_t bytes() const noexcept { return sizeof(double) * cells_.size(); }
  bool contains(std::int64_t r) const noexcept { return r >= first_ && r < first_ + rows_; }

  double* row(std::int64_t r) noexcept { return cells_.data() + std::size_t(r - first_) * cols_; }
  const double* row(std::int64_t r) const noexcept { return cells_.data() + std::size_t(r - first_) * cols_; }
  /// The cell at absolute row `r`, column `c`; 0 outside the grid.
  double at(std::int64_t r, std::size_t c) const noexcept { return contains(r) && c < cols_ ? row(r)[c] : 0.0; }

  /// Re-frames to rows [first, first + rows) × cols, keeping the cells inside both frames.
  void reframe(std::int64_t first, std::int64_t rows, std::size_t cols) {
    if (first == first_ && rows == rows_ && cols == cols_) return;
    period_grid out(first, rows, cols);
    const auto lo = std::max(first, first_), hi = std::min(first + rows, first_ + rows_);
    const auto width = std::min(cols, cols_);
    for (auto r = lo; r < hi; ++r) std::copy_n(row(r), width, out.row(r));
    *this = std::move(out);
  }

  period_grid& operator+=(const period_grid& other) {
    if (other.empty()) return *this;
    if (empty()) return *this = other;
    const auto lo = std::min(first_, other.first_), hi = std::max(first_ + rows_, other.first_ + other.rows_);
    reframe(lo, hi - lo, std::max(cols_, other.cols_));
    for (auto r = other.first_; r < other.first_ + other.rows_; ++r)
      for (std::size_t c = 0; c < other.cols_; ++c) row(r)[c] += other.row(r)[c];
    return *this;
  }

  friend bool operator==(const period_grid&, const period_grid&) = default;

 private:
  friend struct state_io<period_grid>;
  std::int64_t first_ = 0;
  std::int64_t rows_ = 0;
  std::size_t cols_ = 0;
  std::vector<double> cells_;
};

struct cohort_builder;

}  // namespace detail

/// What cohort_retention computes.
struct cohort_options {
  custhealth::period period = custhealth::period::month;                             // D, W (ISO, Monday), M or Q
  cohort_mode mode = cohort_mode::on;
  cohort_origin cohort_by = cohort_origin::first_activity;
  cohort_value value = cohort_value::accounts;             // mrr: revenue cohorts (unit M or Q, mode on)
  std::vector<std::int32_t> events;                        // codes into usage.events that count as activity; empty: all
  timestamp as_of = no_time;  // only rows with time < as_of; default: the end of the data (see cohort_retention)
  std::int32_t n_threads = 1;  // head cohorts: accounts in blocks, one matrix each, merged exactly (counts)
};

/// A cohort retention matrix and, at the same time, its mergeable partial state: cohort sizes and
/// cell counts are sums over accounts, so matrices of disjoint account shards computed with the same
/// unit, mode, value and as-of combine exactly with `+=`.
///
/// Rows are the cohorts from the first to the last one with an account (dense: a period without new
/// accounts is a row of size 0); columns are offsets k = 0 … L − c₀ where L is the last fully observed
/// period (the period before the one containing as_of) and c₀ the first cohort. Cell (c, k) is
/// *observed* when period c+k ends at or before as_of and does not begin before the activity table's
/// data does, i.e. F ≤ c + k ≤ L with F the period of its first row; other cells count nothing and
/// their rate is NaN — not known, not zero (cohorts by start date can begin years before the usage
/// log: those periods had no data, not no activity).
class cohort_matrix {
 public:
  cohort_matrix() = default;
  cohort_matrix(custhealth::period p, cohort_mode mode, cohort_value value, timestamp as_of)
      : period_(p), mode_(mode), value_(value), as_of_(as_of) {}

  custhealth::period period() const noexcept { return period_; }
  cohort_mode mode() const noexcept { return mode_; }
  cohort_value value() const noexcept { return value_; }
  timestamp as_of() const noexcept { return as_of_; }
  /// L: the last period that ends at or before as_of.
  std::int64_t last_observed_period() const noexcept { return last_complete_period(as_of_, period_); }

  std::size_t n_cohorts() const noexcept { return std::size_t(sizes_.rows()); }
  std::size_t n_offsets() const noexcept { return counts_.cols(); }
  /// Period index of cohort row `i`, and the first second of that period.
  std::int64_t cohort_period(std::size_t i) const noexcept { return sizes_.first() + std::int64_t(i); }
  timestamp cohort_start(std::size_t i) const noexcept { return period_start(cohort_period(i), period_); }

  /// The cohort's size: its accounts, or for revenue cohorts its MRR in the cohort period (NaN when
  /// that period is before F: its MRR is not in the data, which is not an MRR of 0).
  double size(std::size_t i) const noexcept {
    if (value_ == cohort_value::mrr && cohort_period(i) < first_data_) return detail::nan;
    return sizes_.at(cohort_period(i), 0);
  }
  /// Accounts in the cohort (equals size() for head cohorts).
  std::int64_t accounts(std::size_t i) const noexcept { return std::int64_t(sizes_.at(cohort_period(i), 1)); }
  /// Accounts that have no cohort: no qualifying activity before as_of (first_activity), or no
  /// start before as_of (start).
  std::int64_t excluded() const noexcept { return excluded_; }

  /// F: the period of the activity table's first row before as_of (none: no period is observed).
  std::int64_t first_data_period() const noexcept { return first_data_; }

  bool observed(std::size_t i, std::size_t k) const noexcept {
    const std::int64_t p = cohort_period(i) + std::int64_t(k);
    return p >= first_data_ && p <= last_observed_period();
  }
  /// Accounts (or MRR) of cohort i active in period c+k (`on`) or in some period ≥ c+k (`on_or_after`);
  /// 0 for an unobserved cell.
  double count(std::size_t i, std::size_t k) const noexcept { return counts_.at(cohort_period(i), k); }
  /// count / size; NaN for an unobserved cell or a cohort of size 0.
  double rate(std::size_t i, std::size_t k) const noexcept {
    const double s = size(i);
    return observed(i, k) && s > 0 ? count(i, k) / s : detail::nan;
  }

  /// The size-weighted average curve: for each offset k, Σ count(c,k) / Σ size(c) over the cohorts
  /// whose cell (c,k) is observed and whose size is > 0; NaN where there is none.
  std::vector<double> average() const {
    std::vector<double> out(n_offsets(), detail::nan);
    for (std::size_t k = 0; k < out.size(); ++k) {
      double num = 0, den = 0;
      for (std::size_t i = 0; i < n_cohorts(); ++i)
        if (observed(i, k) && size(i) > 0) num += count(i, k), den += size(i);
      if (den > 0) out[k] = num / den;
    }
    return out;
  }

  /// Adds the partial state of a disjoint set of accounts; throws invalid_input when the two were
  /// computed with different unit, mode, value or as-of (their cells would not mean the same).
  cohort_matrix& operator+=(const cohort_matrix& other) {
    if (period_ != other.period_ || mode_ != other.mode_ || value_ != other.value_ || as_of_ != other.as_of_)
      throw invalid_input("cohort matrices differ in period, mode, value or as_of and cannot be merged");
    sizes_ += other.sizes_;
    counts_ += other.counts_;
    excluded_ += other.excluded_;
    first_data_ = std::min(first_data_, other.first_data_);  // the shards' rows together begin at the earliest
    reframe(sizes_.first(), sizes_.rows());
    return *this;
  }
  friend cohort_matrix operator+(cohort_matrix a, const cohort_matrix& b) { return a += b; }
  friend bool operator==(const cohort_matrix&, const cohort_matrix&) = default;

 private:
  friend struct detail::cohort_builder;
  friend struct detail::state_io<cohort_matrix>;

  /// Offsets of a matrix whose first cohort is `first`: 0 … L − first (at least one column).
  std::size_t offsets_from(std::int64_t first) const noexcept {
    return std::size_t(std::max<std::int64_t>(1, last_observed_period() - first + 1));
  }
  void reframe(std::int64_t first, std::int64_t rows) {
    if (rows <= 0) {
      sizes_ = {}, counts_ = {};
      return;
    }
    sizes_.reframe(first, rows, 2);
    counts_.reframe(first, rows, offsets_from(first));
  }

  custhealth::period period_ = custhealth::period::month;
  cohort_mode mode_ = cohort_mode::on;
  cohort_value value_ = cohort_value::accounts;
  timestamp as_of_ = 0;
  detail::period_grid sizes_;   // per cohort: size, accounts
  detail::period_grid counts_;  // per cohort: one cell per offset
  std::int64_t excluded_ = 0;
  std::int64_t first_data_ = std::numeric_limits<std::int64_t>::max();  // F; max: no row
};

namespace detail {

/// The single pass behind cohort_retention: one walk of each account's rows through the CSR index,
/// accumulating into a matrix framed beforehand from cheap bounds (the earliest event, as_of), then
/// trimmed to the cohorts that occur.
struct cohort_builder {
  cohort_matrix m;
  std::int64_t last_full = 0;
  const column<timestamp>& starts;  // the accounts' start dates, one per account code

  cohort_builder(const cohort_options& o, timestamp as_of, const dataset& data)
      : m(o.period, o.mode, o.value, as_of), last_full(m.last_observed_period()), starts(data.accounts().start) {}

  void frame(std::int64_t lo, std::int64_t hi) {
    if (lo == no_period || hi < lo) return;
    // cohorts × offsets doubles: a daily matrix over centuries (an as_of far in the future) would
    // not fit in memory, and is a mistake worth saying so.
    constexpr double max_cells = 1e9;
    if (double(hi - lo + 1) * double(m.offsets_from(lo)) > max_cells)
      throw invalid_input("cohort retention: " + std::to_string(hi - lo + 1) + " cohorts × " +
                          std::to_string(m.offsets_from(lo)) +
                          " offsets is too large; use a longer period or an earlier as_of");
    m.sizes_ = period_grid(lo, hi - lo + 1, 2);
    m.counts_ = period_grid(lo, hi - lo + 1, m.offsets_from(lo));
  }
  /// Cohorts by start date (cohort_by = start): the period of the account's start, or no_period when it
  /// has none or starts at or after as_of. frame_by_start() frames the matrix on them and throws
  /// "<what> by start: no account has a start date" when no account has one.
  std::int64_t start_cohort(std::int32_t a) const {
    const timestamp s = starts[std::size_t(a)];
    return s != no_time && s < m.as_of() ? period_index(s, m.period()) : no_period;
  }
  void frame_by_start(std::string_view what) {
    if (std::none_of(starts.begin(), starts.end(), [](timestamp s) { return s != no_time; }))
      throw invalid_input(std::string(what) + " by start: no account has a start date (load an accounts table)");
    std::int64_t lo = no_period, hi = no_period;
    for (std::int32_t a = 0; a < std::int32_t(starts.size()); ++a)
      if (const auto c = start_cohort(a); c != no_period) lo = lo == no_period ? c : std::min(lo, c), hi = std::max(hi, c);
    frame(lo, hi);
  }
  /// Cohorts by first activity: from the period of the earliest row of `t` before as_of (see
  /// earliest_period) to the period holding the last second before as_of.
  template <class Table>
  void frame_by_first_activity(const Table& t) {
    const std::int64_t lo = observe_from(t, false);
    frame(lo, lo == no_period ? no_period : period_index(m.as_of() - 1, m.period()));
  }
  /// Records F from the activity table `t`'s first row before as_of (every row, whatever the events
  /// filter: the table's data begins there) and returns the period holding that row (no_period:
  /// none). Cohorts by first activity begin there, so F is that period. Cohorts by start can begin
  /// earlier, so F is the first period wholly inside the data — the one holding the first row only if
  /// the row is at its very start — as L is the last one wholly before as_of.
  template <class Table>
  std::int64_t observe_from(const Table& t, bool whole_periods) {
    const std::int64_t f = earliest_period(t, m.period(), m.as_of());
    std::int64_t first = f;
    if (f != no_period && whole_periods && period_start(f, m.period()) < earliest_time(t)) ++first;
    m.first_data_ = f == no_period ? std::numeric_limits<std::int64_t>::max() : first;
    return f;
  }
  void add_to_cohort(std::int64_t cohort, double size) {
    double* s = m.sizes_.row(cohort);
    s[0] += size;
    s[1] += 1;
  }
  double& cell(std::int64_t cohort, std::int64_t period) { return m.counts_.row(cohort)[std::size_t(period - cohort)]; }
  std::int64_t excluded = 0;  // accounts without a cohort
  /// The matrix's memory (what a copy per thread costs).
  std::size_t bytes() const noexcept {
    return m.sizes_.bytes() + m.counts_.bytes();
  }
  /// Adds the cells of a builder framed the same over other accounts (before finish()).
  void add(const cohort_builder& other) {
    m.sizes_ += other.m.sizes_;
    m.counts_ += other.m.counts_;
    excluded += other.excluded;
  }

  cohort_matrix finish() {
    m.excluded_ = excluded;
    if (m.mode_ == cohort_mode::on_or_after) {
      // The pass stored, per account, +1 at the offset of its last active period (clamped to L);
      // "active at some period ≥ c+k" is then the suffix sum over offsets ≥ k.
      for (auto r = m.counts_.first(); r < m.counts_.first() + m.counts_.rows(); ++r) {
        double* row = m.counts_.row(r);
        for (std::size_t k = m.counts_.cols(); k-- > 1;) row[k - 1] += row[k];
      }
    }
    std::int64_t lo = m.sizes_.first(), hi = m.sizes_.first() + m.sizes_.rows() - 1;
    while (lo <= hi && m.sizes_.row(lo)[1] == 0) ++lo;
    while (hi >= lo && m.sizes_.row(hi)[1] == 0) --hi;
    m.reframe(lo, hi - lo + 1);
    return std::move(m);
  }
};

/// Head cohorts from the usage table.
inline cohort_matrix usage_cohorts(const dataset& data, const cohort_options& o) {
  const auto& usage = data.usage();
  if (usage.size() == 0) throw invalid_input("cohort retention: the usage table is empty");
  const timestamp as_of = data.as_of_or_end(o.as_of, {table_id::usage});
  const activity_filter filter(usage, o.events);
  const bool by_start = o.cohort_by == cohort_origin::start;
  const bool on = o.mode == cohort_mode::on;
  const auto n = std::int32_t(data.n_accounts());

  cohort_builder b(o, as_of, data);
  if (by_start) {
    b.frame_by_start("cohort retention");
    b.observe_from(usage, true);
  } else {
    b.frame_by_first_activity(usage);
  }

  // Accounts in blocks, each into a matrix of its own framed as `b` (a copy), merged in block order:
  // the cells are whole-number counts, so the sums are exact and the bits those of one thread.
  auto pass = [&](cohort_builder& into, std::int32_t first, std::int32_t last) {
    for (std::int32_t a = first; a < last; ++a) {
      std::int64_t cohort = by_start ? into.start_cohort(a) : no_period;
      if (by_start && cohort == no_period) {
        ++into.excluded;
        continue;
      }
      if (on) {
        for_each_active_period(usage, a, filter, o.period, as_of, [&](std::int64_t p) {
          if (cohort == no_period) cohort = p;
          if (p >= cohort && p <= into.last_full) into.cell(cohort, p) += 1;  // activity before the start counts nowhere
        });
      } else {
        // "Active in some period ≥ c+k" depends on the last active period only: two short scans.
        const auto [first_row, last_row] = active_bounds(usage, a, filter, as_of);
        if (cohort == no_period && first_row >= 0) cohort = period_index(usage.time[std::size_t(first_row)], o.period);
        if (cohort != no_period && last_row >= 0)
          if (const auto p = std::min(period_index(usage.time[std::size_t(last_row)], o.period), into.last_full); p >= cohort)
            into.cell(cohort, p) += 1;  // the last active offset; finish() turns these into suffix sums
      }
      if (cohort == no_period) {
        ++into.excluded;
        continue;
      }
      into.add_to_cohort(cohort, 1.0);
    }
  };
  // Each further block copies the matrix: for_each_block_reduce keeps the copies within its budget
  // (a daily matrix over years does not fit many).
  const std::size_t bytes = b.bytes();
  cohort_builder merged = for_each_block_reduce(
      std::size_t(n), o.n_threads, std::move(b),
      [&](cohort_builder& into, std::size_t first, std::size_t last) { pass(into, std::int32_t(first), std::int32_t(last)); },
      [](cohort_builder& into, const cohort_builder& from) { into.add(from); }, block_grain::accounts, bytes);
  return merged.finish();
}

/// Revenue cohorts from the MRR table: cell (c,k) = Σ MRR in period c+k of cohort c's accounts,
/// size = Σ MRR in period c.
inline cohort_matrix revenue_cohorts(const dataset& data, const cohort_options& o) {
  const auto& t = data.mrr();
  if (t.size() == 0) throw invalid_input("revenue cohorts: the mrr table is empty");
  if (o.period != period::month && o.period != period::quarter)
    throw invalid_input(std::string("revenue cohorts: MRR is monthly, so the period must be M or Q, not ") +
                        std::string(to_string(o.period)));
  if (o.mode != cohort_mode::on)
    throw invalid_input("revenue cohorts: only mode \"on\" is defined (MRR in period c+k over MRR in period c)");
  if (!o.events.empty()) throw invalid_input("revenue cohorts: an events filter applies to usage cohorts only");
  const timestamp as_of = data.as_of_or_end(o.as_of, {table_id::mrr});
  const bool by_start = o.cohort_by == cohort_origin::start;
  const auto n = std::int32_t(data.n_accounts());

  cohort_builder b(o, as_of, data);
  if (by_start) {
    b.frame_by_start("revenue cohorts");
    b.observe_from(t, true);
  } else {
    b.frame_by_first_activity(t);
  }

  std::int64_t& excluded = b.excluded;
  for (std::int32_t a = 0; a < n; ++a) {
    std::int64_t cohort = by_start ? b.start_cohort(a) : no_period;
    if (by_start && cohort == no_period) {
      ++excluded;
      continue;
    }
    double size = 0;
    for (auto r = std::size_t(t.index.begin(a)); r < std::size_t(t.index.end(a)); ++r) {
      if (t.month[r] >= as_of) break;
      const double v = t.mrr[r];
      const auto p = period_index(t.month[r], o.period);
      if (cohort == no_period) {
        if (!(v > 0)) continue;
        cohort = p;
      }
      if (p < cohort) continue;
      if (p == cohort) size += v;
      if (p <= b.last_full) b.cell(cohort, p) += v;
    }
    if (cohort == no_period) {
      ++excluded;
      continue;
    }
    b.add_to_cohort(cohort, size);
  }
  return b.finish();
}

}  // namespace detail

/// The cohort retention matrix of DESIGN §4 "Retention".
///
/// Head cohorts (value = accounts) read the usage table: an account is *active* in a period when it
/// has at least one qualifying event there (every event, or only `events`), before `as_of`. Its
/// cohort is the period of its first qualifying event (first_activity) or of its `start` (start;
/// activity before the start period is ignored). as_of defaults to dataset::time_range().end, the
/// midnight after the last day with events in any event table.
///
/// Revenue cohorts (value = mrr) read the MRR table: the cohort is the first month with MRR > 0 (or
/// the start period), cell (c,k) = Σ MRR in period c+k / Σ MRR in period c; period M or Q, mode on;
/// a missing month counts as 0. as_of defaults to the end of the last month in the MRR table (a
/// month's MRR row is the whole month's value).
///
/// Throws invalid_input for an empty usage (or MRR) table, cohort_by start without any start date,
/// a revenue cohort with period D/W, mode on_or_after or an events filter (negative or duplicated
/// MRR never gets this far: the dataset refuses it), n_threads outside 1..max_threads. One pass over the rows,
/// O(rows + accounts + cohorts × offsets). Head cohorts use up to n_threads threads (the same bits);
/// revenue cohorts one, since their MRR sums would round differently when split.
inline cohort_matrix cohort_retention(const dataset& data, const cohort_options& options = {}) {
  check_threads(options.n_threads, "cohort retention");
  return options.value == cohort_value::mrr ? detail::revenue_cohorts(data, options)
                                            : detail::usage_cohorts(data, options);
}

}  // namespace custhealth
