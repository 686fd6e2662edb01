// src/io/arrays.cpp — the array loader: each table's columns converted by its schema in bulk (a
// numeric column is kept without a copy when nothing needs replacing), then every row checked in
// column order; the first problem of a row is its rejection.

#include "custhealth/io/arrays.hpp"

#include <cmath>
#include <limits>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "loader.hpp"

namespace custhealth {

namespace {

/// One table's columns being converted: the problems found so far (the first per row) and the
/// rows to drop at the end.
class table_loader {
 public:
  table_loader(std::string_view table, const array_table& input, const load_options& options, table_report& report,
               const row_namer* row_name)
      : table_(table), input_(input), options_(options), report_(report), row_name_(row_name) {
    report_.table = table;
    report_.source = "array";
  }

  /// The input's name of a schema column, and its column if given.
  std::string name(std::string_view column) const { return options_.column(table_, std::string(column)); }
  const array_column* find(std::string_view column) const {
    auto it = input_.find(name(column));
    return it == input_.end() ? nullptr : &it->second;
  }

  void set_rows(std::size_t rows) {
    rows_ = rows;
    report_.read = static_cast<std::int64_t>(rows);
  }
  std::size_t rows() const noexcept { return rows_; }

  [[noreturn]] void missing_column(std::string_view column) const {
    throw invalid_input(std::string(table_) + ": missing required column '" + name(column) + "'");
  }
  void check_length(const array_column& c, std::string_view column) const {
    if (c.size() != rows_)
      throw invalid_input(std::string(table_) + ": column '" + name(column) + "' has " + std::to_string(c.size()) +
                          " rows, " + name("account_id") + " has " + std::to_string(rows_));
  }
  const array_column& strings(const array_column& c, std::string_view column) const {
    if (!c.is_strings()) throw invalid_input(std::string(table_) + ": column '" + name(column) + "' must hold strings");
    for (const auto code : c.codes)
      if (code >= std::int64_t(c.values->size()))
        throw invalid_input(std::string(table_) + ": column '" + name(column) + "' has a code past its values");
    return c;
  }

  void fail(std::size_t row, problem p) { problems_.emplace(row, std::move(p)); }  // keeps the first
  bool failed(std::size_t row) const { return problems_.contains(row); }

  /// Rejects the rows with a problem (in row order) and drops them from the table.
  template <class Table>
  void finish(Table& t) {
    std::vector<std::int64_t> keep;
    if (!problems_.empty()) keep.reserve(rows_ - std::min(rows_, problems_.size()));
    auto bad = problems_.begin();
    for (std::size_t r = 0; r < rows_; ++r) {
      if (bad != problems_.end() && bad->first == r) {
        report_.reject(std::string(table_) + (row_name_ ? "[label " + (*row_name_)(r) + "]" : "[" + std::to_string(r) + "]"),
                       bad->second, options_.strict);
        ++bad;
      } else if (!problems_.empty()) {
        keep.push_back(std::int64_t(r));
      }
    }
    report_.accepted = report_.read - report_.rejected;
    if (!problems_.empty()) for_each_column(t, [&](auto& c) { c = gather(c, keep); });
  }

  const load_options& options() const noexcept { return options_; }

