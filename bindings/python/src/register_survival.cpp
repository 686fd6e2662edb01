// bindings/python/src/register_survival.cpp — Kaplan–Meier curves and log-rank tests for Python
// (custhealth.survival): numpy in without a copy, the GIL released while C++ fits, numpy out.

#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "partial_state.hpp"
#include "custhealth/retention/kaplan_meier.hpp"
#include "custhealth/retention/logrank.hpp"
#include "custhealth/retention/survival_workspace.hpp"

namespace custhealth::detail {

/// A Kaplan–Meier event table as its four columns; on the way back the times must be finite, ≥ 0 and
/// strictly increasing and the weights finite and ≥ 0, the invariants the estimator relies on.
template <>
struct state_io<km_event_table> {
  static void write(python::state_writer& w, const km_event_table& t) {
    w.put(t.time_), w.put(t.observed_), w.put(t.censored_), w.put(t.entrance_);
  }
  static void read(python::state_reader& r, km_event_table& t) {
    r.get(t.time_), r.get(t.observed_), r.get(t.censored_), r.get(t.entrance_);
    const std::size_t n = t.time_.size();
    if (t.observed_.size() != n || t.censored_.size() != n || t.entrance_.size() != n) r.fail("columns differ in length");
    for (std::size_t i = 0; i < n; ++i) {
      if (!(std::isfinite(t.time_[i]) && t.time_[i] >= 0) || (i > 0 && !(t.time_[i - 1] < t.time_[i])))
        r.fail("times not finite, non-negative and increasing");
      for (double x : {t.observed_[i], t.censored_[i], t.entrance_[i]})
        if (!(std::isfinite(x) && x >= 0)) r.fail("a negative or non-finite count");
    }
  }
};

}  // namespace custhealth::detail

