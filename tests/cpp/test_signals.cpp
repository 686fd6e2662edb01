// Signals on a hand-built account, each value computed by hand from DESIGN §4's definitions.
#include "custhealth/signals/signals.hpp"

#include "custhealth/synth/generate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

using namespace custhealth;

namespace {

const timestamp T = from_civil(2024, 4, 1);  // a Monday midnight, start of April
constexpr std::int64_t day = seconds_per_day, hour = 3600;

double at(const signal_frame& f, std::string_view name, std::size_t t = 0, std::int32_t account = 0) {
  for (std::size_t j = 0; j < f.names.size(); ++j)
    if (f.names[j] == name) return f.at(j, t, account);
  ADD_FAILURE() << "no column " << name;
  return 0;
}

/// Account "a": usage on 3 days of the last week (two users), NPS 9 then 3, one CSAT 5 and one 2,
/// an urgent ticket answered after 2 h (breached) and a low one still open 1 h before T (pending),
/// payments of 10 and 30 in EUR, a refund, a decline; MRR 100 in January, 150 in March.
/// Account "b" has rows only at and after T.
dataset portfolio() {
  dataset_parts p;
  const auto a = p.account_ids.intern("a"), b = p.account_ids.intern("b");
  const auto login = p.usage.events.intern("login"), report = p.usage.events.intern("report");
  const auto u1 = p.usage.users.intern("u1"), u2 = p.usage.users.intern("u2");
  p.usage.account = column(std::vector<std::int32_t>{a, a, a, a, a, b});
  p.usage.time = column(std::vector<timestamp>{T - 40 * day, T - 6 * day, T - 6 * day + hour, T - 2 * day, T - hour, T});
  p.usage.event = column(std::vector<std::int32_t>{login, login, report, login, report, login});
  p.usage.value = column(std::vector<double>{5, 1, 2, 3, 4, 100});
  p.usage.user = column(std::vector<std::int32_t>{u1, u1, u2, u1, u1, u1});
  p.surveys.account = column(std::vector<std::int32_t>{a, a, a, a, b});
  p.surveys.time = column(std::vector<timestamp>{T - 100 * day, T - 10 * day, T - 20 * day, T - 5 * day, T + day});
  p.surveys.kind = column(std::vector<survey_kind>{survey_kind::nps, survey_kind::nps, survey_kind::csat,
                                                   survey_kind::csat, survey_kind::nps});
  p.surveys.score = column(std::vector<double>{9, 3, 5, 2, 0});
  p.tickets.account = column(std::vector<std::int32_t>{a, a});
  p.tickets.opened = column(std::vector<timestamp>{T - 3 * day, T - hour});
  p.tickets.first_response = column(std::vector<timestamp>{T - 3 * day + 2 * hour, no_time});
  p.tickets.resolved = column(std::vector<timestamp>{T - 2 * day, no_time});
  p.tickets.prio = column(std::vector<priority>{priority::urgent, priority::low});
  p.tickets.owner = column(std::vector<std::int32_t>{no_code, no_code});
  const auto eur = p.payments.currencies.intern("EUR");
  p.payments.account = column(std::vector<std::int32_t>{a, a, a, a});
  p.payments.time = column(std::vector<timestamp>{T - 10 * day, T - 9 * day, T - 8 * day, T - 60 * day});
  p.payments.type = column(std::vector<payment_type>{payment_type::payment, payment_type::payment,
                                                     payment_type::refund, payment_type::decline});
  p.payments.amount = column(std::vector<double>{10, 30, 5, 7});
  p.payments.currency = column(std::vector<std::int32_t>{eur, eur, eur, eur});
  p.mrr.account = column(std::vector<std::int32_t>{a, a});
  p.mrr.month = column(std::vector<timestamp>{from_civil(2023, 12, 1), from_civil(2024, 3, 1)});
  p.mrr.mrr = column(std::vector<double>{100, 150});
  p.accounts.account = column(std::vector<std::int32_t>{a, b});
  p.accounts.start = column(std::vector<timestamp>{T - 100 * day, T});
  p.accounts.end = column(std::vector<timestamp>{no_time, no_time});
  p.accounts.segment = p.accounts.plan = p.accounts.owner = column(std::vector<std::int32_t>{no_code, no_code});
  p.accounts.seats = column(std::vector<double>{4, std::nan("")});
  p.accounts.renewal = column(std::vector<timestamp>{T + 45 * day + 12 * hour, no_time});
  return dataset(std::move(p));
}

}  // namespace