 private:
  std::string_view table_;
  const array_table& input_;
  const load_options& options_;
  table_report& report_;
  const row_namer* row_name_;  // the input's own row labels; nullptr: 0-based positions
  std::size_t rows_ = 0;
  std::map<std::size_t, problem> problems_;
};

/// Strings (the factorized form) to dictionary codes, interning each distinct value once.
column<std::int32_t> intern_all(table_loader& in, const array_column& c, dictionary& dict, bool required,
                                const std::string& name) {
  std::vector<std::int32_t> remap(c.values->size());
  for (std::size_t u = 0; u < remap.size(); ++u) remap[u] = dict.intern((*c.values)[u]);
  std::vector<std::int32_t> out(in.rows());
  for (std::size_t r = 0; r < out.size(); ++r) {
    const auto code = c.codes[r];
    out[r] = code < 0 ? no_code : remap[std::size_t(code)];
    if (code < 0 && required) in.fail(r, {name, "is empty", ""});
  }
  return column(std::move(out));
}

/// Column I of a table, converted by its schema: parsing problems recorded per row.
template <class Table, std::size_t I>
auto convert(table_loader& in, Table& t, dictionary& ids) {
  using value_type = typename std::remove_cvref_t<std::tuple_element_t<I, decltype(Table::columns(t))>>::value_type;
  constexpr column_schema c = Table::schema[I];
  const std::string name = in.name(c.name);
  const array_column* input = in.find(c.name);
  const std::size_t rows = in.rows();
  if (!input) {
    if (c.required) in.missing_column(c.name);
    if (c.empty_when_absent) return column<value_type>{};
    if constexpr (std::is_enum_v<value_type>) return column(std::vector<value_type>(rows, static_cast<value_type>(c.fill)));
    else if constexpr (std::is_same_v<value_type, double>) return column(std::vector<double>(rows, c.fill));
    else if constexpr (std::is_same_v<value_type, timestamp>) return column(std::vector<timestamp>(rows, no_time));
    else return column(std::vector<std::int32_t>(rows, no_code));
  }
  in.check_length(*input, c.name);

  if constexpr (c.kind == column_kind::id) {
    return intern_all(in, in.strings(*input, c.name), ids, true, name);
  } else if constexpr (c.kind == column_kind::text) {
    return intern_all(in, in.strings(*input, c.name), std::get<detail::text_rank<Table>(I)>(Table::dictionaries(t)),
                      !c.nullable, name);
  } else if constexpr (std::is_enum_v<value_type>) {
    const auto& s = in.strings(*input, c.name);
    std::vector<std::optional<value_type>> remap(s.values->size());
    for (std::size_t u = 0; u < remap.size(); ++u) remap[u] = enum_from_string<value_type>((*s.values)[u]);
    std::vector<value_type> out(rows, static_cast<value_type>(c.nullable ? c.fill : 0.0));
    for (std::size_t r = 0; r < rows; ++r) {
      const auto code = s.codes[r];
      if (code < 0) {
        if (!c.nullable) in.fail(r, {name, "is empty", ""});
      } else if (const auto e = remap[std::size_t(code)]) {
        out[r] = *e;
      } else {
        in.fail(r, {name, "expected one of " + enum_choices<value_type>(), (*s.values)[std::size_t(code)]});
      }
    }
    return column(std::move(out));
  } else if constexpr (std::is_same_v<value_type, timestamp>) {
    constexpr bool month = c.kind == column_kind::month;
    if (!input->is_strings() && input->int64.size() != rows)
      throw invalid_input(std::string(Table::name) + ": column '" + name + "' must hold int64 epoch seconds or strings");
    column<timestamp> out;
    if (input->is_strings()) {
      std::vector<std::optional<timestamp>> parsed(input->values->size());
      for (std::size_t u = 0; u < parsed.size(); ++u) {
        const std::string& text = (*input->values)[u];
        parsed[u] = month ? parse_month(text, in.options().time_unit) : parse_time(text, in.options().time_unit);
      }
      std::vector<timestamp> values(rows, no_time);
      for (std::size_t r = 0; r < rows; ++r) {
        const auto code = input->codes[r];
        if (code < 0) continue;
        if (const auto v = parsed[std::size_t(code)]) values[r] = *v;
        else in.fail(r, {name, std::string(detail::unparsable(c.kind)), (*input->values)[std::size_t(code)]});
      }
      out = column(std::move(values));
    } else if constexpr (month) {  // times given for months: the first second of each
      std::vector<timestamp> values(input->int64.begin(), input->int64.end());
      for (auto& v : values)
        if (is_plausible_time(v)) v = period_start(period_index(v, period::month), period::month);
      out = column(std::move(values));
    } else {
      out = column<timestamp>(input->int64.data(), rows, input->keep_alive);
    }
    // A missing required time is "is empty"; an implausible one is reported by the row checks.
    if (!c.nullable)
      for (std::size_t r = 0; r < rows; ++r)
        if (out[r] == no_time && !in.failed(r)) in.fail(r, {name, "is empty", ""});
    return out;
  } else {
    static_assert(std::is_same_v<value_type, double>);
    if (input->is_strings() || input->float64.size() != rows)
      throw invalid_input(std::string(Table::name) + ": column '" + name + "' must hold float64 numbers");
    column<double> values(input->float64.data(), rows, input->keep_alive);
    if (!c.nullable || std::isnan(c.fill)) return values;  // NaN: missing, or rejected by the checks
    std::vector<double> filled(values.begin(), values.end());
    for (auto& v : filled)
      if (std::isnan(v)) v = c.fill;
    return column(std::move(filled));
  }
}

/// The row checks of column I (column_schema::check, plausible times), for every row.
template <class Table, std::size_t I>
void check_column(table_loader& in, const Table& t, const std::array<std::string, Table::schema.size()>& names) {
  constexpr column_schema c = Table::schema[I];
  constexpr bool timed = c.kind == column_kind::time || c.kind == column_kind::month;
  if constexpr (c.check != column_check::none || timed) {
    const auto columns = Table::columns(t);
    const auto& values = std::get<I>(columns);
    auto cell_at = [&]<std::size_t J>(std::integral_constant<std::size_t, J>, std::size_t r) {
      detail::cell x;
      using value_type = typename std::remove_cvref_t<std::tuple_element_t<J, decltype(columns)>>::value_type;
      const auto v = std::get<J>(columns)[r];
      if constexpr (std::is_enum_v<value_type>) x.code = static_cast<std::int32_t>(v);
      else if constexpr (std::is_same_v<value_type, double>) x.number = v;
      else if constexpr (std::is_same_v<value_type, timestamp>) x.time = v;
      return x;
    };
    constexpr std::size_t other = c.relative_to >= 0 ? std::size_t(c.relative_to) : I;
    for (std::size_t r = 0; r < in.rows(); ++r) {
      const detail::cell x = cell_at(std::integral_constant<std::size_t, I>{}, r);
      const detail::cell y = cell_at(std::integral_constant<std::size_t, other>{}, r);
      auto p = detail::check_cell(c, names[I].c_str(), x, &y, names[other].c_str(), in.options().csat_scale, [&] {
        if constexpr (timed) return std::to_string(values[r]);
        else return std::to_string(double(values[r]));
      });
      if (p) in.fail(r, std::move(*p));
    }
  }
}

template <class Table>
void load_table(const array_table& input, dataset_parts& parts, Table& t, const load_options& options,
                const row_namer* row_name) {
  table_loader in(Table::name, input, options, parts.report.tables.emplace_back(), row_name);
  const array_column* accounts = in.find("account_id");
  if (!accounts) in.missing_column("account_id");
  in.set_rows(accounts->size());
  constexpr std::size_t n = Table::schema.size();
  std::array<std::string, n> names;
  for (std::size_t i = 0; i < n; ++i) names[i] = in.name(Table::schema[i].name);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((std::get<I>(Table::columns(t)) = convert<Table, I>(in, t, parts.account_ids)), ...);
    (check_column<Table, I>(in, t, names), ...);
  }(std::make_index_sequence<n>{});

