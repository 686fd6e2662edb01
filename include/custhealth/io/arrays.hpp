// custhealth/io/arrays.hpp — loading the six input tables from columns already in memory (a C++
// service's vectors, pandas' arrays) with the checks and the ingest report of read_csv.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "custhealth/dataset.hpp"

namespace custhealth {

/// One input column: int64 epoch seconds (no_time where missing) or float64 numbers, read in place
/// while `keep_alive` owns them; or strings in pandas' factorized form — per row a code into
/// `values`, −1 where missing. Ids, texts and choices are strings; times are either.
struct array_column {
  std::span<const std::int64_t> int64{};
  std::span<const double> float64{};
  std::span<const std::int64_t> codes{};
  std::shared_ptr<const std::vector<std::string>> values{};  // set: the strings form
  std::shared_ptr<const void> keep_alive{};

  static array_column times(std::span<const std::int64_t> seconds, std::shared_ptr<const void> keep_alive = {}) {
    return {.int64 = seconds, .keep_alive = std::move(keep_alive)};
  }
  static array_column numbers(std::span<const double> values, std::shared_ptr<const void> keep_alive = {}) {
    return {.float64 = values, .keep_alive = std::move(keep_alive)};
  }
  static array_column strings(std::span<const std::int64_t> codes, std::shared_ptr<const std::vector<std::string>> values,
                              std::shared_ptr<const void> keep_alive = {}) {
    return {.codes = codes, .values = std::move(values), .keep_alive = std::move(keep_alive)};
  }

  bool is_strings() const noexcept { return values != nullptr; }
  std::size_t size() const noexcept { return is_strings() ? codes.size() : !int64.empty() ? int64.size() : float64.size(); }
};

/// A table's columns by their names in the input (the schema's defaults, renamed through
/// load_options::columns); columns the schema does not know are ignored.
using array_table = std::map<std::string, array_column, std::less<>>;

/// The name of a table's row `r` in messages, for input whose rows have labels of their own (a
/// DataFrame's index): the message then reads `surveys[label 300]`. Called only for rejected rows.
using row_namer = std::function<std::string(std::size_t row)>;

/// Loads the given tables into one dataset. Each table is checked by its schema (table.hpp) as
/// read_csv checks a file: strict mode throws invalid_input naming `usage[41]: column 'x': reason`
/// (the 0-based row, or `usage[label …]` through `row_names`), lenient mode counts rejected rows in
/// the report. A table's columns must all have the account column's length. Strings given for times
/// are parsed with `options.time_unit` for integers in text; int64 times are seconds.
dataset read_arrays(const std::map<table_id, array_table>& tables, const load_options& options = {},
                    const std::map<table_id, row_namer>& row_names = {});

}  // namespace custhealth
