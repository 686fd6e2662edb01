// src/logistic.cpp — the logistic churn model's fit (Newton/IRLS over blocks of standardised rows, Eigen),
// its scoring, and its model file (nlohmann/json, every error with its JSON path). The rules: logistic.hpp.

#include "custhealth/churn/logistic.hpp"
#include "custhealth/parallel.hpp"

#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <unordered_map>
#include <utility>

#include "custhealth/detail/stats.hpp"
#include "design_checks.hpp"
#include "json_reader.hpp"

namespace custhealth {

namespace {

constexpr std::string_view where = "LogisticChurnModel";
constexpr double nan = std::numeric_limits<double>::quiet_NaN();
constexpr double eps = std::numeric_limits<double>::epsilon();
constexpr std::size_t block_rows = 256;  // 256 × 33 doubles = 66 KiB: the block stays in L2 between its uses
// Passes over X split the rows into fixed chunks whose partial sums are added in chunk order, so the result
// is the same to the bit whatever the number of threads that ran them.
constexpr std::size_t chunk_rows = 32768;

using detail::metrics::number;
using block = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

[[noreturn]] void fail(const std::string& what) { throw invalid_input(std::string(where) + ": " + what); }

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

/// log(1 + e^η) without overflow, and σ(η) = 1/(1 + e^−η), from one exponential. log(1 + t) rather than
/// log1p(t) (twice as fast in glibc): for t below ε it is off by t < 2.2e-16 in absolute terms, far below
/// what a sum of losses resolves.
struct logistic_terms {
  double softplus, p;
};
inline logistic_terms terms(double eta) noexcept {
  const double t = std::exp(-std::fabs(eta));
  const double sp = std::max(eta, 0.0) + std::log(1.0 + t);
  const double p = eta >= 0 ? 1.0 / (1.0 + t) : t / (1.0 + t);
  return {sp, p};
}

/// The design as the solver sees it: column j of the model is column cols[j] of x (identity when empty),
/// centred by mu and multiplied by inv_scale; a last column of ones carries the intercept.
struct design {
  matrix_view x;
  std::span<const std::size_t> cols;
  std::span<const double> mu, inv_scale;

  std::size_t p() const noexcept { return mu.size(); }
  std::size_t column(std::size_t j) const noexcept { return cols.empty() ? j : cols[j]; }

  /// Rows [i0, i0 + m) into z (m × (p + 1), row-major).
  void fill(std::size_t i0, std::size_t m, block& z) const {
    const std::size_t k = p();
    z.resize(static_cast<Eigen::Index>(m), static_cast<Eigen::Index>(k + 1));
    if (x.col_stride == 1 && cols.empty()) {  // C order: each row is contiguous
      for (std::size_t r = 0; r < m; ++r) {
        const double* row = x.data + static_cast<std::ptrdiff_t>(i0 + r) * x.row_stride;
        double* out = z.data() + r * (k + 1);
        for (std::size_t j = 0; j < k; ++j) out[j] = (row[j] - mu[j]) * inv_scale[j];
        out[k] = 1.0;
      }
      return;
    }
    for (std::size_t j = 0; j < k; ++j) {  // column by column: Fortran order reads contiguously
      const double* col = x.data + static_cast<std::ptrdiff_t>(column(j)) * x.col_stride;
      for (std::size_t r = 0; r < m; ++r)
        z(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(j)) =
            (col[static_cast<std::ptrdiff_t>(i0 + r) * x.row_stride] - mu[j]) * inv_scale[j];
    }
    z.col(static_cast<Eigen::Index>(k)).setOnes();
  }
};

/// f(c, begin, end) for each chunk c of [0, n), the chunks in contiguous blocks on up to `threads`
/// threads. Each chunk's sums are kept apart and added in chunk order afterwards, so the bits do not
/// depend on the count (nor on where the blocks fall).
template <class F>
void for_each_chunk(std::size_t n, std::int32_t threads, F&& f) {
  const std::size_t chunks = (n + chunk_rows - 1) / chunk_rows;
  for_each_block(chunks, threads, [&](std::size_t first, std::size_t last) {
    for (std::size_t c = first; c < last; ++c) f(c, c * chunk_rows, std::min(n, (c + 1) * chunk_rows));
  });
}

std::size_t chunk_count(std::size_t n) { return (n + chunk_rows - 1) / chunk_rows; }

/// f, the gradient and the lower triangle of the Hessian at phi; eta receives Zφ.
struct evaluation {
  bool exact = true;  // the Hessian summed in double (else in float: good for a Newton direction only)
  double objective = 0.0, loss = 0.0;
  Eigen::VectorXd gradient;
  Eigen::MatrixXd hessian;  // lower triangle only
  std::vector<double> eta;
};

class solver {
 public:
  solver(const design& d, std::span<const double> y, std::span<const double> w, double l2, std::int32_t threads)
      : d_(d), y_(y), w_(w), l2_(l2), k_(d.p()), threads_(threads) {}

