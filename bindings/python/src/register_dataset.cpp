// bindings/python/src/register_dataset.cpp — datasets for Python: from CSV files, from arrays
// (pandas columns, validated by the same domain checks as the CSV reader), from the generator;
// and back out as numpy views.

#include <limits>
#include <map>
#include <unordered_set>

#include "bindings.hpp"
#include "custhealth/io/csv.hpp"
#include "custhealth/synth/generate.hpp"

namespace custhealth::python {

namespace {

/// Reads one table's columns as Python hands them over — a numeric array, or strings
/// factorized into (int64 codes with −1 for missing, list of uniques) — and collects, per row,
/// the first problem found. Rows are then rejected in order, so strict mode names the first.
class array_reader {
 public:
  array_reader(std::string_view table, py::dict columns, const array_of<std::int64_t>& accounts,
               const load_options& options, table_report& report)
      : table_(table), columns_(std::move(columns)), rows_(as_span(accounts).size()), options_(options),
        report_(report) {
    report_.table = table;
    report_.source = "array";
    report_.read = static_cast<std::int64_t>(rows_);
  }

  bool has(const char* name) const { return columns_.contains(options_.column(name)); }

  column<std::int32_t> accounts(const array_of<std::int64_t>& codes, std::size_t n_ids) {
    const auto values = as_span(codes);
    std::vector<std::int32_t> out(rows_);
    for (std::size_t r = 0; r < rows_; ++r) {
      if (values[r] < 0 || std::size_t(values[r]) >= n_ids) fail(r, {name("account_id"), "is empty", ""});
      out[r] = static_cast<std::int32_t>(values[r]);
    }
    return column(std::move(out));
  }

  /// Times as int64 epoch seconds (INT64_MIN for missing; kept without a copy) or as strings.
  column<timestamp> times(const char* col, bool required, bool month = false) {
    if (!has(col)) {
      if (required) missing_column(col);
      return column(std::vector<timestamp>(rows_, no_time));
    }
    auto object = get(col);
    column<timestamp> out;
    if (auto strings = factorized(object)) {
      std::vector<timestamp> parsed(strings->second.size());
      std::vector<bool> bad(parsed.size());
      for (std::size_t u = 0; u < parsed.size(); ++u) {
        auto t = month ? parse_month(strings->second[u], options_.time_unit) : parse_time(strings->second[u], options_.time_unit);
        parsed[u] = t.value_or(no_time);
        bad[u] = !t;
      }
      std::vector<timestamp> values(rows_, no_time);
      for (std::size_t r = 0; r < rows_; ++r) {
        const auto code = strings->first[r];
        if (code < 0) continue;
        if (bad[std::size_t(code)])
          fail(r, {name(col), month ? "cannot parse as a month (YYYY-MM or a date)" : "cannot parse as a date or time",
                   strings->second[std::size_t(code)]});
        values[r] = parsed[std::size_t(code)];
      }
      out = column(std::move(values));
    } else {
      out = borrow(array_of<timestamp>::ensure(object));
      check_length(out.size(), col);
      if (month)  // a month column given as times: the first second of each month
        out = column(std::vector<timestamp>(out.begin(), out.end()));
    }
    if (month) {
      std::vector<timestamp> values(out.begin(), out.end());
      for (auto& t : values)
        if (t != no_time) t = period_start(period_index(t, period::month), period::month);
      out = column(std::move(values));
    }
    // The column's name and the value's text are built only for a bad row: this loop sees every row.
    for (std::size_t r = 0; r < rows_; ++r) {
      if (is_plausible_time(out[r])) continue;
      if (out[r] != no_time)
        fail(r, *checks::plausible_time(name(col).c_str(), out[r], std::to_string(out[r])));
      else if (required)
        fail(r, {name(col), "is empty", ""});
    }
    return out;
  }

  /// Numbers as float64 (kept without a copy unless missing values take the default).
  column<double> numbers(const char* col, std::optional<double> if_missing) {
    if (!has(col)) {
      if (!if_missing) missing_column(col);
      return column(std::vector<double>(rows_, if_missing.value_or(0.0)));
    }
    auto values = borrow(array_of<double>::ensure(get(col)));
    check_length(values.size(), col);
    bool filled = false;
    for (std::size_t r = 0; r < rows_; ++r)
      if (std::isnan(values[r])) {
        if (!if_missing) fail(r, {name(col), "must be a finite number", "nan"});
        filled = true;
      }
    if (!filled || !if_missing) return values;
    std::vector<double> out(values.begin(), values.end());
    for (auto& v : out)
      if (std::isnan(v)) v = *if_missing;
    return column(std::move(out));
  }

