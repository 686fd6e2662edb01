// custhealth/btyd/rfm.hpp — the RFM summary (frequency, recency, T, monetary value) of a dataset's payments or
// usage table, as lifetimes' summary_data_from_transaction_data computes it, for the BTYD fits of btyd.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "custhealth/btyd/btyd.hpp"
#include "custhealth/dataset.hpp"

namespace custhealth::btyd {

struct rfm_options {
  /// payments: the successful payments (type payment), the amount as the value; usage: the events, no value.
  table_id table = table_id::payments;
  /// payments: the one currency to summarise; empty means "the only one there is" (several is an error:
  /// amounts in different currencies do not average). A table without a currency column is one currency.
  std::string currency{};
  /// Rows with time < as_of count (DESIGN §2, no leakage); the last observed period is the one containing
  /// as_of − 1 s (lifetimes' observation_period_end). no_time: data_end({table}), the end of the day of the
  /// table's last row.
  timestamp as_of = no_time;
  /// The unit of recency and T (lifetimes' freq): "D", "W" (ISO weeks, pandas' W-SUN), "M" or "Q".
  custhealth::period unit = custhealth::period::week;
};

/// One row per account with at least one transaction before as_of, in account-code (= id) order.
/// Definitions (lifetimes 0.11, summary_data_from_transaction_data): transactions collapse to one per account
/// and period, their values summed; frequency = periods with a transaction − 1 (the repeat periods); recency =
/// last − first such period; T = the last observed period − the first; monetary = the mean of the repeat
/// periods' summed values, 0 when there are none (usage: empty). All in periods of `unit`.
struct rfm_table {
  std::vector<std::int32_t> account;  ///< codes into the dataset's account dictionary
  std::vector<double> frequency, recency, T, monetary;
  table_id table = table_id::payments;
  custhealth::period unit = custhealth::period::week;
  timestamp as_of = no_time;     ///< resolved
  std::string currency;          ///< payments: the currency summarised ("" when the table has none)
  std::int64_t transactions = 0; ///< rows summarised

  std::size_t size() const noexcept { return account.size(); }
  /// The rows as the fitters' input (monetary empty for usage).
  btyd::customers customers() const noexcept { return {frequency, recency, T, monetary, {}}; }
};

/// The RFM summary of `data`'s payments or usage table. Throws invalid_input for another table, for no
/// transactions before as_of ("no successful payments before 2024-01-01 …"), for several currencies without
/// options.currency (naming them with their payment counts) and for a currency with no payments.
rfm_table rfm_summary(const dataset& data, const rfm_options& options = {});

}  // namespace custhealth::btyd
