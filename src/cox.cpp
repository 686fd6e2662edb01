// src/cox.cpp — the Cox model's fit (Newton–Raphson with step halving on Efron's partial likelihood, one sweep
// of the rows sorted by stratum and descending duration per evaluation), its baseline and its predictions.
// The definitions and the input rules: cox.hpp.

#include "custhealth/churn/cox.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "custhealth/detail/stats.hpp"
#include "design_checks.hpp"

namespace custhealth {

namespace {

constexpr std::string_view where = "CoxPH";
constexpr double eps = std::numeric_limits<double>::epsilon();

using detail::metrics::number;

[[noreturn]] void fail(const std::string& what) { throw invalid_input(std::string(where) + ": " + what); }

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

/// The rows in the solver's order: by stratum, then by duration descending, standardised covariates
/// z = (x − mean)/sd row-major.
using row_matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct sorted_rows {
  std::size_t n = 0, p = 0;
  std::vector<double> z, time, weight, event;
  std::vector<std::int32_t> stratum;
  const double* row(std::size_t i) const noexcept { return z.data() + i * p; }
  /// The end of the group of rows [i, end) with the stratum and duration of row i (their risk set is the same).
  std::size_t group_end(std::size_t i) const noexcept {
    std::size_t e = i + 1;
    while (e < n && stratum[e] == stratum[i] && time[e] == time[i]) ++e;
    return e;
  }
};

/// −F, its gradient and its Hessian (positive definite) on the standardised scale; ℓ unpenalised.
struct evaluation {
  double objective = 0.0, loglik = 0.0;
  Eigen::VectorXd gradient;
  Eigen::MatrixXd hessian;  // lower triangle
};

class efron {
 public:
  efron(const sorted_rows& rows, double l2) : r_(rows), penalty_(static_cast<double>(rows.n) * l2) {
    // The tied groups: [starts[g], starts[g + 1]) share stratum and duration.
    for (std::size_t i = 0; i < rows.n; i = rows.group_end(i)) starts_.push_back(i);
    starts_.push_back(rows.n);
  }