  /// With `exact` false the Hessian's blocks are summed in float (SSE does twice the flops) — precise to
  /// ~1e-6, plenty for a Newton direction, while f and the gradient stay double; the standard errors and
  /// the rank check always use an exact Hessian.
  void evaluate(const Eigen::VectorXd& phi, evaluation& e, bool exact) const {
    const std::size_t n = y_.size();
    e.exact = exact;
    const auto dim = static_cast<Eigen::Index>(k_ + 1);
    e.eta.resize(n);
    struct partial {
      double loss = 0.0;
      Eigen::VectorXd gradient;
      Eigen::MatrixXd hessian;
    };
    using float_block = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    std::vector<partial> parts(chunk_count(n));
    for_each_chunk(n, threads_, [&](std::size_t c, std::size_t begin, std::size_t end) {
      partial& part = parts[c];
      part.gradient.setZero(dim);
      part.hessian.setZero(dim, dim);
      block z, zs;
      float_block zf;
      Eigen::MatrixXf hf;
      if (!exact) hf.setZero(dim, dim);
      Eigen::VectorXd r;
      for (std::size_t i0 = begin; i0 < end; i0 += block_rows) {
        const std::size_t m = std::min(block_rows, end - i0);
        const auto mm = static_cast<Eigen::Index>(m);
        d_.fill(i0, m, z);
        Eigen::Map<Eigen::VectorXd> eta(e.eta.data() + i0, mm);
        eta.noalias() = z * phi;
        r.resize(mm);
        if (exact) zs.resize(mm, dim);
        else zf.resize(mm, dim);
        double block_loss = 0.0;
        for (std::size_t q = 0; q < m; ++q) {
          const auto qq = static_cast<Eigen::Index>(q);
          const double w = w_[i0 + q], yy = y_[i0 + q], et = eta[qq];
          const auto [sp, p] = terms(et);
          block_loss += w * (sp - yy * et);
          r[qq] = w * (p - yy);
          const double root = std::sqrt(w * p * (1.0 - p));  // Zs = diag(√(w p (1 − p)))·Z: H = ZsᵀZs
          if (exact) zs.row(qq) = root * z.row(qq);
          else zf.row(qq) = (root * z.row(qq)).cast<float>();
        }
        part.loss += block_loss;
        part.gradient.noalias() += z.transpose() * r;
        if (exact) part.hessian.selfadjointView<Eigen::Lower>().rankUpdate(zs.transpose());
        else hf.selfadjointView<Eigen::Lower>().rankUpdate(zf.transpose());
      }
      if (!exact) part.hessian = hf.cast<double>();
    });
    double loss = 0.0;
    e.gradient.setZero(dim);
    e.hessian.setZero(dim, dim);
    for (const partial& part : parts) {
      loss += part.loss;
      e.gradient += part.gradient;
      e.hessian.triangularView<Eigen::Lower>() += part.hessian;
    }
    const auto theta = phi.head(static_cast<Eigen::Index>(k_));
    e.loss = loss;
    e.objective = loss + 0.5 * l2_ * theta.squaredNorm();
    e.gradient.head(static_cast<Eigen::Index>(k_)) += l2_ * theta;
    e.hessian.diagonal().head(static_cast<Eigen::Index>(k_)).array() += l2_;
  }

  /// f at phi + t·dir, where eta0 = Zφ and eta1 = Z(φ + dir): η is linear in φ, so no pass over X.
  double objective_along(const std::vector<double>& eta0, const std::vector<double>& eta1, double t,
                         const Eigen::VectorXd& phi, const Eigen::VectorXd& dir) const {
    double loss = 0.0;
    for (std::size_t i = 0; i < eta0.size(); ++i) {
      const double et = eta0[i] + t * (eta1[i] - eta0[i]);
      loss += w_[i] * (terms(et).softplus - y_[i] * et);
    }
    const Eigen::VectorXd theta = (phi + t * dir).head(static_cast<Eigen::Index>(k_));
    return loss + 0.5 * l2_ * theta.squaredNorm();
  }

