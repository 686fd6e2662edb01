// bindings/python/src/register_metrics.cpp — the evaluation metrics of churn/metrics.hpp for Python
// (custhealth.metrics): labels and scores read in place from numpy, the GIL released while C++ ranks.

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "bindings.hpp"
#include "custhealth/churn/calibration.hpp"
#include "custhealth/churn/metrics.hpp"

namespace custhealth::python {

namespace {

std::span<const double> values(const array_of<double>& a) { return as_span(a); }
std::span<const double> optional_values(const std::optional<array_of<double>>& a) {
  return a ? as_span(*a) : std::span<const double>{};
}

/// A metric of (labels, scores, optional weights) with the GIL released while it runs.
template <double (*Metric)(label_view, std::span<const double>, std::span<const double>)>
double weighted_metric(const py::array& y, const array_of<double>& score,
                       const std::optional<array_of<double>>& weights) {
  const label_array l = read_label_array(y, "y_true");
  const auto s = values(score);
  const auto w = optional_values(weights);
  py::gil_scoped_release release;
  return Metric(l.view, s, w);
}

template <double (*Metric)(label_view, std::span<const double>, double)>
double top_metric(const py::array& y, const array_of<double>& score, double k) {
  const label_array l = read_label_array(y, "y_true");
  const auto s = values(score);
  py::gil_scoped_release release;
  return Metric(l.view, s, k);
}

py::dict run_calibration(const py::array& y, const array_of<double>& p, int bins, const std::string& strategy) {
  const auto how = parse_enum<calibration_strategy>("strategy", strategy);
  const label_array l = read_label_array(y, "y_true");
  const auto q = values(p);
  calibration_table t;
  {
    py::gil_scoped_release release;
    t = calibration(l.view, q, bins, how);
  }
  py::dict out;
  out["bin"] = to_numpy(std::move(t.bin));
  out["lower"] = to_numpy(std::move(t.lower));
  out["upper"] = to_numpy(std::move(t.upper));
  out["count"] = to_numpy(std::move(t.count));
  out["prob_pred"] = to_numpy(std::move(t.prob_pred));
  out["prob_true"] = to_numpy(std::move(t.prob_true));
  return out;
}

py::tuple run_concordance(const array_of<double>& durations, const array_of<double>& predicted,
                          const std::optional<py::array>& events) {
  const auto t = values(durations);
  const auto p = values(predicted);
  std::optional<label_array> e;
  if (events) e = read_label_array(*events, "event_observed");
  const label_view observed = e ? e->view : label_view{};  // not given: every duration ends in an event
  concordance_counts c;
  {
    py::gil_scoped_release release;
    c = concordance(t, p, observed);
  }
  return py::make_tuple(c.concordant, c.tied, c.pairs, c.index());
}

}  // namespace

void register_metrics(py::module_& m) {
  m.def("roc_auc", &weighted_metric<&roc_auc>, py::arg("y_true"), py::arg("y_score"),
        py::arg("sample_weight") = py::none(),
        "ROC AUC, ties averaged (= sklearn.metrics.roc_auc_score); NaN with one class only.");
  m.def("pr_auc", &weighted_metric<&pr_auc>, py::arg("y_true"), py::arg("y_score"),
        py::arg("sample_weight") = py::none(),
        "Average precision (= sklearn.metrics.average_precision_score); NaN without positives.");
  m.def("brier", &weighted_metric<&brier>, py::arg("y_true"), py::arg("y_prob"), py::arg("sample_weight") = py::none(),
        "Brier score (= sklearn.metrics.brier_score_loss); NaN when the weights sum to 0.");
  m.def("log_loss", &weighted_metric<&log_loss>, py::arg("y_true"), py::arg("y_prob"),
        py::arg("sample_weight") = py::none(),
        "Log loss, p clipped to [eps, 1 - eps] (= sklearn.metrics.log_loss); NaN when the weights sum to 0.");
  m.def("precision_at_k", &top_metric<&precision_at_k>, py::arg("y_true"), py::arg("y_score"), py::arg("k"),
        "Share of positives among the top ceil(k n) scores, ties at the cut shared out.");
  m.def("lift", &top_metric<&lift>, py::arg("y_true"), py::arg("y_score"), py::arg("k"),
        "precision_at_k over the overall positive rate; NaN without positives.");
  m.def("top_k_count", [](std::size_t n, double k) { return top_k_count(n, k); }, py::arg("n"), py::arg("k"),
        "How many of n accounts the top fraction k holds: ceil(k n), k n within 1e-9 of an integer taken as it.");
  m.def("calibration", &run_calibration, py::arg("y_true"), py::arg("y_prob"), py::arg("bins"), py::arg("strategy"),
        "The calibration table's columns (non-empty bins only; = sklearn.calibration.calibration_curve).");
  m.def("concordance", &run_concordance, py::arg("event_times"), py::arg("predicted_scores"),
        py::arg("event_observed") = py::none(),
        "(concordant, tied, pairs, index) as lifelines.utils.concordance_index counts them; index NaN without pairs.");

  m.def(
      "calibration_fit",
      [](const std::string& method, const array_of<double>& score, const array_of<double>& y,
         const std::optional<array_of<double>>& weight) {
        const auto s = values(score), labels = values(y), w = optional_values(weight);
        calibration_map c;
        {
          py::gil_scoped_release release;
          c = method == "platt" ? fit_platt(s, labels, w) : fit_isotonic(s, labels, w);
        }
        return py::make_tuple(to_numpy(std::move(c.x)), to_numpy(std::move(c.y)), c.a, c.b);
      },
      py::arg("method"), py::arg("score"), py::arg("y"), py::arg("sample_weight") = py::none(),
      "(x, y, a, b) of the fitted map: isotonic (x, y) or Platt (a, b)");
  m.def(
      "calibration_predict",
      [](const std::string& method, std::vector<double> x, std::vector<double> y, double a, double b,
         const array_of<double>& score) {
        calibration_map c;
        c.method = method == "platt" ? calibration_map::kind::platt : calibration_map::kind::isotonic;
        c.x = std::move(x), c.y = std::move(y), c.a = a, c.b = b;
        const auto s = values(score);
        std::vector<double> out(s.size());
        {
          py::gil_scoped_release release;
          for (std::size_t i = 0; i < s.size(); ++i) out[i] = c(s[i]);
        }
        return to_numpy(std::move(out));
      },
      py::arg("method"), py::arg("x"), py::arg("y"), py::arg("a"), py::arg("b"), py::arg("score"));
}

}  // namespace custhealth::python
