// custhealth/table.hpp — the in-memory representation: immutable (possibly borrowed) columns,
// dictionary-encoded strings, the six input tables of DESIGN §2 and the per-account CSR index.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "custhealth/enums.hpp"
#include "custhealth/time.hpp"

namespace custhealth {

/// An immutable column of values that either owns its storage or borrows it from an outside
/// owner (a numpy array) kept alive by `keep_alive`. Copies share the storage.
template <class T>
class column {
 public:
  using value_type = T;

  column() = default;

  explicit column(std::vector<T> values) {
    auto owned = std::make_shared<const std::vector<T>>(std::move(values));
    data_ = owned->data();
    size_ = owned->size();
    owner_ = std::move(owned);
  }

  /// Borrows `size` values at `data`; `keep_alive` owns them for as long as any copy lives.
  column(const T* data, std::size_t size, std::shared_ptr<const void> keep_alive)
      : owner_(std::move(keep_alive)), data_(data), size_(size) {}

  const T* data() const noexcept { return data_; }
  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  const T& operator[](std::size_t i) const noexcept { return data_[i]; }
  const T* begin() const noexcept { return data_; }
  const T* end() const noexcept { return data_ + size_; }
  std::span<const T> span() const noexcept { return {data_, size_}; }

 private:
  std::shared_ptr<const void> owner_;
  const T* data_ = nullptr;
  std::size_t size_ = 0;
};

/// `values[rows[i]]` for every i: the one way rows are permuted or filtered.
template <class T>
column<T> gather(const column<T>& values, std::span<const std::int64_t> rows) {
  if (values.empty()) return values;  // an absent optional column stays absent
  std::vector<T> out(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) out[i] = values[static_cast<std::size_t>(rows[i])];
  return column<T>(std::move(out));
}

/// The code of an absent string (an empty optional field).
inline constexpr std::int32_t no_code = -1;

namespace detail {

/// A fast 64-bit hash of a byte string (8 bytes a step, splitmix64-style mixing): ids are
/// interned millions of times per load, so the hash must cost a few nanoseconds.
inline std::uint64_t hash_bytes(std::string_view s) noexcept {
  std::uint64_t h = 0x9E3779B97F4A7C15ull ^ (s.size() * 0xFF51AFD7ED558CCDull);
  std::size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
    h ^= h >> 31;
  }
  std::uint64_t tail = 0;
  std::memcpy(&tail, s.data() + i, s.size() - i);
  h = (h ^ tail) * 0x94D049BB133111EBull;
  return h ^ (h >> 32);
}

}  // namespace detail

/// Strings to dense int32 codes and back. Every analytic works on codes; the strings are read
/// only at the edges (loading, reports, Python). The index is a flat open-addressing table
/// (linear probing, load ≤ 1/2) whose slots hold the code beside 32 bits of its hash, so a
/// lookup usually costs one cache line for the slot and one string compare.
class dictionary {
 public:
  /// The code of `s`, adding it when new.
  std::int32_t intern(std::string_view s) {
    if (2 * (values_.size() + 1) > slots_.size()) grow();
    const auto h = static_cast<std::uint32_t>(detail::hash_bytes(s));
    slot& found = slots_[find_slot(s, h)];
    if (found.code_plus_one != 0) return found.code_plus_one - 1;
    const auto code = static_cast<std::int32_t>(values_.size());
    values_.emplace_back(s);
    found = {h, code + 1};
    return code;
  }

  /// The code of `s`, or no_code.
  std::int32_t find(std::string_view s) const {
    if (slots_.empty()) return no_code;
    return slots_[find_slot(s, static_cast<std::uint32_t>(detail::hash_bytes(s)))].code_plus_one - 1;
  }

  const std::string& operator[](std::int32_t code) const { return values_[static_cast<std::size_t>(code)]; }
  std::size_t size() const noexcept { return values_.size(); }
  const std::vector<std::string>& values() const noexcept { return values_; }

