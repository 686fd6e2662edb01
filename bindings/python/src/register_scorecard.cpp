// bindings/python/src/register_scorecard.cpp — scorecards for Python: a card parsed and validated in C++
// (JSON paths in errors), its scores, trend and explanations, and its alerts, all without the GIL.

#include "bindings.hpp"
#include "custhealth/scorecard/scorecard.hpp"

namespace custhealth::python {

namespace {

/// A measure-major block as a (measures × accounts) array, without a copy: a DataFrame wraps its
/// transpose as one block.
py::array_t<double> block(std::vector<double> values, std::size_t measures, std::size_t n) {
  py::array_t<double> flat = to_numpy(std::move(values));
  return flat.reshape({py::ssize_t(measures), py::ssize_t(n)});
}

py::dict scores_dict(const scorecard& card, scored_card r) {
  signal_frame& f = r.signals;
  scorecard_scores& s = r.scores;
  const std::size_t n = s.score.size();
  py::dict out;
  py::list names, values;
  for (std::size_t j = 0; j < f.names.size(); ++j)
    names.append(std::string(f.names[j])), values.append(to_numpy(std::move(f.values[j])));
  const std::size_t m = s.measure_names.size();
  py::array_t<double> measure_score = block(std::move(s.measure_score), m, n),
                      points_lost = block(std::move(s.points_lost), m, n), weight = block(std::move(s.weight), m, n);
  py::list reasons;
  for (const auto& o : card.overrides) reasons.append(o.reason);
  out["signal_names"] = names, out["signals"] = values;
  out["score"] = to_numpy(std::move(s.score)), out["band"] = to_numpy(std::move(s.band));
  out["computed"] = to_numpy(std::move(s.computed)), out["override_index"] = to_numpy(std::move(s.override_index));
  out["override_reasons"] = reasons, out["trend"] = to_numpy(std::move(r.trend));
  out["measure_names"] = s.measure_names, out["measure_score"] = measure_score, out["points_lost"] = points_lost;
  out["weight"] = weight;
  return out;
}

}  // namespace

void register_scorecard(py::module_& m) {
  py::class_<scorecard>(m, "Scorecard", "A validated scorecard model (custhealth/scorecard/scorecard.hpp)")
      .def_static(
          "parse",
          [](const std::string& text, const std::string& source) {
            py::gil_scoped_release release;
            return scorecard::parse(text, source);
          },
          py::arg("text"), py::arg("source"), "Parses and validates model JSON (ModelSpecError with the JSON path)")
      .def("to_json", &scorecard::to_json)
      .def_readonly("name", &scorecard::name)
      .def_readonly("version", &scorecard::version)
      .def_readonly("description", &scorecard::description)
      .def_readonly("trend_days", &scorecard::trend_days)
      .def_readonly("key_features", &scorecard::key_features)
      .def_property_readonly("bands",
                             [](const scorecard& c) {
                               py::list out;
                               for (const auto& b : c.bands) out.append(py::make_tuple(b.name, b.below));
                               return out;
                             })
      .def_property_readonly("measures",
                             [](const scorecard& c) {
                               py::list out;  // (group, group weight, signal, weight) in model order
                               for (const auto& g : c.groups)
                                 for (const auto& x : g.measures) out.append(py::make_tuple(g.name, g.weight, x.signal, x.weight));
                               return out;
                             })
      .def("signals", &scorecard::signals, "The signals the measures read, in model order, each once")
      .def_static("latest_version", [] { return scorecard::latest_version; });

  m.def(
      "scorecard_score",
      [](const dataset& data, const scorecard& card, timestamp as_of, std::int32_t n_threads) {
        scored_card r;
        {
          py::gil_scoped_release release;
          r = score_card(card, data, as_of, n_threads);
        }
        return scores_dict(card, std::move(r));
      },
      py::arg("dataset"), py::arg("card"), py::arg("as_of"), py::arg("n_threads") = 1,
      "Every account's score, band, trend and per-measure scores, points lost and weights as of one time");

  m.def(
      "scorecard_score_signals",
      [](const dataset& data, const scorecard& card, timestamp as_of, const std::vector<std::string>& names,
         const std::vector<array_of<double>>& values, std::int32_t n_threads) {
        if (names != card.signals()) throw invalid_input("scorecard: the signals must be the card's, in its order");
        if (names.size() != values.size()) throw invalid_input("scorecard: one array per signal name");
        std::vector<const double*> columns;  // read in place (the arrays stay referenced by the call)
        for (std::size_t j = 0; j < names.size(); ++j) {
          const auto v = as_span(values[j]);
          if (v.size() != data.n_accounts())
            throw invalid_input("scorecard: signal " + names[j] + " has " + std::to_string(v.size()) + " values for " +
                                std::to_string(data.n_accounts()) + " accounts");
          columns.push_back(v.data());
        }
        scored_card r;
        {
          py::gil_scoped_release release;
          r.scores = score_accounts(card, data, as_of, columns, n_threads);
          r.trend.assign(data.n_accounts(), std::numeric_limits<double>::quiet_NaN());
        }
        return scores_dict(card, std::move(r));  // no signal columns: the caller has them
      },
      py::arg("dataset"), py::arg("card"), py::arg("as_of"), py::arg("names"), py::arg("values"),
      py::arg("n_threads") = 1, "Scores on signals already computed at one as-of time (one float64 array per name, in account order)");

  m.def(
      "scorecard_rescore",
      [](const scorecard& card, const array_of<double>& measure_score, const std::vector<double>& group_weights,
         const std::vector<double>& measure_weights) {
        scorecard copy = card;  // the card's structure with the weights asked
        if (group_weights.size() != copy.groups.size())
          throw invalid_input("rescore: " + std::to_string(group_weights.size()) + " group weights for " +
                              std::to_string(copy.groups.size()) + " groups");
        std::size_t j = 0;
        for (std::size_t g = 0; g < copy.groups.size(); ++g) {
          copy.groups[g].weight = group_weights[g];
          for (auto& x : copy.groups[g].measures) {
            if (j >= measure_weights.size()) throw invalid_input("rescore: too few measure weights");
            x.weight = measure_weights[j++];
          }
        }
        if (j != measure_weights.size()) throw invalid_input("rescore: too many measure weights");
        for (const auto* weights : {&group_weights, &measure_weights})
          for (const double w : *weights)
            if (!(w > 0 && std::isfinite(w))) throw invalid_input("rescore: weights must be finite and > 0, as in a card");
        if (measure_score.ndim() != 2 || std::size_t(measure_score.shape(0)) != j)
          throw invalid_input("rescore: measure scores must be a (measures × accounts) array");
        const auto n = std::size_t(measure_score.shape(1));
        std::vector<double> out;
        {
          py::gil_scoped_release release;
          out = rescore(copy, {measure_score.data(), j * n}, n);
        }
        return to_numpy(std::move(out));
      },
      py::arg("card"), py::arg("measure_score"), py::arg("group_weights"), py::arg("measure_weights"),
      "Scores from measure scores already mapped ((measures × accounts), as score() returns them) with "
      "other weights: the loop a tuning harness runs");

  m.def(
      "active_accounts",
      [](const dataset& data, timestamp as_of) {
        std::vector<std::uint8_t> out(data.n_accounts());
        for (std::size_t a = 0; a < out.size(); ++a) out[a] = data.accounts().active_at(a, as_of);
        return to_numpy(std::move(out));
      },
      py::arg("dataset"), py::arg("as_of"),
      "Per account (code order): 1 when active at the time (started before it, not ended before it)");

  m.def(
      "scorecard_alerts",
      [](const dataset& data, const scorecard& card, std::vector<timestamp> as_of, std::int32_t n_threads) {
        std::vector<alert> alerts;
        {
          py::gil_scoped_release release;
          alerts = card_alerts(card, data, std::move(as_of), n_threads);
        }
        const std::size_t n = alerts.size();
        std::vector<std::int32_t> account(n), severity(n);
        std::vector<timestamp> time(n), at(n);
        py::list kind, message;
        for (std::size_t i = 0; i < n; ++i) {
          const alert& a = alerts[i];
          account[i] = a.account, severity[i] = std::int32_t(a.severity), time[i] = a.time, at[i] = a.as_of;
          kind.append(alert_name(card, a)), message.append(a.message);
        }
        py::dict out;
        out["account"] = to_numpy(std::move(account)), out["severity"] = to_numpy(std::move(severity));
        out["time"] = to_numpy(std::move(time)), out["as_of"] = to_numpy(std::move(at));
        out["kind"] = kind, out["message"] = message;
        return out;
      },
      py::arg("dataset"), py::arg("card"), py::arg("as_of"), py::arg("n_threads") = 1,
      "The alerts active at the first as-of time and those starting at each later one (see card_alerts)");
}

}  // namespace custhealth::python
