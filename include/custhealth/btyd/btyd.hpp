// custhealth/btyd/btyd.hpp — buy-till-you-die models (DESIGN §4): maximum-likelihood fits of BG/NBD, MBG/NBD,
// Pareto/NBD, Gamma-Gamma, BG/BB and shifted-beta-geometric, and their predictions (P(alive), expected purchases).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "custhealth/enums.hpp"  // btyd_model, fit_status

// Sources of the formulas (each function in src/btyd.cpp names its equation):
//   BG/NBD      Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing Science 24(2);
//               P(alive): Hardie's note 021; E[Y(t) | x, tₓ, T]: eq. (10).
//   MBG/NBD     Batislam, Denizel & Filiztekin (2007), IJRM 24(3).
//   Pareto/NBD  Schmittlein, Morrison & Colombo (1987); the likelihood in Fader & Hardie's note 008 ("A note on
//               deriving the Pareto/NBD model"), A₀ through ₂F₁ as there.
//   Gamma-Gamma Fader, Hardie & Lee (2005), "RFM and CLV", JMR 42(4), and Hardie's note 025.
//   BG/BB       Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
//               setting", Marketing Science 29(6).
//   sBG         Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1).
//
// The fit (all models): maximum likelihood over the logarithms of the parameters (so they stay positive) by
// BFGS with a backtracking line search, the gradient exact by forward-mode differentiation of the one
// likelihood template (detail/dual.hpp), then Newton steps on a Hessian from central differences of that
// gradient, which also gives the standard errors. BG/NBD and MBG/NBD have an exact Hessian instead
// (log_likelihood_derivatives) and are fitted by Newton's method alone; above 80,000 distinct histories it
// starts from the fit to a stratified sample of 20,000 of them. As in lifetimes, the models in continuous time
// (BG/NBD, MBG/NBD, Pareto/NBD) are fitted with time divided by max(T) and the objective is
//     −Σ wᵢ·ℓᵢ / Σ wᵢ + penalizer · Σₖ θₖ²      (θ the parameters on that scale)
// so `penalizer` is lifetimes' `penalizer_coef` and a penalised fit equals lifetimes' (Pareto/NBD: lifetimes
// divides the log-likelihood by the mean weight instead of the sum, i.e. its penalty is n times weaker; we
// follow it by using penalizer / n there, n the caller's rows). The reported log-likelihood is Σ wᵢ·ℓᵢ in the caller's time unit,
// without the penalty.

