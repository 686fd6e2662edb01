// src/btyd.cpp — the buy-till-you-die likelihoods (one template per model, evaluated on double or on dual
// numbers for the gradient), their maximum-likelihood fits (btyd.hpp says how) and the predictions.
#include "custhealth/btyd/btyd.hpp"
#include "custhealth/parallel.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "custhealth/detail/dual.hpp"
#include "custhealth/detail/survival_input.hpp"  // format_number
#include "custhealth/error.hpp"

namespace custhealth::btyd {
namespace {

using detail::dual;
using detail::log_add_exp;
using detail::log_beta;
using detail::log_sub_exp;
using detail::value_of;
using detail::km::format_number;

constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double inf = std::numeric_limits<double>::infinity();

constexpr std::array<std::string_view, 4> bg_names{"r", "alpha", "a", "b"};
constexpr std::array<std::string_view, 4> pareto_names{"r", "alpha", "s", "beta"};
constexpr std::array<std::string_view, 3> gg_names{"p", "q", "gamma"};
constexpr std::array<std::string_view, 4> bgbb_names{"alpha", "beta", "gamma", "delta"};
constexpr std::array<std::string_view, 2> sbg_names{"alpha", "beta"};

/// The class names users see in messages (the Python names).
std::string_view display_name(btyd_model m) {
  switch (m) {
    case btyd_model::bg_nbd: return "BetaGeo";
    case btyd_model::mbg_nbd: return "ModifiedBetaGeo";
    case btyd_model::pareto_nbd: return "ParetoNBD";
    case btyd_model::gamma_gamma: return "GammaGamma";
    case btyd_model::bg_bb: return "BetaGeoBetaBinom";
    case btyd_model::sbg: return "ShiftedBetaGeo";
  }
  return "?";
}

[[noreturn]] void fail(btyd_model m, const std::string& what) {
  throw invalid_input(std::string(display_name(m)) + ": " + what);
}

/// Which models measure time continuously (and are fitted on time / max T, as lifetimes does).
bool continuous_time(btyd_model m) {
  return m == btyd_model::bg_nbd || m == btyd_model::mbg_nbd || m == btyd_model::pareto_nbd;
}
/// The positions of the parameters that carry a time unit (rates' scale parameters).
bool is_time_parameter(btyd_model m, std::size_t k) {
  return continuous_time(m) && (k == 1 || (m == btyd_model::pareto_nbd && k == 3));
}

// ---- ₂F₁ --------------------------------------------------------------------------------------------

constexpr int max_series_terms = 1'000'000;

/// Whether the Gauss series may stop after term k (k ≥ 1): the ratio of consecutive terms tends to z, so the
/// tail after it is at most |term|·ρ/(1 − ρ) with ρ = max(current ratio, z) once the ratios no longer rise
/// above that — not before k = 2, since a tiny upper parameter makes the first ratio tiny whatever follows
/// (₂F₁(1e-9, 2; 3; ½) stopped after one term read 20 % low).
inline bool series_done(int k, double ratio, double z, double term, double sum) {
  const double rho = std::max(std::fabs(ratio), std::fabs(z));
  return k >= 2 && rho < 1.0 && std::fabs(term) * rho <= 1e-17 * (1.0 - rho) * std::fabs(sum);
}

/// log |Σₖ (a)ₖ(b)ₖ/((c)ₖ k!) zᵏ|, the Gauss series, for any scalar type; its sign into `sign` when given
/// (c < 0 can make the sum negative; without `sign` a negative sum is NaN). The terms after the first are
/// summed apart and the result is log1p of them, so a sum near 1 keeps its relative precision.
template <class S>
S log_gauss_series(const S& a, const S& b, const S& c, const S& z, double* sign = nullptr) {
  S rest = 0.0, term = 1.0;
  for (int k = 0; k < max_series_terms; ++k) {
    const double kk = k;
    const S ratio = (a + kk) * (b + kk) / ((c + kk) * (kk + 1.0)) * z;
    term *= ratio;
    rest += term;
    const double scale = std::min(std::fabs(value_of(rest)), std::fabs(1.0 + value_of(rest)));
    if (series_done(k + 1, value_of(ratio), value_of(z), value_of(term), scale)) {
      const bool negative = 1.0 + value_of(rest) < 0;
      if (sign) *sign = negative ? -1.0 : 1.0;
      if (negative) return sign ? detail::log(-(rest + 1.0)) : S(nan);
      return detail::log1p(rest);
    }
  }
  return S(nan);
}

template <class S>
S log_hyp2f1_t(const S& a, const S& b, const S& c, const S& z, double* sign = nullptr) {
  // At z = 0 the value is 0 and the slope ab/c (the first term): returned as such, so a dual z keeps its
  // derivative (Pareto/NBD's A₀ at α = β, where the default start puts the fit).
  if (sign) *sign = 1.0;
  if (value_of(z) == 0.0) return a * b / c * z;
  const S ca = c - a, cb = c - b;
  // Euler: ₂F₁(a, b; c; z) = (1 − z)^{c−a−b} ₂F₁(c − a, c − b; c; z). For the BTYD arguments one of the two
  // has small upper parameters (e.g. BG/NBD's c − a = a + b − 1 − r whatever x), so its terms fall fast.
  if (std::fabs(value_of(ca) * value_of(cb)) < std::fabs(value_of(a) * value_of(b)))
    return (c - a - b) * detail::log1p(-z) + log_gauss_series(ca, cb, c, z, sign);
  return log_gauss_series(a, b, c, z, sign);
}

/// 1 − ₂F₁(a, b; c; z)·e^{log_u}, the bracket of the BG/NBD and MBG/NBD expectations: −expm1 of the logarithm
/// when ₂F₁ > 0 (accurate when the product is near 1), 1 + |₂F₁|·e^{log_u} when it is negative (c < 0: BG/NBD
/// with a + b < 1, where the log alone was NaN).
double one_minus_hyp2f1_times(double a, double b, double c, double z, double log_u) {
  double sign = 1.0;
  const double lh = log_hyp2f1_t(a, b, c, z, &sign);
  return sign > 0 ? -std::expm1(lh + log_u) : 1.0 + std::exp(lh + log_u);
}

/// The Gauss series of one ₂F₁(a, b; c; z) as coefficients (a)ₖ(b)ₖ/((c)ₖ k!), on Euler's transform when
/// log_hyp2f1_t would take it (the choice depends on a, b, c only), with as many terms as log_gauss_series
/// takes at z_max — enough for every z ≤ z_max, whose terms are smaller. ok = false when that does not
/// converge (the caller then evaluates log_hyp2f1_t). at(z) sums the polynomial on four independent Horner
/// chains in z⁴ (its latency, not the divisions, bounds the per-row series).
struct series_table {
  std::vector<double> coef;  // padded with zeros to a multiple of 4
  double euler_power = 0.0;  // c − a − b on Euler's transform: log ₂F₁ = euler_power·log(1 − z) + log Σ
  bool ok = false;
  double at(double z) const {
    const double z2 = z * z, z4 = z2 * z2;
    double p0 = 0.0, p1 = 0.0, p2 = 0.0, p3 = 0.0;
    for (std::size_t j = coef.size(); j >= 4; j -= 4) {
      p0 = p0 * z4 + coef[j - 4];
      p1 = p1 * z4 + coef[j - 3];
      p2 = p2 * z4 + coef[j - 2];
      p3 = p3 * z4 + coef[j - 1];
    }
    return p0 + z * (p1 + z * (p2 + z * p3));
  }
};

series_table make_series_table(double a, double b, double c, double z_max) {
  series_table st;
  if (std::fabs((c - a) * (c - b)) < std::fabs(a * b)) {
    st.euler_power = c - a - b;
    const double ca = c - a, cb = c - b;
    a = ca;
    b = cb;
  }
  double coef = 1.0, term = 1.0, sum = 1.0;
  st.coef.push_back(1.0);
  for (int k = 0; k < max_series_terms && !st.ok; ++k) {
    const double kk = k;
    const double q = (a + kk) * (b + kk) / ((c + kk) * (kk + 1.0));
    coef *= q;
    st.coef.push_back(coef);
    const double ratio = q * z_max;
    term *= ratio;
    sum += term;
    st.ok = series_done(k + 1, ratio, z_max, term, sum);
  }
  while (st.coef.size() % 4 != 0) st.coef.push_back(0.0);
  return st;
}

// ---- the rows on the fitted scale --------------------------------------------------------------------

/// The rows as the likelihoods read them: times multiplied by `scale`, every frequency as an index into the
/// distinct frequencies (terms that depend on x alone — the log-gamma ones — are computed once per distinct x).
struct prepared {
  std::vector<double> xs;             // distinct frequencies, ascending
  std::vector<std::uint32_t> xi;      // row → index into xs
  std::vector<double> rec, T, logm, mon, w;
  double weight_sum = 0.0, scale = 1.0;
  std::size_t rows = 0;
};

/// The distinct frequencies (ascending) and each row's index into them. Frequencies are whole numbers ≥ 0
/// (validate), so up to a bound a table indexed by x replaces the sort and the binary searches.
void index_frequencies(std::span<const double> frequency, prepared& d) {
  const std::size_t n = frequency.size();
  d.xi.resize(n);
  const double max_x = n > 0 ? *std::max_element(frequency.begin(), frequency.end()) : 0.0;
  constexpr double table_limit = 1 << 20;
  if (max_x <= table_limit && max_x <= 4.0 * static_cast<double>(n) + 64) {
    std::vector<std::uint32_t> slot(static_cast<std::size_t>(max_x) + 1, 0);
    for (double x : frequency) slot[static_cast<std::size_t>(x)] = 1;
    std::uint32_t next = 0;
    for (std::size_t v = 0; v < slot.size(); ++v)
      if (slot[v]) {
        slot[v] = next++;
        d.xs.push_back(static_cast<double>(v));
      }
    for (std::size_t i = 0; i < n; ++i) d.xi[i] = slot[static_cast<std::size_t>(frequency[i])];
    return;
  }
  d.xs.assign(frequency.begin(), frequency.end());
  std::sort(d.xs.begin(), d.xs.end());
  d.xs.erase(std::unique(d.xs.begin(), d.xs.end()), d.xs.end());
  for (std::size_t i = 0; i < n; ++i)
    d.xi[i] = static_cast<std::uint32_t>(std::lower_bound(d.xs.begin(), d.xs.end(), frequency[i]) - d.xs.begin());
}

/// One row's history as compress() sorts and merges them.
struct history {
  std::uint32_t xi;
  double a, b, w;  // (recency, T) or (monetary, log monetary)
  bool operator<(const history& o) const { return xi != o.xi ? xi < o.xi : a != o.a ? a < o.a : b < o.b; }
  bool same(const history& o) const { return xi == o.xi && a == o.a && b == o.b; }
};

/// Whether merging equal histories is worth its sort: always for up to 2¹⁶ rows; above, from the equal pairs
/// among every stride-th of 4,096 rows. With m sampled of n rows whose histories repeat c times each, the sample
/// holds ≈ m²c/(2n) equal pairs; merging pays when c ≥ 1.5 (a sort costs a few likelihood passes). Continuous
/// times (the benchmark's simulated customers) have none; whole periods (rfm_summary's weeks) have many.
bool worth_compressing(const std::vector<history>& h) {
  const std::size_t n = h.size(), m = 4096;
  if (n <= (1u << 16)) return true;
  std::vector<history> sample;
  sample.reserve(m + 1);
  for (std::size_t i = 0; i < n; i += n / m) sample.push_back(h[i]);
  std::sort(sample.begin(), sample.end());
  double pairs = 0.0, run = 1.0;
  for (std::size_t i = 1; i <= sample.size(); ++i) {
    if (i < sample.size() && sample[i].same(sample[i - 1])) {
      run += 1.0;
      continue;
    }
    pairs += run * (run - 1.0) / 2.0;
    run = 1.0;
  }
  const double ms = static_cast<double>(sample.size());
  return 2.0 * static_cast<double>(n) * pairs / (ms * ms) >= 1.5;
}

/// With `compress`, rows with the same history are merged into one with their summed weight (each distinct
/// history is evaluated once: CDNOW's 1,411 customers without repeat purchases have 84 distinct T), sorted by
/// frequency, then recency and T (Gamma-Gamma: monetary value).
prepared prepare(btyd_model m, const customers& c, double scale, bool compress = false) {
  prepared d;
  d.rows = c.frequency.size();
  d.scale = scale;
  index_frequencies(c.frequency, d);
  const bool gg = m == btyd_model::gamma_gamma;
  if (gg) {
    d.mon.assign(c.monetary.begin(), c.monetary.end());
    d.logm.resize(d.rows);
    for (std::size_t i = 0; i < d.rows; ++i) d.logm[i] = std::log(d.mon[i]);
  } else {
    d.rec.resize(d.rows);
    d.T.resize(d.rows);
    for (std::size_t i = 0; i < d.rows; ++i) {
      d.rec[i] = c.recency[i] * scale;
      d.T[i] = c.T[i] * scale;
    }
  }
  d.w.assign(d.rows, 1.0);
  if (!c.weights.empty()) d.w.assign(c.weights.begin(), c.weights.end());
  d.weight_sum = std::accumulate(d.w.begin(), d.w.end(), 0.0);
  if (!compress || d.rows <= 1) return d;
  std::vector<history> h(d.rows);
  for (std::size_t i = 0; i < d.rows; ++i)
    h[i] = gg ? history{d.xi[i], d.mon[i], d.logm[i], d.w[i]} : history{d.xi[i], d.rec[i], d.T[i], d.w[i]};
  if (!worth_compressing(h)) return d;
  std::sort(h.begin(), h.end());
  prepared out;
  out.xs = std::move(d.xs);
  out.scale = scale;
  out.weight_sum = d.weight_sum;
  for (std::size_t i = 0; i < h.size(); ++i) {
    if (i > 0 && h[i].same(h[i - 1])) {
      out.w.back() += h[i].w;
      continue;
    }
    out.xi.push_back(h[i].xi);
    out.w.push_back(h[i].w);
    (gg ? out.mon : out.rec).push_back(h[i].a);
    (gg ? out.logm : out.T).push_back(h[i].b);
    ++out.rows;
  }
  return out;
}

// ---- the likelihoods: Σ wᵢ·ℓᵢ, and ℓᵢ into `out` when given ------------------------------------------

/// BG/NBD, Fader, Hardie & Lee (2005) eq. (6), in the log-sum form of Hardie's note 004 §7:
///   ℓ = A₁ + A₂ + log(e^{A₃} + [x > 0]·e^{A₄}),  A₁ = log Γ(r+x) − log Γ(r) + r log α,
///   A₂ = log Γ(a+b) + log Γ(b+x) − log Γ(b) − log Γ(a+b+x),  A₃ = −(r+x) log(α+T),
///   A₄ = log a − log(b+x−1) − (r+x) log(α+tₓ).
/// MBG/NBD (Batislam et al. 2007): A₂ with b+x+1 and a+b+x+1, and ℓ = A₁ + A₂ + A₃ + log(1 + e^{A₄'}),
///   A₄' = log a − log(b+x) + (r+x)(log(α+T) − log(α+tₓ)) (the customer may also leave at time 0).
template <class S>
S ll_bg(const S* p, const prepared& d, bool modified, double* out) {
  const S &r = p[0], &alpha = p[1], &a = p[2], &b = p[3];
  const std::size_t nx = d.xs.size();
  std::vector<S> c1(nx), c2(nx);
  const S base = r * detail::log(alpha) - detail::lgamma(r) + detail::lgamma(a + b) - detail::lgamma(b);
  const double shift = modified ? 1.0 : 0.0;
  for (std::size_t k = 0; k < nx; ++k) {
    const double x = d.xs[k];
    c1[k] = base + detail::lgamma(r + x) + detail::lgamma(b + (x + shift)) - detail::lgamma(a + b + (x + shift));
    if (modified)
      c2[k] = detail::log(a) - detail::log(b + x);
    else if (x > 0)
      c2[k] = detail::log(a) - detail::log(b + (x - 1.0));
  }
  S total = 0.0;
  for (std::size_t i = 0; i < d.rows; ++i) {
    const std::uint32_t k = d.xi[i];
    const double x = d.xs[k];
    const S rx = r + x;
    const S a3 = -rx * detail::log(alpha + d.T[i]);
    S li;
    if (modified)
      li = c1[k] + a3 + log_add_exp(c2[k] + rx * (detail::log(alpha + d.T[i]) - detail::log(alpha + d.rec[i])), S(0.0));
    else
      li = x > 0 ? c1[k] + log_add_exp(a3, c2[k] - rx * detail::log(alpha + d.rec[i])) : c1[k] + a3;
    if (out) out[i] = value_of(li);
    total += li * d.w[i];
  }
  return total;
}

/// Σ wᵢ·ℓᵢ of BG/NBD or MBG/NBD (ll_bg's likelihood) with its exact gradient and Hessian in the natural
/// parameters p = (r, α, a, b), for Newton's method. Hand-derived from the same formula: each row is
/// ℓ = c₁(x) + log(e^{A₃} + e^{A₄}) (BG/NBD's x = 0 rows: c₁ + A₃), with A₃ = −(r+x)·log(α+T) and
/// A₄ = c₂(x) − (r+x)·log(α+tₓ), c₂ = log a − log(b+x−1) (MBG/NBD: log a − log(b+x), every row, tₓ = 0 at x = 0 —
/// ll_bg's A₃ + log(1 + e^{A₄'}) rewritten). With π = σ(A₄ − A₃) and u = ∇A₄ − ∇A₃,
///   ∇ℓ = ∇c₁ + ∇A₃ + π·u,   ∇²ℓ = ∇²c₁ + (1 − π)·∇²A₃ + π·∇²A₄ + π(1 − π)·u·uᵀ,
/// where c₁ (the log-gamma terms, ll_bg's c1) needs ψ and ψ' once per distinct x, and u's a- and b-entries
/// (1/a and −1/(b+x−1)) depend on x alone, so the rows only accumulate per-x sums of w·π and w·π(1−π)·(1, u_r,
/// u_α). Checked against central differences of the dual-number gradient in tests/cpp/test_btyd.cpp.
struct bg_derivatives {
  double value = 0.0;
  std::array<double, 4> g{};
  Eigen::Matrix4d H = Eigen::Matrix4d::Zero();
};

bg_derivatives bg_value_gradient_hessian(const double* p, const prepared& d, bool modified) {
  const double r = p[0], alpha = p[1], a = p[2], b = p[3];
  const std::size_t nx = d.xs.size();
  // Per distinct x: Σw, Σw·π, Σq, Σq·u_r, Σq·u_α with q = w·π(1−π).
  std::vector<double> W(nx, 0.0), P(nx, 0.0), Q(nx, 0.0), Qr(nx, 0.0), Qa(nx, 0.0), c2(nx, 0.0);
  const double log_a = std::log(a), log_alpha = std::log(alpha);
  for (std::size_t k = 0; k < nx; ++k) {
    const double bb = b + d.xs[k] - (modified ? 0.0 : 1.0);
    if (modified || d.xs[k] > 0) c2[k] = log_a - std::log(bb);
  }
  double value = 0.0, gr = 0.0, gal = 0.0, hrr = 0.0, hral = 0.0, halal = 0.0;
  for (std::size_t i = 0; i < d.rows; ++i) {
    const std::uint32_t k = d.xi[i];
    const double x = d.xs[k], w = d.w[i], rx = r + x;
    const double iT = 1.0 / (alpha + d.T[i]), LT = std::log(alpha + d.T[i]);
    W[k] += w;
    if (!modified && x == 0) {  // ℓ − c₁ = A₃ = −r·log(α+T)
      value -= w * r * LT;
      gr -= w * LT;
      gal -= w * r * iT;
      hral -= w * iT;
      halal += w * r * iT * iT;
      continue;
    }
    const double it = 1.0 / (alpha + d.rec[i]);
    const double Lt = d.rec[i] > 0 ? std::log(alpha + d.rec[i]) : log_alpha;
    const double a3 = -rx * LT, a4 = c2[k] - rx * Lt, delta = a4 - a3;
    const double e = std::exp(-std::fabs(delta));
    const double pi = delta > 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    const double ur = LT - Lt, ual = rx * (iT - it);
    const double q = w * pi * (1.0 - pi);
    value += w * (std::max(a3, a4) + std::log1p(e));
    gr += w * (-LT + pi * ur);
    gal += w * (-rx * iT + pi * ual);
    hrr += q * ur * ur;
    hral += w * (-iT + pi * (iT - it)) + q * ur * ual;
    halal += w * rx * (iT * iT + pi * (it * it - iT * iT)) + q * ual * ual;
    P[k] += w * pi;
    Q[k] += q;
    Qr[k] += q * ur;
    Qa[k] += q * ual;
  }
  bg_derivatives out;
  Eigen::Matrix4d& H = out.H;
  double ga = 0.0, gb = 0.0;
  // The row terms' a and b entries: u_a = 1/a, u_b = −1/(b+x−1) (MBG/NBD −1/(b+x)); ∇²A₄ has −1/a² and
  // 1/(b+x−1)² there, ∇²A₃ nothing.
  for (std::size_t k = 0; k < nx; ++k) {
    if (!(modified || d.xs[k] > 0)) continue;
    const double ub = -1.0 / (b + d.xs[k] - (modified ? 0.0 : 1.0)), ua = 1.0 / a;
    ga += P[k] * ua;
    gb += P[k] * ub;
    H(0, 2) += Qr[k] * ua;
    H(0, 3) += Qr[k] * ub;
    H(1, 2) += Qa[k] * ua;
    H(1, 3) += Qa[k] * ub;
    H(2, 2) += (Q[k] - P[k]) * ua * ua;
    H(2, 3) += Q[k] * ua * ub;
    H(3, 3) += (P[k] + Q[k]) * ub * ub;
  }
  // c₁(x) = r·log α − log Γ(r) + log Γ(a+b) − log Γ(b) + log Γ(r+x) + log Γ(b+x+s) − log Γ(a+b+x+s), s = [MBG].
  const double s = modified ? 1.0 : 0.0;
  const double psi_r = detail::digamma(r), psi_ab = detail::digamma(a + b), psi_b = detail::digamma(b);
  const double tri_r = detail::trigamma(r), tri_ab = detail::trigamma(a + b), tri_b = detail::trigamma(b);
  const double base = r * log_alpha - detail::lgamma(r) + detail::lgamma(a + b) - detail::lgamma(b);
  for (std::size_t k = 0; k < nx; ++k) {
    if (W[k] == 0) continue;
    const double x = d.xs[k], Wk = W[k];
    value += Wk * (base + detail::lgamma(r + x) + detail::lgamma(b + x + s) - detail::lgamma(a + b + x + s));
    const double psi_abx = detail::digamma(a + b + x + s), tri_abx = detail::trigamma(a + b + x + s);
    gr += Wk * (log_alpha - psi_r + detail::digamma(r + x));
    gal += Wk * r / alpha;
    ga += Wk * (psi_ab - psi_abx);
    gb += Wk * (psi_ab - psi_b + detail::digamma(b + x + s) - psi_abx);
    hrr += Wk * (detail::trigamma(r + x) - tri_r);
    hral += Wk / alpha;
    halal -= Wk * r / (alpha * alpha);
    H(2, 2) += Wk * (tri_ab - tri_abx);
    H(2, 3) += Wk * (tri_ab - tri_abx);
    H(3, 3) += Wk * (tri_ab - tri_b + detail::trigamma(b + x + s) - tri_abx);
  }
  H(0, 0) += hrr;
  H(0, 1) += hral;
  H(1, 1) += halal;
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < i; ++j) H(i, j) = H(j, i);
  out.value = value;
  out.g = {gr, gal, ga, gb};
  return out;
}

/// Pareto/NBD, Fader & Hardie's note 008 eq. (22)–(24) (lifetimes' form):
///   ℓ = log Γ(r+x) − log Γ(r) + r log α + s log β
///       + log( (α+T)^{−(r+x)} (β+T)^{−s} + s/(r+s+x)·A₀ ),
///   A₀ = ₂F₁(r+s+x, t; r+s+x+1; |α−β|/(m+tₓ)) / (m+tₓ)^{r+s+x} − the same at T,
/// with m = max(α, β) and t = r+x if α < β, else s+1. A₀ = 0 when tₓ = T.
template <class S>
S log_pareto_a0(const S& r, const S& alpha, const S& s, const S& beta, double x, double tx, double T) {
  const bool alpha_smaller = value_of(alpha) < value_of(beta);
  const S& mx = alpha_smaller ? beta : alpha;
  const S diff = alpha_smaller ? beta - alpha : alpha - beta;
  const S t = alpha_smaller ? r + x : s + 1.0;
  const S rsx = r + s + x;
  const S q1 = mx + tx, q2 = mx + T;
  const S l1 = log_hyp2f1_t(rsx, t, rsx + 1.0, diff / q1) - rsx * detail::log(q1);
  const S l2 = log_hyp2f1_t(rsx, t, rsx + 1.0, diff / q2) - rsx * detail::log(q2);
  // tₓ within rounding of T: the two terms cancel to 0 (log_sub_exp would give −inf with a NaN slope).
  if (!(value_of(l1) > value_of(l2))) return S(-inf);
  return log_sub_exp(l1, l2);
}

template <class S>
S ll_pareto(const S* p, const prepared& d, double* out) {
  const S &r = p[0], &alpha = p[1], &s = p[2], &beta = p[3];
  const std::size_t nx = d.xs.size();
  std::vector<S> c1(nx);
  const S base = r * detail::log(alpha) + s * detail::log(beta) - detail::lgamma(r);
  for (std::size_t k = 0; k < nx; ++k) c1[k] = base + detail::lgamma(r + d.xs[k]);
  const S log_s = detail::log(s);
  S total = 0.0;
  for (std::size_t i = 0; i < d.rows; ++i) {
    const double x = d.xs[d.xi[i]];
    const S rx = r + x;
    const S first = -rx * detail::log(alpha + d.T[i]) - s * detail::log(beta + d.T[i]);
    S li = c1[d.xi[i]] + first;
    if (d.rec[i] < d.T[i])
      li = c1[d.xi[i]] + log_add_exp(first, log_s - detail::log(rx + s) +
                                                log_pareto_a0(r, alpha, s, beta, x, d.rec[i], d.T[i]));
    if (out) out[i] = value_of(li);
    total += li * d.w[i];
  }
  return total;
}

/// Gamma-Gamma, Fader, Hardie & Lee (2005, JMR) / Hardie's note 025: the mean m̄ of x transactions,
///   ℓ = log Γ(px+q) − log Γ(px) − log Γ(q) + q log γ + (px−1) log m̄ + px log x − (px+q) log(x m̄ + γ).
template <class S>
S ll_gamma_gamma(const S* p, const prepared& d, double* out) {
  const S &pp = p[0], &q = p[1], &g = p[2];
  const std::size_t nx = d.xs.size();
  std::vector<S> c1(nx);
  const S base = q * detail::log(g) - detail::lgamma(q);
  for (std::size_t k = 0; k < nx; ++k) {
    const double x = d.xs[k];
    const S px = pp * x;
    c1[k] = base + detail::lgamma(px + q) - detail::lgamma(px) + px * std::log(x);
  }
  S total = 0.0;
  for (std::size_t i = 0; i < d.rows; ++i) {
    const double x = d.xs[d.xi[i]];
    const S px = pp * x;
    const S li = c1[d.xi[i]] + (px - 1.0) * d.logm[i] - (px + q) * detail::log(g + x * d.mon[i]);
    if (out) out[i] = value_of(li);
    total += li * d.w[i];
  }
  return total;
}

/// BG/BB, Fader, Hardie & Shang (2010) eq. (5):
///   L = B(α+x, β+n−x)/B(α,β) · B(γ, δ+n)/B(γ,δ)
///       + Σ_{i=0}^{n−tₓ−1} B(α+x, β+tₓ−x+i)/B(α,β) · B(γ+1, δ+tₓ+i)/B(γ,δ).
template <class S>
S ll_bgbb_row(const S* p, double x, double tx, double n) {
  const S &al = p[0], &be = p[1], &ga = p[2], &de = p[3];
  const S norm = log_beta(al, be) + log_beta(ga, de);
  const S alive = log_beta(al + x, be + (n - x)) + log_beta(ga, de + n) - norm;
  if (!(tx < n)) return alive;
  // The sum's terms by their ratio, B(a, b + 1) = B(a, b)·b/(a + b): two multiplications a term instead of
  // four log-gamma calls. The ratios are below 1, so the terms fall and the rest of the sum is at most the
  // current term times the terms left: it stops when that is below 1e-17 of the sum.
  const S first = log_beta(al + x, be + (tx - x)) + log_beta(ga + 1.0, de + tx) - norm;
  S sum = 1.0, term = 1.0;
  const double terms = n - tx;
  for (double i = 0; i + 1 < terms; ++i) {
    term *= (be + (tx - x + i)) / (al + be + (tx + i)) * ((de + (tx + i)) / (ga + de + (1.0 + tx + i)));
    sum += term;
    if (value_of(term) * (terms - i - 2) <= 1e-17 * value_of(sum)) break;
  }
  return log_add_exp(alive, first + detail::log(sum));
}

template <class S>
S ll_bgbb(const S* p, const prepared& d, double* out) {
  S total = 0.0;
  for (std::size_t i = 0; i < d.rows; ++i) {
    const S li = ll_bgbb_row(p, d.xs[d.xi[i]], d.rec[i], d.T[i]);
    if (out) out[i] = value_of(li);
    total += li * d.w[i];
  }
  return total;
}

/// sBG, Fader & Hardie (2007) eq. (3)–(5): a customer churned at period t has P(T = t) = B(α+1, β+t−1)/B(α,β),
/// one still active after t periods S(t) = B(α, β+t)/B(α,β). Rows: T = t, frequency = 1 for still active.
template <class S>
S ll_sbg(const S* p, const prepared& d, double* out) {
  const S &al = p[0], &be = p[1];
  const S norm = log_beta(al, be);
  S total = 0.0;
  for (std::size_t i = 0; i < d.rows; ++i) {
    const double t = d.T[i];
    const S li = (d.xs[d.xi[i]] > 0 ? log_beta(al, be + t) : log_beta(al + 1.0, be + (t - 1.0))) - norm;
    if (out) out[i] = value_of(li);
    total += li * d.w[i];
  }
  return total;
}

template <class S>
S sum_ll(btyd_model m, const S* p, const prepared& d, double* out = nullptr) {
  switch (m) {
    case btyd_model::bg_nbd: return ll_bg(p, d, false, out);
    case btyd_model::mbg_nbd: return ll_bg(p, d, true, out);
    case btyd_model::pareto_nbd: return ll_pareto(p, d, out);
    case btyd_model::gamma_gamma: return ll_gamma_gamma(p, d, out);
    case btyd_model::bg_bb: return ll_bgbb(p, d, out);
    case btyd_model::sbg: return ll_sbg(p, d, out);
  }
  return S(nan);
}

// ---- validation -------------------------------------------------------------------------------------

bool whole(double v) { return std::isfinite(v) && v == std::floor(v); }

/// Whether every row passes validate()'s rules, in one pass without branches or library calls, so that it
/// vectorises (std::floor is a call on baseline x86-64): v ≥ 0 is whole iff v ≥ 2⁵² or (v + 2⁵²) − 2⁵² = v,
/// adding 2⁵² rounding away any fraction (IEEE round-to-nearest, the default; no -ffast-math here). validate()
/// runs its row-by-row checks, which name the first bad row, only when this says no.
bool all_rows_valid(btyd_model m, const customers& c) {
  constexpr double two52 = 4503599627370496.0, big = std::numeric_limits<double>::max();
  const auto is_whole = [](double v) { return (v >= two52) | ((v + two52) - two52 == v); };
  const std::size_t n = c.frequency.size();
  bool ok = true;
  if (m == btyd_model::gamma_gamma) {
    for (std::size_t i = 0; i < n; ++i) {
      const double x = c.frequency[i], v = c.monetary[i];
      ok &= (x > 0) & (x <= big) & is_whole(x) & (v > 0) & (v <= big);
    }
  } else {
    const bool discrete = m == btyd_model::bg_bb;
    for (std::size_t i = 0; i < n; ++i) {
      const double x = c.frequency[i], tx = c.recency[i], T = c.T[i];
      ok &= (x >= 0) & (x <= big) & is_whole(x) & (tx >= 0) & (tx <= T) & (T <= big) & ((x == 0) == (tx == 0));
      if (discrete) ok &= is_whole(tx) & is_whole(T) & (x <= tx);
    }
  }
  for (double w : c.weights) ok &= (w >= 0) & (w <= big);
  return ok;
}

std::string at(std::string_view column, std::size_t i) { return std::string(column) + "[" + std::to_string(i) + "]: "; }

}  // namespace

