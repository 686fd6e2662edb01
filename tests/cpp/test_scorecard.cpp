// Scorecards (DESIGN §4 "Health scorecard"): scores computed by hand for every mapping and missing
// policy, explanations that add up, overrides, trends, alerts, and every malformed card refused with
// its JSON path.
#include "custhealth/scorecard/scorecard.hpp"

#include "custhealth/synth/generate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

using namespace custhealth;
using ::testing::HasSubstr;

namespace {

const timestamp T = from_civil(2024, 4, 1);
constexpr std::int64_t day = seconds_per_day;
const double NaN = std::nan("");

/// Accounts a, b, e (segment smb), c (ent), all started T − 100 d, and d, which ended T − 50 d.
dataset accounts() {
  dataset_parts p;
  std::vector<std::int32_t> acc;
  for (const char* id : {"a", "b", "c", "d", "e"}) acc.push_back(p.account_ids.intern(id));
  const auto smb = p.accounts.segments.intern("smb"), ent = p.accounts.segments.intern("ent");
  const auto ann = p.accounts.owners.intern("ann");
  p.accounts.account = column(acc);
  p.accounts.start = column(std::vector<timestamp>(5, T - 100 * day));
  p.accounts.end = column(std::vector<timestamp>{no_time, no_time, no_time, T - 50 * day, no_time});
  p.accounts.segment = column(std::vector<std::int32_t>{smb, smb, ent, smb, smb});
  p.accounts.plan = column(std::vector<std::int32_t>(5, no_code));
  p.accounts.owner = column(std::vector<std::int32_t>{ann, ann, no_code, no_code, ann});
  p.accounts.seats = column(std::vector<double>(5, NaN));
  p.accounts.renewal = column(std::vector<timestamp>(5, no_time));
  return dataset(std::move(p));
}

/// A signal frame at T from columns of per-account values (accounts in the order a..e).
signal_frame frame(std::vector<std::pair<std::string_view, std::vector<double>>> columns) {
  signal_frame f;
  f.as_of = {T};
  f.n_accounts = 5;
  for (auto& [name, values] : columns) f.names.push_back(name), f.values.push_back(std::move(values));
  return f;
}

/// Every mapping (linear, bins, percentile within segment, lower is better) and every missing
/// policy (worst, neutral, a number, reweight).
constexpr std::string_view card_json = R"({
  "name": "hand", "version": 1,
  "bands": [{"name": "red", "below": 40}, {"name": "yellow", "below": 70}, {"name": "green"}],
  "groups": [
    {"name": "g1", "weight": 60, "measures": [
      {"signal": "usage.active_days_30d", "weight": 2, "map": {"linear": [0, 20]}, "missing": "worst"},
      {"signal": "usage.trend_8w", "weight": 1, "map": {"bins": [[-0.3, 0], [0, 40], [0.2, 70], [null, 100]]},
       "missing": "neutral"}]},
    {"name": "g2", "weight": 40, "measures": [
      {"signal": "support.tickets_30d", "weight": 1,
       "map": {"percentile": {"within": "segment", "higher_is_better": false}}, "missing": 25},
      {"signal": "nps.last", "weight": 1, "map": {"linear": [0, 10]}}]}]})";

signal_frame hand_signals() {
  return frame({{"usage.active_days_30d", {10, 25, 0, 5, NaN}},
                {"usage.trend_8w", {0.1, NaN, -0.5, 0, 0.3}},
                {"support.tickets_30d", {2, 4, 1, 0, NaN}},
                {"nps.last", {8, NaN, 3, 9, 10}}});
}

scorecard card_of(std::string_view json) { return scorecard::parse(json, "card.json"); }

}  // namespace

