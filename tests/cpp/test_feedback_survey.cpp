// tests/cpp/test_feedback_survey.cpp — NPS / CSAT / CES summaries, their merge, intervals and
// two-sample tests, pinned against published values and scipy/statsmodels computations.
#include "custhealth/feedback/survey.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "expect.hpp"

namespace {

using custhealth::ces_summary;
using custhealth::csat_summary;
using custhealth::invalid_input;
using custhealth::nps_summary;
using ::testing::HasSubstr;
using custhealth::test::invalid_input_message;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double qnan = std::numeric_limits<double>::quiet_NaN();

// Φ⁻¹(0.975), scipy.stats.norm.ppf(0.975).
constexpr double z95 = 1.959963984540054;

std::vector<double> repeat(std::initializer_list<std::pair<int, int>> score_times) {
  std::vector<double> out;
  for (const auto& [score, times] : score_times) out.insert(out.end(), times, score);
  return out;
}

nps_summary nps_of_counts(int promoters, int passives, int detractors) {
  return custhealth::summarize_nps(repeat({{10, promoters}, {8, passives}, {3, detractors}}));
}

csat_summary csat_of_counts(int satisfied, int n) {
  return custhealth::summarize_csat(repeat({{5, satisfied}, {2, n - satisfied}}));
}


std::vector<double> random_scores(int low, int high, std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> dist(low, high);
  std::vector<double> out(n);
  for (auto& x : out) x = dist(rng);
  return out;
}

/// Splits `scores` at `cuts` (sorted positions), summarises each part, merges the parts left to
/// right, right to left, and pairwise as a tree; all three must equal `whole` exactly.
template <class Summary, class Summarize>
void expect_exact_merges(const std::vector<double>& scores, std::vector<std::size_t> cuts,
                         const Summary& whole, Summarize summarize) {
  cuts.insert(cuts.begin(), 0);
  cuts.push_back(scores.size());
  std::vector<Summary> parts;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i)
    parts.push_back(summarize(std::span<const double>(scores).subspan(cuts[i], cuts[i + 1] - cuts[i])));

  Summary forward = parts.front();
  for (std::size_t i = 1; i < parts.size(); ++i) forward += parts[i];
  Summary backward = parts.back();
  for (std::size_t i = parts.size() - 1; i-- > 0;) backward += parts[i];
  std::vector<Summary> level = parts;
  while (level.size() > 1) {
    std::vector<Summary> next;
    for (std::size_t i = 0; i + 1 < level.size(); i += 2) next.push_back(level[i] + level[i + 1]);
    if (level.size() % 2 == 1) next.push_back(level.back());
    level = next;
  }

  for (const Summary* merged : {&forward, &backward, &level.front()}) {
    EXPECT_TRUE(*merged == whole);
    EXPECT_EQ(merged->n(), whole.n());
    EXPECT_EQ(merged->score(), whole.score());  // bit-for-bit, not NEAR
    EXPECT_EQ(merged->ci().low, whole.ci().low);
    EXPECT_EQ(merged->ci().high, whole.ci().high);
  }
}

std::vector<std::vector<std::size_t>> split_plans(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<std::size_t> pos(0, n);
  std::vector<std::vector<std::size_t>> plans{{}, {n / 2}, {1, 2, 3, n - 1}, {0, 0, n}};
  for (int plan = 0; plan < 5; ++plan) {
    std::vector<std::size_t> cuts(7);
    for (auto& c : cuts) c = pos(rng);
    std::sort(cuts.begin(), cuts.end());
    plans.push_back(cuts);
  }
  return plans;
}

// ------------------------------------------------------------------------------------------- NPS

TEST(NpsSummary, ClassifiesReichheldBands) {
  using custhealth::classify_nps;
  using custhealth::nps_category;
  for (int s = 0; s <= 6; ++s) EXPECT_EQ(classify_nps(s), nps_category::detractor) << s;
  for (int s = 7; s <= 8; ++s) EXPECT_EQ(classify_nps(s), nps_category::passive) << s;
  for (int s = 9; s <= 10; ++s) EXPECT_EQ(classify_nps(s), nps_category::promoter) << s;

  nps_summary s;
  for (int x = 0; x <= 10; ++x) s.add(x);
  EXPECT_EQ(s.n(), 11);
  EXPECT_EQ(s.promoters(), 2);
  EXPECT_EQ(s.passives(), 2);
  EXPECT_EQ(s.detractors(), 7);
  EXPECT_EQ(s.count(7), 1);
  EXPECT_EQ(s.count(11), 0);
  EXPECT_DOUBLE_EQ(s.score(), 100.0 * (2 - 7) / 11);
}