void check_parameters(btyd_model m, std::span<const double> params) {
  const auto names = parameter_names(m);
  if (params.size() != names.size())
    fail(m, std::to_string(names.size()) + " parameters expected, got " + std::to_string(params.size()));
  for (std::size_t k = 0; k < params.size(); ++k)
    if (!(params[k] > 0.0 && std::isfinite(params[k])))
      fail(m, "parameter " + std::string(names[k]) + " must be finite and > 0, got " + format_number(params[k]));
}

namespace {

// ---- the optimiser ----------------------------------------------------------------------------------

/// The objective on log parameters θ (fitted scale): f(θ) = −Σwℓ(e^θ)/Σw + pen·Σ e^{2θ}.
template <std::size_t K>
struct objective {
  btyd_model m;
  const prepared& d;
  double pen;

  // The parameter arrays have room for 4 whatever K, so that the switch in sum_ll, which instantiates every
  // model's likelihood, never indexes past them (the unused entries are never read at run time).
  double value(const std::array<double, K>& th) const {
    std::array<double, 4> p{};
    double penalty = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
      p[k] = std::exp(th[k]);
      penalty += p[k] * p[k];
    }
    const double f = -sum_ll(m, p.data(), d) / d.weight_sum + pen * penalty;
    return std::isfinite(f) ? f : inf;
  }
  double value_gradient(const std::array<double, K>& th, std::array<double, K>& g) const {
    std::array<dual<K>, 4> p;
    dual<K> penalty = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
      p[k] = detail::exp(dual<K>::variable(th[k], k));
      penalty += p[k] * p[k];
    }
    const dual<K> f = -sum_ll(m, p.data(), d) / d.weight_sum + pen * penalty;
    g = f.d;
    return std::isfinite(f.v) ? f.v : inf;
  }
  /// Whether value_gradient_hessian is available (BG/NBD and MBG/NBD: bg_value_gradient_hessian).
  bool exact_hessian() const { return K == 4 && (m == btyd_model::bg_nbd || m == btyd_model::mbg_nbd); }
  /// The value, gradient and exact Hessian on the log scale from those in p = e^θ (chain rule:
  /// ∂f/∂θₖ = pₖ·∂f/∂pₖ, ∂²f/∂θⱼ∂θₖ = pⱼpₖ·∂²f/∂pⱼ∂pₖ + [j = k]·pₖ·∂f/∂pₖ).
  double value_gradient_hessian(const std::array<double, K>& th, std::array<double, K>& g,
                                Eigen::Matrix<double, K, K>& H) const {
    std::array<double, 4> p{};
    for (std::size_t k = 0; k < K; ++k) p[k] = std::exp(th[k]);
    const bg_derivatives t = bg_value_gradient_hessian(p.data(), d, m == btyd_model::mbg_nbd);
    double penalty = 0.0;
    for (std::size_t k = 0; k < K; ++k) {
      penalty += p[k] * p[k];
      g[k] = p[k] * (-t.g[k] / d.weight_sum + 2 * pen * p[k]);
    }
    for (std::size_t i = 0; i < K; ++i)
      for (std::size_t j = 0; j < K; ++j) {
        const auto ii = static_cast<Eigen::Index>(i), jj = static_cast<Eigen::Index>(j);
        H(ii, jj) = p[i] * p[j] * (-t.H(ii, jj) / d.weight_sum + (i == j ? 2 * pen : 0.0)) + (i == j ? g[i] : 0.0);
      }
    const double f = -t.value / d.weight_sum + pen * penalty;
    return std::isfinite(f) ? f : inf;
  }
  /// Central differences of the exact gradient (step 1e-4 on the log scale: truncation error ~1e-9 relative).
  Eigen::Matrix<double, K, K> hessian(const std::array<double, K>& th) const {
    constexpr double h = 1e-4;
    Eigen::Matrix<double, K, K> H;
    for (std::size_t i = 0; i < K; ++i) {
      auto up = th, down = th;
      up[i] += h;
      down[i] -= h;
      std::array<double, K> gu{}, gd{};
      value_gradient(up, gu);
      value_gradient(down, gd);
      for (std::size_t j = 0; j < K; ++j)
        H(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = (gu[j] - gd[j]) / (2 * h);
    }
    return (H + H.transpose()) / 2;
  }
};

