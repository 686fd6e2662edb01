// custhealth/churn/cox.hpp — Cox proportional hazards regression (DESIGN §4 "Churn risk", "Retention"):
// Efron's partial likelihood with weights, strata and an L2 penalty, fitted by Newton–Raphson with step halving.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "custhealth/enums.hpp"  // fit_status
#include "custhealth/churn/matrix_view.hpp"
#include "custhealth/churn/metrics.hpp"   // label_view, concordance_counts
#include "custhealth/error.hpp"

// The model (tests/cpp/test_churn_cox.cpp pins rossi against R's coxph, tests/python/test_cox.py against
// lifelines 0.30's CoxPHFitter): the hazard of row i in stratum s is h_s(t)·exp(βᵀxᵢ). β maximises
//
//   F(β) = ℓ(β) − n·(l2/2)·Σⱼ (βⱼ·sⱼ)²,
//
// ℓ the log partial likelihood with Efron's handling of tied event times (Efron 1977, eq. 3.7; with weights
// as R's survival::coxph and lifelines weigh it): at each distinct event time t of stratum s, with D the d
// events at t, R the rows of s with duration ≥ t, rᵢ = wᵢ·exp(βᵀxᵢ) and w̄ = Σ_D wᵢ / d,
//
//   ℓ += Σ_D wᵢ·βᵀxᵢ − w̄·Σ_{k=0}^{d−1} log(Σ_R rᵢ − (k/d)·Σ_D rᵢ).
//
// The penalty: n is the number of rows and sⱼ the sample standard deviation of column j (ddof 1, unweighted):
// l2 is lifelines' `penalizer` with l1_ratio = 0 exactly (lifelines fits on (x − mean)/sd and penalises
// n·penalizer/2·Σ β_std², β_std = β·s). It is per row and on the standardised scale, so it does not depend on n
// or on the columns' units; scaling all weights changes ℓ but not the penalty. Strata share β and have their
// own baseline hazard: each stratum's risk sets hold only its rows.
//
// Solver: Newton–Raphson on the standardised columns from β = 0, as R's coxph and lifelines: the direction
// δ = −H⁻¹∇F (H the analytic Hessian, by a pivoted LDLᵀ of −H), halved until F increases (step halving, at most
// 30 times). It stops when max_j |δⱼ| ≤ tol on the standardised scale (the Newton step that would still be
// taken), after max_iter steps, or when no halving increases F. One sort by (stratum, duration descending);
// each evaluation is one sweep keeping the risk-set sums Σ rᵢ and Σ rᵢxᵢ (O(n·p), plus O(p²) per event time)
// and one weighted Gram matrix Σ qᵢxᵢxᵢᵀ in place of the running Σ rᵢxᵢxᵢᵀ (src/cox.cpp): O(n·p²).
//
// Standard errors: √diag of (−H)⁻¹ at the optimum, the penalised Hessian (lifelines' and R's variance with a
// ridge penalty), taken to the original scale by the column scales.
//
// Baseline hazard (Breslow's estimator, as lifelines computes it after an Efron fit): at each distinct
// duration t, h_s(t) = Σ_{events of s at t} wᵢ / Σ_{rows of s with duration ≥ t} wᵢ·exp(βᵀ(xᵢ − x̄)), x̄ the
// columns' unweighted means over all rows: the baseline is that of the mean row (R's and lifelines' centring).
// The cumulative hazard H_s(t) = Σ_{t_k ≤ t} h_s(t_k) is a step function (0 before the first duration), and a
// row's survival is exp(−H_s(t)·exp(βᵀ(x − x̄))). Concordance: Harrell's index of the training rows against
// −exp(βᵀ(x − x̄)), pairs counted within strata (concordance() of metrics.hpp, summed over strata, as lifelines).
//
// Input rules (invalid_input naming the column and the row): x, durations finite; durations ≥ 0; events 0/1
// (not given: every row is an event) with at least one event; weights finite and > 0 (lifelines' rule); strata
// codes in [0, S); no constant column (sd ≤ 1e-12·|mean|); with l2 = 0 no column that is a linear combination of
// the others (1 − R² < 1e-10: the coefficients have no unique value); l2 finite and ≥ 0; equal lengths; n ≥ 1.

