// src/signals.cpp — the per-table signal providers and the sweep over accounts: each account's rows
// of each table are read once for all T, window edges moving forward as T grows.

#include "custhealth/signals/signals.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <utility>

#ifdef __linux__
#include <sys/mman.h>
#endif

#include "custhealth/feedback/survey.hpp"
#include "custhealth/btyd/btyd.hpp"
#include "custhealth/parallel.hpp"
#include "custhealth/payments/quality.hpp"

namespace custhealth {

namespace {

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// The catalogue index of a name known at compile time (a typo fails to compile).
consteval std::size_t column_of(std::string_view name) {
  for (std::size_t i = 0; i < signal_catalog.size(); ++i)
    if (signal_catalog[i].name == name) return i;
  throw "unknown signal";
}

/// The first row of [from, end) at or after `moment`, for rows sorted by time with those before
/// `from` earlier than `moment`. A few rows are tried in turn (a window edge usually moves by a few
/// rows), then galloping (Bentley & Yao 1976) costs O(log d) for a row d places on: a single T
/// finds its edges without walking the account's earlier rows and a sweep still moves each edge
/// forward once.
inline std::int64_t gallop(const timestamp* t, std::int64_t from, std::int64_t end, timestamp moment) noexcept {
  for (const std::int64_t stop = std::min(from + 4, end); from < stop; ++from)
    if (t[from] >= moment) return from;
  if (from >= end || t[from] >= moment) return from;
  std::int64_t below = from, step = 1;  // t[below] < moment
  while (below + step < end && t[below + step] < moment) below += step, step *= 2;
  return std::lower_bound(t + below + 1, t + std::min(below + step, end), moment) - t;
}

/// The first row of an account's rows [begin, end) inside the widest window at the first T: a
/// binary search, since a single T near the end of the data is far from the account's first row.
std::int64_t window_start(const timestamp* t, std::int64_t begin, std::int64_t end, timestamp T,
                          std::int64_t window_days) {
  return std::lower_bound(t + begin, t + end, T - window_days * seconds_per_day) - t;
}

/// The rows [lo, hi) of a trailing window, moved forward as T grows: each row enters once and
/// leaves once, so the window's integer counters cost O(rows) over the whole sweep. Floating-point
/// sums are never kept this way (removing a term does not undo its rounding): those windows are
/// summed afresh, in row order, at each T.
struct sliding_window {
  std::int64_t lo = 0, hi = 0;

  /// Moves to [new_lo, new_hi) (neither edge moves back), calling f(row, -1) for each row that
  /// leaves and f(row, +1) for each that enters.
  template <class F>
  void move_to(std::int64_t new_lo, std::int64_t new_hi, F&& f) {
    for (std::int64_t i = lo; i < std::min(new_lo, hi); ++i) f(i, -1);
    lo = new_lo, hi = std::max(hi, new_lo);
    for (std::int64_t i = hi; i < new_hi; ++i) f(i, +1);
    hi = new_hi;
  }
};

/// Row r of an optional column, or `absent` when the column is (a table loaded without it).
template <class T>
T value_or(const column<T>& c, std::size_t r, T absent) noexcept {
  return c.empty() ? absent : c[r];
}

double days(std::int64_t seconds) { return static_cast<double>(seconds) / static_cast<double>(seconds_per_day); }

/// The comparators of Batcher's odd–even merge sort ("Sorting networks and their applications",
/// 1968) for 32 inputs, less those that cannot change positions `keep` of 28 inputs padded with +∞:
/// the ones that touch a padding position (it always holds +∞) and those no kept output depends on.
template <std::size_t N, std::size_t... Keep>
consteval auto selection_network() {
  constexpr std::size_t pow2 = std::bit_ceil(N);
  std::array<std::pair<std::uint8_t, std::uint8_t>, pow2 * 8> all{};
  std::size_t n = 0;
  for (std::size_t p = 1; p < pow2; p <<= 1)
    for (std::size_t k = p; k >= 1; k >>= 1)
      for (std::size_t j = k % p; j + k < pow2; j += 2 * k)
        for (std::size_t i = 0; i < std::min(k, pow2 - j - k); ++i)
          if ((i + j) / (2 * p) == (i + j + k) / (2 * p) && i + j + k < N)
            all[n++] = {std::uint8_t(i + j), std::uint8_t(i + j + k)};
  std::array<bool, pow2> live{};
  ((live[Keep] = true), ...);
  std::array<bool, pow2 * 8> used{};
  for (std::size_t c = n; c-- > 0;)
    if (live[all[c].first] || live[all[c].second]) used[c] = live[all[c].first] = live[all[c].second] = true;
  std::array<std::pair<std::uint8_t, std::uint8_t>, pow2 * 8> out{};
  std::size_t m = 0;
  for (std::size_t c = 0; c < n; ++c)
    if (used[c]) out[m++] = all[c];
  return std::pair{out, m};
}

/// Sen (1968), "Estimates of the regression coefficient based on Kendall's tau": the median of the
/// pairwise slopes (c_j − c_i)/(j − i) of weekly counts (per week), as scipy.stats.theilslopes. The
/// 14th and 15th smallest of the 28 come from a fixed network of min/max (no data-dependent
/// branches, which a sort or a selection mispredicts about every other comparison).
double theil_sen_slope(const std::array<double, 8>& c) {
  std::array<double, 28> slopes{};
  std::size_t k = 0;
  for (std::size_t i = 0; i < c.size(); ++i)
    for (std::size_t j = i + 1; j < c.size(); ++j) slopes[k++] = (c[j] - c[i]) / double(j - i);
  static constexpr auto network = selection_network<28, 13, 14>();
  for (std::size_t n = 0; n < network.second; ++n) {
    const auto [i, j] = network.first[n];
    const double x = slopes[i], y = slopes[j];
    slopes[i] = std::min(x, y), slopes[j] = std::max(x, y);
  }
  return (slopes[13] + slopes[14]) / 2;
}

/// Which signals to compute: the requested ones and those the adoption signals are derived from.
/// Each provider skips the work of the families nobody asked for.
struct wanted {
  std::array<bool, n_signals> column{};

