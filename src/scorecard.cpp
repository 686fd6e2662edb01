// src/scorecard.cpp — the model loader (nlohmann/json, every error with its JSON path) and the scoring
// pass of DESIGN §4: mappings, missing policies, effective weights and the points each measure cost.

#include "custhealth/scorecard/scorecard.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <map>

#include "json_reader.hpp"

namespace custhealth {

namespace {

using json = nlohmann::json;
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// The scorecard's reader: the shared checks (json_reader.hpp), the document's root and positive numbers.
class reader : public detail::json_reader {
 public:
  reader(std::string_view source, const json& root) : json_reader(source), root_(root) {}

  const json& root() const { return root_; }
  double positive(const json& v, const std::string& path) const {
    const double x = number(v, path);
    if (!(x > 0)) fail(path, "must be > 0, got " + v.dump());
    return x;
  }

 private:
  const json& root_;
};

measure_map parse_map(const reader& r, const json& v, const std::string& path) {
  r.only_keys(v, path, {"linear", "bins", "percentile"});
  if (v.size() != 1) r.fail(path, "needs exactly one of linear, bins, percentile");
  measure_map m;
  if (v.contains("linear")) {
    const std::string p = path + ".linear";
    const json& a = r.array(v["linear"], p);
    if (a.size() != 2) r.fail(p, "needs 2 numbers, got " + std::to_string(a.size()));
    m.type = measure_map::kind::linear;
    m.lo = r.number(a[0], p + "[0]"), m.hi = r.number(a[1], p + "[1]");
    if (m.lo == m.hi) r.fail(p, "the two ends must differ");
  } else if (v.contains("bins")) {
    const std::string p = path + ".bins";
    m.type = measure_map::kind::bins;
    const json& a = r.array(v["bins"], p);
    for (std::size_t i = 0; i < a.size(); ++i) {
      const std::string pi = p + "[" + std::to_string(i) + "]";
      if (!a[i].is_array() || a[i].size() != 2) r.fail(pi, "needs [bound, score]");
      const bool open = a[i][0].is_null();
      if (open && i + 1 != a.size()) r.fail(pi + "[0]", "only the last bound may be null (+∞)");
      const double bound = open ? std::numeric_limits<double>::infinity() : r.number(a[i][0], pi + "[0]");
      const double score = r.number(a[i][1], pi + "[1]");
      if (score < 0 || score > 100) r.fail(pi + "[1]", "a score must lie in 0..100");
      if (!m.bins.empty() && !(bound > m.bins.back().first)) r.fail(pi + "[0]", "bounds must ascend");
      m.bins.emplace_back(bound, score);
    }
  } else {
    const std::string p = path + ".percentile";
    m.type = measure_map::kind::percentile;
    const json& o = v["percentile"];
    r.only_keys(o, p, {"within", "higher_is_better"});
    if (o.contains("within")) {
      const std::string w = r.text(o["within"], p + ".within");
      if (w != "segment" && w != "portfolio") r.fail(p + ".within", "must be \"segment\" or \"portfolio\"");
      m.within_segment = w == "segment";
    }
    if (o.contains("higher_is_better")) {
      if (!o["higher_is_better"].is_boolean()) r.fail(p + ".higher_is_better", "must be true or false");
      m.higher_is_better = o["higher_is_better"].get<bool>();
    }
  }
  return m;
}

missing_policy parse_missing(const reader& r, const json& v, const std::string& path) {
  if (v.is_number()) {
    const double x = r.number(v, path);
    if (x < 0 || x > 100) r.fail(path, "a score must lie in 0..100");
    return {missing_policy::kind::value, x};
  }
  const std::string s = r.text(v, path);
  if (s == "reweight") return {missing_policy::kind::reweight, 0};
  if (s == "neutral") return {missing_policy::kind::value, 50};
  if (s == "worst") return {missing_policy::kind::value, 0};
  r.fail(path, "must be \"reweight\", \"neutral\", \"worst\" or a score, got \"" + s + "\"");
}

/// 0..100 from the signal value (not NaN) by a linear or bins map.
double map_value(const measure_map& m, double v) {
  if (m.type == measure_map::kind::linear) return std::clamp(100 * (v - m.lo) / (m.hi - m.lo), 0.0, 100.0);
  for (const auto& [bound, score] : m.bins)
    if (v < bound) return score;
  return m.bins.back().second;  // v at or past the last finite bound with no open bin: its score
}

}  // namespace

scorecard scorecard::parse(std::string_view text, std::string_view source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    throw model_spec_error(std::string(source) + ": not valid JSON: " + e.what());
  }
  const reader r(source, root);
  r.only_keys(root, "$", {"name", "version", "description", "bands", "groups", "key_features"});
  scorecard card;
  card.name = r.text(r.required(root, "$", "name"), "$.name");
  if (root.contains("version")) {
    if (!root["version"].is_number_integer()) r.fail("$.version", "must be an integer");
    card.version = root["version"].get<std::int64_t>();
  }
  if (root.contains("description")) r.text(root["description"], "$.description");
  const json& bands = r.array(r.required(root, "$", "bands"), "$.bands");
  for (std::size_t i = 0; i < bands.size(); ++i) {
    const std::string p = "$.bands[" + std::to_string(i) + "]";
    r.only_keys(bands[i], p, {"name", "below"});
    scorecard_band b{r.text(r.required(bands[i], p, "name"), p + ".name")};
    const bool last = i + 1 == bands.size();
    if (bands[i].contains("below") == last) r.fail(p, last ? "the last band has no \"below\"" : "missing \"below\"");
    if (!last) b.below = r.number(bands[i]["below"], p + ".below");
    if (!card.bands.empty() && !(b.below > card.bands.back().below)) r.fail(p + ".below", "bounds must ascend");
    card.bands.push_back(std::move(b));
  }
  const json& groups = r.array(r.required(root, "$", "groups"), "$.groups");
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const std::string p = "$.groups[" + std::to_string(g) + "]";
    r.only_keys(groups[g], p, {"name", "weight", "measures", "description"});
    scorecard_group group{r.text(r.required(groups[g], p, "name"), p + ".name"),
                          r.positive(r.required(groups[g], p, "weight"), p + ".weight"), {}};
    const json& measures = r.array(r.required(groups[g], p, "measures"), p + ".measures");
    for (std::size_t i = 0; i < measures.size(); ++i) {
      const std::string pm = p + ".measures[" + std::to_string(i) + "]";
      r.only_keys(measures[i], pm, {"signal", "weight", "map", "missing", "description"});
      scorecard_measure m;
      m.signal = r.text(r.required(measures[i], pm, "signal"), pm + ".signal");
      try {
        signal_index(m.signal);
      } catch (const invalid_input& e) {
        r.fail(pm + ".signal", e.what());
      }
      m.weight = measures[i].contains("weight") ? r.positive(measures[i]["weight"], pm + ".weight") : 1.0;
      m.map = parse_map(r, r.required(measures[i], pm, "map"), pm + ".map");
      if (measures[i].contains("missing")) m.missing = parse_missing(r, measures[i]["missing"], pm + ".missing");
      group.measures.push_back(std::move(m));
    }
    card.groups.push_back(std::move(group));
  }
  if (root.contains("key_features")) {
    const json& k = r.array(root["key_features"], "$.key_features", false);
    for (std::size_t i = 0; i < k.size(); ++i) card.key_features.push_back(r.text(k[i], "$.key_features[" + std::to_string(i) + "]"));
  }
  return card;
}

