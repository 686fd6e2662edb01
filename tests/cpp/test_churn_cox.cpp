// tests/cpp/test_churn_cox.cpp — churn/cox.hpp against R's coxph on rossi (tests/data/reference/README.md),
// Efron's null likelihood and the Nelson–Aalen baseline by hand, exact symmetries (strata, weights, row
// order), non-convergence, and every bad input; tests/python/test_cox.py pins the same model against lifelines.

#include "custhealth/churn/cox.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <limits>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "expect.hpp"
#include "reference.hpp"

namespace custhealth {
namespace {

using test::invalid_input_message;
using ::testing::HasSubstr;

/// Durations, events and a row-major covariate matrix.
struct survival_frame {
  std::vector<double> duration, event, x;
  std::size_t cols = 0;
  std::vector<std::string> names;
  matrix_view view() const { return matrix_view::row_major(x.data(), duration.size(), cols); }
  cox_model fit(const cox_options& o = {}, std::span<const double> w = {}, std::span<const std::int32_t> s = {}) const {
    return cox_model::fit(view(), duration, event, w, s, names, o);
  }
};

/// rossi.csv: week, arrest, then the seven covariates.
survival_frame read_rossi(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  survival_frame f;
  std::stringstream header(line);
  for (std::string name; std::getline(header, name, ',');) f.names.push_back(name);
  f.names.erase(f.names.begin(), f.names.begin() + 2);
  f.cols = f.names.size();
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::stringstream row(line);
    std::string v;
    std::getline(row, v, ',');
    f.duration.push_back(std::stod(v));
    std::getline(row, v, ',');
    f.event.push_back(std::stod(v));
    while (std::getline(row, v, ',')) f.x.push_back(std::stod(v));
  }
  return f;
}

// R 4.x: coxph(Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio, data = rossi) (Efron ties),
// as tests/data/reference/README.md records it.
TEST(CoxPH, RossiEqualsRsCoxph) {
  CUSTHEALTH_REFERENCE(path, "rossi.csv");
  const survival_frame rossi = read_rossi(path);
  ASSERT_EQ(rossi.duration.size(), 432u);
  const cox_model m = rossi.fit();
  ASSERT_TRUE(m.stats().converged()) << to_string(m.stats().status);
  const std::vector<std::string> names{"fin", "age", "race", "wexp", "mar", "paro", "prio"};
  const std::vector<double> coef{-0.3794222, -0.0574377, 0.3138998, -0.1497957, -0.4337039, -0.0848711, 0.0914971};
  const std::vector<double> se{0.19138, 0.02200, 0.30799, 0.21222, 0.38187, 0.19576, 0.02865};
  ASSERT_EQ(m.feature_names(), names);
  for (std::size_t j = 0; j < names.size(); ++j) {
    EXPECT_NEAR(m.coef()[j], coef[j], 1e-6) << names[j];
    EXPECT_NEAR(m.se()[j], se[j], 5e-6) << names[j];  // the five published digits
  }
  EXPECT_NEAR(m.stats().log_likelihood, -658.75, 0.005);
  EXPECT_EQ(m.stats().log_likelihood, m.stats().partial_log_likelihood);  // no penalty
  const cox_likelihood_ratio lr = m.likelihood_ratio_test();
  EXPECT_NEAR(lr.statistic, 33.27, 0.005);
  EXPECT_EQ(lr.degrees_of_freedom, 7);
  EXPECT_NEAR(m.concordance().index(), 0.640, 0.0005);
  EXPECT_EQ(m.stats().events, 114);
  EXPECT_EQ(m.stats().rows, 432);

  // The table from the published values: z = coef/se (to the five digits of se), the 95 % interval.
  const cox_summary s = m.summary();
  for (std::size_t j = 0; j < names.size(); ++j) {
    EXPECT_NEAR(s.z[j], coef[j] / se[j], 2e-4 * std::fabs(coef[j] / se[j])) << names[j];
    EXPECT_NEAR(s.ci_lower[j], coef[j] - 1.959963984540054 * se[j], 2e-5) << names[j];
    EXPECT_NEAR(s.exp_coef[j], std::exp(coef[j]), 2e-6) << names[j];
  }
}

// Durations 1, 1, 2, 3, all events. At β = 0 Efron's log partial likelihood is
//   −[log 4 + log(4 − ½·2)] − log 2 − log 1 = −log 24
// (Breslow would count the tie twice: −log 32). Nelson–Aalen's cumulative hazard is 2/4, 2/4 + 1/2, … + 1/1,
// which a Breslow baseline with β ≈ 0 (a huge penalty) must reproduce.
TEST(CoxPH, EfronNullLikelihoodAndNelsonAalenByHand) {
  survival_frame f{{1, 1, 2, 3}, {1, 1, 1, 1}, {0.3, -1.2, 0.8, 0.1}, 1, {"x"}};
  const cox_model m = f.fit();
  EXPECT_NEAR(m.stats().null_log_likelihood, -std::log(24.0), 1e-14);
  const cox_model flat = f.fit({.l2 = 1e9});
  EXPECT_LT(std::fabs(flat.coef()[0]), 1e-8);
  const std::vector<double> times{0.5, 1, 1.5, 2, 3, 7};
  std::vector<double> h(times.size());
  const std::vector<double> at_mean{0.0};  // x = mean (0): the baseline itself
  flat.predict_cumulative_hazard(matrix_view::row_major(at_mean.data(), 1, 1), {}, times, h);
  const std::vector<double> nelson_aalen{0, 0.5, 0.5, 1.0, 2.0, 2.0};
  for (std::size_t t = 0; t < times.size(); ++t) EXPECT_NEAR(h[t], nelson_aalen[t], 1e-7) << times[t];
  ASSERT_EQ(flat.baseline_times().size(), 3u);
  EXPECT_NEAR(flat.baseline_hazard()[0], 0.5, 1e-7);
}

/// n seeded rows with ties in time (integer durations), about 30 % censored, two covariates.
survival_frame seeded(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  survival_frame f;
  f.cols = 2;
  f.names = {"a", "b"};
  for (std::size_t i = 0; i < n; ++i) {
    const double a = normal(rng), b = 3.0 + 2.0 * normal(rng);
    const double t = -std::log(uniform(rng)) / std::exp(0.5 * a - 0.2 * b);
    f.duration.push_back(std::ceil(4.0 * t));
    f.event.push_back(uniform(rng) < 0.7 ? 1.0 : 0.0);
    f.x.push_back(a);
    f.x.push_back(b);
  }
  return f;
}

// Two strata holding the same rows: ℓ is twice one copy's, so β is the same, the information doubles
// (se / √2) and so do ℓ and the concordance's pair counts.
TEST(CoxPH, TwoIdenticalStrataDoubleTheInformation) {
  const survival_frame one = seeded(200, 7);
  survival_frame two = one;
  two.duration.insert(two.duration.end(), one.duration.begin(), one.duration.end());
  two.event.insert(two.event.end(), one.event.begin(), one.event.end());
  two.x.insert(two.x.end(), one.x.begin(), one.x.end());
  std::vector<std::int32_t> strata(400, 0);
  std::fill(strata.begin() + 200, strata.end(), 1);
  const cox_model a = one.fit(), b = two.fit({}, {}, strata);
  ASSERT_EQ(b.n_strata(), 2u);
  for (std::size_t j = 0; j < 2; ++j) {
    EXPECT_NEAR(b.coef()[j], a.coef()[j], 1e-10);
    EXPECT_NEAR(b.se()[j], a.se()[j] / std::sqrt(2.0), 1e-10);
  }
  EXPECT_NEAR(b.stats().log_likelihood, 2 * a.stats().log_likelihood, 1e-9);
  EXPECT_EQ(b.concordance().pairs, 2 * a.concordance().pairs);
  EXPECT_DOUBLE_EQ(b.concordance().index(), a.concordance().index());
  // Each stratum's baseline is the single fit's.
  const std::size_t nt = b.baseline_times().size();
  ASSERT_EQ(nt, a.baseline_times().size());
  for (std::size_t k = 0; k < nt; ++k) {
    EXPECT_NEAR(b.baseline_hazard()[k], a.baseline_hazard()[k], 1e-10);
    EXPECT_NEAR(b.baseline_hazard()[nt + k], a.baseline_hazard()[k], 1e-10);
  }
}

// A weight c on every row: r and w̄ scale by c, so ℓ_c(β) = c·ℓ(β) − const — the same β with se/√c
// (R's coxph documents this: "setting all weights to 2 … halve[s] the variance").
TEST(CoxPH, UniformWeightsScaleTheInformation) {
  const survival_frame f = seeded(150, 11);
  const std::vector<double> w(150, 3.0);
  const cox_model a = f.fit(), b = f.fit({}, w);
  for (std::size_t j = 0; j < 2; ++j) {
    EXPECT_NEAR(b.coef()[j], a.coef()[j], 1e-10);
    EXPECT_NEAR(b.se()[j], a.se()[j] / std::sqrt(3.0), 1e-10);
  }
  EXPECT_DOUBLE_EQ(b.stats().weight_sum, 450.0);
}

TEST(CoxPH, RowOrderDoesNotChangeTheFit) {
  const survival_frame f = seeded(120, 5);
  survival_frame g;
  g.cols = 2;
  g.names = f.names;
  std::vector<std::size_t> order(120);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(3));
  for (std::size_t i : order) {
    g.duration.push_back(f.duration[i]);
    g.event.push_back(f.event[i]);
    g.x.push_back(f.x[2 * i]);
    g.x.push_back(f.x[2 * i + 1]);
  }
  const cox_model a = f.fit(), b = g.fit();
  for (std::size_t j = 0; j < 2; ++j) EXPECT_NEAR(a.coef()[j], b.coef()[j], 1e-12);
  EXPECT_EQ(a.concordance().concordant, b.concordance().concordant);
  EXPECT_NEAR(a.stats().log_likelihood, b.stats().log_likelihood, 1e-10);
}