 private:
  const design& d_;
  std::span<const double> y_, w_;
  double l2_;
  std::size_t k_;
  std::int32_t threads_;
};

double gradient_norm(const Eigen::VectorXd& g, double weight_sum) { return g.cwiseAbs().maxCoeff() / weight_sum; }

}  // namespace

// ---- fit ----------------------------------------------------------------------------------------------

logistic_churn_model logistic_churn_model::fit(matrix_view x, label_view y, std::span<const double> sample_weight,
                                               std::vector<std::string> feature_names,
                                               const logistic_options& options) {
  const std::size_t n = x.rows, k = x.cols;
  if (!(options.l2 >= 0.0 && std::isfinite(options.l2))) fail("l2 must be finite and >= 0, got " + number(options.l2));
  if (options.max_iter < 1) fail("max_iter must be >= 1, got " + std::to_string(options.max_iter));
  if (!(options.tol > 0.0 && std::isfinite(options.tol))) fail("tol must be finite and > 0, got " + number(options.tol));
  check_threads(options.n_threads, "LogisticChurnModel");
  if (k == 0) fail("X has no columns");
  if (feature_names.empty()) feature_names = detail::default_names(k);
  if (feature_names.size() != k)
    fail(std::to_string(feature_names.size()) + " feature names for " + std::to_string(k) + " columns of X");
  detail::check_names(where, feature_names);
  if (y.size() != n) fail("X has " + std::to_string(n) + " rows but y has " + std::to_string(y.size()) + " values");
  if (!sample_weight.empty() && sample_weight.size() != n)
    fail("sample_weight has " + std::to_string(sample_weight.size()) + " values but X has " + std::to_string(n) +
         " rows");
  if (n == 0) fail("empty input: X has no rows");

  // Labels and weights as doubles (the loops below read them n times per step).
  std::vector<double> yv(n), wv(n, 1.0);
  y.visit([&](auto values) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto v = values[i];
      if (v == 0) yv[i] = 0.0;
      else if (v == 1) yv[i] = 1.0;
      else fail("y[" + std::to_string(i) + "] must be 0 or 1, got " + number(static_cast<double>(v)));
    }
  });
  if (!sample_weight.empty()) {
    for (std::size_t i = 0; i < n; ++i)
      if (!(sample_weight[i] >= 0.0 && std::isfinite(sample_weight[i])))
        fail("sample_weight[" + std::to_string(i) + "] must be finite and >= 0, got " + number(sample_weight[i]));
    std::copy(sample_weight.begin(), sample_weight.end(), wv.begin());
  }

  detail::metrics::compensated_sum weight_sum, positive_sum;
  for (std::size_t i = 0; i < n; ++i) weight_sum.add(wv[i]), positive_sum.add(wv[i] * yv[i]);
  const double total = weight_sum.value(), positives = positive_sum.value();
  if (!(total > 0.0)) fail("sample_weight sums to 0");
  if (!(positives > 0.0) || !(positives < total))
    fail(std::string("y holds one class only (") + (positives > 0.0 ? "all 1" : "all 0") +
         (sample_weight.empty() ? "" : " among rows of positive weight") + "): the model needs churners and non-churners");

  // Weighted means and standard deviations (ddof 0), as StandardScaler().fit(X, sample_weight=w), in row
  // blocks so that C-order input is read contiguously.
  logistic_churn_model model;
  model.names_ = std::move(feature_names);
  model.l2_ = options.l2;
  model.standardize_ = options.standardize;
  model.max_iter_ = options.max_iter;
  model.tol_ = options.tol;
  model.mean_.assign(k, 0.0);
  model.sd_.assign(k, 0.0);
  Eigen::MatrixXd m0;  // Σ wᵢuᵢuᵢᵀ (lower triangle), u = x − μ
  Eigen::VectorXd a0, c0;  // Σ wᵢuᵢ, Σ wᵢyᵢuᵢ
  {
    // Per chunk, per 256-row block sums (so rounding grows with the number of blocks, not of rows),
    // the chunks' sums then added with compensation. A non-finite value makes its column's sum
    // non-finite (0·NaN and 0·inf too, so rows of weight 0 are checked as well): only then is X scanned
    // for the first one, to name it.
    const std::size_t chunks = chunk_count(n);
    std::vector<double> part_sums(chunks * k, 0.0);
    auto weighted_sums = [&](std::vector<double>& out) {
      for_each_chunk(n, options.n_threads, [&](std::size_t c, std::size_t begin, std::size_t end) {
        double* acc = out.data() + c * k;
        std::vector<double> blk(k);
        for (std::size_t i0 = begin; i0 < end; i0 += block_rows) {
          std::fill(blk.begin(), blk.end(), 0.0);
          for (std::size_t i = i0; i < std::min(end, i0 + block_rows); ++i) {
            const double wi = wv[i];
            if (x.col_stride == 1) {  // C order: a contiguous row, vectorised
              const double* row = x.data + static_cast<std::ptrdiff_t>(i) * x.row_stride;
              for (std::size_t j = 0; j < k; ++j) blk[j] += wi * row[j];
            } else {
              for (std::size_t j = 0; j < k; ++j) blk[j] += wi * x(i, j);
            }
          }
          for (std::size_t j = 0; j < k; ++j) acc[j] += blk[j];
        }
      });
      std::vector<double> total_of(k);
      for (std::size_t j = 0; j < k; ++j) {
        detail::metrics::compensated_sum sum;
        for (std::size_t c = 0; c < chunks; ++c) sum.add(out[c * k + j]);
        total_of[j] = sum.value();
      }
      return total_of;
    };
    const std::vector<double> sums = weighted_sums(part_sums);
    for (std::size_t j = 0; j < k; ++j) {
      if (!std::isfinite(sums[j])) {
        detail::check_finite(where, x, {}, model.names_, "X");  // throws, naming the first non-finite value
        fail("column " + in_quotes(model.names_[j]) + " overflows: its values are too large to sum");
      }
      model.mean_[j] = sums[j] / total;
    }
    // The centred columns u = x − μ in one more pass: M = Σ wᵢuᵢuᵢᵀ (whose diagonal gives the sds),
    // a = Σ wᵢuᵢ (0 up to rounding) and c = Σ wᵢyᵢuᵢ — all that the first Newton step needs, since at
    // θ = 0 every pᵢ is the same p₀ (below), so that pass over X is saved.
    struct partial {
      Eigen::MatrixXd m;
      Eigen::VectorXd a, c;
    };
    std::vector<partial> parts(chunks);
    const auto kk = static_cast<Eigen::Index>(k);
    for_each_chunk(n, options.n_threads, [&](std::size_t c, std::size_t begin, std::size_t end) {
      partial& part = parts[c];
      part.m.setZero(kk, kk);
      part.a.setZero(kk);
      part.c.setZero(kk);
      const std::vector<double> none(k, 1.0);
      const design centred{x, {}, model.mean_, none};
      block u;
      Eigen::VectorXd wb, wy;
      for (std::size_t i0 = begin; i0 < end; i0 += block_rows) {
        const std::size_t m = std::min(block_rows, end - i0);
        const auto mm = static_cast<Eigen::Index>(m);
        centred.fill(i0, m, u);  // u's last column is the ones of the intercept: dropped below
        wb = Eigen::Map<const Eigen::VectorXd>(wv.data() + i0, mm);
        wy = wb.cwiseProduct(Eigen::Map<const Eigen::VectorXd>(yv.data() + i0, mm));
        const auto cols = u.leftCols(kk);
        part.a.noalias() += cols.transpose() * wb;
        part.c.noalias() += cols.transpose() * wy;
        const block us = wb.cwiseSqrt().asDiagonal() * cols;
        part.m.selfadjointView<Eigen::Lower>().rankUpdate(us.transpose());
      }
    });
    m0.setZero(kk, kk);
    a0.setZero(kk);
    c0.setZero(kk);
    for (const partial& part : parts) {
      m0.triangularView<Eigen::Lower>() += part.m;
      a0 += part.a;
      c0 += part.c;
    }
    for (std::size_t j = 0; j < k; ++j) {
      model.sd_[j] = std::sqrt(m0(static_cast<Eigen::Index>(j), static_cast<Eigen::Index>(j)) / total);
      if (!(model.sd_[j] > 1e-12 * std::fabs(model.mean_[j])))
        fail("column " + in_quotes(model.names_[j]) + " is constant (" + number(model.mean_[j]) +
             (sample_weight.empty() ? "" : " on every row of positive weight") + "): it cannot be standardised "
             "and carries no information; drop it");
    }
  }

  std::vector<double> scale(k), inv_scale(k);
  for (std::size_t j = 0; j < k; ++j) {
    scale[j] = options.standardize ? model.sd_[j] : 1.0;
    inv_scale[j] = 1.0 / scale[j];
  }
  const design d{x, {}, model.mean_, inv_scale};
  const solver s(d, yv, wv, options.l2, options.n_threads);

  // Newton from θ = 0, b = logit(weighted churn rate) = b₀: every ηᵢ = b₀, pᵢ = p₀ = σ(b₀), and with z = u/s
  //   f = W·log(1 + e^b₀) − P·b₀,  ∂f/∂θ = S⁻¹(p₀a − c),  ∂f/∂b = W·p₀ − P,
  //   H = p₀(1 − p₀)·[S⁻¹MS⁻¹, S⁻¹a; aᵀS⁻¹, W] + l2 on the θ diagonal (exact: summed in double).
  const auto dim = static_cast<Eigen::Index>(k + 1);
  const auto kk = static_cast<Eigen::Index>(k);
  Eigen::VectorXd phi = Eigen::VectorXd::Zero(dim);
  const double b0 = std::log(positives / (total - positives));
  phi[dim - 1] = b0;
  evaluation now, next;
  {
    const auto [sp0, p0] = terms(b0);
    const double v0 = p0 * (1.0 - p0);
    const Eigen::Map<const Eigen::VectorXd> is(inv_scale.data(), kk);
    now.exact = true;
    now.eta.assign(n, b0);
    now.loss = now.objective = total * sp0 - positives * b0;
    now.gradient.resize(dim);
    now.gradient.head(kk) = is.cwiseProduct(p0 * a0 - c0);
    now.gradient[kk] = total * p0 - positives;
    now.hessian.setZero(dim, dim);
    now.hessian.topLeftCorner(kk, kk).triangularView<Eigen::Lower>() =
        (v0 * (is.asDiagonal() * m0.triangularView<Eigen::Lower>().toDenseMatrix() * is.asDiagonal()));
    now.hessian.row(kk).head(kk) = v0 * is.cwiseProduct(a0).transpose();
    now.hessian(kk, kk) = v0 * total;
    now.hessian.diagonal().head(kk).array() += options.l2;
  }
  if (options.l2 == 0.0) detail::check_rank(where, now.hessian, model.names_);

  // Newton steps take float Hessians (evaluate) until the step predicted to be the last: the gradient of
  // Newton's method falls quadratically, g' ≈ C·g², with C estimated from the last two steps, and once
  // C·g² ≤ tol the next pass sums its Hessian in double — the one the standard errors need. If the
  // prediction misses, one more exact pass at the final point supplies it.
  logistic_fit_stats& st = model.stats_;
  st.status = logistic_status::max_iter;
  constexpr double armijo = 1e-4;
  double previous = nan;  // the gradient norm before the last step
  for (int step = 0;; ++step) {
    const double gnorm = gradient_norm(now.gradient, total);
    if (gnorm <= options.tol) {
      st.status = logistic_status::converged;
      break;
    }
    if (step == options.max_iter) break;
    Eigen::VectorXd dir;
    double slope = nan;
    for (;;) {
      const Eigen::MatrixXd h = now.hessian.selfadjointView<Eigen::Lower>();
      const Eigen::LDLT<Eigen::MatrixXd> ldlt(h);
      dir = ldlt.solve(-now.gradient);
      slope = now.gradient.dot(dir);
      if ((ldlt.info() == Eigen::Success && dir.allFinite() && slope < 0.0) || now.exact) break;
      s.evaluate(phi, now, true);  // a float Hessian too rough for a descent direction: the exact one
    }
    if (!(slope < 0.0) || !dir.allFinite()) {
      st.status = logistic_status::line_search_failed;
      break;
    }
    const double c = gnorm / (previous * previous);  // NaN on the first step: not exact
    const bool last = step + 1 == options.max_iter || c * gnorm * gnorm <= options.tol;
    previous = gnorm;
    s.evaluate(phi + dir, next, last);
    // The full step, or — near the optimum, where f changes by less than its rounding — a full step that
    // lowers the gradient.
    const bool full = next.objective <= now.objective + armijo * slope ||
                      (next.objective - now.objective <= 16 * eps * std::fabs(now.objective) &&
                       gradient_norm(next.gradient, total) < gnorm);
    if (full) {
      phi += dir;
      std::swap(now, next);
    } else {
      double t = 1.0;
      bool found = false;
      while (t > 1e-10) {
        t *= 0.5;
        if (s.objective_along(now.eta, next.eta, t, phi, dir) <= now.objective + armijo * t * slope) {
          found = true;
          break;
        }
      }
      if (!found) {
        st.status = logistic_status::line_search_failed;
        break;
      }
      phi += t * dir;
      s.evaluate(phi, now, last);
    }
    st.iterations = step + 1;
  }
  if (!now.exact) s.evaluate(phi, now, true);  // the standard errors' Hessian (same f and gradient)
  st.gradient_norm = gradient_norm(now.gradient, total);
  st.objective = now.objective;
  st.log_loss = now.loss / total;
  st.weight_sum = total;
  st.rows = static_cast<std::int64_t>(n);
  if (options.require_convergence && !st.converged())
    throw convergence_error(std::string(where) + ": no convergence (" + std::string(to_string(st.status)) + ") after " +
                            std::to_string(st.iterations) + " Newton steps; gradient norm " +
                            number(st.gradient_norm) + " > tol " + number(options.tol));

  // Coefficients per training sd, and standard errors from the inverse penalised Hessian (logistic.hpp).
  const Eigen::MatrixXd h = now.hessian.selfadjointView<Eigen::Lower>();
  const Eigen::MatrixXd cov = h.ldlt().solve(Eigen::MatrixXd::Identity(dim, dim));
  model.coef_std_.resize(k);
  model.se_std_.resize(k);
  model.se_.resize(k);
  Eigen::VectorXd a(dim);  // intercept = aᵀφ on the original scale
  for (std::size_t j = 0; j < k; ++j) {
    const auto jj = static_cast<Eigen::Index>(j);
    model.coef_std_[j] = phi[jj] * model.sd_[j] / scale[j];
    const double se_fit = std::sqrt(cov(jj, jj));
    model.se_std_[j] = se_fit * model.sd_[j] / scale[j];
    model.se_[j] = se_fit / scale[j];
    a[jj] = -model.mean_[j] / scale[j];
  }
  a[dim - 1] = 1.0;
  model.intercept_std_ = phi[dim - 1];
  model.intercept_se_std_ = std::sqrt(cov(dim - 1, dim - 1));
  model.intercept_se_ = std::sqrt(a.dot(cov * a));
  model.derive();
  return model;
}

