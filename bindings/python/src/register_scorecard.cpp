// bindings/python/src/register_scorecard.cpp — a model file's scores for Python: the card is parsed and
// validated in C++ (JSON paths in errors), its signals computed and scored, all without the GIL.

#include "bindings.hpp"
#include "custhealth/scorecard/scorecard.hpp"

namespace custhealth::python {

void register_scorecard(py::module_& m) {
  m.def(
      "scorecard_check",
      [](const std::string& text, const std::string& source) {
        const scorecard card = scorecard::parse(text, source);
        py::list bands;
        for (const auto& b : card.bands) bands.append(b.name);
        py::dict out;
        out["name"] = card.name, out["version"] = card.version, out["bands"] = bands, out["signals"] = card.signals();
        out["key_features"] = card.key_features;
        return out;
      },
      py::arg("text"), py::arg("source"), "Validates model JSON (raises ModelSpecError with the JSON path)");
  m.def(
      "scorecard_score",
      [](const dataset& data, const std::string& text, const std::string& source, timestamp as_of) {
        scorecard_scores s;
        signal_frame f;
        {
          py::gil_scoped_release release;
          const scorecard card = scorecard::parse(text, source);
          signal_options o;
          o.names = card.signals();
          o.key_features = card.key_features;
          f = compute_signals(data, {as_of}, o);
          s = score_accounts(card, data, f);
        }
        py::dict out;
        py::list names, values, measure_score, points_lost;
        for (std::size_t j = 0; j < f.names.size(); ++j)
          names.append(std::string(f.names[j])), values.append(to_numpy(std::move(f.values[j])));
        for (std::size_t j = 0; j < s.measure_names.size(); ++j)
          measure_score.append(to_numpy(std::move(s.measure_score[j]))),
              points_lost.append(to_numpy(std::move(s.points_lost[j])));
        out["signal_names"] = names, out["signals"] = values;
        out["score"] = to_numpy(std::move(s.score)), out["band"] = to_numpy(std::move(s.band));
        out["measure_names"] = s.measure_names, out["measure_score"] = measure_score, out["points_lost"] = points_lost;
        return out;
      },
      py::arg("dataset"), py::arg("text"), py::arg("source"), py::arg("as_of"),
      "Scores of every account as of one time by a model file's card (see custhealth.adoption)");
}

}  // namespace custhealth::python