TEST(Scorecard, HandComputedScores) {
  const dataset data = accounts();
  const scorecard card = card_of(card_json);
  const scorecard_scores s = score_accounts(card, data, hand_signals());
  // Effective weights with every measure present: g1 0.6 · (2/3, 1/3), g2 0.4 · (1/2, 1/2).
  // a: 50 (10 of 20 days), 70 (0.1 < 0.2), 75 (tickets 2 vs b's 4 in smb: 100 − 100·0.5/2), 80.
  EXPECT_DOUBLE_EQ(s.score[0], 0.4 * 50 + 0.2 * 70 + 0.2 * 75 + 0.2 * 80);  // 65
  // b: 100 (clamped), 50 (neutral), 25 (percentile 75, reversed); nps missing: g2's weight to tickets.
  EXPECT_DOUBLE_EQ(s.score[1], 0.4 * 100 + 0.2 * 50 + 0.4 * 25);  // 60
  // c: 0, 0 (−0.5 < −0.3), 50 (alone in ent), 30.
  EXPECT_DOUBLE_EQ(s.score[2], 0.2 * 50 + 0.2 * 30);  // 16
  EXPECT_TRUE(std::isnan(s.score[3])) << "d ended before T";
  // e: worst (0) for the missing days, 100 (0.3 in the open bin), 25 (the fixed missing score), 100.
  EXPECT_DOUBLE_EQ(s.score[4], 0.2 * 100 + 0.2 * 25 + 0.2 * 100);  // 45
  EXPECT_EQ(s.band, (std::vector<std::int32_t>{1, 1, 0, -1, 1}));
  EXPECT_DOUBLE_EQ(s.lost(0, 0), 20);  // 0.4 · (100 − 50)
  EXPECT_TRUE(std::isnan(s.lost(3, 1))) << "a reweighted measure costs nothing";
  EXPECT_DOUBLE_EQ(s.weight[2 * 5 + 1], 0.4);
  EXPECT_EQ(s.measure_names[2], "g2/support.tickets_30d");
}

TEST(Scorecard, AGroupWithNothingPresentIsReweightedAmongTheGroups) {
  const scorecard card = card_of(R"({"name": "g", "bands": [{"name": "all"}], "groups": [
    {"name": "use", "weight": 1, "measures": [{"signal": "usage.active_days_30d", "weight": 1, "map": {"linear": [20, 0]}}]},
    {"name": "voice", "weight": 3, "measures": [{"signal": "nps.last", "weight": 1, "map": {"linear": [0, 10]}}]}]})");
  const auto s = score_accounts(card, accounts(), frame({{"usage.active_days_30d", {5, 5, NaN, 0, 0}},
                                                         {"nps.last", {NaN, 10, NaN, 0, 0}}}));
  EXPECT_DOUBLE_EQ(s.score[0], 75);                  // lower is better: 100 · (5 − 20)/(0 − 20); voice absent
  EXPECT_DOUBLE_EQ(s.score[1], 0.25 * 75 + 0.75 * 100);
  EXPECT_TRUE(std::isnan(s.score[2])) << "no measure present at all";
  EXPECT_EQ(s.band[2], -1);
}

TEST(Scorecard, PointsLostSumToHundredMinusScoreAndWeightsScaleFree) {
  // Property: on random signals (with NaNs), the explanation adds up and multiplying every weight by
  // the same factor changes no score.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1, 30);
  const scorecard card = card_of(card_json);
  scorecard card7 = card;
  for (auto& g : card7.groups) {
    g.weight *= 7;
    for (auto& m : g.measures) m.weight *= 7;
  }
  const dataset data = accounts();
  for (int trial = 0; trial < 200; ++trial) {
    auto draw = [&] {
      std::vector<double> v(5);
      for (auto& x : v) x = u(rng) < 3 ? NaN : u(rng) / 10;
      return v;
    };
    const auto f = frame({{"usage.active_days_30d", draw()}, {"usage.trend_8w", draw()},
                          {"support.tickets_30d", draw()}, {"nps.last", draw()}});
    const auto s = score_accounts(card, data, f), s7 = score_accounts(card7, data, f);
    for (std::size_t a = 0; a < 5; ++a) {
      if (std::isnan(s.score[a])) continue;
      double lost = 0;
      for (std::size_t j = 0; j < s.measure_names.size(); ++j) lost += std::isnan(s.lost(j, a)) ? 0 : s.lost(j, a);
      EXPECT_NEAR(lost, 100 - s.score[a], 1e-9);
      EXPECT_NEAR(s7.score[a], s.score[a], 1e-9);
    }
  }
}