  /// −F, and with `derivatives` its gradient and Hessian, in one sweep from the longest duration down that
  /// keeps the risk set's Σr and Σr·z (r = w·exp(η − c), c = max η: ℓ does not change, since Σ_D w·c = w̄·d·c
  /// cancels the c of each log term, and exp cannot overflow). At an event group (d deaths, den_k = S0 − f_k·T0,
  /// f_k = k/d, m_k = (S1 − f_k·T1)/den_k):
  ///   −∇ℓ += w̄·Σ_k m_k − Σ_D w·z,   Σ_k m_k = S1·Σ1/den_k − T1·Σf_k/den_k;
  ///   −∇²ℓ += w̄·Σ_k [(S2 − f_k·T2)/den_k − m_k·m_kᵀ].
  /// The outer products Σ_k m_k·m_kᵀ expand into S1·S1ᵀ, S1·T1ᵀ and T1·T1ᵀ with scalar sums over k (O(p²) per
  /// group, not per death), and the S2 and T2 terms, summed over groups, are one weighted Gram matrix
  /// Σᵢ qᵢ·zᵢzᵢᵀ: row i is in the risk set S2 of every group of its stratum at or below its duration, so
  /// qᵢ = rᵢ·Σ_{those g} w̄_g·Σ_k 1/den_k, less rᵢ·w̄_g·Σ_k f_k/den_k of its own group when it is a death.
  /// That keeps the per-row work O(p) and the O(n·p²) part in a blocked symmetric rank update.
  void evaluate(const Eigen::VectorXd& beta, evaluation& e, bool derivatives) const {
    const std::size_t n = r_.n, p = r_.p, groups = starts_.size() - 1;
    const auto pp = static_cast<Eigen::Index>(p);
    const Eigen::Map<const row_matrix> z(r_.z.data(), static_cast<Eigen::Index>(n), pp);
    Eigen::Map<Eigen::VectorXd> eta(eta_.data(), static_cast<Eigen::Index>(n));
    eta.noalias() = z * beta;
    const double c = eta.maxCoeff();
    for (std::size_t i = 0; i < n; ++i) risk_[i] = r_.weight[i] * std::exp(eta_[i] - c);
    if (derivatives) {
      e.gradient.setZero(pp);
      e.hessian.setZero(pp, pp);
    }
    Eigen::VectorXd s1 = Eigen::VectorXd::Zero(pp), t1(pp), xs(pp);
    double ll = 0.0, s0 = 0.0;
    for (std::size_t g = 0; g < groups; ++g) {
      const std::size_t begin = starts_[g], end = starts_[g + 1];
      if (begin == 0 || r_.stratum[begin] != r_.stratum[begin - 1]) s0 = 0.0, s1.setZero();  // a new risk set
      double t0 = 0.0, deaths = 0.0, death_weight = 0.0;
      if (derivatives) t1.setZero(), xs.setZero();
      for (std::size_t i = begin; i < end; ++i) {
        const double risk = risk_[i];
        s0 += risk;
        if (derivatives) s1.noalias() += risk * z.row(static_cast<Eigen::Index>(i)).transpose();
        if (r_.event[i] == 0.0) continue;
        t0 += risk, deaths += 1.0, death_weight += r_.weight[i];
        ll += r_.weight[i] * (eta_[i] - c);
        if (derivatives) {
          t1.noalias() += risk * z.row(static_cast<Eigen::Index>(i)).transpose();
          xs.noalias() += r_.weight[i] * z.row(static_cast<Eigen::Index>(i)).transpose();
        }
      }
      inverse_[g] = fraction_[g] = 0.0;
      if (deaths == 0.0) continue;
      const double mean_weight = death_weight / deaths;
      const auto d = static_cast<std::size_t>(deaths);
      double a = 0.0, b = 0.0, a2 = 0.0, b2 = 0.0, c2 = 0.0;  // Σ1/den, Σf/den, Σ1/den², Σf/den², Σf²/den²
      for (std::size_t k = 0; k < d; ++k) {
        const double f = static_cast<double>(k) / deaths, den = s0 - f * t0;
        ll -= mean_weight * std::log(den);
        a += 1.0 / den, b += f / den;
        a2 += 1.0 / (den * den), b2 += f / (den * den), c2 += f * f / (den * den);
      }
      inverse_[g] = mean_weight * a;
      fraction_[g] = mean_weight * b;
      if (!derivatives) continue;
      e.gradient.noalias() += mean_weight * (a * s1 - b * t1) - xs;
      auto h = e.hessian.selfadjointView<Eigen::Lower>();
      h.rankUpdate(s1, -mean_weight * a2);
      h.rankUpdate(s1, t1, mean_weight * b2);
      h.rankUpdate(t1, -mean_weight * c2);
    }
    e.loglik = ll;
    e.objective = -ll + 0.5 * penalty_ * beta.squaredNorm();
    if (!derivatives) return;
    // q per row: the running sum of w̄·Σ1/den over the groups at or below its duration in its stratum.
    double running = 0.0;
    for (std::size_t g = groups; g-- > 0;) {
      const std::size_t begin = starts_[g], end = starts_[g + 1];
      if (end == n || r_.stratum[end] != r_.stratum[begin]) running = 0.0;  // the stratum's shortest duration
      running += inverse_[g];
      for (std::size_t i = begin; i < end; ++i)
        q_[i] = std::sqrt(risk_[i] * (running - (r_.event[i] != 0.0 ? fraction_[g] : 0.0)));
    }
    constexpr std::size_t block = 256;
    row_matrix scaled;
    for (std::size_t i0 = 0; i0 < n; i0 += block) {
      const auto m = static_cast<Eigen::Index>(std::min(block, n - i0));
      const auto first = static_cast<Eigen::Index>(i0);
      scaled = Eigen::Map<const Eigen::VectorXd>(q_.data() + i0, m).asDiagonal() * z.middleRows(first, m);
      e.hessian.selfadjointView<Eigen::Lower>().rankUpdate(scaled.transpose());
    }
    e.gradient += penalty_ * beta;
    e.hessian.diagonal().array() += penalty_;
  }

