// tests/cpp/test_churn_metrics.cpp — churn/metrics.hpp against hand computations (worked out in the comments)
// and against brute-force pair counts on random data; tests/python/test_metrics.py pins the same
// functions against scikit-learn and lifelines; the calibration maps of churn/calibration.hpp by hand.

#include "custhealth/churn/metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <utility>
#include <numbers>
#include <random>
#include <vector>

#include "custhealth/churn/calibration.hpp"
#include "expect.hpp"

namespace custhealth {
namespace {

using test::invalid_input_message;

// The six-point example with ties used throughout:
//   i      0    1    2    3    4    5
//   y      1    0    1    0    1    0
//   score 0.9  0.9  0.7  0.5  0.5  0.1
//   w      1    2    1    1    3    1
const std::vector<int> y6{1, 0, 1, 0, 1, 0};
const std::vector<double> s6{0.9, 0.9, 0.7, 0.5, 0.5, 0.1};
const std::vector<double> w6{1, 2, 1, 1, 3, 1};

TEST(Metrics, RocAucHandExampleWithTies) {
  // The 3 × 3 positive–negative pairs, ½ for a tie:
  //   pos 0.9 vs neg 0.9, 0.5, 0.1: ½ + 1 + 1 = 2.5
  //   pos 0.7 vs neg 0.9, 0.5, 0.1: 0 + 1 + 1 = 2
  //   pos 0.5 vs neg 0.9, 0.5, 0.1: 0 + ½ + 1 = 1.5      AUC = 6 / 9 = 2/3
  EXPECT_DOUBLE_EQ(roc_auc(y6, s6), 2.0 / 3.0);
  // Weighted, Σ wᵢwⱼ·[pos above neg] over Σw₊·Σw₋ = 5·4:
  //   pos 0.9 (w 1): neg 0.9 (w 2) tie ½·2 = 1, neg 0.5 (1) 1, neg 0.1 (1) 1      → 1·3   = 3
  //   pos 0.7 (w 1): neg 0.5 1, neg 0.1 1                                          → 1·2   = 2
  //   pos 0.5 (w 3): neg 0.5 tie ½, neg 0.1 1                                      → 3·1.5 = 4.5
  //   AUC = 9.5 / 20 = 0.475
  EXPECT_DOUBLE_EQ(roc_auc(y6, s6, w6), 0.475);
}

TEST(Metrics, PrAucHandExampleWithTies) {
  // Distinct scores from the top; tied scores enter together:
  //   ≥ 0.9: tp 1 fp 1 → P 1/2, R 1/3;  ≥ 0.7: tp 2 fp 1 → P 2/3, R 2/3;  ≥ 0.5: tp 3 fp 2 → P 3/5, R 1
  //   AP = ⅓·½ + ⅓·⅔ + ⅓·⅗ = 53/90
  EXPECT_DOUBLE_EQ(pr_auc(y6, s6), 53.0 / 90.0);
  // Weighted (P = 5): ≥ 0.9: tp 1 fp 2 → P ⅓, ΔR ⅕;  ≥ 0.7: tp 2 fp 2 → P ½, ΔR ⅕;
  //   ≥ 0.5: tp 5 fp 3 → P ⅝, ΔR ⅗.   AP = 1/15 + 1/10 + 3/8 = 13/24
  EXPECT_DOUBLE_EQ(pr_auc(y6, s6, w6), 13.0 / 24.0);
}

TEST(Metrics, BrierAndLogLossHandExample) {
  // (y − p)²: 0.01, 0.81, 0.09, 0.25, 0.25, 0.01 → Σ 1.42; weighted Σ 2.73 over Σw 9.
  EXPECT_NEAR(brier(y6, s6), 1.42 / 6, 1e-15);
  EXPECT_NEAR(brier(y6, s6, w6), 2.73 / 9, 1e-15);
  // −[ln .9 + ln .1 + ln .7 + ln .5 + ln .5 + ln .9] / 6 (y = 0 rows take ln(1 − p)).
  const double expected = -(2 * std::log(0.9) + std::log(0.1) + std::log(0.7) + 2 * std::log(0.5)) / 6;
  EXPECT_NEAR(log_loss(y6, s6), expected, 1e-15);
  // Clipping at ε = 2⁻⁵²: a confident miss costs 52·ln 2, a confident hit −ln(1 − ε) ≈ ε.
  const std::vector<int> y{1, 0};
  const std::vector<double> p{0.0, 0.0};
  EXPECT_NEAR(log_loss(y, p), (52 * std::numbers::ln2 + 2.220446049250313e-16) / 2, 1e-14);
  // One class only is defined for the losses.
  EXPECT_NEAR(log_loss(std::vector<int>{1, 1}, std::vector<double>{0.5, 0.5}), std::numbers::ln2, 1e-15);
}

TEST(Metrics, CalibrationDropsEmptyBinsAndPutsEdgesInTheLowerBin) {
  // Ten uniform bins: edges i·0.1 as numpy.linspace makes them (0.7 → 7·0.1 = 0.7000000000000001).
  // A p on an inner edge belongs to the bin below it: 0.1 → bin 0, 0.5 → bin 4, 0.7 → bin 6 (0.7 <
  // 0.7000000000000001), 0.9 → bin 8. The other six bins are empty and dropped.
  const auto t = calibration(y6, s6, 10);
  ASSERT_EQ(t.bin, (std::vector<std::int64_t>{0, 4, 6, 8}));
  EXPECT_EQ(t.count, (std::vector<std::int64_t>{1, 2, 1, 2}));
  EXPECT_DOUBLE_EQ(t.lower[1], 0.4);
  EXPECT_DOUBLE_EQ(t.upper[1], 0.5);
  EXPECT_EQ(t.prob_pred, (std::vector<double>{0.1, 0.5, 0.7, 0.9}));
  EXPECT_EQ(t.prob_true, (std::vector<double>{0.0, 0.5, 1.0, 0.5}));
  // Two quantile bins: sorted p = .1 .5 .5 .7 .9 .9; the median edge is at virtual index 5·½ = 2.5,
  // between .5 and .7 → 0.6. Bin 0 = {.1, .5, .5} (one churner), bin 1 = {.7, .9, .9} (two).
  const auto q = calibration(y6, s6, 2, calibration_strategy::quantile);
  ASSERT_EQ(q.bin, (std::vector<std::int64_t>{0, 1}));
  EXPECT_DOUBLE_EQ(q.lower[0], 0.1);
  EXPECT_NEAR(q.upper[0], 0.6, 1e-15);
  EXPECT_DOUBLE_EQ(q.upper[1], 0.9);
  EXPECT_EQ(q.count, (std::vector<std::int64_t>{3, 3}));
  EXPECT_NEAR(q.prob_pred[0], 1.1 / 3, 1e-15);
  EXPECT_DOUBLE_EQ(q.prob_true[0], 1.0 / 3);
  EXPECT_DOUBLE_EQ(q.prob_true[1], 2.0 / 3);
  EXPECT_EQ(parse_enum<calibration_strategy>("strategy", "quantile"), calibration_strategy::quantile);
}

TEST(Metrics, TopKCountRule) {
  EXPECT_EQ(top_k_count(10, 0.7), 7U);  // 0.7·10 = 7.000000000000001 in doubles: still 7
  EXPECT_EQ(top_k_count(10, 0.71), 8U);  // ⌈7.1⌉
  EXPECT_EQ(top_k_count(10, 0.01), 1U);  // at least one
  EXPECT_EQ(top_k_count(3, 1.0), 3U);
  EXPECT_EQ(top_k_count(1000, 0.1), 100U);
}

TEST(Metrics, PrecisionAndLiftAtKShareTiesAtTheCut) {
  // Overall rate 3/6 = ½.
  // k = ⅓ → top 2 = the two 0.9s, one churner: precision ½, lift 1.
  EXPECT_DOUBLE_EQ(precision_at_k(y6, s6, 1.0 / 3), 0.5);
  EXPECT_DOUBLE_EQ(lift(y6, s6, 1.0 / 3), 1.0);
  // k = ½ → top 3 = 0.9, 0.9, 0.7: two churners → ⅔, lift 4/3.
  EXPECT_DOUBLE_EQ(precision_at_k(y6, s6, 0.5), 2.0 / 3);
  EXPECT_DOUBLE_EQ(lift(y6, s6, 0.5), 4.0 / 3);
  // k = 0.6 → top ⌈3.6⌉ = 4: the 3 above 0.5 (two churners) and 1 of the 2 tied at 0.5 (one churner
  // between them): 2 + 1·½ = 2.5 churners expected → 2.5 / 4 = 0.625, lift 1.25.
  EXPECT_DOUBLE_EQ(precision_at_k(y6, s6, 0.6), 0.625);
  EXPECT_DOUBLE_EQ(lift(y6, s6, 0.6), 1.25);
  // k = ⅙ → top 1: one of the two 0.9s, ½ a churner.
  EXPECT_DOUBLE_EQ(precision_at_k(y6, s6, 1.0 / 6), 0.5);
  // Reordering the rows changes nothing (the tie rule does not look at the order).
  const std::vector<int> y_rev(y6.rbegin(), y6.rend());
  const std::vector<double> s_rev(s6.rbegin(), s6.rend());
  EXPECT_DOUBLE_EQ(precision_at_k(y_rev, s_rev, 0.6), 0.625);
  EXPECT_DOUBLE_EQ(precision_at_k(y_rev, s_rev, 1.0 / 6), 0.5);
}

TEST(Metrics, ConcordanceIndexHandExample) {
  // subject    a  b  c  d  e
  // duration   1  2  2  3  4
  // event      1  1  0  1  0
  // predicted  1  3  2  3  5
  // Admissible pairs (the shorter one ends in an event; at equal durations event before censoring):
  //   a–b, a–c, a–d, a–e: a predicted lowest → 4 concordant
  //   b–c (same duration, b the event): 3 > 2 → discordant;  b–d: 3 = 3 → tied;  b–e: concordant
  //   d–e: concordant.   c and e are censored, so c–d, c–e are not admissible.
  //   C = (6 + ½) / 8 = 0.8125
  const std::vector<double> t{1, 2, 2, 3, 4}, p{1, 3, 2, 3, 5};
  const std::vector<int> e{1, 1, 0, 1, 0};
  const auto c = concordance(t, p, e);
  EXPECT_EQ(c.concordant, 6);
  EXPECT_EQ(c.tied, 1);
  EXPECT_EQ(c.pairs, 8);
  EXPECT_DOUBLE_EQ(concordance_index(t, p, e), 0.8125);
  // Without events every duration ends in one, and b–c (two events at one duration) is no longer a
  // pair: a–b, a–c, a–d, a–e, b–d, b–e, c–d, c–e, d–e are, all concordant but b–d (tied) → 8.5 / 9.
  EXPECT_DOUBLE_EQ(concordance_index(t, p), 8.5 / 9);
  // Two events at the same time: no admissible pair → NaN.
  EXPECT_TRUE(std::isnan(concordance_index(std::vector<double>{1, 1}, std::vector<double>{1, 2})));
}

TEST(Metrics, UndefinedStatisticsAreNaN) {
  const std::vector<int> ones{1, 1, 1};
  const std::vector<double> s{0.2, 0.4, 0.6};
  EXPECT_TRUE(std::isnan(roc_auc(ones, s)));
  EXPECT_TRUE(std::isnan(roc_auc(std::vector<int>{0, 0, 0}, s)));
  EXPECT_TRUE(std::isnan(pr_auc(std::vector<int>{0, 0, 0}, s)));
  EXPECT_DOUBLE_EQ(pr_auc(ones, s), 1.0);  // every prediction is a hit
  EXPECT_TRUE(std::isnan(lift(std::vector<int>{0, 0, 0}, s, 0.5)));
  EXPECT_DOUBLE_EQ(precision_at_k(std::vector<int>{0, 0, 0}, s, 0.5), 0.0);
  const std::vector<double> zero{0, 0, 0};
  EXPECT_TRUE(std::isnan(brier(ones, s, zero)));
  EXPECT_TRUE(std::isnan(log_loss(ones, s, zero)));
  // The positives' weight is all zero: one class by weight.
  EXPECT_TRUE(std::isnan(roc_auc(std::vector<int>{1, 0, 0}, s, std::vector<double>{0, 1, 1})));
}

/// Σ over positive–negative pairs of wᵢwⱼ·([sᵢ > sⱼ] + ½[sᵢ = sⱼ]) / (Σw₊·Σw₋): the definition, O(n²).
double brute_force_auc(const std::vector<int>& y, const std::vector<double>& s, const std::vector<double>& w) {
  double num = 0, pos = 0, neg = 0;
  for (std::size_t i = 0; i < y.size(); ++i) (y[i] != 0 ? pos : neg) += w[i];
  for (std::size_t i = 0; i < y.size(); ++i)
    for (std::size_t j = 0; j < y.size(); ++j)
      if (y[i] == 1 && y[j] == 0) num += w[i] * w[j] * (s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0);
  return num / pos / neg;
}

TEST(Metrics, RocAucEqualsPairCountOnMixedSignScoresWithTies) {
  // Negative, zero (both signs) and positive scores, many ties: exercises both sort runs, the −0 = +0 rule
  // and the bucket sort's paths (n > its 32-record insertion cut-off).
  std::mt19937_64 rng(14);
  for (std::size_t n : {7U, 40U, 1500U}) {
    std::vector<int> y(n);
    std::vector<double> s(n), w(n), ones(n, 1.0);
    for (std::size_t i = 0; i < n; ++i) {
      y[i] = static_cast<int>(rng() % 3 == 0);
      s[i] = static_cast<double>(static_cast<int>(rng() % 41) - 20) / 4.0;  // −5 … 5 by ¼: ties
      if (s[i] == 0 && rng() % 2 == 0) s[i] = -0.0;
      w[i] = static_cast<double>(rng() % 5);
    }
    y[0] = 1, y[1] = 0;
    w[0] = w[1] = 1;
    EXPECT_NEAR(roc_auc(y, s), brute_force_auc(y, s, ones), 1e-13) << n;
    EXPECT_NEAR(roc_auc(y, s, w), brute_force_auc(y, s, w), 1e-13) << n;
    // Scaling every weight changes nothing; a monotone shift of the scores changes nothing.
    std::vector<double> w3(w), shifted(s);
    for (auto& x : w3) x *= 3;
    for (auto& x : shifted) x += 100;
    EXPECT_NEAR(roc_auc(y, s, w3), roc_auc(y, s, w), 1e-14);
    EXPECT_DOUBLE_EQ(roc_auc(y, shifted), roc_auc(y, s));
    EXPECT_DOUBLE_EQ(pr_auc(y, shifted), pr_auc(y, s));
  }
}

/// ROC AUC and average precision from per-score sums kept in a std::map (no sort of ours involved):
/// Σ_v neg(v)·(pos above v + ½ pos(v)) / (P·N), and Σ_v pos(v)/P · precision(≥ v), v from the top.
std::pair<double, double> map_auc_ap(const std::vector<int>& y, const std::vector<double>& s,
                                     const std::vector<double>& w) {
  std::map<double, std::pair<double, double>, std::greater<>> by_score;  // score → (neg, pos)
  for (std::size_t i = 0; i < y.size(); ++i) (y[i] != 0 ? by_score[s[i]].second : by_score[s[i]].first) += w[i];
  double above = 0, neg_total = 0, area = 0, fp = 0, ap = 0;
  for (const auto& [score, np] : by_score) {
    area += np.first * (above + 0.5 * np.second);
    above += np.second;
    neg_total += np.first;
    fp += np.first;
    if (np.second > 0) ap += np.second * above / (above + fp);
  }
  return {area / above / neg_total, ap / above};
}

TEST(Metrics, RankingOnBothSortPaths) {
  // 60,000 scores: with 300 distinct values (a sample of them repeats: the radix sort) and continuous
  // (the survival sort); both signs, with and without weights.
  std::mt19937_64 rng(15);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (bool tied : {true, false}) {
    const std::size_t n = 60'000;
    std::vector<int> y(n);
    std::vector<double> s(n), w(n), ones(n, 1.0);
    for (std::size_t i = 0; i < n; ++i) {
      y[i] = static_cast<int>(rng() % 4 == 0);
      const double x = normal(rng) + 0.5 * y[i];
      s[i] = tied ? std::round(x * 50) / 50 : x;
      w[i] = static_cast<double>(rng() % 7) / 3;
    }
    for (const auto* weights : {&ones, &w}) {
      const auto [auc, ap] = map_auc_ap(y, s, *weights);
      EXPECT_NEAR(roc_auc(y, s, *weights), auc, 1e-12) << tied;
      EXPECT_NEAR(pr_auc(y, s, *weights), ap, 1e-12) << tied;
    }
  }
}

TEST(Metrics, LabelsOfEveryStoredType) {
  const bool b[] = {true, false, true, false, true, false};
  const std::vector<std::uint8_t> u8(y6.begin(), y6.end());
  const std::vector<std::int64_t> i64(y6.begin(), y6.end());
  const std::vector<double> f64(y6.begin(), y6.end());
  const std::vector<float> f32(y6.begin(), y6.end());
  for (double auc : {roc_auc(std::span<const bool>(b), s6), roc_auc(u8, s6), roc_auc(i64, s6), roc_auc(f64, s6),
                     roc_auc(f32, s6)})
    EXPECT_DOUBLE_EQ(auc, 2.0 / 3.0);
}

TEST(Metrics, BadInputIsInvalidInputWithAClearMessage) {
  const std::vector<double> s{0.1, 0.2, 0.3};
  const std::vector<int> y{0, 1, 0};
  auto msg = [](auto f) { return invalid_input_message(f); };
  EXPECT_EQ(msg([&] { roc_auc(std::vector<int>{0, 2, 1}, s); }), "roc_auc: y_true[1] must be 0 or 1, got 2");
  EXPECT_EQ(msg([&] { brier(std::vector<double>{0, NAN, 1}, s); }), "brier: y_true[1] must be 0 or 1, got NaN");
  EXPECT_EQ(msg([&] { roc_auc(y, std::vector<double>{0.1, NAN, 0.3}); }),
            "roc_auc: y_score[1] is NaN: values must be finite");
  EXPECT_EQ(msg([&] { pr_auc(y, std::vector<double>{0.1, 0.2, INFINITY}); }),
            "pr_auc: y_score[2] is inf: values must be finite");
  EXPECT_EQ(msg([&] { roc_auc(y, std::vector<double>{0.1, 0.2}); }), "roc_auc: y_true has 3 values but y_score has 2");
  EXPECT_EQ(msg([&] { log_loss(y, s, std::vector<double>{1, 1}); }),
            "log_loss: sample_weight has 2 values but y_true has 3");
  EXPECT_EQ(msg([&] { roc_auc(y, s, std::vector<double>{1, -1, 1}); }),
            "roc_auc: sample_weight[1] must be finite and >= 0, got -1");
  EXPECT_EQ(msg([&] { brier(y, s, std::vector<double>{1, NAN, 1}); }),
            "brier: sample_weight[1] must be finite and >= 0, got NaN");
  EXPECT_EQ(msg([&] { roc_auc(std::vector<int>{}, std::vector<double>{}); }),
            "roc_auc: empty input: y_true and y_score have no values");
  EXPECT_EQ(msg([&] { brier(y, std::vector<double>{0.1, 1.5, 0.3}); }),
            "brier: y_prob[1] must be a probability in [0, 1], got 1.5");
  EXPECT_EQ(msg([&] { log_loss(y, std::vector<double>{-0.5, 0.5, 0.3}); }),
            "log_loss: y_prob[0] must be a probability in [0, 1], got -0.5");
  EXPECT_EQ(msg([&] { lift(y, s, 0.0); }), "lift: k must be a fraction of the accounts in (0, 1], got 0");
  EXPECT_EQ(msg([&] { precision_at_k(y, s, 1.5); }),
            "precision_at_k: k must be a fraction of the accounts in (0, 1], got 1.5");
  EXPECT_EQ(msg([&] { precision_at_k(y, s, NAN); }),
            "precision_at_k: k must be a fraction of the accounts in (0, 1], got NaN");
  EXPECT_EQ(msg([&] { calibration(y, s, 0); }), "calibration: bins must be >= 1, got 0");
  EXPECT_EQ(msg([&] { parse_enum<calibration_strategy>("strategy", "equal"); }),
            "unknown strategy \"equal\": expected one of uniform, quantile");
  EXPECT_EQ(msg([&] { concordance(std::vector<double>{1, 2}, std::vector<double>{1}); }),
            "concordance_index: event_times has 2 values but predicted_scores has 1");
  EXPECT_EQ(msg([&] { concordance(std::vector<double>{1, 2}, std::vector<double>{1, 2}, std::vector<int>{1}); }),
            "concordance_index: event_observed has 1 values but event_times has 2");
  EXPECT_EQ(msg([&] { concordance(std::vector<double>{1, NAN}, std::vector<double>{1, 2}); }),
            "concordance_index: event_times[1] is NaN: values must be finite");
  EXPECT_EQ(msg([&] { concordance(std::vector<double>{1, 2}, std::vector<double>{1, 2}, std::vector<int>{1, 3}); }),
            "concordance_index: event_observed[1] must be 0 or 1, got 3");
}

TEST(Calibration, IsotonicPoolsAdjacentViolatorsByHand) {
  // Scores 1..5 with outcomes 0, 1, 0, 1, 1: the violator pair (1, 0) at scores 2, 3 pools to 0.5;
  // ties at score 5 (outcomes 1 and 0, weights 1 and 3) pool to 0.25 first, which violates 1 at
  // score 4 and pools with it: (1 + 0.25·4) / 5 = 0.4, which violates 0.5 and pools all of 2..5:
  // (1 + 0 + 1 + 1) / (1 + 1 + 1 + 4) = 3/7.
  const std::vector<double> s{1, 2, 3, 4, 5, 5}, y{0, 1, 0, 1, 1, 0}, w{1, 1, 1, 1, 1, 3};
  const auto m = fit_isotonic(s, y, w);
  ASSERT_EQ(m.x, (std::vector<double>{1, 2, 3, 4, 5}));
  EXPECT_DOUBLE_EQ(m.y[0], 0.0);
  for (std::size_t i = 1; i < 5; ++i) EXPECT_DOUBLE_EQ(m.y[i], 3.0 / 7.0);
  EXPECT_DOUBLE_EQ(m(1.5), 1.5 / 7.0);  // linear between 1 → 0 and 2 → 3/7
  EXPECT_DOUBLE_EQ(m(-10), 0.0);        // clipped
  EXPECT_DOUBLE_EQ(m(10), 3.0 / 7.0);
}

TEST(Calibration, PlattGradientVanishesAtTheFit) {
  const std::vector<double> s{-2, -1, -0.5, 0, 0.5, 1, 2, 3}, y{0, 0, 1, 0, 1, 0, 1, 1};
  const auto m = fit_platt(s, y);
  // Platt's targets: (4 + 1)/(4 + 2) for churned, 1/(4 + 2) for retained; d loss/da = Σ (t − p)·s.
  double ga = 0, gb = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const double t = y[i] == 1 ? 5.0 / 6.0 : 1.0 / 6.0, p = m(s[i]);
    ga += (t - p) * s[i], gb += t - p;
  }
  EXPECT_NEAR(ga, 0, 1e-10);
  EXPECT_NEAR(gb, 0, 1e-10);
  EXPECT_LT(m.a, 0);  // higher scores churn more
}

}  // namespace
}  // namespace custhealth