TEST(Scorecard, OverridesHoldUntilTheirDateWithTheirReason) {
  std::string json(card_json);
  json.insert(json.rfind('}'), R"(, "overrides": [{"account_id": "a", "score": 20, "until": "2024-04-02", "reason": "exec escalation"},
                                                 {"account_id": "c", "score": 90, "until": "2024-04-01", "reason": "expired"}])");
  const scorecard card = card_of(json);
  const auto s = score_accounts(card, accounts(), hand_signals());
  EXPECT_EQ(s.score[0], 20);
  EXPECT_EQ(s.band[0], 0);
  EXPECT_DOUBLE_EQ(s.computed[0], 65);
  EXPECT_EQ(s.override_index[0], 0);
  EXPECT_DOUBLE_EQ(s.score[2], 16) << "until is exclusive: expired at T";
  EXPECT_EQ(s.override_index[2], -1);

  std::string unknown(card_json);
  unknown.insert(unknown.rfind('}'), R"(, "overrides": [{"account_id": "zz", "score": 20, "until": "2025-01-01", "reason": "r"}])");
  try {
    score_accounts(card_of(unknown), accounts(), hand_signals());
    FAIL();
  } catch (const model_spec_error& e) {
    EXPECT_THAT(e.what(), HasSubstr("$.overrides[0].account_id: no account \"zz\""));
  }
}

TEST(Scorecard, JsonRoundTrip) {
  const scorecard card = card_of(card_json);
  const scorecard again = scorecard::parse(card.to_json(), "again");
  EXPECT_EQ(again.to_json(), card.to_json());
  const auto s = score_accounts(card, accounts(), hand_signals()), s2 = score_accounts(again, accounts(), hand_signals());
  for (std::size_t a = 0; a < 5; ++a)
    if (!std::isnan(s.score[a])) {
      EXPECT_EQ(s.score[a], s2.score[a]);
    }
}

