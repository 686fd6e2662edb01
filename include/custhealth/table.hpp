// custhealth/table.hpp — the in-memory representation: immutable (possibly borrowed) columns,
// dictionary-encoded strings, the six input tables of DESIGN §2 and the per-account CSR index.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
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
  if (i < s.size()) std::memcpy(&tail, s.data() + i, s.size() - i);  // an empty view's data() may be null
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

// ---- the schema: each table's columns, once -----------------------------------------------------
// Every table declares its columns in two lists side by side and nowhere else: `schema` (names,
// kinds, what an absent column or an empty field means, the checks) and `columns()` (the C++ members,
// in the same order). The CSV reader and writer, the array loader (io/), sorting, filtering and Python's table
// list all walk them, so a column is added in one place.

/// What a column holds, and so how it is parsed and written.
enum class column_kind : std::uint8_t {
  id,      // the account id: a code into the dataset's account dictionary
  text,    // a code into one of the table's dictionaries (`dictionaries()`, in column order)
  choice,  // one of an enum's names (enums.hpp)
  time,    // a date or time (DESIGN §2)
  month,   // YYYY-MM or any time in the month, kept as the month's first second
  number,  // a float64
};

/// A check of a parsed value (DESIGN §3); the ones comparing two columns name the other in
/// `column_schema::relative_to`.
enum class column_check : std::uint8_t {
  none,
  finite,        // a finite number
  non_negative,  // finite and ≥ 0 (money, seats)
  survey_score,  // an integer in the score range of the row's survey kind
  not_before,    // not before the other column's time (end ≥ start, response ≥ opening)
};

/// One column of an input table.
struct column_schema {
  std::string_view name;  // the default name (DESIGN §2); load_options::columns renames it
  column_kind kind;
  bool required = false;  // a file or frame without the column is refused
  /// An empty field (or NA, NULL, ...) means "missing" (no_time, NaN, no_code) or `fill`; when
  /// false it rejects the row as "is empty".
  bool nullable = false;
  /// The value of an absent optional column, and of an empty nullable field: NaN means missing;
  /// for a choice, the enum's value.
  double fill = std::numeric_limits<double>::quiet_NaN();
  column_check check = column_check::none;
  int relative_to = -1;  // the earlier column a two-column check compares with
  /// An absent column stays empty (size 0) rather than filled with missing values: analytics tell
  /// "the input has no user ids" from "this row has none".
  bool empty_when_absent = false;
};

/// Which rows of a table may not share a key (the later one is rejected).
enum class row_key : std::uint8_t { none, account, account_month };

// ---- the six tables (DESIGN §2) ----------------------------------------------------------------

/// Product usage events.
struct usage_table {
  column<std::int32_t> account;
  column<timestamp> time;
  column<std::int32_t> event;  // code into `events`
  column<double> value;        // default 1
  column<std::int32_t> user;   // code into `users`; empty when the input has no user_id
  dictionary events, users;
  account_index index;

  static constexpr table_id id = table_id::usage;
  static constexpr std::string_view name = to_string(id);
  static constexpr row_key key = row_key::none;
  static constexpr std::array<column_schema, 5> schema{{
      {.name = "account_id", .kind = column_kind::id, .required = true},
      {.name = "timestamp", .kind = column_kind::time, .required = true},
      {.name = "event", .kind = column_kind::text, .required = true},
      // An absent column counts each event once; an empty value in the column is rejected, not a silent 1.
      {.name = "value", .kind = column_kind::number, .fill = 1.0, .check = column_check::finite},
      {.name = "user_id", .kind = column_kind::text, .nullable = true, .empty_when_absent = true},
  }};
  static constexpr auto sort_time = &usage_table::time;
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.time, t.event, t.value, t.user); }
  template <class Self>
  static auto dictionaries(Self& t) { return std::tie(t.events, t.users); }
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

  static constexpr table_id id = table_id::accounts;
  static constexpr std::string_view name = to_string(id);
  static constexpr row_key key = row_key::account;
  static constexpr std::array<column_schema, 8> schema{{
      {.name = "account_id", .kind = column_kind::id, .required = true},
      {.name = "start", .kind = column_kind::time, .required = true},
      {.name = "end", .kind = column_kind::time, .nullable = true, .check = column_check::not_before, .relative_to = 1},
      {.name = "segment", .kind = column_kind::text, .nullable = true},
      {.name = "plan", .kind = column_kind::text, .nullable = true},
      {.name = "owner", .kind = column_kind::text, .nullable = true},
      {.name = "seats", .kind = column_kind::number, .nullable = true, .check = column_check::non_negative},
      {.name = "renewal_date", .kind = column_kind::time, .nullable = true},
  }};
  std::size_t size() const noexcept { return account.size(); }
  /// Active at T (DESIGN §4): started before T and not ended before T — the accounts a scorecard
  /// scores and an owner's book holds.
  bool active_at(std::size_t a, timestamp T) const noexcept {
    const timestamp s = start.empty() ? no_time : start[a], e = end.empty() ? no_time : end[a];
    return s != no_time && s < T && !(e != no_time && e < T);
  }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.start, t.end, t.segment, t.plan, t.owner, t.seats, t.renewal); }
  template <class Self>
  static auto dictionaries(Self& t) { return std::tie(t.segments, t.plans, t.owners); }
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

  static constexpr table_id id = table_id::surveys;
  static constexpr std::string_view name = to_string(id);
  static constexpr row_key key = row_key::none;
  static constexpr std::array<column_schema, 5> schema{{
      {.name = "account_id", .kind = column_kind::id, .required = true},
      {.name = "timestamp", .kind = column_kind::time, .required = true},
      {.name = "kind", .kind = column_kind::choice, .required = true},
      {.name = "score", .kind = column_kind::number, .required = true, .check = column_check::survey_score, .relative_to = 2},
      {.name = "respondent", .kind = column_kind::text, .nullable = true, .empty_when_absent = true},
  }};
  static constexpr auto sort_time = &survey_table::time;
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.time, t.kind, t.score, t.respondent); }
  template <class Self>
  static auto dictionaries(Self& t) { return std::tie(t.respondents); }
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

  static constexpr table_id id = table_id::tickets;
  static constexpr std::string_view name = to_string(id);
  static constexpr row_key key = row_key::none;
  static constexpr std::array<column_schema, 6> schema{{
      {.name = "account_id", .kind = column_kind::id, .required = true},
      {.name = "opened_at", .kind = column_kind::time, .required = true},
      {.name = "first_response_at", .kind = column_kind::time, .nullable = true, .check = column_check::not_before, .relative_to = 1},
      {.name = "resolved_at", .kind = column_kind::time, .nullable = true, .check = column_check::not_before, .relative_to = 1},
      {.name = "priority", .kind = column_kind::choice, .nullable = true, .fill = double(priority::normal)},
      {.name = "owner", .kind = column_kind::text, .nullable = true},
  }};
  static constexpr auto sort_time = &ticket_table::opened;
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.opened, t.first_response, t.resolved, t.prio, t.owner); }
  template <class Self>
  static auto dictionaries(Self& t) { return std::tie(t.owners); }
};

