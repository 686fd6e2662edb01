// custhealth/support/sla.hpp — support service levels from the tickets table (DESIGN §4 "Support and
// SLA"): response and resolution times, SLA met / breached / pending, backlog aging, task completion.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "custhealth/dataset.hpp"
#include "custhealth/detail/grouping.hpp"
#include "custhealth/detail/stats.hpp"
#include "custhealth/grouping.hpp"
#include "custhealth/parallel.hpp"

namespace custhealth {

/// First-response targets per priority, in seconds. Defaults (DESIGN §4): urgent 1 h, high 2 h,
/// normal 2 h, low 8 h.
struct sla_targets {
  // low, normal, high, urgent
  std::array<std::int64_t, enum_size<priority>> first_response{8 * 3600, 2 * 3600, 2 * 3600, 1 * 3600};

  std::int64_t operator[](priority p) const noexcept { return first_response[static_cast<std::size_t>(p)]; }

  /// Sets the target of one priority; throws invalid_input when negative.
  sla_targets& set(priority p, std::int64_t seconds) {
    if (seconds < 0)
      throw invalid_input("SLA target for " + std::string(to_string(p)) + " must be ≥ 0 seconds, got " +
                          std::to_string(seconds));
    first_response[static_cast<std::size_t>(p)] = seconds;
    return *this;
  }
};

/// DESIGN §4: met if answered before T within target, breached if answered late or still
/// unanswered at T with the target passed, pending otherwise. An answer at T itself could still be
/// in time, so an unanswered ticket is breached only once T − opened exceeds the target.
constexpr sla_state classify_sla(timestamp opened, timestamp first_response, std::int64_t target,
                                 timestamp as_of) noexcept {
  if (first_response != no_time && first_response < as_of)
    return first_response - opened <= target ? sla_state::met : sla_state::breached;
  return as_of - opened > target ? sla_state::breached : sla_state::pending;
}

/// Tickets as plain arrays, borrowed. An empty optional column means absent for every row.
struct ticket_rows {
  time_column opened;          // required, present in every row
  time_column first_response;  // no_time: not answered
  time_column resolved;        // no_time: still open
  code_span prio;              // priority codes 0..3 (low, normal, high, urgent); empty: all normal
  std::vector<key_column> keys;
};

/// Mergeable SLA counts of one group (a priority × month, an owner, …). Tickets belong to the period
/// of their opening, except `resolved_in_period`, which counts tickets by the period of their
/// resolution (the numerator of task completion). Everything is "as of T": events at or after T
/// have not happened yet. Integer sums keep merges exact, associative and commutative.
struct sla_counts {
  std::int64_t opened = 0;                  // tickets opened in the period (before T)
  std::int64_t answered = 0;                // … with a first response before T
  std::int64_t met = 0;                     // … answered within the priority's target
  std::int64_t breached = 0;                // … answered late, or unanswered with the target passed at T
  std::int64_t pending = 0;                 // … unanswered, target not yet passed at T (not in the rate)
  std::int64_t resolved = 0;                // … resolved before T
  std::int64_t open = 0;                    // … still open at T
  std::int64_t first_response_seconds = 0;  // Σ first-response time of the answered ones
  std::int64_t resolution_seconds = 0;      // Σ resolution time of the resolved ones
  std::int64_t resolved_in_period = 0;      // tickets resolved in the period, whenever opened

  sla_counts& operator+=(const sla_counts& o) noexcept {
    opened += o.opened, answered += o.answered, met += o.met, breached += o.breached, pending += o.pending;
    resolved += o.resolved, open += o.open, first_response_seconds += o.first_response_seconds;
    resolution_seconds += o.resolution_seconds, resolved_in_period += o.resolved_in_period;
    return *this;
  }
  friend sla_counts operator+(sla_counts a, const sla_counts& b) noexcept { return a += b; }
  friend bool operator==(const sla_counts&, const sla_counts&) = default;

