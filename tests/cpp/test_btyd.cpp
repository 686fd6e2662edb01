// tests/cpp/test_btyd.cpp — the BTYD core against the published values (tests/data/reference/README.md) and
// closed forms of its special functions; the Python tests compare it with lifetimes on random histories.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>
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

TEST(BtydSpecial, TrigammaMatchesClosedForms) {
  // ψ'(1) = π²/6, ψ'(1/2) = π²/2, ψ'(n) = π²/6 − Σ_{k<n} 1/k² (Abramowitz & Stegun 6.4.2, 6.4.4, 6.4.6).
  const double pi2 = M_PI * M_PI;
  EXPECT_NEAR(detail::trigamma(1.0), pi2 / 6, 1e-14);
  EXPECT_NEAR(detail::trigamma(0.5), pi2 / 2, 1e-14);
  EXPECT_NEAR(detail::trigamma(4.0), pi2 / 6 - 1 - 0.25 - 1.0 / 9, 1e-14);
  EXPECT_NEAR(detail::trigamma(25.0) * 25, 1 + 0.5 / 25 + 1 / (6.0 * 625), 1e-6);  // the asymptotic branch
  // The derivative of digamma, by central differences.
  for (double x : {0.03, 0.7, 3.2, 9.9, 10.1, 47.0})
    EXPECT_NEAR(detail::trigamma(x), (detail::digamma(x * (1 + 1e-6)) - detail::digamma(x * (1 - 1e-6))) / (2e-6 * x),
                1e-7 * detail::trigamma(x))
        << x;
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
  // A tiny upper parameter: the first ratio is tiny, the later ones are not (stopping after one term read
  // 20 % low), and the value is 1 + 4e-10, whose logarithm keeps its digits (mpmath at 40 digits).
  EXPECT_NEAR(btyd::log_hyp2f1(1e-9, 2, 3, 0.5), 4.2055845833503471e-10, 1e-24);
  EXPECT_NEAR(btyd::log_hyp2f1(1e-12, 50, 10, 0.7), std::log(1.3988997200006838), 1e-14);
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

TEST(Btyd, ExactHessianMatchesFiniteDifferences) {
  // The hand-derived gradient against central differences of the log-likelihood, and the Hessian against
  // central differences of that gradient, at a point away from the optimum, for both models, with weights.
  CUSTHEALTH_REFERENCE(path, "cdnow_customers_summary.csv");
  rfm_columns c = read_cdnow(path);
  std::vector<double> w(c.x.size());
  for (std::size_t i = 0; i < w.size(); ++i) w[i] = 1.0 + static_cast<double>(i % 3);
  const btyd::customers rows{c.x, c.tx, c.T, {}, w};
  for (btyd_model m : {btyd_model::bg_nbd, btyd_model::mbg_nbd}) {
    const std::vector<double> p{0.4, 6.0, 0.6, 3.1};
    std::vector<double> g(4), H(16), gu(4), gd(4), h16(16);
    const double ll = btyd::log_likelihood_derivatives(m, p, rows, g, H);
    EXPECT_NEAR(ll, btyd::log_likelihood(m, p, rows), 1e-9 * std::fabs(ll));
    for (std::size_t k = 0; k < 4; ++k) {
      const double h = 1e-5 * p[k];
      auto up = p, down = p;
      up[k] += h;
      down[k] -= h;
      const double fd = (btyd::log_likelihood(m, up, rows) - btyd::log_likelihood(m, down, rows)) / (2 * h);
      EXPECT_NEAR(g[k], fd, 1e-6 * std::max(1.0, std::fabs(fd))) << static_cast<int>(m) << " " << k;
      btyd::log_likelihood_derivatives(m, up, rows, gu, h16);
      btyd::log_likelihood_derivatives(m, down, rows, gd, h16);
      for (std::size_t j = 0; j < 4; ++j) {
        const double fd2 = (gu[j] - gd[j]) / (2 * h);
        EXPECT_NEAR(H[4 * k + j], fd2, 1e-6 * std::max(1.0, std::fabs(fd2))) << static_cast<int>(m) << " " << k << j;
        EXPECT_EQ(H[4 * k + j], H[4 * j + k]);
      }
    }
  }
}

TEST(Btyd, LargeFitStartsFromASampleAndReachesTheMaximum) {
  // 100,000 simulated BG/NBD customers in continuous time (no repeated histories: not merged, and Newton starts
  // from the fit to a 20,000-row sample): converged, the exact gradient ~0 at the result, the reported
  // log-likelihood that of the evaluation entry point, and the parameters near the simulated ones.
  std::mt19937_64 rng(15);
  std::gamma_distribution<double> rate(0.243, 1 / 4.414), ga(0.793, 1.0), gb(2.426, 1.0);
  std::uniform_real_distribution<double> unit(0.0, 1.0), age(20.0, 80.0);
  rfm_columns c;
  for (int i = 0; i < 100'000; ++i) {
    const double lambda = std::max(rate(rng), 1e-300), u = ga(rng), p = u / (u + gb(rng)), T = age(rng);
    double t = 0, last = 0, x = 0;
    while (true) {
      t += -std::log(1 - unit(rng)) / lambda;
      if (t > T) break;
      ++x;
      last = t;
      if (unit(rng) < p) break;
    }
    c.x.push_back(x);
    c.tx.push_back(last);
    c.T.push_back(T);
  }
  const btyd::fit_result r = btyd::fit(btyd_model::bg_nbd, c.view());
  ASSERT_TRUE(r.converged());
  EXPECT_NEAR(btyd::log_likelihood(btyd_model::bg_nbd, r.params, c.view()), r.log_likelihood,
              1e-12 * std::fabs(r.log_likelihood));
  std::vector<double> g(4), H(16);
  btyd::log_likelihood_derivatives(btyd_model::bg_nbd, r.params, c.view(), g, H);
  for (int k = 0; k < 4; ++k) EXPECT_LT(std::fabs(g[k] * r.params[k]) / 100'000, 1e-8) << k;
  const double simulated[] = {0.243, 4.414, 0.793, 2.426};
  for (int k = 0; k < 4; ++k) EXPECT_NEAR(r.params[k], simulated[k], 0.1 * simulated[k]) << k;
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
