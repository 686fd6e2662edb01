// custhealth/detail/stats.hpp — distribution functions and interval helpers shared by the analytics.
// Boost.Math behind a policy that returns NaN instead of throwing, so undefined statistics stay NaN.
#pragma once

#include <boost/math/distributions/chi_squared.hpp>
#include <boost/math/distributions/normal.hpp>
#include <boost/math/distributions/students_t.hpp>
#include <cmath>
#include <limits>

namespace custhealth::detail {

inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

// Domain errors (df <= 0, p outside (0,1)) become NaN; overflow becomes inf.
using quiet_policy = boost::math::policies::policy<
    boost::math::policies::domain_error<boost::math::policies::ignore_error>,
    boost::math::policies::pole_error<boost::math::policies::ignore_error>,
    boost::math::policies::overflow_error<boost::math::policies::ignore_error>,
    boost::math::policies::evaluation_error<boost::math::policies::ignore_error>>;

/// Standard normal quantile Φ⁻¹(p).
inline double normal_quantile(double p) {
  if (!(p > 0.0 && p < 1.0)) return nan;
  return boost::math::quantile(boost::math::normal_distribution<double, quiet_policy>(), p);
}

/// The two-sided critical value z_{(1+c)/2} for confidence level c (1.959964 for 95 %).
inline double z_critical(double confidence) { return normal_quantile(0.5 + confidence / 2.0); }

/// Two-sided p-value of a standard-normal statistic: 2·(1 − Φ(|z|)).
inline double normal_two_sided_p(double z) {
  if (std::isnan(z)) return nan;
  return std::erfc(std::fabs(z) / std::sqrt(2.0));
}

/// The two-sided critical value of Student's t with `df` degrees of freedom.
inline double t_critical(double confidence, double df) {
  if (!(df > 0.0) || !(confidence > 0.0 && confidence < 1.0)) return nan;
  return boost::math::quantile(boost::math::students_t_distribution<double, quiet_policy>(df),
                               0.5 + confidence / 2.0);
}

/// Upper tail P(X ≥ x) of a χ² distribution with `df` degrees of freedom.
inline double chi2_sf(double x, double df) {
  if (std::isnan(x) || !(df > 0.0)) return nan;
  if (x <= 0.0) return 1.0;
  return boost::math::cdf(
      boost::math::complement(boost::math::chi_squared_distribution<double, quiet_policy>(df), x));
}

struct interval {
  double low = nan;
  double high = nan;
};

/// Wilson score interval for a binomial proportion (Wilson 1927; Agresti & Coull 1998, eq. 2):
/// (p̂ + z²/2n ± z·sqrt(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n). NaN when n = 0.
inline interval wilson(double successes, double n, double confidence) {
  if (!(n > 0.0)) return {};
  const double z = z_critical(confidence);
  const double p = successes / n;
  const double z2n = z * z / n;
  const double center = (p + z2n / 2.0) / (1.0 + z2n);
  const double half = z * std::sqrt(p * (1.0 - p) / n + z2n / (4.0 * n)) / (1.0 + z2n);
  return {center - half, center + half};
}

}  // namespace custhealth::detail