  bool any(table_id table) const {
    for (std::size_t i = 0; i < n_signals; ++i)
      if (column[i] && signal_catalog[i].table == table) return true;
    return false;
  }
};

/// Per-thread scratch: "last seen" stamps per user and per event, so a window's distinct users,
/// events and (user, day) pairs cost one pass over its rows and no clearing.
struct scratch {
  std::vector<std::uint64_t> user_stamp, event_stamp;
  std::vector<std::int32_t> user_day;
  std::vector<std::int32_t> day_ordinal;
  std::vector<char> key_feature;  // per event code: one of signal_options::key_features
  std::vector<std::pair<timestamp, bool>> resolved;  // an account's resolution times, high/urgent
  std::uint64_t stamp = 0;
};

/// Writes the signals of one account at every T.
class account_sweep {
 public:
  account_sweep(const dataset& data, const std::vector<timestamp>& as_of, const signal_options& options,
                const wanted& want, std::vector<std::vector<double>>& out, scratch& s)
      : d_(data), as_of_(as_of), options_(options), out_(out), s_(s),
        usage_(want.any(table_id::usage)), surveys_(want.any(table_id::surveys)),
        tickets_(want.any(table_id::tickets)), payments_(want.any(table_id::payments)),
        mrr_(want.any(table_id::mrr)), accounts_(want.any(table_id::accounts)),
        days_(want.column[column_of("usage.active_days_7d")] || want.column[column_of("usage.active_days_30d")] ||
              want.column[column_of("usage.active_days_90d")] || want.column[column_of("usage.dau_mau")]),
        scan30_(want.column[column_of("usage.value_30d")] || want.column[column_of("usage.features_30d")] ||
                want.column[column_of("usage.active_users_30d")] || want.column[column_of("usage.dau_mau")]),
        trend_(want.column[column_of("usage.trend_8w")]),
        ttv_(want.column[column_of("adoption.time_to_value_days")]),
        btyd_(options.btyd && (want.column[column_of("btyd.p_alive")] ||
                               want.column[column_of("btyd.expected_purchases_90d")])) {
    // The calendar months mrr.* reads at each T (the one holding T − 1 s and 3 before it), once
    // for all accounts.
    for (const timestamp T : as_of_) {
      const std::int64_t month = period_index(T - 1, period::month);
      auto bounds = [](std::int64_t i) {
        return month_bounds{period_start(i, period::month), period_start(i + 1, period::month)};
      };
      months_.push_back({bounds(month), bounds(month - 3)});
    }
    // Each payment's currency id (payment_counts' rule: amounts of different currencies never add).
    if (payments_ && !d_.payments().currency.empty())
      currencies_.set_currency(d_.payments().currency, d_.payments().currencies.values());
  }

  void run(std::int32_t a) {
    if (usage_) usage(a);
    if (surveys_) surveys(a);
    if (tickets_) tickets(a);
    if (payments_) payments(a);
    if (mrr_) mrr(a);
    if (accounts_) account(a);
  }

 private:
  /// Columns nobody asked for are empty and not written.
  void put(std::size_t column, std::size_t t, std::int32_t a, double v) {
    if (auto& c = out_[column]; !c.empty()) c[t * d_.n_accounts() + std::size_t(a)] = v;
  }

