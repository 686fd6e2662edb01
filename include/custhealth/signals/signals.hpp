// custhealth/signals/signals.hpp — the signal layer (DESIGN §4 "Signals"): named, dense float64 columns
// per account as of one T or a sorted list of T, in one sweep of each account's rows; the catalogue.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custhealth/dataset.hpp"
#include "custhealth/support/sla.hpp"

namespace custhealth {

/// One catalogue entry: what a signal is, read from which table, in what unit and over what window.
struct signal_info {
  std::string_view name;
  table_id table;
  std::string_view unit;
  std::int32_t window_days;  // 0: not a trailing window (a "last" value or an attribute)
  bool higher_is_better;
  std::string_view definition;
};

/// The catalogue, in output order: the names of DESIGN §4, the contract everything above reads.
inline constexpr std::array signal_catalog = std::to_array<signal_info>({
    {"usage.events_7d", table_id::usage, "rows", 7, true, "usage rows in [T - 7 d, T)"},
    {"usage.events_30d", table_id::usage, "rows", 30, true, "usage rows in [T - 30 d, T)"},
    {"usage.events_90d", table_id::usage, "rows", 90, true, "usage rows in [T - 90 d, T)"},
    {"usage.value_30d", table_id::usage, "value", 30, true, "sum of usage value in [T - 30 d, T)"},
    {"usage.active_days_7d", table_id::usage, "days", 7, true, "distinct days with a usage row in 7 d"},
    {"usage.active_days_30d", table_id::usage, "days", 30, true, "distinct days with a usage row in 30 d"},
    {"usage.active_days_90d", table_id::usage, "days", 90, true, "distinct days with a usage row in 90 d"},
    {"usage.active_users_30d", table_id::usage, "users", 30, true, "distinct user_id in 30 d"},
    {"usage.features_30d", table_id::usage, "events", 30, true, "distinct event names in 30 d"},
    {"usage.days_since_last", table_id::usage, "days", 0, false, "(T - time of the last usage row before T) / 1 d"},
    {"usage.trend_8w", table_id::usage, "1/week", 56, true,
     "Theil-Sen slope of the weekly row counts of the 8 weeks before T, over their mean"},
    {"usage.dau_mau", table_id::usage, "ratio", 30, true,
     "distinct (user, day) pairs in 30 d / 30 / usage.active_users_30d"},
    {"adoption.breadth", table_id::usage, "ratio", 30, true,
     "usage.features_30d / the events anyone used before T"},
    {"adoption.depth", table_id::usage, "percentile", 30, true,
     "mid-rank percentile (0-1) of events per active day in 30 d among the segment's accounts active in 30 d"},
    {"adoption.seat_utilisation", table_id::usage, "ratio", 30, true,
     "usage.active_users_30d / seats (NaN without seats)"},
    {"adoption.time_to_value_days", table_id::usage, "days", 0, false,
     "days from start to the first use of a key feature (the model's list) before T"},
    {"nps.last", table_id::surveys, "score", 0, true, "the last NPS answer before T"},
    {"nps.days_since_last", table_id::surveys, "days", 0, false, "(T - time of the last NPS answer before T) / 1 d"},
    {"nps.score_180d", table_id::surveys, "NPS", 180, true, "NPS of the answers in 180 d"},
    {"nps.n_180d", table_id::surveys, "answers", 180, true, "NPS answers in 180 d"},
    {"csat.rate_90d", table_id::surveys, "%", 90, true, "CSAT top-box share of the answers in 90 d, in percent"},
    {"ces.mean_90d", table_id::surveys, "score", 90, false, "mean CES answer in 90 d (1 = least effort)"},
    {"support.tickets_30d", table_id::tickets, "tickets", 30, false, "tickets opened in 30 d"},
    {"support.open", table_id::tickets, "tickets", 0, false, "tickets opened before T and not resolved before T"},
    {"support.open_high", table_id::tickets, "tickets", 0, false, "open tickets of priority high or urgent"},
    {"support.open_high_age_days", table_id::tickets, "days", 0, false,
     "(T - opening time of the oldest open high/urgent ticket) / 1 d; NaN if none is open"},
    {"support.sla_breaches_30d", table_id::tickets, "tickets", 30, false,
     "first-response SLA breaches as of T among tickets opened in 30 d"},
    {"support.sla_met_rate_90d", table_id::tickets, "ratio", 90, true,
     "met / (met + breached) among tickets opened in 90 d"},
    {"payments.volume_30d", table_id::payments, "amount", 30, true,
     "sum of payment amounts in 30 d (NaN for several currencies)"},
    {"payments.volume_change_30d", table_id::payments, "ratio", 60, true,
     "(volume in 30 d - volume in the 30 d before) / volume in the 30 d before (NaN if 0 or several currencies)"},
    {"payments.refund_rate_90d", table_id::payments, "ratio", 90, false, "refunds / payments in 90 d, by count"},
    {"payments.chargeback_ratio_90d", table_id::payments, "ratio", 90, false, "chargebacks / payments in 90 d"},
    {"payments.chargebacks_90d", table_id::payments, "chargebacks", 90, false, "chargebacks in 90 d"},
    {"payments.decline_rate_30d", table_id::payments, "ratio", 30, false, "declines / (payments + declines) in 30 d"},
    {"btyd.p_alive", table_id::payments, "probability", 0, true,
     "P(alive at T) of the given BTYD model from the payment periods before T (NaN without a model or a payment)"},
    {"btyd.expected_purchases_90d", table_id::payments, "periods", 0, true,
     "payment periods the given BTYD model expects in the 90 d after its age at T (the start of T's period; NaN "
     "without a model or a payment)"},
    {"mrr.current", table_id::mrr, "money/month", 0, true,
     "MRR of the month containing T - 1 s (0 after a paid month without a row; NaN if never paid)"},
    {"mrr.change_90d", table_id::mrr, "ratio", 90, true, "(current - MRR 3 months earlier) / MRR 3 months earlier"},
    {"account.tenure_days", table_id::accounts, "days", 0, true, "days from start to T, or to an end before T"},
    {"account.days_to_renewal", table_id::accounts, "days", 0, true, "days from T to renewal_date"},
    {"account.seats", table_id::accounts, "seats", 0, true, "seats"},
});
inline constexpr std::size_t n_signals = signal_catalog.size();

/// Signals of every account at each as-of time. Column `j` (catalogue order, or the order asked)
/// holds `as_of.size() × n_accounts` values, as-of major: row `t · n_accounts + account`.
struct signal_frame {
  std::vector<timestamp> as_of;  // sorted, distinct
  std::size_t n_accounts = 0;
  std::vector<std::string_view> names;
  std::vector<std::vector<double>> values;

