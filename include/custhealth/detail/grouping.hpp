// custhealth/detail/grouping.hpp — the one group-by engine behind the survey, SLA and payments
// aggregates: rows → dense group ids by key columns × period slot, one pass, states in one vector.
#pragma once

#include <algorithm>
#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "custhealth/dataset.hpp"
#include "custhealth/error.hpp"
#include "custhealth/grouping.hpp"
#include "custhealth/parallel.hpp"
#include "custhealth/time.hpp"

namespace custhealth::detail {

/// Throws invalid_input unless the time axis makes sense (a window needs an as-of time).
inline void validate(const time_grouping& scope) {
  if (scope.window_days < 0) throw invalid_input("window_days must be ≥ 0, got " + std::to_string(scope.window_days));
  if (scope.window_days > 0 && scope.as_of == no_time)
    throw invalid_input("a trailing window of " + std::to_string(scope.window_days) + " days needs an as-of time");
}

/// Calls f(std::integral_constant<std::int64_t, TicksPerSecond>{}) for the tick of `times`, so the
/// hot loops divide by a compile-time constant (a multiplication) instead of a runtime divisor.
template <class F>
decltype(auto) with_ticks(std::int64_t ticks_per_second, F&& f) {
  switch (ticks_per_second) {
    case 1:
      return f(std::integral_constant<std::int64_t, 1>{});
    case 1'000:
      return f(std::integral_constant<std::int64_t, 1'000>{});
    case 1'000'000:
      return f(std::integral_constant<std::int64_t, 1'000'000>{});
    case 1'000'000'000:
      return f(std::integral_constant<std::int64_t, 1'000'000'000>{});
    default:
      throw invalid_input("unsupported time unit: " + std::to_string(ticks_per_second) +
                          " ticks per second (expected 1, 10³, 10⁶ or 10⁹)");
  }
}

/// The smallest and largest present time (in ticks), or nothing when every time is absent.
inline std::optional<std::pair<std::int64_t, std::int64_t>> tick_range(std::span<const std::int64_t> ticks) noexcept {
  // no_time is INT64_MIN, so a plain max ignores it; the min maps it to INT64_MAX first. Four
  // independent accumulators, so the compare-and-select chains do not serialise the scan.
  constexpr std::int64_t top = std::numeric_limits<std::int64_t>::max();
  std::int64_t lo[4] = {top, top, top, top}, hi[4] = {no_time, no_time, no_time, no_time};
  const std::int64_t* t = ticks.data();
  const std::size_t n = ticks.size(), whole = n - n % 4;
  for (std::size_t i = 0; i < whole; i += 4)
    for (std::size_t j = 0; j < 4; ++j) {
      const std::int64_t x = t[i + j];
      hi[j] = x > hi[j] ? x : hi[j];
      const std::int64_t y = x == no_time ? top : x;
      lo[j] = y < lo[j] ? y : lo[j];
    }
  for (std::size_t i = whole; i < n; ++i) {
    hi[0] = std::max(hi[0], t[i]);
    if (t[i] != no_time) lo[0] = std::min(lo[0], t[i]);
  }
  const std::int64_t max = std::max(std::max(hi[0], hi[1]), std::max(hi[2], hi[3]));
  const std::int64_t min = std::min(std::min(lo[0], lo[1]), std::min(lo[2], lo[3]));
  if (max == no_time) return std::nullopt;
  return std::pair{min, max};
}

/// An estimate of tick_range from up to 4,096 evenly spaced rows, widened by an eighth of its span
/// and at least 31 days on each side (saturating). Rows outside it are detected by period_map::missed.
template <std::int64_t TicksPerSecond>
std::optional<std::pair<std::int64_t, std::int64_t>> sampled_tick_range(std::span<const std::int64_t> ticks) noexcept {
  constexpr std::size_t samples = 4096;
  if (ticks.size() <= 4 * samples) return tick_range(ticks);
  std::int64_t lo = std::numeric_limits<std::int64_t>::max(), hi = no_time;
  for (std::size_t i = 0; i < samples; ++i) {
    const std::int64_t t = ticks[i * (ticks.size() - 1) / (samples - 1)];
    if (t == no_time) continue;
    lo = std::min(lo, t), hi = std::max(hi, t);
  }
  if (hi == no_time) return std::nullopt;
  const auto eighth = static_cast<std::int64_t>((std::uint64_t(hi) - std::uint64_t(lo)) / 8 + 1);  // no overflow
  const std::int64_t pad = std::max<std::int64_t>(eighth, 31 * seconds_per_day * TicksPerSecond);
  std::int64_t padded_lo, padded_hi;
  if (__builtin_sub_overflow(lo, pad, &padded_lo) || padded_lo == no_time) padded_lo = no_time + 1;
  if (__builtin_add_overflow(hi, pad, &padded_hi)) padded_hi = std::numeric_limits<std::int64_t>::max();
  return std::pair{padded_lo, padded_hi};
}

/// `seconds · TicksPerSecond`, saturated to the int64 range (an as-of time far outside datetime64[ns]).
template <std::int64_t TicksPerSecond>
constexpr std::int64_t to_ticks(timestamp seconds) noexcept {
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  if (seconds > max / TicksPerSecond) return max;
  if (seconds < -(max / TicksPerSecond)) return -max;
  return seconds * TicksPerSecond;
}

/// Maps a row's time (ticks) to its slot on the time axis — a calendar period, the trailing window
/// or the single all-time slot — or −1 when the row is out of scope (at or after as-of, before the
/// window). Calendar periods go through a day → slot table when the days span at most
/// `max_table_days`: one unsigned offset, one division by a constant and one load per row, instead
/// of the civil-calendar arithmetic.
template <std::int64_t TicksPerSecond>
class period_map {
 public:
  static constexpr std::int64_t ticks_per_day = seconds_per_day * TicksPerSecond;
  static constexpr std::int64_t max_table_days = 1 << 20;

  /// `range`: the smallest and largest present time of the rows, in ticks (nothing: no rows).
  period_map(const time_grouping& scope, std::optional<std::pair<std::int64_t, std::int64_t>> range) : scope_(scope) {
    validate(scope);
    end_ = scope.as_of == no_time ? std::numeric_limits<std::int64_t>::max() : to_ticks<TicksPerSecond>(scope.as_of);
    if (scope.window_days > 0) {
      begin_ = to_ticks<TicksPerSecond>(scope.as_of - scope.window_days * seconds_per_day);
      mode_ = mode::window;
      slots_ = 1;
      return;
    }
    if (!scope.period) {
      mode_ = mode::all_time;
      slots_ = 1;
      return;
    }
    if (!range || range->first >= end_) return;  // nothing in scope: no slots
    const std::int64_t lo = range->first, hi = std::min(range->second, end_ - 1);
    range_lo_ = lo, range_hi_ = hi;
    day_lo_ = floor_div(lo, ticks_per_day);
    day_hi_ = floor_div(hi, ticks_per_day);
    first_ = period_index(day_lo_ * seconds_per_day, *scope.period);
    slots_ = period_index(day_hi_ * seconds_per_day, *scope.period) - first_ + 1;
    mode_ = mode::calendar;
    if (day_hi_ - day_lo_ < max_table_days && !__builtin_mul_overflow(day_lo_, ticks_per_day, &tick_lo_)) {
      mode_ = mode::table;
      span_ = std::uint64_t(hi) - std::uint64_t(tick_lo_);
      day_slot_.resize(std::size_t(day_hi_ - day_lo_ + 1));
      for (std::int64_t d = day_lo_; d <= day_hi_; ++d)
        day_slot_[std::size_t(d - day_lo_)] = std::int32_t(period_index(d * seconds_per_day, *scope.period) - first_);
    }
  }

  /// Number of slots on the axis (0 when no row can be in scope).
  std::int64_t slots() const noexcept { return slots_; }

  /// The slot of a present time, or −1 when out of scope.
  [[gnu::always_inline]] std::int64_t slot(std::int64_t tick) const noexcept {
    switch (mode_) {
      case mode::table: {
        // Unsigned: a time before the first day wraps around and fails the same test as one after
        // the last (or at or after as-of, which the span ends before).
        const std::uint64_t offset = std::uint64_t(tick) - std::uint64_t(tick_lo_);
        if (offset > span_) return -1;
        return day_slot_[std::size_t(offset / std::uint64_t(ticks_per_day))];
      }
      case mode::window:
        return tick >= begin_ && tick < end_ ? 0 : -1;
      case mode::all_time:
        return tick < end_ ? 0 : -1;
      case mode::calendar: {
        if (tick >= end_) return -1;
        const std::int64_t day = floor_div(tick, ticks_per_day);
        if (day < day_lo_ || day > day_hi_) return -1;  // outside the scanned range: a caller's bug, not a crash
        return period_index(day * seconds_per_day, *scope_.period) - first_;
      }
      case mode::empty:
        return -1;
    }
    return -1;
  }

  /// True for a present time in scope that the axis cannot place: outside the range it was built
  /// for (an estimate). The caller then redoes the pass with the exact range.
  bool missed(std::int64_t tick) const noexcept {
    if (mode_ == mode::window || mode_ == mode::all_time || tick == no_time || tick >= end_) return false;
    return tick < range_lo_ || tick > range_hi_;
  }

  /// Marks an absent time in slots_of's output.
  static constexpr std::int64_t absent = -2;

  /// The slots of `n` times: as slot(), and `absent` for no_time. The mode is dispatched once per
  /// call, not per row.
  void slots_of(const std::int64_t* __restrict ticks, std::size_t n, std::int64_t* __restrict out) const noexcept {
    switch (mode_) {
      case mode::table: {
        const std::int32_t* day_slot = day_slot_.data();
        const std::uint64_t lo = std::uint64_t(tick_lo_), span = span_;
        for (std::size_t i = 0; i < n; ++i) {
          const std::uint64_t offset = std::uint64_t(ticks[i]) - lo;
          out[i] =
              offset > span ? (ticks[i] == no_time ? absent : -1) : day_slot[offset / std::uint64_t(ticks_per_day)];
        }
        return;
      }
      case mode::window:
        for (std::size_t i = 0; i < n; ++i)
          out[i] = ticks[i] >= begin_ && ticks[i] < end_ ? 0 : ticks[i] == no_time ? absent : -1;
        return;
      case mode::all_time:
        for (std::size_t i = 0; i < n; ++i) out[i] = ticks[i] == no_time ? absent : ticks[i] < end_ ? 0 : -1;
        return;
      case mode::calendar:
      case mode::empty:
        for (std::size_t i = 0; i < n; ++i) out[i] = ticks[i] == no_time ? absent : slot(ticks[i]);
        return;
    }
  }

  /// The first second of a slot: the period's start, the window's start, or no_time (all time).
  timestamp start(std::int64_t s) const noexcept {
    if (scope_.window_days > 0) return scope_.as_of - scope_.window_days * seconds_per_day;
    if (!scope_.period) return no_time;
    return period_start(first_ + s, *scope_.period);
  }

 private:
  enum class mode : std::uint8_t { empty, table, window, all_time, calendar };
  time_grouping scope_;
  mode mode_ = mode::empty;
  std::int64_t end_ = 0, begin_ = 0;
  std::int64_t slots_ = 0, first_ = 0, day_lo_ = 0, day_hi_ = -1, tick_lo_ = 0;
  std::int64_t range_lo_ = std::numeric_limits<std::int64_t>::max(), range_hi_ = no_time;  // empty: misses all
  std::uint64_t span_ = 0;
  std::vector<std::int32_t> day_slot_;
};

/// Open addressing from a group's mixed-radix key to its dense id (linear probing, power-of-two
/// capacity, grown by doubling): used when the key space is too large for a direct table. One flat
/// allocation, never one per group.
class flat_group_map {
 public:
  static constexpr std::uint64_t empty = std::numeric_limits<std::uint64_t>::max();

  flat_group_map() { rehash(64); }

  /// The id stored for `key`, or `next` after storing it.
  std::int32_t find_or_insert(std::uint64_t key, std::int32_t next) {
    std::size_t i = hash(key);
    while (true) {
      if (keys_[i] == key) return ids_[i];
      if (keys_[i] == empty) break;
      i = (i + 1) & mask_;
    }
    if (2 * (size_ + 1) > keys_.size()) {
      rehash(keys_.size() * 2);
      return find_or_insert(key, next);
    }
    keys_[i] = key;
    ids_[i] = next;
    ++size_;
    return next;
  }

 private:
  std::size_t hash(std::uint64_t key) const noexcept {
    return std::size_t((key * 0x9E3779B97F4A7C15ull) >> shift_);  // Fibonacci hashing (Knuth 6.4)
  }
  void rehash(std::size_t capacity) {
    std::vector<std::uint64_t> old_keys = std::move(keys_);
    std::vector<std::int32_t> old_ids = std::move(ids_);
    keys_.assign(capacity, empty);
    ids_.assign(capacity, -1);
    mask_ = capacity - 1;
    shift_ = 64;
    for (std::size_t c = capacity; c > 1; c >>= 1) --shift_;
    size_ = 0;
    for (std::size_t j = 0; j < old_keys.size(); ++j)
      if (old_keys[j] != empty) find_or_insert(old_keys[j], old_ids[j]);
  }

  std::vector<std::uint64_t> keys_;
  std::vector<std::int32_t> ids_;
  std::size_t mask_ = 0, size_ = 0;
  int shift_ = 64;
};

/// Rows → dense group ids. A group is a combination of key codes and a time slot, numbered by a
/// mixed-radix key `Σ (codeₖ + 1)·strideₖ + slot·stride_slot`; ids are given in first-seen order and
/// mapped through a direct table when the key space is small (the usual segment × month) or through
/// flat_group_map otherwise. The last key is cached: tables sorted by account repeat it row after row.
class grouper {
 public:
  /// A direct table is used up to this many key combinations (or twice the row count, if larger).
  static constexpr std::uint64_t direct_limit = 1u << 22;

  grouper(std::span<const key_column> keys, std::int64_t slots, std::size_t rows) : keys_(keys.begin(), keys.end()) {
    std::uint64_t stride = 1;
    for (const auto& k : keys_) {
      strides_.push_back(stride);
      cardinality_.push_back(std::int64_t(k.labels.size()));
      if (__builtin_mul_overflow(stride, std::uint64_t(k.labels.size()) + 1, &stride) || stride > (1ull << 62))
        throw invalid_input("too many key combinations to group by");
    }
    slot_stride_ = stride;
    std::uint64_t total = 0;
    if (__builtin_mul_overflow(stride, std::uint64_t(std::max<std::int64_t>(slots, 1)), &total) || total > (1ull << 62))
      throw invalid_input("too many key × period combinations to group by");
    total_ = total;
    use_direct_ = total <= std::max<std::uint64_t>(direct_limit, 2 * std::uint64_t(rows)) && total <= (1ull << 27);
  }

  /// The number of key × slot combinations (an upper bound of the groups).
  std::uint64_t combinations() const noexcept { return total_; }

  /// The mixed-radix number of (key, slot), in [0, combinations()).
  std::uint64_t combination(std::uint64_t key, std::int64_t slot) const noexcept {
    return key + std::uint64_t(slot) * slot_stride_;
  }

  /// Registers the combination as the next group id (for callers that keep one state per
  /// combination and list the used ones afterwards, in increasing order).
  void adopt(std::uint64_t combination) { full_keys_.push_back(combination); }

  /// The key part of row r; throws invalid_input when a code lies outside its labels.
  std::uint64_t key_of(std::size_t r) const {
    std::uint64_t key = 0;
    for (std::size_t k = 0; k < keys_.size(); ++k)
      if (!keys_[k].codes.empty()) key += key_of_one(k, r);  // an absent optional column: code −1
    return key;
  }

  /// The key parts of rows [begin, begin + n) into `out`: one typed loop per key, so the code width
  /// is dispatched once per block of rows rather than once per row. Throws invalid_input for a
  /// code outside its labels.
  void keys_of(std::size_t begin, std::size_t n, std::uint64_t* __restrict out) const {
    std::fill_n(out, n, std::uint64_t{0});
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      const key_column& col = keys_[k];
      if (col.codes.empty()) continue;  // an absent optional column: code −1 for every row
      const std::uint64_t stride = strides_[k], limit = std::uint64_t(cardinality_[k]);
      if (!col.via.empty()) {
        for (std::size_t i = 0; i < n; ++i) out[i] += key_of_one(k, begin + i);
        continue;
      }
      col.codes.visit([&](const auto* __restrict codes) {
        // Validity folded into one flag (a shifted code c + 1 must lie in 0..limit), checked after
        // the loop, which then stays branch-free.
        bool bad = false;
        for (std::size_t i = 0; i < n; ++i) {
          const auto shifted = std::uint64_t(std::int64_t(codes[begin + i]) + 1);
          bad |= shifted > limit;
          out[i] += shifted * stride;
        }
        if (bad) [[unlikely]]
          for (std::size_t i = 0; i < n; ++i) key_of_one(k, begin + i);  // throws, naming the row
      });
    }
  }

  /// The dense id of (key, slot), a new one when the combination is first seen.
  std::int32_t group(std::uint64_t key, std::int64_t slot) {
    const std::uint64_t full = key + std::uint64_t(slot) * slot_stride_;
    if (full == last_key_) return last_id_;
    const auto next = std::int32_t(full_keys_.size());
    std::int32_t id;
    if (use_direct_) {
      if (direct_.empty()) direct_.assign(std::size_t(total_), -1);
      std::int32_t& cell = direct_[std::size_t(full)];
      if (cell < 0) cell = next;
      id = cell;
    } else {
      id = map_.find_or_insert(full, next);
    }
    if (id == next) full_keys_.push_back(full);
    last_key_ = full;
    last_id_ = id;
    return id;
  }

  std::size_t size() const noexcept { return full_keys_.size(); }
  /// The mixed-radix combination of group `id` (group(combination, 0) gives it back).
  std::uint64_t combination_of(std::int32_t id) const noexcept { return full_keys_[std::size_t(id)]; }
  /// The memory of the id table once groups are looked up (what a copy per thread costs), groups aside.
  std::size_t table_bytes() const noexcept { return use_direct_ ? std::size_t(total_) * sizeof(std::int32_t) : 0; }
  std::size_t key_count() const noexcept { return keys_.size(); }
  std::uint64_t cardinality(std::size_t k) const noexcept { return std::uint64_t(cardinality_[k]); }

  /// The only key when there is exactly one and its codes are read row by row (no `via`), else null.
  const key_column* single_plain_key() const noexcept {
    return keys_.size() == 1 && keys_[0].via.empty() && !keys_[0].codes.empty() ? &keys_[0] : nullptr;
  }

  /// The groups' keys in id order, with each slot's start from `map`.
  template <class PeriodMap>
  group_keys keys(const PeriodMap& map, const time_grouping& scope) const {
    group_keys out;
    out.period = scope.window_days > 0 ? std::nullopt : scope.period;
    out.window_days = scope.window_days;
    const std::size_t n = full_keys_.size();
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      // The codes in use, recoded to their rank among the used labels (which are kept, sorted):
      // a result carries only its own labels, and code order is label order.
      std::vector<std::int32_t> codes(n);
      std::vector<std::int32_t> rank(std::size_t(cardinality_[k]), -1);
      std::vector<std::int32_t> used;
      for (std::size_t g = 0; g < n; ++g) {
        const auto c = std::int32_t((full_keys_[g] / strides_[k]) % (std::uint64_t(cardinality_[k]) + 1)) - 1;
        codes[g] = c;
        if (c >= 0 && rank[std::size_t(c)] < 0) rank[std::size_t(c)] = 0, used.push_back(c);
      }
      const auto& labels = keys_[k].labels;
      std::sort(used.begin(), used.end(), [&](std::int32_t a, std::int32_t b) {
        return labels[std::size_t(a)] < labels[std::size_t(b)] ||
               (labels[std::size_t(a)] == labels[std::size_t(b)] && a < b);
      });
      std::vector<std::string> kept;
      kept.reserve(used.size());
      for (std::size_t i = 0; i < used.size(); ++i) {
        rank[std::size_t(used[i])] = std::int32_t(i);
        kept.push_back(labels[std::size_t(used[i])]);
      }
      for (auto& c : codes) c = c < 0 ? no_code : rank[std::size_t(c)];
      out.names.push_back(keys_[k].name);
      out.labels.push_back(std::move(kept));
      out.codes.push_back(std::move(codes));
      out.input_codes.push_back(std::move(used));
    }
    out.start.resize(n);
    for (std::size_t g = 0; g < n; ++g) out.start[g] = map.start(std::int64_t(full_keys_[g] / slot_stride_));
    return out;
  }

 private:
  /// The part of key k in row r's key, checked.
  std::uint64_t key_of_one(std::size_t k, std::size_t r) const {
    const key_column& col = keys_[k];
    std::size_t i = r;
    if (!col.via.empty()) {
      i = std::size_t(col.via[r]);
      if (i >= col.codes.size()) bad_code(k, r, col.via[r]);
    }
    const std::int64_t c = col.codes[i];
    if (c < -1 || c >= cardinality_[k]) bad_code(k, r, c);
    return std::uint64_t(c + 1) * strides_[k];
  }

  [[noreturn, gnu::cold, gnu::noinline]] void bad_code(std::size_t k, std::size_t r, std::int64_t c) const {
    throw invalid_input("row " + std::to_string(r) + ": key '" + keys_[k].name + "' has code " + std::to_string(c) +
                        ", outside −1.." + std::to_string(cardinality_[k] - 1));
  }

  std::vector<key_column> keys_;
  std::vector<std::uint64_t> strides_;
  std::vector<std::int64_t> cardinality_;
  std::uint64_t slot_stride_ = 1, total_ = 1;
  bool use_direct_ = false;
  std::vector<std::int32_t> direct_;
  flat_group_map map_;
  std::vector<std::uint64_t> full_keys_;  // per group id
  std::uint64_t last_key_ = flat_group_map::empty;
  std::int32_t last_id_ = -1;
};

/// Whether to keep one state per key × slot combination: when their memory stays small next to the
/// rows' (at most 8 bytes per row, at least 1 MiB allowed, at most 64 MiB).
inline bool direct_states(std::uint64_t combinations, std::size_t state_bytes, std::size_t rows) noexcept {
  const std::uint64_t bytes = combinations * state_bytes;
  return combinations <= (1u << 24) && bytes <= (64u << 20) && bytes <= std::max<std::uint64_t>(1u << 20, 8 * rows);
}

/// Builds the grouped result from the grouper's ids and the per-id values, in canonical order.
template <class Value, class PeriodMap>
grouped<Value> finish(const grouper& g, const PeriodMap& map, const time_grouping& scope, std::vector<Value> values) {
  grouped<Value> out{g.keys(map, scope), std::move(values)};
  canonical_order(out.keys, out.values);
  return out;
}

/// Where the rows' times come from, for messages: `surveys[12]: 'timestamp' is empty`.
struct row_names {
  std::string_view table;
  std::string_view time;
};

[[noreturn, gnu::cold, gnu::noinline]] inline void throw_empty_time(row_names names, std::size_t r) {
  throw invalid_input(std::string(names.table) + "[" + std::to_string(r) + "]: '" + std::string(names.time) +
                      "' is empty");
}

/// One state per key × slot combination, updated in place; `touched` marks the used ones. (Not a
/// byte: a char store may alias anything and would make the compiler reload loop invariants.)
template <class Value, class Add>
struct direct_update {
  Value* states;
  std::uint32_t* touched;
  std::uint64_t slot_stride;
  Add& add;