  void usage(std::int32_t a) {
    const usage_table& u = d_.usage();
    const std::int64_t b = u.index.begin(a), e = u.index.end(a);
    const timestamp* t = u.time.data();
    // The rows any window of the sweep reads: from the 90-day edge of the first T to the last T.
    const std::int64_t first = window_start(t, b, e, as_of_.front(), 90);
    const std::int64_t last = gallop(t, first, e, as_of_.back());
    // day_ordinal[i − first]: the distinct days among rows [first, i], so the distinct days of rows
    // [lo, hi) are ordinal[hi − 1] − ordinal[lo] + 1 (rows are time-sorted) and two rows share a
    // day iff they share an ordinal.
    auto& ordinal = s_.day_ordinal;
    if (days_ || scan30_) {
      ordinal.resize(std::size_t(last - first));
      std::int32_t n = 0;
      for (std::int64_t i = first, previous = std::numeric_limits<std::int64_t>::min(); i < last; ++i) {
        const std::int64_t day = day_number(t[i]);
        n += day != previous, previous = day;
        ordinal[std::size_t(i - first)] = n;
      }
    }
    auto distinct_days = [&](std::int64_t lo, std::int64_t hi) -> double {
      return hi > lo ? ordinal[std::size_t(hi - 1 - first)] - ordinal[std::size_t(lo - first)] + 1 : 0;
    };
    const bool has_users = !u.user.empty();
    // The first use of a key feature before the last T (rows are time-sorted: the first one found).
    timestamp first_value = no_time;
    if (ttv_ && !s_.key_feature.empty())
      for (std::int64_t i = b; i < last; ++i)
        if (s_.key_feature[std::size_t(u.event[std::size_t(i)])]) {
          first_value = t[i];
          break;
        }
    const timestamp start = value_or(d_.accounts().start, std::size_t(a), no_time);
    std::int64_t lo90 = first;
    for (std::size_t k = 0; k < as_of_.size(); ++k) {
      const timestamp T = as_of_[k];
      lo90 = gallop(t, lo90, last, T - 90 * seconds_per_day);
      // One pass over the rows of the trend's 8 weeks [T − 56 d, T): their weekly counts, the rows
      // of the last 30 days, and the end of the rows before T.
      const timestamp weeks_begin = T - 56 * seconds_per_day, since30 = T - 30 * seconds_per_day;
      std::array<std::int64_t, 8> week{};
      std::int64_t in30 = 0, hi = gallop(t, lo90, last, weeks_begin);
      for (; hi < last && t[hi] < T; ++hi) {
        ++week[std::size_t((t[hi] - weeks_begin) / (7 * seconds_per_day))];
        in30 += t[hi] >= since30;
      }
      const std::int64_t lo30 = hi - in30, lo7 = hi - week[7];
      put(column_of("usage.events_7d"), k, a, double(hi - lo7));
      put(column_of("usage.events_30d"), k, a, double(hi - lo30));
      put(column_of("usage.events_90d"), k, a, double(hi - lo90));
      if (days_) {
        put(column_of("usage.active_days_7d"), k, a, distinct_days(lo7, hi));
        put(column_of("usage.active_days_30d"), k, a, distinct_days(lo30, hi));
        put(column_of("usage.active_days_90d"), k, a, distinct_days(lo90, hi));
      }
      put(column_of("usage.days_since_last"), k, a, hi > b ? days(T - t[hi - 1]) : nan);
      put(column_of("adoption.time_to_value_days"), k, a,
          first_value != no_time && first_value < T && start != no_time ? days(first_value - start) : nan);

      if (scan30_) {
        double value = 0;
        std::int64_t users = 0, features = 0, user_days = 0;
        const std::uint64_t stamp = ++s_.stamp;
        // Counted without data-dependent branches: whether a row brings a new event, user or (user,
        // day) is as good as random, and a mispredicted branch per row costs more than the rest.
        // Plain pointers, so that the compiler need not reload the columns after each store.
        const double* values = u.value.empty() ? nullptr : u.value.data();
        const std::int32_t* events = u.event.data();
        const std::int32_t* user_of = has_users ? u.user.data() : nullptr;
        const std::int32_t* day_of = ordinal.data();  // from row `first`
        std::uint64_t* event_stamp = s_.event_stamp.data();
        std::uint64_t* user_stamp = s_.user_stamp.data();
        std::int32_t* user_day = s_.user_day.data();
        for (std::int64_t i = lo30; i < hi; ++i) {
          value += values ? values[i] : 1.0;
          const auto ev = std::size_t(events[i]);
          features += event_stamp[ev] != stamp, event_stamp[ev] = stamp;
          if (!user_of || user_of[i] == no_code) continue;
          const auto user = std::size_t(user_of[i]);
          const std::int32_t day = day_of[i - first];
          const bool new_user = user_stamp[user] != stamp;
          users += new_user;
          user_days += new_user || user_day[user] != day;  // days only grow along the rows
          user_stamp[user] = stamp, user_day[user] = day;
        }
        put(column_of("usage.value_30d"), k, a, value);
        put(column_of("usage.features_30d"), k, a, double(features));
        put(column_of("usage.active_users_30d"), k, a, has_users ? double(users) : nan);
        put(column_of("usage.dau_mau"), k, a, has_users && users > 0 ? double(user_days) / 30.0 / double(users) : nan);
      }

      if (trend_) {
        std::array<double, 8> weeks{};
        double total = 0;
        for (std::size_t w = 0; w < weeks.size(); ++w) weeks[w] = double(week[w]), total += weeks[w];
        put(column_of("usage.trend_8w"), k, a, total > 0 ? theil_sen_slope(weeks) / (total / 8) : nan);
      }
    }
  }

