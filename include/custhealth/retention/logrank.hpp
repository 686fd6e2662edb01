// custhealth/retention/logrank.hpp — log-rank tests of equal hazards across k ≥ 2 groups (Mantel 1966),
// with case weights, as lifelines' multivariate_logrank_test and statsmodels' survdiff.
#pragma once

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custhealth/detail/stats.hpp"
#include "custhealth/detail/survival_input.hpp"
#include "custhealth/detail/survival_sort.hpp"
#include "custhealth/enums.hpp"  // logrank_weighting
#include "custhealth/error.hpp"
#include "custhealth/parallel.hpp"
#include "custhealth/retention/survival_workspace.hpp"

namespace custhealth {

/// Result of a log-rank test of equal hazards across groups.
struct logrank_result {
  double statistic = detail::nan;  ///< (O − E)ᵀ V⁻ (O − E) over the first k − 1 groups, χ² under H0
  int df = 0;                      ///< k − 1
  double p_value = detail::nan;    ///< P(χ²_df ≥ statistic)
  std::vector<int> groups;         ///< the distinct group codes, ascending; the order of the vectors below
  std::vector<double> observed;    ///< O: weighted events per group
  std::vector<double> expected;    ///< E: Σ_t n_g(t) d(t) / n(t) per group
};

/// Which weighted test: `weighting` and, for Fleming–Harrington, its exponents p, q ≥ 0.
struct logrank_options {
  logrank_weighting weighting = logrank_weighting::logrank;
  double p = 0.0, q = 0.0;
  /// Threads of the sort by time (blocks sorted, then merged into one thread's stable order, so the
  /// sums over the sorted records are one thread's bits); 1..max_threads.
  std::int32_t n_threads = 1;
};

/// Log-rank test (Mantel 1966; Peto & Peto 1972) for k ≥ 2 groups, as lifelines'
/// `multivariate_logrank_test` (and `logrank_test` for k = 2) and statsmodels' `survdiff`: at each
/// distinct event time, with n_g at risk in group g (duration ≥ t), n = Σ n_g and d events,
///   E_g += n_g·d/n,   V_gh += d(n − d)/(n²(n − 1)) · (n·n_g·[g = h] − n_g·n_h),
/// the factor (n − d)/(n − 1) taken as 1 when n = 1. A weighted test (options.weighting, Klein &
/// Moeschberger §7.3, as lifelines' `weightings`) multiplies each time's O − E by w(t) and its V by w(t)²:
/// w = n (Wilcoxon), √n (Tarone–Ware), S̃(t) = Π_{s ≤ t}(1 − d/(n + 1)) (Peto), or S(t−)ᵖ(1 − S(t−))^q with S the
/// pooled (weighted) Kaplan–Meier curve just before t (Fleming–Harrington); `observed` and `expected` are then
/// the weighted sums Σ w·d_g and Σ w·n_g·d/n. The statistic uses the first k − 1 groups (V has
/// rank k − 1) and a pseudo-inverse, as lifelines' `pinv`, so a degenerate V (no events) gives 0.
/// `groups` are integer codes; `weights` (case weights) may be empty. Throws invalid_input for bad
/// values, mismatched lengths, fewer than two groups or a group whose weights sum to 0. A `workspace`
/// lends its spare sort buffers and gets them back (see survival_workspace); the result is the same to
/// the bit with or without one.
inline logrank_result logrank_test(std::span<const double> durations, std::span<const std::uint8_t> observed,
                                   std::span<const int> groups, std::span<const double> weights = {},
                                   const logrank_options& options = {}, survival_workspace* workspace = nullptr) {
  constexpr std::string_view where = "logrank_test";
  check_threads(options.n_threads, where);
  if (options.weighting == logrank_weighting::fleming_harrington &&
      !(options.p >= 0 && options.q >= 0 && std::isfinite(options.p) && std::isfinite(options.q)))
    throw invalid_input(std::string(where) + ": Fleming-Harrington needs finite p, q >= 0, got p = " +
                        detail::km::format_number(options.p) + ", q = " + detail::km::format_number(options.q));
  const std::size_t n = durations.size();
  detail::km::check_same_length(where, "groups", groups.size(), n, false);
  detail::km::check_survival_spans(where, durations, observed, {}, weights);

  logrank_result result;
  // Distinct codes: a presence table when their range is small (the usual case), else sort + unique.
  std::vector<std::uint32_t> index(n);
  if (n > 0) {
    const auto [lo_it, hi_it] = std::minmax_element(groups.begin(), groups.end());
    const std::int64_t lo = *lo_it, span = static_cast<std::int64_t>(*hi_it) - lo + 1;
    if (span <= static_cast<std::int64_t>(2 * n + 1024)) {
      std::vector<std::uint32_t> slot(static_cast<std::size_t>(span), 0);
      for (int g : groups) slot[static_cast<std::size_t>(g - lo)] = 1;
      std::uint32_t k = 0;
      for (std::size_t c = 0; c < slot.size(); ++c)
        if (slot[c]) {
          slot[c] = k++;
          result.groups.push_back(static_cast<int>(lo + static_cast<std::int64_t>(c)));
        }
      for (std::size_t i = 0; i < n; ++i) index[i] = slot[static_cast<std::size_t>(groups[i] - lo)];
    } else {
      result.groups.assign(groups.begin(), groups.end());
      std::sort(result.groups.begin(), result.groups.end());
      result.groups.erase(std::unique(result.groups.begin(), result.groups.end()), result.groups.end());
      for (std::size_t i = 0; i < n; ++i)
        index[i] = static_cast<std::uint32_t>(
            std::lower_bound(result.groups.begin(), result.groups.end(), groups[i]) - result.groups.begin());
    }
  }
  const std::size_t k = result.groups.size();
  if (k < 2)
    throw invalid_input(std::string(where) + ": needs at least two groups, found " + std::to_string(k));

  detail::km::scratch_buffer<detail::km::grouped_key> unsorted(n, workspace), sorted(n, workspace);
  std::vector<double> at_risk(k, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    unsorted.data()[i] = {detail::km::time_key(durations[i], observed[i] != 0), w, index[i]};
    at_risk[index[i]] += w;
  }
  for (std::size_t g = 0; g < k; ++g)
    if (!(at_risk[g] > 0.0))
      throw invalid_input(std::string(where) + ": group " + std::to_string(result.groups[g]) +
                          " is empty (its weights sum to 0)");
  // Records in (time, flag) order: integer times within ~2n (tenures in days) by a counting sort, others
  // by the bucket sort.
  const detail::km::grouped_key* records = sorted.data();
  if (const std::size_t span = detail::km::dense_time_span(durations, {}, n); span != 0) {
    detail::km::counting_sort_by_key(unsorted.data(), sorted.data(), n, span, options.n_threads);
  } else {
    records = detail::km::sort_records_blocks(unsorted.data(), sorted.data(), n, options.n_threads);
  }

  result.observed.assign(k, 0.0);
  result.expected.assign(k, 0.0);
  const auto m = static_cast<Eigen::Index>(k - 1);
  Eigen::MatrixXd v = Eigen::MatrixXd::Zero(m, m);
  std::vector<double> deaths(k, 0.0), removed(k, 0.0);
  std::vector<std::uint32_t> touched;
  touched.reserve(k);
  double peto_survival = 1.0, km_survival = 1.0;  // Π(1 − d/(n + 1)) and Π(1 − d/n) over the event times so far
  for (std::size_t i = 0; i < n;) {
    const std::uint64_t t = records[i].key >> 1;
    double d = 0.0;
    for (; i < n && (records[i].key >> 1) == t; ++i) {
      const auto& r = records[i];
      if (removed[r.group] == 0.0 && deaths[r.group] == 0.0) touched.push_back(r.group);
      removed[r.group] += r.weight;
      if (r.key & 1) {
        deaths[r.group] += r.weight;
        d += r.weight;
      }
    }
    double w = 1.0;
    if (d > 0.0) {
      double total = 0.0;
      for (double a : at_risk) total += a;
      switch (options.weighting) {
        case logrank_weighting::logrank: break;
        case logrank_weighting::wilcoxon: w = total; break;
        case logrank_weighting::tarone_ware: w = std::sqrt(total); break;
        case logrank_weighting::peto: w = (peto_survival *= 1.0 - d / (total + 1.0)); break;
        case logrank_weighting::fleming_harrington:
          w = std::pow(km_survival, options.p) * std::pow(1.0 - km_survival, options.q);
          break;
      }
      km_survival *= 1.0 - d / total;
      for (std::size_t g = 0; g < k; ++g) result.expected[g] += w * at_risk[g] * d / total;
      const double ratio = total == 1.0 ? 1.0 : (total - d) / (total - 1.0);
      const double factor = w * w * ratio * d / (total * total);
      for (Eigen::Index g = 0; g < m; ++g) {
        const double ng = at_risk[static_cast<std::size_t>(g)];
        for (Eigen::Index h = 0; h < m; ++h) v(g, h) -= factor * ng * at_risk[static_cast<std::size_t>(h)];
        v(g, g) += factor * total * ng;
      }
    }
    for (std::uint32_t g : touched) {
      result.observed[g] += w * deaths[g];
      at_risk[g] -= removed[g];
      deaths[g] = removed[g] = 0.0;
    }
    touched.clear();
  }

  Eigen::VectorXd diff(m);
  for (Eigen::Index g = 0; g < m; ++g)
    diff(g) = result.observed[static_cast<std::size_t>(g)] - result.expected[static_cast<std::size_t>(g)];
  const Eigen::VectorXd solved = Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd>(v).solve(diff);
  result.statistic = diff.dot(solved);
  result.df = static_cast<int>(k - 1);
  result.p_value = detail::chi2_sf(result.statistic, result.df);
  return result;
}

}  // namespace custhealth