TEST(Scorecard, BadCardsNameTheirPath) {
  auto error_of = [](std::string json) -> std::string {
    try {
      scorecard::parse(json, "bad.json");
    } catch (const model_spec_error& e) {
      return e.what();
    }
    return "accepted";
  };
  const std::string measure = R"({"signal": "nps.last", "weight": 1, "map": {"linear": [0, 10]}})";
  auto with = [&](std::string measure_json, std::string extra = "", std::string bands = R"([{"name": "x", "below": 50}, {"name": "y"}])") {
    return R"({"name": "c", "bands": )" + bands + R"(, "groups": [{"name": "g", "weight": 1, "measures": [)" + measure_json +
           "]}]" + extra + "}";
  };
  ASSERT_EQ(error_of(with(measure)), "accepted");
  EXPECT_THAT(error_of("{\"name\": \"c\",\n \"bands\": ["), HasSubstr("bad.json: not valid JSON"));
  EXPECT_THAT(error_of("{\"name\": \"c\",\n \"bands\": ["), HasSubstr("line 2"));
  EXPECT_THAT(error_of(with(R"({"signal": "nps.last", "map": {"linear": [0, 10]}})")),
              HasSubstr("$.groups[0].measures[0]: missing \"weight\""));
  EXPECT_THAT(error_of(with(R"({"signal": "nps.last", "weight": -1, "map": {"linear": [0, 10]}})")),
              HasSubstr("$.groups[0].measures[0].weight: must be > 0"));
  EXPECT_THAT(error_of(with(R"({"signal": "nps.last", "weight": 1, "map": {"bins": [[5, 0], [2, 50]]}})")),
              HasSubstr("$.groups[0].measures[0].map.bins[1][0]: bounds must ascend"));
  EXPECT_THAT(error_of(with(R"({"signal": "nps.last", "weight": 1, "map": {"linear": [3, 3]}})")),
              HasSubstr("$.groups[0].measures[0].map.linear: the two ends must differ"));
  EXPECT_THAT(error_of(with(R"({"signal": "nps.lats", "weight": 1, "map": {"linear": [0, 10]}})")),
              HasSubstr("$.groups[0].measures[0].signal: unknown signal \"nps.lats\": did you mean nps.last"));
  EXPECT_THAT(error_of(with(R"({"signal": "nps.last", "weight": 1, "map": {"log": [0, 10]}})")),
              HasSubstr("$.groups[0].measures[0].map: unknown key \"log\""));
  EXPECT_THAT(error_of(with(R"({"signal": "nps.last", "weight": 1, "map": {"linear": [0, 10]}, "missing": "zero"})")),
              HasSubstr("$.groups[0].measures[0].missing: must be \"reweight\""));
  EXPECT_THAT(error_of(with(measure, "", R"([{"name": "x", "below": 50}, {"name": "y", "below": 40}, {"name": "z"}])")),
              HasSubstr("$.bands[1].below: bounds must ascend"));
  EXPECT_THAT(error_of(with(measure, R"(, "overrides": [{"account_id": "a", "score": 5, "until": "soon", "reason": "r"}])")),
              HasSubstr("$.overrides[0].until: must be a date"));
  EXPECT_THAT(error_of(with(measure, R"(, "overrides": [{"account_id": "a", "score": 500, "until": "2025-01-01", "reason": "r"}])")),
              HasSubstr("$.overrides[0].score: a score must lie in 0..100"));
  EXPECT_THAT(error_of(R"({"name": "c", "bands": [{"name": "x"}], "groups": [{"name": "g", "weight": 1, "measures": []}]})"),
              HasSubstr("$.groups[0].measures: must not be empty"));
  EXPECT_THAT(error_of(with(measure, R"(, "version": 2)")), HasSubstr("$.version: version 2 is newer than this library reads (1)"));
  EXPECT_THAT(error_of(with(measure, R"(, "trend_days": -3)")), HasSubstr("$.trend_days: must lie in 0..3650"));
  EXPECT_THAT(error_of(with(measure, R"(, "alerts": {"rules": [{"name": "x", "signal": "nps.last"}]})")),
              HasSubstr("$.alerts.rules[0]: needs exactly one of above, below"));
  EXPECT_THAT(error_of(with(measure, R"(, "alerts": {"rules": [{"name": "renewal", "signal": "nps.last", "above": 1}]})")),
              HasSubstr("$.alerts.rules[0].name: \"renewal\" is a built-in alert"));
  EXPECT_THAT(error_of(with(measure, R"(, "alerts": {"rules": [{"name": "x", "signal": "nps.last", "above": 1, "severity": "dire"}]})")),
              HasSubstr("$.alerts.rules[0].severity: must be one of low, medium, high"));
  EXPECT_THAT(error_of(with(measure, R"(, "alerts": {"rules": [{"name": "x", "signal": "nps.last", "above": 1, "at_most": 3}]})")),
              HasSubstr("$.alerts.rules[0]: needs exactly one of above, below, at_least, at_most"));
  EXPECT_THAT(error_of(with(measure, R"(, "alerts": {"rules": [{"name": "x", "signal": "nps.last", "above": 1, "only_if": {"signal": "nps.n_180d"}}]})")),
              HasSubstr("$.alerts.rules[0].only_if: missing \"at_least\""));
  EXPECT_THAT(error_of(with(measure, "", R"([{"name": "x", "below": 50}, {"name": "x"}])")), HasSubstr("$.bands[1].name: a second band named \"x\""));
  EXPECT_THAT(error_of(with(measure + ", " + measure)), HasSubstr("$.groups[0].measures[1].signal: \"nps.last\" is measured twice"));
  EXPECT_THAT(error_of(R"({"name": "c", "bands": [{"name": "x"}], "groups": [{"name": "g", "weight": 1, "measures": [)" + measure +
                       R"(]}, {"name": "g", "weight": 1, "measures": [)" + measure + "]}]}"),
              HasSubstr("$.groups[1].name: a second group named \"g\""));
  EXPECT_EQ(error_of(with(measure, R"(, "trend_days": 30.0)")), "accepted") << "a whole number written as a float";
  EXPECT_THAT(error_of(with(measure, R"(, "trend_days": 30.5)")), HasSubstr("$.trend_days: must be a whole number"));
}