void logistic_churn_model::derive() {
  const std::size_t k = names_.size();
  coef_.resize(k);
  double shift = 0.0;
  for (std::size_t j = 0; j < k; ++j) {
    coef_[j] = coef_std_[j] / sd_[j];
    shift += coef_[j] * mean_[j];
  }
  intercept_ = intercept_std_ - shift;
}

logistic_summary logistic_churn_model::summary(double confidence) const {
  if (!(confidence > 0.0 && confidence < 1.0)) fail("confidence must lie in (0, 1), got " + number(confidence));
  const double zc = detail::z_critical(confidence);
  logistic_summary out;
  const std::size_t k = names_.size();
  auto add = [&](const std::string& term, double coef, double se, double coef_std, double se_std) {
    out.term.push_back(term);
    out.coef.push_back(coef);
    out.se.push_back(se);
    const double z = coef / se;
    out.z.push_back(z);
    out.p.push_back(detail::normal_two_sided_p(z));
    out.ci_lower.push_back(coef - zc * se);
    out.ci_upper.push_back(coef + zc * se);
    out.coef_std.push_back(coef_std);
    out.se_std.push_back(se_std);
  };
  for (std::size_t j = 0; j < k; ++j) add(names_[j], coef_[j], se_[j], coef_std_[j], se_std_[j]);
  add("intercept", intercept_, intercept_se_, intercept_std_, intercept_se_std_);
  return out;
}