  /// An optional string column, dictionary-encoded (empty when absent).
  column<std::int32_t> strings(const char* col, dictionary& dict) {
    if (!has(col)) return {};
    auto strings = factorized(get(col));
    if (!strings) throw invalid_input(std::string(table_) + ": column '" + name(col) + "' must hold strings");
    std::vector<std::int32_t> remap(strings->second.size());
    for (std::size_t u = 0; u < remap.size(); ++u) remap[u] = dict.intern(strings->second[u]);
    std::vector<std::int32_t> out(rows_);
    for (std::size_t r = 0; r < rows_; ++r)
      out[r] = strings->first[r] < 0 ? no_code : remap[std::size_t(strings->first[r])];
    return column(std::move(out));
  }

  template <class E>
  column<E> enums(const char* col, std::optional<E> if_missing) {
    if (!has(col)) {
      if (!if_missing) missing_column(col);
      return column(std::vector<E>(rows_, *if_missing));
    }
    auto strings = factorized(get(col));
    if (!strings) throw invalid_input(std::string(table_) + ": column '" + name(col) + "' must hold strings");
    std::vector<std::optional<E>> remap(strings->second.size());
    for (std::size_t u = 0; u < remap.size(); ++u) remap[u] = enum_from_string<E>(strings->second[u]);
    std::vector<E> out(rows_, if_missing.value_or(E{}));
    for (std::size_t r = 0; r < rows_; ++r) {
      const auto code = strings->first[r];
      if (code < 0) {
        if (!if_missing) fail(r, {name(col), "is empty", ""});
      } else if (!remap[std::size_t(code)]) {
        fail(r, {name(col), "expected one of " + enum_choices<E>(), strings->second[std::size_t(code)]});
      } else {
        out[r] = *remap[std::size_t(code)];
      }
    }
    return column(std::move(out));
  }

  void check(std::size_t row, const std::optional<problem>& p) {
    if (p) fail(row, *p);
  }
  /// The check of a number, given no text: the value is written out for a bad row only
  /// (std::to_string costs more than the check).
  void check(std::size_t row, std::optional<problem> p, double value) {
    if (p) p->value = std::to_string(value), fail(row, std::move(*p));
  }
  std::string name(const char* col) const { return options_.column(col); }
  std::size_t rows() const noexcept { return rows_; }

  /// Rejects the rows with a problem (in row order) and drops them from the table.
  template <class Table>
  void finish(Table& t) {
    std::vector<std::int64_t> keep;
    if (!problems_.empty()) keep.reserve(rows_ - problems_.size());
    auto bad = problems_.begin();
    for (std::size_t r = 0; r < rows_; ++r) {
      if (bad != problems_.end() && bad->first == r) {
        report_.reject(std::string(table_) + "[" + std::to_string(r) + "]", bad->second, options_.strict);
        ++bad;
      } else if (!problems_.empty()) {
        keep.push_back(std::int64_t(r));
      }
    }
    report_.accepted = report_.read - report_.rejected;
    if (!problems_.empty()) for_each_column(t, [&](auto& c) { c = gather(c, keep); });
  }

 private:
  void fail(std::size_t row, problem p) { problems_.emplace(row, std::move(p)); }  // keeps the first

  [[noreturn]] void missing_column(const char* col) const {
    throw invalid_input(std::string(table_) + ": missing required column '" + name(col) + "'");
  }
  void check_length(std::size_t n, const char* col) const {
    if (n != rows_)
      throw invalid_input(std::string(table_) + ": column '" + name(col) + "' has " + std::to_string(n) +
                          " rows, account_id has " + std::to_string(rows_));
  }
  py::object get(const char* col) const { return columns_[py::str(options_.column(col))]; }

