// src/scorecard.cpp — the model loader (nlohmann/json, every error with its JSON path) and the scoring
// pass of DESIGN §4: mappings, missing policies, effective weights and the points each measure cost.

#include "custhealth/scorecard/scorecard.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <initializer_list>
#include <tuple>
#include <utility>

#include "custhealth/parallel.hpp"
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

/// A whole number in [lo, hi] at `path`.
/// (30.0 counts as 30, as JSON Schema's "integer" does: a dict that passed through numpy writes it so.)
std::int64_t whole(const reader& r, const json& v, const std::string& path, std::int64_t lo, std::int64_t hi) {
  const bool integral = v.is_number_integer() || (v.is_number_float() && std::isfinite(v.get<double>()) &&
                                                  v.get<double>() == std::floor(v.get<double>()));
  if (!integral) r.fail(path, "must be a whole number, got " + v.dump());
  const double x = v.get<double>();
  if (x < double(lo) || x > double(hi))
    r.fail(path, "must lie in " + std::to_string(lo) + ".." + std::to_string(hi) + ", got " + v.dump());
  return v.is_number_integer() ? v.get<std::int64_t>() : std::int64_t(x);
}

void check_signal(const reader& r, const std::string& name, const std::string& path) {
  try {
    signal_index(name);
  } catch (const invalid_input& e) {
    r.fail(path, e.what());
  }
}

alert_settings parse_alerts(const reader& r, const json& v) {
  r.only_keys(v, "$.alerts", {"drop_points", "inactive_days", "renewal_days", "detractor_below", "rules"});
  alert_settings a;
  if (v.contains("drop_points")) a.drop_points = r.positive(v["drop_points"], "$.alerts.drop_points");
  if (v.contains("inactive_days")) a.inactive_days = std::int32_t(whole(r, v["inactive_days"], "$.alerts.inactive_days", 1, 3650));
  if (v.contains("renewal_days")) a.renewal_days = std::int32_t(whole(r, v["renewal_days"], "$.alerts.renewal_days", 1, 3650));
  if (v.contains("detractor_below")) {
    a.detractor_below = r.number(v["detractor_below"], "$.alerts.detractor_below");
    if (a.detractor_below < 0 || a.detractor_below > 11) r.fail("$.alerts.detractor_below", "must lie in 0..11");
  }
  if (!v.contains("rules")) return a;
  const json& rules = r.array(v["rules"], "$.alerts.rules", false);
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const std::string p = "$.alerts.rules[" + std::to_string(i) + "]";
    r.only_keys(rules[i], p, {"name", "signal", "above", "below", "at_least", "at_most", "only_if", "severity", "description"});
    alert_rule rule;
    rule.name = r.text(r.required(rules[i], p, "name"), p + ".name");
    if (enum_from_string<alert_kind>(rule.name))
      r.fail(p + ".name", "\"" + rule.name + "\" is a built-in alert; name the rule otherwise");
    for (const auto& other : a.rules)
      if (other.name == rule.name) r.fail(p + ".name", "a second rule named \"" + rule.name + "\"");
    rule.signal = r.text(r.required(rules[i], p, "signal"), p + ".signal");
    check_signal(r, rule.signal, p + ".signal");
    std::size_t given = 0;
    for (std::size_t k = 0; k < alert_rule::comparison_keys.size(); ++k)
      if (const std::string key(alert_rule::comparison_keys[k]); rules[i].contains(key)) {
        ++given, rule.op = alert_rule::comparison(k);
        rule.threshold = r.number(rules[i][key], p + "." + key);
      }
    if (given != 1) r.fail(p, "needs exactly one of above, below, at_least, at_most");
    if (rules[i].contains("only_if")) {
      const std::string pc = p + ".only_if";
      const json& c = rules[i]["only_if"];
      r.only_keys(c, pc, {"signal", "at_least"});
      rule.only_if_signal = r.text(r.required(c, pc, "signal"), pc + ".signal");
      check_signal(r, rule.only_if_signal, pc + ".signal");
      rule.only_if_at_least = r.number(r.required(c, pc, "at_least"), pc + ".at_least");
    }
    if (rules[i].contains("severity")) {
      const std::string sv = r.text(rules[i]["severity"], p + ".severity");
      const auto sev = enum_from_string<alert_severity>(sv);
      if (!sev) r.fail(p + ".severity", "must be one of " + enum_choices<alert_severity>() + ", got \"" + sv + "\"");
      rule.severity = *sev;
    }
    if (rules[i].contains("description")) rule.description = r.text(rules[i]["description"], p + ".description");
    a.rules.push_back(std::move(rule));
  }
  return a;
}