TEST(Scorecard, RulesCompareAndCountTheirCondition) {
  const scorecard card = card_of(R"({"name": "r", "bands": [{"name": "all"}], "groups": [{"name": "g", "weight": 1,
    "measures": [{"signal": "nps.last", "weight": 1, "map": {"linear": [0, 10]}}]}],
    "alerts": {"rules": [{"name": "cb", "signal": "payments.chargeback_ratio_90d", "at_least": 0.009,
                          "only_if": {"signal": "payments.chargebacks_90d", "at_least": 3}, "severity": "high"}]}})");
  const alert_rule& rule = card.alerts.rules[0];
  EXPECT_TRUE(rule.holds(0.009, 3));   // ≥, with 3 chargebacks
  EXPECT_FALSE(rule.holds(0.02, 2));   // 2 % of few payments, 2 chargebacks: no breach
  EXPECT_FALSE(rule.holds(0.0089, 9));
  EXPECT_FALSE(rule.holds(std::nan(""), 9));
  EXPECT_EQ(card.alert_signals().back(), "payments.chargebacks_90d");
  // The card with its overrides and alert settings comes back from its JSON.
  std::string json(card_json);
  json.insert(json.rfind('}'), R"(, "trend_days": 14, "overrides": [{"account_id": "a", "score": 20, "until": "2024-04-02T12:30:00", "reason": "r"}],
    "alerts": {"drop_points": 9, "inactive_days": 7, "renewal_days": 30, "detractor_below": 5,
               "rules": [{"name": "cb", "signal": "payments.chargeback_ratio_90d", "at_most": 0.5,
                          "only_if": {"signal": "payments.chargebacks_90d", "at_least": 3}, "severity": "low"}]})");
  const scorecard full = card_of(json), again = scorecard::parse(full.to_json(), "again");
  EXPECT_EQ(again.to_json(), full.to_json());
  EXPECT_EQ(again.overrides[0].until, from_civil(2024, 4, 2, 12, 30, 0));
  EXPECT_EQ(again.alerts.inactive_days, 7);
  EXPECT_EQ(again.alerts.rules[0].op, alert_rule::comparison::at_most);
  EXPECT_EQ(again.alerts.rules[0].only_if_at_least, 3);
}

TEST(Scorecard, ACardBuiltInCodeWithAFiniteLastBoundStillBandsEveryScore) {
  scorecard card = card_of(card_json);
  card.bands[1].below = 45, card.bands.back().below = 50;  // not what parse allows: a card built by hand
  const auto s = score_accounts(card, accounts(), hand_signals());
  EXPECT_EQ(s.band[0], 2) << "65 is past every bound: the last band";
  card.bands.clear();
  EXPECT_THROW(score_accounts(card, accounts(), hand_signals()), invalid_input);
}

TEST(Scorecard, TrendIsTheScoreNowLessTheScoreTrendDaysEarlier) {
  generate_options o;
  o.n_accounts = 120, o.days = 400, o.seed = 5;
  const dataset data = generate(o).data;
  std::string json(card_json);
  json.insert(json.rfind('}'), R"(, "trend_days": 30)");
  const scorecard card = card_of(json), flat = card_of(card_json);
  const timestamp at = data.time_range().end - 10 * day;
  const scored_card now = score_card(card, data, at);
  const scored_card before = score_card(flat, data, at - 30 * day), plain = score_card(flat, data, at);
  std::size_t compared = 0;
  for (std::size_t a = 0; a < data.n_accounts(); ++a) {
    if (!std::isnan(plain.scores.score[a])) {
      EXPECT_EQ(now.scores.score[a], plain.scores.score[a]) << "the trend's extra as-of time changes no score";
    }
    if (std::isnan(now.trend[a])) continue;
    EXPECT_EQ(now.trend[a], plain.scores.score[a] - before.scores.score[a]);
    ++compared;
  }
  EXPECT_GT(compared, 50u);
  EXPECT_EQ(now.signals.as_of, std::vector<timestamp>{at});
}