namespace custhealth::btyd {

/// One row per customer (or per distinct history, with its count in `weights`), in the caller's memory.
///   BG/NBD, MBG/NBD, Pareto/NBD: frequency x (repeat purchases, a whole number), recency tₓ (first to last
///     purchase), T (first purchase to the end of observation), the same time unit; 0 ≤ tₓ ≤ T, tₓ = 0 when x = 0.
///   BG/BB: x, tₓ and T = n (the number of opportunities), whole numbers, 0 ≤ x ≤ tₓ ≤ n, x = 0 ⇔ tₓ = 0.
///   Gamma-Gamma: frequency x > 0 and monetary = the mean value of those x repeat purchases (> 0).
/// `weights` empty means one customer per row; otherwise finite and ≥ 0, with a positive sum.
struct customers {
  std::span<const double> frequency, recency, T, monetary, weights;
};

struct fit_options {
  double penalizer = 0.0;        ///< lifetimes' penalizer_coef (see the block above), ≥ 0
  int max_iter = 500;            ///< BFGS iterations, ≥ 1
  double tol = 1e-9;             ///< on max |∂objective/∂log θ|, > 0
  std::span<const double> initial = {};  ///< starting parameters (papers' order, caller's time unit); empty: all 1 on the fitted scale
  bool require_convergence = false;      ///< throw convergence_error instead of returning a non-converged fit
};

/// A fitted (or given) model: its parameters in the papers' order (parameter_names) and, after a fit, how the
/// fit went. `covariance` is k × k row-major, the inverse observed information of the parameters (delta method
/// from the log scale: Cov = diag(θ)·H⁻¹·diag(θ) / Σw with H the Hessian of the objective above); NaN when H is
/// not positive definite. Its diagonal equals lifetimes' variance_matrix_ (whose off-diagonal, θⱼ²·H⁻¹ᵢⱼ, is not
/// symmetric; this one is), where lifetimes has one (not for Pareto/NBD).
struct fit_result {
  btyd_model model = btyd_model::bg_nbd;
  std::vector<double> params;
  std::vector<double> covariance;
  double log_likelihood = 0.0;   ///< Σ wᵢ·ℓᵢ at params, caller's time unit, no penalty
  double objective = 0.0;        ///< the minimised objective (above)
  fit_status status = fit_status::converged;
  int iterations = 0;
  double gradient_norm = 0.0;    ///< max |∂objective/∂log θ| at params
  double weight_sum = 0.0;
  std::int64_t rows = 0;
  double penalizer = 0.0;
  bool converged() const noexcept { return status == fit_status::converged; }
};

/// The parameters of a model, in the papers' order and names: BG/NBD and MBG/NBD r, alpha, a, b; Pareto/NBD
/// r, alpha, s, beta; Gamma-Gamma p, q, gamma (lifetimes calls γ `v`); BG/BB alpha, beta, gamma, delta; sBG
/// alpha, beta.
std::span<const std::string_view> parameter_names(btyd_model m) noexcept;

/// Checks a parameter vector for the model: as many as parameter_names, each finite and > 0; invalid_input
/// naming the parameter otherwise. Every fit (initial values) and prediction calls it.
void check_parameters(btyd_model m, std::span<const double> params);

/// Checks the rows for the model (the rules at `customers`); invalid_input naming the column, the row and the
/// reason, e.g. "recency > T at row 17 (12.5 > 10)". fit() and the conditional predictions call it.
void validate(btyd_model m, const customers& c);

/// Fits the model to the rows (not sBG: fit_sbg). Throws invalid_input for bad rows, for no rows, and when
/// every frequency is 0 ("nothing to fit"); convergence_error only when options.require_convergence.
fit_result fit(btyd_model m, const customers& c, const fit_options& options = {});

/// Fits the shifted-beta-geometric to a cohort's survivors: alive[0] customers at the start, alive[t] still
/// customers after t periods (non-increasing, whole numbers, alive[0] > 0, at least two entries).
fit_result fit_sbg(std::span<const double> alive, const fit_options& options = {});

/// Σ wᵢ·ℓᵢ at the given parameters (the fit's log_likelihood), and the per-row ℓᵢ into `out` (rows values).
double log_likelihood(btyd_model m, std::span<const double> params, const customers& c);
void log_likelihood_rows(btyd_model m, std::span<const double> params, const customers& c, std::span<double> out);
/// BG/NBD and MBG/NBD: Σ wᵢ·ℓᵢ with its exact gradient (4 values) and Hessian (4 × 4, row-major) in the
/// parameters (r, α, a, b), as the fit's Newton steps use them (the observed information is −Hessian).
double log_likelihood_derivatives(btyd_model m, std::span<const double> params, const customers& c,
                                  std::span<double> gradient, std::span<double> hessian);
/// The sBG log-likelihood of a survivor series.
double sbg_log_likelihood(std::span<const double> params, std::span<const double> alive);

// ---- predictions: vectorised over rows; params from a fit or given (published values) -------------------
// Each throws invalid_input when the model has no such prediction, the parameters are not positive, t < 0,
// or the rows break the model's rules. The conditional ones run on up to n_threads threads over blocks of rows;
// a row's value depends on the row alone (and on tables built from all rows first): the same bits for any count.

/// P(alive at T | x, tₓ, T). BG/BB: alive at n + t_future (lifetimes' m_periods_in_future), else t_future = 0.
void p_alive(btyd_model m, std::span<const double> params, const customers& c, std::span<double> out,
             double t_future = 0.0, std::int32_t n_threads = 1);
/// E[X(T, T + t] | x, tₓ, T]: expected repeat purchases in the next t (BG/BB: the next t opportunities).
void conditional_expected_purchases(btyd_model m, std::span<const double> params, double t, const customers& c,
                                    std::span<double> out, std::int32_t n_threads = 1);
/// E[X(t)] for a new customer, at each t (BG/BB: in the first t opportunities; sBG: not available).
void expected_purchases(btyd_model m, std::span<const double> params, std::span<const double> t,
                        std::span<double> out);
/// P(X(t) = n) for a new customer (BG/NBD, MBG/NBD), at each t.
void probability_of_purchases(btyd_model m, std::span<const double> params, std::span<const double> t,
                              std::int64_t n, std::span<double> out);
/// Gamma-Gamma: E[M | x, m̄], the expected mean transaction value (a weighted mean of the customer's own and the
/// population's, Fader, Hardie & Lee 2005 JMR eq. 5); rows with x = 0 get the population mean vp/(q − 1).
void conditional_expected_average_profit(std::span<const double> params, std::span<const double> frequency,
                                         std::span<const double> monetary, std::span<double> out);
/// sBG: S(t) = P(still a customer after t periods) and the retention rate r(t) = S(t)/S(t − 1), at each t ≥ 0
/// (retention: t ≥ 1).
void sbg_survival(std::span<const double> params, std::span<const double> t, std::span<double> out);
void sbg_retention(std::span<const double> params, std::span<const double> t, std::span<double> out);

/// log ₂F₁(a, b; c; z) for a, b, c > 0 and 0 ≤ z < 1 (the Gauss series, on Euler's transform
/// (1 − z)^{c−a−b}·₂F₁(c − a, c − b; c; z) when that one's terms are smaller); NaN if the series does not
/// converge within 10⁶ terms.
double log_hyp2f1(double a, double b, double c, double z);

}  // namespace custhealth::btyd
