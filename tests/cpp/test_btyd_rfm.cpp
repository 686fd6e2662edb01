// tests/cpp/test_btyd_rfm.cpp — the RFM summary of a dataset's payments and usage tables (btyd/rfm.hpp) against
// hand calculations with lifetimes' definitions; tests/python/test_cli.py compares it with ch.rfm_summary.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "custhealth/btyd/rfm.hpp"
#include "custhealth/error.hpp"
#include "datasets.hpp"

namespace custhealth {
namespace {

using test::payment_row;
constexpr auto refund = payment_type::refund;
constexpr auto decline = payment_type::decline;

// Weeks (ISO, Monday first): W1 = 2024-01-01..07, W2 = 01-08..14, W3 = 01-15..21, W4 = 01-22..28,
// W5 = 01-29..02-04.
std::vector<payment_row> merchant_rows() {
  return {
      {"a", "2024-01-01T09:00:00Z", payment_type::payment, 10.0},  // W1
      {"a", "2024-01-03T12:00:00Z", payment_type::payment, 5.0},   // W1 again: one period, 15
      {"a", "2024-01-10T08:00:00Z", payment_type::payment, 20.0},  // W2
      {"a", "2024-01-11T08:00:00Z", refund, 20.0},                 // not a payment
      {"a", "2024-01-24T08:00:00Z", payment_type::payment, 30.0},  // W4
      {"a", "2024-01-25T08:00:00Z", decline, 99.0},                // not a payment
      {"b", "2024-01-09T10:00:00Z", payment_type::payment, 7.0},   // W2
      {"c", "2024-01-15T10:00:00Z", refund, 3.0},                  // no payment: no row
      {"d", "2024-01-16T10:00:00Z", payment_type::payment, 100.0, "EUR"},
  };
}

btyd::rfm_options usd_as_of(const char* as_of, period unit = period::week) {
  return {.table = table_id::payments, .currency = "USD", .as_of = parse_time_or_throw(as_of), .unit = unit};
}

struct expected_row {
  std::string id;
  double frequency, recency, T, monetary;
};

void expect_rows(const dataset& data, const btyd::rfm_table& s, const std::vector<expected_row>& want) {
  ASSERT_EQ(s.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].id);
    EXPECT_EQ(data.account_ids()[s.account[i]], want[i].id);
    EXPECT_EQ(s.frequency[i], want[i].frequency);
    EXPECT_EQ(s.recency[i], want[i].recency);
    EXPECT_EQ(s.T[i], want[i].T);
    if (!s.monetary.empty()) {
      EXPECT_DOUBLE_EQ(s.monetary[i], want[i].monetary);
    }
  }
}

TEST(BtydRfm, WeeklyPaymentsByHand) {
  const dataset data = test::payments_dataset(merchant_rows());
  // As of Monday 2024-02-05: the last observed week is W5. a: W1, W2, W4 → x = 2, tₓ = 4 − 1 = 3, T = 5 − 1 = 4,
  // monetary = (20 + 30)/2 (the first period's 15 is not a repeat); b: W2 only → 0, 0, T = 3, 0.
  const auto s = btyd::rfm_summary(data, usd_as_of("2024-02-05"));
  expect_rows(data, s, {{"a", 2, 3, 4, 25.0}, {"b", 0, 0, 3, 0.0}});
  EXPECT_EQ(s.currency, "USD");
  EXPECT_EQ(s.transactions, 5);
  EXPECT_EQ(s.as_of, parse_time_or_throw("2024-02-05"));
}

TEST(BtydRfm, DailyPaymentsByHand) {
  const dataset data = test::payments_dataset(merchant_rows());
  // Days of a: 01-01, 01-03, 01-10, 01-24 → x = 3, tₓ = 23, T = 02-04 − 01-01 = 34, monetary = (5 + 20 + 30)/3;
  // b: T = 02-04 − 01-09 = 26.
  const auto s = btyd::rfm_summary(data, usd_as_of("2024-02-05", period::day));
  expect_rows(data, s, {{"a", 3, 23, 34, 55.0 / 3.0}, {"b", 0, 0, 26, 0.0}});
}

TEST(BtydRfm, MidPeriodAsOfCountsOnlyEarlierRows) {
  const dataset data = test::payments_dataset(merchant_rows());
  // As of Wednesday 2024-01-24 00:00 the last observed week is W4, but a's payment of that morning is not
  // before as-of: a has W1, W2 → x = 1, tₓ = 1, T = 3, monetary 20; b: T = 2.
  const auto s = btyd::rfm_summary(data, usd_as_of("2024-01-24"));
  expect_rows(data, s, {{"a", 1, 1, 3, 20.0}, {"b", 0, 0, 2, 0.0}});
}

