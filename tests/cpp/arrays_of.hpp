// tests/cpp/arrays_of.hpp — a dataset's columns as the array loader's input, the way a C++ service
// holding columns would hand them over, and a column-by-column comparison of two datasets (texts
// compared as text); the array tests and the loaders' fuzz target share them.
#pragma once

#include <cmath>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "custhealth/io/arrays.hpp"

namespace custhealth::test {

/// The input columns and the code vectors they point into.
struct arrays_of {
  std::map<table_id, array_table> tables;
  std::vector<std::shared_ptr<std::vector<std::int64_t>>> codes;
  std::shared_ptr<account_table> accounts;  // the rows with a start
};

namespace detail_arrays {

inline std::shared_ptr<const std::vector<std::string>> values(std::vector<std::string> v) {
  return std::make_shared<const std::vector<std::string>>(std::move(v));
}

template <class Table>
array_table table_arrays(const Table& t, const std::shared_ptr<const std::vector<std::string>>& ids, arrays_of& out) {
  array_table table;
  const auto columns = Table::columns(t);
  const auto dictionaries = Table::dictionaries(t);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      constexpr column_schema c = Table::schema[J];
      const auto& v = std::get<J>(columns);
      using T = typename std::remove_cvref_t<decltype(v)>::value_type;
      if (v.empty()) return;  // an optional column the input lacked
      if constexpr (c.kind == column_kind::id || c.kind == column_kind::text || std::is_enum_v<T>) {
        auto& codes = *out.codes.emplace_back(std::make_shared<std::vector<std::int64_t>>());
        for (auto x : v) codes.push_back(static_cast<std::int64_t>(x));  // no_code is −1, pandas' missing code
        auto names = ids;
        if constexpr (c.kind == column_kind::text) names = values(std::get<detail::text_rank<Table>(J)>(dictionaries).values());
        if constexpr (std::is_enum_v<T>) names = values({enum_names<T>().begin(), enum_names<T>().end()});
        table.emplace(std::string(c.name), array_column::strings(codes, names));
      } else if constexpr (std::is_same_v<T, double>) {
        table.emplace(std::string(c.name), array_column::numbers(v.span()));
      } else {
        table.emplace(std::string(c.name), array_column::times(v.span()));
      }
    };
    (one(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<Table::schema.size()>{});
  return table;
}

/// The first column of two tables that differs, or nothing.
template <class Table>
std::optional<std::string> table_difference(const Table& a, const Table& b, const dataset& da, const dataset& db) {
  if (a.size() != b.size()) return std::string(Table::name) + ": row counts differ";
  std::optional<std::string> found;
  const auto ca = Table::columns(a), cb = Table::columns(b);
  const auto dictionaries_a = Table::dictionaries(a), dictionaries_b = Table::dictionaries(b);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      constexpr column_schema c = Table::schema[J];
      const auto &x = std::get<J>(ca), &y = std::get<J>(cb);
      using T = typename std::remove_cvref_t<decltype(x)>::value_type;
      const std::string where = std::string(Table::name) + "." + std::string(c.name);
      if (found) return;
      if (x.size() != y.size()) return void(found = where + ": sizes differ");
      for (std::size_t r = 0; r < x.size() && !found; ++r) {
        bool equal;
        if constexpr (c.kind == column_kind::id) {
          equal = da.account_ids()[x[r]] == db.account_ids()[y[r]];
        } else if constexpr (c.kind == column_kind::text) {
          const auto& dx = std::get<detail::text_rank<Table>(J)>(dictionaries_a);
          const auto& dy = std::get<detail::text_rank<Table>(J)>(dictionaries_b);
          equal = (x[r] == no_code ? std::string("\x01") : dx[x[r]]) == (y[r] == no_code ? std::string("\x01") : dy[y[r]]);
        } else if constexpr (std::is_same_v<T, double>) {
          equal = x[r] == y[r] || (std::isnan(x[r]) && std::isnan(y[r]));
        } else {
          equal = x[r] == y[r];
        }
        if (!equal) found = where + ": row " + std::to_string(r) + " differs";
      }
    };
    (one(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<Table::schema.size()>{});
  return found;
}

}  // namespace detail_arrays

/// Every table of `d` with rows, as columns. Accounts seen only in event tables have no start and no
/// accounts row in any input (as write_csv leaves them out): the accounts table keeps the others.
inline arrays_of as_arrays(const dataset& d) {
  arrays_of out;
  const auto ids = detail_arrays::values(d.account_ids().values());
  auto add = [&](const auto& t) {
    if (t.size() > 0) out.tables[std::remove_cvref_t<decltype(t)>::id] = detail_arrays::table_arrays(t, ids, out);
  };
  std::vector<std::int64_t> started;
  for (std::size_t a = 0; a < d.accounts().size(); ++a)
    if (d.accounts().start[a] != no_time) started.push_back(std::int64_t(a));
  out.accounts = std::make_shared<account_table>(d.accounts());
  for_each_column(*out.accounts, [&](auto& c) { c = gather(c, started); });
  add(*out.accounts), add(d.usage()), add(d.surveys()), add(d.tickets()), add(d.mrr()), add(d.payments());
  return out;
}

/// The first difference between two datasets (account ids, then each table's columns), or nothing.
inline std::optional<std::string> difference(const dataset& a, const dataset& b) {
  if (a.account_ids().values() != b.account_ids().values()) return "account ids differ";
  std::optional<std::string> found;
  auto one = [&](const auto& x, const auto& y) {
    if (!found) found = detail_arrays::table_difference(x, y, a, b);
  };
  one(a.accounts(), b.accounts()), one(a.usage(), b.usage()), one(a.surveys(), b.surveys());
  one(a.tickets(), b.tickets()), one(a.mrr(), b.mrr()), one(a.payments(), b.payments());
  return found;
}

}  // namespace custhealth::test