std::vector<scorecard_override> parse_overrides(const reader& r, const json& v) {
  std::vector<scorecard_override> out;
  const json& list = r.array(v, "$.overrides", false);
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string p = "$.overrides[" + std::to_string(i) + "]";
    r.only_keys(list[i], p, {"account_id", "score", "until", "reason"});
    scorecard_override o;
    o.account_id = r.text(r.required(list[i], p, "account_id"), p + ".account_id");
    for (const auto& other : out)
      if (other.account_id == o.account_id) r.fail(p + ".account_id", "a second override of \"" + o.account_id + "\"");
    o.score = r.number(r.required(list[i], p, "score"), p + ".score");
    if (o.score < 0 || o.score > 100) r.fail(p + ".score", "a score must lie in 0..100");
    const std::string until = r.text(r.required(list[i], p, "until"), p + ".until");
    const auto t = parse_time(until);
    if (!t || !is_plausible_time(*t)) r.fail(p + ".until", "must be a date (YYYY-MM-DD) or an ISO 8601 time, got \"" + until + "\"");
    o.until = *t;
    o.reason = r.text(r.required(list[i], p, "reason"), p + ".reason");
    if (o.reason.empty()) r.fail(p + ".reason", "must say why");
    out.push_back(std::move(o));
  }
  return out;
}

/// An override's or a report's time as the model file writes it: a date at midnight, else ISO 8601.
std::string format_moment(timestamp t) {
  const std::int64_t s = t - day_number(t) * seconds_per_day;
  if (s == 0) return format_date(t);
  return fmt::format("{}T{:02}:{:02}:{:02}", format_date(t), s / 3600, s / 60 % 60, s % 60);
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
  r.only_keys(root, "$", {"name", "version", "description", "bands", "groups", "key_features", "trend_days",
                          "overrides", "alerts"});
  scorecard card;
  card.name = r.text(r.required(root, "$", "name"), "$.name");
  if (root.contains("version")) card.version = whole(r, root["version"], "$.version", 1, std::numeric_limits<std::int64_t>::max());
  if (card.version > latest_version)
    r.fail("$.version", "version " + std::to_string(card.version) + " is newer than this library reads (" +
                            std::to_string(latest_version) + "): upgrade custhealth");
  if (root.contains("description")) card.description = r.text(root["description"], "$.description");
  const json& bands = r.array(r.required(root, "$", "bands"), "$.bands");
  for (std::size_t i = 0; i < bands.size(); ++i) {
    const std::string p = "$.bands[" + std::to_string(i) + "]";
    r.only_keys(bands[i], p, {"name", "below"});
    scorecard_band b{r.text(r.required(bands[i], p, "name"), p + ".name")};
    for (const auto& other : card.bands)
      if (other.name == b.name) r.fail(p + ".name", "a second band named \"" + b.name + "\"");
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
                          r.positive(r.required(groups[g], p, "weight"), p + ".weight"), {}, {}};
    for (const auto& other : card.groups)
      if (other.name == group.name) r.fail(p + ".name", "a second group named \"" + group.name + "\"");
    if (groups[g].contains("description")) group.description = r.text(groups[g]["description"], p + ".description");
    const json& measures = r.array(r.required(groups[g], p, "measures"), p + ".measures");
    for (std::size_t i = 0; i < measures.size(); ++i) {
      const std::string pm = p + ".measures[" + std::to_string(i) + "]";
      r.only_keys(measures[i], pm, {"signal", "weight", "map", "missing", "description"});
      scorecard_measure m;
      m.signal = r.text(r.required(measures[i], pm, "signal"), pm + ".signal");
      check_signal(r, m.signal, pm + ".signal");
      for (const auto& other : group.measures)
        if (other.signal == m.signal) r.fail(pm + ".signal", "\"" + m.signal + "\" is measured twice in the group");
      m.weight = r.positive(r.required(measures[i], pm, "weight"), pm + ".weight");
      m.map = parse_map(r, r.required(measures[i], pm, "map"), pm + ".map");
      if (measures[i].contains("missing")) m.missing = parse_missing(r, measures[i]["missing"], pm + ".missing");
      if (measures[i].contains("description")) m.description = r.text(measures[i]["description"], pm + ".description");
      group.measures.push_back(std::move(m));
    }
    card.groups.push_back(std::move(group));
  }
  if (root.contains("key_features")) {
    const json& k = r.array(root["key_features"], "$.key_features", false);
    for (std::size_t i = 0; i < k.size(); ++i) card.key_features.push_back(r.text(k[i], "$.key_features[" + std::to_string(i) + "]"));
  }
  if (root.contains("trend_days")) card.trend_days = std::int32_t(whole(r, root["trend_days"], "$.trend_days", 0, 3650));
  if (root.contains("overrides")) card.overrides = parse_overrides(r, root["overrides"]);
  if (root.contains("alerts")) card.alerts = parse_alerts(r, root["alerts"]);
  return card;
}