TEST(NpsSummary, PublishedSharesExample) {
  // README "Survey statistics": shares (1/2, 1/3, 1/6) → NPS 33.3, per-respondent variance 5/9,
  // at n = 100 SE 7.45 and 95 % half-width ±14.6. n = 100 cannot hold those shares exactly, so use
  // n = 600 and rescale the SE by sqrt(600/100): at fixed shares SE ∝ 1/√n.
  const nps_summary s = nps_of_counts(300, 200, 100);
  EXPECT_DOUBLE_EQ(s.promoter_share(), 0.5);
  EXPECT_DOUBLE_EQ(s.passive_share(), 1.0 / 3.0);
  EXPECT_DOUBLE_EQ(s.detractor_share(), 1.0 / 6.0);
  EXPECT_NEAR(s.score(), 100.0 / 3.0, 1e-12);
  EXPECT_NEAR(s.score(), 33.3, 0.05);
  EXPECT_NEAR(s.respondent_variance(), 5.0 / 9.0, 1e-15);
  const double se_at_100 = s.se() * std::sqrt(600.0 / 100.0);
  EXPECT_NEAR(se_at_100, 7.45, 0.005);
  EXPECT_NEAR(se_at_100, 100.0 * std::sqrt(5.0 / 9.0 / 100.0), 1e-12);
  EXPECT_NEAR(z95 * se_at_100, 14.6, 0.05);

  const auto ci = s.ci();
  EXPECT_NEAR(ci.low, s.score() - z95 * s.se(), 1e-12);
  EXPECT_NEAR(ci.high, s.score() + z95 * s.se(), 1e-12);
}

TEST(NpsSummary, EmptyGroupIsNaN) {
  const nps_summary s;
  EXPECT_EQ(s.n(), 0);
  EXPECT_TRUE(std::isnan(s.score()));
  EXPECT_TRUE(std::isnan(s.promoter_share()));
  EXPECT_TRUE(std::isnan(s.passive_share()));
  EXPECT_TRUE(std::isnan(s.detractor_share()));
  EXPECT_TRUE(std::isnan(s.respondent_variance()));
  EXPECT_TRUE(std::isnan(s.se()));
  EXPECT_TRUE(std::isnan(s.ci().low));
  EXPECT_TRUE(std::isnan(s.ci().high));
}

TEST(NpsSummary, UnanimousGroupsHaveZeroSe) {
  const nps_summary promoters = nps_of_counts(40, 0, 0);
  EXPECT_EQ(promoters.score(), 100.0);
  EXPECT_EQ(promoters.se(), 0.0);
  EXPECT_EQ(promoters.ci().low, 100.0);
  EXPECT_EQ(promoters.ci().high, 100.0);

  const nps_summary detractors = nps_of_counts(0, 0, 25);
  EXPECT_EQ(detractors.score(), -100.0);
  EXPECT_EQ(detractors.se(), 0.0);
  EXPECT_EQ(detractors.ci().low, -100.0);
  EXPECT_EQ(detractors.ci().high, -100.0);

  const nps_summary passives = nps_of_counts(0, 7, 0);
  EXPECT_EQ(passives.score(), 0.0);
  EXPECT_EQ(passives.se(), 0.0);

  // The published SE uses the plug-in variance, so one answer is a (degenerate) SE of 0, not NaN.
  nps_summary one;
  one.add(9);
  EXPECT_EQ(one.score(), 100.0);
  EXPECT_EQ(one.se(), 0.0);
}

