// bindings/python/src/register_support.cpp — support SLA for Python: SLA summaries and backlog aging
// over a dataset's tickets or a DataFrame's columns (times read in place).

#include "custhealth/support/sla.hpp"
#include "grouped_bindings.hpp"
#include "partial_state.hpp"

namespace custhealth::python {

namespace {

sla_targets targets_of(const std::vector<std::int64_t>& seconds) {
  if (seconds.size() != 4) throw invalid_input("SLA targets: expected 4 values (low, normal, high, urgent)");
  sla_targets t;
  for (std::size_t p = 0; p < 4; ++p) t.set(static_cast<priority>(p), seconds[p]);
  return t;
}

py::dict sla_out(grouped<sla_stats>&& g, double confidence, timestamp as_of) {
  column_builder cols(g.size());
  auto& opened = cols.integer("opened");
  auto& answered = cols.integer("answered");
  auto& met = cols.integer("met");
  auto& breached = cols.integer("breached");
  auto& pending = cols.integer("pending");
  auto& resolved = cols.integer("resolved");
  auto& open = cols.integer("open");
  auto& resolved_in_period = cols.integer("resolved_in_period");
  auto& rate = cols.real("met_rate");
  auto& low = cols.real("ci_low");
  auto& high = cols.real("ci_high");
  auto& completion = cols.real("completion");
  auto& frt_mean = cols.real("first_response_mean_h");
  auto& frt_median = cols.real("first_response_median_h");
  auto& frt_p90 = cols.real("first_response_p90_h");
  auto& res_mean = cols.real("resolution_mean_h");
  auto& res_median = cols.real("resolution_median_h");
  auto& res_p90 = cols.real("resolution_p90_h");
  constexpr double hours = 3600.0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    const sla_stats& s = g.values[i];
    const sla_counts& c = s.counts;
    opened[i] = c.opened, answered[i] = c.answered, met[i] = c.met, breached[i] = c.breached;
    pending[i] = c.pending, resolved[i] = c.resolved, open[i] = c.open, resolved_in_period[i] = c.resolved_in_period;
    const auto ci = c.met_ci(confidence);
    rate[i] = c.met_rate(), low[i] = ci.low, high[i] = ci.high, completion[i] = c.completion();
    frt_mean[i] = s.first_response.mean / hours, frt_median[i] = s.first_response.median / hours;
    frt_p90[i] = s.first_response.p90 / hours;
    res_mean[i] = s.resolution.mean / hours, res_median[i] = s.resolution.median / hours;
    res_p90[i] = s.resolution.p90 / hours;
  }
  py::dict out = keys_out(std::move(g.keys));
  out["columns"] = cols.finish();
  out["as_of"] = as_of;
  return out;
}

py::dict backlog_out(grouped<backlog_counts>&& g, timestamp as_of) {
  column_builder cols(g.size());
  auto& open = cols.integer("open");
  std::array<std::vector<std::int64_t>*, 5> bucket{&cols.integer("age_lt_1d"), &cols.integer("age_1_3d"),
                                                   &cols.integer("age_3_7d"), &cols.integer("age_7_30d"),
                                                   &cols.integer("age_ge_30d")};
  for (std::size_t i = 0; i < g.size(); ++i) {
    open[i] = g.values[i].total();
    for (std::size_t b = 0; b < 5; ++b) (*bucket[b])[i] = g.values[i].by_age[b];
  }
  py::dict out = keys_out(std::move(g.keys));
  out["columns"] = cols.finish();
  out["as_of"] = as_of;
  return out;
}

/// Ticket columns from Python: int64 tick arrays (None for an absent optional column), priority
/// codes 0..3 (None: all normal), keys.
/// The level and the as-of time an SLA state reports with: shards merge only at the same T.
struct sla_params {
  double confidence = 0.95;
  timestamp as_of = no_time;
  friend bool operator==(const sla_params&, const sla_params&) = default;
};
using sla_state = partial_state<grouped<sla_partial>, sla_params>;

struct python_tickets {
  python_keys keys;
  std::vector<py::object> keep;
  ticket_rows rows;

  python_tickets(const py::object& opened, const py::object& first_response, const py::object& resolved,
                 std::int64_t ticks_per_second, const py::object& prio, const py::list& key_list)
      : keys(key_list) {
    if (opened.is_none()) throw invalid_input("tickets: an opened_at column is required");
    rows.opened = times_of(opened, ticks_per_second, "opened_at", keep);
    rows.first_response = times_of(first_response, ticks_per_second, "first_response_at", keep);
    rows.resolved = times_of(resolved, ticks_per_second, "resolved_at", keep);
    if (!prio.is_none()) rows.prio = codes_of(prio.cast<py::array>(), "priority", keep);
    rows.keys = keys.columns;
  }
};

}  // namespace

