// bindings/python/src/register_cox.cpp — the Cox model of churn/cox.hpp for Python (custhealth.cox): X read
// in place from numpy (any float64 strides), the GIL released while C++ fits and predicts.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "custhealth/churn/cox.hpp"

namespace custhealth::python {

namespace {

constexpr const char* where = "CoxPH";

std::span<const double> optional_span(const std::optional<array_of<double>>& a) {
  return a ? as_span(*a) : std::span<const double>{};
}

std::span<const std::int32_t> optional_codes(const std::optional<array_of<std::int32_t>>& a) {
  return a ? as_span(*a) : std::span<const std::int32_t>{};
}

py::array_t<double> numbers(std::span<const double> values) {
  return to_numpy(std::vector<double>(values.begin(), values.end()));
}

/// A rows × cols row-major copy as a 2-D array.
py::array_t<double> matrix(std::span<const double> values, std::size_t rows, std::size_t cols) {
  py::array_t<double> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

cox_model run_fit(const py::array& x, const array_of<double>& durations, const std::optional<py::array>& events,
                  const std::optional<array_of<double>>& weights, const std::optional<array_of<std::int32_t>>& strata,
                  std::vector<std::string> names, double l2, int max_iter, double tol, std::string duration_col,
                  std::string event_col, std::string weights_col) {
  const matrix_input m = read_matrix(x, where);
  const std::optional<label_array> labels =
      events ? std::optional<label_array>(read_label_array(*events, "event")) : std::nullopt;
  const auto t = as_span(durations);
  const auto w = optional_span(weights);
  const auto s = optional_codes(strata);
  const label_view e = labels ? labels->view : label_view{};
  const cox_options options{l2, max_iter, tol, false, std::move(duration_col), std::move(event_col),
                            std::move(weights_col)};
  py::gil_scoped_release release;
  return cox_model::fit(m.view, t, e, w, s, std::move(names), options);
}

py::array_t<double> run_log_partial_hazard(const cox_model& model, const py::array& x) {
  const matrix_input m = read_matrix(x, where);
  py::array_t<double> out(std::vector<py::ssize_t>{static_cast<py::ssize_t>(m.view.rows)});
  double* data = out.mutable_data();  // written without the GIL: no Python object is touched
  {
    py::gil_scoped_release release;
    model.log_partial_hazard(m.view, std::span<double>(data, m.view.rows));
  }
  return out;
}

py::array_t<double> run_cumulative_hazard(const cox_model& model, const py::array& x,
                                          const std::optional<array_of<std::int32_t>>& strata,
                                          const array_of<double>& times, bool survival) {
  const matrix_input m = read_matrix(x, where);
  const auto s = optional_codes(strata);
  const auto t = as_span(times);
  py::array_t<double> out({static_cast<py::ssize_t>(t.size()), static_cast<py::ssize_t>(m.view.rows)});
  double* data = out.mutable_data();
  {
    py::gil_scoped_release release;
    model.predict_cumulative_hazard(m.view, s, t, std::span<double>(data, t.size() * m.view.rows), {}, survival);
  }
  return out;
}

py::dict run_summary(const cox_model& model, double confidence) {
  cox_summary s = model.summary(confidence);
  py::dict out;
  out["term"] = s.term;
  out["coef"] = to_numpy(std::move(s.coef));
  out["exp_coef"] = to_numpy(std::move(s.exp_coef));
  out["se"] = to_numpy(std::move(s.se));
  out["ci_lower"] = to_numpy(std::move(s.ci_lower));
  out["ci_upper"] = to_numpy(std::move(s.ci_upper));
  out["exp_ci_lower"] = to_numpy(std::move(s.exp_ci_lower));
  out["exp_ci_upper"] = to_numpy(std::move(s.exp_ci_upper));
  out["z"] = to_numpy(std::move(s.z));
  out["p"] = to_numpy(std::move(s.p));
  return out;
}

}  // namespace

void register_cox(py::module_& m) {
  using model = cox_model;
  py::class_<model>(m, "CoxModel", "The fitted Cox model of custhealth/churn/cox.hpp (use custhealth.CoxPH).")
      .def_static("fit", &run_fit, py::arg("X"), py::arg("durations"), py::arg("events"), py::arg("weights"),
                  py::arg("strata"), py::arg("feature_names"), py::arg("l2"), py::arg("max_iter"), py::arg("tol"),
                  py::arg("duration_col"), py::arg("event_col"), py::arg("weights_col"),
                  "Fits on X (n x p float64, any strides, read in place), durations, optional 0/1 events, weights "
                  "(> 0) and int32 stratum codes.")
      .def_property_readonly("feature_names", &model::feature_names)
      .def_property_readonly("coef", [](const model& x) { return numbers(x.coef()); })
      .def_property_readonly("se", [](const model& x) { return numbers(x.se()); })
      .def_property_readonly("covariance",
                             [](const model& x) { return matrix(x.covariance(), x.n_features(), x.n_features()); })
      .def_property_readonly("mean", [](const model& x) { return numbers(x.mean()); })
      .def_property_readonly("sd", [](const model& x) { return numbers(x.sd()); })
      .def_property_readonly("l2", &model::l2)
      .def_property_readonly("n_strata", &model::n_strata)
      .def_property_readonly("status", [](const model& x) { return std::string(to_string(x.stats().status)); })
      .def_property_readonly("converged", [](const model& x) { return x.stats().converged(); })
      .def_property_readonly("iterations", [](const model& x) { return x.stats().iterations; })
      .def_property_readonly("step_norm", [](const model& x) { return x.stats().step_norm; })
      .def_property_readonly("log_likelihood", [](const model& x) { return x.stats().log_likelihood; })
      .def_property_readonly("partial_log_likelihood", [](const model& x) { return x.stats().partial_log_likelihood; })
      .def_property_readonly("null_log_likelihood", [](const model& x) { return x.stats().null_log_likelihood; })
      .def_property_readonly("rows", [](const model& x) { return x.stats().rows; })
      .def_property_readonly("events", [](const model& x) { return x.stats().events; })
      .def_property_readonly("weight_sum", [](const model& x) { return x.stats().weight_sum; })
      .def_property_readonly("concordance_index", [](const model& x) { return x.concordance().index(); })
      .def_property_readonly("baseline_times", [](const model& x) { return numbers(x.baseline_times()); })
      .def_property_readonly("baseline_hazard",
                             [](const model& x) {
                               return matrix(x.baseline_hazard(), x.n_strata(), x.baseline_times().size());
                             })
      .def("summary", &run_summary, py::arg("confidence") = 0.95,
           "The coefficient table's columns: term, coef, exp_coef, se, ci_lower, ci_upper, exp_ci_lower, "
           "exp_ci_upper, z, p.")
      .def(
          "likelihood_ratio_test",
          [](const model& x) {
            const cox_likelihood_ratio r = x.likelihood_ratio_test();
            return py::make_tuple(r.statistic, r.p_value, r.degrees_of_freedom);
          },
          "(statistic, p_value, degrees_of_freedom) of the test against no covariates.")
      .def("log_partial_hazard", &run_log_partial_hazard, py::arg("X"),
           "coef . (x - mean) of each row (X's columns are the model's, in order).")
      .def("predict_cumulative_hazard", &run_cumulative_hazard, py::arg("X"), py::arg("strata"), py::arg("times"),
           py::arg("survival") = false,
           "times x rows: the cumulative hazard (or, with survival, the survival) of each row at each time.");
}

}  // namespace custhealth::python
