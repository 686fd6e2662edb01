// tests/cpp/test_churn_logistic.cpp — churn/logistic.hpp against closed forms (one binary feature: the MLE is
// the two groups' log-odds, Woolf's standard errors), exact symmetries, the model file, and every bad input;
// tests/python/test_churn_logistic.py pins the same model against scikit-learn and statsmodels.

#include "custhealth/churn/logistic.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "expect.hpp"

namespace custhealth {
namespace {

using test::invalid_input_message;
using ::testing::HasSubstr;

/// A row-major matrix and its view.
struct frame {
  std::vector<double> values;
  std::size_t cols;
  matrix_view view() const { return matrix_view::row_major(values.data(), values.size() / cols, cols); }
};

// One binary feature: 10 accounts without it (3 churned, 7 not), 10 with it (6 churned, 4 not).
// Unpenalised, the fitted logit of each group is its empirical log-odds, so
//   intercept = log(3/7), coef = log(6/4) − log(3/7) = log(3.5),
// and the inverse Fisher information gives Woolf's standard errors
//   se(intercept) = √(1/3 + 1/7),  se(coef) = √(1/3 + 1/7 + 1/6 + 1/4).
struct two_groups {
  frame x{{}, 1};
  std::vector<std::int64_t> y;
  two_groups() {
    auto add = [&](double v, int churned, int stayed) {
      for (int i = 0; i < churned; ++i) x.values.push_back(v), y.push_back(1);
      for (int i = 0; i < stayed; ++i) x.values.push_back(v), y.push_back(0);
    };
    add(0.0, 3, 7);
    add(1.0, 6, 4);
  }
};

/// l2 = 0, and a tolerance far below the default's 1e-8 (which leaves errors of that order in the
/// coefficients), so that the closed forms hold to 1e-12.
logistic_options unpenalised() {
  logistic_options o;
  o.l2 = 0.0;
  o.tol = 1e-14;
  return o;
}

TEST(LogisticChurnModel, OneBinaryFeatureIsTheGroupsLogOdds) {
  const two_groups g;
  for (bool standardize : {true, false}) {
    logistic_options o = unpenalised();
    o.standardize = standardize;
    const auto m = logistic_churn_model::fit(g.x.view(), g.y, {}, {"has_feature"}, o);
    ASSERT_TRUE(m.stats().converged());
    EXPECT_NEAR(m.intercept(), std::log(3.0 / 7.0), 1e-12);
    EXPECT_NEAR(m.coef()[0], std::log(3.5), 1e-12);
    EXPECT_NEAR(m.intercept_se(), std::sqrt(1.0 / 3 + 1.0 / 7), 1e-10);
    EXPECT_NEAR(m.se()[0], std::sqrt(1.0 / 3 + 1.0 / 7 + 1.0 / 6 + 1.0 / 4), 1e-10);
    // Standardised scale: mean 0.5, sd 0.5 (ddof 0), so coef_std = coef · 0.5 and the baseline is the
    // logit at x = 0.5: the mean of the two groups' log-odds.
    EXPECT_DOUBLE_EQ(m.mean()[0], 0.5);
    EXPECT_DOUBLE_EQ(m.sd()[0], 0.5);
    EXPECT_NEAR(m.coef_std()[0], 0.5 * std::log(3.5), 1e-12);
    EXPECT_NEAR(m.intercept_std(), 0.5 * (std::log(3.0 / 7.0) + std::log(6.0 / 4.0)), 1e-12);
    const std::vector<double> rows{0.0, 1.0};
    std::vector<double> p(2);
    m.predict_proba(matrix_view::row_major(rows.data(), 2, 1), p);
    EXPECT_NEAR(p[0], 0.3, 1e-12);
    EXPECT_NEAR(p[1], 0.6, 1e-12);
    // log loss at the MLE: −(3 ln .3 + 7 ln .7 + 6 ln .6 + 4 ln .4) / 20
    EXPECT_NEAR(m.stats().log_loss,
                -(3 * std::log(0.3) + 7 * std::log(0.7) + 6 * std::log(0.6) + 4 * std::log(0.4)) / 20, 1e-14);
    EXPECT_LE(m.stats().gradient_norm, 1e-8);
  }
}

TEST(LogisticChurnModel, IntegerWeightsEqualRepeatedRows) {
  // Weight 2 on every churner of the example is the example with each churner twice: 6 vs 7 and 12 vs 4.
  two_groups g;
  std::vector<double> w;
  for (auto v : g.y) w.push_back(v == 1 ? 2.0 : 1.0);
  const auto m = logistic_churn_model::fit(g.x.view(), g.y, w, {"f"}, unpenalised());
  EXPECT_NEAR(m.intercept(), std::log(6.0 / 7.0), 1e-12);
  EXPECT_NEAR(m.coef()[0], std::log(12.0 / 4.0) - std::log(6.0 / 7.0), 1e-12);
  EXPECT_NEAR(m.se()[0], std::sqrt(1.0 / 6 + 1.0 / 7 + 1.0 / 12 + 1.0 / 4), 1e-10);
  EXPECT_DOUBLE_EQ(m.stats().weight_sum, 29.0);
  // A row of weight 0 changes nothing, whatever its values.
  g.x.values.push_back(1e6);
  g.y.push_back(1);
  w.push_back(0.0);
  const auto same = logistic_churn_model::fit(g.x.view(), g.y, w, {"f"}, unpenalised());
  EXPECT_NEAR(same.coef()[0], m.coef()[0], 1e-12);
  EXPECT_NEAR(same.intercept(), m.intercept(), 1e-12);
}

/// Seeded data: n rows, k correlated columns with different means and scales, a logistic label.
struct random_data {
  frame x;
  std::vector<std::int64_t> y;
  random_data(std::size_t n, std::size_t k, unsigned seed) : x{{}, k} {
    std::mt19937_64 rng(seed);
    std::normal_distribution<double> normal;
    std::uniform_real_distribution<double> unit;
    for (std::size_t i = 0; i < n; ++i) {
      double logit = -1.0, common = normal(rng);
      for (std::size_t j = 0; j < k; ++j) {
        const double v = 10.0 * static_cast<double>(j) + (1.0 + static_cast<double>(j)) * (normal(rng) + 0.5 * common);
        x.values.push_back(v);
        logit += (j % 2 == 0 ? 0.3 : -0.2) * (v - 10.0 * static_cast<double>(j)) / (1.0 + static_cast<double>(j));
      }
      y.push_back(unit(rng) < 1.0 / (1.0 + std::exp(-logit)) ? 1 : 0);
    }
  }
};

TEST(LogisticChurnModel, TwoIdenticalColumnsWithL2SplitTheWeight) {
  // With columns a and a, only β₁ + β₂ = s enters the loss and the penalty (l2/2)(β₁² + β₂²) is least at
  // β₁ = β₂ = s/2, where it is (l2/4)·s²: the fit equals the one-column fit with l2/2, its coefficient halved.
  const random_data d(400, 1, 7);
  frame twice{{}, 2};
  for (double v : d.x.values) twice.values.push_back(v), twice.values.push_back(v);
  logistic_options o;
  o.l2 = 3.0;
  const auto both = logistic_churn_model::fit(twice.view(), d.y, {}, {"a", "a_copy"}, o);
  o.l2 = 1.5;
  const auto one = logistic_churn_model::fit(d.x.view(), d.y, {}, {"a"}, o);
  EXPECT_NEAR(both.coef_std()[0], both.coef_std()[1], 1e-12);
  EXPECT_NEAR(both.coef_std()[0], one.coef_std()[0] / 2, 1e-10);
  EXPECT_NEAR(both.intercept_std(), one.intercept_std(), 1e-10);
}

TEST(LogisticChurnModel, ContributionsSumToTheLogit) {
  const random_data d(300, 4, 11);
  const auto m = logistic_churn_model::fit(d.x.view(), d.y, {}, {}, {});
  EXPECT_EQ(m.feature_names(), (std::vector<std::string>{"x0", "x1", "x2", "x3"}));
  const std::size_t n = 300, k = 4;
  std::vector<double> c(n * (k + 1)), logit(n), p(n);
  m.contributions(d.x.view(), c);
  m.predict_logit(d.x.view(), logit);
  m.predict_proba(d.x.view(), p);
  for (std::size_t i = 0; i < n; ++i) {
    double sum = 0.0;
    for (std::size_t j = 0; j < k; ++j) sum += c[i * (k + 1) + j];
    sum += c[i * (k + 1) + k];
    EXPECT_EQ(sum, logit[i]);  // to the bit: the same terms in the same order
    EXPECT_EQ(c[i * (k + 1) + k], m.intercept_std());
    EXPECT_NEAR(p[i], 1.0 / (1.0 + std::exp(-logit[i])), 1e-15);
  }
  // The original-scale coefficients give the same logits.
  for (std::size_t i = 0; i < n; ++i) {
    double raw = m.intercept();
    for (std::size_t j = 0; j < k; ++j) raw += m.coef()[j] * d.x.values[i * k + j];
    EXPECT_NEAR(raw, logit[i], 1e-9);
  }
}

TEST(LogisticChurnModel, FortranOrderAndColumnMapsScoreTheSame) {
  const random_data d(200, 3, 5);
  const auto m = logistic_churn_model::fit(d.x.view(), d.y, {}, {"a", "b", "c"}, {});
  // The same matrix in Fortran order, columns permuted to c, a, b.
  std::vector<double> f(200 * 3);
  const std::size_t order[] = {2, 0, 1};
  for (std::size_t i = 0; i < 200; ++i)
    for (std::size_t c = 0; c < 3; ++c) f[c * 200 + i] = d.x.values[i * 3 + order[c]];
  const matrix_view fv{f.data(), 200, 3, 1, 200};
  const std::vector<std::string> names{"c", "a", "b"};
  const auto columns = m.columns_for(names);
  EXPECT_EQ(columns, (std::vector<std::size_t>{1, 2, 0}));
  std::vector<double> a(200), b(200);
  m.predict_logit(d.x.view(), a);
  m.predict_logit(fv, b, columns);
  EXPECT_EQ(a, b);
  // And fitting on the Fortran view with its own names gives the same model.
  const auto again = logistic_churn_model::fit(fv, d.y, {}, names, {});
  EXPECT_NEAR(again.coef()[0], m.coef()[2], 1e-12);
  EXPECT_NEAR(again.intercept(), m.intercept(), 1e-12);
}

TEST(LogisticChurnModel, AnyNumberOfThreadsGivesTheSameFit) {
  const random_data d(100'000, 3, 13);  // four chunks of rows
  logistic_options o;
  o.n_threads = 1;
  const auto one = logistic_churn_model::fit(d.x.view(), d.y, {}, {}, o);
  for (std::int32_t threads : {2, 3, 8}) {
    o.n_threads = threads;
    const auto many = logistic_churn_model::fit(d.x.view(), d.y, {}, {}, o);
    EXPECT_EQ(many.to_json(), one.to_json()) << threads << " threads";
  }
  o.n_threads = 0;
  EXPECT_THROW(logistic_churn_model::fit(d.x.view(), d.y, {}, {}, o), invalid_input);
}

TEST(LogisticChurnModel, NonConvergenceIsAStatus) {
  const random_data d(300, 3, 3);
  logistic_options o;
  o.max_iter = 1;
  const auto m = logistic_churn_model::fit(d.x.view(), d.y, {}, {}, o);
  EXPECT_EQ(m.stats().status, logistic_status::max_iter);
  EXPECT_FALSE(m.stats().converged());
  EXPECT_EQ(m.stats().iterations, 1);
  EXPECT_GT(m.stats().gradient_norm, o.tol);
  o.require_convergence = true;
  EXPECT_THROW(logistic_churn_model::fit(d.x.view(), d.y, {}, {}, o), convergence_error);
}

TEST(LogisticChurnModel, JsonRoundTripScoresIdentically) {
  const random_data d(250, 3, 9);
  std::vector<double> w(250);
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 0.5 + static_cast<double>(i % 3);
  const auto m = logistic_churn_model::fit(d.x.view(), d.y, w, {"usage.events_30d", "nps.last", "mrr.current"}, {});
  const std::string text = m.to_json();
  const auto back = logistic_churn_model::from_json(text, "model.json");
  EXPECT_EQ(back.to_json(), text);
  EXPECT_EQ(back.feature_names(), m.feature_names());
  std::vector<double> a(250), b(250);
  m.predict_proba(d.x.view(), a);
  back.predict_proba(d.x.view(), b);
  EXPECT_EQ(a, b);
  EXPECT_EQ(back.stats().iterations, m.stats().iterations);
  EXPECT_EQ(back.se()[1], m.se()[1]);
}

std::string spec_error(const std::string& text) {
  try {
    logistic_churn_model::from_json(text, "model.json");
  } catch (const model_spec_error& e) {
    return e.what();
  }
  return "";
}

TEST(LogisticChurnModel, BadModelFilesNameTheJsonPath) {
  const random_data d(100, 2, 1);
  const std::string good = logistic_churn_model::fit(d.x.view(), d.y, {}, {"a", "b"}, {}).to_json();
  auto edit = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  EXPECT_THAT(spec_error("{"), HasSubstr("model.json: not valid JSON"));
  EXPECT_THAT(spec_error(edit("\"custhealth.logistic_churn\"", "\"saas_health\"")), HasSubstr("$.format"));
  EXPECT_THAT(spec_error(edit("\"version\": 1", "\"version\": 2")), HasSubstr("$.version: version 2"));
  EXPECT_THAT(spec_error(edit("\"name\": \"b\",", "")), HasSubstr("model.json: $.features[1]: missing \"name\""));
  EXPECT_THAT(spec_error(edit("\"name\": \"b\"", "\"name\": \"a\"")), HasSubstr("$.features[1].name: \"a\" is also"));
  EXPECT_THAT(spec_error(edit("\"sd\": ", "\"sd\": -")), HasSubstr("$.features[0].sd: must be > 0"));
  EXPECT_THAT(spec_error(edit("\"coef\": ", "\"coef\": 1")), HasSubstr("$.features[0].coef:"));
  EXPECT_THAT(spec_error(edit("\"status\": \"converged\"", "\"status\": \"fine\"")), HasSubstr("$.fit.status"));
  EXPECT_THAT(spec_error(edit("\"intercept\": {", "\"intercept\": {\"colour\": 1, ")),
              HasSubstr("$.intercept: unknown key \"colour\""));
}

TEST(LogisticChurnModel, ScoringOtherFeaturesListsThem) {
  const random_data d(100, 3, 2);
  const auto m = logistic_churn_model::fit(d.x.view(), d.y, {}, {"a", "b", "c"}, {});
  const std::vector<std::string> other{"a", "c", "d", "e"};
  const std::string message = invalid_input_message([&] { m.columns_for(other); });
  EXPECT_THAT(message, HasSubstr("missing: 'b'"));
  EXPECT_THAT(message, HasSubstr("not in the model: 'd', 'e'"));
  const std::vector<double> two(4, 1.0);
  std::vector<double> out(2);
  EXPECT_THAT(invalid_input_message([&] { m.predict_logit(matrix_view::row_major(two.data(), 2, 2), out); }),
              HasSubstr("X has 2 columns but the model has 3 features"));
  std::vector<double> row{1.0, std::numeric_limits<double>::quiet_NaN(), 2.0};
  std::vector<double> one(1);
  EXPECT_THAT(invalid_input_message([&] { m.predict_proba(matrix_view::row_major(row.data(), 1, 3), one); }),
              HasSubstr("column 'b' row 0 is NaN"));
}

TEST(LogisticChurnModel, BadInput) {
  const two_groups g;
  const auto x = g.x.view();
  auto fit_message = [&](matrix_view xv, const std::vector<std::int64_t>& y, const std::vector<double>& w,
                         std::vector<std::string> names, logistic_options o) {
    return invalid_input_message([&] { logistic_churn_model::fit(xv, y, w, std::move(names), o); });
  };
  // y not 0/1, one class only
  auto y = g.y;
  y[4] = 2;
  EXPECT_THAT(fit_message(x, y, {}, {}, {}), HasSubstr("y[4] must be 0 or 1, got 2"));
  EXPECT_THAT(fit_message(x, std::vector<std::int64_t>(20, 0), {}, {}, {}), HasSubstr("one class only (all 0)"));
  EXPECT_THAT(fit_message(x, std::vector<std::int64_t>(20, 1), {}, {}, {}), HasSubstr("one class only (all 1)"));
  std::vector<double> w(20, 1.0);
  for (std::size_t i = 0; i < 20; ++i)
    if (g.y[i] == 1) w[i] = 0.0;  // the churners weigh nothing
  EXPECT_THAT(fit_message(x, g.y, w, {}, {}), HasSubstr("one class only (all 0 among rows of positive weight)"));
  // NaN / inf, named by column and row
  frame two{{}, 2};
  for (double v : g.x.values) two.values.push_back(v), two.values.push_back(v * v + 0.1 * static_cast<double>(two.values.size()));
  two.values[2 * 5 + 1] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(fit_message(two.view(), g.y, {}, {"plan", "seats"}, {}), HasSubstr("X column 'seats' row 5 is NaN"));
  two.values[2 * 5 + 1] = -std::numeric_limits<double>::infinity();
  EXPECT_THAT(fit_message(two.view(), g.y, {}, {"plan", "seats"}, {}), HasSubstr("X column 'seats' row 5 is -inf"));
  // mismatched lengths
  EXPECT_THAT(fit_message(x, std::vector<std::int64_t>(19, 1), {}, {}, {}), HasSubstr("X has 20 rows but y has 19"));
  EXPECT_THAT(fit_message(x, g.y, std::vector<double>(3, 1.0), {}, {}), HasSubstr("sample_weight has 3 values"));
  EXPECT_THAT(fit_message(x, g.y, {}, {"a", "b"}, {}), HasSubstr("2 feature names for 1 columns"));
  // constant column, identical columns (l2 = 0), duplicate names
  frame constant{{}, 2};
  for (double v : g.x.values) constant.values.push_back(v), constant.values.push_back(3.0);
  EXPECT_THAT(fit_message(constant.view(), g.y, {}, {"plan", "region"}, {}),
              HasSubstr("column 'region' is constant (3)"));
  frame same{{}, 3};
  for (std::size_t i = 0; i < 20; ++i) {
    const double v = g.x.values[i];
    same.values.insert(same.values.end(), {static_cast<double>(i % 3), v, 2.0 * v - 1.0});
  }
  const auto collinear = fit_message(same.view(), g.y, {}, {"tier", "plan", "plan_again"}, unpenalised());
  EXPECT_THAT(collinear, HasSubstr("perfectly collinear: 'plan_again' is a linear combination of 'plan'"));
  EXPECT_EQ(collinear.find("'tier'"), std::string::npos);  // not part of the combination
  logistic_options penalised;
  penalised.l2 = 1.0;
  EXPECT_NO_THROW(logistic_churn_model::fit(same.view(), g.y, {}, {"tier", "plan", "plan_again"}, penalised));
  EXPECT_THAT(fit_message(same.view(), g.y, {}, {"tier", "plan", "plan"}, {}),
              HasSubstr("feature names must be distinct: 'plan'"));
  // options and weights
  logistic_options o;
  o.l2 = -1.0;
  EXPECT_THAT(fit_message(x, g.y, {}, {}, o), HasSubstr("l2 must be finite and >= 0, got -1"));
  o = {};
  o.max_iter = 0;
  EXPECT_THAT(fit_message(x, g.y, {}, {}, o), HasSubstr("max_iter must be >= 1"));
  o = {};
  o.tol = 0.0;
  EXPECT_THAT(fit_message(x, g.y, {}, {}, o), HasSubstr("tol must be finite and > 0"));
  w.assign(20, 1.0);
  w[7] = -0.5;
  EXPECT_THAT(fit_message(x, g.y, w, {}, {}), HasSubstr("sample_weight[7] must be finite and >= 0, got -0.5"));
  EXPECT_THAT(fit_message(x, g.y, std::vector<double>(20, 0.0), {}, {}), HasSubstr("sample_weight sums to 0"));
  EXPECT_THAT(fit_message(matrix_view::row_major(nullptr, 0, 1), {}, {}, {}, {}), HasSubstr("empty input"));
}

}  // namespace
}  // namespace custhealth
