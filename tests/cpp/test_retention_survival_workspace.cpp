// tests/cpp/test_retention_survival_workspace.cpp — fits and log-rank tests with a survival_workspace
// equal, to the bit, the same calls without one, and both equal hand-computed curves and statistics.
#include "custhealth/retention/survival_workspace.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "custhealth/retention/kaplan_meier.hpp"
#include "custhealth/retention/logrank.hpp"

namespace {

using custhealth::kaplan_meier;
using custhealth::kaplan_meier_result;
using custhealth::km_event_table;
using custhealth::logrank_test;
using custhealth::survival_workspace;

std::vector<std::uint64_t> bits(const std::vector<double>& column) {
  std::vector<std::uint64_t> out(column.size());
  std::transform(column.begin(), column.end(), out.begin(), [](double x) { return std::bit_cast<std::uint64_t>(x); });
  return out;
}

/// Every stored and derived column of `a` and `b` has the same bits.
void expect_same_bits(const kaplan_meier_result& a, const kaplan_meier_result& b, survival_workspace* workspace) {
  EXPECT_EQ(bits(a.timeline), bits(b.timeline));
  EXPECT_EQ(bits(a.survival), bits(b.survival));
  EXPECT_EQ(bits(a.greenwood_sum), bits(b.greenwood_sum));
  EXPECT_EQ(bits(a.at_risk), bits(b.at_risk));
  EXPECT_EQ(bits(a.observed), bits(b.observed));
  EXPECT_EQ(bits(a.censored), bits(b.censored));
  EXPECT_EQ(bits(a.entrance), bits(b.entrance));
  EXPECT_EQ(bits(a.variance()), bits(b.variance(workspace)));
  EXPECT_EQ(bits(a.cumulative_density()), bits(b.cumulative_density(workspace)));
  EXPECT_EQ(bits(a.removed()), bits(b.removed(workspace)));
  const auto [a_low, a_high] = a.confidence_band();
  const auto [b_low, b_high] = b.confidence_band(workspace);
  EXPECT_EQ(bits(a_low), bits(b_low));
  EXPECT_EQ(bits(a_high), bits(b_high));
  EXPECT_EQ(std::bit_cast<std::uint64_t>(a.median()), std::bit_cast<std::uint64_t>(b.median()));
}

/// The data pointers of a result's columns.
std::set<const double*> column_addresses(const kaplan_meier_result& r) {
  return {r.timeline.data(), r.survival.data(), r.greenwood_sum.data(), r.at_risk.data(),
          r.observed.data(), r.censored.data(), r.entrance.data()};
}

/// Fits `fit(workspace)` without a workspace, with a fresh one, with one holding the buffers of an
/// earlier fit of other data (`other`), and after release(); checks that all give the same bits and
/// that the workspace kept buffers — and, with `columns_reused`, that the fit took some of the recycled
/// columns (a fit with few rows has columns below the workspace's floor). Returns the plain fit.
template <class Fit, class Other>
kaplan_meier_result fit_three_ways(Fit fit, Other other, bool columns_reused) {
  const kaplan_meier_result plain = fit(nullptr);
  survival_workspace workspace;
  kaplan_meier_result fresh = fit(&workspace);
  expect_same_bits(plain, fresh, &workspace);
  kaplan_meier_result previous = other(&workspace);
  const auto recycled = column_addresses(previous);
  previous.recycle(workspace);
  EXPECT_TRUE(previous.empty());
  EXPECT_GT(workspace.spare_bytes(), 0u);
  const kaplan_meier_result reused = fit(&workspace);
  expect_same_bits(plain, reused, &workspace);
  const auto used = column_addresses(reused);
  if (columns_reused) {
    EXPECT_TRUE(std::any_of(used.begin(), used.end(), [&](const double* p) { return recycled.count(p) > 0; }))
        << "the fit took none of the recycled columns";
  }
  workspace.release();
  EXPECT_EQ(workspace.spare_bytes(), 0u);
  expect_same_bits(plain, fit(&workspace), &workspace);
  return plain;
}

TEST(SurvivalWorkspace, LateEntryHandExampleReplicated) {
  // KaplanMeier.LateEntryRiskSets, its times shifted by 0.5 (not integers, so the records are sorted) and
  // each subject replicated m times (sort buffers of 8 MB, above the workspace's 4 MiB floor).
  // A: (0, 4.5] event; B: (0, 6.5] censored; C: (2.5, 4.5] event; D: (3.5, 8.5] event; E: (5.5, 8.5]
  // censored. n(4.5) = 4m with 2m deaths, n(8.5) = 2m with m deaths: S = 1/2 then 1/4, exactly.
  const std::size_t m = 200'000;
  const double exit_of[] = {4.5, 6.5, 4.5, 8.5, 8.5}, entry_of[] = {0, 0, 2.5, 3.5, 5.5};
  const std::uint8_t event_of[] = {1, 0, 1, 1, 0};
  std::vector<double> exit, entry;
  std::vector<std::uint8_t> event;
  for (std::size_t i = 0; i < 5 * m; ++i) {
    exit.push_back(exit_of[i % 5]);
    entry.push_back(entry_of[i % 5]);
    event.push_back(event_of[i % 5]);
  }
  std::vector<double> other_exit = exit;
  for (double& t : other_exit) t += 1.0;
  const auto r = fit_three_ways(
      [&](survival_workspace* w) { return kaplan_meier(exit, event, entry, {}, 0.95, w); },
      [&](survival_workspace* w) { return kaplan_meier(other_exit, event, entry, {}, 0.95, w); }, false);
  const double md = static_cast<double>(m);
  EXPECT_EQ(r.timeline, (std::vector<double>{0, 2.5, 3.5, 4.5, 5.5, 6.5, 8.5}));
  EXPECT_EQ(r.entrance, (std::vector<double>{2 * md, md, md, 0, md, 0, 0}));
  EXPECT_EQ(r.at_risk, (std::vector<double>{2 * md, 3 * md, 4 * md, 4 * md, 3 * md, 3 * md, 2 * md}));
  EXPECT_EQ(r.survival, (std::vector<double>{1, 1, 1, 0.5, 0.5, 0.5, 0.25}));
  // Greenwood: 2m/(4m·2m) + m/(2m·m) = 0.75/m.
  EXPECT_DOUBLE_EQ(r.greenwood_sum.back(), 0.75 / md);
  EXPECT_EQ(r.median(), 4.5);
}

TEST(SurvivalWorkspace, DistinctTimesAllEvents) {
  // n subjects leaving one by one at times 0.5, 1.5, …, all events, in shuffled order (the one-pass fit
  // from sorted keys). After k deaths S = Π (1 − 1/(n − j)) = (n − k)/n and Greenwood's sum
  // Σ 1/((n − j)(n − j − 1)) = 1/(n − k) − 1/n (telescoping); the last death takes S to 0.
  const std::size_t n = 600'000;
  std::vector<double> durations(n);
  for (std::size_t i = 0; i < n; ++i) durations[i] = static_cast<double>(i) + 0.5;
  std::shuffle(durations.begin(), durations.end(), std::mt19937_64(5));
  const std::vector<std::uint8_t> observed(n, 1);
  const std::vector<std::uint8_t> other_observed(n, 0);
  const auto r = fit_three_ways(
      [&](survival_workspace* w) { return kaplan_meier(durations, observed, {}, {}, 0.95, w); },
      [&](survival_workspace* w) { return kaplan_meier(durations, other_observed, {}, {}, 0.95, w); }, true);
  const double nd = static_cast<double>(n);
  ASSERT_EQ(r.timeline.size(), n + 1);
  for (std::size_t k = 1; k <= n; k += 9973) {
    const double kd = static_cast<double>(k);
    ASSERT_EQ(r.timeline[k], kd - 0.5);
    ASSERT_EQ(r.at_risk[k], nd - kd + 1);
    ASSERT_EQ(r.observed[k], 1.0);
    ASSERT_NEAR(r.survival[k], (nd - kd) / nd, 1e-9);
    if (k < n) {
      ASSERT_NEAR(r.greenwood_sum[k], 1.0 / (nd - kd) - 1.0 / nd, 1e-9 * (1.0 / (nd - kd)));
    }
  }
  EXPECT_EQ(r.survival.back(), 0.0);
}

TEST(SurvivalWorkspace, EventTableAndItsFit) {
  // The table path (weights): from_spans, copy and kaplan_meier(table) with and without a workspace, on the
  // lifelines survival_table_from_events docstring sample replicated with weight m per subject.
  const double m = 3.0;
  const std::vector<double> t{6.5, 7.5, 7.5, 9.5, 9.5, 9.5, 13.5, 13.5, 13.5, 15.5, 15.5};
  const std::vector<std::uint8_t> e(t.size(), 1);
  const std::vector<double> w(t.size(), m);
  survival_workspace workspace;
  const auto plain = km_event_table::from_spans(t, e, {}, w);
  auto with = km_event_table::from_spans(t, e, {}, w, &workspace);
  EXPECT_EQ(plain, with);
  EXPECT_EQ(bits(plain.at_risk()), bits(with.at_risk(&workspace)));
  EXPECT_EQ(plain.at_risk(), (std::vector<double>{11 * m, 11 * m, 10 * m, 8 * m, 5 * m, 2 * m}));
  const auto a = kaplan_meier(plain), b = kaplan_meier(with, 0.95, &workspace);
  expect_same_bits(a, b, &workspace);
  EXPECT_NEAR(a.survival[3], 10.0 / 11 * 8 / 10 * 5 / 8, 1e-14);
  expect_same_bits(a, kaplan_meier(plain.copy(&workspace), 0.95, &workspace), &workspace);
  with.recycle(workspace);
  EXPECT_TRUE(with.empty());
}

TEST(SurvivalWorkspace, LogRankOfTwoIdenticalGroups) {
  // Every subject twice, once per group: at every time both groups have the same number at risk and of
  // deaths, so E = O exactly and the statistic is 0 (p = 1). Continuous times take the bucket sort,
  // integer days the counting sort; records of 24 bytes × 600,000 use the workspace's sort buffers.
  const std::size_t n = 300'000;
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> life(1.0 / 700.0);
  std::vector<double> continuous(2 * n), days(2 * n);
  std::vector<std::uint8_t> observed(2 * n);
  std::vector<int> groups(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    continuous[i] = continuous[n + i] = life(rng);
    days[i] = days[n + i] = std::ceil(continuous[i]);
    observed[i] = observed[n + i] = static_cast<std::uint8_t>(rng() % 3 != 0);
    groups[i] = 0;
    groups[n + i] = 1;
  }
  survival_workspace workspace;
  for (const auto* durations : {&continuous, &days}) {
    const auto plain = logrank_test(*durations, observed, groups);
    for (int round = 0; round < 2; ++round) {  // the second round reuses the first one's sort buffers
      const auto with = logrank_test(*durations, observed, groups, {}, {}, &workspace);
      EXPECT_GT(workspace.spare_bytes(), 0u);
      EXPECT_EQ(std::bit_cast<std::uint64_t>(with.statistic), std::bit_cast<std::uint64_t>(plain.statistic));
      EXPECT_EQ(bits(with.observed), bits(plain.observed));
      EXPECT_EQ(bits(with.expected), bits(plain.expected));
    }
    EXPECT_EQ(plain.statistic, 0.0);
    EXPECT_EQ(plain.p_value, 1.0);
    EXPECT_EQ(plain.expected, plain.observed);
    EXPECT_EQ(plain.observed[0], plain.observed[1]);
  }
}

}  // namespace
