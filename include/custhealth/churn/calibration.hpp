// custhealth/churn/calibration.hpp — a score or probability mapped to the churn rate observed at it
// (DESIGN §4 "Calibration"): isotonic regression (pool adjacent violators) or Platt's sigmoid.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "custhealth/error.hpp"

namespace custhealth {

/// A fitted map from score to probability.
struct calibration_map {
  enum class kind : std::uint8_t { isotonic, platt };
  kind method = kind::isotonic;
  /// Isotonic: the distinct scores and the fitted rate at each, increasing; between them the map
  /// interpolates linearly and outside them it is clipped — scikit-learn's
  /// IsotonicRegression(out_of_bounds="clip").
  std::vector<double> x, y;
  /// Platt: p = 1 / (1 + exp(a·s + b)) — scikit-learn's sigmoid calibration (a < 0 when higher scores churn more).
  double a = 0, b = 0;

  double operator()(double s) const {
    if (method == kind::platt) return 1.0 / (1.0 + std::exp(a * s + b));
    if (s <= x.front()) return y.front();
    if (s >= x.back()) return y.back();
    const auto hi = std::size_t(std::upper_bound(x.begin(), x.end(), s) - x.begin());
    const double t = (s - x[hi - 1]) / (x[hi] - x[hi - 1]);
    return y[hi - 1] + t * (y[hi] - y[hi - 1]);
  }
};

namespace detail {

/// Checks the input and returns the weights of the churned and the retained accounts.
inline std::pair<double, double> check_calibration_input(std::span<const double> score, std::span<const double> y,
                                                         std::span<const double> w) {
  if (score.size() != y.size()) throw invalid_input("calibration: scores and labels differ in length");
  if (score.empty()) throw invalid_input("calibration: no scores");
  if (!w.empty() && w.size() != y.size()) throw invalid_input("calibration: weights and labels differ in length");
  double positives = 0, negatives = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    if (!std::isfinite(score[i])) throw invalid_input("calibration: score[" + std::to_string(i) + "] is not finite");
    if (y[i] != 0 && y[i] != 1) throw invalid_input("calibration: y[" + std::to_string(i) + "] must be 0 or 1");
    const double wi = w.empty() ? 1.0 : w[i];
    if (!(wi >= 0) || !std::isfinite(wi)) throw invalid_input("calibration: weights must be finite and >= 0");
    (y[i] == 1 ? positives : negatives) += wi;
  }
  if (positives == 0 || negatives == 0) throw invalid_input("calibration: needs both churned and retained accounts");
  return {positives, negatives};
}

}  // namespace detail

/// Isotonic (non-decreasing) regression of y on the score, weighted: ties in the score are pooled
/// first (their weighted mean), then adjacent violators (Barlow et al. 1972; what scikit-learn's
/// IsotonicRegression does), in O(n log n) for the sort.
inline calibration_map fit_isotonic(std::span<const double> score, std::span<const double> y,
                                    std::span<const double> w = {}) {
  detail::check_calibration_input(score, y, w);
  std::vector<std::size_t> order(score.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](auto i, auto j) { return score[i] < score[j]; });
  struct block {
    double x, sum, weight;  // the block's first score; Σ w·y and Σ w over it
  };
  std::vector<block> blocks;  // one per distinct score
  for (const auto i : order) {
    const double wi = w.empty() ? 1.0 : w[i];
    if (!blocks.empty() && blocks.back().x == score[i]) blocks.back().sum += wi * y[i], blocks.back().weight += wi;
    else blocks.push_back({score[i], wi * y[i], wi});
  }
  // Zero-weight distinct scores carry no information: they take the fit of their neighbours below.
  std::vector<double> xs_kept;
  std::vector<block> pooled;  // the stack of the pool-adjacent-violators pass
  std::vector<std::size_t> first;  // each pooled block's first kept distinct score
  for (const auto& b : blocks) {
    if (b.weight == 0) continue;
    xs_kept.push_back(b.x);
    pooled.push_back(b), first.push_back(xs_kept.size() - 1);
    while (pooled.size() > 1 && pooled[pooled.size() - 2].sum * pooled.back().weight >=
                                    pooled.back().sum * pooled[pooled.size() - 2].weight) {
      pooled[pooled.size() - 2].sum += pooled.back().sum, pooled[pooled.size() - 2].weight += pooled.back().weight;
      pooled.pop_back(), first.pop_back();
    }
  }
  calibration_map m;
  m.method = calibration_map::kind::isotonic;
  m.x = xs_kept;
  m.y.resize(xs_kept.size());
  for (std::size_t k = 0; k < pooled.size(); ++k) {
    const std::size_t end = k + 1 < pooled.size() ? first[k + 1] : xs_kept.size();
    std::fill(m.y.begin() + std::ptrdiff_t(first[k]), m.y.begin() + std::ptrdiff_t(end), pooled[k].sum / pooled[k].weight);
  }
  return m;
}

/// Platt's sigmoid (Platt 1999, with his smoothed targets (N₊ + 1)/(N₊ + 2) and 1/(N₋ + 2), as
/// scikit-learn's sigmoid calibration): a, b minimise the weighted log loss of 1/(1 + exp(a·s + b)),
/// by Newton's method with step halving on the two parameters.
inline calibration_map fit_platt(std::span<const double> score, std::span<const double> y, std::span<const double> w = {}) {
  const auto [n_pos, n_neg] = detail::check_calibration_input(score, y, w);
  const double t_pos = (n_pos + 1) / (n_pos + 2), t_neg = 1 / (n_neg + 2);
  auto loss = [&](double a, double b) {
    double l = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const double z = a * score[i] + b, t = y[i] == 1 ? t_pos : t_neg, wi = w.empty() ? 1.0 : w[i];
      // −[t·log p + (1 − t)·log(1 − p)] with p = 1/(1 + e^z), written without overflow
      l += wi * (t * std::log1p(std::exp(-std::fabs(z))) + t * std::max(z, 0.0) +
                 (1 - t) * (std::log1p(std::exp(-std::fabs(z))) + std::max(-z, 0.0)));
    }
    return l;
  };
  double a = 0, b = std::log((n_neg + 1) / (n_pos + 1));
  double current = loss(a, b);
  for (int iter = 0; iter < 100; ++iter) {
    double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      const double z = a * score[i] + b, p = 1 / (1 + std::exp(z)), t = y[i] == 1 ? t_pos : t_neg;
      const double wi = w.empty() ? 1.0 : w[i], r = wi * (t - p), v = wi * p * (1 - p);  // d loss/dz = t − p
      ga += r * score[i], gb += r, haa += v * score[i] * score[i], hab += v * score[i], hbb += v;
    }
    const double det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
    double step = 1, next = loss(a - da, b - db);
    while (next > current && step > 1e-10) step /= 2, next = loss(a - step * da, b - step * db);
    if (next > current) break;  // no step lowers the loss: the optimum, to rounding
    a -= step * da, b -= step * db;
    current = next;
    if (step * std::max(std::fabs(da), std::fabs(db)) < 1e-13 * (1 + std::fabs(a) + std::fabs(b))) break;
  }
  calibration_map m;
  m.method = calibration_map::kind::platt;
  m.a = a, m.b = b;
  return m;
}

}  // namespace custhealth