std::string scorecard::to_json() const {
  using ordered = nlohmann::ordered_json;
  ordered root;
  root["name"] = name, root["version"] = version;
  if (!description.empty()) root["description"] = description;
  ordered bs = ordered::array();
  for (const auto& b : bands) {
    ordered o{{"name", b.name}};
    if (std::isfinite(b.below)) o["below"] = b.below;
    bs.push_back(o);
  }
  root["bands"] = bs;
  root["trend_days"] = trend_days;
  ordered gs = ordered::array();
  for (const auto& g : groups) {
    ordered go{{"name", g.name}, {"weight", g.weight}};
    if (!g.description.empty()) go["description"] = g.description;
    ordered ms = ordered::array();
    for (const auto& m : g.measures) {
      ordered mo{{"signal", m.signal}, {"weight", m.weight}};
      if (m.map.type == measure_map::kind::linear) {
        mo["map"] = {{"linear", {m.map.lo, m.map.hi}}};
      } else if (m.map.type == measure_map::kind::bins) {
        ordered bins = ordered::array();
        for (const auto& [bound, score] : m.map.bins)
          bins.push_back(ordered::array({std::isfinite(bound) ? ordered(bound) : ordered(nullptr), score}));
        mo["map"] = {{"bins", bins}};
      } else {
        mo["map"] = {{"percentile",
                      {{"within", m.map.within_segment ? "segment" : "portfolio"}, {"higher_is_better", m.map.higher_is_better}}}};
      }
      if (m.missing.type == missing_policy::kind::reweight) mo["missing"] = "reweight";
      else mo["missing"] = m.missing.value;
      if (!m.description.empty()) mo["description"] = m.description;
      ms.push_back(mo);
    }
    go["measures"] = ms;
    gs.push_back(go);
  }
  root["groups"] = gs;
  if (!key_features.empty()) root["key_features"] = key_features;
  if (!overrides.empty()) {
    ordered os = ordered::array();
    for (const auto& o : overrides)
      os.push_back({{"account_id", o.account_id}, {"score", o.score}, {"until", format_moment(o.until)}, {"reason", o.reason}});
    root["overrides"] = os;
  }
  ordered al{{"drop_points", alerts.drop_points}, {"inactive_days", alerts.inactive_days},
             {"renewal_days", alerts.renewal_days}, {"detractor_below", alerts.detractor_below}};
  ordered rs = ordered::array();
  for (const auto& rule : alerts.rules) {
    ordered ro{{"name", rule.name}, {"signal", rule.signal},
               {std::string(alert_rule::comparison_keys[std::size_t(rule.op)]), rule.threshold}};
    if (!rule.only_if_signal.empty()) ro["only_if"] = {{"signal", rule.only_if_signal}, {"at_least", rule.only_if_at_least}};
    ro["severity"] = std::string(to_string(rule.severity));
    if (!rule.description.empty()) ro["description"] = rule.description;
    rs.push_back(ro);
  }
  al["rules"] = rs;
  root["alerts"] = al;
  return root.dump(2);
}

std::vector<std::string> scorecard::signals() const {
  std::vector<std::string> out;
  for (const auto& g : groups)
    for (const auto& m : g.measures)
      if (std::find(out.begin(), out.end(), m.signal) == out.end()) out.push_back(m.signal);
  return out;
}