namespace custhealth::python {

namespace {

/// The mergeable partial state of a Kaplan–Meier fit or a log-rank group (custhealth.dask).
using km_state = partial_state<km_event_table, no_params>;

using km_result_ptr = std::shared_ptr<kaplan_meier_result>;

/// The one workspace of the fits made from Python (thread-safe, so fits with the GIL released may share
/// it): a data team fits curve after curve in a session, and the spare buffers of the last fit keep the
/// next one from faulting in fresh pages. custhealth.release_survival_buffers() frees them.
survival_workspace& python_workspace() {
  static survival_workspace workspace;
  return workspace;
}

/// A fitted curve owned by Python: when the KaplanMeierResult dies its columns go to the workspace.
km_result_ptr owned_by_python(kaplan_meier_result&& r) {
  return km_result_ptr(new kaplan_meier_result(std::move(r)), [](kaplan_meier_result* p) {
    p->recycle(python_workspace());
    delete p;
  });
}

void recycle_column(std::vector<double>& column) { python_workspace().recycle(std::move(column)); }

/// A column of a fitted curve handed to numpy without a copy; when the array dies the buffer goes to the
/// workspace, so the next fit fills reused memory instead of faulting in fresh pages.
py::array_t<double> pooled_numpy(std::vector<double>&& values) { return to_numpy(std::move(values), &recycle_column); }

/// A writable copy of one column of a fitted curve, in the workspace's memory (see pooled_numpy): what a
/// DataFrame the caller may modify wraps without a further copy.
template <std::vector<double> kaplan_meier_result::*Column>
py::array_t<double> column_copy(const kaplan_meier_result& r) {
  return pooled_numpy(detail::km::copy_column(r.*Column, &python_workspace()));
}

/// A read-only numpy view of one column of a fitted curve; the array keeps the Python result object
/// (and so the C++ vectors) alive, so the columns are never copied.
template <std::vector<double> kaplan_meier_result::*Column>
py::array_t<double> column_view(py::object self) {
  const auto& values = self.cast<const kaplan_meier_result&>().*Column;
  return readonly_array(values.data(), values.size(), self);
}

std::span<const double> optional_span(const std::optional<array_of<double>>& a) {
  return a ? as_span(*a) : std::span<const double>{};
}

km_result_ptr fit_kaplan_meier(const array_of<double>& durations, const array_of<std::uint8_t>& observed,
                               const std::optional<array_of<double>>& entry,
                               const std::optional<array_of<double>>& weights, double confidence,
                               std::int32_t n_threads) {
  // Spans are taken with the GIL held; the arrays stay referenced by the caller's arguments for the
  // whole call, and nothing below touches a Python object.
  const auto t = as_span(durations);
  const auto e = as_span(observed);
  const auto in = optional_span(entry);
  const auto w = optional_span(weights);
  py::gil_scoped_release release;
  return owned_by_python(kaplan_meier(t, e, in, w, confidence, &python_workspace(), n_threads));
}

logrank_options logrank_options_of(const std::string& weighting, double p, double q) {
  const auto kind = enum_from_string<logrank_weighting>(weighting);
  if (!kind)
    throw invalid_input("logrank_test: weightings must be one of " + enum_choices<logrank_weighting>() + ", got '" +
                        weighting + "'");
  return {*kind, p, q};
}

py::dict logrank_out(logrank_result&& r) {
  py::dict out;
  out["statistic"] = r.statistic;
  out["df"] = r.df;
  out["p_value"] = r.p_value;
  out["groups"] = to_numpy(std::move(r.groups));
  out["observed"] = to_numpy(std::move(r.observed));
  out["expected"] = to_numpy(std::move(r.expected));
  return out;
}

py::dict run_logrank(const array_of<double>& durations, const array_of<std::uint8_t>& observed,
                     const array_of<int>& groups, const std::optional<array_of<double>>& weights,
                     const std::string& weighting, double p, double q, std::int32_t n_threads) {
  auto options = logrank_options_of(weighting, p, q);
  options.n_threads = n_threads;
  const auto t = as_span(durations);
  const auto e = as_span(observed);
  const auto g = as_span(groups);
  const auto w = optional_span(weights);
  logrank_result r;
  {
    py::gil_scoped_release release;
    r = logrank_test(t, e, g, w, options, &python_workspace());
  }
  return logrank_out(std::move(r));
}

/// The log-rank test of groups given as event tables (group g = tables[g]): each table's rows are
/// the weighted subjects they count — d events and c censorings at time t as a subject of weight d
/// and one of weight c — fed to the one logrank_test. The test reads only these sums, so with
/// integer counts the result is the same to the bit as the test on the subjects themselves.
py::dict logrank_of_tables(const std::vector<km_state>& tables, const std::string& weighting, double p, double q) {
  const auto options = logrank_options_of(weighting, p, q);
  std::vector<double> t, w;
  std::vector<std::uint8_t> e;
  std::vector<int> g;
  logrank_result r;
  {
    py::gil_scoped_release release;
    for (std::size_t k = 0; k < tables.size(); ++k) {
      const km_event_table& table = tables[k].value;
      for (std::size_t i = 0; i < table.size(); ++i)
        for (auto [flag, weight] : {std::pair{std::uint8_t{1}, table.observed()[i]},
                                    std::pair{std::uint8_t{0}, table.censored()[i]}})
          if (weight > 0) t.push_back(table.times()[i]), e.push_back(flag), w.push_back(weight), g.push_back(int(k));
    }
    r = logrank_test(t, e, g, w, options, &python_workspace());
  }
  return logrank_out(std::move(r));
}

}  // namespace

void register_survival(py::module_& m) {
  py::class_<kaplan_meier_result, km_result_ptr>(
      m, "KaplanMeierResult", "A fitted Kaplan–Meier curve (see custhealth.KaplanMeier); columns are read-only views")
      .def_property_readonly("timeline", &column_view<&kaplan_meier_result::timeline>)
      .def_property_readonly("survival", &column_view<&kaplan_meier_result::survival>)
      .def_property_readonly("at_risk", &column_view<&kaplan_meier_result::at_risk>)
      .def_property_readonly("observed", &column_view<&kaplan_meier_result::observed>)
      .def_property_readonly("censored", &column_view<&kaplan_meier_result::censored>)
      .def_property_readonly("entrance", &column_view<&kaplan_meier_result::entrance>)
      .def_readonly("confidence", &kaplan_meier_result::confidence)
      .def("survival_copy", &column_copy<&kaplan_meier_result::survival>, "A writable copy of S(t) per timeline row.")
      .def(
          "variance", [](const kaplan_meier_result& r) { return pooled_numpy(r.variance(&python_workspace())); },
          "Greenwood variance of S(t) per timeline row.")
      .def("cumulative_density",
           [](const kaplan_meier_result& r) { return pooled_numpy(r.cumulative_density(&python_workspace())); })
      .def("removed", [](const kaplan_meier_result& r) { return pooled_numpy(r.removed(&python_workspace())); })
      .def(
          "confidence_band",
          [](const kaplan_meier_result& r) {
            auto [low, high] = r.confidence_band(&python_workspace());
            return std::pair{pooled_numpy(std::move(low)), pooled_numpy(std::move(high))};
          },
          "The exponential-Greenwood band per timeline row, as (low, high) arrays.")
      .def_property_readonly("median", &kaplan_meier_result::median)
      .def_property_readonly("median_ci",
                             [](const kaplan_meier_result& r) {
                               const auto ci = r.median_ci();
                               return std::pair{ci.low, ci.high};
                             })
      .def("survival_time", &kaplan_meier_result::survival_time, py::arg("q"),
           "Smallest t with S(t) <= q; inf if never, NaN for an empty fit.")
      .def(
          "survival_at",
          [](const kaplan_meier_result& r, const array_of<double>& times) {
            const auto t = as_span(times);
            std::vector<double> out(t.size());
            {
              py::gil_scoped_release release;
              for (std::size_t i = 0; i < t.size(); ++i) out[i] = r.survival_at(t[i]);
            }
            return to_numpy(std::move(out));
          },
          py::arg("times"), "S(t) of the right-continuous step function at each time (1 before the first).");

  // After KaplanMeierResult: KmState.fit returns one.
  partial_class<km_state>(m, "KmState",
                          "Mergeable partial state of a Kaplan–Meier fit or a log-rank group: the event table "
                          "(custhealth.dask)",
                          "km_state",
                          [](const km_state& s) {
                            py::dict out;
                            out["time"] = s.value.times(), out["observed"] = s.value.observed();
                            out["censored"] = s.value.censored(), out["entrance"] = s.value.entrance();
                            return out;
                          })
      .def(
          "fit",
          [](const km_state& s, double confidence) {
            km_event_table table = s.value.copy(&python_workspace());
            py::gil_scoped_release release;
            return owned_by_python(kaplan_meier(std::move(table), confidence, &python_workspace()));
          },
          py::arg("confidence") = 0.95, "The Kaplan–Meier curve of the table (as kaplan_meier on its subjects)");
  m.def(
      "km_state",
      [](const array_of<double>& durations, const array_of<std::uint8_t>& observed,
         const std::optional<array_of<double>>& entry, const std::optional<array_of<double>>& weights) {
        const auto t = as_span(durations);
        const auto e = as_span(observed);
        const auto in = optional_span(entry);
        const auto w = optional_span(weights);
        py::gil_scoped_release release;
        return km_state{detail::km::build_event_table("kaplan_meier", t, e, in, w, nullptr), {}};
      },
      py::arg("durations"), py::arg("observed"), py::arg("entry") = py::none(), py::arg("weights") = py::none(),
      "The event table of a sample, as a mergeable KmState (the arguments as kaplan_meier's)");
  m.def("logrank_states", &logrank_of_tables, py::arg("states"), py::arg("weighting") = "logrank", py::arg("p") = 0.0,
        py::arg("q") = 0.0, "Log-rank test of groups given as KmStates (group codes 0, 1, ...: their positions)");
  m.def("kaplan_meier", &fit_kaplan_meier, py::arg("durations"), py::arg("observed"), py::arg("entry") = py::none(),
        py::arg("weights") = py::none(), py::arg("confidence") = 0.95, py::arg("n_threads") = 1,
        R"pbdoc(Kaplan–Meier fit of float64 durations and uint8 event flags (0/1); entry and weights optional.

Arrays of these dtypes, C-contiguous, are read without a copy; the GIL is released while fitting.)pbdoc");
  m.def("logrank_test", &run_logrank, py::arg("durations"), py::arg("observed"), py::arg("groups"),
        py::arg("weights") = py::none(), py::arg("weighting") = "logrank", py::arg("p") = 0.0, py::arg("q") = 0.0,
        py::arg("n_threads") = 1, "Log-rank test across integer group codes (k >= 2), optionally weighted (lifelines' weightings).");
  m.def(
      "release_survival_buffers", [] { python_workspace().release(); },
      "Frees the spare buffers that Kaplan–Meier fits and log-rank tests from Python keep for reuse.");
  // For the workspace test: bytes of spare buffers held.
  m.def("_survival_spare_bytes", [] { return python_workspace().spare_bytes(); });
  // For the zero-copy test: the addresses the core reads for the arrays kaplan_meier would be given.
  m.def("_survival_input_addresses", [](const array_of<double>& durations, const array_of<std::uint8_t>& observed) {
    return std::pair{reinterpret_cast<std::uintptr_t>(as_span(durations).data()),
                     reinterpret_cast<std::uintptr_t>(as_span(observed).data())};
  });
}

}  // namespace custhealth::python
