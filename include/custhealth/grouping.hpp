// custhealth/grouping.hpp — how grouped aggregates are asked for and returned: key columns (codes and
// labels), time columns, the period or trailing-window scope, and grouped results that merge exactly.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "custhealth/error.hpp"
#include "custhealth/table.hpp"
#include "custhealth/time.hpp"

namespace custhealth {

/// One integer code per row, borrowed from its owner: int8/16/32/64 (dictionary codes, pandas
/// categorical or factorized codes) or a one-byte enumeration (priority, survey kind). Reading
/// dispatches on the stored width, so no caller has to widen a column (and copy it) first.
class code_span {
 public:
  code_span() = default;

  template <class T>
  requires(std::is_integral_v<T> || std::is_enum_v<T>) code_span(std::span<const T> values)
  noexcept : data_(values.data()), size_(values.size()) {  // NOLINT: implicit by design
    if constexpr (std::is_enum_v<T>) {
      static_assert(sizeof(T) == 1 && std::is_unsigned_v<std::underlying_type_t<T>>);
      type_ = type::u8;
    } else {
      static_assert(std::is_signed_v<T> || sizeof(T) == 1, "codes are signed (−1 = absent) or bytes");
      type_ = std::is_unsigned_v<T> ? type::u8
              : sizeof(T) == 1      ? type::i8
              : sizeof(T) == 2      ? type::i16
              : sizeof(T) == 4      ? type::i32
                                    : type::i64;
    }
  }
  template <class T>
  code_span(const column<T>& c) noexcept : code_span(c.span()) {}  // NOLINT: implicit by design

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const void* data() const noexcept { return data_; }

  /// Calls f(const T* data) with the codes' own type, so a loop over them is typed (and can be
  /// vectorized) instead of dispatching on the width per element.
  template <class F>
  decltype(auto) visit(F&& f) const {
    switch (type_) {
      case type::i8:
        return f(static_cast<const std::int8_t*>(data_));
      case type::i16:
        return f(static_cast<const std::int16_t*>(data_));
      case type::i32:
        return f(static_cast<const std::int32_t*>(data_));
      case type::i64:
        return f(static_cast<const std::int64_t*>(data_));
      case type::u8:
        break;
    }
    return f(static_cast<const std::uint8_t*>(data_));
  }

  [[gnu::always_inline]] std::int64_t operator[](std::size_t i) const noexcept {
    switch (type_) {
      case type::i8:
        return static_cast<const std::int8_t*>(data_)[i];
      case type::i16:
        return static_cast<const std::int16_t*>(data_)[i];
      case type::i32:
        return static_cast<const std::int32_t*>(data_)[i];
      case type::i64:
        return static_cast<const std::int64_t*>(data_)[i];
      case type::u8:
        return static_cast<const std::uint8_t*>(data_)[i];
    }
    return 0;
  }

 private:
  enum class type : std::uint8_t { i8, i16, i32, i64, u8 };
  const void* data_ = nullptr;
  std::size_t size_ = 0;
  type type_ = type::i32;
};

/// A grouping key: its name, a code per row and the label of each code. Code −1 (no_code) means
/// "absent" — an account without a segment — and is kept as a group of its own, never dropped.
struct key_column {
  std::string name;
  code_span codes;                      // one code per row, or per account when `via` is set;
                                        // empty: the key is absent (−1) for every row
  std::span<const std::int32_t> via;    // when set, row r's code is codes[via[r]] (an account attribute)
  std::span<const std::string> labels;  // labels[c] names code c; codes must lie in [−1, labels.size())
};

/// One time per row as int64 ticks since 1970-01-01 UTC; no_time (INT64_MIN) marks an absent time.
/// The tick lets numpy's datetime64[ns] be read in place (ticks_per_second = 10⁹) without a copy.
struct time_column {
  std::span<const std::int64_t> ticks;
  std::int64_t ticks_per_second = 1;