template <std::size_t K>
double max_abs(const std::array<double, K>& g) {
  double out = 0.0;
  for (double v : g) {
    if (!std::isfinite(v)) return inf;  // a NaN gradient is no gradient of 0 (std::max would drop it)
    out = std::max(out, std::fabs(v));
  }
  return out;
}

struct minimum {
  std::vector<double> theta, covariance_log;  // covariance_log: H⁻¹ on the log scale, K × K
  double f = 0.0, gradient_norm = 0.0;
  int iterations = 0;
  fit_status status = fit_status::converged;
};

/// The result at x: H⁻¹ as the covariance on the log scale when H is positive definite, else NaN.
template <std::size_t K>
void finish(minimum& out, const std::array<double, K>& x, double f, const std::array<double, K>& g,
            const Eigen::Matrix<double, K, K>& H, int iterations) {
  using mat = Eigen::Matrix<double, K, K>;
  out.theta.assign(x.begin(), x.end());
  out.f = f;
  out.gradient_norm = max_abs(g);
  out.iterations = iterations;
  out.covariance_log.assign(K * K, nan);
  Eigen::LDLT<mat> ldlt(H);
  // A vanishing gradient where H is not positive definite is no proper maximum (a flat one, or one at the
  // boundary: a parameter running off to 0 or infinity), so it is not reported as convergence.
  const bool proper = ldlt.info() == Eigen::Success && ldlt.vectorD().minCoeff() > 0;
  if (!proper && out.status == fit_status::converged) out.status = fit_status::singular_hessian;
  if (proper) {
    const mat inv = ldlt.solve(mat::Identity());
    for (std::size_t i = 0; i < K; ++i)
      for (std::size_t j = 0; j < K; ++j)
        out.covariance_log[i * K + j] = inv(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j));
  }
}