  std::optional<std::pair<std::span<const std::int64_t>, std::vector<std::string>>> factorized(py::object object) {
    if (!py::isinstance<py::tuple>(object)) return std::nullopt;
    auto pair = object.cast<py::tuple>();
    auto codes = array_of<std::int64_t>::ensure(pair[0]);
    kept_.push_back(codes);
    auto span = as_span(codes);
    if (span.size() != rows_) throw invalid_input(std::string(table_) + ": a column's length differs from account_id's");
    return std::pair{span, pair[1].cast<std::vector<std::string>>()};
  }

  std::string_view table_;
  py::dict columns_;
  std::size_t rows_;
  const load_options& options_;
  table_report& report_;
  std::map<std::size_t, problem> problems_;
  std::vector<py::object> kept_;  // arrays whose spans are in use
};

dataset from_arrays(py::dict tables, std::vector<std::string> account_ids, bool strict, int csat_scale,
                    std::map<std::string, std::string> columns, const std::string& unit) {
  load_options options;
  options.strict = strict;
  options.csat_scale = csat_scale;
  options.time_unit = parse_time_unit(unit);
  options.columns = std::move(columns);
  dataset_parts parts;
  parts.csat_scale = options.csat_scale;
  for (const auto& id : account_ids) parts.account_ids.intern(id);
  const std::size_t n_ids = parts.account_ids.size();

  auto read = [&](auto& table, auto&& fill) {
    using table_type = std::remove_reference_t<decltype(table)>;
    const std::string key(table_type::name);
    if (!tables.contains(key)) return;
    py::dict cols = tables[py::str(key)];
    auto codes = array_of<std::int64_t>::ensure(cols[py::str(options.column("account_id"))]);
    if (!codes) throw invalid_input(key + ": missing required column '" + options.column("account_id") + "'");
    array_reader in(table_type::name, cols, codes, options, parts.report.tables.emplace_back());
    table.account = in.accounts(codes, n_ids);
    fill(in, table);
    in.finish(table);
  };

  read(parts.accounts, [&](array_reader& in, account_table& t) {
    t.start = in.times("start", true);
    t.end = in.times("end", false);
    t.segment = in.strings("segment", t.segments);
    t.plan = in.strings("plan", t.plans);
    t.owner = in.strings("owner", t.owners);
    t.seats = in.numbers("seats", std::numeric_limits<double>::quiet_NaN());
    t.renewal = in.times("renewal_date", false);
    std::unordered_set<std::int32_t> seen;
    const auto end = in.name("end"), start = in.name("start"), seats = in.name("seats");  // once, not per row
    for (std::size_t r = 0; r < in.rows(); ++r) {
      in.check(r, checks::not_before(end.c_str(), t.end[r], start.c_str(), t.start[r]));
      if (!std::isnan(t.seats[r])) in.check(r, checks::finite_non_negative(seats.c_str(), t.seats[r], ""), t.seats[r]);
      if (t.account[r] >= 0 && !seen.insert(t.account[r]).second)
        in.check(r, problem{in.name("account_id"), "account already has a row", account_ids[std::size_t(t.account[r])]});
    }
  });
  read(parts.usage, [&](array_reader& in, usage_table& t) {
    t.time = in.times("timestamp", true);
    t.event = in.strings("event", t.events);
    if (!in.has("event")) throw invalid_input("usage: missing required column '" + in.name("event") + "'");
    // `value` defaults to 1 where the column is absent; a missing value in the column is a rejected
    // row, not a silent 1 (DESIGN §3).
    t.value = in.numbers("value", in.has("value") ? std::nullopt : std::optional(1.0));
    t.user = in.strings("user_id", t.users);
    const auto value = in.name("value");
    for (std::size_t r = 0; r < in.rows(); ++r) {
      if (t.event[r] == no_code) in.check(r, problem{in.name("event"), "is empty", ""});
      in.check(r, checks::finite(value.c_str(), t.value[r], ""), t.value[r]);
    }
  });
  read(parts.surveys, [&](array_reader& in, survey_table& t) {
    t.time = in.times("timestamp", true);
    t.kind = in.enums<survey_kind>("kind", std::nullopt);
    t.score = in.numbers("score", std::nullopt);
    t.respondent = in.strings("respondent", t.respondents);
    const auto score = in.name("score");
    for (std::size_t r = 0; r < in.rows(); ++r)
      if (!std::isnan(t.score[r]))
        in.check(r, checks::survey_score(score.c_str(), t.kind[r], t.score[r], options.csat_scale, ""), t.score[r]);
  });
  read(parts.tickets, [&](array_reader& in, ticket_table& t) {
    t.opened = in.times("opened_at", true);
    t.first_response = in.times("first_response_at", false);
    t.resolved = in.times("resolved_at", false);
    t.prio = in.enums<priority>("priority", priority::normal);
    t.owner = in.strings("owner", t.owners);
    if (t.owner.empty()) t.owner = column(std::vector<std::int32_t>(in.rows(), no_code));
    const auto first_response = in.name("first_response_at"), resolved = in.name("resolved_at"),
               opened = in.name("opened_at");
    for (std::size_t r = 0; r < in.rows(); ++r) {
      in.check(r, checks::not_before(first_response.c_str(), t.first_response[r], opened.c_str(), t.opened[r]));
      in.check(r, checks::not_before(resolved.c_str(), t.resolved[r], opened.c_str(), t.opened[r]));
    }
  });
  read(parts.mrr, [&](array_reader& in, mrr_table& t) {
    t.month = in.times("month", true, true);
    t.mrr = in.numbers("mrr", std::nullopt);
    std::unordered_set<std::uint64_t> seen;  // (account, month) is the key of this table
    const auto mrr = in.name("mrr");
    for (std::size_t r = 0; r < in.rows(); ++r) {
      if (!std::isnan(t.mrr[r])) in.check(r, checks::finite_non_negative(mrr.c_str(), t.mrr[r], ""), t.mrr[r]);
      const auto key = (std::uint64_t(std::uint32_t(t.account[r])) << 32) | std::uint32_t(period_index(t.month[r], period::month));
      if (t.month[r] != no_time && !seen.insert(key).second)
        in.check(r, problem{in.name("month"), "account already has a row for this month", format_date(t.month[r]).substr(0, 7)});
    }
  });
  read(parts.payments, [&](array_reader& in, payment_table& t) {
    t.time = in.times("timestamp", true);
    t.type = in.enums<payment_type>("type", std::nullopt);
    t.amount = in.numbers("amount", std::nullopt);
    t.currency = in.strings("currency", t.currencies);
    const auto amount = in.name("amount");
    for (std::size_t r = 0; r < in.rows(); ++r)
      if (!std::isnan(t.amount[r]))
        in.check(r, checks::finite_non_negative(amount.c_str(), t.amount[r], ""), t.amount[r]);
  });
  py::gil_scoped_release release;
  return dataset(std::move(parts));
}

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

}  // namespace

void register_dataset(py::module_& m) {
  py::class_<dataset, dataset_ptr>(m, "Dataset", "An immutable, indexed portfolio (see custhealth.Dataset)")
      .def_property_readonly("n_accounts", &dataset::n_accounts)
      .def_property_readonly("csat_scale", &dataset::csat_scale, "The CSAT scale the surveys were validated against")
      .def_property_readonly("account_ids", [](const dataset& d) { return d.account_ids().values(); })
      .def_property_readonly("ingest_report", [](const dataset& d) { return report_dict(d.report()); })
      .def_property_readonly("time_range", [](const dataset& d) { return py::make_tuple(d.time_range().begin, d.time_range().end); })
      .def("columns", [](const dataset& d, const std::string& table) -> py::dict {
        py::dict out;
        // An empty (or absent optional) column is a typed array of length 0; Python fills an absent
        // optional column of a non-empty table with missing values.
        auto strings = [](const column<std::int32_t>& c, const dictionary& dict) -> py::object {
          if (c.empty()) return py::make_tuple(py::array_t<std::int32_t>(0), dict.values());
          return py::make_tuple(view(c), dict.values());
        };
        auto raw = [](const auto& c) -> py::object {
          using value_type = typename std::remove_cvref_t<decltype(c)>::value_type;
          if constexpr (std::is_enum_v<value_type>) {
            using U = std::underlying_type_t<value_type>;
            if (c.empty()) return py::array_t<U>(0);
            return view(column<U>(reinterpret_cast<const U*>(c.data()), c.size(), std::make_shared<column<value_type>>(c)));
          } else {
            if (c.empty()) return py::array_t<value_type>(0);
            return view(c);
          }
        };
        auto enum_names = [](auto e) {
          std::vector<std::string> names;
          for (auto n : detail::enum_names<decltype(e)>::values) names.emplace_back(n);
          return names;
        };
        if (table == "accounts") {
          const auto& t = d.accounts();
          out["account_id"] = raw(t.account), out["start"] = raw(t.start), out["end"] = raw(t.end);
          out["segment"] = strings(t.segment, t.segments), out["plan"] = strings(t.plan, t.plans);
          out["owner"] = strings(t.owner, t.owners), out["seats"] = raw(t.seats), out["renewal_date"] = raw(t.renewal);
        } else if (table == "usage") {
          const auto& t = d.usage();
          out["account_id"] = raw(t.account), out["timestamp"] = raw(t.time), out["event"] = strings(t.event, t.events);
          out["value"] = raw(t.value), out["user_id"] = strings(t.user, t.users);
        } else if (table == "surveys") {
          const auto& t = d.surveys();
          out["account_id"] = raw(t.account), out["timestamp"] = raw(t.time);
          out["kind"] = py::make_tuple(raw(t.kind), enum_names(survey_kind{}));
          out["score"] = raw(t.score), out["respondent"] = strings(t.respondent, t.respondents);
        } else if (table == "tickets") {
          const auto& t = d.tickets();
          out["account_id"] = raw(t.account), out["opened_at"] = raw(t.opened);
          out["first_response_at"] = raw(t.first_response), out["resolved_at"] = raw(t.resolved);
          out["priority"] = py::make_tuple(raw(t.prio), enum_names(priority{}));
          out["owner"] = strings(t.owner, t.owners);
        } else if (table == "mrr") {
          const auto& t = d.mrr();
          out["account_id"] = raw(t.account), out["month"] = raw(t.month), out["mrr"] = raw(t.mrr);
        } else if (table == "payments") {
          const auto& t = d.payments();
          out["account_id"] = raw(t.account), out["timestamp"] = raw(t.time);
          out["type"] = py::make_tuple(raw(t.type), enum_names(payment_type{}));
          out["amount"] = raw(t.amount), out["currency"] = strings(t.currency, t.currencies);
        } else {
          throw invalid_input("unknown table '" + table + "': expected accounts, usage, surveys, tickets, mrr or payments");
        }
        return out;
      }, py::arg("table"), "The columns of one table: numpy views; strings as (codes, values)");

  m.def("from_arrays", &from_arrays, py::arg("tables"), py::arg("account_ids"), py::arg("strict") = true,
        py::arg("csat_scale") = 5, py::arg("columns") = std::map<std::string, std::string>{},
        py::arg("time_unit") = "s");

  m.def("read_csv", [](std::map<std::string, std::string> paths, bool strict, int csat_scale,
                       std::map<std::string, std::string> columns, const std::string& unit) {
    csv_files files;
    for (const auto& [table, path] : paths) {
      std::optional<std::filesystem::path>* slot = table == "usage" ? &files.usage : table == "accounts" ? &files.accounts
                                                  : table == "surveys" ? &files.surveys : table == "tickets" ? &files.tickets
                                                  : table == "mrr" ? &files.mrr : table == "payments" ? &files.payments : nullptr;
      if (!slot) throw invalid_input("unknown table '" + table + "'");
      *slot = path;
    }
    load_options options;
    options.strict = strict;
    options.csat_scale = csat_scale;
    options.columns = std::move(columns);
    options.time_unit = parse_time_unit(unit);
    py::gil_scoped_release release;
    return std::make_shared<dataset>(read_csv(files, options));
  }, py::arg("paths"), py::arg("strict") = true, py::arg("csat_scale") = 5,
     py::arg("columns") = std::map<std::string, std::string>{}, py::arg("time_unit") = "s");

  m.def("csv_directory", [](const std::string& dir) {
    const auto f = csv_files::in_directory(dir);
    std::map<std::string, std::string> out;
    auto put = [&](const char* table, const std::optional<std::filesystem::path>& p) {
      if (p) out[table] = p->string();
    };
    put("usage", f.usage), put("accounts", f.accounts), put("surveys", f.surveys), put("tickets", f.tickets);
    put("mrr", f.mrr), put("payments", f.payments);
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
    return py::make_tuple(data, truth);
  }, py::arg("n_accounts"), py::arg("days"), py::arg("seed"), py::arg("end"), py::arg("payments"));
}

}  // namespace custhealth::python
