// bindings/python/src/register_retention.cpp — the retention analytics for Python: cohort matrices,
// lifecycle, MRR movements / bridge / revenue retention and tenures, one register function each.
// Arguments are read under the GIL, the C++ work runs with the GIL released, results go back as
// dicts of numpy arrays that custhealth/retention.py turns into DataFrames.

#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "partial_state.hpp"
#include "custhealth/retention/cohort.hpp"
#include "custhealth/retention/lifecycle.hpp"
#include "custhealth/retention/revenue.hpp"
#include "custhealth/retention/tenure.hpp"

namespace custhealth::detail {

/// A dense grid as (first, rows, cols, cells); on the way back the cells must fill rows × cols.
template <>
struct state_io<period_grid> {
  static void write(python::state_writer& w, const period_grid& g) {
    w.put(g.first_), w.put(g.rows_), w.put(std::uint64_t(g.cols_)), w.put(g.cells_);
  }
  static void read(python::state_reader& r, period_grid& g) {
    g.first_ = r.get<std::int64_t>(), g.rows_ = r.get<std::int64_t>();
    g.cols_ = std::size_t(r.get<std::uint64_t>());
    r.get(g.cells_);
    if (g.rows_ < 0 || g.cells_.size() != std::size_t(g.rows_) * g.cols_) r.fail("a grid of the wrong size");
  }
};

/// A cohort matrix: its unit, mode, value and as-of, its two grids (framed alike), the excluded count
/// and the first period with data.
template <>
struct state_io<cohort_matrix> {
  static void write(python::state_writer& w, const cohort_matrix& m) {
    w.put(m.period_), w.put(m.mode_), w.put(m.value_), w.put(m.as_of_), w.put(m.excluded_), w.put(m.first_data_);
    state_io<period_grid>::write(w, m.sizes_), state_io<period_grid>::write(w, m.counts_);
  }
  static void read(python::state_reader& r, cohort_matrix& m) {
    m.period_ = r.get<period>(), m.mode_ = r.get<cohort_mode>(), m.value_ = r.get<cohort_value>();
    m.as_of_ = r.get<timestamp>(), m.excluded_ = r.get<std::int64_t>(), m.first_data_ = r.get<std::int64_t>();
    state_io<period_grid>::read(r, m.sizes_), state_io<period_grid>::read(r, m.counts_);
    if (std::size_t(m.period_) >= enum_size<period> || std::size_t(m.mode_) >= enum_size<cohort_mode> ||
        std::size_t(m.value_) >= enum_size<cohort_value>)
      r.fail("an unknown period, mode or value");
    if (m.sizes_.rows() != m.counts_.rows() || m.sizes_.first() != m.counts_.first() ||
        (!m.sizes_.empty() && (m.sizes_.cols() != 2 || m.counts_.cols() != m.offsets_from(m.sizes_.first()))))
      r.fail("grids framed differently");
  }
};

/// A lifecycle table: its unit and as-of and its grid of per-period state counts.
template <>
struct state_io<lifecycle_table> {
  static void write(python::state_writer& w, const lifecycle_table& t) {
    w.put(t.period_), w.put(t.as_of_);
    state_io<period_grid>::write(w, t.grid_);
  }
  static void read(python::state_reader& r, lifecycle_table& t) {
    t.period_ = r.get<period>(), t.as_of_ = r.get<timestamp>();
    state_io<period_grid>::read(r, t.grid_);
    if (std::size_t(t.period_) >= enum_size<period>) r.fail("an unknown period");
    if (!t.grid_.empty() && t.grid_.cols() != lifecycle_table::n_states) r.fail("a grid of the wrong size");
  }
};

/// A revenue retention series: its lag and its grid of per-month sums.
template <>
struct state_io<revenue_retention_series> {
  static void write(python::state_writer& w, const revenue_retention_series& s) {
    w.put(std::int32_t(s.months_));
    state_io<period_grid>::write(w, s.grid_);
  }
  static void read(python::state_reader& r, revenue_retention_series& s) {
    s.months_ = r.get<std::int32_t>();
    state_io<period_grid>::read(r, s.grid_);
    if (s.months_ < 1) r.fail("a lag below one month");
    if (!s.grid_.empty() && s.grid_.cols() != revenue_retention_series::n_fields) r.fail("a grid of the wrong size");
  }
};

}  // namespace custhealth::detail