namespace custhealth {

struct cox_options {
  double l2 = 0.0;                   ///< n·(l2/2)·Σ(βⱼsⱼ)², lifelines' penalizer (l1_ratio = 0); ≥ 0
  int max_iter = 50;                 ///< Newton steps, ≥ 1 (a fit takes 4–8; lifelines allows 500, R 20)
  double tol = 1e-9;                 ///< on the largest component of the Newton step, standardised scale; > 0
  bool require_convergence = false;  ///< throw convergence_error instead of returning a non-converged model
  /// The names the error messages give the duration, event and weights inputs (a caller's column names).
  std::string duration_col = "duration", event_col = "event", weights_col = "weights";
};

/// What the fit reports, at the returned coefficients.
struct cox_fit_stats {
  fit_status status = fit_status::converged;
  int iterations = 0;                     ///< Newton steps taken
  double step_norm = 0.0;                 ///< max_j |δⱼ| of the Newton step at the returned coefficients
  double log_likelihood = 0.0;            ///< F: ℓ minus the penalty (lifelines' log_likelihood_; ℓ when l2 = 0)
  double partial_log_likelihood = 0.0;    ///< ℓ, without the penalty
  double null_log_likelihood = 0.0;       ///< ℓ(0), the model without covariates
  std::int64_t rows = 0, events = 0;      ///< n, and rows with an event
  double weight_sum = 0.0;                ///< Σ wᵢ (n without weights)
  bool converged() const noexcept { return status == fit_status::converged; }
};

/// The coefficient table, one row per covariate: z = coef/se, p = 2·(1 − Φ(|z|)), the interval
/// coef ± z_{(1+c)/2}·se and its exponential (the hazard ratio's).
struct cox_summary {
  std::vector<std::string> term;
  std::vector<double> coef, exp_coef, se, ci_lower, ci_upper, exp_ci_lower, exp_ci_upper, z, p;
};

/// The likelihood-ratio test of the model against no covariates: 2·(F − ℓ(0)) on p degrees of freedom
/// (lifelines' log_likelihood_ratio_test; R's "Likelihood ratio test").
struct cox_likelihood_ratio {
  double statistic = 0.0, p_value = 0.0;
  int degrees_of_freedom = 0;
};

/// A Cox proportional hazards model (see the block above for the likelihood, the penalty, the solver and the
/// input rules).
class cox_model {
 public:
  /// Fits the model. `x` is n × p (any strides), `durations` n values, `events` empty (all events) or n 0/1
  /// labels, `weights` empty or n weights, `strata` empty (one stratum) or n codes in [0, S) with S = the
  /// largest code + 1, `names` p distinct names (empty: x0, x1, …). Throws invalid_input for the bad input
  /// above and convergence_error only when options.require_convergence. O(n log n + iterations·n·p²).
  static cox_model fit(matrix_view x, std::span<const double> durations, label_view events,
                       std::span<const double> weights, std::span<const std::int32_t> strata,
                       std::vector<std::string> names, const cox_options& options = {});

  std::size_t n_features() const noexcept { return names_.size(); }
  const std::vector<std::string>& feature_names() const noexcept { return names_; }
  std::span<const double> coef() const noexcept { return coef_; }
  std::span<const double> se() const noexcept { return se_; }
  /// The p × p covariance of coef (row-major).
  std::span<const double> covariance() const noexcept { return covariance_; }
  /// The columns' unweighted means (the baseline's row) and sample standard deviations (ddof 1).
  std::span<const double> mean() const noexcept { return mean_; }
  std::span<const double> sd() const noexcept { return sd_; }
  double l2() const noexcept { return l2_; }
  std::size_t n_strata() const noexcept { return strata_; }
  const cox_fit_stats& stats() const noexcept { return stats_; }
  /// Harrell's concordance of the training rows, within strata.
  const concordance_counts& concordance() const noexcept { return concordance_; }

  /// The distinct training durations, ascending: the baseline's times.
  std::span<const double> baseline_times() const noexcept { return times_; }
  /// Breslow's baseline hazard, n_strata() × baseline_times().size() (row-major, one row per stratum; 0 at
  /// the times without an event of that stratum).
  std::span<const double> baseline_hazard() const noexcept { return hazard_; }

  cox_summary summary(double confidence = 0.95) const;
  cox_likelihood_ratio likelihood_ratio_test() const;

  /// βᵀ(x − x̄) for each row of x (R's linear predictor, lifelines' log partial hazard). `columns` maps model
  /// feature j to a column of x (empty: x's columns are the features in order). Non-finite values are
  /// invalid_input naming the feature and the row. `out` has x.rows values.
  void log_partial_hazard(matrix_view x, std::span<double> out, std::span<const std::size_t> columns = {}) const;

  /// The cumulative hazard H_s(t)·exp(βᵀ(x − x̄)) of each row of x at each of `times` (finite, any order),
  /// written times.size() × x.rows (row-major: one row per time, one column per row of x, as lifelines'
  /// frames); `strata` empty (an unstratified model) or x.rows codes of the model's strata. With `survival`,
  /// exp(−that) instead.
  void predict_cumulative_hazard(matrix_view x, std::span<const std::int32_t> strata, std::span<const double> times,
                                 std::span<double> out, std::span<const std::size_t> columns = {},
                                 bool survival = false) const;

 private:
  cox_model() = default;

  std::vector<std::string> names_;
  std::vector<double> coef_, se_, covariance_, mean_, sd_, times_, hazard_;
  double l2_ = 0.0;
  std::size_t strata_ = 1;
  cox_fit_stats stats_;
  concordance_counts concordance_;
};

}  // namespace custhealth