TEST(Signals, HandComputedAccount) {
  const auto f = compute_signals(portfolio(), {T});
  EXPECT_EQ(at(f, "usage.events_7d"), 4);
  EXPECT_EQ(at(f, "usage.events_30d"), 4);
  EXPECT_EQ(at(f, "usage.events_90d"), 5);
  EXPECT_EQ(at(f, "usage.value_30d"), 1 + 2 + 3 + 4);
  EXPECT_EQ(at(f, "usage.active_days_7d"), 3);  // T − 6 d (twice), T − 2 d, T − 1 h
  EXPECT_EQ(at(f, "usage.active_users_30d"), 2);
  EXPECT_EQ(at(f, "usage.features_30d"), 2);
  EXPECT_DOUBLE_EQ(at(f, "usage.days_since_last"), 1.0 / 24);
  // (u1, T−6d), (u2, T−6d), (u1, T−2d), (u1, T−1d): 4 pairs / 30 / 2 users.
  EXPECT_DOUBLE_EQ(at(f, "usage.dau_mau"), 4.0 / 30 / 2);
  // Weekly counts 0,0,1,0,0,0,0,4 (T−40 d lies in week 3 of 8): pair slopes have median 0.
  EXPECT_EQ(at(f, "usage.trend_8w"), 0.0);
  EXPECT_EQ(at(f, "adoption.breadth"), 1.0);            // login and report, of the two events in use
  EXPECT_EQ(at(f, "adoption.depth"), 0.5);              // the only active account of its segment
  EXPECT_EQ(at(f, "adoption.seat_utilisation"), 0.5);   // 2 users, 4 seats
  EXPECT_EQ(at(f, "nps.last"), 3);
  EXPECT_EQ(at(f, "nps.n_180d"), 2);
  EXPECT_EQ(at(f, "nps.score_180d"), 0.0);      // one promoter, one detractor
  EXPECT_EQ(at(f, "csat.rate_90d"), 50.0);      // 5 of {5, 2} in the top two boxes
  EXPECT_TRUE(std::isnan(at(f, "ces.mean_90d")));
  EXPECT_EQ(at(f, "support.tickets_30d"), 2);
  EXPECT_EQ(at(f, "support.open"), 1);
  EXPECT_EQ(at(f, "support.open_high"), 0);
  EXPECT_EQ(at(f, "support.sla_breaches_30d"), 1);  // urgent answered after 2 h > 1 h
  EXPECT_EQ(at(f, "support.sla_met_rate_90d"), 0);  // the low ticket is pending
  EXPECT_EQ(at(f, "payments.volume_30d"), 40);
  EXPECT_EQ(at(f, "payments.refund_rate_90d"), 0.5);
  EXPECT_EQ(at(f, "payments.chargeback_ratio_90d"), 0);
  EXPECT_EQ(at(f, "payments.decline_rate_30d"), 0) << "the decline is 60 days old";
  EXPECT_EQ(at(f, "mrr.current"), 150);                  // March, the month of T − 1 s
  EXPECT_EQ(at(f, "mrr.change_90d"), 0.5);               // December: 100
  EXPECT_EQ(at(f, "account.tenure_days"), 100);
  EXPECT_EQ(at(f, "account.days_to_renewal"), 45.5);
  EXPECT_EQ(at(f, "account.seats"), 4);
}

TEST(Signals, TimeToValueFromTheModelsKeyFeatures) {
  signal_options o;
  o.names = {"adoption.time_to_value_days"};
  EXPECT_TRUE(std::isnan(compute_signals(portfolio(), {T}, o).at(0, 0, 0)));  // no key features
  o.key_features = {"report", "not_an_event"};
  const auto f = compute_signals(portfolio(), {T - 7 * day, T}, o);
  EXPECT_TRUE(std::isnan(f.at(0, 0, 0)));              // the first report (T − 6 d + 1 h) is later
  EXPECT_DOUBLE_EQ(f.at(0, 1, 0), 94 + 1.0 / 24);       // start T − 100 d
}

TEST(Signals, RowsAtOrAfterTDoNotCount) {
  const auto f = compute_signals(portfolio(), {T});
  EXPECT_EQ(at(f, "usage.events_7d", 0, 1), 0);
  EXPECT_TRUE(std::isnan(at(f, "usage.days_since_last", 0, 1)));
  EXPECT_TRUE(std::isnan(at(f, "nps.last", 0, 1)));
  EXPECT_EQ(at(f, "nps.n_180d", 0, 1), 0);
  EXPECT_TRUE(std::isnan(at(f, "mrr.current", 0, 1)));
  EXPECT_TRUE(std::isnan(at(f, "account.tenure_days", 0, 1)));  // starts at T
  EXPECT_TRUE(std::isnan(at(f, "adoption.depth", 0, 1)));       // not active
  EXPECT_TRUE(std::isnan(at(f, "adoption.seat_utilisation", 0, 1)));  // no seats
}