TEST(Scorecard, ThreadsChangeNoScoreAndNoAlert) {
  generate_options o;
  o.n_accounts = 150, o.days = 400, o.seed = 9;
  const dataset data = generate(o).data;
  std::string json(card_json);
  json.insert(json.rfind('}'), R"(, "trend_days": 30)");
  const scorecard card = card_of(json);
  const timestamp at = data.time_range().end - 3 * day;
  const scored_card one = score_card(card, data, at), three = score_card(card, data, at, 3);
  auto same_bits = [](const std::vector<double>& x, const std::vector<double>& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0;
  };
  EXPECT_TRUE(same_bits(one.scores.score, three.scores.score));
  EXPECT_TRUE(same_bits(one.scores.measure_score, three.scores.measure_score));
  EXPECT_TRUE(same_bits(one.trend, three.trend));
  const std::vector<timestamp> week{at - 6 * day, at - 3 * day, at};
  std::vector<std::string> serial, threaded;
  for (const auto& a : card_alerts(card, data, week)) serial.push_back(alert_name(card, a) + " " + a.message);
  for (const auto& a : card_alerts(card, data, week, 2)) threaded.push_back(alert_name(card, a) + " " + a.message);
  EXPECT_FALSE(serial.empty());
  EXPECT_EQ(serial, threaded);
  EXPECT_THROW(score_card(card, data, at, 0), invalid_input);
}

namespace {

/// x: last used T − 20 d, renewal in 30 days; y: used T − 1 d, an NPS 2 at T − 3 d while an urgent
/// ticket opened at T − 5 d is open; z: started T − 5 d, never used. Owners: x ann, y bob.
dataset alert_portfolio() {
  dataset_parts p;
  const auto x = p.account_ids.intern("x"), y = p.account_ids.intern("y"), z = p.account_ids.intern("z");
  const auto login = p.usage.events.intern("login");
  p.usage.account = column(std::vector<std::int32_t>{x, y});
  p.usage.time = column(std::vector<timestamp>{T - 20 * day, T - day});
  p.usage.event = column(std::vector<std::int32_t>{login, login});
  p.usage.value = column(std::vector<double>{1, 1});
  p.surveys.account = column(std::vector<std::int32_t>{y});
  p.surveys.time = column(std::vector<timestamp>{T - 3 * day});
  p.surveys.kind = column(std::vector<survey_kind>{survey_kind::nps});
  p.surveys.score = column(std::vector<double>{2});
  p.tickets.account = column(std::vector<std::int32_t>{y});
  p.tickets.opened = column(std::vector<timestamp>{T - 5 * day});
  p.tickets.first_response = column(std::vector<timestamp>{no_time});
  p.tickets.resolved = column(std::vector<timestamp>{no_time});
  p.tickets.prio = column(std::vector<priority>{priority::urgent});
  p.tickets.owner = column(std::vector<std::int32_t>{no_code});
  const auto ann = p.accounts.owners.intern("ann"), bob = p.accounts.owners.intern("bob");
  p.accounts.account = column(std::vector<std::int32_t>{x, y, z});
  p.accounts.start = column(std::vector<timestamp>{T - 200 * day, T - 200 * day, T - 5 * day});
  p.accounts.end = column(std::vector<timestamp>(3, no_time));
  p.accounts.segment = p.accounts.plan = column(std::vector<std::int32_t>(3, no_code));
  p.accounts.owner = column(std::vector<std::int32_t>{ann, bob, no_code});
  p.accounts.seats = column(std::vector<double>(3, NaN));
  p.accounts.renewal = column(std::vector<timestamp>{T + 30 * day, no_time, no_time});
  return dataset(std::move(p));
}

constexpr std::string_view alert_card = R"({"name": "alerts", "bands": [{"name": "red", "below": 40}, {"name": "green"}],
  "groups": [{"name": "use", "weight": 1, "measures": [
    {"signal": "usage.active_days_30d", "weight": 1, "map": {"linear": [0, 2]}, "missing": "worst"}]}],
  "alerts": {"rules": [{"name": "open_tickets", "signal": "support.open", "above": 0, "severity": "low"}]}})";

