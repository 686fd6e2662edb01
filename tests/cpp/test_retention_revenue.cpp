// tests/cpp/test_retention_revenue.cpp — MRR movements, the monthly bridge and GRR / NRR / logo
// retention: the textbook example, the missing-month rule, reconciliation on a generated portfolio.
#include "custhealth/retention/revenue.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "datasets.hpp"

#include "custhealth/synth/generate.hpp"

namespace {

using namespace custhealth;
using ::testing::HasSubstr;

using custhealth::test::mrr_dataset;

// The textbook example (reference/README.md, "Revenue retention"): start MRR 100; one account
// churns 10, one contracts by 10, one expands by 10 → gross MRR churn 20 %, net 10 %, GRR 80 %,
// NRR 90 %. A new account (40) in the second month changes none of those.
const auto textbook = mrr_dataset({{"churns", "2024-01", 10},
                                   {"churns", "2024-02", 0},
                                   {"contracts", "2024-01", 30},
                                   {"contracts", "2024-02", 20},
                                   {"expands", "2024-01", 60},
                                   {"expands", "2024-02", 70},
                                   {"joins", "2024-02", 40}});

TEST(RevenueRetention, TextbookExample) {
  const auto r = revenue_retention(textbook, from_civil(2024, 1, 1), from_civil(2024, 2, 1));
  EXPECT_EQ(r.accounts, 3);
  EXPECT_EQ(r.retained_accounts, 2);
  EXPECT_DOUBLE_EQ(r.start_mrr, 100);
  EXPECT_DOUBLE_EQ(r.grr(), 0.8);
  EXPECT_DOUBLE_EQ(r.nrr(), 0.9);
  EXPECT_DOUBLE_EQ(r.logo_retention(), 2.0 / 3);

  const auto b = mrr_bridge(textbook);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.month(1), from_civil(2024, 2, 1));
  EXPECT_DOUBLE_EQ(b.get(1, mrr_bridge_table::opening_mrr), 100);
  EXPECT_DOUBLE_EQ(b.get(1, mrr_bridge_table::closing_mrr), 130);
  EXPECT_DOUBLE_EQ(b.get(1, mrr_bridge_table::new_mrr), 40);
  EXPECT_DOUBLE_EQ(b.get(1, mrr_bridge_table::expansion_mrr), 10);
  EXPECT_DOUBLE_EQ(b.get(1, mrr_bridge_table::contraction_mrr), 10);
  EXPECT_DOUBLE_EQ(b.get(1, mrr_bridge_table::churned_mrr), 10);
  EXPECT_DOUBLE_EQ(b.gross_mrr_churn(1), 0.2);
  EXPECT_DOUBLE_EQ(b.net_mrr_churn(1), 0.1);
  EXPECT_EQ(b.get(1, mrr_bridge_table::paying_accounts), 3);
  EXPECT_EQ(b.get(1, mrr_bridge_table::churned_accounts), 1);
  // The first month has no month before it: its MRR is all new, its churn rates undefined.
  EXPECT_DOUBLE_EQ(b.get(0, mrr_bridge_table::new_mrr), 100);
  EXPECT_TRUE(std::isnan(b.gross_mrr_churn(0)));

  const auto s = revenue_retention(textbook, 1);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(s[0].month, from_civil(2024, 2, 1));
  EXPECT_EQ(s[0].start_month, from_civil(2024, 1, 1));
  EXPECT_DOUBLE_EQ(s[0].grr(), 0.8);
  EXPECT_EQ(revenue_retention(textbook, 12).size(), 0u);  // the table spans 2 months
}