template <std::size_t K>
minimum minimise(const objective<K>& obj, std::array<double, K> x, const fit_options& o) {
  using vec = Eigen::Matrix<double, K, 1>;
  using mat = Eigen::Matrix<double, K, K>;
  const auto to_vec = [](const std::array<double, K>& a) { return vec(Eigen::Map<const vec>(a.data())); };
  std::array<double, K> g{};
  double f = obj.value_gradient(x, g);
  if (!std::isfinite(f)) throw invalid_input("the likelihood is not finite at the initial parameters");
  minimum out;
  out.status = fit_status::max_iter;
  int it = 0;
  mat H = mat::Identity();
  // BFGS to a gradient of 1e-6 (below it the Armijo test compares rounding noise), then Newton steps on the
  // difference Hessian, which converge quadratically from there and take flat directions (Pareto/NBD's β)
  // the rest of the way; if Newton cannot finish (a Hessian not positive definite), BFGS resumes to tol.
  for (const double target : {std::max(o.tol, 1e-6), o.tol}) {
    mat Hinv = mat::Identity();
    bool scaled = false;
    for (; it < o.max_iter && max_abs(g) > target; ++it) {
      vec p = -Hinv * to_vec(g);
      double slope = p.dot(to_vec(g));
      if (!(slope < 0)) {
        Hinv = mat::Identity();
        p = -to_vec(g);
        slope = p.dot(to_vec(g));
      }
      // Steps on the log scale are capped at 3 (a factor e³ ≈ 20 on a parameter) so a line search never
      // starts where the likelihood overflows.
      double step = std::min(1.0, 3.0 / p.cwiseAbs().maxCoeff());
      std::array<double, K> xn{};
      bool accepted = false;
      for (int tries = 0; tries < 60 && !accepted; ++tries, step *= 0.5) {
        for (std::size_t k = 0; k < K; ++k) xn[k] = x[k] + step * p(static_cast<Eigen::Index>(k));
        accepted = obj.value(xn) <= f + 1e-4 * step * slope;
      }
      if (!accepted) {
        out.status = fit_status::line_search_failed;
        break;
      }
      std::array<double, K> gn{};
      const double fn = obj.value_gradient(xn, gn);
      const vec s = to_vec(xn) - to_vec(x), y = to_vec(gn) - to_vec(g);
      const double sy = s.dot(y);
      if (sy > 1e-12 * s.norm() * y.norm()) {
        if (!scaled) {  // Nocedal & Wright (6.20): scale the first inverse Hessian by sᵀy / yᵀy
          Hinv *= sy / y.dot(y);
          scaled = true;
        }
        const double rho = 1.0 / sy;
        const mat I = mat::Identity();
        Hinv = (I - rho * s * y.transpose()) * Hinv * (I - rho * y * s.transpose()) + rho * s * s.transpose();
      }
      x = xn;
      f = fn;
      g = gn;
    }
    // Newton on the Hessian at the start of the polish (near the optimum it changes little, and each one
    // costs 2K gradients); the standard errors then take a fresh one at the final point.
    H = obj.hessian(x);
    Eigen::LDLT<mat> newton(H);
    bool moved = false;
    for (int polish = 0; polish < 8 && max_abs(g) > 1e-13; ++polish) {
      if (newton.info() != Eigen::Success || !(newton.vectorD().minCoeff() > 0)) break;
      const vec step = newton.solve(-to_vec(g));
      std::array<double, K> xn{};
      for (std::size_t k = 0; k < K; ++k) xn[k] = x[k] + step(static_cast<Eigen::Index>(k));
      std::array<double, K> gn{};
      const double fn = obj.value_gradient(xn, gn);
      if (!(fn <= f + 1e-12 * std::fabs(f)) || !(max_abs(gn) < max_abs(g))) break;
      x = xn;
      f = fn;
      g = gn;
      moved = true;
    }
    if (moved) H = obj.hessian(x);
    if (max_abs(g) <= o.tol || out.status == fit_status::line_search_failed) break;
  }
  if (max_abs(g) <= o.tol) out.status = fit_status::converged;
  finish<K>(out, x, f, g, H, it);
  return out;
}