std::vector<std::string> described(const scorecard& card, const dataset& data, const std::vector<alert>& alerts) {
  std::vector<std::string> out;
  for (const auto& a : alerts)
    out.push_back(format_date(a.as_of) + " " + data.account_ids()[a.account] + " " + alert_name(card, a) + " " +
                  std::string(to_string(a.severity)) + " " + format_date(a.time) + ": " + a.message);
  return out;
}

}  // namespace

TEST(ScorecardAlerts, EachKindWithItsStartAndReason) {
  const dataset data = alert_portfolio();
  const scorecard card = card_of(alert_card);
  // x: 1 active day → 50 (green); y: 1 day → 50; z: 0 → 0 (red). Sorted by severity, account, kind.
  EXPECT_THAT(described(card, data, card_alerts(card, data, {T})),
              ::testing::ElementsAre(
                  "2024-04-01 y escalation high 2024-03-29: NPS 2 on 2024-03-29 while a high/urgent ticket has been open 5 days (1 open)",
                  "2024-04-01 z at_risk high 2024-04-01: score 0.0 (red); most points lost: use/usage.active_days_30d −100.0",
                  "2024-04-01 x inactive medium 2024-03-26: no usage since 2024-03-12 (20 days)",
                  "2024-04-01 x renewal low 2024-02-01: renewal on 2024-05-01 (in 30 days), band green",
                  "2024-04-01 y open_tickets low 2024-04-01: support.open is 1, above 0"));
}

TEST(ScorecardAlerts, AListOfDatesReportsEachAlertWhenItStarts) {
  const dataset data = alert_portfolio();
  const scorecard card = card_of(alert_card);
  const auto alerts = card_alerts(card, data, {T, T - day, T + 2 * day});
  // At T − 1 d, y has no usage before (its row is at T − 1 d): inactive since start + 14 d, and red;
  // at T it is used, so neither repeats or starts again; at T + 2 d nothing starts.
  std::vector<std::string> first_day, later;
  for (const auto& line : described(card, data, alerts))
    (line.starts_with("2024-03-31") ? first_day : later).push_back(line);
  EXPECT_THAT(first_day, ::testing::Contains(HasSubstr("y inactive medium 2023-09-28: no usage in 199 days since the start")));
  EXPECT_THAT(first_day, ::testing::Contains(HasSubstr("y at_risk high")));
  EXPECT_THAT(later, ::testing::ElementsAre()) << ::testing::PrintToString(later);
  // The same dates one by one give every alert of the list at its first date, and no more.
  EXPECT_EQ(card_alerts(card, data, {T - day}).size(), first_day.size());
}

TEST(Scorecard, RescoreWithTheCardsWeightsIsTheScore) {
  const scorecard card = card_of(card_json);
  const dataset data = accounts();
  const auto s = score_accounts(card, data, hand_signals());
  const auto again = rescore(card, s.measure_score, s.n_accounts);
  for (std::size_t a = 0; a < 5; ++a) {
    if (std::isnan(s.computed[a])) {
      EXPECT_TRUE(std::isnan(again[a]));
    } else {
      EXPECT_EQ(again[a], s.computed[a]);  // the same weighting, the same bits
    }
  }
  scorecard heavier = card;
  heavier.groups[1].weight = 140;  // g2 at 140 of 200: a = 0.3·(2/3·50 + 1/3·70) + 0.7·(75 + 80)/2
  EXPECT_DOUBLE_EQ(rescore(heavier, s.measure_score, 5)[0], 0.3 * (2.0 / 3 * 50 + 1.0 / 3 * 70) + 0.7 * (75 + 80) / 2);
  EXPECT_THROW(rescore(card, std::span<const double>(s.measure_score).first(7), 5), invalid_input);
}