  /// met / (met + breached); pending tickets are excluded. NaN when no ticket is decided.
  double met_rate() const noexcept {
    const std::int64_t decided = met + breached;
    return decided == 0 ? detail::nan : static_cast<double>(met) / static_cast<double>(decided);
  }
  /// Wilson score interval of the met rate; NaN when no ticket is decided.
  detail::interval met_ci(double confidence = 0.95) const noexcept {
    return detail::wilson(static_cast<double>(met), static_cast<double>(met + breached), confidence);
  }
  /// Task completion = tickets resolved in the period / tickets opened in the period (DESIGN §4);
  /// it can exceed 1 when a backlog is worked off. NaN when nothing was opened.
  double completion() const noexcept {
    return opened == 0 ? detail::nan : static_cast<double>(resolved_in_period) / static_cast<double>(opened);
  }
  /// Mean first-response / resolution time in seconds; NaN when none.
  double mean_first_response() const noexcept {
    return answered == 0 ? detail::nan : static_cast<double>(first_response_seconds) / static_cast<double>(answered);
  }
  double mean_resolution() const noexcept {
    return resolved == 0 ? detail::nan : static_cast<double>(resolution_seconds) / static_cast<double>(resolved);
  }
};

/// Count, mean and quantiles of durations in seconds; NaN when n = 0.
struct duration_stats {
  std::int64_t n = 0;
  double mean = detail::nan;
  double median = detail::nan;
  double p90 = detail::nan;
};

/// The SLA of one group: the mergeable counts, and the duration quantiles (which need the values,
/// so they do not merge — recompute them from the rows).
struct sla_stats {
  sla_counts counts;
  duration_stats first_response;  // of the tickets opened in the period and answered before T
  duration_stats resolution;      // of the tickets opened in the period and resolved before T
};

/// Open tickets at T by age T − opened_at: < 1 d, 1–3 d, 3–7 d, 7–30 d, ≥ 30 d. Mergeable.
struct backlog_counts {
  static constexpr std::array<std::int64_t, 4> edges{1 * seconds_per_day, 3 * seconds_per_day, 7 * seconds_per_day,
                                                     30 * seconds_per_day};
  static constexpr std::array<const char*, 5> bucket_names{"<1d", "1-3d", "3-7d", "7-30d", ">=30d"};
  std::array<std::int64_t, 5> by_age{};

