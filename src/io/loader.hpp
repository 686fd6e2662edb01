// src/io/loader.hpp — what the CSV reader and the array loader share, so both routes accept the same
// rows and word a rejection the same way: a value's checks (the table's schema) and the table's key.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "custhealth/dataset.hpp"

namespace custhealth::detail {

/// One parsed field of a row: the member its column's kind uses.
struct cell {
  timestamp time = no_time;
  double number = std::numeric_limits<double>::quiet_NaN();
  std::int32_t code = no_code;  // a text's dictionary code, a choice's enum value
};

/// Why a non-empty field of `kind` did not parse.
constexpr std::string_view unparsable(column_kind kind) noexcept {
  switch (kind) {
    case column_kind::time: return "cannot parse as a date or time";
    case column_kind::month: return "cannot parse as a month (YYYY-MM or a date)";
    case column_kind::number: return "cannot parse as a number";
    default: return "cannot parse";
  }
}

/// The problem with a parsed value, or nothing: a time's plausibility, a required number's
/// finiteness, then the column's check.
/// `other` is the row's `relative_to` cell (named `other_name`); `text()` gives the value's text
/// for the message and is called only for a bad value (the field of a file; for arrays the
/// number written out).
template <class Text>
std::optional<problem> check_cell(const column_schema& c, const char* name, const cell& value, const cell* other,
                                  const char* other_name, int csat_scale, Text&& text) {
  if ((c.kind == column_kind::time || c.kind == column_kind::month) && value.time != no_time &&
      !is_plausible_time(value.time))
    return checks::plausible_time(name, value.time, text());
  // A number that must be there and is not finite (NaN: pandas' missing value) is that, whatever
  // else the column checks.
  if (c.kind == column_kind::number && !c.nullable && !std::isfinite(value.number))
    return checks::finite(name, value.number, text());
  switch (c.check) {
    case column_check::none: return std::nullopt;
    case column_check::finite:
      if (std::isfinite(value.number)) return std::nullopt;
      return checks::finite(name, value.number, text());
    case column_check::non_negative:
      if ((value.number >= 0 && std::isfinite(value.number)) || (c.nullable && std::isnan(value.number)))
        return std::nullopt;
      return checks::finite_non_negative(name, value.number, text());
    case column_check::survey_score:
      return checks::survey_score(name, static_cast<survey_kind>(other->code), value.number, csat_scale, text());
    case column_check::not_before: return checks::not_before(name, value.time, other_name, other->time);
  }
  return std::nullopt;
}

/// The rows of a table that may not share a key (row_key): remembers where each key was first
/// seen, so the later row is rejected naming the earlier one.
class key_index {
 public:
  explicit key_index(row_key key) : key_(key) {}

  /// Where an earlier row with this row's key was (a line, an index), or -1 after recording `where`.
  std::int64_t earlier(std::int32_t account, timestamp month, std::int64_t where) {
    if (key_ == row_key::none) return -1;
    std::uint64_t k = std::uint32_t(account);
    if (key_ == row_key::account_month) k = (k << 32) | std::uint32_t(period_index(month, period::month));
    const auto [it, fresh] = first_.emplace(k, where);
    return fresh ? -1 : it->second;
  }

  /// The rejection of a repeated key, on the column that repeats (the account, or the month);
  /// `earlier` says where the first row is (" on line 4"; empty for arrays, whose index is the location).
  problem repeated(const std::string& account_column, const std::string& month_column, std::string account,
                   std::string month, const std::string& earlier) const {
    if (key_ == row_key::account) return {account_column, "account already has a row" + earlier, std::move(account)};
    return {month_column, "account already has a row for this month" + earlier, std::move(month)};
  }

 private:
  row_key key_;
  std::unordered_map<std::uint64_t, std::int64_t> first_;
};

/// The column of a table's schema that the key's month comes from (-1 when it has none).
template <class Table>
constexpr int month_column() {
  for (std::size_t i = 0; i < Table::schema.size(); ++i)
    if (Table::schema[i].kind == column_kind::month) return int(i);
  return -1;
}

}  // namespace custhealth::detail