namespace custhealth::python {

namespace {

/// The mergeable partial states of cohort_retention and lifecycle over disjoint accounts (custhealth.dask).
using cohort_state = partial_state<cohort_matrix, no_params>;
using lifecycle_state = partial_state<lifecycle_table, no_params>;
/// ... and of revenue_retention over disjoint accounts, every shard framed on the whole table's months.
using revenue_state = partial_state<revenue_retention_series, no_params>;

template <class F>
auto without_gil(F&& f) {
  py::gil_scoped_release release;
  return f();
}

/// Event names to codes of the usage dictionary; None means every event counts. In a shard (a dask
/// partition, whose names the caller checked over the whole table) a name the shard lacks selects
/// nothing (no_code) instead of being refused.
std::vector<std::int32_t> event_filter(const dataset& d, const std::optional<std::vector<std::string>>& events,
                                       bool shard = false) {
  if (!events) return {};
  if (events->empty()) throw invalid_input("events: an empty list selects no activity (pass None for all events)");
  if (!shard) return event_codes(d.usage(), *events);
  std::vector<std::int32_t> codes;
  for (const auto& name : *events) codes.push_back(d.usage().events.find(name));
  return codes;
}

cohort_matrix run_cohorts(const dataset& d, const std::string& period_name, const std::string& mode,
                          const std::string& cohort_by, const std::string& value,
                          const std::optional<std::vector<std::string>>& events, std::optional<timestamp> as_of,
                          std::int32_t n_threads = 1, bool shard = false) {
  cohort_options o;
  o.n_threads = n_threads;
  o.period = parse_period(period_name);
  o.mode = parse_cohort_mode(mode);
  o.cohort_by = parse_cohort_origin(cohort_by);
  o.value = parse_cohort_value(value);
  if (events && o.value == cohort_value::mrr)
    throw invalid_input("revenue cohorts: an events filter applies to usage cohorts only");
  o.events = event_filter(d, events, shard);
  o.as_of = as_of.value_or(no_time);
  return without_gil([&] { return cohort_retention(d, o); });
}

py::dict cohort_out(const cohort_matrix& r) {
  const auto n = py::ssize_t(r.n_cohorts()), k = py::ssize_t(r.n_offsets());
  py::array_t<double> counts({n, k}), rates({n, k});
  auto c = counts.mutable_unchecked<2>();
  auto q = rates.mutable_unchecked<2>();
  std::vector<timestamp> starts;
  std::vector<double> sizes;
  std::vector<std::int64_t> accounts;
  for (py::ssize_t i = 0; i < n; ++i) {
    const auto row = std::size_t(i);
    starts.push_back(r.cohort_start(row)), sizes.push_back(r.size(row)), accounts.push_back(r.accounts(row));
    for (py::ssize_t j = 0; j < k; ++j) {
      c(i, j) = r.observed(row, std::size_t(j)) ? r.count(row, std::size_t(j)) : detail::nan;
      q(i, j) = r.rate(row, std::size_t(j));
    }
  }
  py::dict out;
  out["cohort_start"] = to_numpy(std::move(starts));
  out["sizes"] = to_numpy(std::move(sizes));
  out["accounts"] = to_numpy(std::move(accounts));
  out["counts"] = counts;
  out["rates"] = rates;
  out["average"] = to_numpy(r.average());
  out["as_of"] = r.as_of();
  out["excluded"] = r.excluded();
  return out;
}

void register_cohorts(py::module_& m) {
  m.def(
      "cohort_retention",
      [](const dataset& d, const std::string& period_name, const std::string& mode, const std::string& cohort_by,
         const std::string& value, const std::optional<std::vector<std::string>>& events, std::optional<timestamp> as_of,
         std::int32_t n_threads) {
        return cohort_out(run_cohorts(d, period_name, mode, cohort_by, value, events, as_of, n_threads));
      },
      py::arg("dataset"), py::arg("period") = "M", py::arg("mode") = "on", py::arg("cohort_by") = "first_activity",
      py::arg("value") = "accounts", py::arg("events") = py::none(), py::arg("as_of") = py::none(),
      py::arg("n_threads") = 1, "Cohort retention matrix (see custhealth.cohort_retention); unobserved cells are NaN");
  partial_class<cohort_state>(m, "CohortState",
                              "Mergeable partial state of cohort_retention over disjoint accounts (custhealth.dask)",
                              "cohort_state", [](const cohort_state& s) { return cohort_out(s.value); });
  m.def(
      "cohort_state",
      [](const dataset& d, const std::string& period_name, const std::string& mode, const std::string& cohort_by,
         const std::string& value, timestamp as_of, const std::optional<std::vector<std::string>>& events) {
        return cohort_state{run_cohorts(d, period_name, mode, cohort_by, value, events, as_of, 1, true), {}};
      },
      py::arg("dataset"), py::arg("period"), py::arg("mode"), py::arg("cohort_by"), py::arg("value"), py::arg("as_of"),
      py::arg("events") = py::none(),
      "The CohortState of a dataset's accounts; as_of is required (every shard must share T); event names the "
      "dataset lacks select nothing (check them over the whole table)");
}

lifecycle_table run_lifecycle(const dataset& d, const std::string& period_name,
                              const std::optional<std::vector<std::string>>& events, std::optional<timestamp> as_of,
                              std::int32_t n_threads = 1, bool shard = false) {
  lifecycle_options o;
  o.n_threads = n_threads;
  o.period = parse_period(period_name);
  o.events = event_filter(d, events, shard);
  o.as_of = as_of.value_or(no_time);
  return without_gil([&] { return lifecycle(d, o); });
}

py::dict lifecycle_out(const lifecycle_table& t) {
  std::vector<timestamp> starts;
  std::vector<std::int64_t> fresh, retained, resurrected, dormant, active;
  for (std::size_t i = 0; i < t.size(); ++i) {
    starts.push_back(t.start(i));
    fresh.push_back(t.new_count(i)), retained.push_back(t.retained_count(i));
    resurrected.push_back(t.resurrected_count(i)), dormant.push_back(t.dormant_count(i));
    active.push_back(t.active_count(i));
  }
  py::dict out;
  out["start"] = to_numpy(std::move(starts));
  out["new"] = to_numpy(std::move(fresh));
  out["retained"] = to_numpy(std::move(retained));
  out["resurrected"] = to_numpy(std::move(resurrected));
  out["dormant"] = to_numpy(std::move(dormant));
  out["active"] = to_numpy(std::move(active));
  out["as_of"] = t.as_of();
  return out;
}

void register_lifecycle(py::module_& m) {
  m.def(
      "lifecycle",
      [](const dataset& d, const std::string& period_name, const std::optional<std::vector<std::string>>& events,
         std::optional<timestamp> as_of, std::int32_t n_threads) {
        return lifecycle_out(run_lifecycle(d, period_name, events, as_of, n_threads));
      },
      py::arg("dataset"), py::arg("period") = "M", py::arg("events") = py::none(), py::arg("as_of") = py::none(),
      py::arg("n_threads") = 1, "Lifecycle counts per fully observed period (see custhealth.lifecycle)");
  partial_class<lifecycle_state>(m, "LifecycleState",
                                 "Mergeable partial state of lifecycle over disjoint accounts (custhealth.dask)",
                                 "lifecycle_state", [](const lifecycle_state& s) { return lifecycle_out(s.value); });
  m.def(
      "lifecycle_state",
      [](const dataset& d, const std::string& period_name, timestamp as_of,
         const std::optional<std::vector<std::string>>& events) {
        return lifecycle_state{run_lifecycle(d, period_name, events, as_of, 1, true), {}};
      },
      py::arg("dataset"), py::arg("period"), py::arg("as_of"), py::arg("events") = py::none(),
      "The LifecycleState of a dataset's accounts; as_of is required (every shard must share T); event names the "
      "dataset lacks select nothing (check them over the whole table)");
}

py::dict revenue_out(const revenue_retention_series& s) {
  std::vector<timestamp> month, start_month;
  std::vector<std::int64_t> accounts, retained;
  std::vector<double> start_mrr, retained_mrr, end_mrr, grr, nrr, logo;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto r = s[i];
    month.push_back(r.month), start_month.push_back(r.start_month);
    accounts.push_back(r.accounts), retained.push_back(r.retained_accounts);
    start_mrr.push_back(r.start_mrr), retained_mrr.push_back(r.retained_mrr), end_mrr.push_back(r.end_mrr);
    grr.push_back(r.grr()), nrr.push_back(r.nrr()), logo.push_back(r.logo_retention());
  }
  py::dict out;
  out["month"] = to_numpy(std::move(month));
  out["start_month"] = to_numpy(std::move(start_month));
  out["accounts"] = to_numpy(std::move(accounts));
  out["retained_accounts"] = to_numpy(std::move(retained));
  out["start_mrr"] = to_numpy(std::move(start_mrr));
  out["retained_mrr"] = to_numpy(std::move(retained_mrr));
  out["end_mrr"] = to_numpy(std::move(end_mrr));
  out["grr"] = to_numpy(std::move(grr));
  out["nrr"] = to_numpy(std::move(nrr));
  out["logo_retention"] = to_numpy(std::move(logo));
  return out;
}

void register_revenue(py::module_& m) {
  m.def(
      "mrr_movements",
      [](const dataset& d, std::optional<timestamp> as_of) {
        mrr_movement_rows rows = without_gil([&] { return mrr_movements(d, as_of.value_or(no_time)); });
        std::vector<std::uint8_t> kinds(rows.movement.size());
        for (std::size_t i = 0; i < kinds.size(); ++i) kinds[i] = static_cast<std::uint8_t>(rows.movement[i]);
        std::vector<std::string> names;
        for (auto name : detail::enum_names<mrr_movement>::values) names.emplace_back(name);
        py::dict out;
        out["account"] = to_numpy(std::move(rows.account));
        out["month"] = to_numpy(std::move(rows.month));
        out["mrr"] = to_numpy(std::move(rows.mrr));
        out["previous"] = to_numpy(std::move(rows.previous));
        out["movement"] = to_numpy(std::move(kinds));
        out["movement_names"] = names;
        return out;
      },
      py::arg("dataset"), py::arg("as_of") = py::none(), "MRR movements per account-month (see custhealth.mrr_movements)");

  m.def(
      "mrr_bridge",
      [](const dataset& d, std::optional<timestamp> as_of) {
        const mrr_bridge_table b = without_gil([&] { return mrr_bridge(d, as_of.value_or(no_time)); });
        using f = mrr_bridge_table;
        const std::pair<const char*, f::field> fields[] = {
            {"opening_mrr", f::opening_mrr},         {"new", f::new_mrr},
            {"expansion", f::expansion_mrr},         {"reactivation", f::reactivation_mrr},
            {"contraction", f::contraction_mrr},     {"churn", f::churned_mrr},
            {"closing_mrr", f::closing_mrr},         {"paying_accounts", f::paying_accounts},
            {"new_accounts", f::new_accounts},       {"expansion_accounts", f::expansion_accounts},
            {"reactivated_accounts", f::reactivated_accounts}, {"contraction_accounts", f::contraction_accounts},
            {"churned_accounts", f::churned_accounts}};
        py::dict out;
        std::vector<timestamp> months;
        std::vector<double> gross, net;
        for (std::size_t i = 0; i < b.size(); ++i)
          months.push_back(b.month(i)), gross.push_back(b.gross_mrr_churn(i)), net.push_back(b.net_mrr_churn(i));
        out["month"] = to_numpy(std::move(months));
        for (const auto& [name, field] : fields) {
          std::vector<double> values(b.size());
          for (std::size_t i = 0; i < b.size(); ++i) values[i] = b.get(i, field);
          out[name] = to_numpy(std::move(values));
        }
        out["gross_mrr_churn"] = to_numpy(std::move(gross));
        out["net_mrr_churn"] = to_numpy(std::move(net));
        return out;
      },
      py::arg("dataset"), py::arg("as_of") = py::none(), "Monthly MRR bridge (see custhealth.mrr_bridge)");

  m.def(
      "revenue_retention",
      [](const dataset& d, int months, std::optional<timestamp> as_of) {
        const revenue_retention_series s =
            without_gil([&] { return revenue_retention(d, months, as_of.value_or(no_time)); });
        return revenue_out(s);
      },
      py::arg("dataset"), py::arg("months") = 12, py::arg("as_of") = py::none(),
      "GRR, NRR and logo retention over a lag of `months` (see custhealth.revenue_retention)");
  partial_class<revenue_state>(m, "RevenueState",
                               "Mergeable partial state of revenue_retention over disjoint accounts (custhealth.dask)",
                               "revenue_state", [](const revenue_state& s) { return revenue_out(s.value); });
  m.def(
      "mrr_month_range",
      [](const dataset& d, std::optional<timestamp> as_of) -> std::optional<std::pair<std::int64_t, std::int64_t>> {
        const auto range = detail::mrr_months(d.mrr(), as_of.value_or(std::numeric_limits<timestamp>::max()));
        if (range.empty()) return std::nullopt;
        return std::pair{range.first, range.last};
      },
      py::arg("dataset"), py::arg("as_of") = py::none(),
      "The first and last month numbers of the MRR rows before as_of (None: no such row), for custhealth.dask");
  m.def(
      "revenue_state",
      [](const dataset& d, int months, std::optional<timestamp> as_of, std::int64_t first, std::int64_t last) {
        const revenue_retention_series s = without_gil([&] {
          return revenue_retention_shard(d, months, as_of.value_or(no_time), detail::month_range{first, last});
        });
        return revenue_state{s, {}};
      },
      py::arg("dataset"), py::arg("months"), py::arg("as_of"), py::arg("first_month"), py::arg("last_month"),
      "The RevenueState of a dataset's accounts, framed on the whole table's month range (mrr_month_range merged)");
}

void register_tenure(py::module_& m) {
  m.def(
      "tenure",
      [](const dataset& d, std::optional<timestamp> as_of, std::int32_t n_threads) {
        tenure_data t = without_gil([&] { return tenure(d, as_of.value_or(no_time), n_threads); });
        py::dict out;
        out["as_of"] = t.as_of;
        out["without_start"] = t.without_start;
        out["not_started"] = t.not_started;
        out["account"] = to_numpy(std::move(t.account));
        out["duration"] = to_numpy(std::move(t.duration));
        out["observed"] = to_numpy(std::move(t.observed));
        return out;
      },
      py::arg("dataset"), py::arg("as_of") = py::none(), py::arg("n_threads") = 1, "Tenures in days with event flags (see custhealth.tenure)");
}

}  // namespace

void register_retention(py::module_& m) {
  register_cohorts(m);
  register_lifecycle(m);
  register_revenue(m);
  register_tenure(m);
}

}  // namespace custhealth::python
