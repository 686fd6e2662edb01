// custhealth/retention/tenure.hpp — account tenures for survival analysis: days from `start` to `end`,
// right-censored at the as-of moment while still active, ready for the Kaplan–Meier fitter.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "custhealth/dataset.hpp"
#include "custhealth/parallel.hpp"

namespace custhealth {

/// Durations and event flags of the accounts with a start before as_of, as the Kaplan–Meier fitter
/// takes them (span<const double> durations, span<const std::uint8_t> observed).
struct tenure_data {
  timestamp as_of = 0;
  std::vector<std::int32_t> account;   // account code of each duration
  std::vector<double> duration;        // days (fractional)
  std::vector<std::uint8_t> observed;  // 1: ended before as_of (churned); 0: censored at as_of
  std::int64_t without_start = 0;      // accounts with no start date (seen only in event tables): excluded
  std::int64_t not_started = 0;        // accounts with start ≥ as_of: excluded

  std::size_t size() const noexcept { return duration.size(); }
};

/// Tenure of every account (DESIGN §4): (end − start) in days when the account ended before as_of
/// (observed = 1), else (as_of − start) in days, censored (observed = 0) — an end at or after as_of
/// is not yet known as of as_of. Accounts without a start, or starting at or after as_of, are
/// excluded and counted. as_of defaults to the end of the accounts and usage tables (dataset::data_end):
/// usage is how far the accounts' activity has been observed — an `end` entered ahead of time (a
/// scheduled cancellation) must not count as observed — and without usage the accounts' own end,
/// the midnight after their latest start or end. Throws invalid_input when no account has a start date
/// (no accounts table), an end precedes its start (the first such account), or n_threads is outside
/// 1..max_threads. On up to n_threads threads: blocks of accounts, their lists joined in block order,
/// so the output is one thread's element for element.
inline tenure_data tenure(const dataset& data, timestamp as_of = no_time, std::int32_t n_threads = 1) {
  check_threads(n_threads, "tenure");
  const auto& acc = data.accounts();
  const bool any_start = std::any_of(acc.start.begin(), acc.start.end(), [](timestamp s) { return s != no_time; });
  if (!any_start) throw invalid_input("tenure: no account has a start date (load an accounts table)");
  as_of = data.as_of_or_end(as_of, {table_id::accounts, table_id::usage});
  tenure_data init;
  init.as_of = as_of;
  auto pass = [&](tenure_data& out, std::size_t first, std::size_t last) {
    for (std::size_t a = first; a < last; ++a) {
      const timestamp start = acc.start[a], end = acc.end[a];
      if (start == no_time) {
        ++out.without_start;
        continue;
      }
      if (start >= as_of) {
        ++out.not_started;
        continue;
      }
      if (end != no_time && end < start)
        throw invalid_input("tenure: account \"" + data.account_ids()[std::int32_t(a)] + "\": end " +
                            format_date(end) + " is before start " + format_date(start));
      const bool ended = end != no_time && end < as_of;
      out.account.push_back(std::int32_t(a));
      out.duration.push_back(double((ended ? end : as_of) - start) / double(seconds_per_day));
      out.observed.push_back(ended ? 1 : 0);
    }
  };
  auto join = [](tenure_data& into, const tenure_data& from) {
    into.account.insert(into.account.end(), from.account.begin(), from.account.end());
    into.duration.insert(into.duration.end(), from.duration.begin(), from.duration.end());
    into.observed.insert(into.observed.end(), from.observed.begin(), from.observed.end());
    into.without_start += from.without_start, into.not_started += from.not_started;
  };
  return for_each_block_reduce(acc.size(), n_threads, std::move(init), pass, join, block_grain::accounts);
}

}  // namespace custhealth