namespace {

/// The signals the built-in alerts read (see card_alerts).
constexpr std::array<std::string_view, 8> builtin_alert_signals{
    "usage.days_since_last", "account.tenure_days", "account.days_to_renewal", "nps.last",
    "nps.days_since_last",   "support.open_high",   "support.open_high_age_days", "mrr.current"};

const double* column_at(const signal_frame& f, std::string_view name, std::size_t t, const std::string& card) {
  for (std::size_t j = 0; j < f.names.size(); ++j)
    if (f.names[j] == name) return f.values[j].data() + t * f.n_accounts;
  throw invalid_input("scorecard: the signals lack \"" + std::string(name) + "\", which card " + card + " reads");
}

std::size_t index_of(const std::vector<timestamp>& sorted, timestamp t) {
  return std::size_t(std::lower_bound(sorted.begin(), sorted.end(), t) - sorted.begin());
}

/// The card's signals at the as-of times and at each less trend_days, in one sweep.
signal_frame card_signals(const scorecard& card, const dataset& data, std::vector<timestamp> as_of, bool with_alerts,
                          std::int32_t n_threads) {
  signal_options o;
  o.n_threads = n_threads;
  o.names = card.signals();
  if (with_alerts)
    for (auto& name : card.alert_signals()) o.names.push_back(std::move(name));
  o.key_features = card.key_features;
  const std::size_t n = as_of.size();
  if (card.trend_days > 0)
    for (std::size_t k = 0; k < n; ++k) as_of.push_back(as_of[k] - card.trend_days * seconds_per_day);
  return compute_signals(data, std::move(as_of), o);
}

}  // namespace

namespace {

/// The weighting of DESIGN §4 over mapped measure scores (measure-major, n per measure; NaN =
/// absent), for the accounts [first, last): w_eff = (W_g / Σ W of present groups) · (w / Σ w of
/// present measures in g), score = Σ w_eff · s (left as it is where no measure is present), and when
/// asked w_eff · (100 − s) and w_eff per cell. Column by column, each account's terms added in model
/// order, so a block of accounts gets the bits it gets among all accounts.
void weigh(const scorecard& card, const double* measure_score, std::size_t n, std::size_t first, std::size_t last,
           double* score, double* points_lost, double* weight) {
  const std::size_t k = last - first;
  std::vector<std::vector<double>> present(card.groups.size(), std::vector<double>(k, 0.0));  // Σ w present
  for (std::size_t g = 0, j = 0; g < card.groups.size(); ++g)
    for (const auto& m : card.groups[g].measures) {
      const double* s = measure_score + j++ * n + first;
      for (std::size_t a = 0; a < k; ++a) present[g][a] += std::isnan(s[a]) ? 0.0 : m.weight;
    }
  std::vector<double> group_total(k, 0.0);  // Σ W of the present groups
  for (std::size_t g = 0; g < card.groups.size(); ++g)
    for (std::size_t a = 0; a < k; ++a) group_total[a] += present[g][a] > 0 ? card.groups[g].weight : 0.0;
  // Per group and account, W_g / (Σ W · Σ w): one division per group instead of two per measure.
  for (std::size_t g = 0; g < card.groups.size(); ++g)
    for (std::size_t a = 0; a < k; ++a)
      present[g][a] = present[g][a] > 0 ? card.groups[g].weight / (group_total[a] * present[g][a]) : 0.0;
  std::vector<double> sum(k, 0.0);
  for (std::size_t g = 0, j = 0; g < card.groups.size(); ++g)
    for (const auto& m : card.groups[g].measures) {
      const std::size_t at = j++ * n + first;
      const double* s = measure_score + at;
      const double* factor = present[g].data();
      for (std::size_t a = 0; a < k; ++a) {
        if (std::isnan(s[a])) continue;  // a present measure makes its group present
        const double w = m.weight * factor[a];
        sum[a] += w * s[a];
        if (points_lost) points_lost[at + a] = w * (100 - s[a]), weight[at + a] = w;
      }
    }
  for (std::size_t a = 0; a < k; ++a)
    if (group_total[a] > 0) score[first + a] = sum[a];
}

}  // namespace

