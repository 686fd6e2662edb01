// custhealth/io/csv.hpp — reading the six input tables from CSV files (RFC 4180) into a dataset,
// with the validation and ingest report of DESIGN §3, and writing a dataset back as CSV.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "custhealth/dataset.hpp"

namespace custhealth {

/// Which file holds which table; absent tables stay empty.
struct csv_files {
  std::optional<std::filesystem::path> usage, accounts, surveys, tickets, mrr, payments;

  /// The file of one table.
  std::optional<std::filesystem::path>& operator[](table_id t) noexcept {
    return const_cast<std::optional<std::filesystem::path>&>(std::as_const(*this)[t]);
  }
  const std::optional<std::filesystem::path>& operator[](table_id t) const noexcept {
    switch (t) {
      case table_id::accounts: return accounts;
      case table_id::usage: return usage;
      case table_id::surveys: return surveys;
      case table_id::tickets: return tickets;
      case table_id::mrr: return mrr;
      case table_id::payments: break;
    }
    return payments;
  }

  /// The tables of DESIGN §2 found in `dir` as `<table>.csv` (usage.csv, accounts.csv, ...).
  /// Throws invalid_input when `dir` is not a directory or holds none of them.
  static csv_files in_directory(const std::filesystem::path& dir);
};

/// Reads the files into one dataset (one account dictionary across tables).
///
/// Columns are found by header name (each table's schema in table.hpp, renamed through
/// `options.columns`); extra columns are ignored. Accepts RFC 4180 quoting, CRLF line ends, a
/// UTF-8 byte-order mark and empty optional fields.
///
/// Throws invalid_input naming `file:line: column 'x': reason` for the first bad row in strict
/// mode, and always for file-level problems (unreadable file, no header, missing or duplicated
/// required column). In lenient mode bad rows are counted in `dataset::report()`.
dataset read_csv(const csv_files& files, const load_options& options = {});

/// Writes every non-empty table of `data` to `dir/<table>.csv` in the format read_csv reads
/// (times as ISO-8601 UTC, `YYYY-MM-DD` when at midnight), creating `dir` if needed.
void write_csv(const dataset& data, const std::filesystem::path& dir);

/// Adds the column names of a JSON file to `options` (the CLI's `--columns FILE.json`): an object of
/// tables, each {default name: name in the input}, with `"*"` for every table —
/// `{"*": {"account_id": "customer"}, "usage": {"timestamp": "event_time"}}`. Throws invalid_input
/// naming the file and the JSON path of an unknown table, an unknown column of a table, or a name
/// that is not a string.
void add_column_names(load_options& options, const std::filesystem::path& json_file);

namespace detail {
/// Quotes a CSV field when it holds a delimiter, a quote or a line break (RFC 4180 §2.6–2.7).
std::string csv_field(std::string_view s);
/// ISO-8601 UTC text of a time: `YYYY-MM-DD` at midnight, else `YYYY-MM-DDThh:mm:ssZ`.
std::string format_time(timestamp t);
}  // namespace detail

}  // namespace custhealth