TEST(NpsSummary, CiIsClippedToPlusMinus100) {
  // 9 promoters, 1 passive: p = 0.9, d = 0 → variance 0.9 − 0.81 = 0.09, SE = 100·sqrt(0.009).
  const nps_summary high = nps_of_counts(9, 1, 0);
  EXPECT_DOUBLE_EQ(high.score(), 90.0);
  EXPECT_NEAR(high.se(), 100.0 * std::sqrt(0.009), 1e-12);
  EXPECT_NEAR(high.ci().low, 90.0 - z95 * 100.0 * std::sqrt(0.009), 1e-12);
  EXPECT_EQ(high.ci().high, 100.0);

  const nps_summary low = nps_of_counts(0, 1, 9);
  EXPECT_EQ(low.ci().low, -100.0);
  EXPECT_NEAR(low.ci().high, -90.0 + z95 * 100.0 * std::sqrt(0.009), 1e-12);

  // A wider confidence level widens the interval; an impossible one is NaN, not a clipped bound.
  EXPECT_LT(high.ci(0.99).low, high.ci(0.95).low);
  EXPECT_TRUE(std::isnan(high.ci(1.5).low));
  EXPECT_TRUE(std::isnan(high.ci(1.5).high));
}

TEST(NpsSummary, RejectsScoresOutsideIntegers0To10) {
  for (const double bad : {11.0, -1.0, 7.5, qnan, inf, -inf, 10.000001}) {
    nps_summary s;
    s.add(5);
    EXPECT_THROW(s.add(bad), invalid_input) << bad;
    EXPECT_THROW(s.add(bad), std::invalid_argument) << bad;
    EXPECT_EQ(s.n(), 1) << "a rejected answer must not be counted";
  }
  nps_summary s;
  EXPECT_EQ(invalid_input_message([&] { s.add(11); }), "NPS must be an integer 0..10, got 11");
  EXPECT_EQ(invalid_input_message([&] { s.add(-1); }), "NPS must be an integer 0..10, got -1");
  EXPECT_EQ(invalid_input_message([&] { s.add(7.5); }), "NPS must be an integer 0..10, got 7.5");
  EXPECT_EQ(invalid_input_message([&] { s.add(qnan); }), "NPS must be an integer 0..10, got nan");
  EXPECT_EQ(invalid_input_message([&] { s.add(inf); }), "NPS must be an integer 0..10, got inf");
  EXPECT_THAT(invalid_input_message([&] { s.add(10.000001); }), HasSubstr("got 10.000001"));
}

TEST(NpsSummary, SummarizeNamesTheFirstBadIndex) {
  std::vector<double> scores(20, 9.0);
  scores[17] = 11;
  scores[19] = -1;
  EXPECT_EQ(invalid_input_message([&] { (void)custhealth::summarize_nps(scores); }),
            "score[17]: NPS must be an integer 0..10, got 11");
  scores[3] = 7.5;
  EXPECT_EQ(invalid_input_message([&] { (void)custhealth::summarize_nps(scores); }),
            "score[3]: NPS must be an integer 0..10, got 7.5");
  scores[0] = qnan;
  EXPECT_THAT(invalid_input_message([&] { (void)custhealth::summarize_nps(scores); }),
              HasSubstr("score[0]: NPS must be an integer 0..10, got nan"));
  EXPECT_EQ(custhealth::summarize_nps({}).n(), 0);
}

TEST(NpsSummary, UncheckedAddMatchesCheckedAdd) {
  const auto scores = random_scores(0, 10, 5000, 11);
  nps_summary checked;
  nps_summary unchecked;
  for (const double x : scores) {
    checked.add(x);
    unchecked.add_unchecked(static_cast<int>(x));
  }
  EXPECT_TRUE(checked == unchecked);
  EXPECT_TRUE(checked == custhealth::summarize_nps(scores));
}