  /// Reorders the values lexicographically; returns the old-code → new-code map.
  std::vector<std::int32_t> sort() {
    std::vector<std::int32_t> order(values_.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return values_[std::size_t(a)] < values_[std::size_t(b)]; });
    std::vector<std::int32_t> remap(values_.size());
    std::vector<std::string> sorted;
    sorted.reserve(values_.size());
    for (std::size_t i = 0; i < order.size(); ++i) {
      remap[std::size_t(order[i])] = static_cast<std::int32_t>(i);
      sorted.push_back(std::move(values_[std::size_t(order[i])]));
    }
    *this = dictionary{};
    for (auto& s : sorted) intern(s);
    return remap;
  }

 private:
  struct slot {
    std::uint32_t hash = 0;
    std::int32_t code_plus_one = 0;  // 0: empty
  };

  /// The slot holding `s`, or the empty slot where it would go (the table is never full).
  std::size_t find_slot(std::string_view s, std::uint32_t h) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const slot& x = slots_[i];
      if (x.code_plus_one == 0 || (x.hash == h && values_[std::size_t(x.code_plus_one - 1)] == s)) return i;
    }
  }

  void grow() {
    std::vector<slot> slots(std::max<std::size_t>(16, slots_.size() * 2));
    const std::size_t mask = slots.size() - 1;
    for (const slot& x : slots_) {
      if (x.code_plus_one == 0) continue;
      std::size_t i = x.hash & mask;
      while (slots[i].code_plus_one != 0) i = (i + 1) & mask;
      slots[i] = x;
    }
    slots_ = std::move(slots);
  }

  std::vector<std::string> values_;
  std::vector<slot> slots_;  // size a power of two
};

// ---- the per-account index -------------------------------------------------------------------

/// Rows of a table sorted by (account, time): account `a` owns rows [offsets[a], offsets[a+1]).
struct account_index {
  std::vector<std::int64_t> offsets{0};

  std::size_t accounts() const noexcept { return offsets.size() - 1; }
  std::int64_t begin(std::int32_t a) const noexcept { return offsets[std::size_t(a)]; }
  std::int64_t end(std::int32_t a) const noexcept { return offsets[std::size_t(a) + 1]; }
  std::int64_t count(std::int32_t a) const noexcept { return end(a) - begin(a); }
};

// ---- the six tables (DESIGN §2) ----------------------------------------------------------------
// Each table lists its columns once, in columns(), so that sorting, filtering and the Python
// conversion are written once for all tables (see for_each_column in dataset.hpp). Optional columns are empty when absent.

/// Product usage events.
struct usage_table {
  column<std::int32_t> account;
  column<timestamp> time;
  column<std::int32_t> event;  // code into `events`
  column<double> value;        // default 1
  column<std::int32_t> user;   // code into `users`; empty when the input has no user_id
  dictionary events, users;
  account_index index;

  static constexpr std::string_view name = "usage";
  static constexpr auto sort_time = &usage_table::time;
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.time, t.event, t.value, t.user); }
};

/// One row per account (after loading, row == account code).
struct account_table {
  column<std::int32_t> account;
  column<timestamp> start;    // no_time for an account seen only in event tables
  column<timestamp> end;      // churn / cancellation time; no_time while active
  column<std::int32_t> segment, plan, owner;  // codes; no_code when empty
  column<double> seats;       // NaN when empty
  column<timestamp> renewal;  // no_time when empty
  dictionary segments, plans, owners;

  static constexpr std::string_view name = "accounts";
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.start, t.end, t.segment, t.plan, t.owner, t.seats, t.renewal); }
};

/// NPS / CSAT / CES answers.
struct survey_table {
  column<std::int32_t> account;
  column<timestamp> time;
  column<survey_kind> kind;
  column<double> score;
  column<std::int32_t> respondent;  // code into `respondents`; empty when absent
  dictionary respondents;
  account_index index;

  static constexpr std::string_view name = "surveys";
  static constexpr auto sort_time = &survey_table::time;
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.time, t.kind, t.score, t.respondent); }
};

/// Support tickets.
struct ticket_table {
  column<std::int32_t> account;
  column<timestamp> opened;
  column<timestamp> first_response;  // no_time when unanswered
  column<timestamp> resolved;        // no_time when open
  column<priority> prio;             // normal when absent
  column<std::int32_t> owner;        // code into `owners`; no_code when empty
  dictionary owners;
  account_index index;

  static constexpr std::string_view name = "tickets";
  static constexpr auto sort_time = &ticket_table::opened;
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.opened, t.first_response, t.resolved, t.prio, t.owner); }
};

/// Monthly recurring revenue; `month` is the first second of the month.
struct mrr_table {
  column<std::int32_t> account;
  column<timestamp> month;
  column<double> mrr;
  account_index index;

  static constexpr std::string_view name = "mrr";
  static constexpr auto sort_time = &mrr_table::month;
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.month, t.mrr); }
};

/// Payment activity of merchants.
struct payment_table {
  column<std::int32_t> account;
  column<timestamp> time;
  column<payment_type> type;
  column<double> amount;
  column<std::int32_t> currency;  // code into `currencies`; empty when absent
  dictionary currencies;
  account_index index;

  static constexpr std::string_view name = "payments";
  static constexpr auto sort_time = &payment_table::time;
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.time, t.type, t.amount, t.currency); }
};

}  // namespace custhealth