/// Newton's method on the exact Hessian (objective::value_gradient_hessian), one pass over the rows per
/// iteration when the full step is taken: from a start near the optimum it converges quadratically (the
/// simulated million of the benchmark: 4 passes from the subsample's fit, where BFGS with difference Hessians
/// made ~40). Where H is not positive definite (far from the optimum) the step uses |H|: its eigenvalues by
/// their absolute values, floored at 1e-8 of the largest, which keeps the direction one of descent (Nocedal &
/// Wright §3.4's modified Newton). False when the line search fails or the values stop being finite: the caller
/// then runs minimise() instead; a fit that reaches max_iter returns true with that status.
template <std::size_t K>
bool newton_minimise(const objective<K>& obj, std::array<double, K> x, const fit_options& o, minimum& out) {
  using vec = Eigen::Matrix<double, K, 1>;
  using mat = Eigen::Matrix<double, K, K>;
  const auto to_vec = [](const std::array<double, K>& a) { return vec(Eigen::Map<const vec>(a.data())); };
  std::array<double, K> g{};
  mat H;
  double f = obj.value_gradient_hessian(x, g, H);
  if (!std::isfinite(f) || !H.allFinite()) return false;
  int it = 0;
  for (; it < o.max_iter && max_abs(g) > o.tol; ++it) {
    const Eigen::SelfAdjointEigenSolver<mat> eig(H);
    if (eig.info() != Eigen::Success) return false;
    const vec lambda = eig.eigenvalues().cwiseAbs();
    const double floor = 1e-8 * lambda.maxCoeff();
    if (!(floor > 0 && std::isfinite(floor))) return false;
    const vec p = -(eig.eigenvectors() *
                    (eig.eigenvectors().transpose() * to_vec(g)).cwiseQuotient(lambda.cwiseMax(floor)));
    const double slope = p.dot(to_vec(g));
    double step = std::min(1.0, 3.0 / p.cwiseAbs().maxCoeff());  // at most e³ on a parameter, as minimise()
    std::array<double, K> xn{}, gn{};
    mat Hn;
    double fn = inf;
    bool accepted = false;
    for (int tries = 0; tries < 60 && !accepted; ++tries, step *= 0.5) {
      for (std::size_t k = 0; k < K; ++k) xn[k] = x[k] + step * p(static_cast<Eigen::Index>(k));
      fn = tries == 0 ? obj.value_gradient_hessian(xn, gn, Hn) : obj.value(xn);
      accepted = fn <= f + 1e-4 * step * slope;
      // Near the optimum the decrease is below the rounding of f: a full step that lowers the gradient
      // without raising f beyond rounding is accepted (minimise()'s Newton polish has the same test).
      if (!accepted && tries == 0)
        accepted = fn <= f + 1e-12 * std::fabs(f) && max_abs(gn) < max_abs(g) && Hn.allFinite();
      if (accepted && tries > 0) fn = obj.value_gradient_hessian(xn, gn, Hn);
    }
    if (!accepted || !std::isfinite(fn) || !Hn.allFinite()) return false;
    x = xn;
    f = fn;
    g = gn;
    H = Hn;
  }
  out.status = max_abs(g) <= o.tol ? fit_status::converged : fit_status::max_iter;
  finish<K>(out, x, f, g, H, it);
  return true;
}

/// Every stride-th row of d, with its weight (the same distinct frequencies, some perhaps without rows).
prepared subsample(const prepared& d, std::size_t stride) {
  prepared out;
  out.xs = d.xs;
  out.scale = d.scale;
  for (std::size_t i = 0; i < d.rows; i += stride) {
    out.xi.push_back(d.xi[i]);
    out.rec.push_back(d.rec[i]);
    out.T.push_back(d.T[i]);
    out.w.push_back(d.w[i]);
    out.weight_sum += d.w[i];
    ++out.rows;
  }
  return out;
}

/// `input_rows`: the caller's rows, before identical histories were merged — what lifetimes' Pareto/NBD
/// penalty scales with (it divides by the mean weight of the rows it was given) and what `rows` reports.
fit_result fit_prepared(btyd_model m, const prepared& d, const fit_options& o, std::size_t input_rows) {
  if (!(o.penalizer >= 0.0 && std::isfinite(o.penalizer)))
    fail(m, "penalizer must be finite and >= 0, got " + format_number(o.penalizer));
  if (o.max_iter < 1) fail(m, "max_iter must be >= 1, got " + std::to_string(o.max_iter));
  if (!(o.tol > 0.0 && std::isfinite(o.tol))) fail(m, "tol must be finite and > 0, got " + format_number(o.tol));
  const std::size_t k = parameter_names(m).size();
  std::vector<double> start(k, 0.0);
  if (!o.initial.empty()) {
    check_parameters(m, o.initial);
    for (std::size_t j = 0; j < k; ++j)
      start[j] = std::log(is_time_parameter(m, j) ? o.initial[j] * d.scale : o.initial[j]);
  }
  const double pen = m == btyd_model::pareto_nbd ? o.penalizer / static_cast<double>(input_rows) : o.penalizer;
  minimum best;
  try {
    const auto run = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
      std::array<double, K> x0{};
      std::copy(start.begin(), start.end(), x0.begin());
      const objective<K> obj{m, d, pen};
      if (obj.exact_hessian()) {
        // Many rows: Newton on all of them starts from the fit to every stride-th row (~20,000 of them; the
        // rows are sorted by frequency, recency and T, so the sample is stratified), whose optimum is within
        // sampling error of the full one — a few full passes instead of a few dozen.
        constexpr std::size_t sample = 20'000;
        if (d.rows > 4 * sample) {
          const prepared sub = subsample(d, d.rows / sample);
          minimum warm;
          const objective<K> sub_obj{m, sub, pen};
          if (newton_minimise<K>(sub_obj, x0, o, warm) && warm.status == fit_status::converged)
            std::copy(warm.theta.begin(), warm.theta.end(), x0.begin());
        }
        minimum out;
        if (newton_minimise<K>(obj, x0, o, out)) return out;
        std::copy(start.begin(), start.end(), x0.begin());
      }
      return minimise<K>(obj, x0, o);
    };
    best = k == 2 ? run(std::integral_constant<std::size_t, 2>{})
                  : k == 3 ? run(std::integral_constant<std::size_t, 3>{}) : run(std::integral_constant<std::size_t, 4>{});
  } catch (const invalid_input& e) {
    fail(m, e.what());
  }
  fit_result r;
  r.model = m;
  r.params.resize(k);
  for (std::size_t j = 0; j < k; ++j) {
    r.params[j] = std::exp(best.theta[j]);
    if (is_time_parameter(m, j)) r.params[j] /= d.scale;
  }
  r.covariance.resize(k * k);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j)
      r.covariance[i * k + j] = r.params[i] * r.params[j] * best.covariance_log[i * k + j] / d.weight_sum;
  // Σ wᵢ·ℓᵢ from the objective, without its penalty, back in the caller's time unit: dividing times by
  // max T multiplies each row's density of its x purchase times by (max T)^x, i.e. ℓ(caller's unit) =
  // ℓ(fitted scale) + x·log(scale) (every continuous-time model here; scale = 1 for the others).
  double penalty = 0.0, weighted_x = 0.0;
  for (double th : best.theta) penalty += std::exp(th) * std::exp(th);
  for (std::size_t i = 0; i < d.rows; ++i) weighted_x += d.w[i] * d.xs[d.xi[i]];
  r.log_likelihood = -(best.f - pen * penalty) * d.weight_sum + std::log(d.scale) * weighted_x;
  r.objective = best.f;
  r.status = best.status;
  r.iterations = best.iterations;
  r.gradient_norm = best.gradient_norm;
  r.weight_sum = d.weight_sum;
  r.rows = static_cast<std::int64_t>(input_rows);
  r.penalizer = o.penalizer;
  if (o.require_convergence && !r.converged())
    throw convergence_error(std::string(display_name(m)) + ": the fit did not converge (" +
                            std::string(to_string(r.status)) + " after " + std::to_string(r.iterations) +
                            " iterations, gradient " + format_number(r.gradient_norm) + ")");
  return r;
}