std::vector<double> rescore(const scorecard& card, std::span<const double> measure_score, std::size_t n_accounts) {
  std::size_t measures = 0;
  for (const auto& g : card.groups) measures += g.measures.size();
  if (measure_score.size() != measures * n_accounts)
    throw invalid_input("rescore: " + std::to_string(measure_score.size()) + " measure scores for " +
                        std::to_string(measures) + " measures × " + std::to_string(n_accounts) + " accounts");
  std::vector<double> score(n_accounts, nan);
  weigh(card, measure_score.data(), n_accounts, 0, n_accounts, score.data(), nullptr, nullptr);
  return score;
}

std::vector<std::string> scorecard::alert_signals() const {
  std::vector<std::string> read = signals(), out;
  auto add = [&](std::string_view signal) {
    if (std::find(read.begin(), read.end(), signal) == read.end()) read.emplace_back(signal), out.emplace_back(signal);
  };
  for (const auto signal : builtin_alert_signals) add(signal);
  for (const auto& rule : alerts.rules) {
    add(rule.signal);
    if (!rule.only_if_signal.empty()) add(rule.only_if_signal);
  }
  return out;
}

scorecard_scores score_accounts(const scorecard& card, const dataset& data, const signal_frame& signals,
                                std::size_t as_of_index, std::int32_t n_threads) {
  if (signals.n_accounts != data.n_accounts() || as_of_index >= signals.as_of.size())
    throw invalid_input("score_accounts: the signals are not those of this dataset at that as-of index");
  std::vector<const double*> columns;
  for (const auto& name : card.signals()) columns.push_back(column_at(signals, name, as_of_index, card.name));
  return score_accounts(card, data, signals.as_of[as_of_index], columns, n_threads);
}