TEST(BtydRfm, RowsFromAsOfOnDoNotMoveAnything) {
  auto rows = merchant_rows();
  const auto before = btyd::rfm_summary(test::payments_dataset(rows), usd_as_of("2024-01-24"));
  // New rows at and after as-of, of every kind: a payment at as-of itself, later ones (one in the same week),
  // another currency, a new account.
  rows.push_back({"a", "2024-01-24T00:00:00Z", payment_type::payment, 1000.0});
  rows.push_back({"b", "2024-01-27T10:00:00Z", payment_type::payment, 500.0});
  rows.push_back({"b", "2024-03-01T10:00:00Z", payment_type::payment, 50.0, "GBP"});
  rows.push_back({"e", "2024-02-01T10:00:00Z", payment_type::payment, 5.0});
  const dataset data = test::payments_dataset(rows);
  const auto after = btyd::rfm_summary(data, usd_as_of("2024-01-24"));
  EXPECT_EQ(after.account.size(), before.account.size());
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(data.account_ids()[after.account[i]], i == 0 ? "a" : "b");
  EXPECT_EQ(after.frequency, before.frequency);
  EXPECT_EQ(after.recency, before.recency);
  EXPECT_EQ(after.T, before.T);
  EXPECT_EQ(after.monetary, before.monetary);
  EXPECT_EQ(after.transactions, before.transactions);
  // And a currency seen only after as-of neither counts as a second one nor can be chosen.
  auto eur_free = rows;
  std::erase_if(eur_free, [](const payment_row& r) { return r.currency == "EUR"; });
  EXPECT_NO_THROW(btyd::rfm_summary(test::payments_dataset(eur_free), {.as_of = parse_time_or_throw("2024-01-24")}));
  EXPECT_THROW(btyd::rfm_summary(data, {.currency = "GBP", .as_of = parse_time_or_throw("2024-01-24")}), invalid_input);
}

TEST(BtydRfm, DefaultAsOfIsTheEndOfTheTablesData) {
  auto rows = merchant_rows();
  std::erase_if(rows, [](const payment_row& r) { return r.currency == "EUR"; });
  const dataset data = test::payments_dataset(rows);
  // The table's last row is a's decline of 2024-01-25 (not a payment, but observed): as of 2024-01-26, week W4.
  const auto s = btyd::rfm_summary(data);
  EXPECT_EQ(s.as_of, parse_time_or_throw("2024-01-26"));
  expect_rows(data, s, {{"a", 2, 3, 3, 25.0}, {"b", 0, 0, 2, 0.0}});
  // One currency needs no choice; a table without a currency column is one currency.
  const auto plain = btyd::rfm_summary(test::payments_dataset(rows, false));
  EXPECT_EQ(plain.currency, "");
  EXPECT_EQ(plain.frequency, s.frequency);
  EXPECT_EQ(plain.monetary, s.monetary);
}

TEST(BtydRfm, UsageEventsHaveNoValue) {
  const dataset data = test::usage_dataset({{"x", "2024-01-01T10:00:00Z"},
                                            {"x", "2024-01-02T10:00:00Z"},
                                            {"x", "2024-01-15T10:00:00Z"},
                                            {"y", "2024-01-20T10:00:00Z"}});
  // Default as-of: the end of 2024-01-20, so the last observed week is W3. x: W1, W3 → 1, 2, T = 2; y: W3.
  const auto s = btyd::rfm_summary(data, {.table = table_id::usage});
  expect_rows(data, s, {{"x", 1, 2, 2, 0.0}, {"y", 0, 0, 0, 0.0}});
  EXPECT_TRUE(s.monetary.empty());
  EXPECT_EQ(s.transactions, 4);
  EXPECT_TRUE(s.customers().monetary.empty());
}

TEST(BtydRfm, MonthsAreCalendarMonths) {
  const dataset data = test::usage_dataset({{"x", "2023-11-30T23:00:00Z"}, {"x", "2024-01-01T00:00:00Z"}});
  // November to January: two months apart; T to the month of the last moment before 2024-03-01, February.
  const auto s = btyd::rfm_summary(data, {.table = table_id::usage, .as_of = parse_time_or_throw("2024-03-01"),
                                          .unit = period::month});
  expect_rows(data, s, {{"x", 1, 2, 3, 0.0}});
}

void expect_message(const dataset& data, const btyd::rfm_options& o, const std::string& part) {
  try {
    btyd::rfm_summary(data, o);
    ADD_FAILURE() << "no error; expected one containing " << part;
  } catch (const invalid_input& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(BtydRfm, BadInputIsAClearError) {
  const dataset data = test::payments_dataset(merchant_rows());
  expect_message(data, {}, "in 2 currencies: EUR (1 payments), USD (5 payments)");
  expect_message(data, {.currency = "JPY"}, "no successful payments in currency \"JPY\"");
  expect_message(data, {.table = table_id::surveys}, "table must be payments or usage, got surveys");
  expect_message(data, {.table = table_id::usage}, "no usage events (the usage table is empty)");
  expect_message(data, usd_as_of("2023-06-01"), "no successful payments before 2023-06-01");
  expect_message(test::payments_dataset({{"a", "2024-01-01", refund, 1.0}}), {},
                 "no successful payments before 2024-01-02");
  expect_message(test::payments_dataset(merchant_rows(), false), {.currency = "USD"}, "has no currency column");
}

}  // namespace
}  // namespace custhealth
