// tests/cpp/test_payments_quality.cpp — payments quality (custhealth/payments/quality.hpp): rates
// by hand, threshold flags, exact merges of counts and volumes in any order, every bad input.
#include "custhealth/payments/quality.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "expect.hpp"

namespace {

using namespace custhealth;
using custhealth::test::invalid_input_message;
using ::testing::HasSubstr;

const std::vector<std::string> merchants{"m1", "m2"};

struct payment_data {
  std::vector<timestamp> time;
  std::vector<payment_type> type;
  std::vector<double> amount;
  std::vector<std::int32_t> merchant;

  void add(timestamp t, payment_type y, double a, std::int32_t m) {
    time.push_back(t), type.push_back(y), amount.push_back(a), merchant.push_back(m);
  }
  payment_rows rows() const {
    return {time,
            std::span<const payment_type>(type),
            amount,
            {{"account_id", std::span<const std::int32_t>(merchant), {}, merchants}},
            {},
            {}};
  }
};


payment_data random_payments(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<timestamp> time(from_civil(2024, 1, 1), from_civil(2024, 12, 31));
  std::discrete_distribution<int> type({90, 4, 1, 4, 1});
  std::uniform_int_distribution<int> cents(1, 500'000), merchant(0, 1);
  payment_data d;
  for (std::size_t i = 0; i < n; ++i)
    d.add(time(rng), static_cast<payment_type>(type(rng)), cents(rng) / 100.0, merchant(rng));
  return d;
}

}  // namespace

TEST(PaymentsQuality, HandCalculatedRatesPerMerchantMonth) {
  payment_data d;
  const timestamp jan = from_civil(2024, 1, 5), feb = from_civil(2024, 2, 5);
  for (int i = 0; i < 200; ++i) d.add(jan, payment_type::payment, 50.0, 0);  // 200 payments, 10,000
  d.add(jan, payment_type::refund, 100.0, 0);
  d.add(jan, payment_type::refund, 150.0, 0);
  d.add(jan, payment_type::chargeback, 50.0, 0);  // 1 / 200 = 0.5 %: ok
  for (int i = 0; i < 50; ++i) d.add(jan, payment_type::decline, 20.0, 0);
  d.add(jan, payment_type::cancellation, 0.0, 0);
  d.add(feb, payment_type::chargeback, 10.0, 1);  // no payments: the ratio is undefined
  const auto got = payments_by(d.rows(), {period::month});
  ASSERT_EQ(got.size(), 2u);
  const auto& m1 = got.values[0];
  EXPECT_EQ(got.keys.label(0, 0), "m1");
  EXPECT_EQ(m1.payments(), 200);
  EXPECT_DOUBLE_EQ(m1.amount(payment_type::payment), 10'000.0);
  EXPECT_DOUBLE_EQ(m1.refund_rate(), 2.0 / 200.0);
  EXPECT_DOUBLE_EQ(m1.refund_amount_rate(), 250.0 / 10'000.0);
  EXPECT_DOUBLE_EQ(m1.chargeback_ratio(), 0.005);
  EXPECT_DOUBLE_EQ(m1.decline_rate(), 50.0 / 250.0);
  EXPECT_EQ(m1.cancellations(), 1);
  EXPECT_DOUBLE_EQ(m1.cancellation_rate(), 1.0 / 200.0);
  EXPECT_EQ(chargeback_flag(m1), payment_flag::ok);
  const auto& m2 = got.values[1];
  EXPECT_EQ(got.keys.label(0, 1), "m2");
  EXPECT_EQ(format_date(got.keys.start[1]), "2024-02-01");
  EXPECT_TRUE(std::isnan(m2.chargeback_ratio()));
  EXPECT_TRUE(std::isnan(m2.refund_amount_rate()));
  EXPECT_TRUE(std::isnan(m2.decline_rate()));
  EXPECT_EQ(chargeback_flag(m2), payment_flag::none);
  EXPECT_EQ(to_string(chargeback_flag(m2)), "none");
}

TEST(PaymentsQuality, ChargebackFlagsAtTheThresholds) {
  auto with_ratio = [](int chargebacks, int payments) {
    payment_counts c;
    for (int i = 0; i < payments; ++i) c.add(payment_type::payment, 1.0);
    for (int i = 0; i < chargebacks; ++i) c.add(payment_type::chargeback, 1.0);
    return c;
  };
  EXPECT_EQ(chargeback_flag(with_ratio(64, 10'000)), payment_flag::ok);       // 0.64 %
  EXPECT_EQ(chargeback_flag(with_ratio(65, 10'000)), payment_flag::warning);  // 0.65 %: early warning
  EXPECT_EQ(chargeback_flag(with_ratio(89, 10'000)), payment_flag::warning);
  EXPECT_EQ(chargeback_flag(with_ratio(90, 10'000)), payment_flag::breach);  // 0.9 %: breach
  const payment_thresholds strict{0.001, 0.002};
  EXPECT_EQ(chargeback_flag(with_ratio(2, 1'000), strict), payment_flag::breach);
  EXPECT_THROW((payment_thresholds{0.02, 0.01}.validate()), invalid_input);
  EXPECT_THROW((payment_thresholds{-0.1, 0.01}.validate()), invalid_input);
  EXPECT_NO_THROW(payment_thresholds{}.validate());
}

TEST(PaymentsQuality, MergeIsExactInAnyOrderAndSplit) {
  const auto d = random_payments(20'000, 5);
  const auto whole = payments_by(d.rows(), {period::month});
  auto part = [&](std::size_t lo, std::size_t hi) {
    payment_data p;
    for (std::size_t i = lo; i < hi; ++i) p.add(d.time[i], d.type[i], d.amount[i], d.merchant[i]);
    return payments_by(p.rows(), {period::month});
  };
  const auto a = part(0, 3'333), b = part(3'333, 12'000), c = part(12'000, 20'000);
  // Counts are integers; volumes are compensated sums, equal to the last bit here.
  EXPECT_EQ((a + b) + c, whole);
  EXPECT_EQ(a + (b + c), whole);
  EXPECT_EQ(c + a + b, whole);
  std::vector<std::size_t> order(d.time.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(9));
  payment_data shuffled;
  for (auto i : order) shuffled.add(d.time[i], d.type[i], d.amount[i], d.merchant[i]);
  EXPECT_EQ(payments_by(shuffled.rows(), {period::month}), whole);
  // And the volume is the correctly rounded sum (long double reference, sorted ascending).
  std::vector<double> paid;
  for (std::size_t i = 0; i < d.time.size(); ++i)
    if (d.merchant[i] == 0 && d.type[i] == payment_type::payment &&
        period_index(d.time[i], period::month) == period_index(whole.keys.start[0], period::month))
      paid.push_back(d.amount[i]);
  std::sort(paid.begin(), paid.end());
  long double exact = 0;
  for (double x : paid) exact += x;
  EXPECT_EQ(whole.values[0].amount(payment_type::payment), static_cast<double>(exact));
  EXPECT_EQ(whole.values[0].payments(), std::int64_t(paid.size()));
}

TEST(PaymentsQuality, WindowAndAsOf) {
  const auto d = random_payments(5'000, 6);
  const timestamp as_of = from_civil(2024, 7, 1);
  const auto w = payments_by(d.rows(), {std::nullopt, as_of, 90});
  std::array<std::int64_t, 2> want{};
  for (std::size_t i = 0; i < d.time.size(); ++i)
    if (d.time[i] >= as_of - 90 * seconds_per_day && d.time[i] < as_of) ++want[std::size_t(d.merchant[i])];
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(w.keys.start[0], as_of - 90 * seconds_per_day);
  for (std::size_t m = 0; m < 2; ++m) {
    std::int64_t n = 0;
    for (auto c : w.values[m].count) n += c;
    EXPECT_EQ(n, want[m]);
  }
}

TEST(PaymentsQuality, BadInputThrows) {
  payment_data d;
  d.add(from_civil(2024, 1, 1), payment_type::payment, -5.0, 0);
  EXPECT_THAT(invalid_input_message([&] { payments_by(d.rows()); }),
              HasSubstr("payments[0]: 'amount' must be a finite number ≥ 0"));
  d.amount[0] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(invalid_input_message([&] { payments_by(d.rows()); }), HasSubstr("'amount'"));
  d.amount[0] = std::numeric_limits<double>::infinity();
  EXPECT_THAT(invalid_input_message([&] { payments_by(d.rows()); }), HasSubstr("'amount'"));
  d.amount[0] = 1.0;
  const std::vector<std::int8_t> bad_type{5};
  auto rows = d.rows();
  rows.type = std::span<const std::int8_t>(bad_type);
  EXPECT_THAT(invalid_input_message([&] { payments_by(rows); }), HasSubstr("payments[0]: unknown type code 5"));
  d.time[0] = no_time;
  EXPECT_THAT(invalid_input_message([&] { payments_by(d.rows()); }), HasSubstr("payments[0]: 'timestamp' is empty"));
  EXPECT_TRUE(payments_by(payment_data{}.rows()).empty());
}

TEST(PaymentsDataset, GroupsByAccountAndCurrency) {
  dataset_parts p;
  for (const char* id : {"shop_a", "shop_b"}) p.account_ids.intern(id);
  p.payments.account = column(std::vector<std::int32_t>{0, 0, 1});
  p.payments.time =
      column(std::vector<timestamp>{from_civil(2024, 1, 1), from_civil(2024, 1, 2), from_civil(2024, 1, 3)});
  p.payments.type =
      column(std::vector<payment_type>{payment_type::payment, payment_type::refund, payment_type::payment});
  p.payments.amount = column(std::vector<double>{10, 4, 7});
  const auto eur = p.payments.currencies.intern("EUR");
  p.payments.currency = column(std::vector<std::int32_t>{eur, eur, no_code});
  const dataset data(std::move(p));
  const auto by_account = payments_by(data, {"account_id"});
  ASSERT_EQ(by_account.size(), 2u);
  EXPECT_DOUBLE_EQ(by_account.values[0].refund_amount_rate(), 0.4);
  const auto by_currency = payments_by(data, {"currency"}, {std::nullopt});
  ASSERT_EQ(by_currency.size(), 2u);
  EXPECT_EQ(by_currency.keys.codes[0][0], no_code);
  EXPECT_EQ(by_currency.keys.label(0, 1), "EUR");
  EXPECT_EQ(by_currency.values[1].payments(), 1);
}

TEST(PaymentsDataset, AmountsInSeveralCurrenciesAreNeverAdded) {
  // shop_a pays 10 EUR and 5 CAD in January (and is refunded 2 EUR); shop_b 7 EUR. By hand: all
  // payments of January are 3 (chargeback ratio, refund rate by count stand), but EUR + CAD has no
  // sum — the volumes of any group mixing them are NaN; by currency they are 17 EUR and 5 CAD.
  dataset_parts p;
  for (const char* id : {"shop_a", "shop_b"}) p.account_ids.intern(id);
  p.payments.account = column(std::vector<std::int32_t>{0, 0, 0, 1});
  p.payments.time = column(std::vector<timestamp>{from_civil(2024, 1, 1), from_civil(2024, 1, 2), from_civil(2024, 1, 3),
                                                  from_civil(2024, 1, 4)});
  p.payments.type = column(std::vector<payment_type>{payment_type::payment, payment_type::payment, payment_type::refund,
                                                     payment_type::payment});
  p.payments.amount = column(std::vector<double>{10, 5, 2, 7});
  const auto eur = p.payments.currencies.intern("EUR"), cad = p.payments.currencies.intern("CAD");
  p.payments.currency = column(std::vector<std::int32_t>{eur, cad, eur, eur});
  const dataset data(std::move(p));
  const auto all = payments_by(data, {});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all.values[0].mixed_currencies());
  EXPECT_EQ(all.values[0].payments(), 3);
  EXPECT_DOUBLE_EQ(all.values[0].refund_rate(), 1.0 / 3);
  EXPECT_TRUE(std::isnan(all.values[0].amount(payment_type::payment)));
  EXPECT_TRUE(std::isnan(all.values[0].refund_amount_rate()));
  const auto by_account = payments_by(data, {"account_id"});
  EXPECT_TRUE(std::isnan(by_account.values[0].amount(payment_type::payment)));  // shop_a: EUR and CAD
  EXPECT_EQ(by_account.values[1].amount(payment_type::payment), 7);            // shop_b: EUR only
  const auto by_currency = payments_by(data, {"currency"});
  ASSERT_EQ(by_currency.size(), 2u);
  for (std::size_t g = 0; g < 2; ++g) {
    const bool is_eur = by_currency.keys.label(0, g) == "EUR";
    EXPECT_EQ(by_currency.values[g].amount(payment_type::payment), is_eur ? 17 : 5);
    EXPECT_EQ(by_currency.values[g].refund_amount_rate(), is_eur ? 2.0 / 17 : 0.0);
  }
  // Merged states of shards whose dictionaries differ agree on what a currency is (its name's id).
  payment_counts a, b;
  a.add(payment_type::payment, 1, currency_id("EUR"));
  b.add(payment_type::payment, 2, currency_id("EUR"));
  EXPECT_EQ((a + b).amount(payment_type::payment), 3);
  b.add(payment_type::payment, 2, currency_id("CAD"));
  EXPECT_TRUE((a + b).mixed_currencies());
  EXPECT_TRUE((b + a).mixed_currencies());
  payment_counts unnamed;  // rows without a currency join any
  unnamed.add(payment_type::payment, 4);
  EXPECT_EQ((a + unnamed).amount(payment_type::payment), 5);
}

// Threads: blocks of rows merged in order give the groups of one thread, volumes to the last bit.
TEST(PaymentsQuality, ThreadsGiveTheSameBits) {
  const auto d = random_payments(400'000, 7);
  const auto one = payments_by(d.rows(), {period::month});
  for (std::int32_t threads : {2, 3, 8}) {
    const auto many = payments_by(d.rows(), {period::month}, threads);
    EXPECT_EQ(many, one) << threads;
    for (std::size_t g = 0; g < one.size(); ++g)
      for (std::size_t t = 0; t < enum_size<payment_type>; ++t)
        EXPECT_EQ(std::bit_cast<std::uint64_t>(many.values[g].amount(payment_type(t))),
                  std::bit_cast<std::uint64_t>(one.values[g].amount(payment_type(t))));
  }
}
