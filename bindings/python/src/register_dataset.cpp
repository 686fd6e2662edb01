// bindings/python/src/register_dataset.cpp — datasets for Python: from CSV files, from arrays
// (pandas columns handed to io/arrays.hpp's loader), from the generator; and back out as numpy
// views, table by table through the schema.

#include <map>
#include <string>
#include <memory>
#include <type_traits>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "custhealth/io/arrays.hpp"
#include "custhealth/io/csv.hpp"
#include "custhealth/synth/generate.hpp"

namespace custhealth::python {

namespace {

/// Python's tables (DataFrame columns as Dataset prepared them) as the array loader's input: a
/// (codes, values) tuple is strings in factorized form, an int64 array times, anything else
/// float64 numbers. Arrays are read in place; one list of values shared by several columns (the
/// account ids) is converted once.
std::map<table_id, array_table> array_tables(const py::dict& tables) {
  std::map<table_id, array_table> out;
  std::map<PyObject*, std::shared_ptr<const std::vector<std::string>>> values_of;
  for (const auto& [key, columns] : tables) {
    const auto table = parse_enum<table_id>("table", key.cast<std::string>());
    array_table& t = out[table];
    for (const auto& [name, object] : columns.cast<py::dict>()) {
      array_column c;
      if (py::isinstance<py::tuple>(object)) {
        const auto pair = object.cast<py::tuple>();
        auto codes = array_of<std::int64_t>::ensure(pair[0]);
        if (!codes) throw invalid_input(std::string(to_string(table)) + ": column '" + name.cast<std::string>() + "' has no codes");
        auto& values = values_of[pair[1].ptr()];
        if (!values) values = std::make_shared<const std::vector<std::string>>(pair[1].cast<std::vector<std::string>>());
        c = array_column::strings(as_span(codes), values, keep_alive(codes));
      } else if (py::isinstance<py::array>(object) &&
                 py::reinterpret_borrow<py::array>(object).dtype().equal(py::dtype::of<std::int64_t>())) {
        auto a = array_of<std::int64_t>::ensure(object);
        c = array_column::times(as_span(a), keep_alive(a));
      } else {
        auto a = array_of<double>::ensure(object);
        if (!a) throw invalid_input(std::string(to_string(table)) + ": column '" + name.cast<std::string>() + "' is not numeric");
        c = array_column::numbers(as_span(a), keep_alive(a));
      }
      t.emplace(name.cast<std::string>(), std::move(c));
    }
  }
  return out;
}

using table_names = std::map<std::string, std::map<std::string, std::string>>;

load_options make_options(bool strict, int csat_scale, std::map<std::string, std::string> columns,
                          table_names table_columns, const std::string& unit) {
  load_options options;
  options.strict = strict;
  options.csat_scale = csat_scale;
  options.columns = std::move(columns);
  options.table_columns = std::move(table_columns);
  options.time_unit = parse_time_unit(unit);
  return options;
}

/// One table's columns for Python, by their default names: numpy views; texts as (codes,
/// values), choices as (values, names). An absent optional column is a typed array of length 0
/// (Python fills it with missing values for a non-empty table).
template <class Table>
py::dict table_columns(const Table& t) {
  py::dict out;
  const auto columns = Table::columns(t);
  const auto dictionaries = Table::dictionaries(t);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      constexpr column_schema c = Table::schema[J];
      const auto& values = std::get<J>(columns);
      using value_type = typename std::remove_cvref_t<decltype(values)>::value_type;
      py::object v;
      if constexpr (std::is_enum_v<value_type>) {
        using U = std::underlying_type_t<value_type>;
        py::object raw = values.empty() ? py::object(py::array_t<U>(0))
                                        : py::object(view(column<U>(reinterpret_cast<const U*>(values.data()), values.size(),
                                                                    std::make_shared<column<value_type>>(values))));
        std::vector<std::string> names(enum_names<value_type>().begin(), enum_names<value_type>().end());
        v = py::make_tuple(raw, names);
      } else {
        py::object raw = values.empty() ? py::object(py::array_t<value_type>(0)) : py::object(view(values));
        if constexpr (c.kind == column_kind::text) v = py::make_tuple(raw, std::get<detail::text_rank<Table>(J)>(dictionaries).values());
        else v = raw;
      }
      out[py::str(std::string(c.name))] = v;
    };
    (one(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<Table::schema.size()>{});
  return out;
}

/// `_core.SCHEMA`: per table, its columns as (name, kind, required), in column order.
py::dict schema_dict() {
  py::dict out;
  dataset_parts parts;
  for_each_table(parts, [&](auto& table) {
    using table_type = std::remove_reference_t<decltype(table)>;
    py::list columns;
    constexpr std::array kinds{"id", "text", "choice", "time", "month", "number"};
    for (const auto& c : table_type::schema)
      columns.append(py::make_tuple(std::string(c.name), kinds[std::size_t(c.kind)], c.required));
    out[py::str(std::string(table_type::name))] = columns;
  });
  return out;
}

}  // namespace

py::dict report_dict(const ingest_report& report) {
  py::dict out;
  for (const auto& t : report.tables) {
    py::dict d;
    d["source"] = t.source;
    d["read"] = t.read;
    d["accepted"] = t.accepted;
    d["rejected"] = t.rejected;
    d["duplicates"] = t.duplicates;
    d["reasons"] = t.reasons;
    d["examples"] = t.examples;
    out[py::str(t.table)] = d;
  }
  return out;
}

void register_dataset(py::module_& m) {
  py::class_<dataset, dataset_ptr>(m, "Dataset", "An immutable, indexed portfolio (see custhealth.Dataset)")
      .def_property_readonly("n_accounts", &dataset::n_accounts)
      .def_property_readonly("csat_scale", &dataset::csat_scale, "The CSAT scale the surveys were validated against")
      .def_property_readonly("account_ids", [](const dataset& d) { return d.account_ids().values(); })
      .def_property_readonly("ingest_report", [](const dataset& d) { return report_dict(d.report()); })
      .def_property_readonly("time_range", [](const dataset& d) { return py::make_tuple(d.time_range().begin, d.time_range().end); })
      .def("table_range", [](const dataset& d, const std::string& table) {
        const auto w = d.table_range(parse_enum<table_id>("table", table));
        return py::make_tuple(w.begin, w.end);
      }, py::arg("table"), "The whole days holding one table's event times ((0, 0) when it has none)")
      .def("columns", [](const dataset& d, const std::string& table) -> py::dict {
        switch (parse_enum<table_id>("table", table)) {
          case table_id::accounts: return table_columns(d.accounts());
          case table_id::usage: return table_columns(d.usage());
          case table_id::surveys: return table_columns(d.surveys());
          case table_id::tickets: return table_columns(d.tickets());
          case table_id::mrr: return table_columns(d.mrr());
          case table_id::payments: break;
        }
        return table_columns(d.payments());
      }, py::arg("table"), "The columns of one table: numpy views; strings as (codes, values)");

  m.attr("SCHEMA") = schema_dict();

  m.def("from_arrays", [](const py::dict& tables, bool strict, int csat_scale, std::map<std::string, std::string> columns,
                          table_names table_columns, const std::string& unit, const py::dict& row_labels) {
    const auto input = array_tables(tables);
    const auto options = make_options(strict, csat_scale, std::move(columns), std::move(table_columns), unit);
    // A frame's index names its rows in messages; only a rejected row's label is looked up (under the GIL).
    std::map<table_id, row_namer> names;
    for (const auto& [table, index] : row_labels)
      names[parse_enum<table_id>("table", table.cast<std::string>())] = [index = py::reinterpret_borrow<py::object>(index)](
                                                                            std::size_t r) {
        py::gil_scoped_acquire gil;
        return py::str(index[py::int_(r)]).cast<std::string>();
      };
    py::gil_scoped_release release;
    return std::make_shared<dataset>(read_arrays(input, options, names));
  }, py::arg("tables"), py::arg("strict") = true, py::arg("csat_scale") = 5,
     py::arg("columns") = std::map<std::string, std::string>{}, py::arg("table_columns") = table_names{},
     py::arg("time_unit") = "s", py::arg("row_labels") = py::dict());

  // custhealth.dask's light usage ingest (a partition of usage for cohort_retention / lifecycle): the
  // usage table alone from columns the caller factorized — account and event codes into their distinct
  // names, int64 seconds — without the array loader's per-row checks and messages, so None when a row
  // would need one (a missing code, a repeated name, a missing or implausible time): the caller then
  // loads the partition through the loader for its error. `value` is the schema's 1 for every row (the
  // callers' analytics do not read it); the dataset constructor sorts and indexes the rows as always.
  m.def("usage_shard", [](const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& account,
                          const std::vector<std::string>& ids,
                          const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& time,
                          const py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>& event,
                          const std::vector<std::string>& events) -> std::shared_ptr<dataset> {
    const auto n = std::size_t(account.size());
    if (std::size_t(time.size()) != n || std::size_t(event.size()) != n)
      throw invalid_input("usage_shard: the columns have different lengths");
    const std::int64_t* a = account.data();
    const std::int64_t* t = time.data();
    const std::int64_t* e = event.data();
    py::gil_scoped_release release;
    dataset_parts parts;
    usage_table& u = parts.usage;
    for (const auto& id : ids) parts.account_ids.intern(id);
    for (const auto& name : events) u.events.intern(name);
    if (parts.account_ids.size() != ids.size() || u.events.size() != events.size()) return nullptr;
    std::vector<std::int32_t> accounts(n), codes(n);
    std::vector<timestamp> times(t, t + n);
    const auto n_ids = std::int64_t(ids.size()), n_events = std::int64_t(events.size());
    for (std::size_t r = 0; r < n; ++r) {
      if (a[r] < 0 || a[r] >= n_ids || e[r] < 0 || e[r] >= n_events || !is_plausible_time(t[r])) return nullptr;
      accounts[r] = std::int32_t(a[r]), codes[r] = std::int32_t(e[r]);
    }
    u.account = column(std::move(accounts));
    u.time = column(std::move(times));
    u.event = column(std::move(codes));
    u.value = column(std::vector<double>(n, 1.0));
    return std::make_shared<dataset>(std::move(parts));
  }, py::arg("account"), py::arg("ids"), py::arg("time"), py::arg("event"), py::arg("events"));

  m.def("read_csv", [](const std::map<std::string, std::string>& paths, bool strict, int csat_scale,
                       std::map<std::string, std::string> columns, table_names table_columns, const std::string& unit) {
    csv_files files;
    for (const auto& [table, path] : paths) files[parse_enum<table_id>("table", table)] = path;
    const auto options = make_options(strict, csat_scale, std::move(columns), std::move(table_columns), unit);
    py::gil_scoped_release release;
    return std::make_shared<dataset>(read_csv(files, options));
  }, py::arg("paths"), py::arg("strict") = true, py::arg("csat_scale") = 5,
     py::arg("columns") = std::map<std::string, std::string>{}, py::arg("table_columns") = table_names{},
     py::arg("time_unit") = "s");

  m.def("csv_directory", [](const std::string& dir) {
    const auto files = csv_files::in_directory(dir);
    std::map<std::string, std::string> out;
    for (const auto t : enum_values<table_id>())
      if (files[t]) out[std::string(to_string(t))] = files[t]->string();
    return out;
  }, py::arg("dir"));

  m.def("write_csv", [](const dataset& d, const std::string& dir) {
    py::gil_scoped_release release;
    write_csv(d, dir);
  }, py::arg("dataset"), py::arg("dir"));

  m.def("generate", [](std::size_t n_accounts, int days, std::uint64_t seed, timestamp end, bool payments) {
    generate_options options;
    options.n_accounts = n_accounts;
    options.days = days;
    options.seed = seed;
    options.end = end;
    options.payments = payments;
    synthetic_portfolio p;
    {
      py::gil_scoped_release release;
      p = generate(options);
    }
    auto data = std::make_shared<dataset>(std::move(p.data));
    py::dict truth;
    truth["true_health"] = py::array_t<double>(py::ssize_t(p.truth.health.size()), p.truth.health.data());
    truth["true_churn_probability"] =
        py::array_t<double>(py::ssize_t(p.truth.churn_probability.size()), p.truth.churn_probability.data());
    truth["churned"] = py::array_t<std::uint8_t>(py::ssize_t(p.truth.churned.size()), p.truth.churned.data());
    truth["base_health"] = py::array_t<double>(py::ssize_t(p.truth.base_health.size()), p.truth.base_health.data());
    return py::make_tuple(data, truth);
  }, py::arg("n_accounts"), py::arg("days"), py::arg("seed"), py::arg("end"), py::arg("payments"));
}

}  // namespace custhealth::python
