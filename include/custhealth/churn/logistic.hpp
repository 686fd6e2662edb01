// custhealth/churn/logistic.hpp — the logistic churn model of DESIGN §4 "Churn risk": L2-penalised logistic
// regression over standardised columns by Newton's method, with standard errors, contributions and a JSON file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custhealth/enums.hpp"  // fit_status
#include "custhealth/churn/matrix_view.hpp"
#include "custhealth/churn/metrics.hpp"  // label_view
#include "custhealth/error.hpp"

// The model (tests/python/test_churn_logistic.py pins it against scikit-learn 1.9 and statsmodels 0.15):
//
//   minimise  f(b, θ) = Σᵢ wᵢ·[log(1 + e^{ηᵢ}) − yᵢ·ηᵢ] + (l2/2)·Σⱼ θⱼ²,   ηᵢ = b + Σⱼ θⱼ·(xᵢⱼ − μⱼ)/sⱼ
//
// μⱼ is the weighted mean of column j (Σ wᵢxᵢⱼ / Σ wᵢ) and sⱼ its weighted standard deviation with ddof 0
// (√(Σ wᵢ(xᵢⱼ − μⱼ)² / Σ wᵢ)) — what sklearn's StandardScaler().fit(X, sample_weight=w) computes — or sⱼ = 1
// with `standardize = false`. The intercept b is not penalised, so centring changes only b and the fit equals
// make_pipeline(StandardScaler(), LogisticRegression(C=1/l2)) (penalty=None when l2 = 0), or
// LogisticRegression(C=1/l2) on the raw columns without standardisation.
//
// Solver: Newton's method (IRLS) from θ = 0, b = logit(weighted churn rate); the Newton direction solves the
// penalised Hessian H = Zᵀ diag(wᵢpᵢ(1 − pᵢ)) Z + l2·I (no penalty on b) by a pivoted LDLᵀ, then a
// backtracking line search (Armijo, c = 1e-4, halving) on f. It stops when max_j |∂f/∂θⱼ| / Σ wᵢ ≤ tol (the
// gradient of the *mean* loss, so tol does not depend on n — scikit-learn scales its lbfgs gradient the same
// way), after max_iter Newton steps, or when the line search finds no decrease.
//
// Input rules (each an invalid_input whose message names the column and the row): X finite — NaN and ±inf are
// rejected, not imputed (impute before fitting, e.g. with a missing-indicator column, and say how); y 0/1;
// weights finite and ≥ 0 with a positive sum, and both classes present among rows of positive weight; no
// constant column (its standard deviation is 0 up to rounding: sd ≤ 1e-12·|mean|); with l2 = 0 no column that
// is a linear combination of the others (1 − R² < 1e-10 in the weighted correlation matrix of the columns: the
// fit has no unique solution). With l2 > 0 collinear columns are allowed, as scikit-learn allows them: the
// penalty makes the problem strictly convex and splits the weight between them.

namespace custhealth {

/// How a fit ended: converged means max_j |∂f/∂θⱼ| / Σw ≤ tol (enums.hpp fit_status; shared with the Cox and BTYD fits).
using logistic_status = fit_status;

struct logistic_options {
  double l2 = 1.0;               ///< the penalty (l2/2)·Σθⱼ² on the fitted scale; ≥ 0 (C = 1/l2 in scikit-learn)
  bool standardize = true;       ///< fit on (x − μ)/sd (true) or on x − μ (false: the penalty is on raw coefficients)
  int max_iter = 100;            ///< Newton steps, ≥ 1
  double tol = 1e-8;             ///< on the mean gradient's largest component, > 0
  bool require_convergence = false;  ///< throw convergence_error instead of returning a non-converged model
  /// Threads for the passes over X (≥ 1). The rows are cut into fixed chunks whose sums are added in
  /// order, so the fit is the same to the bit for any number of threads.
  std::int32_t n_threads = 1;
};

/// What the fit reports; `objective` and `log_loss` are at the returned coefficients.
struct logistic_fit_stats {
  logistic_status status = logistic_status::converged;
  int iterations = 0;            ///< Newton steps taken
  double gradient_norm = 0.0;    ///< max_j |∂f/∂θⱼ| / Σw at the returned coefficients (b included)
  double objective = 0.0;        ///< f, the penalised objective above
  double log_loss = 0.0;         ///< Σ wᵢ·logloss_i / Σ wᵢ (= sklearn.metrics.log_loss with the same weights)
  double weight_sum = 0.0;       ///< Σ wᵢ (n without weights)
  std::int64_t rows = 0;         ///< n, rows of weight 0 included
  bool converged() const noexcept { return status == logistic_status::converged; }
};

/// The coefficient table, one row per feature then the intercept (term "intercept"), on the original scale:
/// z = coef / se, p = 2·(1 − Φ(|z|)), the CI coef ± z_{(1+c)/2}·se; coef_std is the coefficient per training
/// standard deviation (the fitted parameter when standardize = true) and, for the intercept, the logit of the
/// mean account.
struct logistic_summary {
  std::vector<std::string> term;
  std::vector<double> coef, se, z, p, ci_lower, ci_upper, coef_std, se_std;
};

/// An L2-penalised logistic regression for churn (see the block above for the objective, the solver and the
/// input rules). Scoring: logit(x) = intercept_std + Σⱼ coef_std[j]·(xⱼ − mean[j])/sd[j]; the terms of that
/// sum are the contributions, so a row's contributions (features, then intercept_std, the baseline logit of
/// the mean account) add up to its logit — to the bit, as predict_logit sums them in that order.
///
/// Standard errors: the square roots of the diagonal of the inverse penalised Hessian H⁻¹ at the optimum,
/// taken from the fitted scale to the original one exactly by the linear map of the coefficients
/// (coef = coef_std/sd, intercept = intercept_std − Σ coef·mean): Cov = A·H⁻¹·Aᵀ. With l2 = 0 that is the
/// inverse Fisher information of the raw design, statsmodels' Logit(y, add_constant(X)).fit().bse (and
/// GLM(…, freq_weights=w) with weights); with l2 > 0 it is the usual Bayesian (Gaussian-prior) approximation,
/// which is smaller than the unpenalised one — read it with that in mind.
class logistic_churn_model {
 public:
  static constexpr std::string_view format_name = "custhealth.logistic_churn";
  static constexpr int format_version = 1;