  [[gnu::always_inline]] void operator()(std::size_t r, std::uint64_t key, std::int64_t slot) const {
    const auto c = std::size_t(key + std::uint64_t(slot) * slot_stride);
    touched[c] = 1;
    add(states[c], r);
  }
};

/// Dense group ids through the grouper (a direct table or a hash map), states appended as groups appear.
template <class Value, class Add>
struct id_update {
  grouper& g;
  std::vector<Value>& values;
  const Value& init;
  Add& add;

  [[gnu::always_inline]] void operator()(std::size_t r, std::uint64_t key, std::int64_t slot) const {
    const std::int32_t id = g.group(key, slot);
    if (std::size_t(id) == values.size()) values.push_back(init);
    add(values[std::size_t(id)], r);
  }
};

/// The pass over the rows, in blocks: first the slots and keys of a whole block (tight typed
/// loops), then per row the filter and the update. Still one pass over the data: a block of rows
/// stays in the L1 cache between the two steps.
/// The pass over the rows for the common case of at most one key read directly (segment × month):
/// one fused loop with the key's code type known at compile time.
template <class PeriodMap, class Keep, class Update, class Code>
bool scan_rows_one_key(const PeriodMap& map, const grouper& g, const Code* codes, const time_column& times,
                       std::size_t first, std::size_t last, row_names names, Keep& keep, const Update& update) {
  const std::int64_t* ticks = times.ticks.data();
  const std::uint64_t limit = codes ? g.cardinality(0) : 0;
  for (std::size_t r = first; r < last; ++r) {
    if (!keep(r)) continue;
    const std::int64_t t = ticks[r];
    const std::int64_t s = map.slot(t);
    if (s < 0) {
      if (t == no_time) [[unlikely]]
        throw_empty_time(names, r);
      if (map.missed(t)) [[unlikely]]
        return false;
      continue;
    }
    std::uint64_t key = 0;  // key stride 1: the shifted code is the key
    if (codes) {
      key = std::uint64_t(std::int64_t(codes[r]) + 1);
      if (key > limit) [[unlikely]]
        g.key_of(r);  // throws, naming the row
    }
    update(r, key, s);
  }
  return true;
}

/// Rows [first, last). Returns false, having stopped, when a row in scope fell outside the time axis
/// (see missed()).
template <class PeriodMap, class Keep, class Update>
bool scan_rows(const PeriodMap& map, const grouper& g, const time_column& times, std::size_t first, std::size_t last,
               row_names names, Keep& keep, const Update& update) {
  if (const key_column* k = g.single_plain_key(); k || g.key_count() == 0) {
    if (!k)
      return scan_rows_one_key(map, g, static_cast<const std::int32_t*>(nullptr), times, first, last, names, keep,
                               update);
    return k->codes.visit(
        [&](const auto* codes) { return scan_rows_one_key(map, g, codes, times, first, last, names, keep, update); });
  }
  constexpr std::size_t block = 512;
  std::int64_t slot[block];
  std::uint64_t key[block];
  const std::int64_t* ticks = times.ticks.data();
  for (std::size_t begin = first; begin < last; begin += block) {
    const std::size_t n = std::min(block, last - begin);
    map.slots_of(ticks + begin, n, slot);
    g.keys_of(begin, n, key);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t r = begin + i;
      if (!keep(r)) continue;
      const std::int64_t s = slot[i];
      if (s < 0) {
        if (s == PeriodMap::absent) [[unlikely]]
          throw_empty_time(names, r);
        if (map.missed(ticks[r])) [[unlikely]]
          return false;
        continue;
      }
      update(r, key[i], s);
    }
  }
  return true;
}

