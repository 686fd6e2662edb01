// tests/cpp/test_btyd.cpp — the BTYD core against the published values (tests/data/reference/README.md) and
// closed forms of its special functions; the Python tests compare it with lifetimes on random histories.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "custhealth/btyd/btyd.hpp"
#include "custhealth/detail/dual.hpp"
#include "custhealth/error.hpp"
#include "reference.hpp"

namespace custhealth {
namespace {

struct rfm_columns {
  std::vector<double> x, tx, T;
  btyd::customers view() const { return {x, tx, T, {}, {}}; }
};

rfm_columns read_cdnow(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // ID,frequency,recency,T
  rfm_columns c;
  while (std::getline(in, line)) {
    std::stringstream s(line);
    std::string id, x, tx, T;
    std::getline(s, id, ',');
    std::getline(s, x, ',');
    std::getline(s, tx, ',');
    std::getline(s, T, ',');
    c.x.push_back(std::stod(x));
    c.tx.push_back(std::stod(tx));
    c.T.push_back(std::stod(T));
  }
  return c;
}

TEST(BtydSpecial, DigammaMatchesClosedForms) {
  constexpr double euler_gamma = 0.57721566490153286;
  EXPECT_NEAR(detail::digamma(1.0), -euler_gamma, 1e-14);
  EXPECT_NEAR(detail::digamma(0.5), -euler_gamma - 2 * std::log(2.0), 1e-14);
  EXPECT_NEAR(detail::digamma(4.0), 1 + 0.5 + 1.0 / 3 - euler_gamma, 1e-14);  // H₃ − γ
  // ψ(x) = −1/x − γ + ζ(2)x − ζ(3)x² + ζ(4)x³ − … near 0.
  const double x = 1e-3;
  EXPECT_NEAR(detail::digamma(x), -1 / x - euler_gamma + 1.6449340668482264 * x - 1.2020569031595943 * x * x +
                                      1.0823232337111382 * x * x * x,
              1e-11);
}

TEST(BtydSpecial, DualNumbersDifferentiateExactly) {
  // d/dx lgamma(x) = ψ(x); d/dx log(1 + e^x) = σ(x).
  const auto x = detail::dual<1>::variable(2.5, 0);
  EXPECT_NEAR(detail::lgamma(x).d[0], detail::digamma(2.5), 1e-15);
  EXPECT_NEAR(detail::log_add_exp(x, detail::dual<1>(0.0)).d[0], 1 / (1 + std::exp(-2.5)), 1e-15);
}

TEST(BtydSpecial, Hyp2f1MatchesClosedForms) {
  // ₂F₁(1, 1; 2; z) = −log(1 − z)/z and ₂F₁(a, b; b; z) = (1 − z)^{−a} (Abramowitz & Stegun 15.1.3, 15.1.8).
  for (double z : {0.0, 0.1, 0.5, 0.9, 0.99}) {
    const double expected = z == 0 ? 0.0 : std::log(-std::log1p(-z) / z);
    EXPECT_NEAR(btyd::log_hyp2f1(1, 1, 2, z), expected, 1e-13) << z;
    EXPECT_NEAR(btyd::log_hyp2f1(2.5, 7, 7, z), -2.5 * std::log1p(-z), 1e-12) << z;
  }
  EXPECT_TRUE(std::isnan(btyd::log_hyp2f1(1, 1, 2, 1.0)));
}

TEST(Btyd, BgNbdReproducesFaderHardieLee2005) {
  CUSTHEALTH_REFERENCE(path, "cdnow_customers_summary.csv");
  const rfm_columns c = read_cdnow(path);
  const btyd::fit_result r = btyd::fit(btyd_model::bg_nbd, c.view());
  ASSERT_TRUE(r.converged());
  const double published[] = {0.243, 4.414, 0.793, 2.426};
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(r.params[k], published[k], 5e-4) << k;
  EXPECT_NEAR(r.log_likelihood, -9582.4, 0.05);
  // The same log-likelihood from the evaluation entry point, at the fitted parameters.
  EXPECT_NEAR(btyd::log_likelihood(btyd_model::bg_nbd, r.params, c.view()), r.log_likelihood, 1e-9);

  const std::vector<double> at = {0.243, 4.414, 0.793, 2.426};
  const std::vector<double> x{2}, tx{30.43}, T{38.86};
  std::vector<double> out(1);
  btyd::conditional_expected_purchases(btyd_model::bg_nbd, at, 39, {x, tx, T, {}, {}}, out);
  EXPECT_NEAR(out[0], 1.226, 5e-4);
  const std::vector<double> t39{39}, t2{2};
  btyd::probability_of_purchases(btyd_model::bg_nbd, at, t39, 0, out);
  EXPECT_NEAR(out[0], 0.5737864, 5e-8);
  btyd::probability_of_purchases(btyd_model::bg_nbd, at, t2, 10, out);
  EXPECT_NEAR(out[0], 1.07869e-07, 5e-13);
}

TEST(Btyd, ParetoNbdReproducesThePublishedFit) {
  CUSTHEALTH_REFERENCE(path, "cdnow_customers_summary.csv");
  const rfm_columns c = read_cdnow(path);
  const btyd::fit_result r = btyd::fit(btyd_model::pareto_nbd, c.view());
  ASSERT_TRUE(r.converged());
  EXPECT_NEAR(r.params[0], 0.553, 5e-4);
  EXPECT_NEAR(r.params[1], 10.578, 5e-4);
  EXPECT_NEAR(r.params[2], 0.606, 5e-4);
  EXPECT_NEAR(r.params[3], 11.668, 2e-3);  // the likelihood is flat in β
  EXPECT_NEAR(r.log_likelihood, -9595.0, 0.05);
}

TEST(Btyd, ShiftedBetaGeometricReproducesFaderHardie2007) {
  const std::vector<double> high_end = {1000, 869, 743, 653, 593, 551, 517, 491};  // years 0..7
  const btyd::fit_result r = btyd::fit_sbg(high_end);
  EXPECT_NEAR(r.params[0], 0.668, 5e-4);
  EXPECT_NEAR(r.params[1], 3.806, 5e-4);
  const std::vector<double> t{12};
  std::vector<double> s(1);
  btyd::sbg_survival(r.params, t, s);
  EXPECT_NEAR(1000 * s[0], 378, 0.5);
}

TEST(Btyd, BadInputIsAClearError) {
  const std::vector<double> x{1, 1}, tx{1, 3}, T{2, 2};
  EXPECT_THROW(
      {
        try {
          btyd::fit(btyd_model::bg_nbd, {x, tx, T, {}, {}});
        } catch (const invalid_input& e) {
          EXPECT_STREQ(e.what(), "BetaGeo: recency[1]: greater than T (3 > 2)");
          throw;
        }
      },
      invalid_input);
  const std::vector<double> zero{0, 0}, zeros{0, 0}, ages{1, 2};
  EXPECT_THROW(btyd::fit(btyd_model::bg_nbd, {zero, zeros, ages, {}, {}}), invalid_input);
  EXPECT_THROW(btyd::fit(btyd_model::bg_nbd, {}), invalid_input);
  const std::vector<double> params{0.243, 4.414, 0.793, 2.426}, minus{-1};
  std::vector<double> out(1);
  EXPECT_THROW(btyd::expected_purchases(btyd_model::bg_nbd, params, minus, out), invalid_input);
}

TEST(Btyd, RequireConvergenceThrows) {
  CUSTHEALTH_REFERENCE(path, "cdnow_customers_summary.csv");
  const rfm_columns c = read_cdnow(path);
  btyd::fit_options o;
  o.max_iter = 1;
  const btyd::fit_result r = btyd::fit(btyd_model::bg_nbd, c.view(), o);
  EXPECT_EQ(r.status, fit_status::max_iter);
  o.require_convergence = true;
  EXPECT_THROW(btyd::fit(btyd_model::bg_nbd, c.view(), o), convergence_error);
}

}  // namespace
}  // namespace custhealth