// ---- scoring ------------------------------------------------------------------------------------------

std::vector<std::size_t> logistic_churn_model::columns_for(std::span<const std::string> names) const {
  std::unordered_map<std::string_view, std::size_t> position;
  for (std::size_t c = 0; c < names.size(); ++c) {
    if (const auto [it, fresh] = position.emplace(names[c], c); !fresh)
      fail("X has column " + in_quotes(names[c]) + " twice (columns " + std::to_string(it->second) + " and " +
           std::to_string(c) + ")");
  }
  std::vector<std::size_t> out;
  std::string missing, extra;
  std::unordered_map<std::string_view, bool> model_names;
  for (const auto& name : names_) {
    model_names.emplace(name, true);
    if (const auto it = position.find(name); it != position.end()) out.push_back(it->second);
    else missing += (missing.empty() ? "" : ", ") + in_quotes(name);
  }
  for (const auto& name : names)
    if (!model_names.contains(name)) extra += (extra.empty() ? "" : ", ") + in_quotes(name);
  if (!missing.empty() || !extra.empty())
    fail("X's columns are not the model's features (" + std::to_string(names_.size()) + ")" +
         (missing.empty() ? "" : "; missing: " + missing) + (extra.empty() ? "" : "; not in the model: " + extra));
  return out;
}