/// The group-by of the library. For every row r with `keep(r)` (called for every row; it may throw on
/// a bad row, and the first bad row is the one reported) whose time is in scope, calls `add(value, r)`
/// on the state of the row's group, which starts as `init`. An absent time of a kept row throws
/// invalid_input. One pass over the rows, plus a second only when a row falls outside the time range
/// estimated from a sample. Groups come out in the canonical order; memory is O(groups), or O(key ×
/// period combinations) when those are few. A window without an as-of time ends at the end of the
/// rows' data: the midnight after their latest time (whole days, as dataset::data_end).
/// With few combinations the rows are split into up to `n_threads` blocks, each filling states of its
/// own that are then merged in block order with Value's `+=` — the same bits as one thread wherever
/// that merge is exact (survey histograms, counts, the payments' double-double sums), so `keep` and
/// `add` must be safe to call from several threads (they read the rows only).
template <class Value, class Keep, class Add>
grouped<Value> group_rows(std::span<const key_column> keys, const time_column& times, time_grouping scope,
                          const Value& init, row_names names, Keep&& keep, Add&& add, std::int32_t n_threads = 1) {
  check_threads(n_threads, names.table);
  if (scope.window_days > 0 && scope.as_of == no_time)
    if (const auto r = tick_range(times.ticks))
      scope.as_of = (day_number(floor_div(r->second, times.ticks_per_second)) + 1) * seconds_per_day;
  for (const auto& k : keys) {
    const std::size_t n = k.via.empty() ? k.codes.size() : k.via.size();
    if (n != times.size() && !k.codes.empty())
      throw invalid_input(std::string(names.table) + ": key '" + k.name + "' has " + std::to_string(n) +
                          " rows, the table has " + std::to_string(times.size()));
  }
  const std::size_t rows = times.size();
  return with_ticks(times.ticks_per_second, [&](auto tps) {
    using map_type = period_map<decltype(tps)::value>;
    // The time axis is sized from a sample of the times (padded); should a row fall outside it, the
    // pass is redone once with the exact range. So ordinary data is read in one pass, not two.
    auto run = [&](std::optional<std::pair<std::int64_t, std::int64_t>> range) -> std::optional<grouped<Value>> {
      const map_type map(scope, range);
      grouper g(keys, map.slots(), rows);
      std::vector<Value> values;
      if (direct_states(g.combinations(), sizeof(Value), rows)) {
        // Few combinations (segment × month): one state per combination, updated in place — no id
        // lookup per row — and the touched ones listed afterwards. A block of rows per thread, while
        // all blocks' states (and touched flags) together stay within direct_states' budget.
        const auto combinations = std::size_t(g.combinations());
        const std::size_t bytes = std::min<std::size_t>(64u << 20, std::max<std::size_t>(1u << 20, 8 * rows));
        const std::size_t fit = bytes / std::max<std::size_t>(1, combinations * (sizeof(Value) + sizeof(std::uint32_t)));
        const auto threads = std::int32_t(std::min<std::size_t>(std::size_t(n_threads), std::max<std::size_t>(1, fit)));
        const std::size_t blocks = block_count(rows, threads, block_grain::rows);
        std::vector<std::vector<Value>> dense(blocks);
        std::vector<std::vector<std::uint32_t>> touched(blocks);
        std::vector<char> complete(blocks, 0);
        std::vector<std::exception_ptr> failure(blocks);
        for_each_block(
            rows, threads,
            [&](std::size_t b, std::size_t first, std::size_t last) {
              try {
                dense[b].assign(combinations, init);
                touched[b].assign(combinations, 0);
                const direct_update<Value, Add> update{dense[b].data(), touched[b].data(), g.combination(0, 1), add};
                complete[b] = scan_rows(map, g, times, first, last, names, keep, update);
              } catch (...) {
                failure[b] = std::current_exception();
              }
            },
            block_grain::rows);
        // The first block, in row order, that stopped decides, as one thread would: at a bad row it
        // throws; at a row outside the sampled time axis the pass is redone on the exact one.
        for (std::size_t b = 0; b < blocks; ++b) {
          if (failure[b]) std::rethrow_exception(failure[b]);
          if (!complete[b]) return std::nullopt;
        }
        for (std::size_t b = 1; b < blocks; ++b)  // in block order: the rows' order
          for (std::size_t c = 0; c < combinations; ++c)
            if (touched[b][c]) dense[0][c] += dense[b][c], touched[0][c] = 1;
        for (std::size_t c = 0; c < combinations; ++c)
          if (touched[0][c]) g.adopt(c), values.push_back(std::move(dense[0][c]));
      } else {
        if (!scan_rows(map, g, times, 0, rows, names, keep, id_update<Value, Add>{g, values, init, add}))
          return std::nullopt;
      }
      return finish(g, map, scope, std::move(values));
    };
    if (auto out = run(sampled_tick_range<decltype(tps)::value>(times.ticks))) return std::move(*out);
    return std::move(*run(tick_range(times.ticks)));
  });
}

