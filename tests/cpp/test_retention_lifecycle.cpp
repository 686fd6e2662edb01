// tests/cpp/test_retention_lifecycle.cpp — lifecycle (growth accounting) per period: hand-calculated
// months and ISO weeks, periods without activity, the partial last period, filters and shard merges.
#include "custhealth/retention/lifecycle.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

#include "datasets.hpp"

#include "custhealth/synth/generate.hpp"

namespace {

using namespace custhealth;
using ::testing::HasSubstr;

using custhealth::test::event_row;
using custhealth::test::usage_dataset;

/// One row per period: new, retained, resurrected, dormant, active.
std::vector<std::array<std::int64_t, 5>> rows(const lifecycle_table& t) {
  std::vector<std::array<std::int64_t, 5>> out;
  for (std::size_t i = 0; i < t.size(); ++i)
    out.push_back({t.new_count(i), t.retained_count(i), t.resurrected_count(i), t.dormant_count(i), t.active_count(i)});
  return out;
}

// a: Jan, Feb, Apr; b: Feb–May; c: one event in March; d: only in June, after the last full month.
const std::vector<event_row> small = {
    {"a", "2024-01-03", "login"}, {"a", "2024-02-10", "login"}, {"a", "2024-02-11", "export"}, {"a", "2024-04-01", "login"},
    {"b", "2024-02-01", "login"}, {"b", "2024-03-01", "login"}, {"b", "2024-04-30", "export"}, {"b", "2024-05-31T23:59:59Z", "login"},
    {"c", "2024-03-15", "login"}, {"d", "2024-06-02", "login"},
};

TEST(Lifecycle, MonthlyHandCalculated) {
  lifecycle_options o;
  o.as_of = from_civil(2024, 6, 1);
  const auto t = lifecycle(usage_dataset(small), o);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t.start(0), from_civil(2024, 1, 1));
  EXPECT_EQ(t.start(4), from_civil(2024, 5, 1));
  using row = std::array<std::int64_t, 5>;
  EXPECT_EQ(rows(t), (std::vector<row>{
                         {1, 0, 0, 0, 1},  // Jan: a new
                         {1, 1, 0, 0, 2},  // Feb: b new, a retained
                         {1, 1, 0, 1, 2},  // Mar: c new, b retained, a dormant
                         {0, 1, 1, 1, 2},  // Apr: b retained, a resurrected, c dormant
                         {0, 1, 0, 1, 1},  // May: b retained, a dormant
                     }));
  // active(p) = active(p−1) + new + resurrected − dormant
  for (std::size_t i = 1; i < t.size(); ++i)
    EXPECT_EQ(t.active_count(i), t.active_count(i - 1) + t.new_count(i) + t.resurrected_count(i) - t.dormant_count(i));
}

TEST(Lifecycle, ThePartialLastPeriodIsLeftOut) {
  // Default as_of: one second past June 2nd, so June is partial and May is the last row.
  const auto t = lifecycle(usage_dataset(small));
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t.start(4), from_civil(2024, 5, 1));
}

TEST(Lifecycle, PeriodsWithoutActivityAndIsoWeeks) {
  // x: weeks of 2024-01-01 and 2024-01-15, nothing in the week of 2024-01-08.
  const auto d = usage_dataset({{"x", "2024-01-02", "login"}, {"x", "2024-01-21T23:00:00Z", "login"}, {"y", "2024-01-07", "login"}});
  lifecycle_options o;
  o.period = period::week;
  o.as_of = from_civil(2024, 1, 29);
  const auto t = lifecycle(d, o);
  using row = std::array<std::int64_t, 5>;
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t.start(0), from_civil(2024, 1, 1));
  EXPECT_EQ(rows(t), (std::vector<row>{{2, 0, 0, 0, 2}, {0, 0, 0, 2, 0}, {0, 0, 1, 0, 1}, {0, 0, 0, 1, 0}}));
}

TEST(Lifecycle, EventFilter) {
  lifecycle_options o;
  o.as_of = from_civil(2024, 6, 1);
  const auto d = usage_dataset(small);
  const std::vector<std::string> names{"export"};
  o.events = event_codes(d.usage(), names);
  const auto t = lifecycle(d, o);
  // Exports: a in February, b in April. Rows start at the first export.
  using row = std::array<std::int64_t, 5>;
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t.start(0), from_civil(2024, 2, 1));
  EXPECT_EQ(rows(t), (std::vector<row>{{1, 0, 0, 0, 1}, {0, 0, 0, 1, 0}, {1, 0, 0, 0, 1}, {0, 0, 0, 1, 0}}));
}

TEST(Lifecycle, ShardsMergeExactly) {
  lifecycle_options o;
  o.as_of = from_civil(2024, 6, 1);
  const auto whole = lifecycle(usage_dataset(small), o);
  std::vector<event_row> part_a, part_b;
  for (const auto& r : small) (r.account == "a" || r.account == "d" ? part_a : part_b).push_back(r);
  auto merged = lifecycle(usage_dataset(part_b), o);
  merged += lifecycle(usage_dataset(part_a), o);
  EXPECT_TRUE(merged == whole);

  generate_options g;
  g.n_accounts = 200, g.days = 300, g.payments = false;
  const auto p = generate(g).data;
  const auto t = lifecycle(p);
  ASSERT_GT(t.size(), 5u);
  for (std::size_t i = 1; i < t.size(); ++i)
    EXPECT_EQ(t.active_count(i), t.active_count(i - 1) + t.new_count(i) + t.resurrected_count(i) - t.dormant_count(i));
}

TEST(Lifecycle, BadInput) {
  EXPECT_THAT([] { (void)lifecycle(dataset{}); }, ::testing::ThrowsMessage<invalid_input>(HasSubstr("the usage table is empty")));
  lifecycle_options weekly;
  weekly.period = period::week;
  weekly.as_of = from_civil(2024, 6, 1);
  lifecycle_options monthly;
  monthly.as_of = weekly.as_of;
  auto a = lifecycle(usage_dataset(small), weekly);
  EXPECT_THAT([&] { a += lifecycle(usage_dataset(small), monthly); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("cannot be merged")));
}

}  // namespace