scorecard_scores score_accounts(const scorecard& card, const dataset& data, timestamp T,
                                std::span<const double* const> columns, std::int32_t n_threads) {
  check_threads(n_threads, "score");
  const std::size_t n = data.n_accounts();
  const std::vector<std::string> names = card.signals();
  if (columns.size() != names.size())
    throw invalid_input("score_accounts: " + std::to_string(columns.size()) + " signal columns for the " +
                        std::to_string(names.size()) + " signals card " + card.name + " reads");
  if (card.bands.empty() || card.groups.empty()) throw invalid_input("score_accounts: card " + card.name + " has no bands or no groups");
  const account_table& acc = data.accounts();
  std::vector<char> scored(n, 0);
  for (std::size_t a = 0; a < n; ++a) scored[a] = acc.active_at(a, T);
  std::vector<std::int32_t> overridden;  // account code per override
  for (std::size_t i = 0; i < card.overrides.size(); ++i) {
    overridden.push_back(data.account_ids().find(card.overrides[i].account_id));
    if (overridden.back() == no_code)
      throw model_spec_error(card.name + ": $.overrides[" + std::to_string(i) + "].account_id: no account \"" +
                             card.overrides[i].account_id + "\" in the dataset");
  }

  std::size_t n_measures = 0;
  for (const auto& g : card.groups) n_measures += g.measures.size();
  scorecard_scores out;
  out.score.assign(n, nan);
  out.band.assign(n, -1);
  out.override_index.assign(n, -1);
  out.n_accounts = n;
  out.computed.assign(n, nan);
  out.measure_score.assign(n_measures * n, nan);
  out.points_lost.assign(n_measures * n, nan);
  out.weight.assign(n_measures * n, nan);
  // The measures' signal columns and maps, in model order.
  std::vector<const double*> value_of;
  std::vector<const scorecard_measure*> measure_of;
  for (const auto& g : card.groups)
    for (const auto& m : g.measures) {
      value_of.push_back(columns[std::size_t(std::find(names.begin(), names.end(), m.signal) - names.begin())]);
      measure_of.push_back(&m);
      out.measure_names.push_back(g.name + "/" + m.signal);
    }
  // Percentile maps rank the whole portfolio, so they are mapped first, over all accounts:
  // 100·(#{< v} + ½·#{= v}) / n among the scored accounts with a value, by segment if asked — the
  // accounts sorted by (segment, value), each run of equal values given its mid-rank.
  for (std::size_t j = 0; j < n_measures; ++j) {
    const scorecard_measure& m = *measure_of[j];
    if (m.map.type != measure_map::kind::percentile) continue;
    const double* v = value_of[j];
    double* s = out.measure_score.data() + j * n;
    auto segment_of = [&](std::size_t a) { return m.map.within_segment && !acc.segment.empty() ? acc.segment[a] : no_code; };
    struct ranked {
      std::int32_t segment;
      std::uint32_t account;
      double value;
    };
    std::vector<ranked> order;
    for (std::size_t a = 0; a < n; ++a)
      if (scored[a] && !std::isnan(v[a])) order.push_back({segment_of(a), std::uint32_t(a), v[a]});
    std::sort(order.begin(), order.end(), [](const ranked& x, const ranked& y) {
      return x.segment != y.segment ? x.segment < y.segment : x.value < y.value;
    });
    for (std::size_t lo = 0; lo < order.size();) {
      std::size_t hi = lo;  // the segment's accounts: [lo, hi)
      while (hi < order.size() && order[hi].segment == order[lo].segment) ++hi;
      for (std::size_t i = lo; i < hi;) {
        std::size_t k = i;
        while (k < hi && order[k].value == order[i].value) ++k;
        const double p = 100 * (double(i - lo) + 0.5 * double(k - i)) / double(hi - lo);
        for (; i < k; ++i) s[order[i].account] = m.map.higher_is_better ? p : 100 - p;
      }
      lo = hi;
    }
  }
  // The rest is per account: blocks of accounts, one per thread, each writing its own cells only.
  for_each_block(
      n, n_threads,
      [&](std::size_t first, std::size_t last) {
        for (std::size_t j = 0; j < n_measures; ++j) {
          const scorecard_measure& m = *measure_of[j];
          const double* v = value_of[j];
          double* s = out.measure_score.data() + j * n;
          if (m.map.type != measure_map::kind::percentile)
            for (std::size_t a = first; a < last; ++a)
              if (scored[a] && !std::isnan(v[a])) s[a] = map_value(m.map, v[a]);
          if (m.missing.type == missing_policy::kind::value)
            for (std::size_t a = first; a < last; ++a)
              if (scored[a] && std::isnan(s[a])) s[a] = m.missing.value;
        }
        weigh(card, out.measure_score.data(), n, first, last, out.score.data(), out.points_lost.data(),
              out.weight.data());
        std::copy(out.score.begin() + std::ptrdiff_t(first), out.score.begin() + std::ptrdiff_t(last),
                  out.computed.begin() + std::ptrdiff_t(first));
        for (std::size_t i = 0; i < card.overrides.size(); ++i)
          if (const auto a = std::size_t(overridden[i]); a >= first && a < last && scored[a] && T < card.overrides[i].until)
            out.score[a] = card.overrides[i].score, out.override_index[a] = std::int32_t(i);
        for (std::size_t a = first; a < last; ++a)
          if (!std::isnan(out.score[a])) {
            // The first band whose bound exceeds the score; the last band has none (a card built in
            // code with a finite last bound still puts every score in a band).
            std::size_t b = 0;
            while (b + 1 < card.bands.size() && !(out.score[a] < card.bands[b].below)) ++b;
            out.band[a] = std::int32_t(b);
          }
      },
      block_grain::accounts);
  return out;
}

namespace {

/// The scores at T and, when the card has a trend, at T − trend_days (else none) from signals at
/// both: the two side by side when there are threads for both, each on its share of them.
std::pair<scorecard_scores, scorecard_scores> score_now_and_before(const scorecard& card, const dataset& data,
                                                                   const signal_frame& f, timestamp T,
                                                                   std::int32_t n_threads) {
  std::pair<scorecard_scores, scorecard_scores> out;
  const std::size_t times = card.trend_days > 0 ? 2 : 1;
  const auto share = std::int32_t(std::max<std::size_t>(1, std::size_t(n_threads) / block_count(times, n_threads)));
  for_each_block(times, n_threads, [&](std::size_t first, std::size_t last) {
    for (std::size_t i = first; i < last; ++i)
      (i == 0 ? out.first : out.second) =
          score_accounts(card, data, f, index_of(f.as_of, i == 0 ? T : T - card.trend_days * seconds_per_day), share);
  });
  return out;
}

}  // namespace