  time_column() = default;
  time_column(std::span<const std::int64_t> t, std::int64_t per_second = 1) noexcept  // NOLINT: implicit by design
      : ticks(t), ticks_per_second(per_second) {}
  template <class Range>
  requires std::is_convertible_v<const Range&, std::span<const std::int64_t>> time_column(const Range& t,
                                                                                          std::int64_t per_second = 1)
  noexcept  // NOLINT: implicit by design
      : ticks(t), ticks_per_second(per_second) {}
  time_column(const column<timestamp>& c) noexcept : ticks(c.span()) {}  // NOLINT: implicit by design

  std::size_t size() const noexcept { return ticks.size(); }
  bool empty() const noexcept { return ticks.empty(); }
  /// Row i's time in seconds (rounded toward −∞), or no_time.
  timestamp operator[](std::size_t i) const noexcept {
    const std::int64_t t = ticks[i];
    if (ticks_per_second == 1 || t == no_time) return t;  // seconds already: no division
    return floor_div(t, ticks_per_second);
  }
};

/// The time axis of a grouped aggregate (DESIGN §2 "as of"). Rows are assigned by their time to a
/// calendar period, to one trailing window, or (neither) to one all-time slot.
/// The point in time says which rows count (time < as_of; with a window, only the window's);
/// `period` splits them into calendar periods unless a window is set.
struct time_grouping : point_in_time {
  std::optional<custhealth::period> period = custhealth::period::month;  // nullopt: no period

  time_grouping() = default;
  time_grouping(std::optional<custhealth::period> p, timestamp as_of = no_time,  // NOLINT: implicit by design
                std::int64_t window_days = 0) noexcept
      : point_in_time{as_of, window_days}, period(p) {}
};

/// The keys of a grouped result: per group, a code for each key (labels say what it names) and the
/// start of its period or window.
struct group_keys {
  std::vector<std::string> names;                      // the key names, as asked
  std::vector<std::vector<std::string>> labels;        // per key: the labels in use, sorted (code = rank)
  std::vector<std::vector<std::int32_t>> codes;        // per key, per group; no_code = absent
  std::vector<std::vector<std::int32_t>> input_codes;  // per key: each label's code in the input key
                                                       // column (empty after a merge of shards)
  std::optional<custhealth::period> period;            // the calendar period of `start` (none with a window)
  std::int64_t window_days = 0;                        // > 0 when grouped by a trailing window
  std::vector<timestamp> start;                        // per group: first second of its period or window;
                                                       // no_time when grouped over all time

  std::size_t size() const noexcept { return start.size(); }
  /// The label of key `k` in group `g`; "" when the key is absent for that group.
  std::string_view label(std::size_t k, std::size_t g) const {
    const std::int32_t c = codes[k][g];
    return c == no_code ? std::string_view{} : std::string_view(labels[k][std::size_t(c)]);
  }
};

namespace detail {

/// Sorts groups into the canonical order — by key codes (absent first), then by period start — and
/// applies the same permutation to `values`. Each key's labels are kept sorted (codes are label
/// ranks), so this is the order of the labels: independent of the shards' dictionaries and of the
/// merge order.
template <class Value>
void canonical_order(group_keys& keys, std::vector<Value>& values) {
  const std::size_t n = keys.size();
  auto key_rank = [&](std::size_t k, std::size_t g) { return keys.codes[k][g]; };
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    for (std::size_t k = 0; k < keys.names.size(); ++k) {
      const auto ra = key_rank(k, a), rb = key_rank(k, b);
      if (ra != rb) return ra < rb;
    }
    return keys.start[a] < keys.start[b];
  });
  if (std::is_sorted(order.begin(), order.end())) return;
  auto permute = [&](auto& v) {
    std::remove_reference_t<decltype(v)> out;
    out.reserve(v.size());
    for (auto i : order) out.push_back(std::move(v[i]));
    v = std::move(out);
  };
  for (auto& c : keys.codes) permute(c);
  permute(keys.start);
  permute(values);
}

}  // namespace detail

