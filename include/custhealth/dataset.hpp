// custhealth/dataset.hpp — a validated, indexed portfolio: the six tables sharing one account
// dictionary, the domain checks every loader applies, and the ingest report of what was rejected.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "custhealth/error.hpp"
#include "custhealth/table.hpp"

namespace custhealth {

/// What every loader (CSV, arrays, the generator) is told.
struct load_options {
  /// Strict (the default) throws on the first bad row; lenient rejects it, counts it and goes on.
  bool strict = true;
  /// CSAT answers are integers 1..csat_scale.
  int csat_scale = default_csat_scale;
  /// The unit of integer epoch times (ISO dates are unaffected).
  custhealth::time_unit time_unit = custhealth::time_unit::s;
  /// Column names in the input that differ from the defaults of DESIGN §2, as
  /// {default name → input name}, e.g. {"account_id", "customer"}; applied to every table.
  std::map<std::string, std::string> columns;
  /// The same per table, {table name → {default name → input name}}, e.g.
  /// {"usage", {{"timestamp", "event_time"}}}; it wins over `columns` for its table.
  std::map<std::string, std::map<std::string, std::string>> table_columns;

  /// The input's name of a column of `table` (by value: the default name may be a temporary).
  std::string column(std::string_view table, const std::string& default_name) const {
    if (auto t = table_columns.find(std::string(table)); t != table_columns.end())
      if (auto it = t->second.find(default_name); it != t->second.end()) return it->second;
    auto it = columns.find(default_name);
    return it == columns.end() ? default_name : it->second;
  }
};

/// Why one row is rejected: the column and the reason, with the offending value when there is one.
struct problem {
  std::string column;  // empty for a problem of the whole record (field count, quoting)
  std::string reason;
  std::string value;  // empty when the value itself is not the point (e.g. "end before start")
};

/// What loading one table did: `read == accepted + rejected`, always.
struct table_report {
  std::string table;
  std::string source;  // a file path, or "array" for in-memory input
  std::int64_t read = 0;
  std::int64_t accepted = 0;
  std::int64_t rejected = 0;
  std::int64_t duplicates = 0;                 // accepted rows identical to an earlier row
  std::map<std::string, std::int64_t> reasons;  // "column 'score': NPS must be ..." → count
  std::vector<std::string> examples;            // the first few full messages

  static constexpr std::size_t max_examples = 5;

  /// Records a bad row at `location` (`usage.csv:1042` or `usage[1041]`): throws invalid_input in
  /// strict mode, else counts it under its reason and keeps the first few messages.
  void reject(const std::string& location, const problem& p, bool strict);
};

struct ingest_report {
  std::vector<table_report> tables;