double time_scale(const customers& c) {
  const double max_T = *std::max_element(c.T.begin(), c.T.end());
  return max_T > 0 ? 1.0 / max_T : 1.0;
}

void check_out(btyd_model m, std::size_t want, std::span<double> out) {
  if (out.size() != want)
    fail(m, "output has " + std::to_string(out.size()) + " values for " + std::to_string(want) + " rows");
}

void check_t(btyd_model m, double t) {
  if (!(t >= 0.0 && std::isfinite(t))) fail(m, "t must be finite and >= 0, got " + format_number(t));
}

}  // namespace

std::span<const std::string_view> parameter_names(btyd_model m) noexcept {
  switch (m) {
    case btyd_model::bg_nbd:
    case btyd_model::mbg_nbd: return bg_names;
    case btyd_model::pareto_nbd: return pareto_names;
    case btyd_model::gamma_gamma: return gg_names;
    case btyd_model::bg_bb: return bgbb_names;
    case btyd_model::sbg: return sbg_names;
  }
  return {};
}

void validate(btyd_model m, const customers& c) {
  const std::size_t n = c.frequency.size();
  const bool gg = m == btyd_model::gamma_gamma;
  const auto same = [&](std::span<const double> s, std::string_view name) {
    if (s.size() != n)
      fail(m, std::string(name) + " has " + std::to_string(s.size()) + " values, frequency " + std::to_string(n));
  };
  if (gg) {
    same(c.monetary, "monetary_value");
  } else {
    same(c.recency, "recency");
    same(c.T, m == btyd_model::bg_bb ? "n_periods" : "T");
  }
  if (!c.weights.empty()) same(c.weights, "weights");
  if (n == 0) fail(m, "no customers (empty input)");
  const bool discrete = m == btyd_model::bg_bb;
  for (std::size_t i = all_rows_valid(m, c) ? n : 0; i < n; ++i) {
    const double x = c.frequency[i];
    if (!whole(x) || x < 0) fail(m, at("frequency", i) + "must be a whole number >= 0, got " + format_number(x));
    if (gg) {
      const double v = c.monetary[i];
      if (x == 0) fail(m, at("frequency", i) + "Gamma-Gamma is fitted on repeat customers only (frequency > 0)");
      if (!(v > 0 && std::isfinite(v)))
        fail(m, at("monetary_value", i) + "must be finite and > 0, got " + format_number(v));
    } else {
      const double tx = c.recency[i], T = c.T[i];
      const std::string_view t_name = discrete ? "n_periods" : "T";
      if (!(T >= 0 && std::isfinite(T)) || (discrete && !whole(T)))
        fail(m, at(t_name, i) + "must be a finite " + (discrete ? "whole number" : "number") + " >= 0, got " +
                    format_number(T));
      if (!(tx >= 0 && std::isfinite(tx)) || (discrete && !whole(tx)))
        fail(m, at("recency", i) + "must be a finite " + (discrete ? "whole number" : "number") + " >= 0, got " +
                    format_number(tx));
      if (tx > T)
        fail(m, at("recency", i) + "greater than " + std::string(t_name) + " (" + format_number(tx) + " > " +
                    format_number(T) + ")");
      if (x == 0 && tx != 0) fail(m, at("recency", i) + "must be 0 when frequency is 0, got " + format_number(tx));
      if (x > 0 && tx == 0)
        fail(m, at("recency", i) + "is 0 with frequency " + format_number(x) +
                    ": repeat purchases come after the first one");
      if (discrete && x > tx)
        fail(m, at("frequency", i) + "greater than recency (" + format_number(x) + " > " + format_number(tx) +
                    "): at most one purchase per opportunity");
    }
    if (!c.weights.empty() && !(c.weights[i] >= 0 && std::isfinite(c.weights[i])))
      fail(m, at("weights", i) + "must be finite and >= 0, got " + format_number(c.weights[i]));
  }
  if (!c.weights.empty() && !(std::accumulate(c.weights.begin(), c.weights.end(), 0.0) > 0))
    fail(m, "the weights sum to 0");
}

fit_result fit(btyd_model m, const customers& c, const fit_options& options) {
  if (m == btyd_model::sbg) fail(m, "fit the shifted-beta-geometric with fit_sbg (a survivor series)");
  validate(m, c);
  if (m != btyd_model::gamma_gamma) {
    bool any = false;
    for (std::size_t i = 0; i < c.frequency.size() && !any; ++i)
      any = c.frequency[i] > 0 && (c.weights.empty() || c.weights[i] > 0);
    if (!any) fail(m, "every frequency is 0: no repeat purchase, nothing to fit");
  }
  return fit_prepared(m, prepare(m, c, continuous_time(m) ? time_scale(c) : 1.0, true), options,
                      c.frequency.size());
}

namespace {
/// A survivor series as sBG rows: the customers lost in period t (T = t, frequency 0) and those still active
/// after the last period (frequency 1), each weighted by its count.
struct sbg_rows {
  std::vector<double> x, T, w;
  customers view() const { return {x, {}, T, {}, w}; }
};
sbg_rows sbg_data(std::span<const double> alive) {
  constexpr btyd_model m = btyd_model::sbg;
  if (alive.size() < 2) fail(m, "at least two counts (the start and one period) are needed, got " +
                                    std::to_string(alive.size()));
  if (!(alive[0] > 0)) fail(m, "alive[0] must be > 0, got " + format_number(alive[0]));
  sbg_rows r;
  for (std::size_t t = 0; t < alive.size(); ++t) {
    if (!whole(alive[t]) || alive[t] < 0)
      fail(m, at("alive", t) + "must be a whole number >= 0, got " + format_number(alive[t]));
    if (t == 0) continue;
    if (alive[t] > alive[t - 1])
      fail(m, at("alive", t) + "more customers than the period before (" + format_number(alive[t]) + " > " +
                  format_number(alive[t - 1]) + ")");
    r.x.push_back(0);
    r.T.push_back(static_cast<double>(t));
    r.w.push_back(alive[t - 1] - alive[t]);
  }
  r.x.push_back(1);
  r.T.push_back(static_cast<double>(alive.size() - 1));
  r.w.push_back(alive.back());
  return r;
}
prepared prepare_sbg(const sbg_rows& rows) {
  const customers c = rows.view();
  prepared d;
  d.rows = rows.x.size();
  d.xs = {0.0, 1.0};
  d.xi.resize(d.rows);
  for (std::size_t i = 0; i < d.rows; ++i) d.xi[i] = rows.x[i] > 0 ? 1 : 0;
  d.T.assign(c.T.begin(), c.T.end());
  d.rec.assign(d.rows, 0.0);
  d.w = rows.w;
  d.weight_sum = std::accumulate(d.w.begin(), d.w.end(), 0.0);
  return d;
}
}  // namespace

fit_result fit_sbg(std::span<const double> alive, const fit_options& options) {
  const sbg_rows rows = sbg_data(alive);
  const prepared d = prepare_sbg(rows);
  fit_result r = fit_prepared(btyd_model::sbg, d, options, d.rows);
  r.log_likelihood = sbg_log_likelihood(r.params, alive);
  return r;
}

double sbg_log_likelihood(std::span<const double> params, std::span<const double> alive) {
  check_parameters(btyd_model::sbg, params);
  const sbg_rows rows = sbg_data(alive);
  return sum_ll(btyd_model::sbg, params.data(), prepare_sbg(rows));
}

double log_likelihood(btyd_model m, std::span<const double> params, const customers& c) {
  check_parameters(m, params);
  validate(m, c);
  return sum_ll(m, params.data(), prepare(m, c, 1.0));
}

double log_likelihood_derivatives(btyd_model m, std::span<const double> params, const customers& c,
                                  std::span<double> gradient, std::span<double> hessian) {
  if (m != btyd_model::bg_nbd && m != btyd_model::mbg_nbd) fail(m, "has no exact Hessian here");
  check_parameters(m, params);
  validate(m, c);
  if (gradient.size() != 4 || hessian.size() != 16)
    fail(m, "the gradient takes 4 values and the Hessian 16, got " + std::to_string(gradient.size()) + " and " +
                std::to_string(hessian.size()));
  const bg_derivatives t = bg_value_gradient_hessian(params.data(), prepare(m, c, 1.0), m == btyd_model::mbg_nbd);
  for (int i = 0; i < 4; ++i) {
    gradient[static_cast<std::size_t>(i)] = t.g[static_cast<std::size_t>(i)];
    for (int j = 0; j < 4; ++j) hessian[static_cast<std::size_t>(4 * i + j)] = t.H(i, j);
  }
  return t.value;
}

void log_likelihood_rows(btyd_model m, std::span<const double> params, const customers& c, std::span<double> out) {
  check_parameters(m, params);
  validate(m, c);
  check_out(m, c.frequency.size(), out);
  sum_ll(m, params.data(), prepare(m, c, 1.0), out.data());
}

double log_hyp2f1(double a, double b, double c, double z) {
  if (!(a > 0 && b > 0 && c > 0 && z >= 0 && z < 1)) return nan;
  return log_hyp2f1_t(a, b, c, z);
}

// ---- predictions ------------------------------------------------------------------------------------