  /// Sizes the per-row and per-group scratch once.
  void reserve() const {
    eta_.resize(r_.n), risk_.resize(r_.n), q_.resize(r_.n);
    inverse_.resize(starts_.size()), fraction_.resize(starts_.size());
  }

 private:
  const sorted_rows& r_;
  double penalty_;  // n·l2
  std::vector<std::size_t> starts_;
  mutable std::vector<double> eta_, risk_, q_, inverse_, fraction_;  // per row; per group: w̄·Σ1/den, w̄·Σf/den
};

/// The unweighted mean and the sample standard deviation (ddof 1) of each column, as lifelines standardises.
void column_moments(const sorted_rows& rows, const std::vector<double>& raw, std::vector<double>& mean,
                    std::vector<double>& sd) {
  const std::size_t n = rows.n, p = rows.p;
  mean.assign(p, 0.0);
  sd.assign(p, 0.0);
  for (std::size_t j = 0; j < p; ++j) {
    detail::metrics::compensated_sum s;
    for (std::size_t i = 0; i < n; ++i) s.add(raw[i * p + j]);
    mean[j] = s.value() / static_cast<double>(n);
    detail::metrics::compensated_sum q;
    for (std::size_t i = 0; i < n; ++i) q.add((raw[i * p + j] - mean[j]) * (raw[i * p + j] - mean[j]));
    sd[j] = n > 1 ? std::sqrt(q.value() / static_cast<double>(n - 1)) : 0.0;
  }
}

}  // namespace

// ---- fit ----------------------------------------------------------------------------------------------

cox_model cox_model::fit(matrix_view x, std::span<const double> durations, label_view events,
                         std::span<const double> weights, std::span<const std::int32_t> strata,
                         std::vector<std::string> names, const cox_options& options) {
  const std::size_t n = x.rows, p = x.cols;
  if (!(options.l2 >= 0.0 && std::isfinite(options.l2))) fail("l2 must be finite and >= 0, got " + number(options.l2));
  if (options.max_iter < 1) fail("max_iter must be >= 1, got " + std::to_string(options.max_iter));
  if (!(options.tol > 0.0 && std::isfinite(options.tol)))
    fail("tol must be finite and > 0, got " + number(options.tol));
  if (p == 0) fail("X has no covariate columns");
  if (names.empty()) names = detail::default_names(p);
  if (names.size() != p) fail(std::to_string(names.size()) + " covariate names for " + std::to_string(p) + " columns");
  detail::check_names(where, names);
  const std::string duration_col = "duration column " + in_quotes(options.duration_col),
                    event_col = "event column " + in_quotes(options.event_col),
                    weights_col = "weights column " + in_quotes(options.weights_col);
  auto check_length = [&](const std::string& what, std::size_t size) {
    if (size != n) fail(what + " has " + std::to_string(size) + " values but X has " + std::to_string(n) + " rows");
  };
  check_length(duration_col, durations.size());
  if (events.given()) check_length(event_col, events.size());
  if (!weights.empty()) check_length(weights_col, weights.size());
  if (!strata.empty()) check_length("the strata", strata.size());
  if (n == 0) fail("empty input: no rows");

  auto at = [](std::size_t i, double v) { return " row " + std::to_string(i) + " is " + number(v); };
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(durations[i])) fail(duration_col + at(i, durations[i]) + ": durations must be finite");
    if (durations[i] < 0) fail(duration_col + at(i, durations[i]) + ": durations must be >= 0");
    if (!weights.empty() && !(weights[i] > 0.0 && std::isfinite(weights[i])))
      fail(weights_col + at(i, weights[i]) + ": weights must be finite and > 0");
    if (!strata.empty() && strata[i] < 0) fail("the stratum code of row " + std::to_string(i) + " is negative");
  }
  std::vector<double> event(n, 1.0);
  if (events.given())
    events.visit([&](auto values) {
      for (std::size_t i = 0; i < n; ++i) {
        const auto v = values[i];
        if (v == 0) event[i] = 0.0;
        else if (v != 1) fail(event_col + at(i, static_cast<double>(v)) + ": events must be 0 or 1");
      }
    });
  detail::check_finite(where, x, {}, names, "X");

  // Sort once: stratum ascending, duration descending (ties by row, so the order is deterministic).
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto stratum_of = [&](std::size_t i) { return strata.empty() ? std::int32_t{0} : strata[i]; };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (stratum_of(a) != stratum_of(b)) return stratum_of(a) < stratum_of(b);
    if (durations[a] != durations[b]) return durations[a] > durations[b];
    return a < b;
  });
  sorted_rows rows;
  rows.n = n;
  rows.p = p;
  rows.z.resize(n * p);
  rows.time.resize(n);
  rows.weight.resize(n);
  rows.event.resize(n);
  rows.stratum.resize(n);
  double weight_sum = 0.0;
  std::int64_t deaths = 0;
  for (std::size_t r = 0; r < n; ++r) {
    const std::size_t i = order[r];
    for (std::size_t j = 0; j < p; ++j) rows.z[r * p + j] = x(i, j);
    rows.time[r] = durations[i];
    rows.weight[r] = weights.empty() ? 1.0 : weights[i];
    rows.event[r] = event[i];
    rows.stratum[r] = stratum_of(i);
    weight_sum += rows.weight[r];
    deaths += event[i] != 0.0;
  }
  if (deaths == 0) fail("no events: the event column is 0 on every row, so the partial likelihood is constant");

  cox_model model;
  model.names_ = std::move(names);
  model.l2_ = options.l2;
  model.strata_ = static_cast<std::size_t>(rows.stratum.back()) + 1;
  column_moments(rows, rows.z, model.mean_, model.sd_);
  for (std::size_t j = 0; j < p; ++j)
    if (!(model.sd_[j] > 1e-12 * std::fabs(model.mean_[j])))
      fail("column " + in_quotes(model.names_[j]) + " is constant (" + number(model.mean_[j]) +
           "): it carries no information and cannot be standardised; drop it");
  for (std::size_t r = 0; r < n; ++r)
    for (std::size_t j = 0; j < p; ++j) rows.z[r * p + j] = (rows.z[r * p + j] - model.mean_[j]) / model.sd_[j];

  const auto pp = static_cast<Eigen::Index>(p);
  if (options.l2 == 0.0) {
    const Eigen::Map<const row_matrix> z(rows.z.data(), static_cast<Eigen::Index>(n), pp);
    const Eigen::MatrixXd cross = z.transpose() * z;
    detail::check_rank(where, cross, model.names_);
  }

  // Newton–Raphson with step halving (cox.hpp) on the standardised scale.
  const efron solver(rows, options.l2);
  solver.reserve();
  cox_fit_stats& st = model.stats_;
  Eigen::VectorXd beta = Eigen::VectorXd::Zero(pp), dir;
  evaluation now, trial;
  solver.evaluate(beta, now, true);
  st.null_log_likelihood = now.loglik;
  st.status = fit_status::max_iter;
  for (int step = 0;; ++step) {
    const Eigen::MatrixXd h = now.hessian.selfadjointView<Eigen::Lower>();
    const Eigen::LDLT<Eigen::MatrixXd> ldlt(h);
    dir = ldlt.solve(-now.gradient);
    if (ldlt.info() != Eigen::Success || !dir.allFinite() || !(now.gradient.dot(dir) <= 0.0)) {
      st.status = fit_status::line_search_failed;
      break;
    }
    st.step_norm = dir.cwiseAbs().maxCoeff();
    if (st.step_norm <= options.tol) {
      st.status = fit_status::converged;
      break;
    }
    if (step == options.max_iter) break;
    // The full step, or one whose objective is within rounding of the current one (near the optimum);
    // otherwise halve it until −F falls, as R's coxph does.
    const double slack = 16 * eps * std::fabs(now.objective);
    solver.evaluate(beta + dir, trial, true);
    if (std::isfinite(trial.objective) && trial.objective <= now.objective + slack) {
      beta += dir;
      std::swap(now, trial);
    } else {
      double t = 1.0;
      bool found = false;
      for (int halving = 0; halving < 30 && !found; ++halving) {
        t *= 0.5;
        solver.evaluate(beta + t * dir, trial, false);
        found = std::isfinite(trial.objective) && trial.objective <= now.objective + slack;
      }
      if (!found) {
        st.status = fit_status::line_search_failed;
        break;
      }
      beta += t * dir;
      solver.evaluate(beta, now, true);
    }
    st.iterations = step + 1;
  }
  st.log_likelihood = -now.objective;
  st.partial_log_likelihood = now.loglik;
  st.rows = static_cast<std::int64_t>(n);
  st.events = deaths;
  st.weight_sum = weight_sum;
  if (options.require_convergence && !st.converged())
    throw convergence_error(std::string(where) + ": no convergence (" + std::string(to_string(st.status)) +
                            ") after " + std::to_string(st.iterations) + " Newton steps; step " +
                            number(st.step_norm) + " > tol " + number(options.tol));

  // Coefficients and their covariance on the original scale: β = β_std/sd, Cov = (−H)⁻¹ / (sd·sdᵀ).
  const Eigen::MatrixXd h = now.hessian.selfadjointView<Eigen::Lower>();
  const Eigen::MatrixXd cov = h.ldlt().solve(Eigen::MatrixXd::Identity(pp, pp));
  model.coef_.resize(p);
  model.se_.resize(p);
  model.covariance_.resize(p * p);
  for (std::size_t j = 0; j < p; ++j) {
    const auto jj = static_cast<Eigen::Index>(j);
    model.coef_[j] = beta[jj] / model.sd_[j];
    for (std::size_t l = 0; l < p; ++l)
      model.covariance_[j * p + l] = cov(jj, static_cast<Eigen::Index>(l)) / (model.sd_[j] * model.sd_[l]);
    model.se_[j] = std::sqrt(model.covariance_[j * p + j]);
  }

  // Breslow's baseline at the mean row, and the concordance within strata, from βᵀ(x − x̄) = β_stdᵀz.
  std::vector<double> eta(n), minus_hazard(n);
  for (std::size_t r = 0; r < n; ++r) {
    const double* z = rows.row(r);
    double s = 0.0;
    for (std::size_t j = 0; j < p; ++j) s += z[j] * beta[static_cast<Eigen::Index>(j)];
    eta[r] = s;
    minus_hazard[r] = -std::exp(s);  // lifelines ranks by −partial hazard: longer survival, higher score
  }
  model.times_ = rows.time;
  std::sort(model.times_.begin(), model.times_.end());
  model.times_.erase(std::unique(model.times_.begin(), model.times_.end()), model.times_.end());
  const std::size_t nt = model.times_.size();
  model.hazard_.assign(model.strata_ * nt, 0.0);
  double risk = 0.0;
  std::size_t stratum_begin = 0;
  for (std::size_t i = 0; i < n;) {
    if (i == 0 || rows.stratum[i] != rows.stratum[i - 1]) risk = 0.0, stratum_begin = i;
    const std::size_t end = rows.group_end(i);
    double dead = 0.0;
    for (; i < end; ++i) {
      risk += rows.weight[i] * std::exp(eta[i]);
      dead += rows.weight[i] * rows.event[i];
    }
    const auto found = std::lower_bound(model.times_.begin(), model.times_.end(), rows.time[end - 1]);
    const auto t = static_cast<std::size_t>(found - model.times_.begin());
    model.hazard_[static_cast<std::size_t>(rows.stratum[end - 1]) * nt + t] = dead / risk;
    if (end == n || rows.stratum[end] != rows.stratum[end - 1]) {  // the stratum's last row: its concordance
      const std::size_t m = end - stratum_begin;
      const concordance_counts c = custhealth::concordance(
          std::span<const double>(rows.time).subspan(stratum_begin, m),
          std::span<const double>(minus_hazard).subspan(stratum_begin, m),
          label_view(std::span<const double>(rows.event).subspan(stratum_begin, m)));
      model.concordance_.concordant += c.concordant;
      model.concordance_.tied += c.tied;
      model.concordance_.pairs += c.pairs;
    }
  }
  return model;
}

