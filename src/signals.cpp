// src/signals.cpp — the per-table signal providers and the sweep over accounts: each account's rows
// of each table are walked once, with one cursor per window edge advancing as T grows.

#include "custhealth/signals/signals.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "custhealth/feedback/survey.hpp"
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

/// A cursor over one account's time-sorted rows: the first row at or after a moment that only
/// grows, so all the T of a sweep cost one pass per window edge.
class cursor {
 public:
  cursor() = default;
  cursor(const timestamp* times, std::int64_t begin, std::int64_t end) : t_(times), i_(begin), end_(end) {}
  std::int64_t advance_to(timestamp moment) noexcept {
    while (i_ < end_ && t_[i_] < moment) ++i_;
    return i_;
  }

 private:
  const timestamp* t_ = nullptr;
  std::int64_t i_ = 0, end_ = 0;
};

/// Calls f(k, T, hi, lo) for every as-of time T = as_of[k] (ascending) with the account's rows
/// [begin, hi) before T and lo[w] the first of them inside the window of window_days[w] days.
template <std::size_t N, class F>
void each_as_of(const timestamp* t, std::int64_t begin, std::int64_t end, const std::vector<timestamp>& as_of,
                const std::array<std::int64_t, N>& window_days, F&& f) {
  cursor before(t, begin, end);
  std::array<cursor, N> from{};
  from.fill(cursor(t, begin, end));
  for (std::size_t k = 0; k < as_of.size(); ++k) {
    const timestamp T = as_of[k];
    std::array<std::int64_t, N> lo{};
    for (std::size_t w = 0; w < N; ++w) lo[w] = from[w].advance_to(T - window_days[w] * seconds_per_day);
    f(k, T, before.advance_to(T), lo);
  }
}

/// The first row of [begin, end) at or after `moment` (for the trend's eight week edges).
std::int64_t first_at_or_after(const timestamp* t, std::int64_t begin, std::int64_t end, timestamp moment) {
  return std::lower_bound(t + begin, t + end, moment) - t;
}

/// Row r of an optional column, or `absent` when the column is (a table loaded without it).
template <class T>
T value_or(const column<T>& c, std::size_t r, T absent) noexcept {
  return c.empty() ? absent : c[r];
}

double days(std::int64_t seconds) { return static_cast<double>(seconds) / static_cast<double>(seconds_per_day); }

/// Sen (1968), "Estimates of the regression coefficient based on Kendall's tau": the median of the
/// pairwise slopes (c_j − c_i)/(j − i) of weekly counts (per week), as scipy.stats.theilslopes.
double theil_sen_slope(const std::array<double, 8>& c) {
  std::array<double, 28> slopes{};
  std::size_t k = 0;
  for (std::size_t i = 0; i < c.size(); ++i)
    for (std::size_t j = i + 1; j < c.size(); ++j) slopes[k++] = (c[j] - c[i]) / double(j - i);
  std::sort(slopes.begin(), slopes.end());
  return (slopes[13] + slopes[14]) / 2;
}

/// Per-thread scratch: "last seen" stamps per user and per event, so a window's distinct users,
/// events and (user, day) pairs cost one pass over its rows and no clearing.
struct scratch {
  std::vector<std::uint64_t> user_stamp, event_stamp;
  std::vector<std::int64_t> user_day;
  std::vector<std::int32_t> new_day_prefix;
  std::vector<char> key_feature;  // per event code: one of signal_options::key_features
  std::vector<std::pair<timestamp, bool>> resolved;  // an account's resolution times, high/urgent
  std::uint64_t stamp = 0;
};

/// Writes the signals of one account at every T.
class account_sweep {
 public:
  account_sweep(const dataset& data, const std::vector<timestamp>& as_of, const signal_options& options,
                std::vector<std::vector<double>>& out, scratch& s)
      : d_(data), as_of_(as_of), options_(options), out_(out), s_(s) {}

  void run(std::int32_t a) {
    usage(a), surveys(a), tickets(a), payments(a), mrr(a), account(a);
  }

 private:
  void put(std::size_t column, std::size_t t, std::int32_t a, double v) {
    out_[column][t * d_.n_accounts() + std::size_t(a)] = v;
  }