namespace {
/// P(dropped out) / P(alive) of a BG/NBD or MBG/NBD history: a/(b + x − 1)·((α+T)/(α+tₓ))^{r+x}, 0 for a BG/NBD
/// customer without repeat purchases (Hardie's note 021); MBG/NBD a/(b + x)·(…) always. P(alive) = 1/(1 + odds),
/// and the conditional expectation divides by the same 1 + odds. One logarithm and one exponential (the odds
/// overflow to ∞ only where P < 1e-300: 0 then).
double dropout_odds(bool modified, double r, double alpha, double a, double b, double x, double tx, double T) {
  if (!modified && x == 0) return 0.0;
  return a / (b + x - (modified ? 0.0 : 1.0)) * std::exp((r + x) * std::log((alpha + T) / (alpha + tx)));
}

/// The checks every per-customer prediction starts with; the parameters.
const double* checked(btyd_model m, std::span<const double> params, const customers& c, std::span<double> out,
                      double t) {
  check_parameters(m, params);
  validate(m, c);
  check_out(m, c.frequency.size(), out);
  check_t(m, t);
  return params.data();
}

/// Rows [first, first + n) of `c` as customers of their own (the columns that are there).
customers rows_of(const customers& c, std::size_t first, std::size_t n) {
  auto part = [&](std::span<const double> v) { return v.empty() ? v : v.subspan(first, n); };
  return {part(c.frequency), part(c.recency), part(c.T), part(c.monetary), part(c.weights)};
}

/// P(alive) of checked rows (every model's is a function of the row alone).
void p_alive_rows(btyd_model m, const double* p, const customers& c, std::span<double> out, double t_future) {
  const std::size_t n = c.frequency.size();
  switch (m) {
    case btyd_model::bg_nbd:
    case btyd_model::mbg_nbd: {
      // BG/NBD: Hardie's note 021, P = 1 / (1 + [x>0]·a/(b+x−1)·((α+T)/(α+tₓ))^{r+x}); MBG/NBD with a/(b+x)
      // and no [x>0] (its customers may leave right after the first purchase).
      const bool modified = m == btyd_model::mbg_nbd;
      const double r = p[0], alpha = p[1], a = p[2], b = p[3];
      for (std::size_t i = 0; i < n; ++i) {
        const double x = c.frequency[i];
        out[i] = 1.0 / (1.0 + dropout_odds(modified, r, alpha, a, b, x, c.recency[i], c.T[i]));
      }
      return;
    }
    case btyd_model::pareto_nbd: {
      // Fader & Hardie's note 008 eq. (18): P = 1 / (1 + s/(r+s+x)·(α+T)^{r+x}(β+T)^s·A₀).
      const double r = p[0], alpha = p[1], s = p[2], beta = p[3];
      for (std::size_t i = 0; i < n; ++i) {
        const double x = c.frequency[i], tx = c.recency[i], T = c.T[i];
        if (tx == T) {
          out[i] = 1.0;
          continue;
        }
        const double log_odds = std::log(s / (r + s + x)) + (r + x) * std::log(alpha + T) + s * std::log(beta + T) +
                                log_pareto_a0(r, alpha, s, beta, x, tx, T);
        out[i] = 1.0 / (1.0 + std::exp(log_odds));
      }
      return;
    }
    case btyd_model::bg_bb: {
      // Fader, Hardie & Shang (2010) eq. (11), alive at n + t: B(α+x, β+n−x)/B(α,β)·B(γ, δ+n+t)/B(γ,δ) / L.
      for (std::size_t i = 0; i < n; ++i) {
        const double x = c.frequency[i], nn = c.T[i];
        const double num = log_beta(p[0] + x, p[1] + nn - x) - log_beta(p[0], p[1]) +
                           log_beta(p[2], p[3] + nn + t_future) - log_beta(p[2], p[3]);
        out[i] = std::exp(num - ll_bgbb_row(p, x, c.recency[i], nn));
      }
      return;
    }
    default: fail(m, "has no P(alive)");
  }
}
}  // namespace

void p_alive(btyd_model m, std::span<const double> params, const customers& c, std::span<double> out,
             double t_future, std::int32_t n_threads) {
  check_threads(n_threads, "p_alive");
  const double* p = checked(m, params, c, out, t_future);
  for_each_block(
      c.frequency.size(), n_threads,
      [&](std::size_t first, std::size_t last) {
        p_alive_rows(m, p, rows_of(c, first, last - first), out.subspan(first, last - first), t_future);
      },
      block_grain::customers);
}

namespace {
/// BG/NBD and MBG/NBD at a = 1 exactly: their expectations are (…)/(a − 1)·[bracket] with a bracket that
/// vanishes with a − 1 (0/0). E is smooth in a, so it is the mean of the values at a = 1 ± 1e-6: the h² term
/// is ~1e-12 relative, the brackets' rounding ~1e-10. Calls `f` with the two parameter sets and averages.
template <class F>
bool at_a_equal_one(btyd_model m, std::span<const double> params, std::span<double> out, F&& f) {
  if ((m != btyd_model::bg_nbd && m != btyd_model::mbg_nbd) || params[2] != 1.0) return false;
  constexpr double h = 1e-6;
  std::vector<double> lo(params.begin(), params.end()), hi = lo, other(out.size());
  lo[2] -= h;
  hi[2] += h;
  f(std::span<const double>(lo), out);
  f(std::span<const double>(hi), std::span<double>(other));
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = (out[i] + other[i]) / 2;
  return true;
}
}  // namespace

void conditional_expected_purchases(btyd_model m, std::span<const double> params, double t, const customers& c,
                                    std::span<double> out, std::int32_t n_threads) {
  check_threads(n_threads, "conditional_expected_purchases");
  const double* p = checked(m, params, c, out, t);
  if (at_a_equal_one(m, params, out, [&](std::span<const double> q, std::span<double> o) {
        conditional_expected_purchases(m, q, t, c, o, n_threads);
      }))
    return;
  const std::size_t n = c.frequency.size();
  // Rows in blocks, one per thread; each row's value depends on the row alone (and on tables made
  // before from all rows), so the bits do not depend on the thread count.
  auto in_blocks = [&](auto&& rows) { for_each_block(n, n_threads, rows, block_grain::customers); };
  switch (m) {
    case btyd_model::bg_nbd:
    case btyd_model::mbg_nbd: {
      // BG/NBD, Fader, Hardie & Lee (2005) eq. (10):
      //   E = (a+b+x−1)/(a−1)·[1 − ((α+T)/(α+T+t))^{r+x}·₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
      //       / (1 + [x>0]·a/(b+x−1)·((α+T)/(α+tₓ))^{r+x});
      // MBG/NBD (Batislam et al. 2007 eq. 12): b+x+1 and a+b+x in ₂F₁, (a+b+x)/(a−1), and a/(b+x) always.
      const bool modified = m == btyd_model::mbg_nbd;
      const double r = p[0], alpha = p[1], a = p[2], b = p[3];
      const double k = modified ? 1.0 : 0.0;
      // ₂F₁'s parameters depend on x alone: one coefficient table per distinct x, long enough for the largest
      // z among its rows (series_table), then a polynomial per row instead of a division per term.
      prepared idx;
      index_frequencies(c.frequency, idx);
      std::vector<double> z_max(idx.xs.size(), 0.0);
      for (std::size_t i = 0; i < n; ++i) z_max[idx.xi[i]] = std::max(z_max[idx.xi[i]], t / (alpha + c.T[i] + t));
      std::vector<series_table> tables;
      tables.reserve(idx.xs.size());
      for (std::size_t j = 0; j < idx.xs.size(); ++j) {
        const double x = idx.xs[j];
        tables.push_back(make_series_table(r + x, b + x + k, a + b + x - 1 + k, z_max[j]));
      }
      in_blocks([&](std::size_t first, std::size_t last) {
        for (std::size_t i = first; i < last; ++i) {
          const double x = c.frequency[i], T = c.T[i], tx = c.recency[i];
          const double z = t / (alpha + T + t);
          const double lu = std::log((alpha + T) / (alpha + T + t));  // log(1 − z)
          const series_table& st = tables[idx.xi[i]];
          double bracket = 0.0;  // 1 − ((α+T)/(α+T+t))^{r+x}·₂F₁(…)
          if (const double sum = st.ok ? st.at(z) : 0.0; st.ok && sum > 0)
            bracket = -std::expm1(st.euler_power * lu + std::log(sum) + (r + x) * lu);
          else
            bracket = one_minus_hyp2f1_times(r + x, b + x + k, a + b + x - 1 + k, z, (r + x) * lu);
          const double num = (a + b + x - 1 + k) / (a - 1) * bracket;
          out[i] = num / (1.0 + dropout_odds(modified, r, alpha, a, b, x, tx, T));
        }
      });
      return;
    }
    case btyd_model::pareto_nbd: {
      // Fader & Hardie's note 008 eq. (20): E = Γ(r+x)α^r β^s / (Γ(r)(α+T)^{r+x}(β+T)^s) · (r+x)(β+T)/((α+T)(s−1))
      //   · [1 − ((β+T)/(β+T+t))^{s−1}] / L.
      const double r = p[0], alpha = p[1], s = p[2], beta = p[3];
      in_blocks([&](std::size_t begin, std::size_t end) {
        const customers part = rows_of(c, begin, end - begin);  // ℓ of a row is a function of the row alone
        const prepared d = prepare(m, part, 1.0);
        std::vector<double> ll(end - begin);
        ll_pareto(p, d, ll.data());
        for (std::size_t j = 0; j < ll.size(); ++j) {
          const std::size_t i = begin + j;
          const double x = c.frequency[i], T = c.T[i];
          const double first = detail::lgamma(r + x) - detail::lgamma(r) + r * std::log(alpha) + s * std::log(beta) -
                               (r + x) * std::log(alpha + T) - s * std::log(beta + T);
          const double second = std::log(r + x) + std::log(beta + T) - std::log(alpha + T);
          // (1 − u^{s−1})/(s − 1) with u = (β+T)/(β+T+t): −expm1((s−1)·log u)/(s−1), its limit −log u at s = 1.
          const double lu = std::log((beta + T) / (beta + T + t));
          const double third = s == 1.0 ? -lu : -std::expm1((s - 1) * lu) / (s - 1);
          out[i] = std::exp(first + second - ll[j]) * third;
        }
      });
      return;
    }
    case btyd_model::bg_bb: {
      // Fader, Hardie & Shang (2010) eq. (13): E[X(n, n+t) | x, tₓ, n] = 1/L · B(α+x+1, β+n−x)/B(α,β)
      //   · δ/(γ−1) · Γ(γ+δ)/Γ(1+δ) · [Γ(1+δ+n)/Γ(γ+δ+n) − Γ(1+δ+n+t)/Γ(γ+δ+n+t)].
      const double al = p[0], be = p[1], ga = p[2], de = p[3];
      in_blocks([&](std::size_t first, std::size_t last) {
        for (std::size_t i = first; i < last; ++i) {
          const double x = c.frequency[i], nn = c.T[i];
          const double l1 = detail::lgamma(1 + de + nn) - detail::lgamma(ga + de + nn);
          const double l2 = detail::lgamma(1 + de + nn + t) - detail::lgamma(ga + de + nn + t);
          // δ/(γ − 1) and the bracket are both negative when γ < 1: multiplied, not taken into the logarithm.
          const double front = log_beta(al + x + 1, be + nn - x) - log_beta(al, be) + detail::lgamma(ga + de) -
                               detail::lgamma(1 + de) - ll_bgbb_row(p, x, c.recency[i], nn);
          // At γ = 1 the bracket vanishes with γ − 1: its limit is δ·(ψ(1+δ+n+t) − ψ(1+δ+n)).
          out[i] = ga == 1.0 ? std::exp(front) * de * (detail::digamma(1 + de + nn + t) - detail::digamma(1 + de + nn))
                             : std::exp(front + l1) * (de / (ga - 1)) * -std::expm1(l2 - l1);
        }
      });
      return;
    }
    default: fail(m, "has no conditional expected purchases");
  }
}

