// custhealth/scorecard/scorecard.hpp — declarative scorecards (DESIGN §4 "Health scorecard", models/*.json):
// the model, its validating loader, and scores from the signal layer with the points each measure cost.
#pragma once

#include <array>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custhealth/dataset.hpp"
#include "custhealth/enums.hpp"
#include "custhealth/signals/signals.hpp"

namespace custhealth {

/// How a measure maps its signal v to 0..100 (DESIGN §4).
struct measure_map {
  enum class kind : std::uint8_t { linear, bins, percentile } type = kind::linear;
  double lo = 0, hi = 1;                            // linear: 100·(v − lo)/(hi − lo), clamped
  std::vector<std::pair<double, double>> bins;      // (bound, score), ascending; +inf for null
  bool within_segment = false, higher_is_better = true;  // percentile
};

/// What a NaN signal scores: its weight shared by the group's other measures (reweight), or a fixed
/// score ("neutral" is 50, "worst" 0, or a number).
struct missing_policy {
  enum class kind : std::uint8_t { reweight, value } type = kind::reweight;
  double value = 0;
};

struct scorecard_measure {
  std::string signal;
  double weight = 1;
  measure_map map;
  missing_policy missing;
  std::string description;  // why this measure and weight (kept for to_json)
};

struct scorecard_group {
  std::string name;
  double weight = 1;
  std::vector<scorecard_measure> measures;
  std::string description;
};

struct scorecard_band {
  std::string name;
  double below = std::numeric_limits<double>::infinity();  // the last band has no bound
};

/// A manual score for one account, holding for as-of times before `until`, reported with its reason.
struct scorecard_override {
  std::string account_id;
  double score = 0;
  timestamp until = no_time;
  std::string reason;
};

/// A threshold on one signal that raises an alert while it holds (low adoption, SLA breaches,
/// payments ratios), optionally only while a second signal is at least some count (a chargeback
/// ratio counts from 3 chargebacks: one at a small merchant is no breach). A NaN signal raises none.
struct alert_rule {
  enum class comparison : std::uint8_t { above, below, at_least, at_most };  // >, <, ≥, ≤
  static constexpr std::array<std::string_view, 4> comparison_keys{"above", "below", "at_least", "at_most"};

  std::string name;  // the alert's name ("chargebacks"), unique in the card
  std::string signal;
  comparison op = comparison::above;
  double threshold = 0;
  std::string only_if_signal;  // empty: no condition
  double only_if_at_least = 0;
  alert_severity severity = alert_severity::medium;
  std::string description;

  /// Whether the rule holds for these values of its signal and its condition's signal.
  bool holds(double v, double condition) const noexcept {
    if (!only_if_signal.empty() && !(condition >= only_if_at_least)) return false;
    switch (op) {
      case comparison::above: return v > threshold;
      case comparison::below: return v < threshold;
      case comparison::at_least: return v >= threshold;
      case comparison::at_most: return v <= threshold;
    }
    return false;
  }
};

/// When a card raises alerts (DESIGN §4 "Alerts"); the defaults are the documented ones.
struct alert_settings {
  double drop_points = 15;          // at risk: in the lowest band, or the score fell this much in trend_days
  std::int32_t inactive_days = 14;  // no usage row for this many days
  std::int32_t renewal_days = 90;   // a renewal date within this many days
  double detractor_below = 7;       // an NPS answer below this is a detractor's (Reichheld: 0-6)
  std::vector<alert_rule> rules;
};

/// A validated model file. `key_features` is the adoption model's list of the events that mark
/// first value (empty in other cards).
struct scorecard {
  /// The newest model-file version this library reads; a newer file is refused, not half-read.
  static constexpr std::int64_t latest_version = 1;

  std::string name;
  std::int64_t version = 1;
  std::string description;
  std::vector<scorecard_band> bands;
  std::vector<scorecard_group> groups;
  std::vector<std::string> key_features;
  std::int32_t trend_days = 0;  // trend = score at T − score at T − trend_days; 0 (unset): no trend
  std::vector<scorecard_override> overrides;
  alert_settings alerts;

  /// Parses and validates model JSON; `source` names it in errors, which carry the JSON path
  /// (`adoption_v1.json: $.groups[1].measures[0].map.linear: needs 2 numbers, got 3`). Throws
  /// model_spec_error, also for a signal that is not in the catalogue (with the closest names).
  static scorecard parse(std::string_view json, std::string_view source);

  /// The card as model JSON (parse(to_json()) gives the same card).
  std::string to_json() const;