  void usage(std::int32_t a) {
    const usage_table& u = d_.usage();
    const std::int64_t b = u.index.begin(a), e = u.index.end(a);
    const timestamp* t = u.time.data();
    // new_day_prefix[k]: rows among the account's first k that start a new day, so the distinct
    // days of rows [lo, hi) are 1 + prefix[hi] − prefix[lo + 1] (rows are time-sorted).
    auto& prefix = s_.new_day_prefix;
    prefix.assign(std::size_t(e - b + 1), 0);
    for (std::int64_t i = b; i < e; ++i)
      prefix[std::size_t(i - b + 1)] =
          prefix[std::size_t(i - b)] + (i == b || day_number(t[i]) != day_number(t[i - 1]) ? 1 : 0);
    auto distinct_days = [&](std::int64_t lo, std::int64_t hi) -> double {
      return hi > lo ? 1 + prefix[std::size_t(hi - b)] - prefix[std::size_t(lo - b + 1)] : 0;
    };
    const bool has_users = !u.user.empty();
    // The first use of a key feature (rows are time-sorted, so the first one found).
    timestamp first_value = no_time;
    if (!s_.key_feature.empty())
      for (std::int64_t i = b; i < e; ++i)
        if (s_.key_feature[std::size_t(u.event[std::size_t(i)])]) {
          first_value = t[i];
          break;
        }
    const timestamp start = value_or(d_.accounts().start, std::size_t(a), no_time);
    each_as_of<3>(t, b, e, as_of_, {7, 30, 90}, [&](std::size_t k, timestamp T, std::int64_t hi, const auto& lo) {
      const auto [lo7, lo30, lo90] = lo;
      put(column_of("usage.events_7d"), k, a, double(hi - lo7));
      put(column_of("usage.events_30d"), k, a, double(hi - lo30));
      put(column_of("usage.events_90d"), k, a, double(hi - lo90));
      put(column_of("usage.active_days_7d"), k, a, distinct_days(lo7, hi));
      put(column_of("usage.active_days_30d"), k, a, distinct_days(lo30, hi));
      put(column_of("usage.active_days_90d"), k, a, distinct_days(lo90, hi));
      put(column_of("usage.days_since_last"), k, a, hi > b ? days(T - t[hi - 1]) : nan);
      put(column_of("adoption.time_to_value_days"), k, a,
          first_value != no_time && first_value < T && start != no_time ? days(first_value - start) : nan);

      double value = 0;
      std::int64_t users = 0, features = 0, user_days = 0;
      const std::uint64_t stamp = ++s_.stamp;
      for (std::int64_t i = lo30; i < hi; ++i) {
        value += value_or(u.value, std::size_t(i), 1.0);
        const auto ev = std::size_t(u.event[std::size_t(i)]);
        if (s_.event_stamp[ev] != stamp) s_.event_stamp[ev] = stamp, ++features;
        if (!has_users || u.user[std::size_t(i)] == no_code) continue;
        const auto user = std::size_t(u.user[std::size_t(i)]);
        const std::int64_t day = day_number(t[i]);
        if (s_.user_stamp[user] != stamp) {
          s_.user_stamp[user] = stamp, s_.user_day[user] = day, ++users, ++user_days;
        } else if (s_.user_day[user] != day) {  // days only grow along the rows
          s_.user_day[user] = day, ++user_days;
        }
      }
      put(column_of("usage.value_30d"), k, a, value);
      put(column_of("usage.features_30d"), k, a, double(features));
      put(column_of("usage.active_users_30d"), k, a, has_users ? double(users) : nan);
      put(column_of("usage.dau_mau"), k, a,
          has_users && users > 0 ? double(user_days) / 30.0 / double(users) : nan);

      std::array<double, 8> weeks{};
      std::int64_t edge = first_at_or_after(t, b, hi, T - 56 * seconds_per_day);
      double total = 0;
      for (std::size_t w = 0; w < weeks.size(); ++w) {
        const std::int64_t next = first_at_or_after(t, edge, hi, T - std::int64_t(7 - w) * 7 * seconds_per_day);
        weeks[w] = double(next - edge), total += weeks[w], edge = next;
      }
      put(column_of("usage.trend_8w"), k, a, total > 0 ? theil_sen_slope(weeks) / (total / 8) : nan);
    });
  }

