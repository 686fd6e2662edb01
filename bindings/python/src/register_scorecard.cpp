// bindings/python/src/register_scorecard.cpp — a model file's scores for Python: the card is parsed and
// validated in C++ (JSON paths in errors), its signals computed and scored, all without the GIL.

#include "bindings.hpp"
#include "custhealth/scorecard/scorecard.hpp"

namespace custhealth::python {

void register_scorecard(py::module_& m) {
  m.def(
      "scorecard_score",
      [](const dataset& data, const std::string& text, const std::string& source, timestamp as_of) {
        scorecard card;
        scored_card r;
        {
          py::gil_scoped_release release;
          card = scorecard::parse(text, source);
          r = score_card(card, data, as_of);
        }
        signal_frame& f = r.signals;
        scorecard_scores& s = r.scores;
        py::dict out;
        py::list bands, names, values, measure_score, points_lost;
        for (const auto& b : card.bands) bands.append(b.name);
        for (std::size_t j = 0; j < f.names.size(); ++j)
          names.append(std::string(f.names[j])), values.append(to_numpy(std::move(f.values[j])));
        for (std::size_t j = 0; j < s.measure_names.size(); ++j)
          measure_score.append(to_numpy(std::move(s.measure_score[j]))),
              points_lost.append(to_numpy(std::move(s.points_lost[j])));
        out["name"] = card.name, out["version"] = card.version, out["bands"] = bands;
        out["signal_names"] = names, out["signals"] = values;
        out["score"] = to_numpy(std::move(s.score)), out["band"] = to_numpy(std::move(s.band));
        out["measure_names"] = s.measure_names, out["measure_score"] = measure_score, out["points_lost"] = points_lost;
        return out;
      },
      py::arg("dataset"), py::arg("text"), py::arg("source"), py::arg("as_of"),
      "A model file's card (parsed and validated: ModelSpecError with the JSON path) scoring every account "
      "as of one time (see custhealth.adoption)");
}

}  // namespace custhealth::python