TEST(NpsSummary, MergeIsAssociativeAndOrderIndependent) {
  const auto scores = random_scores(0, 10, 10'007, 20240601);
  const auto whole = custhealth::summarize_nps(scores);
  for (const auto& cuts : split_plans(scores.size(), 7))
    expect_exact_merges(scores, cuts, whole,
                        [](std::span<const double> part) { return custhealth::summarize_nps(part); });
  // Merging an empty summary is the identity.
  nps_summary copy = whole;
  copy += nps_summary{};
  EXPECT_TRUE(copy == whole);
}

TEST(NpsSummary, IsSmallAndTriviallyCopyable) {
  static_assert(std::is_trivially_copyable_v<nps_summary>);
  static_assert(std::is_trivially_copyable_v<csat_summary>);
  static_assert(std::is_trivially_copyable_v<ces_summary>);
  EXPECT_LE(sizeof(nps_summary), 11 * sizeof(std::int64_t));
  EXPECT_LE(sizeof(ces_summary), 7 * sizeof(std::int64_t));
}

// ------------------------------------------------------------------------------------------ CSAT

TEST(CsatSummary, WilsonIntervalMatchesPublishedValues) {
  // README "Survey statistics": Wilson 95 %, 7 of 50 → (0.069508, 0.261862); 45 of 50 →
  // (0.786398, 0.956524). Published to 6 decimals; the summary reports percent.
  const auto low = csat_of_counts(7, 50);
  EXPECT_DOUBLE_EQ(low.score(), 14.0);
  EXPECT_NEAR(low.ci().low, 6.9508, 6e-5);
  EXPECT_NEAR(low.ci().high, 26.1862, 6e-5);
  const auto high = csat_of_counts(45, 50);
  EXPECT_DOUBLE_EQ(high.score(), 90.0);
  EXPECT_NEAR(high.ci().low, 78.6398, 6e-5);
  EXPECT_NEAR(high.ci().high, 95.6524, 6e-5);
  // statsmodels.stats.proportion.proportion_confint(45, 50, 0.10, 'wilson')
  EXPECT_NEAR(high.ci(0.90).low, 100 * 0.8084624858484291, 1e-10);
  EXPECT_NEAR(high.ci(0.90).high, 100 * 0.950470965522555, 1e-10);
}

TEST(CsatSummary, DefaultIsTopTwoBoxesOfFive) {
  const auto s = custhealth::summarize_csat(std::vector<double>{1, 2, 3, 4, 5, 5});
  EXPECT_EQ(s.scale(), 5);
  EXPECT_EQ(s.top_boxes(), 2);
  EXPECT_EQ(s.n(), 6);
  EXPECT_EQ(s.satisfied(), 3);
  EXPECT_DOUBLE_EQ(s.score(), 50.0);
  EXPECT_EQ(s.count(5), 2);
}

TEST(CsatSummary, ScaleAndTopBoxesAreConfigurable) {
  const std::vector<double> seven{1, 2, 3, 4, 5, 6, 7, 7};
  const auto top3 = custhealth::summarize_csat(seven, 7, 3);  // 5, 6, 7 satisfied
  EXPECT_EQ(top3.satisfied(), 4);
  EXPECT_DOUBLE_EQ(top3.score(), 50.0);
  const auto top1 = custhealth::summarize_csat(seven, 7, 1);
  EXPECT_EQ(top1.satisfied(), 2);

  csat_summary ten(10, 1);
  ten.add(10);
  ten.add(9);
  EXPECT_EQ(ten.satisfied(), 1);
  EXPECT_THROW(ten.add(11), invalid_input);
  EXPECT_THROW(custhealth::summarize_csat(seven, 5), invalid_input);  // 6 and 7 exceed 1..5
}

TEST(CsatSummary, MeanSdAndMeanCiMatchScipy) {
  // /usr/bin/python3: c = np.array([5,4,4,3,5,2,1,5,4,4,3,5]); c.mean(), c.std(ddof=1). The
  // interval x̄ ± t·s/√n with the t quantile from mpmath at 40 digits (findroot on the regularised
  // incomplete-beta CDF); scipy.stats.t.interval gives (2.9316076084369094, 4.568392391563091),
  // 3e-12 off, because scipy 1.10's t.ppf is only accurate to ~1e-11 relative.
  const auto s = custhealth::summarize_csat(std::vector<double>{5, 4, 4, 3, 5, 2, 1, 5, 4, 4, 3, 5});
  EXPECT_DOUBLE_EQ(s.mean(), 3.75);
  EXPECT_NEAR(s.sd(), 1.2880570286640687, 1e-13);
  EXPECT_NEAR(s.mean_ci().low, 2.9316076084336777, 1e-12);
  EXPECT_NEAR(s.mean_ci().high, 4.5683923915663223, 1e-12);
  EXPECT_NEAR(s.mean_ci().low, 2.9316076084369094, 1e-10);  // scipy
  EXPECT_EQ(s.satisfied(), 8);
}

TEST(CsatSummary, UndefinedStatisticsAreNaN) {
  const csat_summary empty;
  EXPECT_EQ(empty.n(), 0);
  for (const double v : {empty.score(), empty.ci().low, empty.ci().high, empty.mean(), empty.sd(),
                         empty.mean_ci().low, empty.mean_ci().high})
    EXPECT_TRUE(std::isnan(v));

  csat_summary one;
  one.add(4);
  EXPECT_EQ(one.score(), 100.0);
  EXPECT_FALSE(std::isnan(one.ci().low));  // Wilson is defined at n = 1
  EXPECT_EQ(one.mean(), 4.0);
  EXPECT_TRUE(std::isnan(one.sd()));
  EXPECT_TRUE(std::isnan(one.mean_ci().low));
  EXPECT_TRUE(std::isnan(one.mean_ci().high));
}

TEST(CsatSummary, RejectsOutOfRangeScores) {
  for (const double bad : {0.0, 6.0, 11.0, -1.0, 7.5, 4.5, qnan, inf, -inf}) {
    csat_summary s;
    EXPECT_THROW(s.add(bad), invalid_input) << bad;
    EXPECT_EQ(s.n(), 0);
  }
  csat_summary s;
  EXPECT_EQ(invalid_input_message([&] { s.add(6); }), "CSAT must be an integer 1..5, got 6");
  EXPECT_EQ(invalid_input_message([&] { s.add(qnan); }), "CSAT must be an integer 1..5, got nan");
  std::vector<double> scores{5, 4, 3, 0};
  EXPECT_EQ(invalid_input_message([&] { (void)custhealth::summarize_csat(scores); }),
            "score[3]: CSAT must be an integer 1..5, got 0");
}

TEST(CsatSummary, RejectsBadConfiguration) {
  EXPECT_THROW(csat_summary(1), invalid_input);
  EXPECT_THROW(csat_summary(11), invalid_input);
  EXPECT_THROW(csat_summary(5, 0), invalid_input);
  EXPECT_THROW(csat_summary(5, 5), invalid_input);
  EXPECT_EQ(invalid_input_message([] { csat_summary(11); }),
            "CSAT scale must be an integer 2..10, got 11");
  EXPECT_THAT(invalid_input_message([] { csat_summary(5, 5); }), HasSubstr("top_boxes"));
  EXPECT_NO_THROW(csat_summary(2, 1));
  EXPECT_NO_THROW(csat_summary(10, 9));
}

TEST(CsatSummary, MergingDifferentDefinitionsThrows) {
  csat_summary five;
  five.add(5);
  const csat_summary seven(7);
  const csat_summary five_top1(5, 1);
  EXPECT_THROW(five += seven, std::invalid_argument);
  EXPECT_THROW(five += five_top1, invalid_input);
  EXPECT_THAT(invalid_input_message([&] { five += seven; }),
              HasSubstr("different definitions: 1..5 top-2 vs 1..7 top-2"));
  EXPECT_EQ(five.n(), 1) << "a failed merge must leave the summary unchanged";
  EXPECT_THROW(custhealth::csat_test(five, seven), invalid_input);
}

TEST(CsatSummary, MergeIsAssociativeAndOrderIndependent) {
  const auto scores = random_scores(1, 7, 9'973, 99);
  const auto whole = custhealth::summarize_csat(scores, 7, 2);
  for (const auto& cuts : split_plans(scores.size(), 8))
    expect_exact_merges(scores, cuts, whole, [](std::span<const double> part) {
      return custhealth::summarize_csat(part, 7, 2);
    });
  const auto merged = custhealth::summarize_csat(std::span(scores).first(5000), 7, 2) +
                      custhealth::summarize_csat(std::span(scores).subspan(5000), 7, 2);
  EXPECT_EQ(merged.mean(), whole.mean());
  EXPECT_EQ(merged.sd(), whole.sd());
}

// ------------------------------------------------------------------------------------------- CES

TEST(CesSummary, TIntervalMatchesScipy) {
  // /usr/bin/python3: x = np.array([1,2,2,3,4,4,4,5,6,7]); x.mean(), x.std(ddof=1),
  // scipy.stats.sem(x). Intervals x̄ ± t·sem with the t quantile from mpmath at 40 digits
  // (findroot on the incomplete-beta CDF); scipy.stats.t.interval(0.95, 9, ...) gives
  // (2.459567155669003, 5.140432844330997), 3.4e-11 off: scipy 1.10's t.ppf is the less exact one.
  const auto s = custhealth::summarize_ces(std::vector<double>{1, 2, 2, 3, 4, 4, 4, 5, 6, 7});
  EXPECT_EQ(s.n(), 10);
  EXPECT_DOUBLE_EQ(s.mean(), 3.8);
  EXPECT_EQ(s.score(), s.mean());
  EXPECT_NEAR(s.sd(), 1.8737959096740262, 1e-13);
  EXPECT_NEAR(s.se(), 0.5925462944877059, 1e-13);
  EXPECT_NEAR(s.ci().low, 2.4595671556351012, 1e-12);
  EXPECT_NEAR(s.ci().high, 5.1404328443648988, 1e-12);
  EXPECT_NEAR(s.ci().low, 2.459567155669003, 1e-10);  // scipy
  EXPECT_NEAR(s.ci(0.90).low, 2.7137957243770551, 1e-12);
  EXPECT_NEAR(s.ci(0.90).high, 4.8862042756229449, 1e-12);
}

TEST(CesSummary, TwoAnswersUseOneDegreeOfFreedom) {
  // One degree of freedom: t quantile = tan(π(0.975 − 1/2)) exactly (Cauchy), sem = 1, so the
  // interval is 4 ± tan(0.475π) = 4 ± 12.7062047361747046 (mpmath). scipy 1.10's
  // t.interval(0.95, 1, ...) says ±12.706204736432095, 2.6e-10 off.
  const auto s = custhealth::summarize_ces(std::vector<double>{3, 5});
  EXPECT_NEAR(s.sd(), std::sqrt(2.0), 1e-15);
  EXPECT_NEAR(s.ci().low, 4.0 - 12.7062047361747046, 1e-12);
  EXPECT_NEAR(s.ci().high, 4.0 + 12.7062047361747046, 1e-12);
}

TEST(CesSummary, UndefinedStatisticsAreNaN) {
  const ces_summary empty;
  for (const double v : {empty.mean(), empty.sd(), empty.se(), empty.ci().low, empty.ci().high})
    EXPECT_TRUE(std::isnan(v));

  ces_summary one;
  one.add(6);
  EXPECT_EQ(one.mean(), 6.0);
  EXPECT_TRUE(std::isnan(one.sd()));
  EXPECT_TRUE(std::isnan(one.se()));
  EXPECT_TRUE(std::isnan(one.ci().low));
  EXPECT_TRUE(std::isnan(one.ci().high));
}

TEST(CesSummary, ZeroVarianceGivesAPointInterval) {
  const auto s = custhealth::summarize_ces(std::vector<double>(8, 4.0));
  EXPECT_EQ(s.sd(), 0.0);
  EXPECT_EQ(s.se(), 0.0);
  EXPECT_EQ(s.ci().low, 4.0);
  EXPECT_EQ(s.ci().high, 4.0);
}

TEST(CesSummary, RejectsScoresOutsideIntegers1To7) {
  for (const double bad : {0.0, 8.0, 11.0, -1.0, 7.5, qnan, inf, -inf}) {
    ces_summary s;
    EXPECT_THROW(s.add(bad), invalid_input) << bad;
    EXPECT_EQ(s.n(), 0);
  }
  ces_summary s;
  EXPECT_EQ(invalid_input_message([&] { s.add(8); }), "CES must be an integer 1..7, got 8");
  EXPECT_EQ(invalid_input_message([&] { s.add(-inf); }), "CES must be an integer 1..7, got -inf");
  std::vector<double> scores{1, 7, 7.5};
  EXPECT_EQ(invalid_input_message([&] { (void)custhealth::summarize_ces(scores); }),
            "score[2]: CES must be an integer 1..7, got 7.5");
}

TEST(CesSummary, MergeIsAssociativeAndOrderIndependent) {
  const auto scores = random_scores(1, 7, 10'001, 5);
  const auto whole = custhealth::summarize_ces(scores);
  for (const auto& cuts : split_plans(scores.size(), 9))
    expect_exact_merges(scores, cuts, whole,
                        [](std::span<const double> part) { return custhealth::summarize_ces(part); });
}

// ------------------------------------------------------------------------------- two-sample tests

TEST(NpsTest, MatchesHandCalculation) {
  // By hand (/usr/bin/python3): A = (50, 30, 20) → NPS 30, SE 100·sqrt((0.7 − 0.09)/100);
  // B = (40, 30, 30) → NPS 10, SE 100·sqrt((0.7 − 0.01)/100); se = hypot(SE_A, SE_B),
  // z = 20/se, p = 2·scipy.stats.norm.sf(|z|).
  const auto a = nps_of_counts(50, 30, 20);
  const auto b = nps_of_counts(40, 30, 30);
  EXPECT_NEAR(a.se(), 7.810249675906654, 1e-12);
  EXPECT_NEAR(b.se(), 8.306623862918075, 1e-12);
  const auto r = custhealth::nps_test(a, b);
  EXPECT_NEAR(r.difference, 20.0, 1e-12);
  EXPECT_NEAR(r.se, 11.40175425099138, 1e-12);
  EXPECT_NEAR(r.z, 1.7541160386140582, 1e-12);
  EXPECT_NEAR(r.p_value, 0.07941062599894227, 1e-12);

  const auto swapped = custhealth::nps_test(b, a);
  EXPECT_DOUBLE_EQ(swapped.z, -r.z);
  EXPECT_DOUBLE_EQ(swapped.p_value, r.p_value);
}

TEST(NpsTest, UndefinedIsNaN) {
  const auto r = custhealth::nps_test(nps_summary{}, nps_of_counts(3, 2, 1));
  for (const double v : {r.difference, r.se, r.z, r.p_value}) EXPECT_TRUE(std::isnan(v));

  // Both groups unanimous: the difference is known, but there is no variance to test against.
  const auto extremes = custhealth::nps_test(nps_of_counts(5, 0, 0), nps_of_counts(0, 0, 4));
  EXPECT_EQ(extremes.difference, 200.0);
  EXPECT_EQ(extremes.se, 0.0);
  EXPECT_TRUE(std::isnan(extremes.z));
  EXPECT_TRUE(std::isnan(extremes.p_value));
}

TEST(CsatTest, MatchesStatsmodelsProportionsZtest) {
  // /usr/bin/python3: statsmodels.stats.proportion.proportions_ztest(count, nobs) (pooled, the
  // default) → (z, p).
  struct case_t {
    int x1, n1, x2, n2;
    double z, p;
  };
  for (const auto& c : {case_t{45, 50, 38, 60, 3.2359721402384216, 0.001212292155925273},
                        case_t{7, 50, 9, 50, -0.5455447255899807, 0.5853789284609616},
                        case_t{12, 40, 30, 41, -3.8877371482666274, 0.00010118311231673146}}) {
    const auto r = custhealth::csat_test(csat_of_counts(c.x1, c.n1), csat_of_counts(c.x2, c.n2));
    const double p1 = static_cast<double>(c.x1) / c.n1;
    const double p2 = static_cast<double>(c.x2) / c.n2;
    EXPECT_NEAR(r.difference, 100.0 * (p1 - p2), 1e-12);
    EXPECT_NEAR(r.z, c.z, 1e-12);
    EXPECT_NEAR(r.p_value, c.p, 1e-13);
    EXPECT_NEAR(r.se, r.difference / c.z, 1e-10);
  }
}

TEST(CsatTest, UndefinedIsNaN) {
  const auto empty = custhealth::csat_test(csat_summary{}, csat_of_counts(3, 5));
  for (const double v : {empty.difference, empty.se, empty.z, empty.p_value})
    EXPECT_TRUE(std::isnan(v));

  const auto all_satisfied = custhealth::csat_test(csat_of_counts(5, 5), csat_of_counts(9, 9));
  EXPECT_EQ(all_satisfied.difference, 0.0);
  EXPECT_EQ(all_satisfied.se, 0.0);
  EXPECT_TRUE(std::isnan(all_satisfied.z));
  EXPECT_TRUE(std::isnan(all_satisfied.p_value));
}

}  // namespace
