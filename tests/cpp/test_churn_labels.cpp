// Tests of custhealth/churn/labels.hpp on a portfolio small enough to label by hand (each case worked
// out in its comment); tests/python/test_churn_features.py pins the same labels against pandas.

#include "custhealth/churn/labels.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "custhealth/io/arrays.hpp"

using namespace custhealth;
using ::testing::HasSubstr;

namespace {

std::shared_ptr<const std::vector<std::string>> values(std::vector<std::string> v) {
  return std::make_shared<const std::vector<std::string>>(std::move(v));
}

/// a: Jan 1 – Mar 15; b: from Jan 1, active; c: from Apr 1; d: usage only (no start).
/// Usage: a Feb 1; b Feb 25, Mar 5, Mar 28; d May 31.
dataset portfolio() {
  static const std::vector<std::int64_t> acc{0, 1, 2}, start{0, 0, 1}, end{0, -1, -1};
  static const std::vector<std::int64_t> who{0, 1, 1, 1, 3}, when{0, 1, 2, 3, 4}, login{0, 0, 0, 0, 0};
  const auto ids = values({"a", "b", "c", "d"});
  std::map<table_id, array_table> t;
  t[table_id::accounts] = {{"account_id", array_column::strings(acc, ids)},
                           {"start", array_column::strings(start, values({"2024-01-01", "2024-04-01"}))},
                           {"end", array_column::strings(end, values({"2024-03-15"}))}};
  t[table_id::usage] = {
      {"account_id", array_column::strings(who, ids)},
      {"timestamp", array_column::strings(when, values({"2024-02-01", "2024-02-25", "2024-03-05", "2024-03-28",
                                                        "2024-05-31"}))},
      {"event", array_column::strings(login, values({"login"}))}};
  return read_arrays(t);
}

timestamp at(const char* s) { return parse_time_or_throw(s); }

}  // namespace

TEST(ChurnLabels, EndLabelsByHand) {
  const dataset d = portfolio();
  // Observed until the earlier of the accounts' end (the midnight after Apr 1, their latest start or
  // end) and usage's (Jun 1): Apr 2.
  const auto l = compute_churn_labels(d, {at("2024-03-10"), at("2024-03-01"), at("2024-04-01")}, {30, 0});
  ASSERT_EQ(l.as_of, (std::vector<timestamp>{at("2024-03-01"), at("2024-03-10"), at("2024-04-01")}));
  EXPECT_EQ(l.observed_until, at("2024-04-02"));
  auto cell = [&](std::size_t t, std::int32_t a) { return t * l.n_accounts + std::size_t(a); };
  // Mar 1, horizon to Mar 31 (complete): a ends Mar 15 → 1; b → 0; c starts later; d has no start.
  EXPECT_EQ(l.churned[cell(0, 0)], 1);
  EXPECT_EQ(l.churned[cell(0, 1)], 0);
  EXPECT_EQ(l.horizon_complete[cell(0, 1)], 1);
  EXPECT_EQ(l.exclusion[cell(0, 2)], churn_exclusion::not_started);
  EXPECT_EQ(l.exclusion[cell(0, 3)], churn_exclusion::no_start);
  // Mar 10, horizon to Apr 9, past Apr 2: a's end (Mar 15) is seen → 1; b is not known yet → −1.
  EXPECT_EQ(l.churned[cell(1, 0)], 1);
  EXPECT_EQ(l.horizon_complete[cell(1, 0)], 0);
  EXPECT_EQ(l.churned[cell(1, 1)], -1);
  // Apr 1: a ended before it; c starts on it (start ≥ T: not started).
  EXPECT_EQ(l.exclusion[cell(2, 0)], churn_exclusion::ended);
  EXPECT_EQ(l.exclusion[cell(2, 2)], churn_exclusion::not_started);
}

TEST(ChurnLabels, InactivityLabelsByHand) {
  const dataset d = portfolio();
  // Observed until the midnight after usage's last event: Jun 1. N = 10, H = 30.
  const auto l = compute_churn_labels(d, {at("2024-03-01"), at("2024-03-15")}, {30, 10});
  EXPECT_EQ(l.observed_until, at("2024-06-01"));
  auto cell = [&](std::size_t t, std::int32_t a) { return t * l.n_accounts + std::size_t(a); };
  // Mar 1: a's last use Feb 1 is not in [Feb 20, Mar 1) → inactive; b used Feb 25 → eligible, and
  // uses Mar 28 in [Mar 21, Mar 31) → 0. d begins at its first event (May 31): not started.
  EXPECT_EQ(l.exclusion[cell(0, 0)], churn_exclusion::inactive);
  EXPECT_EQ(l.churned[cell(0, 1)], 0);
  EXPECT_EQ(l.exclusion[cell(0, 3)], churn_exclusion::not_started);
  // Mar 15: b used Mar 5 in [Mar 5, Mar 15) → eligible; nothing in [Apr 4, Apr 14) → 1.
  EXPECT_EQ(l.churned[cell(1, 1)], 1);
  EXPECT_EQ(l.horizon_complete[cell(1, 1)], 1);
}

TEST(ChurnLabels, BadOptions) {
  const dataset d = portfolio();
  EXPECT_THAT([&] { compute_churn_labels(d, {at("2024-03-01")}, {0, 0}); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("horizon_days must be > 0")));
  EXPECT_THAT([&] { compute_churn_labels(d, {at("2024-03-01")}, {30, 31}); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("inactivity_days must be 0")));
  EXPECT_THAT([&] { compute_churn_labels(d, {}, {30, 0}); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("as_of is empty")));
  EXPECT_THAT([&] { compute_churn_labels(dataset{}, {at("2024-03-01")}, {30, 0}); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("no account has a start date")));
}
