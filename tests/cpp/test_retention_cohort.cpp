// tests/cpp/test_retention_cohort.cpp — cohort retention matrices: hand-calculated cases for both modes,
// NaN for unobserved cells, ISO weeks, filters, start cohorts, revenue cohorts, and exact shard merges.
#include "custhealth/retention/cohort.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "datasets.hpp"

#include "custhealth/synth/generate.hpp"

namespace {

using namespace custhealth;
using ::testing::HasSubstr;

using custhealth::test::event_row;
using custhealth::test::mrr_dataset;
using custhealth::test::usage_dataset;

/// Row i of the rate matrix, NaN cells as NaN.
std::vector<double> rates(const cohort_matrix& m, std::size_t i) {
  std::vector<double> out;
  for (std::size_t k = 0; k < m.n_offsets(); ++k) out.push_back(m.rate(i, k));
  return out;
}

MATCHER_P(DoublesNanEq, expected, "") {
  if (arg.size() != expected.size()) return false;
  for (std::size_t i = 0; i < arg.size(); ++i)
    if (std::isnan(expected[i]) ? !std::isnan(arg[i]) : std::fabs(arg[i] - expected[i]) > 1e-12) return false;
  return true;
}

constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// a: Jan, Mar; b: Jan, Feb; c: one event in Feb; d: Mar (and an April event after as_of);
// e: only after as_of — excluded. As of 2024-04-01 the last fully observed month is March.
const std::vector<event_row> small = {
    {"a", "2024-01-05"}, {"a", "2024-01-20T10:00:00Z"}, {"a", "2024-03-03"}, {"b", "2024-01-10"},
    {"b", "2024-02-02"}, {"c", "2024-02-15"},           {"d", "2024-03-01"}, {"d", "2024-04-02"},
    {"e", "2024-04-05"},
};

TEST(CohortRetention, OnModeHandCalculated) {
  const auto d = usage_dataset(small);
  cohort_options o;
  o.as_of = from_civil(2024, 4, 1);
  const auto m = cohort_retention(d, o);
  ASSERT_EQ(m.n_cohorts(), 3u);
  ASSERT_EQ(m.n_offsets(), 3u);
  EXPECT_EQ(m.cohort_start(0), from_civil(2024, 1, 1));
  EXPECT_EQ(m.cohort_start(2), from_civil(2024, 3, 1));
  EXPECT_EQ(m.size(0), 2);
  EXPECT_EQ(m.size(1), 1);
  EXPECT_EQ(m.size(2), 1);
  EXPECT_EQ(m.excluded(), 1);  // e
  EXPECT_THAT(rates(m, 0), DoublesNanEq(std::vector<double>{1, 0.5, 0.5}));
  EXPECT_THAT(rates(m, 1), DoublesNanEq(std::vector<double>{1, 0, nan}));  // c: one event → 0 in March, April unknown
  EXPECT_THAT(rates(m, 2), DoublesNanEq(std::vector<double>{1, nan, nan}));
  EXPECT_EQ(m.count(0, 2), 1);
  EXPECT_FALSE(m.observed(1, 2));
  // Size-weighted over observed cells: k=1 → (1 + 0) / (2 + 1), k=2 → 1 / 2.
  EXPECT_THAT(m.average(), DoublesNanEq(std::vector<double>{1, 1.0 / 3, 0.5}));
}

TEST(CohortRetention, OnOrAfterModeHandCalculated) {
  const auto d = usage_dataset(small);
  cohort_options o;
  o.as_of = from_civil(2024, 4, 1);
  o.mode = cohort_mode::on_or_after;
  const auto m = cohort_retention(d, o);
  ASSERT_EQ(m.n_cohorts(), 3u);
  // Jan: a is active in March (≥ Feb), b in February → both count at k=1; only a at k=2.
  EXPECT_THAT(rates(m, 0), DoublesNanEq(std::vector<double>{1, 1, 0.5}));
  EXPECT_THAT(rates(m, 1), DoublesNanEq(std::vector<double>{1, 0, nan}));
  EXPECT_THAT(rates(m, 2), DoublesNanEq(std::vector<double>{1, nan, nan}));
  EXPECT_THAT(m.average(), DoublesNanEq(std::vector<double>{1, 2.0 / 3, 0.5}));
}

TEST(CohortRetention, DefaultAsOfIsTheEndOfTheDataAndItsPeriodIsUnobserved) {
  // The data end with 2024-04-05 (as_of: the midnight after it): April is partial, so e forms an
  // April cohort whose cells are all NaN, and d's April event counts for on_or_after (it is before
  // as_of) only in observed cells.
  const auto d = usage_dataset(small);
  cohort_options o;
  o.mode = cohort_mode::on_or_after;
  const auto m = cohort_retention(d, o);
  EXPECT_EQ(m.as_of(), from_civil(2024, 4, 6));
  ASSERT_EQ(m.n_cohorts(), 4u);
  EXPECT_EQ(m.n_offsets(), 3u);
  EXPECT_EQ(m.excluded(), 0);
  EXPECT_EQ(m.size(3), 1);
  EXPECT_THAT(rates(m, 3), DoublesNanEq(std::vector<double>{nan, nan, nan}));
  EXPECT_THAT(rates(m, 2), DoublesNanEq(std::vector<double>{1, nan, nan}));
}

TEST(CohortRetention, PeriodsWithoutActivityAreZeroAndCohortsWithoutAccountsAreNan) {
  // Nobody is active in February and nobody starts in February.
  const auto d = usage_dataset({{"g", "2024-01-03"}, {"g", "2024-03-09"}, {"h", "2024-01-31T23:59:59Z"}, {"i", "2024-03-02"}});
  cohort_options o;
  o.as_of = from_civil(2024, 4, 1);
  const auto m = cohort_retention(d, o);
  ASSERT_EQ(m.n_cohorts(), 3u);
  EXPECT_EQ(m.size(1), 0);
  EXPECT_THAT(rates(m, 0), DoublesNanEq(std::vector<double>{1, 0, 0.5}));
  EXPECT_THAT(rates(m, 1), DoublesNanEq(std::vector<double>{nan, nan, nan}));
  EXPECT_THAT(rates(m, 2), DoublesNanEq(std::vector<double>{1, nan, nan}));
  EXPECT_THAT(m.average(), DoublesNanEq(std::vector<double>{1, 0, 0.5}));
}

TEST(CohortRetention, IsoWeeksStartOnMonday) {
  // 2023-12-31 is a Sunday (ISO week 2023-W52, from Monday 2023-12-25); 2024-01-01 is a Monday.
  const auto d = usage_dataset({{"x", "2023-12-31T23:00:00Z"}, {"x", "2024-01-01"}, {"x", "2024-01-07T23:59:59Z"},
                                {"x", "2024-01-08"}, {"y", "2024-01-07"}});
  cohort_options o;
  o.period = period::week;
  o.as_of = from_civil(2024, 1, 15);  // a Monday: the week of 2024-01-08 is complete
  const auto m = cohort_retention(d, o);
  ASSERT_EQ(m.n_cohorts(), 2u);
  EXPECT_EQ(m.cohort_start(0), from_civil(2023, 12, 25));
  EXPECT_EQ(m.cohort_start(1), from_civil(2024, 1, 1));
  ASSERT_EQ(m.n_offsets(), 3u);
  EXPECT_THAT(rates(m, 0), DoublesNanEq(std::vector<double>{1, 1, 1}));
  EXPECT_THAT(rates(m, 1), DoublesNanEq(std::vector<double>{1, 0, nan}));
}

TEST(CohortRetention, DaysAndQuarters) {
  const auto d = usage_dataset({{"a", "2024-03-31T12:00:00Z"}, {"a", "2024-04-01T00:00:00Z"}, {"b", "2024-04-01T08:00:00Z"}});
  cohort_options o;
  o.period = period::day;
  o.as_of = from_civil(2024, 4, 2);
  auto m = cohort_retention(d, o);
  ASSERT_EQ(m.n_cohorts(), 2u);
  EXPECT_THAT(rates(m, 0), DoublesNanEq(std::vector<double>{1, 1}));
  EXPECT_THAT(rates(m, 1), DoublesNanEq(std::vector<double>{1, nan}));
  o.period = period::quarter;
  o.as_of = from_civil(2024, 7, 1);
  m = cohort_retention(d, o);
  ASSERT_EQ(m.n_cohorts(), 2u);
  EXPECT_EQ(m.cohort_start(1), from_civil(2024, 4, 1));
  EXPECT_THAT(rates(m, 0), DoublesNanEq(std::vector<double>{1, 1}));
}

TEST(CohortRetention, EventFilterDefinesActivityAndTheFirstActivity) {
  const auto d = usage_dataset({{"a", "2024-01-02", "login"}, {"a", "2024-02-02", "export"}, {"a", "2024-03-02", "export"},
                                {"b", "2024-01-05", "export"}, {"b", "2024-02-05", "login"}, {"c", "2024-01-07", "login"}});
  cohort_options o;
  o.as_of = from_civil(2024, 4, 1);
  const std::vector<std::string> names{"export"};
  o.events = event_codes(d.usage(), names);
  const auto m = cohort_retention(d, o);
  // Exporters: b first exports in January, a in February; c never exports.
  ASSERT_EQ(m.n_cohorts(), 2u);
  EXPECT_EQ(m.cohort_start(0), from_civil(2024, 1, 1));
  EXPECT_EQ(m.excluded(), 1);
  EXPECT_THAT(rates(m, 0), DoublesNanEq(std::vector<double>{1, 0, 0}));
  EXPECT_THAT(rates(m, 1), DoublesNanEq(std::vector<double>{1, 1, nan}));
  const std::vector<std::string> unknown{"exprot"};
  EXPECT_THAT([&] { (void)event_codes(d.usage(), unknown); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("unknown event \"exprot\"")));
}

TEST(CohortRetention, StartCohortsIgnoreEarlierActivityAndExcludeAccountsWithoutStart) {
  const auto d = usage_dataset({{"a", "2024-01-10"}, {"a", "2024-02-10"}, {"a", "2024-03-10"}, {"b", "2024-03-01"}, {"z", "2024-01-01"}},
                               {{"a", "2024-02-01"}, {"b", "2024-01-15"}});
  cohort_options o;
  o.cohort_by = cohort_origin::start;
  o.as_of = from_civil(2024, 4, 1);
  const auto m = cohort_retention(d, o);
  ASSERT_EQ(m.n_cohorts(), 2u);
  EXPECT_EQ(m.excluded(), 1);  // z has no start
  // January cohort: b (active only in March); February cohort: a (January activity ignored).
  EXPECT_THAT(rates(m, 0), DoublesNanEq(std::vector<double>{0, 0, 1}));
  EXPECT_THAT(rates(m, 1), DoublesNanEq(std::vector<double>{1, 1, nan}));
  EXPECT_THAT([&] { (void)cohort_retention(usage_dataset(small), o); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("no account has a start date")));
}

TEST(CohortRetention, StartCohortsBeforeTheUsageLogBeginsAreUnknownNotZero) {
  // a started in November, b in December; the usage log begins in January. November and December
  // had no data: those cells are unobserved (NaN), not 0 % — by hand:
  //   Nov cohort (a): Nov ?, Dec ?, Jan 1, Feb 1      Dec cohort (b): Dec ?, Jan 0, Feb 1, Mar (after L) ?
  const auto d = usage_dataset({{"a", "2024-01-01"}, {"a", "2024-02-10"}, {"b", "2024-02-01"}},
                               {{"a", "2023-11-05"}, {"b", "2023-12-20"}});
  cohort_options o;
  o.cohort_by = cohort_origin::start;
  o.as_of = from_civil(2024, 3, 1);
  const auto m = cohort_retention(d, o);
  ASSERT_EQ(m.n_cohorts(), 2u);
  EXPECT_EQ(m.first_data_period(), period_index(from_civil(2024, 1, 1), period::month));
  EXPECT_THAT(rates(m, 0), DoublesNanEq(std::vector<double>{nan, nan, 1, 1}));
  EXPECT_THAT(rates(m, 1), DoublesNanEq(std::vector<double>{nan, 0, 1, nan}));
  EXPECT_FALSE(m.observed(0, 1));
  EXPECT_TRUE(m.observed(0, 2));
  // The average: offset 1 only the December cohort's January (0 of 1); offset 2 both (2 of 2).
  EXPECT_THAT(m.average(), DoublesNanEq(std::vector<double>{nan, 0, 1, 1}));
  // A log that begins on 10 January has seen only part of January: January is unobserved too, as
  // the partial month holding as_of is (F is the first period wholly inside the data).
  const auto late = usage_dataset({{"a", "2024-01-10"}, {"a", "2024-02-10"}, {"b", "2024-02-01"}},
                                  {{"a", "2023-11-05"}, {"b", "2023-12-20"}});
  const auto p = cohort_retention(late, o);
  EXPECT_EQ(p.first_data_period(), period_index(from_civil(2024, 2, 1), period::month));
  EXPECT_THAT(rates(p, 0), DoublesNanEq(std::vector<double>{nan, nan, nan, 1}));
  EXPECT_THAT(rates(p, 1), DoublesNanEq(std::vector<double>{nan, nan, 1, nan}));
}

TEST(CohortRetention, RevenueCohortsWeighByMrr) {
  // a: Jan 100, Feb 120, Mar 0; b: Feb 50, Mar 50; c: Jan 0, Feb 30 (March missing → 0).
  const auto d = mrr_dataset({{"a", "2024-01", 100}, {"a", "2024-02", 120}, {"a", "2024-03", 0}, {"b", "2024-02", 50},
                              {"b", "2024-03", 50}, {"c", "2024-01", 0}, {"c", "2024-02", 30}});
  cohort_options o;
  o.value = cohort_value::mrr;
  const auto m = cohort_retention(d, o);  // as_of: the end of March, the last month in the table
  EXPECT_EQ(m.as_of(), from_civil(2024, 4, 1));
  ASSERT_EQ(m.n_cohorts(), 2u);
  EXPECT_EQ(m.size(0), 100);
  EXPECT_EQ(m.size(1), 80);
  EXPECT_EQ(m.accounts(1), 2);
  EXPECT_THAT(rates(m, 0), DoublesNanEq(std::vector<double>{1, 1.2, 0}));
  EXPECT_THAT(rates(m, 1), DoublesNanEq(std::vector<double>{1, 0.625, nan}));
  EXPECT_THAT(m.average(), DoublesNanEq(std::vector<double>{1, (120.0 + 50) / 180, 0}));
}

TEST(CohortRetention, BadArgumentsAreClearErrors) {
  EXPECT_THAT([] { (void)parse_cohort_mode("sometimes"); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("unknown mode \"sometimes\": expected one of on, on_or_after")));
  EXPECT_THAT([] { (void)parse_cohort_origin("signup"); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("expected one of first_activity, start")));
  EXPECT_THAT([] { (void)cohort_retention(dataset{}); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("the usage table is empty")));
  cohort_options daily;
  daily.period = period::day;
  daily.as_of = from_civil(9000, 1, 1);
  EXPECT_THAT([&] { (void)cohort_retention(usage_dataset(small), daily); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("offsets is too large")));
  const auto d = mrr_dataset({{"a", "2024-01", 100}});
  cohort_options o;
  o.value = cohort_value::mrr;
  o.period = period::week;
  EXPECT_THAT([&] { (void)cohort_retention(d, o); }, ::testing::ThrowsMessage<invalid_input>(HasSubstr("must be M or Q")));
  o.period = period::month;
  o.mode = cohort_mode::on_or_after;
  EXPECT_THAT([&] { (void)cohort_retention(d, o); }, ::testing::ThrowsMessage<invalid_input>(HasSubstr("only mode \"on\"")));
  // Negative and duplicated MRR: the dataset refuses them (test_dataset.cpp).
}

// ---- generated portfolio: a brute-force cross-check and shard merges --------------------------

const dataset& portfolio() {
  static const dataset d = [] {
    generate_options g;
    g.n_accounts = 300;
    g.days = 400;
    g.seed = 11;
    g.payments = false;
    return generate(g).data;
  }();
  return d;
}

/// The accounts whose code satisfies `keep`, with their usage, accounts and MRR rows.
dataset shard(const dataset& d, bool (*keep)(std::int32_t)) {
  dataset_parts p;
  auto copy_rows = [&](const auto& src, auto&& copy_row) {
    for (std::size_t r = 0; r < src.size(); ++r)
      if (keep(src.account[r])) copy_row(r, p.account_ids.intern(d.account_ids()[src.account[r]]));
  };
  std::vector<std::int32_t> ua, ue, aa, ma;
  std::vector<timestamp> ut, as, ae, mm;
  std::vector<double> uv, mv;
  for (const auto& name : d.usage().events.values()) p.usage.events.intern(name);
  copy_rows(d.usage(), [&](std::size_t r, std::int32_t a) {
    ua.push_back(a), ut.push_back(d.usage().time[r]), ue.push_back(d.usage().event[r]), uv.push_back(d.usage().value[r]);
  });
  copy_rows(d.accounts(), [&](std::size_t r, std::int32_t a) {
    aa.push_back(a), as.push_back(d.accounts().start[r]), ae.push_back(d.accounts().end[r]);
  });
  copy_rows(d.mrr(), [&](std::size_t r, std::int32_t a) {
    ma.push_back(a), mm.push_back(d.mrr().month[r]), mv.push_back(d.mrr().mrr[r]);
  });
  p.usage.account = column(std::move(ua)), p.usage.time = column(std::move(ut)), p.usage.event = column(std::move(ue));
  p.usage.value = column(std::move(uv));
  p.accounts.account = column(std::move(aa)), p.accounts.start = column(std::move(as)), p.accounts.end = column(std::move(ae));
  p.mrr.account = column(std::move(ma)), p.mrr.month = column(std::move(mm)), p.mrr.mrr = column(std::move(mv));
  return dataset(std::move(p));
}

TEST(CohortRetention, MatchesABruteForceCountOnAGeneratedPortfolio) {
  const auto& d = portfolio();
  const auto& u = d.usage();
  ASSERT_GT(u.size(), 1000u);
  for (const auto unit : {period::week, period::month}) {
    for (const auto mode : {cohort_mode::on, cohort_mode::on_or_after}) {
      cohort_options o;
      o.period = unit;
      o.mode = mode;
      const auto m = cohort_retention(d, o);
      // Independently: the set of active periods per account, then counts per (cohort, offset).
      std::map<std::int32_t, std::set<std::int64_t>> active;
      for (std::size_t r = 0; r < u.size(); ++r)
        if (u.time[r] < m.as_of()) active[u.account[r]].insert(period_index(u.time[r], unit));
      const std::int64_t last = period_index(m.as_of(), unit) - 1;
      std::map<std::pair<std::int64_t, std::int64_t>, double> counts;
      std::map<std::int64_t, double> sizes;
      for (const auto& [a, periods] : active) {
        const auto c = *periods.begin();
        sizes[c] += 1;
        for (std::int64_t k = 0; c + k <= last; ++k) {
          const bool hit = mode == cohort_mode::on ? periods.count(c + k) > 0 : *periods.rbegin() >= c + k;
          if (hit) counts[{c, k}] += 1;
        }
      }
      ASSERT_EQ(m.n_cohorts(), sizes.size());
      for (std::size_t i = 0; i < m.n_cohorts(); ++i) {
        const auto c = m.cohort_period(i);
        EXPECT_EQ(m.size(i), sizes[c]);
        for (std::size_t k = 0; k < m.n_offsets(); ++k) {
          const double expected = c + std::int64_t(k) <= last ? counts[{c, std::int64_t(k)}] : 0.0;
          EXPECT_EQ(m.count(i, k), expected) << to_string(unit) << " cohort " << i << " offset " << k;
        }
      }
    }
  }
}

TEST(CohortRetention, ShardsByAccountMergeExactly) {
  const auto& d = portfolio();
  const auto even = shard(d, [](std::int32_t a) { return a % 2 == 0; });
  const auto odd = shard(d, [](std::int32_t a) { return a % 2 == 1; });
  const auto early = shard(d, [](std::int32_t a) { return a < 40; });
  const auto late = shard(d, [](std::int32_t a) { return a >= 40; });
  for (const auto mode : {cohort_mode::on, cohort_mode::on_or_after}) {
    for (const auto by : {cohort_origin::first_activity, cohort_origin::start}) {
      cohort_options o;
      o.mode = mode;
      o.cohort_by = by;
      o.as_of = d.time_range().end;  // shards must agree on as_of
      const auto whole = cohort_retention(d, o);
      auto merged = cohort_retention(even, o);
      merged += cohort_retention(odd, o);
      EXPECT_TRUE(merged == whole);
      // Other split, other order.
      auto other = cohort_retention(late, o);
      other += cohort_retention(early, o);
      EXPECT_TRUE(other == whole);
      EXPECT_EQ(other.excluded(), whole.excluded());
    }
  }
  cohort_options o;
  o.value = cohort_value::mrr;
  o.as_of = from_civil(2025, 1, 1);
  auto merged = cohort_retention(even, o);
  merged += cohort_retention(odd, o);
  const auto whole = cohort_retention(d, o);
  ASSERT_EQ(merged.n_cohorts(), whole.n_cohorts());
  for (std::size_t i = 0; i < whole.n_cohorts(); ++i)
    for (std::size_t k = 0; k < whole.n_offsets(); ++k) EXPECT_NEAR(merged.count(i, k), whole.count(i, k), 1e-6 * (1 + whole.count(i, k)));

  cohort_options weekly = o;
  weekly.value = cohort_value::accounts;
  weekly.period = period::week;
  cohort_options monthly = weekly;
  monthly.period = period::month;
  auto a = cohort_retention(even, weekly);
  EXPECT_THAT([&] { a += cohort_retention(odd, monthly); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("cannot be merged")));
}

}  // namespace