  if constexpr (Table::key != row_key::none) {
    constexpr int month = detail::month_column<Table>();
    detail::key_index keys(Table::key);
    for (std::size_t r = 0; r < in.rows(); ++r) {
      const timestamp m = [&] {
        if constexpr (month >= 0) return std::get<std::size_t(month)>(Table::columns(t))[r];
        else return no_time;
      }();
      if (t.account[r] == no_code || (month >= 0 && m == no_time)) continue;
      if (keys.earlier(t.account[r], m, std::int64_t(r)) >= 0)
        in.fail(r, keys.repeated(names[0], month >= 0 ? names[std::size_t(month)] : "", parts.account_ids[t.account[r]],
                                 month >= 0 ? format_date(m).substr(0, 7) : "", ""));
    }
  }
  in.finish(t);
}

}  // namespace

dataset read_arrays(const std::map<table_id, array_table>& tables, const load_options& options,
                    const std::map<table_id, row_namer>& row_names) {
  dataset_parts parts;
  parts.csat_scale = options.csat_scale;
  for_each_table(parts, [&](auto& table) {
    if (auto it = tables.find(std::remove_reference_t<decltype(table)>::id); it != tables.end())
      load_table(it->second, parts, table, options, [&]() -> const row_namer* {
        const auto names = row_names.find(it->first);
        return names == row_names.end() ? nullptr : &names->second;
      }());
  });
  return dataset(std::move(parts));
}

}  // namespace custhealth