TEST(MrrMovements, PerAccountMonthAndTheMissingMonthRule) {
  // gap: paid Jan, no row in Feb (counts as 0: churn), paid again in Mar (reactivation).
  // leaves: last row in Feb while the table runs to April — churns in March.
  // zero: a row at 0 in Jan, first pays in Feb — new in Feb, not in Jan.
  const auto d = mrr_dataset({{"gap", "2024-01", 50}, {"gap", "2024-03", 60}, {"gap", "2024-04", 60},
                              {"leaves", "2024-01", 20}, {"leaves", "2024-02", 25},
                              {"zero", "2024-01", 0}, {"zero", "2024-02", 5}, {"zero", "2024-03", 0}, {"zero", "2024-04", 7}});
  const auto m = mrr_movements(d);
  using row = std::tuple<std::string, std::string, double, double, std::string_view>;
  std::vector<row> got;
  for (std::size_t i = 0; i < m.size(); ++i)
    got.emplace_back(d.account_ids()[m.account[i]], format_date(m.month[i]).substr(0, 7), m.previous[i], m.mrr[i],
                     to_string(m.movement[i]));
  EXPECT_EQ(got, (std::vector<row>{
                     {"gap", "2024-01", 0, 50, "new"},
                     {"gap", "2024-02", 50, 0, "churn"},
                     {"gap", "2024-03", 0, 60, "reactivation"},
                     {"gap", "2024-04", 60, 60, "unchanged"},
                     {"leaves", "2024-01", 0, 20, "new"},
                     {"leaves", "2024-02", 20, 25, "expansion"},
                     {"leaves", "2024-03", 25, 0, "churn"},
                     {"zero", "2024-02", 0, 5, "new"},
                     {"zero", "2024-03", 5, 0, "churn"},
                     {"zero", "2024-04", 0, 7, "reactivation"},
                 }));
  // as_of cuts the table: April is gone, so nothing churns after the (new) last month, March.
  const auto cut = mrr_movements(d, from_civil(2024, 4, 1));
  EXPECT_EQ(cut.size(), 8u);
}

TEST(MrrBridge, ReconcilesEveryMonthOnAGeneratedPortfolio) {
  generate_options g;
  g.n_accounts = 400, g.days = 900, g.seed = 5, g.payments = false;
  const auto d = generate(g).data;
  ASSERT_GT(d.mrr().size(), 1000u);
  const auto b = mrr_bridge(d);
  ASSERT_GT(b.size(), 24u);
  // Independently of the walk: a month's closing MRR is the sum of the table's rows of that month
  // (a missing row counts as 0), and each month opens with the month before's close.
  std::map<std::int64_t, double> table_total;
  for (std::size_t r = 0; r < d.mrr().size(); ++r)
    table_total[period_index(d.mrr().month[r], period::month)] += d.mrr().mrr[r];
  EXPECT_EQ(table_total.begin()->first, b.month_number(0));
  EXPECT_EQ(table_total.rbegin()->first, b.month_number(b.size() - 1));
  using f = mrr_bridge_table;
  for (std::size_t i = 0; i < b.size(); ++i) {
    const double closing = b.get(i, f::closing_mrr);
    EXPECT_NEAR(closing, table_total[b.month_number(i)], 1e-9 * (1 + closing)) << format_date(b.month(i));
    if (i > 0) {
      EXPECT_DOUBLE_EQ(b.get(i, f::opening_mrr), b.get(i - 1, f::closing_mrr));
    }
    // Every month reconciles, as the README promises: closing − opening = new + expansion +
    // reactivation − contraction − churn. The bridge holds this by construction, so it documents
    // the definition; the two checks above are the independent ones.
    const double rhs = b.get(i, f::new_mrr) + b.get(i, f::expansion_mrr) + b.get(i, f::reactivation_mrr) -
                       b.get(i, f::contraction_mrr) - b.get(i, f::churned_mrr);
    EXPECT_NEAR(closing - b.get(i, f::opening_mrr), rhs, 1e-9 * (1 + closing)) << format_date(b.month(i));
  }
}

TEST(RevenueRetention, TrailingSeriesMatchesPairsAndABruteForce) {
  generate_options g;
  g.n_accounts = 300, g.days = 800, g.seed = 9, g.payments = false;
  const auto d = generate(g).data;
  const auto s = revenue_retention(d);
  ASSERT_GT(s.size(), 5u);
  // Brute force: MRR per (account, month number), missing = 0.
  std::map<std::pair<std::int32_t, std::int64_t>, double> mrr;
  for (std::size_t r = 0; r < d.mrr().size(); ++r)
    mrr[{d.mrr().account[r], period_index(d.mrr().month[r], period::month)}] = d.mrr().mrr[r];
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto m1 = period_index(s[i].month, period::month), m0 = m1 - 12;
    double start = 0, kept = 0, end = 0;
    std::int64_t n = 0, retained = 0;
    for (std::int32_t a = 0; a < std::int32_t(d.n_accounts()); ++a) {
      const double v0 = mrr.count({a, m0}) ? mrr[{a, m0}] : 0.0, v1 = mrr.count({a, m1}) ? mrr[{a, m1}] : 0.0;
      if (!(v0 > 0)) continue;
      ++n, retained += v1 > 0, start += v0, kept += std::min(v0, v1), end += v1;
    }
    EXPECT_EQ(s[i].accounts, n);
    EXPECT_EQ(s[i].retained_accounts, retained);
    EXPECT_NEAR(s[i].grr(), kept / start, 1e-12);
    EXPECT_NEAR(s[i].nrr(), end / start, 1e-12);
    const auto pair = revenue_retention(d, s[i].start_month, s[i].month);
    EXPECT_EQ(pair.accounts, s[i].accounts);
    EXPECT_DOUBLE_EQ(pair.grr(), s[i].grr());
    EXPECT_DOUBLE_EQ(pair.nrr(), s[i].nrr());
  }
}

