// Tests of custhealth/dataset.hpp: sealing loaded parts into an indexed dataset — one account
// order, rows sorted by (account, time), sorted input kept without a copy, duplicates counted,
// negative, non-finite or duplicated MRR refused.

#include "custhealth/dataset.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "datasets.hpp"

using namespace custhealth;

namespace {

dataset_parts usage_parts(std::vector<std::string> ids, std::vector<std::int32_t> account, std::vector<timestamp> time,
                          std::vector<double> value) {
  dataset_parts p;
  for (const auto& id : ids) p.account_ids.intern(id);
  const auto n = account.size();
  p.usage.account = column(std::move(account));
  p.usage.time = column(std::move(time));
  p.usage.event = column(std::vector<std::int32_t>(n, p.usage.events.intern("login")));
  p.usage.value = column(std::move(value));
  return p;
}

}  // namespace

TEST(Dataset, SortsAccountsByIdAndRowsByTime) {
  // Codes in order of appearance: zeta=0, alpha=1, mid=2. After sealing: alpha=0, mid=1, zeta=2.
  auto p = usage_parts({"zeta", "alpha", "mid"}, {0, 1, 0, 2, 1}, {50, 30, 10, 20, 5}, {1, 2, 3, 4, 5});
  const dataset d(std::move(p));
  ASSERT_EQ(d.n_accounts(), 3u);
  EXPECT_EQ(d.account_ids()[0], "alpha");
  EXPECT_EQ(d.account_ids()[2], "zeta");
  const auto& u = d.usage();
  EXPECT_EQ(std::vector<std::int32_t>(u.account.begin(), u.account.end()), (std::vector<std::int32_t>{0, 0, 1, 2, 2}));
  EXPECT_EQ(std::vector<timestamp>(u.time.begin(), u.time.end()), (std::vector<timestamp>{5, 30, 20, 10, 50}));
  EXPECT_EQ(std::vector<double>(u.value.begin(), u.value.end()), (std::vector<double>{5, 2, 4, 3, 1}));
  EXPECT_EQ(u.index.offsets, (std::vector<std::int64_t>{0, 2, 3, 5}));
  EXPECT_EQ(d.time_range().begin, 0);  // whole days: the midnights around the first and last event
  EXPECT_EQ(d.time_range().end, seconds_per_day);
}

TEST(Dataset, KeepsSortedBorrowedColumnsWithoutACopy) {
  static const std::vector<double> external{1.5, 2.5, 3.5};
  auto p = usage_parts({"a", "b"}, {0, 0, 1}, {1, 2, 3}, {});
  p.usage.value = column<double>(external.data(), external.size(), nullptr);
  const dataset d(std::move(p));
  EXPECT_EQ(d.usage().value.data(), external.data());
}

TEST(Dataset, GivesEveryAccountARowAndKeepsAttributes) {
  auto p = usage_parts({"b", "a"}, {0, 1}, {10, 20}, {1, 1});
  p.accounts.account = column(std::vector<std::int32_t>{0});  // only "b" has an accounts row
  p.accounts.start = column(std::vector<timestamp>{7});
  const dataset d(std::move(p));
  const auto& acc = d.accounts();
  ASSERT_EQ(acc.size(), 2u);
  EXPECT_EQ(acc.start[0], no_time);  // "a": seen only in usage
  EXPECT_EQ(acc.start[1], 7);
  EXPECT_TRUE(std::isnan(acc.seats[1]));
  EXPECT_EQ(acc.segment[1], no_code);
}

TEST(Dataset, CountsDuplicateRows) {
  // Rows 0 and 2 are identical; row 1 shares their time but not their value.
  auto p = usage_parts({"a"}, {0, 0, 0, 0}, {5, 5, 5, 6}, {1, 2, 1, 1});
  const dataset d(std::move(p));
  const auto* r = d.report().find("usage");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->duplicates, 1);
  EXPECT_EQ(r->read, 4);
  EXPECT_EQ(d.usage().size(), 4u);  // reported, not dropped
}