  void surveys(std::int32_t a) {
    const survey_table& s = d_.surveys();
    const std::int64_t b = s.index.begin(a), e = s.index.end(a);
    const timestamp* t = s.time.data();
    // Answers per kind and score in the 180- and 90-day windows (scores are validated integers
    // 0..10 for every kind); the summaries are built from these counts at each T.
    using histogram = std::array<std::array<std::int64_t, 11>, enum_size<survey_kind>>;
    histogram in180{}, in90{};
    const std::int64_t first = window_start(t, b, e, as_of_.front(), 180);
    sliding_window w180{first, first}, w90{first, first};
    auto count_into = [&](histogram& h) {
      return [&](std::int64_t i, int sign) {
        h[std::size_t(s.kind[std::size_t(i)])][std::size_t(s.score[std::size_t(i)])] += sign;
      };
    };
    std::int64_t hi = first, seen = b, last_nps = -1;
    for (std::size_t k = 0; k < as_of_.size(); ++k) {
      const timestamp T = as_of_[k];
      const std::int64_t lo180 = gallop(t, w180.lo, e, T - 180 * seconds_per_day);
      const std::int64_t lo90 = gallop(t, std::max(w90.lo, lo180), e, T - 90 * seconds_per_day);
      hi = gallop(t, std::max(hi, lo90), e, T);
      // The last NPS answer: the latest among the rows new at this T, else the one before.
      for (std::int64_t i = hi - 1; i >= seen; --i)
        if (s.kind[std::size_t(i)] == survey_kind::nps) {
          last_nps = i;
          break;
        }
      seen = hi;
      w180.move_to(lo180, hi, count_into(in180));
      w90.move_to(lo90, hi, count_into(in90));
      nps_summary nps;
      csat_summary csat(d_.csat_scale());
      ces_summary ces;
      for (int score = 0; score <= 10; ++score) {
        if (const auto n = in180[std::size_t(survey_kind::nps)][std::size_t(score)]) nps.add_unchecked(score, n);
        if (const auto n = in90[std::size_t(survey_kind::csat)][std::size_t(score)]) csat.add_unchecked(score, n);
        if (const auto n = in90[std::size_t(survey_kind::ces)][std::size_t(score)]) ces.add_unchecked(score, n);
      }
      put(column_of("nps.last"), k, a, last_nps >= 0 ? s.score[std::size_t(last_nps)] : nan);
      put(column_of("nps.days_since_last"), k, a, last_nps >= 0 ? days(T - t[last_nps]) : nan);
      put(column_of("nps.score_180d"), k, a, nps.score());
      put(column_of("nps.n_180d"), k, a, double(nps.n()));
      put(column_of("csat.rate_90d"), k, a, csat.score());
      put(column_of("ces.mean_90d"), k, a, ces.mean());
    }
  }

  void tickets(std::int32_t a) {
    const ticket_table& tk = d_.tickets();
    const std::int64_t b = tk.index.begin(a), e = tk.index.end(a);
    const timestamp* t = tk.opened.data();
    auto high = [&](std::size_t r) {
      const priority p = value_or(tk.prio, r, priority::normal);
      return p == priority::high || p == priority::urgent;
    };
    // Open at T = opened before T − resolved before T (a resolution never precedes its opening):
    // cursors over the account's sorted resolution times instead of a scan of its tickets per T.
    auto& resolved = s_.resolved;
    resolved.clear();
    for (std::int64_t i = b; i < e; ++i)
      if (const timestamp r = value_or(tk.resolved, std::size_t(i), no_time); r != no_time)
        resolved.push_back({r, high(std::size_t(i))});
    std::sort(resolved.begin(), resolved.end());
    std::size_t resolved_before = 0;
    std::int64_t opened_before = b, high_opened = 0, high_resolved = 0, resolved_all = 0;
    std::int64_t lo90 = window_start(t, b, e, as_of_.front(), 90), lo30 = lo90;
    for (std::size_t k = 0; k < as_of_.size(); ++k) {
      const timestamp T = as_of_[k];
      lo90 = gallop(t, lo90, e, T - 90 * seconds_per_day);
      lo30 = gallop(t, std::max(lo30, lo90), e, T - 30 * seconds_per_day);
      const std::int64_t hi = gallop(t, std::max(opened_before, lo30), e, T);
      for (; opened_before < hi; ++opened_before) high_opened += high(std::size_t(opened_before));
      for (; resolved_before < resolved.size() && resolved[resolved_before].first < T; ++resolved_before)
        ++resolved_all, high_resolved += resolved[resolved_before].second;
      const std::int64_t open = (hi - b) - resolved_all, open_high = high_opened - high_resolved;
      // The oldest open high/urgent ticket: the first (rows are sorted by opening) not resolved
      // before T; searched only when one is open, which is rare.
      double open_high_age = nan;
      for (std::int64_t i = b; open_high > 0 && i < hi; ++i) {
        const auto r = std::size_t(i);
        const timestamp resolved_at = value_or(tk.resolved, r, no_time);
        if (high(r) && (resolved_at == no_time || resolved_at >= T)) {
          open_high_age = days(T - t[i]);
          break;
        }
      }
      // The SLA state depends on T (a pending ticket becomes breached as T passes its target), so
      // the 90-day window is classified afresh at each T.
      std::int64_t breaches = 0, met = 0, breached = 0;
      for (std::int64_t i = lo90; i < hi; ++i) {
        const auto r = std::size_t(i);
        const priority p = value_or(tk.prio, r, priority::normal);
        const sla_state state = classify_sla(t[i], value_or(tk.first_response, r, no_time), options_.targets[p], T);
        met += state == sla_state::met, breached += state == sla_state::breached;
        if (i >= lo30) breaches += state == sla_state::breached;
      }
      put(column_of("support.tickets_30d"), k, a, double(hi - lo30));
      put(column_of("support.open"), k, a, double(open));
      put(column_of("support.open_high"), k, a, double(open_high));
      put(column_of("support.open_high_age_days"), k, a, open_high_age);
      put(column_of("support.sla_breaches_30d"), k, a, double(breaches));
      put(column_of("support.sla_met_rate_90d"), k, a, met + breached > 0 ? double(met) / double(met + breached) : nan);
    }
  }