// ---- results ------------------------------------------------------------------------------------------

cox_summary cox_model::summary(double confidence) const {
  if (!(confidence > 0.0 && confidence < 1.0)) fail("confidence must lie in (0, 1), got " + number(confidence));
  const double zc = detail::z_critical(confidence);
  cox_summary out;
  for (std::size_t j = 0; j < names_.size(); ++j) {
    const double b = coef_[j], s = se_[j];
    out.term.push_back(names_[j]);
    out.coef.push_back(b);
    out.exp_coef.push_back(std::exp(b));
    out.se.push_back(s);
    out.ci_lower.push_back(b - zc * s);
    out.ci_upper.push_back(b + zc * s);
    out.exp_ci_lower.push_back(std::exp(b - zc * s));
    out.exp_ci_upper.push_back(std::exp(b + zc * s));
    out.z.push_back(b / s);
    out.p.push_back(detail::normal_two_sided_p(b / s));
  }
  return out;
}

cox_likelihood_ratio cox_model::likelihood_ratio_test() const {
  cox_likelihood_ratio out;
  out.statistic = 2.0 * (stats_.log_likelihood - stats_.null_log_likelihood);
  out.degrees_of_freedom = static_cast<int>(names_.size());
  out.p_value = detail::chi2_sf(out.statistic, out.degrees_of_freedom);
  return out;
}