void logistic_churn_model::contributions(matrix_view x, std::span<double> out,
                                         std::span<const std::size_t> columns) const {
  const std::size_t k = names_.size();
  detail::check_scoring_input(where, x, columns, names_, out.size(), k + 1);
  for (std::size_t i = 0; i < x.rows; ++i) {
    double* row = out.data() + i * (k + 1);
    for (std::size_t j = 0; j < k; ++j)
      row[j] = coef_std_[j] * ((x(i, columns.empty() ? j : columns[j]) - mean_[j]) / sd_[j]);
    row[k] = intercept_std_;
  }
}

void logistic_churn_model::predict_logit(matrix_view x, std::span<double> out,
                                         std::span<const std::size_t> columns) const {
  const std::size_t k = names_.size();
  detail::check_scoring_input(where, x, columns, names_, out.size(), 1);
  for (std::size_t i = 0; i < x.rows; ++i) {
    double logit = 0.0;  // the contributions, summed in their order (features, then the intercept)
    for (std::size_t j = 0; j < k; ++j)
      logit += coef_std_[j] * ((x(i, columns.empty() ? j : columns[j]) - mean_[j]) / sd_[j]);
    out[i] = logit + intercept_std_;
  }
}

void logistic_churn_model::predict_proba(matrix_view x, std::span<double> out,
                                         std::span<const std::size_t> columns) const {
  predict_logit(x, out, columns);
  for (double& v : out) v = 1.0 / (1.0 + std::exp(-v));
}