TEST(Signals, ManyTimesEqualOneAtATimeAndThreadsChangeNothing) {
  const auto d = portfolio();
  const std::vector<timestamp> times{T + 40 * day, T - 7 * day, T, T - 7 * day, T - 95 * day};
  signal_options two;
  two.n_threads = 2;
  const auto all = compute_signals(d, times), threaded = compute_signals(d, times, two);
  ASSERT_EQ(all.as_of, (std::vector<timestamp>{T - 95 * day, T - 7 * day, T, T + 40 * day}));
  ASSERT_EQ(all.values.size(), threaded.values.size());
  for (std::size_t j = 0; j < all.values.size(); ++j)  // bit for bit, NaN included
    EXPECT_EQ(std::memcmp(all.values[j].data(), threaded.values[j].data(), all.values[j].size() * sizeof(double)), 0);
  for (std::size_t t = 0; t < all.as_of.size(); ++t) {
    const auto one = compute_signals(d, {all.as_of[t]});
    for (std::size_t j = 0; j < all.names.size(); ++j)
      for (std::int32_t a = 0; a < 2; ++a) {
        const double x = all.at(j, t, a), y = one.at(j, 0, a);
        EXPECT_TRUE(x == y || (std::isnan(x) && std::isnan(y))) << all.names[j] << " at " << t;
      }
  }
}

// Only the asked signals (and those adoption derives from) are computed: each one alone, and a
// subset, must be the bits of the whole catalogue. A generated portfolio at monthly and daily T
// (windows that slide by a month and by a day) and at a T before all data.
TEST(Signals, AskedSubsetsEqualTheWholeCatalogue) {
  generate_options g;
  g.n_accounts = 300, g.days = 400, g.seed = 5;
  const dataset d = generate(g).data;
  std::vector<timestamp> times{from_civil(2023, 1, 1), from_civil(2024, 6, 17) + 13 * hour + 45 * 60 + 10};
  for (int m = 1; m <= 12; ++m) times.push_back(from_civil(2024, m, 1));
  for (int k = 0; k < 10; ++k) times.push_back(from_civil(2024, 9, 3) + k * day);
  signal_options options;
  options.key_features = {"export"};
  const auto whole = compute_signals(d, times, options);
  auto same_bits = [](const std::vector<double>& x, const std::vector<double>& y) {
    return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(double)) == 0;
  };
  for (std::size_t j = 0; j < n_signals; ++j) {
    options.names = {std::string(signal_catalog[j].name)};
    const auto alone = compute_signals(d, times, options);
    ASSERT_EQ(alone.values.size(), 1u);
    EXPECT_TRUE(same_bits(alone.values[0], whole.values[j])) << signal_catalog[j].name;
  }
  options.names = {"adoption.depth", "usage.trend_8w", "nps.last", "adoption.depth"};
  const auto some = compute_signals(d, times, options);
  ASSERT_EQ(some.values.size(), 4u);
  for (std::size_t i = 0; i < some.values.size(); ++i)
    EXPECT_TRUE(same_bits(some.values[i], whole.values[signal_index(some.names[i])])) << some.names[i];
}

TEST(Signals, BadArguments) {
  const auto d = portfolio();
  signal_options o;
  o.names = {"usage.events_30"};
  EXPECT_THAT([&] { compute_signals(d, {T}, o); },
              ::testing::ThrowsMessage<invalid_input>(::testing::HasSubstr("did you mean usage.events_30d")));
  o.names = {"nps.last", "usage.events_7d"};
  const auto f = compute_signals(d, {T}, o);
  EXPECT_EQ(f.names, (std::vector<std::string_view>{"nps.last", "usage.events_7d"}));
  o.n_threads = 0;
  EXPECT_THROW(compute_signals(d, {T}, o), invalid_input);
  EXPECT_THROW(compute_signals(d, {}), invalid_input);
}