void expected_purchases(btyd_model m, std::span<const double> params, std::span<const double> t,
                        std::span<double> out) {
  check_parameters(m, params);
  check_out(m, t.size(), out);
  if (at_a_equal_one(m, params, out,
                     [&](std::span<const double> q, std::span<double> o) { expected_purchases(m, q, t, o); }))
    return;
  const double* p = params.data();
  for (std::size_t i = 0; i < t.size(); ++i) {
    check_t(m, t[i]);
    const double ti = t[i];
    switch (m) {
      case btyd_model::bg_nbd:
      case btyd_model::mbg_nbd: {
        // BG/NBD eq. (9): (a+b−1)/(a−1)·[1 − (α/(α+t))^r ₂F₁(r, b; a+b−1; t/(α+t))];
        // MBG/NBD: b/(a−1)·[1 − (α/(α+t))^r ₂F₁(r, b+1; a+b; t/(α+t))].
        const double r = p[0], alpha = p[1], a = p[2], b = p[3];
        const bool modified = m == btyd_model::mbg_nbd;
        out[i] = (modified ? b : a + b - 1) / (a - 1) *
                 one_minus_hyp2f1_times(r, modified ? b + 1 : b, modified ? a + b : a + b - 1, ti / (alpha + ti),
                                        r * std::log(alpha / (alpha + ti)));
        break;
      }
      case btyd_model::pareto_nbd: {
        // Schmittlein et al. (1987) eq. (17): rβ/(α(s−1))·[1 − (β/(β+t))^{s−1}].
        const double r = p[0], alpha = p[1], s = p[2], beta = p[3];
        const double lu = std::log(beta / (beta + ti));
        out[i] = r * beta / alpha * (s == 1.0 ? -lu : -std::expm1((s - 1) * lu) / (s - 1));
        break;
      }
      case btyd_model::bg_bb: {
        // Fader, Hardie & Shang (2010) eq. (7): α/(α+β)·δ/(γ−1)·[1 − Γ(γ+δ)Γ(1+δ+n)/(Γ(γ+δ+n)Γ(1+δ))].
        const double al = p[0], be = p[1], ga = p[2], de = p[3];
        const double l = detail::lgamma(ga + de) + detail::lgamma(1 + de + ti) - detail::lgamma(ga + de + ti) - detail::lgamma(1 + de);
        // At γ = 1 the limit of δ/(γ − 1)·[…] is δ·(ψ(1+δ+n) − ψ(1+δ)).
        out[i] = ga == 1.0 ? al / (al + be) * de * (detail::digamma(1 + de + ti) - detail::digamma(1 + de))
                           : al / (al + be) * de / (ga - 1) * -std::expm1(l);
        break;
      }
      default: fail(m, "has no expected purchases");
    }
  }
}

namespace {
/// P(N ≥ n) for N negative binomial with P(N = j) = Γ(r+j)/(Γ(r) j!)·pʳqʲ (log p = lp, log q = lq): the bracket
/// of BG/NBD eq. (8). Below the mean, 1 − Σ_{j<n} (the tail is large, no cancellation); above it the tail's
/// own terms from j = n, whose ratio (r + j)q/(j + 1) is then below 1 — 1 − Σ would cancel to rounding there
/// (and went negative at n = 1000).
double negative_binomial_tail(double r, double lp, double lq, std::int64_t n) {
  if (n <= 0) return 1.0;
  if (!std::isfinite(lq)) return 0.0;  // t = 0: N = 0
  const double q = std::exp(lq), nn = static_cast<double>(n);
  const auto log_term = [&](double j) { return detail::lgamma(r + j) - detail::lgamma(r) - detail::lgamma(j + 1) + r * lp + j * lq; };
  if (nn <= r * q / std::exp(lp)) {
    double sum = 0.0;
    for (std::int64_t j = 0; j < n; ++j) sum += std::exp(log_term(static_cast<double>(j)));
    return std::max(0.0, 1.0 - sum);
  }
  const double first = log_term(nn);
  double sum = 1.0, term = 1.0;
  for (double j = nn; j < nn + 1e7; ++j) {
    const double ratio = (r + j) / (j + 1) * q;
    term *= ratio;
    sum += term;
    const double rho = std::max(ratio, q);
    if (rho < 1 && term * rho <= 1e-17 * (1 - rho) * sum) break;
  }
  return std::exp(first + std::log(sum));
}
}  // namespace

void probability_of_purchases(btyd_model m, std::span<const double> params, std::span<const double> t,
                              std::int64_t n, std::span<double> out) {
  check_parameters(m, params);
  check_out(m, t.size(), out);
  if (m != btyd_model::bg_nbd && m != btyd_model::mbg_nbd) fail(m, "has no P(X(t) = n) here");
  if (n < 0) fail(m, "n must be >= 0, got " + std::to_string(n));
  // BG/NBD eq. (8): P(X(t) = n) = B(a, b+n)/B(a,b)·Γ(r+n)/(Γ(r) n!)·(α/(α+t))^r (t/(α+t))^n
  //   + [n > 0]·B(a+1, b+n−1)/B(a,b)·[1 − (α/(α+t))^r Σ_{j<n} Γ(r+j)/(Γ(r) j!)·(t/(α+t))^j];
  // MBG/NBD (Batislam et al. 2007 eq. 8): B(a, b+n+1) and B(a+1, b+n), the second term for n = 0 too.
  const bool modified = m == btyd_model::mbg_nbd;
  const double r = params[0], alpha = params[1], a = params[2], b = params[3];
  const double nn = static_cast<double>(n);
  for (std::size_t i = 0; i < t.size(); ++i) {
    check_t(m, t[i]);
    const double lp = std::log(alpha / (alpha + t[i]));
    const double lq = t[i] > 0 ? std::log(t[i] / (alpha + t[i])) : -inf;
    const double nb = detail::lgamma(r + nn) - detail::lgamma(r) - detail::lgamma(nn + 1) + r * lp + (n > 0 ? nn * lq : 0.0);
    const double first = std::exp(log_beta(a, b + nn + (modified ? 1 : 0)) - log_beta(a, b) + nb);
    double second = 0.0;
    if (n > 0 || modified) {
      const double tail = negative_binomial_tail(r, lp, lq, n);
      second = std::exp(log_beta(a + 1, b + nn - (modified ? 0 : 1)) - log_beta(a, b)) * tail;
    }
    out[i] = first + second;
  }
}

void conditional_expected_average_profit(std::span<const double> params, std::span<const double> frequency,
                                         std::span<const double> monetary, std::span<double> out) {
  constexpr btyd_model m = btyd_model::gamma_gamma;
  check_parameters(m, params);
  if (monetary.size() != frequency.size())
    fail(m, "monetary_value has " + std::to_string(monetary.size()) + " values, frequency " +
                std::to_string(frequency.size()));
  check_out(m, frequency.size(), out);
  const double pp = params[0], q = params[1], g = params[2];
  // The population mean spend pγ/(q − 1) is infinite for q ≤ 1: for x = 0 the expectation is undefined, NaN.
  const double population = q > 1 ? g * pp / (q - 1) : nan;
  for (std::size_t i = 0; i < frequency.size(); ++i) {
    const double x = frequency[i];
    if (!whole(x) || x < 0) fail(m, at("frequency", i) + "must be a whole number >= 0, got " + format_number(x));
    if (x == 0) {
      out[i] = population;
      continue;
    }
    if (!(monetary[i] > 0 && std::isfinite(monetary[i])))
      fail(m, at("monetary_value", i) + "must be finite and > 0, got " + format_number(monetary[i]));
    // (1 − w)·pγ/(q − 1) + w·m̄ with w = px/(px + q − 1) is p(γ + x·m̄)/(px + q − 1): the posterior mean of
    // the customer's spend, finite whenever px + q > 1, even where the population mean (q ≤ 1) is not.
    const double denominator = pp * x + q - 1;
    out[i] = denominator > 0 ? pp * (g + x * monetary[i]) / denominator : nan;
  }
}

void sbg_survival(std::span<const double> params, std::span<const double> t, std::span<double> out) {
  constexpr btyd_model m = btyd_model::sbg;
  check_parameters(m, params);
  check_out(m, t.size(), out);
  for (std::size_t i = 0; i < t.size(); ++i) {
    check_t(m, t[i]);
    out[i] = std::exp(log_beta(params[0], params[1] + t[i]) - log_beta(params[0], params[1]));
  }
}

void sbg_retention(std::span<const double> params, std::span<const double> t, std::span<double> out) {
  constexpr btyd_model m = btyd_model::sbg;
  check_parameters(m, params);
  check_out(m, t.size(), out);
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!(t[i] >= 1 && std::isfinite(t[i]))) fail(m, "retention is defined for t >= 1, got " + format_number(t[i]));
    // Fader & Hardie (2007) eq. (6): r(t) = (β + t − 1)/(α + β + t − 1).
    out[i] = (params[1] + t[i] - 1) / (params[0] + params[1] + t[i] - 1);
  }
}

}  // namespace custhealth::btyd
