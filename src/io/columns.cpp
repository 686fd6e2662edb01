// src/io/columns.cpp — column names from a JSON file (the CLI's --columns), checked against the
// tables' schemas so that a misspelt table or column is an error with its JSON path, not ignored.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "custhealth/io/csv.hpp"

namespace custhealth {

namespace {

/// The default names of the columns of `table` ("*": of every table, each once); empty when the table
/// is unknown.
std::vector<std::string_view> known_columns(const std::string& table) {
  std::vector<std::string_view> found;
  dataset_parts parts;
  for_each_table(parts, [&](auto& t) {
    using table_type = std::remove_reference_t<decltype(t)>;
    if (table != "*" && table != table_type::name) return;
    for (const auto& c : table_type::schema)
      if (std::find(found.begin(), found.end(), c.name) == found.end()) found.push_back(c.name);
  });
  return found;
}

}  // namespace

void add_column_names(load_options& options, const std::filesystem::path& json_file) {
  std::ifstream in(json_file);
  if (!in) throw invalid_input(json_file.string() + ": cannot read the column names file");
  std::stringstream text;
  text << in.rdbuf();
  const std::string file = json_file.string();
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    throw invalid_input(file + ": not JSON: " + e.what());
  }
  if (!doc.is_object()) throw invalid_input(file + ": $: expected an object of tables");
  for (const auto& [table, names] : doc.items()) {
    const auto known = known_columns(table);
    if (known.empty())
      throw invalid_input(file + ": $." + table +
                          ": unknown table: expected \"*\", accounts, usage, surveys, tickets, mrr or payments");
    if (!names.is_object()) throw invalid_input(file + ": $." + table + ": expected an object {default name: input name}");
    for (const auto& [column, name] : names.items()) {
      const std::string path = file + ": $." + table + "." + column;
      if (std::find(known.begin(), known.end(), column) == known.end()) {
        std::string choices;
        for (const auto k : known) choices += (choices.empty() ? "" : ", ") + std::string(k);
        throw invalid_input(path + ": unknown column: expected one of " + choices);
      }
      if (!name.is_string()) throw invalid_input(path + ": the input's name must be a string");
      if (table == "*") options.columns[column] = name.get<std::string>();
      else options.table_columns[table][column] = name.get<std::string>();
    }
  }
}

}  // namespace custhealth