TEST(Dataset, CountsDuplicatesInLargeSameTimeRuns) {
  // 20,000 events of one account on one date-only timestamp, 5 distinct values: 19,995 repeats.
  const std::size_t n = 20'000;
  std::vector<double> value(n);
  for (std::size_t i = 0; i < n; ++i) value[i] = double(i % 5);
  auto p = usage_parts({"a"}, std::vector<std::int32_t>(n, 0), std::vector<timestamp>(n, 86'400), value);
  const dataset d(std::move(p));
  EXPECT_EQ(d.report().find("usage")->duplicates, std::int64_t(n - 5));
}

TEST(Dataset, RejectsCodesOutsideTheDictionary) {
  auto p = usage_parts({"a"}, {0, 3}, {1, 2}, {1, 1});
  EXPECT_THROW(dataset(std::move(p)), invalid_input);
}

TEST(Dataset, RejectsNegativeNonFiniteAndDuplicatedMrr) {
  // The MRR analytics rely on one finite MRR ≥ 0 per account and month. The loaders drop other
  // rows; parts built by hand are refused here, naming the account by its id after the
  // dictionary is sorted ("alpha" is code 1 before sealing, 0 after).
  using custhealth::test::mrr_dataset;
  using ::testing::HasSubstr;
  using ::testing::ThrowsMessage;
  EXPECT_THAT([] { (void)mrr_dataset({{"zeta", "2024-01", 5}, {"alpha", "2024-01", 5}, {"alpha", "2024-02", -1}}); },
              ThrowsMessage<invalid_input>(HasSubstr("mrr: account \"alpha\": month 2024-02: column 'mrr': must not be negative")));
  EXPECT_THAT([] { (void)mrr_dataset({{"a", "2024-01", std::nan("")}}); },
              ThrowsMessage<invalid_input>(HasSubstr("mrr: account \"a\": month 2024-01: column 'mrr': must be a finite number")));
  EXPECT_THAT([] { (void)mrr_dataset({{"a", "2024-01", 5}, {"a", "2024-01-31", 6}}); },
              ThrowsMessage<invalid_input>(HasSubstr("mrr: account \"a\": month 2024-01: the account already has a row")));
  EXPECT_NO_THROW((void)mrr_dataset({{"a", "2024-01", 0}, {"a", "2024-02", 5}, {"b", "2024-01", 5}}));
}

TEST(Dataset, EmptyDatasetHasNoRange) {
  const dataset d;
  EXPECT_EQ(d.n_accounts(), 0u);
  EXPECT_EQ(d.time_range().end, d.time_range().begin);
}

TEST(TableReport, StrictThrowsLenientCounts) {
  table_report r;
  EXPECT_THROW(r.reject("x.csv:3", {"score", "bad", "11"}, true), invalid_input);
  r.reject("x.csv:3", {"score", "bad", "11"}, false);
  r.reject("x.csv:4", {"score", "bad", "12"}, false);
  EXPECT_EQ(r.rejected, 2);
  EXPECT_EQ(r.reasons.at("column 'score': bad"), 2);
  EXPECT_EQ(r.examples.front(), "x.csv:3: column 'score': bad: \"11\"");
}

TEST(TableReport, TruncatesHugeValuesInMessages) {
  table_report r;
  r.reject("x.csv:2", {"event", "bad", std::string(10'000'000, 'x')}, false);
  EXPECT_LT(r.examples.front().size(), 200u);
}

// Issue 12, defect 2: a hand-built time of about 1e17 s (year 3e9) reached the cohort engine, whose
// year arithmetic overflowed into an empty frame and a write past its end; the no_time sentinel
// passed as a real time in a required column. Parts are now checked like loaded rows.
TEST(Dataset, RefusesImplausibleTimesInPartsBuiltByHand) {
  const timestamp ok = from_civil(2024, 1, 1);
  for (const timestamp bad : {timestamp(100'000'000'000'000'000), no_time, from_civil(2200, 1, 1), from_civil(1899, 12, 31),
                              std::numeric_limits<timestamp>::max()}) {
    EXPECT_THROW(dataset(usage_parts({"a"}, {0, 0}, {ok, bad}, {1, 1})), invalid_input) << bad;
  }
  try {
    dataset(usage_parts({"a"}, {0}, {timestamp(100'000'000'000'000'000)}, {1}));
    FAIL() << "no error";
  } catch (const invalid_input& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("usage[0]: 100000000000000000 s is not a plausible time"));
  }
  auto p = usage_parts({"a"}, {0}, {ok}, {1});
  p.accounts.account = column(std::vector<std::int32_t>{0});
  p.accounts.start = column(std::vector<timestamp>{ok});
  p.accounts.end = column(std::vector<timestamp>{from_civil(9999, 12, 31)});
  EXPECT_THROW(dataset(std::move(p)), invalid_input);
  // The span's own ends: 1900-01-01 is in, 2199-12-31 too; an optional time may be absent.
  EXPECT_EQ(dataset(usage_parts({"a"}, {0, 0}, {from_civil(1900, 1, 1), from_civil(2199, 12, 31, 23, 59, 59)}, {1, 1}))
                .usage().size(), 2u);
}

TEST(Dataset, EachTableEndsAtItsOwnLatestEventTimeInWholeDays) {
  // DESIGN §2, default T: a table's end is the midnight after its latest event time (tickets: any
  // of opened, first response, resolved; MRR: the month after its latest month); an analytic
  // reading several tables takes the earliest of their ends, skipping empty tables.
  dataset_parts p;
  p.account_ids.intern("a");
  p.usage.account = column(std::vector<std::int32_t>{0, 0});
  p.usage.time = column(std::vector<timestamp>{from_civil(2024, 1, 3, 5), from_civil(2024, 2, 10, 23)});
  p.usage.event = column(std::vector<std::int32_t>{p.usage.events.intern("x"), 0});
  p.usage.value = column(std::vector<double>{1, 1});
  p.tickets.account = column(std::vector<std::int32_t>{0});
  p.tickets.opened = column(std::vector<timestamp>{from_civil(2024, 1, 20)});
  p.tickets.first_response = column(std::vector<timestamp>{from_civil(2024, 1, 21)});
  p.tickets.resolved = column(std::vector<timestamp>{from_civil(2024, 3, 2, 12)});
  p.tickets.prio = column(std::vector<priority>{priority::high});
  p.tickets.owner = column(std::vector<std::int32_t>{no_code});
  p.mrr.account = column(std::vector<std::int32_t>{0});
  p.mrr.month = column(std::vector<timestamp>{from_civil(2024, 1, 1)});
  p.mrr.mrr = column(std::vector<double>{100});
  const dataset d(std::move(p));

  EXPECT_EQ(d.table_range(table_id::usage).begin, from_civil(2024, 1, 3));
  EXPECT_EQ(d.table_range(table_id::usage).end, from_civil(2024, 2, 11));
  EXPECT_EQ(d.table_range(table_id::tickets).end, from_civil(2024, 3, 3));  // the resolution counts
  EXPECT_EQ(d.table_range(table_id::mrr).end, from_civil(2024, 2, 1));      // January in full
  EXPECT_EQ(d.table_range(table_id::surveys).end, d.table_range(table_id::surveys).begin);
  EXPECT_EQ(d.data_end({table_id::usage}), from_civil(2024, 2, 11));
  EXPECT_EQ(d.data_end({table_id::usage, table_id::tickets}), from_civil(2024, 2, 11));
  EXPECT_EQ(d.data_end({table_id::tickets, table_id::mrr}), from_civil(2024, 2, 1));
  EXPECT_EQ(d.data_end({table_id::surveys, table_id::tickets}), from_civil(2024, 3, 3));  // empty skipped
  EXPECT_EQ(d.data_end({table_id::surveys}), no_time);
  EXPECT_EQ(d.as_of_or_end(from_civil(2024, 1, 15), {table_id::usage}), from_civil(2024, 1, 15));
  EXPECT_EQ(d.time_range().begin, from_civil(2024, 1, 1));
  EXPECT_EQ(d.time_range().end, from_civil(2024, 3, 3));
}