// ---- the model file -----------------------------------------------------------------------------------

namespace {

using json = nlohmann::json;
using ordered = nlohmann::ordered_json;

ordered maybe_number(double v) { return std::isfinite(v) ? ordered(v) : ordered(nullptr); }  // JSON has no NaN

/// The logistic model file's reader: the shared checks (json_reader.hpp) and those of its own fields.
class reader : public detail::json_reader {
 public:
  using json_reader::json_reader;

  /// A standard error: a number ≥ 0, or null (undefined: written for NaN).
  double se(const json& v, const std::string& path) const {
    if (v.is_null()) return nan;
    const double x = number(v, path);
    if (x < 0) fail(path, "must be >= 0 or null, got " + v.dump());
    return x;
  }
  std::int64_t integer(const json& v, const std::string& path, std::int64_t lo) const {
    if (!v.is_number_integer() || v.get<std::int64_t>() < lo)
      fail(path, "must be an integer >= " + std::to_string(lo));
    return v.get<std::int64_t>();
  }
  bool boolean(const json& v, const std::string& path) const {
    if (!v.is_boolean()) fail(path, "must be true or false");
    return v.get<bool>();
  }
};

/// A value written by derive() from the canonical ones must be what derive() computes again (to 1e-12).
void check_derived(const reader& r, const std::string& path, double stored, double derived, const char* from) {
  if (!(std::fabs(stored - derived) <= 1e-12 * std::max(1.0, std::fabs(derived))))
    r.fail(path, number(stored) + " disagrees with " + from + " = " + number(derived));
}

}  // namespace

std::string logistic_churn_model::to_json() const {
  ordered doc;
  doc["format"] = format_name;
  doc["version"] = format_version;
  doc["standardize"] = standardize_;
  doc["l2"] = l2_;
  doc["max_iter"] = max_iter_;
  doc["tol"] = tol_;
  ordered features = ordered::array();
  for (std::size_t j = 0; j < names_.size(); ++j)
    features.push_back(ordered{{"name", names_[j]},
                               {"mean", mean_[j]},
                               {"sd", sd_[j]},
                               {"coef_std", coef_std_[j]},
                               {"coef", coef_[j]},
                               {"se_std", maybe_number(se_std_[j])},
                               {"se", maybe_number(se_[j])}});
  doc["features"] = std::move(features);
  doc["intercept"] = ordered{{"coef_std", intercept_std_},
                             {"coef", intercept_},
                             {"se_std", maybe_number(intercept_se_std_)},
                             {"se", maybe_number(intercept_se_)}};
  doc["fit"] = ordered{{"status", to_string(stats_.status)},   {"iterations", stats_.iterations},
                       {"gradient_norm", stats_.gradient_norm}, {"objective", stats_.objective},
                       {"log_loss", stats_.log_loss},           {"weight_sum", stats_.weight_sum},
                       {"rows", stats_.rows}};
  return doc.dump(2) + "\n";
}

