// custhealth/scorecard/scorecard.hpp — declarative scorecards (DESIGN §4 "Health scorecard", models/*.json):
// the model, its validating loader, and scores from the signal layer with the points each measure cost.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "custhealth/dataset.hpp"
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
};

struct scorecard_group {
  std::string name;
  double weight = 1;
  std::vector<scorecard_measure> measures;
};

struct scorecard_band {
  std::string name;
  double below = std::numeric_limits<double>::infinity();  // the last band has no bound
};

/// A validated model file. `key_features` is the adoption model's list of the events that mark
/// first value (empty in other cards).
struct scorecard {
  std::string name;
  std::int64_t version = 1;
  std::vector<scorecard_band> bands;
  std::vector<scorecard_group> groups;
  std::vector<std::string> key_features;

  /// Parses and validates model JSON; `source` names it in errors, which carry the JSON path
  /// (`adoption_v1.json: $.groups[1].measures[0].map.linear: needs 2 numbers, got 3`). Throws
  /// model_spec_error, also for a signal that is not in the catalogue (with the closest names).
  static scorecard parse(std::string_view json, std::string_view source);

  /// The signals the measures read, in model order, each once.
  std::vector<std::string> signals() const;
};

/// Scores of every account at one as-of time of `signals` (which must hold the card's signals).
/// Accounts not active at T (no start before T, or ended before T) score NaN.
struct scorecard_scores {
  std::vector<double> score;                     // per account
  std::vector<std::int32_t> band;                // per account; −1 for NaN scores
  std::vector<std::string> measure_names;        // "group/signal", model order
  std::vector<std::vector<double>> measure_score;  // per measure, per account: s in 0..100 or NaN
  std::vector<std::vector<double>> points_lost;    // per measure, per account: w_eff · (100 − s)
};

scorecard_scores score_accounts(const scorecard& card, const dataset& data, const signal_frame& signals,
                                std::size_t as_of_index = 0);

/// A card's signals (with its key features) at one as-of time, and the scores on them.
struct scored_card {
  signal_frame signals;
  scorecard_scores scores;
};
scored_card score_card(const scorecard& card, const dataset& data, timestamp as_of);

}  // namespace custhealth
