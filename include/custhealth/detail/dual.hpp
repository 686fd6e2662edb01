// custhealth/detail/dual.hpp — forward-mode automatic differentiation: a value with its N partial
// derivatives, and the special functions the buy-till-you-die likelihoods need (log-gamma, digamma,
// trigamma).
#pragma once

#include <array>
#include <cmath>
#include <cstddef>

// Why dual numbers: each likelihood is written once, as a template on its scalar type; evaluated on
// double it is the value, on dual<N> the value and its exact gradient (no finite-difference error, no
// second hand-written derivative to keep in step with the formula). The price is N extra multiply-adds
// per operation, which for N ≤ 4 parameters is cheaper than the transcendental functions themselves.

namespace custhealth::detail {

/// ψ(x), the digamma function, for x > 0: the recurrence ψ(x) = ψ(x + 1) − 1/x up to x ≥ 10, then the
/// asymptotic series ln x − 1/(2x) − Σ B₂ₖ/(2k·x²ᵏ) to the x⁻¹⁴ term (Abramowitz & Stegun 6.3.18; the
/// first omitted term is below 4e-17 at x = 10).
inline double digamma(double x) {
  double shift = 0.0;
  while (x < 10.0) {
    shift -= 1.0 / x;
    x += 1.0;
  }
  const double x2 = 1.0 / (x * x);
  const double series =
      x2 * (1.0 / 12 - x2 * (1.0 / 120 - x2 * (1.0 / 252 - x2 * (1.0 / 240 - x2 * (1.0 / 132 - x2 * (691.0 / 32760 -
                                                                                                  x2 / 12))))));
  return shift + std::log(x) - 0.5 / x - series;
}

/// ψ'(x), the trigamma function, for x > 0 (the exact Hessians of the BG/NBD likelihoods): the recurrence
/// ψ'(x) = ψ'(x + 1) + 1/x² up to x ≥ 10, then the asymptotic series 1/x + 1/(2x²) + Σ B₂ₖ/x^{2k+1} to the
/// x⁻¹⁵ term (Abramowitz & Stegun 6.4.12; the first omitted term, 3617/(510·x¹⁷), is below 1e-16 at x = 10).
inline double trigamma(double x) {
  double shift = 0.0;
  while (x < 10.0) {
    shift += 1.0 / (x * x);
    x += 1.0;
  }
  const double inv = 1.0 / x, x2 = inv * inv;
  const double series =
      inv * x2 * (1.0 / 6 - x2 * (1.0 / 30 - x2 * (1.0 / 42 - x2 * (1.0 / 30 - x2 * (5.0 / 66 - x2 * (691.0 / 2730 -
                                                                                                   x2 * 7.0 / 6))))));
  return shift + inv + 0.5 * x2 + series;
}

/// A value and its gradient with respect to N inputs.
template <std::size_t N>
struct dual {
  double v = 0.0;
  std::array<double, N> d{};

  dual() = default;
  dual(double value) : v(value) {}  // NOLINT: a constant, derivative 0
  /// The k-th input variable: value x, derivative e_k.
  static dual variable(double x, std::size_t k) {
    dual out(x);
    out.d[k] = 1.0;
    return out;
  }
  /// f(v) with f'(v) = slope: the chain rule every function below goes through.
  dual chain(double value, double slope) const {
    dual out(value);
    for (std::size_t k = 0; k < N; ++k) out.d[k] = slope * d[k];
    return out;
  }

  dual& operator+=(const dual& o) {
    v += o.v;
    for (std::size_t k = 0; k < N; ++k) d[k] += o.d[k];
    return *this;
  }
  dual& operator-=(const dual& o) {
    v -= o.v;
    for (std::size_t k = 0; k < N; ++k) d[k] -= o.d[k];
    return *this;
  }
  dual& operator*=(const dual& o) {
    for (std::size_t k = 0; k < N; ++k) d[k] = d[k] * o.v + v * o.d[k];
    v *= o.v;
    return *this;
  }
  dual& operator/=(const dual& o) {
    const double inv = 1.0 / o.v;
    v *= inv;
    for (std::size_t k = 0; k < N; ++k) d[k] = (d[k] - v * o.d[k]) * inv;
    return *this;
  }
  friend dual operator+(dual a, const dual& b) { return a += b; }
  friend dual operator-(dual a, const dual& b) { return a -= b; }
  friend dual operator*(dual a, const dual& b) { return a *= b; }
  friend dual operator/(dual a, const dual& b) { return a /= b; }
  friend dual operator-(const dual& a) { return a.chain(-a.v, -1.0); }
  friend bool operator<(const dual& a, const dual& b) { return a.v < b.v; }
};

// The scalar functions, overloaded for double and dual so one template serves both.
inline double value_of(double x) { return x; }
template <std::size_t N>
double value_of(const dual<N>& x) {
  return x.v;
}

using std::exp;
using std::expm1;
using std::log;
using std::log1p;
using std::sqrt;

template <std::size_t N>
dual<N> log(const dual<N>& x) {
  return x.chain(std::log(x.v), 1.0 / x.v);
}
template <std::size_t N>
dual<N> log1p(const dual<N>& x) {
  return x.chain(std::log1p(x.v), 1.0 / (1.0 + x.v));
}
template <std::size_t N>
dual<N> exp(const dual<N>& x) {
  const double e = std::exp(x.v);
  return x.chain(e, e);
}
template <std::size_t N>
dual<N> expm1(const dual<N>& x) {
  return x.chain(std::expm1(x.v), std::exp(x.v));
}
/// log|Γ(x)| without std::lgamma's write to the global `signgam` (a data race when predictions run
/// on several threads): glibc's reentrant lgamma_r where there is one.
inline double lgamma(double x) {
#if defined(__GLIBC__)
  int sign = 0;
  return ::lgamma_r(x, &sign);
#else
  return std::lgamma(x);
#endif
}
template <std::size_t N>
dual<N> lgamma(const dual<N>& x) {
  return x.chain(lgamma(x.v), digamma(x.v));
}

/// log(eᵃ + eᵇ) without overflow.
template <class T>
T log_add_exp(const T& a, const T& b) {
  return value_of(a) < value_of(b) ? b + log1p(exp(a - b)) : a + log1p(exp(b - a));
}
/// log(eᵃ − eᵇ) for a > b.
template <class T>
T log_sub_exp(const T& a, const T& b) {
  return a + log(-expm1(b - a));
}
/// log B(a, b), the log of the beta function.
template <class T>
T log_beta(const T& a, const T& b) {
  return lgamma(a) + lgamma(b) - lgamma(a + b);
}

}  // namespace custhealth::detail