scored_card score_card(const scorecard& card, const dataset& data, timestamp as_of, std::int32_t n_threads) {
  signal_frame all = card_signals(card, data, {as_of}, false, n_threads);
  const std::size_t now = index_of(all.as_of, as_of), n = data.n_accounts();
  scored_card out;
  scorecard_scores before;
  std::tie(out.scores, before) = score_now_and_before(card, data, all, as_of, n_threads);
  out.trend.assign(n, nan);
  if (card.trend_days > 0)
    for (std::size_t a = 0; a < n; ++a) out.trend[a] = out.scores.computed[a] - before.computed[a];
  // The frame handed back holds T only.
  out.signals.as_of = {as_of};
  out.signals.n_accounts = n;
  out.signals.names = all.names;
  for (auto& v : all.values) {
    if (now > 0) std::copy(v.begin() + std::ptrdiff_t(now * n), v.begin() + std::ptrdiff_t((now + 1) * n), v.begin());
    v.resize(n);
    out.signals.values.push_back(std::move(v));
  }
  return out;
}

std::vector<std::pair<std::size_t, double>> top_factors(const scorecard_scores& s, std::size_t a, std::size_t k) {
  std::vector<std::pair<std::size_t, double>> lost;
  for (std::size_t j = 0; j < s.measure_names.size(); ++j)
    if (s.lost(j, a) > 0) lost.emplace_back(j, s.lost(j, a));
  std::stable_sort(lost.begin(), lost.end(), [](auto& x, auto& y) { return x.second > y.second; });
  if (lost.size() > k) lost.resize(k);
  return lost;
}

std::string alert_name(const scorecard& card, const alert& a) {
  return a.kind == alert_kind::threshold ? card.alerts.rules[std::size_t(a.rule)].name : std::string(to_string(a.kind));
}

namespace {

std::string number(double v) { return fmt::format("{:.4g}", v); }

/// The measures that cost most points at one account: "group/signal −12.3, …".
std::string biggest_losses(const scorecard_scores& s, std::size_t a, std::size_t k) {
  std::string out;
  for (const auto& [j, lost] : top_factors(s, a, k)) out += fmt::format("{}{} −{:.1f}", out.empty() ? "" : ", ", s.measure_names[j], lost);
  return out;
}

timestamp days_before(timestamp T, double days) { return T - std::llround(days * double(seconds_per_day)); }

}  // namespace