  void payments(std::int32_t a) {
    const payment_table& p = d_.payments();
    const std::int64_t b = p.index.begin(a), e = p.index.end(a);
    const timestamp* t = p.time.data();
    // Rows per type in the 90-day window, slid; the 30-day window's volume is a floating-point
    // sum and is added up afresh, in row order, at each T.
    payment_counts last90;
    const std::int64_t first = window_start(t, b, e, as_of_.front(), 90);
    sliding_window w90{first, first};
    std::int64_t lo60 = first, lo30 = first, hi = first;
    for (std::size_t k = 0; k < as_of_.size(); ++k) {
      const timestamp T = as_of_[k];
      const std::int64_t lo90 = gallop(t, w90.lo, e, T - 90 * seconds_per_day);
      lo60 = gallop(t, std::max(lo60, lo90), e, T - 60 * seconds_per_day);
      lo30 = gallop(t, std::max(lo30, lo60), e, T - 30 * seconds_per_day);
      hi = gallop(t, std::max(hi, lo30), e, T);
      w90.move_to(lo90, hi,
                  [&](std::int64_t i, int sign) { last90.count[std::size_t(p.type[std::size_t(i)])] += sign; });
      // Both 30-day windows are floating-point sums, added up afresh in row order, each payment with
      // its currency: a window's volume in several currencies is NaN (payment_counts' one rule).
      payment_counts last30, before30;
      for (std::int64_t i = lo60; i < hi; ++i) {
        const auto r = std::size_t(i);
        (i < lo30 ? before30 : last30).add(p.type[r], p.amount[r], currencies_.currency_of(r));
      }
      const double volume = last30.amount(payment_type::payment), previous = before30.amount(payment_type::payment);
      const double both = (last30 + before30).amount(payment_type::payment);  // NaN: the two windows' currencies differ
      put(column_of("payments.volume_30d"), k, a, volume);
      put(column_of("payments.volume_change_30d"), k, a,
          std::isnan(both) || !(previous > 0) ? nan : (volume - previous) / previous);
      put(column_of("payments.refund_rate_90d"), k, a, last90.refund_rate());
      put(column_of("payments.chargeback_ratio_90d"), k, a, last90.chargeback_ratio());
      put(column_of("payments.chargebacks_90d"), k, a, double(last90.chargebacks()));
      put(column_of("payments.decline_rate_30d"), k, a, last30.decline_rate());
    }
    if (btyd_) btyd(a);
  }