TEST(Signals, EscalationAndVolumeTrendSignals) {
  // An urgent ticket opened T − 5 d and still open, a high one opened T − 2 d and resolved T − 1 d,
  // an NPS 4 at T − 3 d; payments of 100 and 50 in [T − 60 d, T − 30 d) and 60 after.
  dataset_parts p;
  const auto a = p.account_ids.intern("a");
  p.surveys.account = column(std::vector<std::int32_t>{a});
  p.surveys.time = column(std::vector<timestamp>{T - 3 * day});
  p.surveys.kind = column(std::vector<survey_kind>{survey_kind::nps});
  p.surveys.score = column(std::vector<double>{4});
  p.tickets.account = column(std::vector<std::int32_t>{a, a});
  p.tickets.opened = column(std::vector<timestamp>{T - 5 * day, T - 2 * day});
  p.tickets.first_response = column(std::vector<timestamp>{no_time, no_time});
  p.tickets.resolved = column(std::vector<timestamp>{no_time, T - day});
  p.tickets.prio = column(std::vector<priority>{priority::urgent, priority::high});
  p.tickets.owner = column(std::vector<std::int32_t>{no_code, no_code});
  const auto eur = p.payments.currencies.intern("EUR");
  p.payments.account = column(std::vector<std::int32_t>{a, a, a});
  p.payments.time = column(std::vector<timestamp>{T - 45 * day, T - 40 * day, T - 10 * day});
  p.payments.type = column(std::vector<payment_type>(3, payment_type::payment));
  p.payments.amount = column(std::vector<double>{100, 50, 60});
  p.payments.currency = column(std::vector<std::int32_t>(3, eur));
  const dataset data(std::move(p));
  const auto f = compute_signals(data, {T - 3 * day, T});
  EXPECT_EQ(at(f, "nps.days_since_last", 1), 3);
  EXPECT_TRUE(std::isnan(at(f, "nps.days_since_last", 0))) << "the answer is at T − 3 d, not before";
  EXPECT_EQ(at(f, "support.open_high_age_days", 1), 5);  // the urgent one; the high one is resolved
  EXPECT_EQ(at(f, "support.open_high_age_days", 0), 2);
  EXPECT_DOUBLE_EQ(at(f, "payments.volume_change_30d", 1), (60.0 - 150.0) / 150.0);
  // At T − 3 d the earlier window [T − 63 d, T − 33 d) holds both old payments, the later the 60.
  EXPECT_DOUBLE_EQ(at(f, "payments.volume_change_30d", 0), (60.0 - 150.0) / 150.0);
}

TEST(Signals, BtydSignalsFromThePaymentPeriodsBeforeT) {
  // Account "a" paid at T − 10 d and T − 9 d (a Friday and a Saturday of one week; the refund and the
  // decline are no purchases). Daily periods: x = 1, tₓ = 1, T = 10; weekly: x = 0, tₓ = 0, T = 2.
  const dataset data = portfolio();
  const double r = 0.243, alpha = 4.414, a = 0.793, b = 2.426;
  signal_options o;
  o.names = {"btyd.p_alive", "btyd.expected_purchases_90d"};
  o.btyd = btyd_signal_model{btyd_model::bg_nbd, {r, alpha, a, b}, period::day};
  auto f = compute_signals(data, {T}, o);
  // Hardie's note 021: P(alive) = 1 / (1 + a/(b + x − 1)·((α + T)/(α + tₓ))^{r + x}), here x = 1.
  EXPECT_NEAR(at(f, "btyd.p_alive"), 1 / (1 + a / b * std::pow((alpha + 10) / (alpha + 1), r + 1)), 1e-14);
  EXPECT_TRUE(std::isnan(at(f, "btyd.p_alive", 0, 1))) << "b has no payment before T";
  // x = 0: E = (a + b − 1)/(a − 1)·[1 − ((α+T)/(α+T+t))^r ₂F₁(r, b; a+b−1; t/(α+T+t))], the ₂F₁ by its series.
  o.btyd->unit = period::week;
  f = compute_signals(data, {T}, o);
  EXPECT_EQ(at(f, "btyd.p_alive"), 1.0);
  const double t = 90.0 / 7, z = t / (alpha + 2 + t);
  double sum = 1, term = 1;
  for (int k = 0; k < 200; ++k) sum += term *= (r + k) * (b + k) / ((a + b - 1 + k) * (k + 1)) * z;
  const double expected = (a + b - 1) / (a - 1) * (1 - std::pow((alpha + 2) / (alpha + 2 + t), r) * sum);
  EXPECT_NEAR(at(f, "btyd.expected_purchases_90d"), expected, 1e-12);
  // Without a model: NaN; a model with a month period is refused.
  o.btyd.reset();
  EXPECT_TRUE(std::isnan(at(compute_signals(data, {T}, o), "btyd.p_alive")));
  o.btyd = btyd_signal_model{btyd_model::bg_nbd, {r, alpha, a, b}, period::month};
  EXPECT_THROW(compute_signals(data, {T}, o), invalid_input);
}