  void surveys(std::int32_t a) {
    const survey_table& s = d_.surveys();
    const std::int64_t b = s.index.begin(a), e = s.index.end(a);
    const timestamp* t = s.time.data();
    std::int64_t seen = b, last_nps = -1;
    each_as_of<2>(t, b, e, as_of_, {90, 180}, [&](std::size_t k, timestamp, std::int64_t hi, const auto& lo) {
      const auto [lo90, lo180] = lo;
      for (; seen < hi; ++seen)
        if (s.kind[std::size_t(seen)] == survey_kind::nps) last_nps = seen;
      nps_summary nps;
      csat_summary csat(d_.csat_scale());
      ces_summary ces;
      for (std::int64_t i = lo180; i < hi; ++i) {
        const int score = static_cast<int>(s.score[std::size_t(i)]);  // validated integers
        const survey_kind kind = s.kind[std::size_t(i)];
        if (kind == survey_kind::nps) nps.add_unchecked(score);
        if (i < lo90) continue;
        if (kind == survey_kind::csat) csat.add_unchecked(score);
        if (kind == survey_kind::ces) ces.add_unchecked(score);
      }
      put(column_of("nps.last"), k, a, last_nps >= 0 ? s.score[std::size_t(last_nps)] : nan);
      put(column_of("nps.score_180d"), k, a, nps.score());
      put(column_of("nps.n_180d"), k, a, double(nps.n()));
      put(column_of("csat.rate_90d"), k, a, csat.score());
      put(column_of("ces.mean_90d"), k, a, ces.mean());
    });
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
    each_as_of<2>(t, b, e, as_of_, {30, 90}, [&](std::size_t k, timestamp T, std::int64_t hi, const auto& lo) {
      const auto [lo30, lo90] = lo;
      for (; opened_before < hi; ++opened_before) high_opened += high(std::size_t(opened_before));
      for (; resolved_before < resolved.size() && resolved[resolved_before].first < T; ++resolved_before)
        ++resolved_all, high_resolved += resolved[resolved_before].second;
      const std::int64_t open = (hi - b) - resolved_all, open_high = high_opened - high_resolved;
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
      put(column_of("support.sla_breaches_30d"), k, a, double(breaches));
      put(column_of("support.sla_met_rate_90d"), k, a, met + breached > 0 ? double(met) / double(met + breached) : nan);
    });
  }

  void payments(std::int32_t a) {
    const payment_table& p = d_.payments();
    const std::int64_t b = p.index.begin(a), e = p.index.end(a);
    const timestamp* t = p.time.data();
    each_as_of<2>(t, b, e, as_of_, {30, 90}, [&](std::size_t k, timestamp, std::int64_t hi, const auto& lo) {
      const auto [lo30, lo90] = lo;
      payment_counts last30, last90;
      std::int32_t currency = no_code;
      bool several_currencies = false;
      for (std::int64_t i = lo90; i < hi; ++i) {
        const auto r = std::size_t(i);
        last90.add(p.type[r], p.amount[r]);
        if (i < lo30) continue;
        last30.add(p.type[r], p.amount[r]);
        if (p.type[r] != payment_type::payment || p.currency.empty()) continue;
        if (currency != no_code && p.currency[r] != currency) several_currencies = true;
        currency = p.currency[r];
      }
      put(column_of("payments.volume_30d"), k, a, several_currencies ? nan : last30.amount(payment_type::payment));
      put(column_of("payments.refund_rate_90d"), k, a, last90.refund_rate());
      put(column_of("payments.chargeback_ratio_90d"), k, a, last90.chargeback_ratio());
      put(column_of("payments.decline_rate_30d"), k, a, last30.decline_rate());
    });
  }

