// custhealth/retention/lifecycle.hpp — growth accounting of active accounts per period: new, retained,
// resurrected and dormant counts, from one walk of the usage index, mergeable across account shards.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "custhealth/parallel.hpp"
#include "custhealth/retention/cohort.hpp"

namespace custhealth {

struct lifecycle_options {
  custhealth::period period = custhealth::period::month;        // D, W (ISO, Monday), M or Q
  std::vector<std::int32_t> events;   // codes into usage.events that count as activity; empty: all
  timestamp as_of = no_time;          // only events < as_of; default: dataset::time_range().end
  std::int32_t n_threads = 1;         // accounts in blocks, one grid each, merged exactly (counts)
};

/// Per period p, the accounts' lifecycle states (the "growth accounting" of active users; see
/// e.g. Social Capital's quick ratio, active(p) = active(p−1) + new + resurrected − dormant):
/// - new: active in p for the first time;
/// - retained: active in p and in p−1;
/// - resurrected: active in p, not in p−1, active at some period before p−1;
/// - dormant: active in p−1, not in p.
/// Periods run from the first period with activity to the last fully observed one (the period before
/// the one containing as_of); a partially observed period would under-count and is left out.
/// Counts are sums over accounts, so tables of disjoint account shards merge exactly with `+=`.
class lifecycle_table {
 public:
  enum state : std::size_t { new_accounts, retained, resurrected, dormant, n_states };

  lifecycle_table() = default;
  lifecycle_table(custhealth::period p, timestamp as_of) : period_(p), as_of_(as_of) {}

  custhealth::period period() const noexcept { return period_; }
  timestamp as_of() const noexcept { return as_of_; }
  std::size_t size() const noexcept { return std::size_t(grid_.rows()); }
  std::int64_t period_at(std::size_t i) const noexcept { return grid_.first() + std::int64_t(i); }
  timestamp start(std::size_t i) const noexcept { return period_start(period_at(i), period_); }

  std::int64_t count(std::size_t i, state s) const noexcept { return std::int64_t(grid_.at(period_at(i), s)); }
  std::int64_t new_count(std::size_t i) const noexcept { return count(i, new_accounts); }
  std::int64_t retained_count(std::size_t i) const noexcept { return count(i, retained); }
  std::int64_t resurrected_count(std::size_t i) const noexcept { return count(i, resurrected); }
  std::int64_t dormant_count(std::size_t i) const noexcept { return count(i, dormant); }
  /// Accounts active in the period: new + retained + resurrected.
  std::int64_t active_count(std::size_t i) const noexcept {
    return new_count(i) + retained_count(i) + resurrected_count(i);
  }

  lifecycle_table& operator+=(const lifecycle_table& other) {
    if (period_ != other.period_ || as_of_ != other.as_of_)
      throw invalid_input("lifecycle tables differ in period or as_of and cannot be merged");
    grid_ += other.grid_;
    return *this;
  }
  friend bool operator==(const lifecycle_table&, const lifecycle_table&) = default;

 private:
  friend lifecycle_table lifecycle(const dataset&, const lifecycle_options&);
  friend struct detail::state_io<lifecycle_table>;

  custhealth::period period_ = custhealth::period::month;
  timestamp as_of_ = 0;
  detail::period_grid grid_;  // rows: periods; columns: the states
};

/// The lifecycle table of the usage table (DESIGN §4 "Retention"). Throws invalid_input for an empty
/// usage table, an unknown event code or n_threads outside 1..max_threads. One pass over the rows, no per-account
/// allocation; on up to n_threads threads, the same bits for any count.
inline lifecycle_table lifecycle(const dataset& data, const lifecycle_options& options = {}) {
  check_threads(options.n_threads, "lifecycle");
  const auto& usage = data.usage();
  if (usage.size() == 0) throw invalid_input("lifecycle: the usage table is empty");
  const timestamp as_of = data.as_of_or_end(options.as_of, {table_id::usage});
  lifecycle_table out(options.period, as_of);
  const std::int64_t last = last_complete_period(as_of, options.period);
  // Walking only up to the start of the partial period yields fully observed periods only.
  const timestamp limit = period_start(last + 1, options.period);
  const detail::activity_filter filter(usage, options.events);
  const std::int64_t first = detail::earliest_period(usage, options.period, limit);
  if (first == detail::no_period) return out;
  auto& grid = out.grid_;
  grid = detail::period_grid(first, last - first + 1, lifecycle_table::n_states);

  // Accounts in blocks, each into a grid of its own, merged in block order: whole-number counts, so
  // the bits are those of one thread. With each grid, the earliest period any of its accounts is new.
  struct counts {
    detail::period_grid grid;
    std::int64_t first_active = detail::no_period;
  };
  const std::size_t bytes = grid.bytes();
  counts merged = for_each_block_reduce(
      data.n_accounts(), options.n_threads, counts{std::move(grid)},
      [&](counts& into, std::size_t first_account, std::size_t last_account) {
        detail::period_grid& g = into.grid;
        for (auto a = std::int32_t(first_account); a < std::int32_t(last_account); ++a) {
          std::int64_t previous = detail::no_period;
          detail::for_each_active_period(usage, a, filter, options.period, limit, [&](std::int64_t p) {
            if (previous == detail::no_period) {
              g.row(p)[lifecycle_table::new_accounts] += 1;
              if (into.first_active == detail::no_period || p < into.first_active) into.first_active = p;
            } else if (p == previous + 1) {
              g.row(p)[lifecycle_table::retained] += 1;
            } else {
              g.row(p)[lifecycle_table::resurrected] += 1;
              g.row(previous + 1)[lifecycle_table::dormant] += 1;
            }
            previous = p;
          });
          if (previous != detail::no_period && previous < last) g.row(previous + 1)[lifecycle_table::dormant] += 1;
        }
      },
      [](counts& into, const counts& from) {
        into.grid += from.grid;
        if (from.first_active != detail::no_period &&
            (into.first_active == detail::no_period || from.first_active < into.first_active))
          into.first_active = from.first_active;  // no_period: none, after any period
      },
      block_grain::accounts, bytes);
  grid = std::move(merged.grid);
  const std::int64_t earliest = merged.first_active;
  // Rows before the first activity (an events filter can start it later than the first event) go.
  if (earliest == detail::no_period)
    grid = {};
  else
    grid.reframe(earliest, last - earliest + 1, lifecycle_table::n_states);
  return out;
}

}  // namespace custhealth
