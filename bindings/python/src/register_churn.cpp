// bindings/python/src/register_churn.cpp — the logistic churn model of churn/logistic.hpp for Python
// (custhealth.churn): X read in place from numpy (C or Fortran order, any float64 strides), the GIL
// released while C++ fits and scores.

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "bindings.hpp"
#include "custhealth/churn/logistic.hpp"

namespace custhealth::python {

namespace {

std::span<const std::size_t> column_map(const std::optional<std::vector<std::size_t>>& columns) {
  return columns ? std::span<const std::size_t>(*columns) : std::span<const std::size_t>{};
}

py::array_t<double> numbers(std::span<const double> values) {
  return to_numpy(std::vector<double>(values.begin(), values.end()));
}

logistic_churn_model run_fit(const py::array& x, const py::array& y, const std::optional<array_of<double>>& weights,
                             std::vector<std::string> names, double l2, bool standardize, int max_iter, double tol,
                             std::int32_t n_threads) {
  const matrix_input m = read_matrix(x, "LogisticChurnModel");
  const label_array labels = read_label_array(y, "y");
  const auto w = weights ? as_span(*weights) : std::span<const double>{};
  const logistic_options options{l2, standardize, max_iter, tol, false, n_threads};
  py::gil_scoped_release release;
  return logistic_churn_model::fit(m.view, labels.view, w, std::move(names), options);
}

/// One value per row (logit or probability) with the GIL released.
template <void (logistic_churn_model::*Score)(matrix_view, std::span<double>, std::span<const std::size_t>) const>
py::array_t<double> score_rows(const logistic_churn_model& model, const py::array& x,
                               const std::optional<std::vector<std::size_t>>& columns) {
  const matrix_input m = read_matrix(x, "LogisticChurnModel");
  // A shape, not a count: built against Debian's pybind11 2.10 (older than numpy 2), array_t(ssize_t)
  // came out with stride 0.
  py::array_t<double> out(std::vector<py::ssize_t>{static_cast<py::ssize_t>(m.view.rows)});
  double* data = out.mutable_data();  // written without the GIL: no Python object is touched
  {
    py::gil_scoped_release release;
    (model.*Score)(m.view, std::span<double>(data, m.view.rows), column_map(columns));
  }
  return out;
}

py::array_t<double> run_contributions(const logistic_churn_model& model, const py::array& x,
                                      const std::optional<std::vector<std::size_t>>& columns) {
  const matrix_input m = read_matrix(x, "LogisticChurnModel");
  const std::size_t width = model.n_features() + 1;
  py::array_t<double> out({static_cast<py::ssize_t>(m.view.rows), static_cast<py::ssize_t>(width)});
  double* data = out.mutable_data();
  {
    py::gil_scoped_release release;
    model.contributions(m.view, std::span<double>(data, m.view.rows * width), column_map(columns));
  }
  return out;
}

py::dict run_summary(const logistic_churn_model& model, double confidence) {
  logistic_summary s = model.summary(confidence);
  py::dict out;
  out["term"] = s.term;
  out["coef"] = to_numpy(std::move(s.coef));
  out["se"] = to_numpy(std::move(s.se));
  out["z"] = to_numpy(std::move(s.z));
  out["p"] = to_numpy(std::move(s.p));
  out["ci_lower"] = to_numpy(std::move(s.ci_lower));
  out["ci_upper"] = to_numpy(std::move(s.ci_upper));
  out["coef_std"] = to_numpy(std::move(s.coef_std));
  out["se_std"] = to_numpy(std::move(s.se_std));
  return out;
}

}  // namespace

void register_churn(py::module_& m) {
  using model = logistic_churn_model;
  py::class_<model>(m, "LogisticModel",
                    "The fitted logistic churn model of custhealth/churn/logistic.hpp (use custhealth.LogisticChurnModel).")
      .def_static("fit", &run_fit, py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("feature_names"),
                  py::arg("l2"), py::arg("standardize"), py::arg("max_iter"), py::arg("tol"), py::arg("n_threads") = 1,
                  "Fits on X (n x p float64, any strides, read in place), y (0/1) and optional weights.")
      .def_static(
          "from_json", [](const std::string& text, const std::string& source) { return model::from_json(text, source); },
          py::arg("text"), py::arg("source") = "model", "The model of a file written by to_json().")
      .def("to_json", &model::to_json)
      .def_property_readonly("feature_names", &model::feature_names)
      .def_property_readonly("mean", [](const model& x) { return numbers(x.mean()); })
      .def_property_readonly("sd", [](const model& x) { return numbers(x.sd()); })
      .def_property_readonly("coef", [](const model& x) { return numbers(x.coef()); })
      .def_property_readonly("coef_std", [](const model& x) { return numbers(x.coef_std()); })
      .def_property_readonly("se", [](const model& x) { return numbers(x.se()); })
      .def_property_readonly("se_std", [](const model& x) { return numbers(x.se_std()); })
      .def_property_readonly("intercept", &model::intercept)
      .def_property_readonly("intercept_std", &model::intercept_std)
      .def_property_readonly("intercept_se", &model::intercept_se)
      .def_property_readonly("intercept_se_std", &model::intercept_se_std)
      .def_property_readonly("l2", &model::l2)
      .def_property_readonly("standardize", &model::standardize)
      .def_property_readonly("max_iter", &model::max_iter)
      .def_property_readonly("tol", &model::tol)
      .def_property_readonly("status", [](const model& x) { return std::string(to_string(x.stats().status)); })
      .def_property_readonly("converged", [](const model& x) { return x.stats().converged(); })
      .def_property_readonly("iterations", [](const model& x) { return x.stats().iterations; })
      .def_property_readonly("gradient_norm", [](const model& x) { return x.stats().gradient_norm; })
      .def_property_readonly("objective", [](const model& x) { return x.stats().objective; })
      .def_property_readonly("log_loss", [](const model& x) { return x.stats().log_loss; })
      .def_property_readonly("weight_sum", [](const model& x) { return x.stats().weight_sum; })
      .def_property_readonly("rows", [](const model& x) { return x.stats().rows; })
      .def("summary", &run_summary, py::arg("confidence") = 0.95,
           "The coefficient table's columns: term, coef, se, z, p, ci_lower, ci_upper, coef_std, se_std.")
      .def(
          "columns_for",
          [](const model& x, const std::vector<std::string>& names) { return x.columns_for(names); },
          py::arg("names"), "For each model feature, its position among names; an error lists missing and extra ones.")
      .def("predict_logit", &score_rows<&model::predict_logit>, py::arg("X"), py::arg("columns") = py::none(),
           "The logit of each row (the sum of its contributions).")
      .def("predict_proba", &score_rows<&model::predict_proba>, py::arg("X"), py::arg("columns") = py::none(),
           "P(churn) of each row.")
      .def("contributions", &run_contributions, py::arg("X"), py::arg("columns") = py::none(),
           "n x (p + 1) log-odds contributions: coef_std * (x - mean) / sd per feature, then intercept_std.");
}

}  // namespace custhealth::python
