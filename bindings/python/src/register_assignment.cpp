// bindings/python/src/register_assignment.cpp — the assignment of new accounts for Python
// (custhealth.assignment): workloads and books read in place from numpy, the search run without the GIL.

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "custhealth/scorecard/assignment.hpp"

namespace custhealth::python {

void register_assignment(py::module_& m) {
  // The workload formula's defaults, from their one place (assignment.hpp), beside the others.
  auto defaults = m.attr("DEFAULTS").cast<py::dict>();
  py::dict assignment, bands;
  for (const auto& [name, weight] : default_band_weights) bands[py::str(name.data(), name.size())] = weight;
  assignment["band_weights"] = bands;
  assignment["weight"] = default_workload_weight;
  assignment["mrr_exponent"] = default_mrr_exponent;
  assignment["exact_limit"] = assignment_exact_limit;
  defaults["assignment"] = assignment;

  m.def(
      "account_workload",
      [](const array_of<double>& segment_weight, const array_of<double>& band_weight, const array_of<double>& mrr,
         double mrr_exponent) {
        const auto s = as_span(segment_weight), b = as_span(band_weight), r = as_span(mrr);
        std::vector<double> out;
        {
          py::gil_scoped_release release;
          out = account_workload(s, b, r, mrr_exponent);
        }
        return to_numpy(std::move(out));
      },
      py::arg("segment_weight"), py::arg("band_weight"), py::arg("mrr"), py::arg("mrr_exponent"),
      "Per account segment_weight · band_weight · (mrr / mean positive mrr)^mrr_exponent (NaN or non-positive "
      "MRR counts as the mean)");

  m.def(
      "assign_accounts",
      [](const array_of<double>& workload, const array_of<double>& load, const array_of<double>& capacity) {
        const auto w = as_span(workload), l = as_span(load), c = as_span(capacity);
        account_assignment r;
        {
          py::gil_scoped_release release;
          r = assign_accounts(w, l, c);
        }
        py::dict out;
        out["owner"] = to_numpy(std::move(r.owner));
        out["load"] = to_numpy(std::move(r.load));
        out["ratio"] = to_numpy(std::move(r.ratio));
        out["unassigned"] = r.unassigned, out["max_ratio"] = r.max_ratio;
        out["sum_squared_ratio"] = r.sum_squared_ratio, out["exact"] = r.exact;
        return out;
      },
      py::arg("workload"), py::arg("load"), py::arg("capacity"),
      "New accounts (their workloads) to owners holding books of `load` within `capacity` (inf: no limit): "
      "owner index per account (-1: no owner has room), loads and load/capacity ratios after; see "
      "custhealth.assign_accounts for the objective");
}

}  // namespace custhealth::python