/// Monthly recurring revenue; `month` is the first second of the month.
struct mrr_table {
  column<std::int32_t> account;
  column<timestamp> month;
  column<double> mrr;
  account_index index;

  static constexpr table_id id = table_id::mrr;
  static constexpr std::string_view name = to_string(id);
  static constexpr row_key key = row_key::account_month;
  static constexpr std::array<column_schema, 3> schema{{
      {.name = "account_id", .kind = column_kind::id, .required = true},
      {.name = "month", .kind = column_kind::month, .required = true},
      {.name = "mrr", .kind = column_kind::number, .required = true, .check = column_check::non_negative},
  }};
  static constexpr auto sort_time = &mrr_table::month;
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.month, t.mrr); }
  template <class Self>
  static auto dictionaries(Self&) { return std::tuple<>(); }
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

  static constexpr table_id id = table_id::payments;
  static constexpr std::string_view name = to_string(id);
  static constexpr row_key key = row_key::none;
  static constexpr std::array<column_schema, 5> schema{{
      {.name = "account_id", .kind = column_kind::id, .required = true},
      {.name = "timestamp", .kind = column_kind::time, .required = true},
      {.name = "type", .kind = column_kind::choice, .required = true},
      {.name = "amount", .kind = column_kind::number, .required = true, .check = column_check::non_negative},
      {.name = "currency", .kind = column_kind::text, .nullable = true, .empty_when_absent = true},
  }};
  static constexpr auto sort_time = &payment_table::time;
  std::size_t size() const noexcept { return account.size(); }
  template <class Self>
  static auto columns(Self& t) { return std::tie(t.account, t.time, t.type, t.amount, t.currency); }
  template <class Self>
  static auto dictionaries(Self& t) { return std::tie(t.currencies); }
};

// ---- the schema agrees with the members ----------------------------------------------------------

namespace detail {

template <class T>
constexpr bool holds_kind(column_kind k) {
  switch (k) {
    case column_kind::id:
    case column_kind::text: return std::is_same_v<T, std::int32_t>;
    case column_kind::choice: return std::is_enum_v<T>;
    case column_kind::time:
    case column_kind::month: return std::is_same_v<T, timestamp>;
    case column_kind::number: return std::is_same_v<T, double>;
  }
  return false;
}

/// Every column's member type fits its kind, one dictionary per text column, the account id
/// first, two-column checks look back, and a required column is never "empty is fine".
template <class Table>
consteval bool schema_fits() {
  using columns = decltype(Table::columns(std::declval<Table&>()));
  constexpr auto& s = Table::schema;
  if (std::tuple_size_v<columns> != s.size() || s[0].kind != column_kind::id) return false;
  std::size_t texts = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    texts += s[i].kind == column_kind::text;
    if (s[i].relative_to >= int(i) || (s[i].required && s[i].nullable)) return false;
    if ((s[i].check == column_check::not_before || s[i].check == column_check::survey_score) != (s[i].relative_to >= 0))
      return false;
  }
  const bool kinds = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return (holds_kind<typename std::remove_cvref_t<std::tuple_element_t<I, columns>>::value_type>(s[I].kind) && ...);
  }(std::make_index_sequence<std::tuple_size_v<columns>>{});
  return kinds && texts == std::tuple_size_v<decltype(Table::dictionaries(std::declval<Table&>()))>;
}

/// The index of column `i` among the table's text columns: which of `dictionaries()` it codes into.
template <class Table>
consteval std::size_t text_rank(std::size_t i) {
  std::size_t rank = 0;
  for (std::size_t j = 0; j < i; ++j) rank += Table::schema[j].kind == column_kind::text;
  return rank;
}

}  // namespace detail

static_assert(detail::schema_fits<usage_table>() && detail::schema_fits<account_table>() &&
              detail::schema_fits<survey_table>() && detail::schema_fits<ticket_table>() &&
              detail::schema_fits<mrr_table>() && detail::schema_fits<payment_table>());

}  // namespace custhealth