logistic_churn_model logistic_churn_model::from_json(std::string_view text, std::string_view source) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::parse_error& e) {
    throw model_spec_error(std::string(source) + ": not valid JSON: " + e.what());
  }
  const reader r(source);
  r.only_keys(root, "$", {"format", "version", "description", "standardize", "l2", "max_iter", "tol", "features",
                          "intercept", "fit"});
  if (const std::string f = r.text(r.required(root, "$", "format"), "$.format"); f != format_name)
    r.fail("$.format", "\"" + f + "\" is not a logistic churn model (expected \"" + std::string(format_name) + "\")");
  if (const auto v = r.integer(r.required(root, "$", "version"), "$.version", 1); v != format_version)
    r.fail("$.version", "version " + std::to_string(v) + " is not one this library reads (" +
                            std::to_string(format_version) + ")");
  if (root.contains("description")) r.text(root["description"], "$.description");
  logistic_churn_model m;
  m.standardize_ = r.boolean(r.required(root, "$", "standardize"), "$.standardize");
  m.l2_ = r.number(r.required(root, "$", "l2"), "$.l2");
  if (m.l2_ < 0) r.fail("$.l2", "must be >= 0");
  m.max_iter_ = static_cast<int>(r.integer(r.required(root, "$", "max_iter"), "$.max_iter", 1));
  m.tol_ = r.number(r.required(root, "$", "tol"), "$.tol");
  if (!(m.tol_ > 0)) r.fail("$.tol", "must be > 0");

  const json& features = r.required(root, "$", "features");
  if (!features.is_array() || features.empty()) r.fail("$.features", "must be a non-empty array");
  std::vector<double> coef;
  for (std::size_t j = 0; j < features.size(); ++j) {
    const std::string p = "$.features[" + std::to_string(j) + "]";
    const json& f = features[j];
    r.only_keys(f, p, {"name", "mean", "sd", "coef_std", "coef", "se_std", "se"});
    m.names_.push_back(r.text(r.required(f, p, "name"), p + ".name"));
    if (m.names_.back().empty()) r.fail(p + ".name", "must not be empty");
    m.mean_.push_back(r.number(r.required(f, p, "mean"), p + ".mean"));
    const double sd = r.number(r.required(f, p, "sd"), p + ".sd");
    if (!(sd > 0)) r.fail(p + ".sd", "must be > 0, got " + f["sd"].dump());
    m.sd_.push_back(sd);
    m.coef_std_.push_back(r.number(r.required(f, p, "coef_std"), p + ".coef_std"));
    coef.push_back(r.number(r.required(f, p, "coef"), p + ".coef"));
    m.se_std_.push_back(r.se(r.required(f, p, "se_std"), p + ".se_std"));
    m.se_.push_back(r.se(r.required(f, p, "se"), p + ".se"));
  }
  for (std::size_t j = 0; j < m.names_.size(); ++j)
    for (std::size_t i = 0; i < j; ++i)
      if (m.names_[i] == m.names_[j])
        r.fail("$.features[" + std::to_string(j) + "].name", "\"" + m.names_[j] + "\" is also $.features[" +
                                                                 std::to_string(i) + "].name");
  const json& b = r.required(root, "$", "intercept");
  r.only_keys(b, "$.intercept", {"coef_std", "coef", "se_std", "se"});
  m.intercept_std_ = r.number(r.required(b, "$.intercept", "coef_std"), "$.intercept.coef_std");
  const double intercept = r.number(r.required(b, "$.intercept", "coef"), "$.intercept.coef");
  m.intercept_se_std_ = r.se(r.required(b, "$.intercept", "se_std"), "$.intercept.se_std");
  m.intercept_se_ = r.se(r.required(b, "$.intercept", "se"), "$.intercept.se");
  m.derive();
  for (std::size_t j = 0; j < coef.size(); ++j)
    check_derived(r, "$.features[" + std::to_string(j) + "].coef", coef[j], m.coef_[j], "coef_std / sd");
  check_derived(r, "$.intercept.coef", intercept, m.intercept_, "intercept.coef_std - sum(coef * mean)");

  const json& fit = r.required(root, "$", "fit");
  r.only_keys(fit, "$.fit", {"status", "iterations", "gradient_norm", "objective", "log_loss", "weight_sum", "rows"});
  const std::string status = r.text(r.required(fit, "$.fit", "status"), "$.fit.status");
  bool known = false;
  for (auto s : {logistic_status::converged, logistic_status::max_iter, logistic_status::line_search_failed})
    if (to_string(s) == status) m.stats_.status = s, known = true;
  if (!known) r.fail("$.fit.status", "must be \"converged\", \"max_iter\" or \"line_search_failed\", got \"" + status + "\"");
  m.stats_.iterations = static_cast<int>(r.integer(r.required(fit, "$.fit", "iterations"), "$.fit.iterations", 0));
  m.stats_.gradient_norm = r.number(r.required(fit, "$.fit", "gradient_norm"), "$.fit.gradient_norm");
  m.stats_.objective = r.number(r.required(fit, "$.fit", "objective"), "$.fit.objective");
  m.stats_.log_loss = r.number(r.required(fit, "$.fit", "log_loss"), "$.fit.log_loss");
  m.stats_.weight_sum = r.number(r.required(fit, "$.fit", "weight_sum"), "$.fit.weight_sum");
  m.stats_.rows = r.integer(r.required(fit, "$.fit", "rows"), "$.fit.rows", 1);
  return m;
}

}  // namespace custhealth