// A covariate that orders the events exactly (the larger x, the earlier the event): ℓ rises forever as β → ∞.
TEST(CoxPH, SeparationIsANonConvergenceStatus) {
  survival_frame f{{1, 2, 3, 4, 5, 6}, {1, 1, 1, 1, 1, 1}, {6, 5, 4, 3, 2, 1}, 1, {"x"}};
  const cox_model m = f.fit({.max_iter = 5});
  EXPECT_EQ(m.stats().status, fit_status::max_iter);
  EXPECT_EQ(m.stats().iterations, 5);
  EXPECT_THROW(f.fit({.max_iter = 5, .require_convergence = true}), convergence_error);
}

TEST(CoxPH, PredictionsAreTheBaselineTimesThePartialHazard) {
  const survival_frame f = seeded(80, 2);
  const cox_model m = f.fit();
  const std::vector<double> row{0.4, 2.5};
  std::vector<double> eta(1);
  m.log_partial_hazard(matrix_view::row_major(row.data(), 1, 2), eta);
  EXPECT_NEAR(eta[0], (0.4 - m.mean()[0]) * m.coef()[0] + (2.5 - m.mean()[1]) * m.coef()[1], 1e-14);
  const std::vector<double> times(m.baseline_times().begin(), m.baseline_times().end());
  std::vector<double> s(times.size());
  m.predict_cumulative_hazard(matrix_view::row_major(row.data(), 1, 2), {}, times, s, {}, true);
  double cumulative = 0.0;
  for (std::size_t k = 0; k < times.size(); ++k) {
    cumulative += m.baseline_hazard()[k];
    EXPECT_NEAR(s[k], std::exp(-cumulative * std::exp(eta[0])), 1e-14);
  }
}