  void mrr(std::int32_t a) {
    const mrr_table& m = d_.mrr();
    const std::int64_t b = m.index.begin(a), e = m.index.end(a);
    const timestamp* t = m.month.data();
    // The MRR of month index `month` from the rows [b, hi): its row, else 0 after a paid month,
    // else NaN (never paid).
    auto mrr_of = [&](std::int64_t month, std::int64_t hi) {
      bool paid_before = false;
      for (std::int64_t i = b; i < hi; ++i) {
        const std::int64_t mi = period_index(t[i], period::month);
        if (mi == month) return m.mrr[std::size_t(i)];
        if (mi > month) break;
        paid_before |= m.mrr[std::size_t(i)] > 0;
      }
      return paid_before ? 0.0 : nan;
    };
    each_as_of<0>(t, b, e, as_of_, {}, [&](std::size_t k, timestamp T, std::int64_t hi, const auto&) {
      const std::int64_t month = period_index(T - 1, period::month);
      const double current = mrr_of(month, hi), earlier = mrr_of(month - 3, hi);
      put(column_of("mrr.current"), k, a, current);
      put(column_of("mrr.change_90d"), k, a, earlier > 0 ? (current - earlier) / earlier : nan);
    });
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
};

/// The adoption signals (DESIGN §4 "Adoption") from the usage signals already in `all`: a second,
/// per-T pass over accounts, since depth ranks an account within its segment.
void adoption(const dataset& data, const std::vector<timestamp>& as_of, std::vector<std::vector<double>>& all) {
  const usage_table& u = data.usage();
  const account_table& acc = data.accounts();
  const std::size_t n = data.n_accounts();
  // Eligible features at T: the events anyone used before T (the default catalogue of DESIGN §4).
  std::vector<timestamp> first_use(u.events.size(), std::numeric_limits<timestamp>::max());
  for (std::size_t r = 0; r < u.size(); ++r)
    first_use[std::size_t(u.event[r])] = std::min(first_use[std::size_t(u.event[r])], u.time[r]);
  std::sort(first_use.begin(), first_use.end());
  const auto& events = all[column_of("usage.events_30d")];
  const auto& active_days = all[column_of("usage.active_days_30d")];
  const auto& features = all[column_of("usage.features_30d")];
  const auto& users = all[column_of("usage.active_users_30d")];
  auto& breadth = all[column_of("adoption.breadth")];
  auto& depth = all[column_of("adoption.depth")];
  auto& seats_used = all[column_of("adoption.seat_utilisation")];
  struct ranked {
    std::int32_t segment;
    double per_day;
    std::size_t row;
  };
  std::vector<ranked> active;
  for (std::size_t k = 0; k < as_of.size(); ++k) {
    const auto eligible =
        double(std::lower_bound(first_use.begin(), first_use.end(), as_of[k]) - first_use.begin());
    active.clear();
    for (std::size_t a = 0; a < n; ++a) {
      const std::size_t row = k * n + a;
      breadth[row] = eligible > 0 ? features[row] / eligible : nan;
      const double seats = value_or(acc.seats, a, nan);
      seats_used[row] = seats > 0 ? users[row] / seats : nan;
      if (active_days[row] > 0)
        active.push_back({value_or(acc.segment, a, no_code), events[row] / active_days[row], row});
    }
    // Mid-rank percentile within the segment: (accounts below + half of those tied) / accounts.
    std::sort(active.begin(), active.end(), [](const ranked& x, const ranked& y) {
      return x.segment != y.segment ? x.segment < y.segment : x.per_day < y.per_day;
    });
    for (std::size_t lo = 0; lo < active.size();) {
      std::size_t hi = lo;
      while (hi < active.size() && active[hi].segment == active[lo].segment) ++hi;
      for (std::size_t i = lo; i < hi;) {
        std::size_t j = i;
        while (j < hi && active[j].per_day == active[i].per_day) ++j;
        for (std::size_t t = i; t < j; ++t) depth[active[t].row] = (double(i - lo) + double(j - i) / 2) / double(hi - lo);
        i = j;
      }
      lo = hi;
    }
  }
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
  if (options.n_threads < 1) throw invalid_input("signals: n_threads must be ≥ 1, got " + std::to_string(options.n_threads));
  for (const timestamp T : as_of)
    if (!is_plausible_time(T)) throw invalid_input("signals: as_of " + std::to_string(T) + " s is not a plausible time");
  std::vector<std::size_t> columns;
  for (const auto& name : options.names) columns.push_back(signal_index(name));
  if (options.names.empty())
    for (std::size_t i = 0; i < n_signals; ++i) columns.push_back(i);
  std::sort(as_of.begin(), as_of.end());
  as_of.erase(std::unique(as_of.begin(), as_of.end()), as_of.end());

  const std::size_t n = data.n_accounts();
  std::vector<std::vector<double>> all(n_signals, std::vector<double>(as_of.size() * n, nan));
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
    account_sweep sweep(data, as_of, options, all, s);
    for (std::int32_t a = first; a < last; ++a) sweep.run(a);
  };
  const auto threads = std::int32_t(std::min<std::size_t>(std::size_t(options.n_threads), std::max<std::size_t>(n, 1)));
  if (threads == 1) {
    block(0, std::int32_t(n));
  } else {  // accounts are independent and write disjoint cells: the same bits as one thread
    std::vector<std::thread> pool;
    for (std::int32_t i = 0; i < threads; ++i)
      pool.emplace_back(block, std::int32_t(n * std::size_t(i) / std::size_t(threads)),
                        std::int32_t(n * std::size_t(i + 1) / std::size_t(threads)));
    for (auto& th : pool) th.join();
  }

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