  std::int64_t rejected() const {
    std::int64_t n = 0;
    for (const auto& t : tables) n += t.rejected;
    return n;
  }
  const table_report* find(std::string_view table) const {
    for (const auto& t : tables)
      if (t.table == table) return &t;
    return nullptr;
  }
};

// ---- domain checks (DESIGN §3), shared by every loader ---------------------------------------

namespace checks {

inline std::optional<problem> finite(const char* column, double v, std::string_view text) {
  if (!std::isfinite(v)) return problem{column, "must be a finite number", std::string(text)};
  return std::nullopt;
}

/// Money and seat counts: finite and ≥ 0.
inline std::optional<problem> finite_non_negative(const char* column, double v, std::string_view text) {
  if (auto p = finite(column, v, text)) return p;
  if (v < 0) return problem{column, "must not be negative", std::string(text)};
  return std::nullopt;
}

/// The score range of each survey kind (enums.hpp's survey_score_range, which the summaries share):
/// NPS 0..10, CSAT 1..scale, CES 1..7, integers.
inline std::optional<problem> survey_score(const char* column, survey_kind kind, double score, int csat_scale,
                                           std::string_view text) {
  const score_range range = survey_score_range(kind, csat_scale);
  if (!is_integer_score(score, range)) {
    return problem{column,
                   std::string(survey_label(kind)) + " must be an integer " + std::to_string(range.low) + ".." + std::to_string(range.high),
                   std::string(text)};
  }
  return std::nullopt;
}

/// A time inside the plausible span of time.hpp, with a hint when the value looks like epoch
/// milliseconds, microseconds or nanoseconds read as seconds.
inline std::optional<problem> plausible_time(const char* column, timestamp t, std::string_view text) {
  if (is_plausible_time(t)) return std::nullopt;
  std::string reason = "is not a plausible time (before 1900 or from 2200 on)";
  struct unit_hint {
    time_unit unit;
    const char* name;
    const char* words;
  };
  constexpr unit_hint hints[] = {{time_unit::ms, "ms", "milliseconds"}, {time_unit::us, "us", "microseconds"},
                                 {time_unit::ns, "ns", "nanoseconds"}};
  for (const auto& h : hints)
    if (t != no_time && is_plausible_time(t / ticks_per_second(h.unit))) {
      reason += std::string("; epoch ") + h.words + "? pass time_unit='" + h.name + "'";
      break;
    }
  return problem{column, reason, std::string(text)};
}

/// A later time that must not precede an earlier one (end ≥ start, response ≥ opening).
inline std::optional<problem> not_before(const char* column, timestamp later, const char* earlier_column,
                                         timestamp earlier) {
  if (later != no_time && earlier != no_time && later < earlier)
    return problem{column, std::string("is before ") + earlier_column, format_date(later)};
  return std::nullopt;
}

}  // namespace checks

/// The loaders' output before indexing: tables whose account columns are codes into
/// `account_ids`, in any row order, rows already checked.
struct dataset_parts {
  dictionary account_ids;
  account_table accounts;
  usage_table usage;
  survey_table surveys;
  ticket_table tickets;
  mrr_table mrr;
  payment_table payments;
  ingest_report report;
  /// The load's context: the CSAT scale its answers were validated against (summaries default to it).
  int csat_scale = default_csat_scale;
};

/// Calls `f(table)` for each of the six tables of `parts`, in table_id order.
template <class Parts, class F>
void for_each_table(Parts& parts, F&& f) {
  f(parts.accounts), f(parts.usage), f(parts.surveys), f(parts.tickets), f(parts.mrr), f(parts.payments);
}

/// Calls `f(column)` for every column of `table`, in declaration order.
template <class Table, class F>
void for_each_column(Table& table, F&& f) {
  std::apply([&](auto&... c) { (f(c), ...); }, std::remove_const_t<Table>::columns(table));
}

/// An immutable, indexed portfolio. Construction sorts the account dictionary (codes follow id
/// order), gives the accounts table one row per account (row == code; accounts seen only in
/// event tables get a row with `start = no_time`), sorts every event table by (account, time)
/// unless it already is — borrowed columns are then kept without a copy — builds the
/// per-account index and counts duplicate rows into the report. Throws invalid_input for an
/// account code outside the dictionary, two accounts rows of one account, and an MRR row that is
/// negative or not finite or repeats its account's month (the loaders drop those rows first, so
/// this concerns parts built by hand).
class dataset {
 public:
  dataset() : dataset(dataset_parts{}) {}
  explicit dataset(dataset_parts parts);

  std::size_t n_accounts() const noexcept { return p_.account_ids.size(); }
  const dictionary& account_ids() const noexcept { return p_.account_ids; }
  const account_table& accounts() const noexcept { return p_.accounts; }
  const usage_table& usage() const noexcept { return p_.usage; }
  const survey_table& surveys() const noexcept { return p_.surveys; }
  const ticket_table& tickets() const noexcept { return p_.tickets; }
  const mrr_table& mrr() const noexcept { return p_.mrr; }
  const payment_table& payments() const noexcept { return p_.payments; }
  const ingest_report& report() const noexcept { return p_.report; }
  /// The CSAT scale the surveys were validated against (load_options::csat_scale).
  int csat_scale() const noexcept { return p_.csat_scale; }

  /// The whole UTC days holding one table's event times, from the midnight before the earliest to
  /// the midnight after the latest ({0, 0} when it has none). Event times are usage, surveys and
  /// payments `timestamp`; tickets `opened_at`, `first_response_at` and `resolved_at`; accounts
  /// `start` and `end` (not `renewal_date`, which lies ahead); MRR rows stand for whole months, so
  /// the mrr table ends on the first day of the month after its latest month.
  window table_range(table_id t) const noexcept { return ranges_[static_cast<std::size_t>(t)]; }

  /// The union of the event tables' ranges — the accounts' own only when no event table has rows, as
  /// an `end` may be entered ahead of time ({0, 0} when every table is empty). The report's T.
  window time_range() const noexcept;

  /// The end of the data of the tables an analytic reads (DESIGN §2, default T): the earliest end
  /// among those of `tables` that have rows, so that no table is read past its own end; no_time
  /// when none has rows.
  timestamp data_end(std::initializer_list<table_id> tables) const noexcept;

  /// `as_of`, or data_end(tables) when it is no_time: how every analytic resolves its default T.
  timestamp as_of_or_end(timestamp as_of, std::initializer_list<table_id> tables) const noexcept {
    return as_of != no_time ? as_of : data_end(tables);
  }

 private:
  dataset_parts p_;
  std::array<window, enum_size<table_id>> ranges_{};
};

}  // namespace custhealth
