// bindings/python/src/register_signals.cpp — the signal layer for Python: the catalogue as plain data,
// compute_signals and the churn labels beside them as dicts of numpy columns (moved, not copied) that
// custhealth/signals.py and training.py frame.

#include <algorithm>
#include <optional>
#include <tuple>

#include "bindings.hpp"
#include "custhealth/churn/labels.hpp"
#include "custhealth/signals/signals.hpp"

namespace custhealth::python {

void register_signals(py::module_& m) {
  py::list catalog;
  for (const signal_info& s : signal_catalog) {
    py::dict row;
    row["name"] = std::string(s.name);
    row["table"] = std::string(to_string(s.table));
    row["unit"] = std::string(s.unit);
    row["window_days"] = s.window_days;
    row["higher_is_better"] = s.higher_is_better;
    row["definition"] = std::string(s.definition);
    catalog.append(row);
  }
  m.attr("SIGNAL_CATALOG") = catalog;

  m.def(
      "signals",
      [](const dataset& data, std::vector<timestamp> as_of, std::vector<std::string> names,
         std::int32_t n_threads, const std::vector<std::int64_t>& targets, std::vector<std::string> key_features,
         const std::optional<std::tuple<std::string, std::vector<double>, std::string>>& btyd) {
        signal_options o;
        if (btyd) {
          const auto& [model, params, unit] = *btyd;
          const auto kind = enum_from_string<btyd_model>(model);
          const auto u = enum_from_string<period>(unit);
          if (!kind) throw invalid_input("signals: unknown btyd model '" + model + "'");
          if (!u) throw invalid_input("signals: unknown btyd period '" + unit + "' (D or W)");
          o.btyd = btyd_signal_model{*kind, params, *u};
        }
        o.names = std::move(names);
        o.key_features = std::move(key_features);
        o.n_threads = n_threads;
        for (std::size_t p = 0; p < targets.size() && p < enum_size<priority>; ++p) o.targets.set(priority(p), targets[p]);
        signal_frame f;
        {
          py::gil_scoped_release release;
          f = compute_signals(data, std::move(as_of), o);
        }
        py::dict out;
        out["as_of"] = to_numpy(std::move(f.as_of));
        py::list names_out, values;
        for (std::size_t j = 0; j < f.names.size(); ++j) {
          names_out.append(std::string(f.names[j]));
          values.append(to_numpy(std::move(f.values[j])));
        }
        out["names"] = names_out;
        out["values"] = values;
        return out;
      },
      py::arg("dataset"), py::arg("as_of"), py::arg("names"), py::arg("n_threads"), py::arg("targets"),
      py::arg("key_features"), py::arg("btyd") = py::none(),
      "Signals of every account at each as-of time (see custhealth.signals)");

  m.def(
      "churn_labels",
      [](const dataset& data, std::vector<timestamp> as_of, int horizon_days, int inactivity_days) {
        churn_labels l;
        {
          py::gil_scoped_release release;
          l = compute_churn_labels(data, std::move(as_of), {horizon_days, inactivity_days});
        }
        std::vector<std::uint8_t> exclusion(l.exclusion.size());
        std::transform(l.exclusion.begin(), l.exclusion.end(), exclusion.begin(), [](churn_exclusion e) { return std::uint8_t(e); });
        py::dict out;
        out["as_of"] = to_numpy(std::move(l.as_of));
        out["exclusion"] = to_numpy(std::move(exclusion));
        out["churned"] = to_numpy(std::move(l.churned));
        out["horizon_complete"] = to_numpy(std::move(l.horizon_complete));
        out["observed_until"] = l.observed_until;
        return out;
      },
      py::arg("dataset"), py::arg("as_of"), py::arg("horizon_days"), py::arg("inactivity_days"));
}

}  // namespace custhealth::python