void register_support(py::module_& m) {
  partial_class<sla_state>(m, "SlaState",
                           "Mergeable partial state of sla_summary over some tickets (custhealth.dask): counts and "
                           "the durations behind the quantiles",
                           "sla_state", [](const sla_state& s) {
                             grouped<sla_stats> g{s.value.keys, {}};
                             g.values.reserve(s.value.size());
                             for (const auto& v : s.value.values) g.values.push_back(v.stats());
                             return sla_out(std::move(g), s.params.confidence, s.params.as_of);
                           });
  m.def(
      "sla_state_arrays",
      [](const py::object& opened, const py::object& first_response, const py::object& resolved,
         std::int64_t ticks_per_second, const py::object& prio, const py::list& keys,
         const std::optional<std::string>& per, timestamp as_of, std::int64_t window_days,
         const std::vector<std::int64_t>& targets, double confidence) {
        checked_confidence(confidence);
        const python_tickets t(opened, first_response, resolved, ticks_per_second, prio, keys);
        auto scope = scope_of(per, as_of, window_days);
        const auto goals = targets_of(targets);
        py::gil_scoped_release release;
        return sla_state{sla_partials(t.rows, scope, goals), {confidence, as_of}};
      },
      py::arg("opened"), py::arg("first_response"), py::arg("resolved"), py::arg("ticks_per_second"),
      py::arg("priority"), py::arg("keys"), py::arg("period"), py::arg("as_of"), py::arg("window_days"),
      py::arg("targets"), py::arg("confidence"),
      "The mergeable SlaState of tickets as arrays; as_of is required (every shard must share T)");
  m.def(
      "tickets_end",
      [](const py::object& opened, const py::object& first_response, const py::object& resolved,
         std::int64_t ticks_per_second) {
        const python_tickets t(opened, first_response, resolved, ticks_per_second, py::none(), py::list());
        return detail::ticket_as_of(t.rows, no_time);
      },
      py::arg("opened"), py::arg("first_response"), py::arg("resolved"), py::arg("ticks_per_second"),
      "sla_summary's default T of tickets as arrays: the midnight after their latest time (INT64_MIN if none)");
  m.def(
      "sla_arrays",
      [](const py::object& opened, const py::object& first_response, const py::object& resolved,
         std::int64_t ticks_per_second, const py::object& prio, const py::list& keys,
         const std::optional<std::string>& per, std::optional<timestamp> as_of, std::int64_t window_days,
         const std::vector<std::int64_t>& targets, double confidence, std::int32_t n_threads) {
        checked_confidence(confidence);
        const python_tickets t(opened, first_response, resolved, ticks_per_second, prio, keys);
        auto scope = scope_of(per, as_of, window_days);
        const auto goals = targets_of(targets);
        grouped<sla_stats> g;
        {
          py::gil_scoped_release release;
          scope.as_of = detail::ticket_as_of(t.rows, scope.as_of);
          g = sla_summary(t.rows, scope, goals, n_threads);
        }
        py::dict out = sla_out(std::move(g), confidence, scope.as_of);
        py::dict inputs;
        inputs["opened_at"] = address_of(t.rows.opened.ticks.data());
        inputs["keys"] = t.keys.addresses;
        out["inputs"] = inputs;
        return out;
      },
      py::arg("opened"), py::arg("first_response"), py::arg("resolved"), py::arg("ticks_per_second"),
      py::arg("priority"), py::arg("keys"), py::arg("period"), py::arg("as_of"), py::arg("window_days"),
      py::arg("targets"), py::arg("confidence"), py::arg("n_threads") = 1);

  m.def(
      "sla_dataset",
      [](const dataset& data, const std::vector<std::string>& by, const std::optional<std::string>& per,
         std::optional<timestamp> as_of, std::int64_t window_days, const std::vector<std::int64_t>& targets,
         double confidence, std::int32_t n_threads) {
        checked_confidence(confidence);
        auto scope = scope_of(per, as_of, window_days);
        const auto goals = targets_of(targets);
        grouped<sla_stats> g;
        {
          py::gil_scoped_release release;
          scope.as_of = sla_as_of(data, scope.as_of);  // the C++ default, resolved here to report it
          g = sla_summary(data, by, scope, goals, n_threads);
        }
        return sla_out(std::move(g), confidence, scope.as_of);
      },
      py::arg("dataset"), py::arg("by"), py::arg("period"), py::arg("as_of"), py::arg("window_days"),
      py::arg("targets"), py::arg("confidence"), py::arg("n_threads") = 1);

  m.def(
      "backlog_arrays",
      [](const py::object& opened, const py::object& first_response, const py::object& resolved,
         std::int64_t ticks_per_second, const py::object& prio, const py::list& keys, std::optional<timestamp> as_of) {
        const python_tickets t(opened, first_response, resolved, ticks_per_second, prio, keys);
        grouped<backlog_counts> g;
        timestamp at = as_of.value_or(no_time);
        {
          py::gil_scoped_release release;
          at = detail::ticket_as_of(t.rows, at);
          g = ticket_backlog(t.rows, at);
        }
        return backlog_out(std::move(g), at);
      },
      py::arg("opened"), py::arg("first_response"), py::arg("resolved"), py::arg("ticks_per_second"),
      py::arg("priority"), py::arg("keys"), py::arg("as_of"));

  m.def(
      "backlog_dataset",
      [](const dataset& data, const std::vector<std::string>& by, std::optional<timestamp> as_of) {
        grouped<backlog_counts> g;
        timestamp at = as_of.value_or(no_time);
        {
          py::gil_scoped_release release;
          at = sla_as_of(data, at);  // the C++ default, resolved here to report it
          g = ticket_backlog(data, by, at);
        }
        return backlog_out(std::move(g), at);
      },
      py::arg("dataset"), py::arg("by"), py::arg("as_of"));
}

}  // namespace custhealth::python