TEST(CoxPH, BadInputIsNamed) {
  const survival_frame good = seeded(40, 1);
  auto message = [](const survival_frame& f, const cox_options& o = {}, std::span<const double> w = {},
                    std::span<const std::int32_t> s = {}) { return invalid_input_message([&] { f.fit(o, w, s); }); };
  survival_frame bad = good;
  bad.x[2 * 7 + 1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(message(bad), HasSubstr("column 'b' row 7 is NaN"));
  bad = good;
  bad.x[2 * 3] = std::numeric_limits<double>::infinity();
  EXPECT_THAT(message(bad), HasSubstr("column 'a' row 3 is inf"));
  bad = good;
  bad.duration[5] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(message(bad), HasSubstr("duration column 'duration' row 5 is NaN"));
  bad = good;
  bad.duration[6] = -1;
  EXPECT_THAT(message(bad), HasSubstr("duration column 'duration' row 6 is -1: durations must be >= 0"));
  bad = good;
  bad.event[9] = 2;
  EXPECT_THAT(message(bad), HasSubstr("event column 'event' row 9 is 2: events must be 0 or 1"));
  bad = good;
  std::fill(bad.event.begin(), bad.event.end(), 0.0);
  EXPECT_THAT(message(bad), HasSubstr("no events"));
  bad = good;
  for (std::size_t i = 0; i < 40; ++i) bad.x[2 * i + 1] = 4.5;
  EXPECT_THAT(message(bad), HasSubstr("column 'b' is constant (4.5)"));
  bad = good;
  for (std::size_t i = 0; i < 40; ++i) bad.x[2 * i + 1] = 2.0 * bad.x[2 * i] + 1.0;
  EXPECT_THAT(message(bad), HasSubstr("'b' is a linear combination of 'a'"));
  EXPECT_EQ(message(bad, {.l2 = 0.1}), "");  // a penalty makes the problem strictly concave
  EXPECT_THAT(message(good, {.l2 = -0.5}), HasSubstr("l2 must be finite and >= 0, got -0.5"));
  EXPECT_THAT(invalid_input_message([&] {
                cox_model::fit(matrix_view::row_major(good.x.data(), 39, 2), good.duration, {}, {}, {}, good.names);
              }),
              HasSubstr("duration column 'duration' has 40 values but X has 39 rows"));
  const std::vector<double> w(39, 1.0);
  EXPECT_THAT(message(good, {}, w), HasSubstr("weights column 'weights' has 39 values"));
  std::vector<double> w0(40, 1.0);
  w0[4] = 0.0;
  EXPECT_THAT(message(good, {}, w0), HasSubstr("weights column 'weights' row 4 is 0: weights must be finite and > 0"));
  const survival_frame empty{{}, {}, {}, 2, {"a", "b"}};
  EXPECT_THAT(message(empty), HasSubstr("empty input"));
  survival_frame twice = good;
  twice.names = {"a", "a"};
  EXPECT_THAT(message(twice), HasSubstr("feature names must be distinct"));

  const cox_model m = good.fit();
  const std::vector<double> row{0.1, std::numeric_limits<double>::quiet_NaN()};
  std::vector<double> out(1);
  EXPECT_THAT(invalid_input_message([&] { m.log_partial_hazard(matrix_view::row_major(row.data(), 1, 2), out); }),
              HasSubstr("column 'b' row 0 is NaN"));
  const std::vector<std::int32_t> stratum{1};
  const std::vector<double> t{1.0};
  EXPECT_THAT(invalid_input_message([&] {
                m.predict_cumulative_hazard(matrix_view::row_major(row.data(), 1, 2), stratum, t, out);
              }),
              HasSubstr("stratum code 1, not one of the model's 1"));
}

}  // namespace
}  // namespace custhealth