  /// The signals the measures read, in model order, each once.
  std::vector<std::string> signals() const;

  /// The signals the alerts read besides those: the measures' first, each once.
  std::vector<std::string> alert_signals() const;
};

/// Scores of every account at one as-of time of `signals` (which must hold the card's signals).
/// Accounts not active at T (no start before T, or ended before T) score NaN. An override in force
/// at T replaces `score` (and so `band`); `computed` and the points lost stay the card's own.
struct scorecard_scores {
  std::vector<double> score;                     // per account
  std::vector<std::int32_t> band;                // per account; −1 for NaN scores
  std::vector<double> computed;                  // per account: the card's score before overrides
  std::vector<std::int32_t> override_index;      // per account: the override in force, or −1
  std::vector<std::string> measure_names;        // "group/signal", model order
  // Per measure j and account a, measure-major at [j · n_accounts + a] (one block each):
  std::size_t n_accounts = 0;
  std::vector<double> measure_score;  // s in 0..100, or NaN
  std::vector<double> points_lost;    // w_eff · (100 − s)
  std::vector<double> weight;         // w_eff (NaN when the measure is absent)

  double measure(std::size_t j, std::size_t a) const { return measure_score[j * n_accounts + a]; }
  double lost(std::size_t j, std::size_t a) const { return points_lost[j * n_accounts + a]; }
};

/// Throws model_spec_error (`$.overrides[i].account_id`) for an override of an account the
/// dataset does not hold. Blocks of accounts on `n_threads` threads: the same bits for any count.
scorecard_scores score_accounts(const scorecard& card, const dataset& data, const signal_frame& signals,
                                std::size_t as_of_index = 0, std::int32_t n_threads = 1);

/// The same on signal columns read in place: `columns[i]` holds the n_accounts values at `as_of` of
/// the card's i-th signal (card.signals() order) — for a service or a binding that has them already.
scorecard_scores score_accounts(const scorecard& card, const dataset& data, timestamp as_of,
                                std::span<const double* const> columns, std::int32_t n_threads = 1);

/// The card's weighting (DESIGN §4) with its current weights over measure scores already mapped —
/// the `measure_score` block of score_accounts, or several of them stacked as more accounts: the
/// score per account (NaN where no measure is present; no overrides). A tuning harness changes the
/// weights of a copy of the card and calls this in a loop: no signal and no mapping is recomputed.
std::vector<double> rescore(const scorecard& card, std::span<const double> measure_score, std::size_t n_accounts);

/// The measures that cost one account most points, largest first (ties in model order), at most
/// `k`, only those that cost any: (measure index, points lost).
std::vector<std::pair<std::size_t, double>> top_factors(const scorecard_scores& scores, std::size_t account,
                                                        std::size_t k = std::numeric_limits<std::size_t>::max());

/// A card's signals (with its key features and the alerts' signals) at T and, when the card has a
/// trend, at T − trend_days (one sweep); the scores at T and the trend, score(T) − score(T − trend_days).
/// The signals and the scores are computed on `n_threads` threads (the same bits for any count).
struct scored_card {
  signal_frame signals;  // at T only
  scorecard_scores scores;
  std::vector<double> trend;  // per account; NaN without a trend or a score at either time
};
scored_card score_card(const scorecard& card, const dataset& data, timestamp as_of, std::int32_t n_threads = 1);

/// One alert: the account, what raised it, how urgent, when it started (see card_alerts), the
/// as-of time it was reported at, the account's owner and a sentence of why.
struct alert {
  std::int32_t account = 0;
  alert_kind kind = alert_kind::at_risk;
  std::int32_t rule = -1;  // the card's alert rule for kind threshold
  alert_severity severity = alert_severity::medium;
  timestamp time = no_time;
  timestamp as_of = no_time;
  std::string message;
};

/// The alerts of a card at each as-of time (sorted): at the first, every alert active then; at each
/// later one, those active then and not at the one before (an alert is reported when it starts, not
/// every day). `time` is when the condition began where the signals tell it — the last use plus
/// inactive_days, the renewal date less renewal_days, the detractor's answer — and the as-of time
/// otherwise. Sorted by as-of, severity (high first), account and kind: deterministic for any `n_threads`.
std::vector<alert> card_alerts(const scorecard& card, const dataset& data, std::vector<timestamp> as_of,
                               std::int32_t n_threads = 1);

/// The name of an alert's kind: the rule's name for thresholds, else the kind's.
std::string alert_name(const scorecard& card, const alert& a);

}  // namespace custhealth
