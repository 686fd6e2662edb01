// bindings/python/src/register_feedback.cpp — the survey analytics for Python: NPS / CSAT / CES results
// with intervals, the two-sample tests, and grouped summaries over a dataset or a DataFrame's columns.

#include <cstdio>

#include "custhealth/feedback/grouped.hpp"
#include "grouped_bindings.hpp"
#include "partial_state.hpp"

namespace custhealth::python {

namespace {

/// A survey summary with the confidence level its interval is reported at.
template <class Summary>
struct survey_result {
  Summary summary;
  double confidence = 0.95;
};
using nps_result = survey_result<nps_summary>;
using csat_result = survey_result<csat_summary>;
using ces_result = survey_result<ces_summary>;

std::string number(double x, const char* format = "%.1f") {
  if (std::isnan(x)) return "nan";
  char buf[32];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

template <class Summary>
double se_of(const Summary& s) {
  if constexpr (std::is_same_v<Summary, csat_summary>)
    return csat_se(s);
  else
    return s.se();
}

/// A summary's definition and counts, the state its pickle carries: (scale, top_boxes) for CSAT,
/// nothing for NPS and CES; then the count of every score of the range.
template <class Summary>
py::tuple summary_state(const Summary& s) {
  py::list counts;
  if constexpr (std::is_same_v<Summary, csat_summary>) {
    for (int score = 1; score <= s.scale(); ++score) counts.append(s.count(score));
    return py::make_tuple(s.scale(), s.top_boxes(), counts);
  } else {
    for (int score = Summary::min_score; score <= Summary::max_score; ++score) counts.append(s.count(score));
    return py::make_tuple(counts);
  }
}

template <class Summary>
Summary summary_from_state(const py::tuple& state) {
  auto restore = [&](Summary s, const py::list& counts, int low, int high) {
    if (py::len(counts) != std::size_t(high - low + 1)) throw invalid_input("pickled survey summary: wrong number of counts");
    for (int score = low; score <= high; ++score) {
      const auto n = counts[std::size_t(score - low)].cast<std::int64_t>();
      if (n < 0) throw invalid_input("pickled survey summary: a negative count");
      s.add_unchecked(score, n);
    }
    return s;
  };
  if constexpr (std::is_same_v<Summary, csat_summary>) {
    const int scale = state[0].cast<int>();
    return restore(csat_summary(scale, state[1].cast<int>()), state[2].cast<py::list>(), 1, scale);
  } else {
    return restore(Summary{}, state[0].cast<py::list>(), Summary::min_score, Summary::max_score);
  }
}

/// The properties every survey result has, merging, equality and pickling.
template <class Summary>
py::class_<survey_result<Summary>> survey_result_class(py::module_& m, const char* name, const char* doc) {
  using R = survey_result<Summary>;
  py::class_<R> c(m, name, doc);
  c.def_property_readonly(
       "n", [](const R& r) { return r.summary.n(); }, "Number of answers")
      .def_property_readonly(
          "score", [](const R& r) { return r.summary.score(); }, "The headline score (NaN when empty)")
      .def_property_readonly(
          "se", [](const R& r) { return se_of(r.summary); }, "Standard error of the score")
      .def_property_readonly("ci_low", [](const R& r) { return r.summary.ci(r.confidence).low; })
      .def_property_readonly("ci_high", [](const R& r) { return r.summary.ci(r.confidence).high; })
      .def_property_readonly("confidence", [](const R& r) { return r.confidence; })
      .def(
          "__add__",
          [](const R& a, const R& b) {
            return R{a.summary + b.summary, a.confidence};
          },
          "Merges two results exactly (the answers of both)")
      .def("__eq__", [](const R& a, const R& b) { return a.summary == b.summary; })
      .def(py::pickle([](const R& r) { return py::make_tuple(summary_state(r.summary), r.confidence); },
                      [](const py::tuple& t) {
                        return R{summary_from_state<Summary>(t[0].cast<py::tuple>()), t[1].cast<double>()};
                      }));
  c.attr("__hash__") = py::none();  // compared by value: unhashable
  return c;
}

template <class Summary>
py::dict grouped_out(grouped<Summary>&& g, double confidence) {
  column_builder cols(g.size());
  auto& n = cols.integer("n");
  auto& score = cols.real("score");
  auto& se = cols.real("se");
  auto& low = cols.real("ci_low");
  auto& high = cols.real("ci_high");
  for (std::size_t i = 0; i < g.size(); ++i) {
    const Summary& s = g.values[i];
    const auto ci = s.ci(confidence);
    n[i] = s.n(), score[i] = s.score(), se[i] = se_of(s), low[i] = ci.low, high[i] = ci.high;
  }
  if constexpr (std::is_same_v<Summary, nps_summary>) {
    auto& p = cols.integer("promoters");
    auto& q = cols.integer("passives");
    auto& d = cols.integer("detractors");
    for (std::size_t i = 0; i < g.size(); ++i)
      p[i] = g.values[i].promoters(), q[i] = g.values[i].passives(), d[i] = g.values[i].detractors();
  } else if constexpr (std::is_same_v<Summary, csat_summary>) {
    auto& sat = cols.integer("satisfied");
    auto& mean = cols.real("mean");
    for (std::size_t i = 0; i < g.size(); ++i) sat[i] = g.values[i].satisfied(), mean[i] = g.values[i].mean();
  } else {
    auto& sd = cols.real("sd");
    for (std::size_t i = 0; i < g.size(); ++i) sd[i] = g.values[i].sd();
  }
  py::dict out = keys_out(std::move(g.keys));
  out["columns"] = cols.finish();
  return out;
}

/// The mergeable partial state of a grouped survey summary (custhealth.dask) and its interval's level.
struct confidence_param {
  double confidence = 0.95;
  friend bool operator==(const confidence_param&, const confidence_param&) = default;
};
template <class Summary>
using survey_state = partial_state<grouped<Summary>, confidence_param>;

template <class Summary>
void register_survey_state(py::module_& m, const char* name, const char* tag) {
  partial_class<survey_state<Summary>>(
      m, name, "Mergeable partial state of feedback_summary over some rows (custhealth.dask)", tag,
      [](const survey_state<Summary>& s) { return grouped_out(grouped<Summary>(s.value), s.params.confidence); });
}

survey_kind kind_of(const std::string& kind) {
  if (auto k = enum_from_string<survey_kind>(kind)) return *k;
  throw invalid_input("unknown survey kind '" + kind + "': expected one of " + enum_choices<survey_kind>());
}

/// Runs the grouped summary of `kind` (the GIL released) and converts the result: a dict, or with
/// `state` the mergeable partial state.
template <class Rows>
py::object summarize(const Rows& rows, survey_kind kind, const time_grouping& scope, int scale, int top_boxes,
                     double confidence, std::int32_t n_threads, const std::vector<std::string>* by = nullptr,
                     bool state = false) {
  checked_confidence(confidence);
  auto run = [&](const auto& init) {
    using S = std::remove_cvref_t<decltype(init)>;
    grouped<S> g;
    {
      py::gil_scoped_release release;
      if constexpr (std::is_same_v<Rows, dataset>)
        g = summarize_by(rows, *by, scope, init, n_threads);
      else
        g = summarize_by(rows, scope, init, n_threads);
    }
    if (state) return py::cast(survey_state<S>{std::move(g), {confidence}});
    return py::object(grouped_out(std::move(g), confidence));
  };
  switch (kind) {
    case survey_kind::nps:
      return run(nps_summary{});
    case survey_kind::csat:
      return run(csat_summary(scale, top_boxes));
    case survey_kind::ces:
      return run(ces_summary{});
  }
  return py::none();
}

/// Scores as float64, read in place when they already are; the summary computed with the GIL released.
template <class Summarize>
auto summarize_scores(const py::object& scores, Summarize&& f) {
  auto arr = array_of<double>::ensure(scores);
  if (!arr) throw invalid_input("scores must be numbers");
  const auto span = as_span(arr);
  py::gil_scoped_release release;
  return f(span);
}

}  // namespace

void register_feedback(py::module_& m) {
  register_survey_state<nps_summary>(m, "NpsState", "nps_state");
  register_survey_state<csat_summary>(m, "CsatState", "csat_state");
  register_survey_state<ces_summary>(m, "CesState", "ces_state");
  auto nps_class = survey_result_class<nps_summary>(
      m, "NpsResult", "Net Promoter Score of a group of 0..10 answers: 100·(P − D)/N with a normal interval.");
  nps_class.def_property_readonly("promoters", [](const nps_result& r) { return r.summary.promoters(); })
      .def_property_readonly("passives", [](const nps_result& r) { return r.summary.passives(); })
      .def_property_readonly("detractors", [](const nps_result& r) { return r.summary.detractors(); })
      .def_property_readonly(
          "counts",
          [](const nps_result& r) {
            std::vector<std::int64_t> c;
            for (int s = 0; s <= 10; ++s) c.push_back(r.summary.count(s));
            return c;
          },
          "Answers per score 0..10")
      .def("__repr__", [](const nps_result& r) {
        const auto ci = r.summary.ci(r.confidence);
        return "NpsResult(score=" + number(r.summary.score()) + ", ci=(" + number(ci.low) + ", " + number(ci.high) +
               "), n=" + std::to_string(r.summary.n()) + ", promoters=" + std::to_string(r.summary.promoters()) +
               ", passives=" + std::to_string(r.summary.passives()) +
               ", detractors=" + std::to_string(r.summary.detractors()) + ")";
      });

  auto csat_class = survey_result_class<csat_summary>(
      m, "CsatResult", "CSAT: the share of answers in the top boxes of a 1..scale scale, in percent, Wilson interval.");
  csat_class.def_property_readonly("satisfied", [](const csat_result& r) { return r.summary.satisfied(); })
      .def_property_readonly(
          "mean", [](const csat_result& r) { return r.summary.mean(); }, "Mean score")
      .def_property_readonly("sd", [](const csat_result& r) { return r.summary.sd(); })
      .def_property_readonly("scale", [](const csat_result& r) { return r.summary.scale(); })
      .def_property_readonly("top_boxes", [](const csat_result& r) { return r.summary.top_boxes(); })
      .def("__repr__", [](const csat_result& r) {
        const auto ci = r.summary.ci(r.confidence);
        return "CsatResult(score=" + number(r.summary.score()) + ", ci=(" + number(ci.low) + ", " + number(ci.high) +
               "), n=" + std::to_string(r.summary.n()) + ", satisfied=" + std::to_string(r.summary.satisfied()) +
               ", mean=" + number(r.summary.mean(), "%.2f") + ")";
      });

  auto ces_class =
      survey_result_class<ces_summary>(m, "CesResult", "Customer Effort Score: mean of 1..7 answers, t interval.");
  ces_class.def_property_readonly("mean", [](const ces_result& r) { return r.summary.mean(); })
      .def_property_readonly("sd", [](const ces_result& r) { return r.summary.sd(); })
      .def("__repr__", [](const ces_result& r) {
        const auto ci = r.summary.ci(r.confidence);
        return "CesResult(score=" + number(r.summary.score(), "%.2f") + ", ci=(" + number(ci.low, "%.2f") + ", " +
               number(ci.high, "%.2f") + "), n=" + std::to_string(r.summary.n()) + ")";
      });

  py::class_<z_test_result>(m, "ZTestResult", "A two-sided z-test of group a against group b")
      .def_readonly("difference", &z_test_result::difference, "a − b, in the metric's points")
      .def_readonly("se", &z_test_result::se)
      .def_readonly("z", &z_test_result::z)
      .def_readonly("p_value", &z_test_result::p_value)
      .def(py::pickle([](const z_test_result& r) { return py::make_tuple(r.difference, r.se, r.z, r.p_value); },
                      [](const py::tuple& t) {
                        return z_test_result{t[0].cast<double>(), t[1].cast<double>(), t[2].cast<double>(),
                                             t[3].cast<double>()};
                      }))
      .def("__eq__", [](const z_test_result& a, const z_test_result& b) {
        auto same = [](double x, double y) { return x == y || (std::isnan(x) && std::isnan(y)); };
        return same(a.difference, b.difference) && same(a.se, b.se) && same(a.z, b.z) && same(a.p_value, b.p_value);
      })
      .def("__repr__", [](const z_test_result& r) {
        return "ZTestResult(difference=" + number(r.difference, "%.3f") + ", se=" + number(r.se, "%.3f") +
               ", z=" + number(r.z, "%.3f") + ", p_value=" + number(r.p_value, "%.4g") + ")";
      });

  m.def(
      "nps",
      [](const py::object& scores, double confidence) {
        checked_confidence(confidence);
        return nps_result{summarize_scores(scores, [](auto s) { return summarize_nps(s); }), confidence};
      },
      py::arg("scores"), py::arg("confidence") = 0.95);
  m.def(
      "csat",
      [](const py::object& scores, int scale, int top_boxes, double confidence) {
        checked_confidence(confidence);
        return csat_result{summarize_scores(scores, [&](auto s) { return summarize_csat(s, scale, top_boxes); }),
                           confidence};
      },
      py::arg("scores"), py::arg("scale") = 5, py::arg("top_boxes") = 2, py::arg("confidence") = 0.95);
  m.def(
      "ces",
      [](const py::object& scores, double confidence) {
        checked_confidence(confidence);
        return ces_result{summarize_scores(scores, [](auto s) { return summarize_ces(s); }), confidence};
      },
      py::arg("scores"), py::arg("confidence") = 0.95);
  m.def("nps_test", [](const nps_result& a, const nps_result& b) { return nps_test(a.summary, b.summary); });
  m.def("csat_test", [](const csat_result& a, const csat_result& b) { return csat_test(a.summary, b.summary); });

  m.def(
      "feedback_dataset",
      [](const dataset& data, const std::string& kind, const std::vector<std::string>& by,
         const std::optional<std::string>& per, std::optional<timestamp> as_of, std::int64_t window_days, int scale,
         int top_boxes, double confidence, std::int32_t n_threads) {
        return summarize(data, kind_of(kind), scope_of(per, as_of, window_days), scale, top_boxes, confidence, n_threads,
                         &by)
            .cast<py::dict>();
      },
      py::arg("dataset"), py::arg("kind"), py::arg("by"), py::arg("period"), py::arg("as_of"), py::arg("window_days"),
      py::arg("scale"), py::arg("top_boxes"), py::arg("confidence"), py::arg("n_threads") = 1);

  m.def(
      "feedback_arrays",
      [](const std::string& kind, const py::object& time, std::int64_t ticks_per_second, const py::object& score,
         const py::object& kind_codes, std::int64_t kind_code, const py::list& keys,
         const std::optional<std::string>& per, std::optional<timestamp> as_of, std::int64_t window_days, int scale,
         int top_boxes, double confidence, std::int32_t n_threads, bool state) -> py::object {
        const survey_kind k = kind_of(kind);
        python_keys pk(keys);
        std::vector<py::object> keep;
        survey_rows rows;
        if (time.is_none()) throw invalid_input("surveys: a time column is required");
        rows.time = times_of(time, ticks_per_second, "timestamp", keep);
        auto scores = array_of<double>::ensure(score);
        if (!scores) throw invalid_input("surveys: scores must be numbers");
        rows.score = as_span(scores);
        if (!kind_codes.is_none()) rows.kind = codes_of(kind_codes.cast<py::array>(), "kind", keep);
        rows.kind_code = kind_code;
        rows.keys = pk.columns;
        py::object result = summarize(rows, k, scope_of(per, as_of, window_days), scale, top_boxes, confidence,
                                      n_threads, nullptr, state);
        if (state) return result;
        py::dict out = result;
        py::dict inputs;
        inputs["time"] = address_of(rows.time.ticks.data());
        inputs["score"] = address_of(rows.score.data());
        inputs["keys"] = pk.addresses;
        out["inputs"] = inputs;
        return out;
      },
      py::arg("kind"), py::arg("time"), py::arg("ticks_per_second"), py::arg("score"), py::arg("kind_codes"),
      py::arg("kind_code"), py::arg("keys"), py::arg("period"), py::arg("as_of"), py::arg("window_days"),
      py::arg("scale"), py::arg("top_boxes"), py::arg("confidence"), py::arg("n_threads") = 1,
      py::arg("state") = false,
      "Grouped survey summary of DataFrame columns: a dict of arrays, or with state=True the mergeable "
      "partial state (NpsState, CsatState, CesState)");
}

}  // namespace custhealth::python