  void add_age(std::int64_t seconds) noexcept {
    std::size_t b = 0;
    while (b < edges.size() && seconds >= edges[b]) ++b;
    ++by_age[b];
  }
  std::int64_t total() const noexcept {
    std::int64_t n = 0;
    for (auto c : by_age) n += c;
    return n;
  }
  backlog_counts& operator+=(const backlog_counts& o) noexcept {
    for (std::size_t b = 0; b < by_age.size(); ++b) by_age[b] += o.by_age[b];
    return *this;
  }
  friend backlog_counts operator+(backlog_counts a, const backlog_counts& b) noexcept { return a += b; }
  friend bool operator==(const backlog_counts&, const backlog_counts&) = default;
};

namespace detail {

/// The p-quantile of sorted values by linear interpolation between order statistics,
/// x[⌊h⌋] + (h − ⌊h⌋)(x[⌊h⌋+1] − x[⌊h⌋]) with h = (n − 1)p — Hyndman & Fan (1996) type 7, the
/// default of numpy.quantile and pandas.Series.quantile. NaN when empty.
inline double quantile_sorted(std::span<const std::int64_t> sorted, double p) noexcept {
  if (sorted.empty()) return nan;
  const double h = static_cast<double>(sorted.size() - 1) * p;
  const auto lo = static_cast<std::size_t>(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  const auto a = static_cast<double>(sorted[lo]), b = static_cast<double>(sorted[hi]);
  return a + (h - static_cast<double>(lo)) * (b - a);
}

/// Count, mean (of the exact integer sum) and quantiles of one group's durations, sorted ascending.
inline duration_stats stats_of_sorted(std::span<const std::int64_t> v) noexcept {
  if (v.empty()) return {};
  std::int64_t sum = 0;
  for (auto x : v) sum += x;
  return {std::int64_t(v.size()), static_cast<double>(sum) / static_cast<double>(v.size()), quantile_sorted(v, 0.5),
          quantile_sorted(v, 0.9)};
}

/// (group, seconds) pairs collected in one flat list, grouped by a counting sort (one allocation)
/// and each group's values sorted — the groups on up to n_threads threads, each sort on its own
/// values, so the same for any count: group g's are values[offsets[g], offsets[g + 1]).
struct grouped_durations {
  std::vector<std::size_t> offsets;
  std::vector<std::int64_t> values;

  grouped_durations(std::size_t groups, std::span<const std::int32_t> group, std::span<const std::int64_t> seconds,
                    std::int32_t n_threads = 1)
      : offsets(groups + 1, 0), values(seconds.size()) {
    for (auto g : group) ++offsets[std::size_t(g) + 1];
    for (std::size_t g = 0; g < groups; ++g) offsets[g + 1] += offsets[g];
    std::vector<std::size_t> next(offsets.begin(), offsets.end() - 1);
    for (std::size_t i = 0; i < group.size(); ++i) values[next[std::size_t(group[i])]++] = seconds[i];
    for_each_block(groups, n_threads, [&](std::size_t first, std::size_t last) {
      for (std::size_t g = first; g < last; ++g)
        std::sort(values.begin() + std::ptrdiff_t(offsets[g]), values.begin() + std::ptrdiff_t(offsets[g + 1]));
    });
  }
  std::span<const std::int64_t> of(std::size_t g) const noexcept {
    return {values.data() + offsets[g], offsets[g + 1] - offsets[g]};
  }
};

/// Per-group duration stats from (group, seconds) pairs collected in one flat list.
inline std::vector<duration_stats> durations_by_group(std::size_t groups, std::span<const std::int32_t> group,
                                                      std::span<const std::int64_t> seconds,
                                                      std::int32_t n_threads = 1) {
  const grouped_durations d(groups, group, seconds, n_threads);
  std::vector<duration_stats> out(groups);
  for (std::size_t g = 0; g < groups; ++g) out[g] = stats_of_sorted(d.of(g));
  return out;
}

/// Throws invalid_input unless every optional column is absent or as long as opened_at.
inline void check_ticket_columns(const ticket_rows& rows) {
  const std::size_t n = rows.opened.size();
  auto check = [&](std::size_t size, const char* name) {
    if (size != 0 && size != n)
      throw invalid_input(std::string("tickets: column '") + name + "' has " + std::to_string(size) +
                          " rows, opened_at has " + std::to_string(n));
  };
  check(rows.first_response.size(), "first_response_at");
  check(rows.resolved.size(), "resolved_at");
  check(rows.prio.size(), "priority");
}

using time_span = std::optional<std::pair<timestamp, timestamp>>;

/// The smallest and largest present time of a column, in seconds: tick_range's vectorised scan of
/// the raw ticks, then one floor division per end (it keeps the order, so it commutes with min and
/// max) instead of one per row.
inline time_span seconds_range(const time_column& c) noexcept {
  time_span r = tick_range(c.ticks);
  if (r && c.ticks_per_second != 1)
    r = std::pair{floor_div(r->first, c.ticks_per_second), floor_div(r->second, c.ticks_per_second)};
  return r;
}

/// The midnight after the latest time anywhere in the tickets (whole days, as dataset::data_end,
/// so both routes resolve the same T and every recorded event counts); no_time for an empty table. `opened` and `resolved` are those columns' seconds_range, which
/// sla_pass has already; only the first responses are scanned here.
inline timestamp tickets_end(const ticket_rows& rows, const time_span& opened, const time_span& resolved) {
  timestamp latest = no_time;
  for (const time_span& r : {opened, seconds_range(rows.first_response), resolved})
    if (r) latest = std::max(latest, r->second);
  return latest == no_time ? no_time : (day_number(latest) + 1) * seconds_per_day;
}

/// Checks the columns' lengths and returns the as-of time: `as_of`, or tickets_end.
inline timestamp ticket_as_of(const ticket_rows& rows, timestamp as_of) {
  check_ticket_columns(rows);
  if (as_of != no_time) return as_of;
  return tickets_end(rows, seconds_range(rows.opened), seconds_range(rows.resolved));
}

/// One ticket's times in seconds, checked: opened present, first response and resolution not
/// before opening, a known priority.
struct ticket {
  timestamp opened, first_response, resolved;
  priority prio;
};
inline ticket ticket_at(const ticket_rows& rows, std::size_t r) {
  const ticket t{rows.opened[r], rows.first_response.empty() ? no_time : rows.first_response[r],
                 rows.resolved.empty() ? no_time : rows.resolved[r],
                 rows.prio.empty() ? priority::normal : static_cast<priority>(std::uint8_t(rows.prio[r] & 0xff))};
  auto fail = [&](const std::string& what) { throw invalid_input("tickets[" + std::to_string(r) + "]: " + what); };
  if (t.opened == no_time) fail("'opened_at' is empty");
  if (t.first_response != no_time && t.first_response < t.opened)
    fail("'first_response_at' (" + format_date(t.first_response) + ") is before 'opened_at' (" + format_date(t.opened) +
         ")");
  if (t.resolved != no_time && t.resolved < t.opened)
    fail("'resolved_at' (" + format_date(t.resolved) + ") is before 'opened_at' (" + format_date(t.opened) + ")");
  if (!rows.prio.empty() && (rows.prio[r] < 0 || rows.prio[r] >= std::int64_t(enum_size<priority>)))
    fail("unknown priority code " + std::to_string(rows.prio[r]) + ": expected 0.." +
         std::to_string(enum_size<priority> - 1) + " (" + enum_choices<priority>() +
         ")");
  return t;
}

/// The durations behind the quantiles, one flat (group, seconds) list of each kind.
struct sla_durations {
  std::vector<std::int32_t> frt_group, res_group;
  std::vector<std::int64_t> frt_seconds, res_seconds;
};

/// One block's share of sla_pass: a grouper of its own (ids in the block's first-seen order), the
/// counts per id and, for the quantiles, the durations.
struct sla_block {
  grouper g;
  std::vector<sla_counts> values;
  sla_durations d;

  sla_counts& value(std::int32_t id) {
    if (std::size_t(id) == values.size()) values.emplace_back();
    return values[std::size_t(id)];
  }
  /// Takes in the groups of a block framed the same (the same keys and time axis) over other tickets.
  void add(const sla_block& from) {
    std::vector<std::int32_t> id(from.values.size());
    for (std::size_t i = 0; i < id.size(); ++i) {
      id[i] = g.group(from.g.combination_of(std::int32_t(i)), 0);
      value(id[i]) += from.values[i];
    }
    auto append = [&](std::vector<std::int32_t>& group, std::vector<std::int64_t>& seconds,
                      const std::vector<std::int32_t>& from_group, const std::vector<std::int64_t>& from_seconds) {
      for (const auto i : from_group) group.push_back(id[std::size_t(i)]);
      seconds.insert(seconds.end(), from_seconds.begin(), from_seconds.end());
    };
    append(d.frt_group, d.frt_seconds, from.d.frt_group, from.d.frt_seconds);
    append(d.res_group, d.res_seconds, from.d.res_group, from.d.res_seconds);
  }
};

/// The one pass over the tickets behind sla_summary, sla_counts_by and sla_partials: the counts of
/// each group and, when `quantiles`, every duration; `complete(counts, durations)` makes the values.
/// On up to n_threads threads (blocks of tickets, their groups merged in block order): the counts
/// are integers and each group's durations are sorted before any use, so the bits are one thread's.
template <class Complete>
auto sla_pass(const ticket_rows& rows, time_grouping scope, const sla_targets& targets, bool quantiles,
              std::int32_t n_threads, Complete&& complete) {
  validate(scope);
  check_ticket_columns(rows);
  // One scan per time column gives both the default as-of time and the time axis, which must hold
  // the opening and the resolution periods.
  const time_span opened = seconds_range(rows.opened), resolved = seconds_range(rows.resolved);
  if (scope.as_of == no_time) scope.as_of = tickets_end(rows, opened, resolved);
  const timestamp as_of = scope.as_of;
  const std::size_t n = rows.opened.size();
  time_span range = opened ? opened : resolved;
  if (opened && resolved)
    range = std::pair{std::min(opened->first, resolved->first), std::max(opened->second, resolved->second)};
  const period_map<1> map(scope, range);
  auto pass = [&](sla_block& b, std::size_t first, std::size_t last) {
    auto& [frt_group, res_group, frt_seconds, res_seconds] = b.d;
    if (quantiles) {  // at most one duration of each kind per ticket: no regrowth
      const std::size_t m = last - first;
      frt_group.reserve(m), res_group.reserve(m), frt_seconds.reserve(m), res_seconds.reserve(m);
    }
    for (std::size_t r = first; r < last; ++r) {
      const ticket t = ticket_at(rows, r);
      const std::int64_t opened_slot = map.slot(t.opened);
      const std::int64_t resolved_slot = t.resolved == no_time ? -1 : map.slot(t.resolved);
      if (opened_slot < 0 && resolved_slot < 0) continue;
      const std::uint64_t key = b.g.key_of(r);
      if (opened_slot >= 0) {
        const std::int32_t id = b.g.group(key, opened_slot);
        sla_counts& c = b.value(id);
        ++c.opened;
        const sla_state state = classify_sla(t.opened, t.first_response, targets[t.prio], as_of);
        ++(state == sla_state::met ? c.met : state == sla_state::breached ? c.breached : c.pending);
        if (t.first_response != no_time && t.first_response < as_of) {
          const std::int64_t frt = t.first_response - t.opened;
          ++c.answered;
          c.first_response_seconds += frt;
          if (quantiles) frt_group.push_back(id), frt_seconds.push_back(frt);
        }
        if (t.resolved != no_time && t.resolved < as_of) {
          const std::int64_t res = t.resolved - t.opened;
          ++c.resolved;
          c.resolution_seconds += res;
          if (quantiles) res_group.push_back(id), res_seconds.push_back(res);
        } else {
          ++c.open;
        }
      }
      if (resolved_slot >= 0) ++b.value(b.g.group(key, resolved_slot)).resolved_in_period;
    }
  };
  grouper g(rows.keys, map.slots(), n);
  const std::size_t bytes = g.table_bytes();
  sla_block all = for_each_block_reduce(
      n, n_threads, sla_block{std::move(g), {}, {}}, pass,
      [](sla_block& into, const sla_block& from) { into.add(from); }, block_grain::rows, bytes);
  return finish(all.g, map, scope, complete(std::move(all.values), std::move(all.d)));
}

/// The priority key of the tickets table and its labels.
inline const std::vector<std::string>& priority_labels() {
  static const std::vector<std::string> labels{"low", "normal", "high", "urgent"};
  return labels;
}

}  // namespace detail

/// SLA per group of tickets: counts, met rate, first-response and resolution time statistics
/// (mean, median, p90 by linear interpolation), task completion. Tickets are grouped by the period
/// of `opened_at` (resolutions by the period of `resolved_at` for completion); `scope.as_of`
/// defaults to one second after the latest time in the table. Throws invalid_input for a ticket
/// answered or resolved before it was opened, an empty `opened_at`, an unknown priority code, or
/// n_threads outside 1..max_threads. On up to n_threads threads over blocks of tickets, the same bits
/// for any count (the medians and p90s are those of each group's merged, sorted durations).
inline grouped<sla_stats> sla_summary(const ticket_rows& rows, const time_grouping& scope = {},
                                      const sla_targets& targets = {}, std::int32_t n_threads = 1) {
  check_threads(n_threads, "SLA summary");
  return detail::sla_pass(rows, scope, targets, true, n_threads, [&](std::vector<sla_counts>&& counts, detail::sla_durations&& d) {
    const auto frt = detail::durations_by_group(counts.size(), d.frt_group, d.frt_seconds, n_threads);
    const auto res = detail::durations_by_group(counts.size(), d.res_group, d.res_seconds, n_threads);
    std::vector<sla_stats> out(counts.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = {counts[i], frt[i], res[i]};
    return out;
  });
}

/// The mergeable part of sla_summary without quantiles: combine shards with `+=`.
inline grouped<sla_counts> sla_counts_by(const ticket_rows& rows, const time_grouping& scope = {},
                                         const sla_targets& targets = {}) {
  return detail::sla_pass(rows, scope, targets, false, 1,
                          [](std::vector<sla_counts>&& counts, detail::sla_durations&&) { return std::move(counts); });
}

/// The mergeable partial state of sla_summary in one group: the counts and every duration behind the
/// quantiles (a median does not merge, so shards carry the values), each list kept sorted so that
/// equal states compare equal whatever the merge order. stats() is sla_summary's value for the union
/// of the shards' tickets.
struct sla_partial {
  sla_counts counts;
  std::vector<std::int64_t> first_response;  // seconds, sorted
  std::vector<std::int64_t> resolution;      // seconds, sorted

  sla_partial& operator+=(const sla_partial& o) {
    counts += o.counts;
    for (auto [into, from] : {std::pair{&first_response, &o.first_response}, std::pair{&resolution, &o.resolution}}) {
      std::vector<std::int64_t> merged(into->size() + from->size());
      std::merge(into->begin(), into->end(), from->begin(), from->end(), merged.begin());
      *into = std::move(merged);
    }
    return *this;
  }
  friend bool operator==(const sla_partial&, const sla_partial&) = default;

  sla_stats stats() const noexcept {
    return {counts, detail::stats_of_sorted(first_response), detail::stats_of_sorted(resolution)};
  }
};

/// sla_summary as mergeable partial states (shards of the tickets combine with `+=`, then stats()):
/// the same numbers as sla_summary over all the shards' tickets when they share scope.as_of.
inline grouped<sla_partial> sla_partials(const ticket_rows& rows, const time_grouping& scope = {},
                                         const sla_targets& targets = {}) {
  return detail::sla_pass(rows, scope, targets, true, 1, [](std::vector<sla_counts>&& counts, detail::sla_durations&& d) {
    const detail::grouped_durations frt(counts.size(), d.frt_group, d.frt_seconds);
    const detail::grouped_durations res(counts.size(), d.res_group, d.res_seconds);
    std::vector<sla_partial> out(counts.size());
    for (std::size_t i = 0; i < out.size(); ++i) {
      const auto f = frt.of(i), r = res.of(i);
      out[i] = {counts[i], {f.begin(), f.end()}, {r.begin(), r.end()}};
    }
    return out;
  });
}

/// Open tickets at `as_of` (opened before it, not resolved before it) by age bucket, per key
/// combination (no period). `as_of` defaults to one second after the latest time in the table.
inline grouped<backlog_counts> ticket_backlog(const ticket_rows& rows, timestamp as_of = no_time) {
  as_of = detail::ticket_as_of(rows, as_of);  // no_time only for an empty table: no rows, no groups
  const time_grouping scope{std::nullopt, as_of};
  return detail::group_rows(
      rows.keys, rows.opened, scope, backlog_counts{}, {"tickets", "opened_at"},
      [&](std::size_t r) {
        const auto t = detail::ticket_at(rows, r);
        return t.opened < as_of && (t.resolved == no_time || t.resolved >= as_of);
      },
      [&](backlog_counts& b, std::size_t r) { b.add_age(as_of - rows.opened[r]); });
}

/// The tickets table of `data`, keyed by `by`: priority, owner (the ticket's), and the account
/// attributes account_id, segment, plan, account_owner.
inline ticket_rows ticket_rows_of(const dataset& data, const std::vector<std::string>& by) {
  const ticket_table& t = data.tickets();
  const key_column own[] = {{"priority", t.prio, {}, detail::priority_labels()},
                            {"owner", t.owner, {}, t.owners.values()}};
  return {t.opened, t.first_response, t.resolved, t.prio, detail::dataset_keys(data, t.account, own, by, "tickets")};
}

/// The as-of time of sla_summary and ticket_backlog over `data`: `as_of` when given, else the end of
/// the tickets table (dataset::data_end: the midnight after its latest opening, response or
/// resolution, so the last day counts in full; tickets_end gives the same for bare
/// columns). no_time when there are no tickets (no rows, no groups).
inline timestamp sla_as_of(const dataset& data, timestamp as_of = no_time) noexcept {
  return data.as_of_or_end(as_of, {table_id::tickets});
}

inline grouped<sla_stats> sla_summary(const dataset& data, const std::vector<std::string>& by,
                                      time_grouping scope = {}, const sla_targets& targets = {},
                                      std::int32_t n_threads = 1) {
  check_threads(n_threads, "SLA summary");
  scope.as_of = sla_as_of(data, scope.as_of);
  return sla_summary(ticket_rows_of(data, by), scope, targets, n_threads);
}
inline grouped<backlog_counts> ticket_backlog(const dataset& data, const std::vector<std::string>& by,
                                              timestamp as_of = no_time) {
  return ticket_backlog(ticket_rows_of(data, by), sla_as_of(data, as_of));
}

}  // namespace custhealth