  double at(std::size_t column, std::size_t t, std::int32_t account) const noexcept {
    return values[column][t * n_accounts + std::size_t(account)];
  }
};

/// A fitted transaction model for the btyd.* signals: BG/NBD, MBG/NBD or Pareto/NBD parameters (btyd/btyd.hpp)
/// in units of `unit` (day or week), fitted on successful payments counted once per period as rfm_summary
/// counts them. At each T an account's history is x = its payment periods before T − 1, tₓ = last − first
/// period, and T = period of T − first period, the definitions of rfm_summary(observation_end = T).
struct btyd_signal_model {
  btyd_model model = btyd_model::bg_nbd;
  std::vector<double> params;
  period unit = period::week;
};

struct signal_options {
  std::vector<std::string> names;  // empty: every signal of the catalogue
  std::int32_t n_threads = 1;      // accounts split into contiguous blocks; the same bits as 1
  std::vector<std::string> key_features;  // events that mark first value (time_to_value); names absent
                                          // from the usage table never occur, so they add nothing
  sla_targets targets{};
  std::optional<btyd_signal_model> btyd;  // without one, btyd.* are NaN
};

/// The catalogue index of `name`, or invalid_input listing the closest names.
std::size_t signal_index(std::string_view name);

/// The signals of every account as of each time of `as_of` (sorted and de-duplicated here), each
/// account's rows of each table read once for all of them. Only rows before each T are read (no
/// leakage). Throws invalid_input for an unknown name, n_threads < 1 or an empty `as_of`.
signal_frame compute_signals(const dataset& data, std::vector<timestamp> as_of, const signal_options& options = {});

}  // namespace custhealth
