// tests/cpp/test_retention_tenure.cpp — tenures for survival analysis: observed ends, censoring at the
// as-of moment (an end at or after it is not yet known), excluded accounts counted.
#include "custhealth/retention/tenure.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

namespace {

using namespace custhealth;
using ::testing::HasSubstr;

struct account_row {
  std::string id;
  timestamp start;
  timestamp end;
};

dataset accounts_dataset(const std::vector<account_row>& rows, bool with_usage = false) {
  dataset_parts p;
  std::vector<std::int32_t> account;
  std::vector<timestamp> start, end;
  for (const auto& r : rows) account.push_back(p.account_ids.intern(r.id)), start.push_back(r.start), end.push_back(r.end);
  p.accounts.account = column(std::move(account));
  p.accounts.start = column(std::move(start));
  p.accounts.end = column(std::move(end));
  if (with_usage) {  // one account seen only in usage, the data ending on 2024-03-01
    p.usage.account = column(std::vector<std::int32_t>{p.account_ids.intern("usage_only")});
    p.usage.time = column(std::vector<timestamp>{from_civil(2024, 3, 1) - 1});
    p.usage.event = column(std::vector<std::int32_t>{p.usage.events.intern("login")});
    p.usage.value = column(std::vector<double>{1.0});
  }
  return dataset(std::move(p));
}

TEST(Tenure, ObservedCensoredAndExcluded) {
  const auto d = accounts_dataset({{"churned", from_civil(2024, 1, 1), from_civil(2024, 1, 31)},
                                   {"active", from_civil(2024, 1, 1), no_time},
                                   {"leaves_later", from_civil(2024, 1, 1, 12), from_civil(2024, 4, 1)},
                                   {"future", from_civil(2024, 3, 5), no_time}},
                                  true);
  const auto t = tenure(d);  // as_of: the end of the data, 2024-03-01
  EXPECT_EQ(t.as_of, from_civil(2024, 3, 1));
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.without_start, 1);  // usage_only
  EXPECT_EQ(t.not_started, 1);    // future
  // Codes follow sorted ids: active, churned, future, leaves_later, usage_only.
  EXPECT_EQ(t.account, (std::vector<std::int32_t>{0, 1, 3}));
  EXPECT_EQ(t.duration, (std::vector<double>{60, 30, 59.5}));
  EXPECT_EQ(t.observed, (std::vector<std::uint8_t>{0, 1, 0}));

  const auto later = tenure(d, from_civil(2024, 6, 1));
  EXPECT_EQ(later.not_started, 0);
  EXPECT_EQ(later.observed, (std::vector<std::uint8_t>{0, 1, 0, 1}));
  EXPECT_EQ(later.duration[3], 90.5);
}

TEST(Tenure, DefaultAsOfWithoutEventTables) {
  const auto d = accounts_dataset({{"a", from_civil(2024, 1, 1), from_civil(2024, 1, 11)}, {"b", from_civil(2024, 1, 6), no_time}});
  const auto t = tenure(d);
  EXPECT_EQ(t.as_of, from_civil(2024, 1, 12));
  EXPECT_EQ(t.observed, (std::vector<std::uint8_t>{1, 0}));
  EXPECT_EQ(t.duration, (std::vector<double>{10, 6}));
}

TEST(Tenure, BadInput) {
  EXPECT_THAT([] { (void)tenure(dataset{}); }, ::testing::ThrowsMessage<invalid_input>(HasSubstr("no account has a start date")));
  const auto d = accounts_dataset({{"a", from_civil(2024, 2, 1), from_civil(2024, 1, 1)}});
  EXPECT_THAT([&] { (void)tenure(d, from_civil(2024, 3, 1)); }, ::testing::ThrowsMessage<invalid_input>(HasSubstr("is before start")));
}

TEST(Tenure, ThreadsGiveOneThreadsListsAndTheHandFormula) {
  // 13,000 accounts: three blocks of 4,096, so 2 and 3 threads really split. Account i starts on day
  // i % 300 of 2023; every third ends 10 + i % 50 days later; every 97th has no start, every 101st
  // starts after as_of.
  const timestamp as_of = from_civil(2024, 1, 1), day0 = from_civil(2023, 1, 1);
  std::vector<account_row> rows;
  for (int i = 0; i < 13'000; ++i) {
    const timestamp start = i % 97 == 0 ? no_time : i % 101 == 0 ? as_of + seconds_per_day : day0 + (i % 300) * seconds_per_day;
    const timestamp end = i % 3 == 0 && start != no_time ? start + (10 + i % 50) * seconds_per_day : no_time;
    char id[16];
    std::snprintf(id, sizeof id, "a%05d", i);  // sorted ids: code i
    rows.push_back({id, start, end});
  }
  const auto d = accounts_dataset(rows);
  const auto one = tenure(d, as_of, 1);
  for (const std::int32_t threads : {2, 3}) {
    const auto many = tenure(d, as_of, threads);
    EXPECT_EQ(many.account, one.account);
    EXPECT_EQ(many.duration, one.duration);
    EXPECT_EQ(many.observed, one.observed);
    EXPECT_EQ(many.without_start, one.without_start);
    EXPECT_EQ(many.not_started, one.not_started);
  }
  std::size_t k = 0;
  std::int64_t without = 0, later = 0;
  for (int i = 0; i < 13'000; ++i) {
    if (i % 97 == 0) {
      ++without;
    } else if (i % 101 == 0) {
      ++later;
    } else {
      ASSERT_EQ(one.account[k], i);
      EXPECT_EQ(one.duration[k], i % 3 == 0 ? 10 + i % 50 : 365 - i % 300);
      EXPECT_EQ(one.observed[k], i % 3 == 0 ? 1 : 0);
      ++k;
    }
  }
  EXPECT_EQ(k, one.size());
  EXPECT_EQ(one.without_start, without);
  EXPECT_EQ(one.not_started, later);
  // The first bad account in code order is reported, whichever thread meets one first.
  rows[6'000].end = rows[6'000].start - seconds_per_day;
  rows[12'000].end = rows[12'000].start - seconds_per_day;
  const auto bad = accounts_dataset(rows);
  EXPECT_THAT([&] { (void)tenure(bad, as_of, 3); }, ::testing::ThrowsMessage<invalid_input>(HasSubstr("\"a06000\"")));
  for (const std::int32_t n : {0, -1, max_threads + 1})
    EXPECT_THAT([&] { (void)tenure(d, as_of, n); },
                ::testing::ThrowsMessage<invalid_input>(HasSubstr("tenure: n_threads must be from 1 to 4096")));
}

}  // namespace