/// A grouped aggregate: the keys of each group and its value (a summary or a partial state), in the
/// canonical order (key labels, absent first, then period start). Only groups with at least one
/// row in scope are listed; an empty group would only hold NaN statistics.
template <class Value>
struct grouped {
  group_keys keys;
  std::vector<Value> values;

  std::size_t size() const noexcept { return values.size(); }
  bool empty() const noexcept { return values.empty(); }

  /// Merges the result of another shard of the same table (same key names and time axis), matching
  /// groups by key labels and period start, adding their values with `+=`. Exact, associative and
  /// commutative whenever Value's `+=` is (survey, SLA and payment counts are).
  grouped& operator+=(const grouped& other) {
    if (keys.names != other.keys.names || keys.period != other.keys.period || keys.window_days != other.keys.window_days)
      throw invalid_input("cannot merge grouped results with different keys or time axes");
    const std::size_t n_keys = keys.names.size();
    // The union of the labels of each key, and both sides' codes remapped into it.
    std::vector<std::vector<std::int32_t>> remap_this(n_keys), remap_other(n_keys);
    for (std::size_t k = 0; k < n_keys; ++k) {
      std::vector<std::string> all = keys.labels[k];
      all.insert(all.end(), other.keys.labels[k].begin(), other.keys.labels[k].end());
      std::sort(all.begin(), all.end());
      all.erase(std::unique(all.begin(), all.end()), all.end());
      auto code_of = [&](const std::string& s) {
        return std::int32_t(std::lower_bound(all.begin(), all.end(), s) - all.begin());
      };
      for (const auto& s : keys.labels[k]) remap_this[k].push_back(code_of(s));
      for (const auto& s : other.keys.labels[k]) remap_other[k].push_back(code_of(s));
      keys.labels[k] = std::move(all);
    }
    auto remapped = [](std::int32_t c, const std::vector<std::int32_t>& remap) {
      return c == no_code ? no_code : remap[std::size_t(c)];
    };
    std::map<std::pair<std::vector<std::int32_t>, timestamp>, std::size_t> where;
    for (std::size_t g = 0; g < size(); ++g) {
      std::vector<std::int32_t> id(n_keys);
      for (std::size_t k = 0; k < n_keys; ++k) id[k] = keys.codes[k][g] = remapped(keys.codes[k][g], remap_this[k]);
      where.emplace(std::pair{std::move(id), keys.start[g]}, g);
    }
    for (std::size_t g = 0; g < other.size(); ++g) {
      std::vector<std::int32_t> id(n_keys);
      for (std::size_t k = 0; k < n_keys; ++k) id[k] = remapped(other.keys.codes[k][g], remap_other[k]);
      auto [it, added] = where.emplace(std::pair{id, other.keys.start[g]}, size());
      if (added) {
        for (std::size_t k = 0; k < n_keys; ++k) keys.codes[k].push_back(id[k]);
        keys.start.push_back(other.keys.start[g]);
        values.push_back(other.values[g]);
      } else {
        values[it->second] += other.values[g];
      }
    }
    for (auto& c : keys.input_codes) c.clear();  // the shards' input codes mean nothing together
    detail::canonical_order(keys, values);
    return *this;
  }
  friend grouped operator+(grouped a, const grouped& b) { return a += b; }

  /// Equal when the same groups (by labels and period start) hold equal values, whatever the
  /// dictionaries' codes.
  friend bool operator==(const grouped& a, const grouped& b) {
    if (a.keys.names != b.keys.names || a.keys.period != b.keys.period || a.keys.window_days != b.keys.window_days ||
        a.size() != b.size())
      return false;
    for (std::size_t g = 0; g < a.size(); ++g) {
      if (a.keys.start[g] != b.keys.start[g] || !(a.values[g] == b.values[g])) return false;
      for (std::size_t k = 0; k < a.keys.names.size(); ++k) {
        if ((a.keys.codes[k][g] == no_code) != (b.keys.codes[k][g] == no_code)) return false;
        if (a.keys.label(k, g) != b.keys.label(k, g)) return false;
      }
    }
    return true;
  }
};

}  // namespace custhealth