void cox_model::log_partial_hazard(matrix_view x, std::span<double> out, std::span<const std::size_t> columns) const {
  detail::check_scoring_input(where, x, columns, names_, out.size(), 1);
  const std::size_t k = names_.size();
  for (std::size_t i = 0; i < x.rows; ++i) {
    double s = 0.0;
    for (std::size_t j = 0; j < k; ++j) s += (x(i, columns.empty() ? j : columns[j]) - mean_[j]) * coef_[j];
    out[i] = s;
  }
}

void cox_model::predict_cumulative_hazard(matrix_view x, std::span<const std::int32_t> strata,
                                          std::span<const double> times, std::span<double> out,
                                          std::span<const std::size_t> columns, bool survival) const {
  const std::size_t m = x.rows, nt = times_.size();
  if (strata.empty() && strata_ > 1)
    fail("the model has " + std::to_string(strata_) + " strata: give each row's stratum");
  if (!strata.empty() && strata.size() != m)
    fail("the strata have " + std::to_string(strata.size()) + " values but X has " + std::to_string(m) + " rows");
  for (std::size_t i = 0; i < strata.size(); ++i)
    if (strata[i] < 0 || static_cast<std::size_t>(strata[i]) >= strata_)
      fail("row " + std::to_string(i) + " has stratum code " + std::to_string(strata[i]) + ", not one of the model's " +
           std::to_string(strata_));
  for (std::size_t t = 0; t < times.size(); ++t)
    if (!std::isfinite(times[t]))
      fail("times[" + std::to_string(t) + "] is " + number(times[t]) + ": times must be finite");
  if (out.size() != times.size() * m)
    fail("the output holds " + std::to_string(out.size()) + " values for " + std::to_string(times.size() * m));
  std::vector<double> eta(m);
  log_partial_hazard(x, eta, columns);
  // The cumulative baseline of each stratum at each requested time: a step function, 0 before the first time.
  std::vector<double> cumulative(strata_ * times.size());
  for (std::size_t s = 0; s < strata_; ++s) {
    std::vector<double> running(nt);
    double sum = 0.0;
    for (std::size_t k = 0; k < nt; ++k) running[k] = sum += hazard_[s * nt + k];
    for (std::size_t t = 0; t < times.size(); ++t) {
      const auto after = std::upper_bound(times_.begin(), times_.end(), times[t]);  // the first time > t
      const auto k = static_cast<std::size_t>(after - times_.begin());
      cumulative[s * times.size() + t] = k == 0 ? 0.0 : running[k - 1];
    }
  }
  for (std::size_t t = 0; t < times.size(); ++t)
    for (std::size_t i = 0; i < m; ++i) {
      const std::size_t s = strata.empty() ? 0 : static_cast<std::size_t>(strata[i]);
      const double h = cumulative[s * times.size() + t] * std::exp(eta[i]);
      out[t * m + i] = survival ? std::exp(-h) : h;
    }
}

}  // namespace custhealth