  /// The btyd.* signals: the account's payment periods before each T (one pass over all its payments,
  /// as T grows), and the model's P(alive) and expected periods in the next 90 days from that history.
  void btyd(std::int32_t a) {
    const payment_table& p = d_.payments();
    const btyd_signal_model& model = *options_.btyd;
    const std::int64_t b = p.index.begin(a), e = p.index.end(a);
    const double horizon = model.unit == period::day ? 90.0 : 90.0 / 7.0;
    std::int64_t i = b, n_periods = 0, first = 0, last = 0;
    for (std::size_t k = 0; k < as_of_.size(); ++k) {
      const timestamp T = as_of_[k];
      for (; i < e && p.time[std::size_t(i)] < T; ++i) {
        if (p.type[std::size_t(i)] != payment_type::payment) continue;
        const std::int64_t per = period_index(p.time[std::size_t(i)], model.unit);
        if (n_periods == 0) first = per;
        if (n_periods == 0 || per != last) ++n_periods, last = per;
      }
      if (n_periods == 0) continue;  // no payment before T: NaN
      const double x = double(n_periods - 1), tx = double(last - first), age = double(period_index(T, model.unit) - first);
      const btyd::customers history{{&x, 1}, {&tx, 1}, {&age, 1}, {}, {}};
      double alive = nan, expected = nan;
      btyd::p_alive(model.model, model.params, history, {&alive, 1});
      btyd::conditional_expected_purchases(model.model, model.params, horizon, history, {&expected, 1});
      put(column_of("btyd.p_alive"), k, a, alive);
      put(column_of("btyd.expected_purchases_90d"), k, a, expected);
    }
  }

  void mrr(std::int32_t a) {
    const mrr_table& m = d_.mrr();
    const std::int64_t b = m.index.begin(a), e = m.index.end(a);
    const timestamp* t = m.month.data();
    // The MRR of a month from the rows before T: its row, else 0 after a paid month, else NaN (never
    // paid). One cursor per month looked up (this one and 3 before), moving forward as T grows;
    // `paid` says whether a row before the cursor had MRR > 0.
    struct month_cursor {
      std::int64_t row;
      bool paid = false;
    };
    auto mrr_of = [&](month_cursor& c, const month_bounds& month, std::int64_t hi) {
      for (; c.row < hi && t[c.row] < month.begin; ++c.row) c.paid |= m.mrr[std::size_t(c.row)] > 0;
      if (c.row < hi && t[c.row] < month.end) return m.mrr[std::size_t(c.row)];
      return c.paid ? 0.0 : nan;
    };
    month_cursor current_row{b}, earlier_row{b};
    std::int64_t hi = b;
    for (std::size_t k = 0; k < as_of_.size(); ++k) {
      hi = gallop(t, hi, e, as_of_[k]);
      const double current = mrr_of(current_row, months_[k].current, hi);
      const double earlier = mrr_of(earlier_row, months_[k].earlier, hi);
      put(column_of("mrr.current"), k, a, current);
      put(column_of("mrr.change_90d"), k, a, earlier > 0 ? (current - earlier) / earlier : nan);
    }
  }

  void account(std::int32_t a) {
    const account_table& acc = d_.accounts();
    const auto r = std::size_t(a);
    for (std::size_t k = 0; k < as_of_.size(); ++k) {
      const timestamp T = as_of_[k];
      const timestamp start = value_or(acc.start, r, no_time), end = value_or(acc.end, r, no_time);
      const timestamp renewal = value_or(acc.renewal, r, no_time);
      const timestamp until = end != no_time && end < T ? end : T;
      put(column_of("account.tenure_days"), k, a, start != no_time && start < T ? days(until - start) : nan);
      put(column_of("account.days_to_renewal"), k, a, renewal != no_time ? days(renewal - T) : nan);
      put(column_of("account.seats"), k, a, value_or(acc.seats, r, nan));
    }
  }