std::vector<alert> card_alerts(const scorecard& card, const dataset& data, std::vector<timestamp> as_of,
                               std::int32_t n_threads) {
  if (as_of.empty()) throw invalid_input("alerts: as_of is empty");
  std::sort(as_of.begin(), as_of.end());
  as_of.erase(std::unique(as_of.begin(), as_of.end()), as_of.end());
  const signal_frame f = card_signals(card, data, as_of, true, n_threads);
  const std::size_t n = data.n_accounts(), kinds = enum_size<alert_kind> - 1 + card.alerts.rules.size();
  const account_table& acc = data.accounts();
  const alert_settings& rules = card.alerts;
  const bool has_usage = data.usage().size() > 0, has_renewals = !acc.renewal.empty();
  std::vector<char> was(kinds * n, 0), is(kinds * n, 0);  // (kind slot, account) active at the previous / this T
  std::vector<alert> out;
  for (std::size_t k = 0; k < as_of.size(); ++k) {
    const timestamp T = as_of[k];
    const std::size_t t = index_of(f.as_of, T);
    const auto [s, then] = score_now_and_before(card, data, f, T, n_threads);
    const std::vector<double>& before = then.computed;
    auto at = [&](std::string_view name) { return column_at(f, name, t, card.name); };
    const double *since_use = at("usage.days_since_last"), *tenure = at("account.tenure_days"),
                 *to_renewal = at("account.days_to_renewal"), *nps = at("nps.last"), *since_nps = at("nps.days_since_last"),
                 *open_high = at("support.open_high"), *high_age = at("support.open_high_age_days"), *mrr = at("mrr.current");
    std::vector<const double*> rule_signal, rule_condition;
    for (const auto& rule : rules.rules)
      rule_signal.push_back(at(rule.signal)), rule_condition.push_back(rule.only_if_signal.empty() ? nullptr : at(rule.only_if_signal));
    std::fill(is.begin(), is.end(), 0);
    auto raise = [&](std::size_t a, alert_kind kind, std::int32_t rule, alert_severity severity, timestamp time,
                     std::string message) {
      const std::size_t slot = (kind == alert_kind::threshold ? std::size_t(kind) + std::size_t(rule) : std::size_t(kind)) * n + a;
      is[slot] = 1;
      if (k > 0 && was[slot]) return;  // reported when it started
      out.push_back({std::int32_t(a), kind, rule, severity, time, T, std::move(message)});
    };
    const auto lowest = std::int32_t(0), highest = std::int32_t(card.bands.size()) - 1;
    for (std::size_t a = 0; a < n; ++a) {
      if (!acc.active_at(a, T)) continue;
      const std::int32_t band = s.band[a];
      const std::string band_name = band >= 0 ? card.bands[std::size_t(band)].name : "unscored";
      const double trend = before.empty() ? nan : s.computed[a] - before[a];
      const bool red = band == lowest && highest > 0, dropped = trend <= -rules.drop_points;
      if (red || dropped) {
        std::string why = fmt::format("score {:.1f} ({})", s.score[a], band_name);
        if (dropped) why += fmt::format(", down {:.1f} points in {} days", -trend, card.trend_days);
        if (s.override_index[a] >= 0) why += " by override: " + card.overrides[std::size_t(s.override_index[a])].reason;
        else if (const std::string lost = biggest_losses(s, a, 2); !lost.empty()) why += "; most points lost: " + lost;
        raise(a, alert_kind::at_risk, -1, red ? alert_severity::high : alert_severity::medium, T, why);
      }
      if (has_usage) {
        if (since_use[a] >= rules.inactive_days)
          raise(a, alert_kind::inactive, -1, alert_severity::medium, days_before(T, since_use[a] - rules.inactive_days),
                fmt::format("no usage since {} ({} days)", format_date(days_before(T, since_use[a])), number(since_use[a])));
        else if (std::isnan(since_use[a]) && tenure[a] >= rules.inactive_days)
          raise(a, alert_kind::inactive, -1, alert_severity::medium, days_before(T, tenure[a] - rules.inactive_days),
                fmt::format("no usage in {} days since the start", number(tenure[a])));
      }
      if (has_renewals && to_renewal[a] >= 0 && to_renewal[a] <= rules.renewal_days) {
        const alert_severity sev = band == lowest && highest > 0 ? alert_severity::high
                                   : band == highest             ? alert_severity::low
                                                                 : alert_severity::medium;
        std::string why = fmt::format("renewal on {} (in {} days), band {}", format_date(days_before(T, -to_renewal[a])),
                                      number(to_renewal[a]), band_name);
        if (!std::isnan(mrr[a])) why += ", MRR " + number(mrr[a]);
        raise(a, alert_kind::renewal, -1, sev, days_before(T, rules.renewal_days - to_renewal[a]), why);
      }
      // A detractor's answer given while the oldest open high/urgent ticket was already open.
      if (nps[a] < rules.detractor_below && open_high[a] > 0 && since_nps[a] <= high_age[a])
        raise(a, alert_kind::escalation, -1, alert_severity::high, days_before(T, since_nps[a]),
              fmt::format("NPS {} on {} while a high/urgent ticket has been open {} days ({} open)", number(nps[a]),
                          format_date(days_before(T, since_nps[a])), number(high_age[a]), number(open_high[a])));
      for (std::size_t r = 0; r < rules.rules.size(); ++r) {
        const alert_rule& rule = rules.rules[r];
        const double v = rule_signal[r][a];
        if (rule.holds(v, rule_condition[r] ? rule_condition[r][a] : nan)) {
          static constexpr std::array<std::string_view, 4> words{"above", "below", "at least", "at most"};
          std::string why = fmt::format("{} is {}, {} {}", rule.signal, number(v), words[std::size_t(rule.op)],
                                        number(rule.threshold));
          if (!rule.only_if_signal.empty())
            why += fmt::format(", with {} {}", rule.only_if_signal, number(rule_condition[r][a]));
          raise(a, alert_kind::threshold, std::int32_t(r), rule.severity, T, why);
        }
      }
    }
    std::swap(was, is);
  }
  std::stable_sort(out.begin(), out.end(), [](const alert& x, const alert& y) {
    return std::tuple(x.as_of, -int(x.severity), x.account, int(x.kind), x.rule) <
           std::tuple(y.as_of, -int(y.severity), y.account, int(y.kind), y.rule);
  });
  return out;
}

}  // namespace custhealth
