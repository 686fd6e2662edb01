// src/churn_labels.cpp — churn labels per (T, account): eligibility at T, then churn in [T, T + H)
// read from the accounts' `end` or from the silence of the usage table at the horizon.

#include "custhealth/churn/labels.hpp"

#include <algorithm>
#include <string>

namespace custhealth {

namespace {

/// Whether `times[begin, end)` (sorted) holds a time in [from, to).
bool any_in(const column<timestamp>& times, std::int64_t begin, std::int64_t end, timestamp from, timestamp to) {
  if (from >= to) return false;
  const auto first = std::lower_bound(times.begin() + begin, times.begin() + end, from);
  return first != times.begin() + end && *first < to;
}

}  // namespace

churn_labels compute_churn_labels(const dataset& data, std::vector<timestamp> as_of, const churn_label_options& options) {
  const int h_days = options.horizon_days, n_days = options.inactivity_days;
  if (h_days <= 0) throw invalid_input("churn labels: horizon_days must be > 0, got " + std::to_string(h_days));
  if (n_days < 0 || n_days > h_days)
    throw invalid_input("churn labels: inactivity_days must be 0 (churn is the accounts' end) or 1.." +
                        std::to_string(h_days) + " (at most the horizon), got " + std::to_string(n_days));
  if (as_of.empty()) throw invalid_input("churn labels: as_of is empty");
  std::sort(as_of.begin(), as_of.end());
  as_of.erase(std::unique(as_of.begin(), as_of.end()), as_of.end());

  const bool inactivity = n_days > 0;
  const auto& acc = data.accounts();
  const auto& usage = data.usage();
  if (inactivity && usage.size() == 0) throw invalid_input("churn labels: inactivity labels need a usage table");
  if (!inactivity && std::none_of(acc.start.begin(), acc.start.end(), [](timestamp s) { return s != no_time; }))
    throw invalid_input("churn labels: no account has a start date (load an accounts table)");

  churn_labels out;
  out.as_of = as_of;
  out.n_accounts = data.n_accounts();
  out.observed_until = inactivity ? data.data_end({table_id::usage}) : data.data_end({table_id::accounts, table_id::usage});
  const std::size_t cells = as_of.size() * out.n_accounts;
  out.exclusion.assign(cells, churn_exclusion::none);
  out.churned.assign(cells, -1);
  out.horizon_complete.assign(cells, 0);
  const timestamp horizon = timestamp(h_days) * seconds_per_day, silence = timestamp(n_days) * seconds_per_day;

  for (std::int32_t a = 0; a < std::int32_t(out.n_accounts); ++a) {
    const std::int64_t u0 = usage.index.begin(a), u1 = usage.index.end(a);
    // An account begins at its start date; for inactivity labels, without one, at its first event.
    timestamp start = acc.start[std::size_t(a)];
    if (start == no_time && inactivity && u1 > u0) start = usage.time[std::size_t(u0)];
    const timestamp end = acc.end[std::size_t(a)];
    for (std::size_t t = 0; t < as_of.size(); ++t) {
      const std::size_t cell = t * out.n_accounts + std::size_t(a);
      const timestamp at = as_of[t], until = at + horizon;
      auto& exclusion = out.exclusion[cell];
      if (start == no_time) exclusion = churn_exclusion::no_start;
      else if (start >= at) exclusion = churn_exclusion::not_started;
      else if (end != no_time && end < at) exclusion = churn_exclusion::ended;
      else if (inactivity && !any_in(usage.time, u0, u1, at - silence, at)) exclusion = churn_exclusion::inactive;
      if (exclusion != churn_exclusion::none) continue;

      const bool complete = until <= out.observed_until;
      out.horizon_complete[cell] = complete;
      std::int8_t& churned = out.churned[cell];
      if (!inactivity) {
        // An end is known once observed: before the data's end (a cancellation entered ahead is not).
        if (end != no_time && end < until && end < out.observed_until) churned = 1;
        else if (complete) churned = 0;
      } else {
        // Silence in [until − N, until): one event seen there (before the data's end) settles it.
        if (any_in(usage.time, u0, u1, until - silence, std::min(until, out.observed_until))) churned = 0;
        else if (complete) churned = 1;
      }
    }
  }
  return out;
}

}  // namespace custhealth