// ---- keys over a dataset ---------------------------------------------------------------------

/// The key columns named `by` over one event table of `data` (`account`: its account column).
/// A name is looked up among the table's own keys `own` first, then among the account attributes:
/// `account_id` (alias `account`), `segment`, `plan`, `owner`, and `account_owner` (the account's
/// owner even where the table has an owner of its own, as tickets do).
inline std::vector<key_column> dataset_keys(const dataset& data, const column<std::int32_t>& account,
                                            std::span<const key_column> own, std::span<const std::string> by,
                                            std::string_view table) {
  const account_table& acc = data.accounts();
  std::vector<key_column> out;
  for (const auto& name : by) {
    if (std::any_of(out.begin(), out.end(), [&](const key_column& k) { return k.name == name; }))
      throw invalid_input("key '" + name + "' is given twice");
    auto it = std::find_if(own.begin(), own.end(), [&](const key_column& k) { return k.name == name; });
    if (it != own.end()) {
      out.push_back(*it);
      continue;
    }
    const std::span<const std::int32_t> via = account.span();
    if (name == "account_id" || name == "account") {
      out.push_back({name, account, {}, data.account_ids().values()});
    } else if (name == "segment") {
      out.push_back({name, acc.segment, via, acc.segments.values()});
    } else if (name == "plan") {
      out.push_back({name, acc.plan, via, acc.plans.values()});
    } else if (name == "owner" || name == "account_owner") {
      out.push_back({name, acc.owner, via, acc.owners.values()});
    } else {
      std::string choices;
      for (const auto& k : own) choices += k.name + ", ";
      throw invalid_input("unknown key '" + name + "' for " + std::string(table) + ": expected one of " + choices +
                          "account_id, segment, plan, owner, account_owner");
    }
  }
  return out;
}

}  // namespace custhealth::detail