TEST(RevenueRetention, BadInput) {
  EXPECT_THAT([] { (void)mrr_movements(dataset{}); }, ::testing::ThrowsMessage<invalid_input>(HasSubstr("the mrr table is empty")));
  EXPECT_THAT([] { (void)revenue_retention(textbook, 0); }, ::testing::ThrowsMessage<invalid_input>(HasSubstr("months must be ≥ 1")));
  EXPECT_THAT([] { (void)revenue_retention(textbook, from_civil(2024, 2, 1), from_civil(2024, 1, 1)); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("must be before the end month")));
  EXPECT_THAT([] { (void)revenue_retention(textbook, from_civil(2024, 1, 1), from_civil(2024, 3, 1)); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("after the last month of the mrr table")));
  // Negative, NaN and duplicated MRR: the dataset refuses them (test_dataset.cpp).
}

TEST(MrrBridge, ShardsMerge) {
  const auto a = mrr_dataset({{"churns", "2024-01", 10}, {"churns", "2024-02", 0}, {"joins", "2024-02", 40}});
  const auto b = mrr_dataset({{"contracts", "2024-01", 30}, {"contracts", "2024-02", 20}, {"expands", "2024-01", 60},
                              {"expands", "2024-02", 70}});
  auto merged = mrr_bridge(b);
  merged += mrr_bridge(a);
  EXPECT_TRUE(merged == mrr_bridge(textbook));
  auto series = revenue_retention(a, 1);
  series += revenue_retention(b, 1);
  EXPECT_TRUE(series == revenue_retention(textbook, 1));
}

// Shards (custhealth.dask's partitions) framed on the whole table's months merge into the whole
// table's series; framed on their own months they would lose a1's churn in March, a month after its
// shard's last row (the missing-month rule counts it only where the table goes on).
TEST(RevenueRetention, ShardsFramedOnTheWholeTablesMonthsMerge) {
  const auto a = mrr_dataset({{"a1", "2024-01", 10}, {"a1", "2024-02", 10}});
  const auto b = mrr_dataset({{"b1", "2024-02", 20}, {"b1", "2024-03", 30}, {"b1", "2024-04", 30}});
  const auto whole = mrr_dataset({{"a1", "2024-01", 10}, {"a1", "2024-02", 10}, {"b1", "2024-02", 20},
                                  {"b1", "2024-03", 30}, {"b1", "2024-04", 30}});
  const auto range = detail::mrr_months(whole.mrr(), std::numeric_limits<timestamp>::max());
  auto merged = revenue_retention_shard(a, 1, no_time, range);
  merged += revenue_retention_shard(b, 1, no_time, range);
  ASSERT_TRUE(merged == revenue_retention(whole, 1));
  ASSERT_EQ(merged.size(), 3u);  // m1 = February, March, April
  const auto march = merged[1];  // by hand: a1 10 → 0 (churn), b1 20 → 30
  EXPECT_EQ(march.month, from_civil(2024, 3, 1));
  EXPECT_EQ(march.accounts, 2);
  EXPECT_EQ(march.retained_accounts, 1);
  EXPECT_EQ(march.start_mrr, 30.0);
  EXPECT_EQ(march.retained_mrr, 20.0);
  EXPECT_EQ(march.end_mrr, 30.0);
  EXPECT_DOUBLE_EQ(march.grr(), 20.0 / 30.0);
  EXPECT_EQ(march.nrr(), 1.0);
  EXPECT_EQ(march.logo_retention(), 0.5);
  auto own = revenue_retention(a, 1);
  own += revenue_retention(b, 1);
  EXPECT_FALSE(own == merged);  // why the shards take the table's months
  EXPECT_THAT([&] { (void)revenue_retention_shard(a, 0, no_time, range); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("months must be ≥ 1")));
}

}  // namespace