std::vector<std::string> scorecard::signals() const {
  std::vector<std::string> out;
  for (const auto& g : groups)
    for (const auto& m : g.measures)
      if (std::find(out.begin(), out.end(), m.signal) == out.end()) out.push_back(m.signal);
  return out;
}

scorecard_scores score_accounts(const scorecard& card, const dataset& data, const signal_frame& signals,
                                std::size_t as_of_index) {
  const std::size_t n = data.n_accounts();
  if (signals.n_accounts != n || as_of_index >= signals.as_of.size())
    throw invalid_input("score_accounts: the signals are not those of this dataset at that as-of index");
  const timestamp T = signals.as_of[as_of_index];
  const account_table& acc = data.accounts();
  // The scored accounts: active at T (started before T, not ended before T).
  std::vector<char> scored(n, 0);
  for (std::size_t a = 0; a < n; ++a) {
    const timestamp start = acc.start.empty() ? no_time : acc.start[a];
    const timestamp end = acc.end.empty() ? no_time : acc.end[a];
    scored[a] = start != no_time && start < T && !(end != no_time && end < T);
  }
  auto column = [&](const std::string& name) -> const double* {
    for (std::size_t j = 0; j < signals.names.size(); ++j)
      if (signals.names[j] == name) return signals.values[j].data() + as_of_index * n;
    throw invalid_input("score_accounts: the signals lack \"" + name + "\", which card " + card.name + " reads");
  };

  scorecard_scores out;
  out.score.assign(n, nan);
  out.band.assign(n, -1);
  for (const auto& g : card.groups)
    for (const auto& m : g.measures) {
      const double* v = column(m.signal);
      std::vector<double> s(n, nan);
      if (m.map.type == measure_map::kind::percentile) {
        // 100·(#{< v} + ½·#{= v}) / n among the scored accounts with a value, by segment if asked.
        std::map<std::int32_t, std::vector<double>> peers;
        auto segment_of = [&](std::size_t a) {
          return m.map.within_segment && !acc.segment.empty() ? acc.segment[a] : no_code;
        };
        for (std::size_t a = 0; a < n; ++a)
          if (scored[a] && !std::isnan(v[a])) peers[segment_of(a)].push_back(v[a]);
        for (auto& [_, values] : peers) std::sort(values.begin(), values.end());
        for (std::size_t a = 0; a < n; ++a) {
          if (!scored[a] || std::isnan(v[a])) continue;
          const auto& values = peers[segment_of(a)];
          const auto [lo, hi] = std::equal_range(values.begin(), values.end(), v[a]);
          const double p = 100 * (double(lo - values.begin()) + 0.5 * double(hi - lo)) / double(values.size());
          s[a] = m.map.higher_is_better ? p : 100 - p;
        }
      } else {
        for (std::size_t a = 0; a < n; ++a)
          if (scored[a] && !std::isnan(v[a])) s[a] = map_value(m.map, v[a]);
      }
      if (m.missing.type == missing_policy::kind::value)
        for (std::size_t a = 0; a < n; ++a)
          if (scored[a] && std::isnan(s[a])) s[a] = m.missing.value;
      out.measure_names.push_back(g.name + "/" + m.signal);
      out.measure_score.push_back(std::move(s));
      out.points_lost.emplace_back(n, nan);
    }

  // w_eff = (W_g / Σ W of present groups) · (w / Σ w of present measures in g); score = Σ w_eff · s.
  std::vector<double> present(card.groups.size());  // per group: Σ w of its present measures
  for (std::size_t a = 0; a < n; ++a) {
    if (!scored[a]) continue;
    double group_total = 0;
    for (std::size_t g = 0, j = 0; g < card.groups.size(); ++g) {
      present[g] = 0;
      for (const auto& m : card.groups[g].measures)
        if (!std::isnan(out.measure_score[j++][a])) present[g] += m.weight;
      if (present[g] > 0) group_total += card.groups[g].weight;
    }
    if (group_total == 0) continue;
    double score = 0;
    for (std::size_t g = 0, j = 0; g < card.groups.size(); ++g)
      for (const auto& m : card.groups[g].measures) {
        const double s = out.measure_score[j++][a];
        if (std::isnan(s)) continue;  // a present measure makes its group present
        const double w = card.groups[g].weight / group_total * (m.weight / present[g]);
        score += w * s;
        out.points_lost[j - 1][a] = w * (100 - s);
      }
    out.score[a] = score;
    for (std::size_t b = 0; b < card.bands.size(); ++b)
      if (score < card.bands[b].below) {
        out.band[a] = std::int32_t(b);
        break;
      }
  }
  return out;
}

scored_card score_card(const scorecard& card, const dataset& data, timestamp as_of) {
  signal_options o;
  o.names = card.signals();
  o.key_features = card.key_features;
  scored_card out{compute_signals(data, {as_of}, o), {}};
  out.scores = score_accounts(card, data, out.signals);
  return out;
}

}  // namespace custhealth