  const dataset& d_;
  const std::vector<timestamp>& as_of_;
  const signal_options& options_;
  std::vector<std::vector<double>>& out_;
  scratch& s_;
  const bool usage_, surveys_, tickets_, payments_, mrr_, accounts_;  // providers with a signal asked for
  const bool days_, scan30_, trend_, ttv_;                            // usage families asked for
  const bool btyd_;                                                   // btyd.* asked for, with a model
  struct month_bounds {
    timestamp begin, end;
  };
  struct mrr_months {
    month_bounds current, earlier;
  };
  std::vector<mrr_months> months_;  // per T
  payment_rows currencies_;         // only its currency_of(): the payments' currency ids
};

/// For each T, the number of events anyone used before T (the default feature catalogue of
/// DESIGN §4). An account's rows are time-sorted, so its rows at or after the latest first use
/// found so far cannot lower any event's first use: the scan stops there, usually after a few rows
/// per account, and gives the same minima as reading every row.
std::vector<double> events_used_before(const usage_table& u, std::size_t n_accounts,
                                       const std::vector<timestamp>& as_of) {
  constexpr timestamp never = std::numeric_limits<timestamp>::max();
  std::vector<timestamp> first_use(u.events.size(), never);
  timestamp bound = never;  // the latest first use found so far: never while an event is unseen
  for (std::size_t a = 0; a < n_accounts; ++a)
    for (std::int64_t i = u.index.begin(std::int32_t(a)), e = u.index.end(std::int32_t(a)); i < e; ++i) {
      const timestamp t = u.time[std::size_t(i)];
      if (t >= std::min(bound, as_of.back())) break;
      auto& f = first_use[std::size_t(u.event[std::size_t(i)])];
      if (t < f) f = t, bound = *std::max_element(first_use.begin(), first_use.end());
    }
  std::sort(first_use.begin(), first_use.end());
  std::vector<double> eligible;
  for (const timestamp T : as_of)
    eligible.push_back(double(std::lower_bound(first_use.begin(), first_use.end(), T) - first_use.begin()));
  return eligible;
}

/// Sorts (key, row) pairs by key: LSD radix sort by bytes, skipping the bytes all keys share (for
/// the bits of positive doubles of similar size, most of the exponent).
void radix_sort(std::vector<std::pair<std::uint64_t, std::uint32_t>>& v,
                std::vector<std::pair<std::uint64_t, std::uint32_t>>& buffer) {
  std::array<std::array<std::size_t, 256>, 8> counts{};
  for (const auto& x : v)
    for (std::size_t d = 0; d < 8; ++d) ++counts[d][(x.first >> (8 * d)) & 0xff];
  buffer.resize(v.size());
  for (std::size_t d = 0; d < 8; ++d) {
    auto& c = counts[d];
    if (std::find(c.begin(), c.end(), v.size()) != c.end()) continue;  // one value: nothing to reorder
    std::size_t offset = 0;
    for (auto& n : c) offset += std::exchange(n, offset);
    for (const auto& x : v) buffer[c[(x.first >> (8 * d)) & 0xff]++] = x;
    v.swap(buffer);
  }
}

/// The adoption signals (DESIGN §4 "Adoption") from the usage signals already in `all`: a second,
/// per-T pass over accounts, since depth ranks an account within its segment.
void adoption(const dataset& data, const std::vector<timestamp>& as_of, std::vector<std::vector<double>>& all) {
  const account_table& acc = data.accounts();
  const std::size_t n = data.n_accounts();
  auto& breadth = all[column_of("adoption.breadth")];
  auto& depth = all[column_of("adoption.depth")];
  auto& seats_used = all[column_of("adoption.seat_utilisation")];
  const std::vector<double> eligible =
      breadth.empty() ? std::vector<double>(as_of.size()) : events_used_before(data.usage(), n, as_of);
  // Accounts grouped by segment once (codes 0.., no_code first), in account order within each.
  std::vector<std::size_t> group_start(acc.segments.size() + 2, 0);
  std::vector<std::uint32_t> by_segment(n);
  for (std::size_t a = 0; a < n; ++a) ++group_start[std::size_t(value_or(acc.segment, a, no_code) + 2)];
  for (std::size_t g = 1; g < group_start.size(); ++g) group_start[g] += group_start[g - 1];
  {
    std::vector<std::size_t> next(group_start);
    for (std::size_t a = 0; a < n; ++a)
      by_segment[next[std::size_t(value_or(acc.segment, a, no_code) + 1)]++] = std::uint32_t(a);
  }
  std::vector<std::pair<std::uint64_t, std::uint32_t>> active, buffer;
  for (std::size_t k = 0; k < as_of.size(); ++k) {
    const std::size_t base = k * n;
    if (!breadth.empty() || !seats_used.empty())
      for (std::size_t a = 0; a < n; ++a) {
        const std::size_t row = base + a;
        if (!breadth.empty())
          breadth[row] = eligible[k] > 0 ? all[column_of("usage.features_30d")][row] / eligible[k] : nan;
        if (!seats_used.empty()) {
          const double seats = value_or(acc.seats, a, nan);
          seats_used[row] = seats > 0 ? all[column_of("usage.active_users_30d")][row] / seats : nan;
        }
      }
    if (depth.empty()) continue;
    // Mid-rank percentile within the segment: (accounts below + half of those tied) / accounts.
    // Events per active day is a positive double, so its bits order like its values and are
    // equal exactly when the values are.
    const auto& events = all[column_of("usage.events_30d")];
    const auto& active_days = all[column_of("usage.active_days_30d")];
    for (std::size_t g = 0; g + 1 < group_start.size(); ++g) {
      active.clear();
      for (std::size_t i = group_start[g]; i < group_start[g + 1]; ++i) {
        const std::size_t row = base + by_segment[i];
        if (active_days[row] > 0)
          active.push_back({std::bit_cast<std::uint64_t>(events[row] / active_days[row]), std::uint32_t(row - base)});
      }
      radix_sort(active, buffer);
      for (std::size_t i = 0; i < active.size();) {
        std::size_t j = i;
        while (j < active.size() && active[j].first == active[i].first) ++j;
        for (std::size_t r = i; r < j; ++r)
          depth[base + active[r].second] = (double(i) + double(j - i) / 2) / double(active.size());
        i = j;
      }
    }
  }
}

/// A column of `size` NaN. The result of many T is large (35 columns × T × accounts) and its first
/// touch, page by page, cost more than computing it: like numpy for its large arrays, ask Linux for
/// transparent huge pages (a hint; without them the pages are the usual ones).
std::vector<double> filled_with_nan(std::size_t size) {
  std::vector<double> v;
  v.reserve(size);
#ifdef __linux__
  constexpr std::uintptr_t huge = std::uintptr_t(1) << 21;
  const auto begin = (reinterpret_cast<std::uintptr_t>(v.data()) + huge - 1) & ~(huge - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(v.data() + size) & ~(huge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#endif
  v.assign(size, nan);
  return v;
}

/// Edit distance, for "did you mean" in the unknown-name error.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0]++;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1])});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::size_t signal_index(std::string_view name) {
  for (std::size_t i = 0; i < signal_catalog.size(); ++i)
    if (signal_catalog[i].name == name) return i;
  std::vector<std::pair<std::size_t, std::string_view>> close;
  for (const auto& s : signal_catalog) close.emplace_back(edit_distance(name, s.name), s.name);
  std::stable_sort(close.begin(), close.end(), [](auto& x, auto& y) { return x.first < y.first; });
  std::string hint;
  for (std::size_t i = 0; i < 3 && i < close.size(); ++i) hint += (i ? ", " : "") + std::string(close[i].second);
  throw invalid_input("unknown signal \"" + std::string(name) + "\": did you mean " + hint +
                      "? (custhealth.signal_catalog() lists them all)");
}

signal_frame compute_signals(const dataset& data, std::vector<timestamp> as_of, const signal_options& options) {
  if (as_of.empty()) throw invalid_input("signals: as_of is empty");
  check_threads(options.n_threads, "signals");
  for (const timestamp T : as_of)
    if (!is_plausible_time(T)) throw invalid_input("signals: as_of " + std::to_string(T) + " s is not a plausible time");
  std::vector<std::size_t> columns;
  for (const auto& name : options.names) columns.push_back(signal_index(name));
  if (options.names.empty())
    for (std::size_t i = 0; i < n_signals; ++i) columns.push_back(i);
  std::sort(as_of.begin(), as_of.end());
  as_of.erase(std::unique(as_of.begin(), as_of.end()), as_of.end());
  if (const auto& m = options.btyd) {
    if (m->model != btyd_model::bg_nbd && m->model != btyd_model::mbg_nbd && m->model != btyd_model::pareto_nbd)
      throw invalid_input("signals: the btyd model must be bg_nbd, mbg_nbd or pareto_nbd, got " +
                          std::string(to_string(m->model)));
    if (m->unit != period::day && m->unit != period::week)
      throw invalid_input("signals: the btyd model's period must be D or W (a fixed length), got " +
                          std::string(to_string(m->unit)));
    btyd::check_parameters(m->model, m->params);
  }

  // The columns asked for and those the adoption signals are computed from.
  wanted want;
  for (const std::size_t c : columns) want.column[c] = true;
  auto needs = [&](std::string_view name, std::initializer_list<std::size_t> inputs) {
    if (want.column[signal_index(name)])
      for (const std::size_t c : inputs) want.column[c] = true;
  };
  needs("adoption.breadth", {column_of("usage.features_30d")});
  needs("adoption.depth", {column_of("usage.events_30d"), column_of("usage.active_days_30d")});
  needs("adoption.seat_utilisation", {column_of("usage.active_users_30d")});

  const std::size_t n = data.n_accounts();
  std::vector<std::vector<double>> all(n_signals);
  for (std::size_t c = 0; c < n_signals; ++c)
    if (want.column[c]) all[c] = filled_with_nan(as_of.size() * n);
  auto block = [&](std::int32_t first, std::int32_t last) {
    scratch s;
    s.user_stamp.assign(data.usage().users.size(), 0);
    s.user_day.assign(data.usage().users.size(), 0);
    s.event_stamp.assign(data.usage().events.size(), 0);
    for (const auto& name : options.key_features)
      if (const auto code = data.usage().events.find(name); code != no_code) {
        s.key_feature.resize(data.usage().events.size(), 0);
        s.key_feature[std::size_t(code)] = 1;
      }
    account_sweep sweep(data, as_of, options, want, all, s);
    for (std::int32_t a = first; a < last; ++a) sweep.run(a);
  };
  // Accounts are independent and write disjoint cells: the same bits for any thread count.
  for_each_block(n, options.n_threads, [&](std::size_t first, std::size_t last) { block(std::int32_t(first), std::int32_t(last)); });

  if (want.column[column_of("adoption.breadth")] || want.column[column_of("adoption.depth")] ||
      want.column[column_of("adoption.seat_utilisation")])
    adoption(data, as_of, all);

  signal_frame out;
  out.as_of = std::move(as_of);
  out.n_accounts = n;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const std::size_t c = columns[i];
    out.names.push_back(signal_catalog[c].name);
    // Moved, unless the column is asked again later (a copy then, the last one moves).
    const bool again = std::find(columns.begin() + std::ptrdiff_t(i) + 1, columns.end(), c) != columns.end();
    out.values.push_back(again ? all[c] : std::move(all[c]));
  }
  return out;
}

}  // namespace custhealth
