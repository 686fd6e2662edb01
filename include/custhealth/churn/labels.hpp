// custhealth/churn/labels.hpp — who can churn as of each T and whether they did within the horizon
// (DESIGN §4 "Churn risk"): the labels of a point-in-time training set whose features are the signals.
#pragma once

#include <cstdint>
#include <vector>

#include "custhealth/dataset.hpp"

namespace custhealth {

/// How churn in [T, T + H) is observed.
struct churn_label_options {
  int horizon_days = 90;
  /// 0: churn is the accounts table's `end` falling in [T, T + H). N > 0: inactivity — an account is
  /// eligible when it was active at T (a usage event in [T − N days, T)) and churned when it has no
  /// usage event in [T + H − N days, T + H): N days of silence at the horizon. 0 < N ≤ H.
  int inactivity_days = 0;
};

/// Per (T, account), as-of major like signal_frame: row `t · n_accounts + account`.
struct churn_labels {
  std::vector<timestamp> as_of;  // sorted, distinct
  std::size_t n_accounts = 0;
  std::vector<churn_exclusion> exclusion;
  /// 1 churned in [T, T + H), 0 did not, −1 not known yet: the horizon runs past `observed_until`
  /// and no churn has been seen before it.
  std::vector<std::int8_t> churned;
  std::vector<std::uint8_t> horizon_complete;  // T + H ≤ observed_until
  /// How far the data is observed (dataset::data_end): accounts and usage for `end` labels (as tenure
  /// reads them: an `end` entered ahead of time is not yet observed), usage for inactivity.
  timestamp observed_until = no_time;
};

/// The labels of every account at each T of `as_of` (sorted and de-duplicated here). Labels read only
/// rows at or after T, besides the eligibility of T itself. Throws invalid_input for horizon_days ≤ 0,
/// inactivity_days < 0 or > horizon_days, an empty `as_of`, no accounts table (end labels), or no
/// usage (inactivity labels).
churn_labels compute_churn_labels(const dataset& data, std::vector<timestamp> as_of,
                                  const churn_label_options& options = {});

}  // namespace custhealth