  /// Fits the model. `x` is n × p (any strides), `y` n labels (0/1), `sample_weight` empty or n weights,
  /// `feature_names` p distinct names (empty: x0, x1, …). Throws invalid_input for the bad input listed above
  /// and convergence_error only when options.require_convergence; otherwise a fit that did not converge is
  /// returned with its status. Complexity: O(n·p²) per Newton step, reading x in blocks (no copy of it),
  /// on options.n_threads threads.
  static logistic_churn_model fit(matrix_view x, label_view y, std::span<const double> sample_weight,
                                  std::vector<std::string> feature_names, const logistic_options& options = {});

  /// The model of a file written by to_json(); model_spec_error naming the JSON path otherwise.
  static logistic_churn_model from_json(std::string_view text, std::string_view source = "model");
  /// The model file: format, version, options, per feature name/mean/sd/coef/coef_std/se/se_std, the
  /// intercept, the fit statistics (models/logistic_churn.schema.json). Doubles are written to round-trip.
  std::string to_json() const;

  std::size_t n_features() const noexcept { return names_.size(); }
  const std::vector<std::string>& feature_names() const noexcept { return names_; }
  std::span<const double> mean() const noexcept { return mean_; }
  std::span<const double> sd() const noexcept { return sd_; }
  std::span<const double> coef_std() const noexcept { return coef_std_; }
  double intercept_std() const noexcept { return intercept_std_; }
  std::span<const double> coef() const noexcept { return coef_; }
  double intercept() const noexcept { return intercept_; }
  std::span<const double> se() const noexcept { return se_; }
  double intercept_se() const noexcept { return intercept_se_; }
  std::span<const double> se_std() const noexcept { return se_std_; }
  double intercept_se_std() const noexcept { return intercept_se_std_; }
  double l2() const noexcept { return l2_; }
  bool standardize() const noexcept { return standardize_; }
  int max_iter() const noexcept { return max_iter_; }
  double tol() const noexcept { return tol_; }
  const logistic_fit_stats& stats() const noexcept { return stats_; }

  logistic_summary summary(double confidence = 0.95) const;

  /// For each model feature, its position among `names` (a scoring frame's columns, in any order); throws
  /// invalid_input listing the missing and the extra names when the sets differ.
  std::vector<std::size_t> columns_for(std::span<const std::string> names) const;

  /// logit, P(churn) and contributions for each row of x. `columns` maps model feature j to a column of x
  /// (from columns_for); empty means x's columns are the model's features in order (x.cols must be p).
  /// Non-finite values are invalid_input naming the feature and the row. `out` has x.rows values, or
  /// x.rows·(p + 1) for contributions (row-major: p features, then the intercept).
  void predict_logit(matrix_view x, std::span<double> out, std::span<const std::size_t> columns = {}) const;
  void predict_proba(matrix_view x, std::span<double> out, std::span<const std::size_t> columns = {}) const;
  void contributions(matrix_view x, std::span<double> out, std::span<const std::size_t> columns = {}) const;

 private:
  logistic_churn_model() = default;
  void derive();  // coef_ and intercept_ (the original scale) from coef_std_, intercept_std_, mean_ and sd_

  std::vector<std::string> names_;
  std::vector<double> mean_, sd_, coef_std_, se_std_, coef_, se_;
  double intercept_std_ = 0.0, intercept_se_std_ = 0.0, intercept_ = 0.0, intercept_se_ = 0.0;
  double l2_ = 1.0;
  bool standardize_ = true;
  int max_iter_ = 100;
  double tol_ = 1e-8;
  logistic_fit_stats stats_;
};

}  // namespace custhealth
