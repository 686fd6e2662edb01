// bindings/python/src/module.cpp — custhealth._core, the private compiled module; the typed public
// API is the pure-Python package around it (bindings/python/custhealth).

#include "bindings.hpp"
#include "custhealth/parallel.hpp"
#include "custhealth/payments/quality.hpp"
#include "custhealth/support/sla.hpp"

namespace {

/// `_core.ENUMS` and `_core.DEFAULTS`: the vocabulary and the defaults of enums.hpp, sla.hpp and
/// quality.hpp, so the Python package reads them instead of copying them.
void register_vocabulary(pybind11::module_& m) {
  namespace py = pybind11;
  using namespace custhealth;
  py::dict enums;
  auto add = [&]<class E>(const char* name, E) {
    py::list names;
    for (auto n : enum_names<E>()) names.append(py::str(n.data(), n.size()));
    enums[name] = py::tuple(names);
  };
  add("table", table_id{}), add("time_unit", time_unit{}), add("period", period{});
  add("survey_kind", survey_kind{}), add("priority", priority{}), add("payment_type", payment_type{});
  add("nps_category", nps_category{}), add("cohort_mode", cohort_mode{}), add("cohort_origin", cohort_origin{});
  add("cohort_value", cohort_value{}), add("mrr_movement", mrr_movement{}), add("payment_flag", payment_flag{});
  add("sla_state", sla_state{}), add("calibration_strategy", calibration_strategy{});
  add("churn_exclusion", churn_exclusion{}), add("alert_severity", alert_severity{}), add("alert_kind", alert_kind{});
  m.attr("ENUMS") = enums;

  py::dict defaults, targets;
  for (std::size_t p = 0; p < enum_size<priority>; ++p)
    targets[py::str(std::string(to_string(priority(p))))] = sla_targets{}.first_response[p];
  defaults["sla_first_response_seconds"] = targets;
  defaults["chargeback_warning"] = payment_thresholds{}.chargeback_warning;
  defaults["chargeback_breach"] = payment_thresholds{}.chargeback_breach;
  defaults["csat_scale"] = default_csat_scale;
  py::dict ticks;
  for (std::size_t u = 0; u < enum_size<time_unit>; ++u)
    ticks[py::str(std::string(to_string(time_unit(u))))] = ticks_per_second(time_unit(u));
  defaults["ticks_per_second"] = ticks;
  m.attr("DEFAULTS") = defaults;
  m.attr("MAX_THREADS") = max_threads;
  m.def("default_threads", &default_threads,
        "The thread count when none is set: CUSTHEALTH_NUM_THREADS (a whole number >= 1), else 1");
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "custhealth's compiled core (private: import custhealth instead)";
  m.attr("__version__") = CUSTHEALTH_VERSION;
  using namespace custhealth::python;
  register_vocabulary(m);
  register_errors(m);
  register_dataset(m);
  register_feedback(m);
  register_support(m);
  register_payments(m);
  register_retention(m);
  register_survival(m);
  register_signals(m);
  register_scorecard(m);
  register_assignment(m);
  register_metrics(m);
  register_churn(m);
  register_btyd(m);
  register_cox(m);
  register_tracker(m);
}
