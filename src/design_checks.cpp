// src/design_checks.cpp — the design checks the churn models share (design_checks.hpp): names, and the
// rank of the columns by an incremental Cholesky of their correlation matrix.

#include "design_checks.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "custhealth/churn/metrics.hpp"  // detail::metrics::number
#include "custhealth/error.hpp"

namespace custhealth::detail {

namespace {

[[noreturn]] void fail(std::string_view where, const std::string& what) {
  throw invalid_input(std::string(where) + ": " + what);
}

std::string in_quotes(const std::string& name) { return "'" + name + "'"; }

using metrics::number;

}  // namespace

void check_rank(std::string_view where, const Eigen::MatrixXd& cross, const std::vector<std::string>& names) {
  const auto k = static_cast<Eigen::Index>(names.size());
  Eigen::MatrixXd r = cross.topLeftCorner(k, k).selfadjointView<Eigen::Lower>();
  const Eigen::VectorXd s = r.diagonal().cwiseSqrt().cwiseInverse();
  r = s.asDiagonal() * r * s.asDiagonal();
  Eigen::MatrixXd l = Eigen::MatrixXd::Zero(k, k);
  std::vector<Eigen::Index> kept;
  for (Eigen::Index j = 0; j < k; ++j) {
    const auto m = static_cast<Eigen::Index>(kept.size());
    Eigen::VectorXd c(m);  // R[kept, j]
    for (Eigen::Index a = 0; a < m; ++a) c[a] = r(kept[static_cast<std::size_t>(a)], j);
    const Eigen::VectorXd u = l.topLeftCorner(m, m).triangularView<Eigen::Lower>().solve(c);
    const double residual = 1.0 - u.squaredNorm();  // 1 − R² of column j on the kept ones
    if (residual < 1e-10) {
      // The combination: R[kept, kept]·β = R[kept, j]; name the columns that take part in it.
      const Eigen::VectorXd beta = l.topLeftCorner(m, m).transpose().triangularView<Eigen::Upper>().solve(u);
      std::string with;
      for (Eigen::Index a = 0; a < m; ++a)
        if (std::fabs(beta[a]) > 1e-6) with += (with.empty() ? "" : ", ") +
                in_quotes(names[static_cast<std::size_t>(kept[static_cast<std::size_t>(a)])]);
      fail(where, "columns are perfectly collinear: " + in_quotes(names[static_cast<std::size_t>(j)]) +
           " is a linear combination of " + with + " (1 - R^2 = " + number(std::max(residual, 0.0)) +
           "); with l2 = 0 the coefficients have no unique value: drop a column or set l2 > 0");
    }
    for (Eigen::Index a = 0; a < m; ++a) l(m, a) = u[a];
    l(m, m) = std::sqrt(residual);
    kept.push_back(j);
  }
}

std::vector<std::string> default_names(std::size_t k) {
  std::vector<std::string> out(k);
  // std::string("x") += …, not "x" + …: GCC 12's -Wrestrict misreads the inlined operator+ (a false positive).
  for (std::size_t j = 0; j < k; ++j) out[j] = std::string("x").append(std::to_string(j));
  return out;
}

void check_names(std::string_view where, const std::vector<std::string>& names) {
  std::unordered_map<std::string, std::size_t> seen;
  for (std::size_t j = 0; j < names.size(); ++j) {
    if (names[j].empty()) fail(where, "feature name " + std::to_string(j) + " is empty");
    if (const auto [it, fresh] = seen.emplace(names[j], j); !fresh)
      fail(where, "feature names must be distinct: " + in_quotes(names[j]) + " is column " +
                      std::to_string(it->second) + " and column " + std::to_string(j));
  }
}

void check_finite(std::string_view where, matrix_view x, std::span<const std::size_t> cols,
                  const std::vector<std::string>& names, const char* what) {
  const std::size_t k = names.size();
  for (std::size_t i = 0; i < x.rows; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const double v = x(i, cols.empty() ? j : cols[j]);
      if (!std::isfinite(v))
        fail(where, std::string(what) + " column " + in_quotes(names[j]) + " row " + std::to_string(i) + " is " +
                        number(v) + ": X must be finite (NaN and inf are rejected, not imputed; impute first, e.g. "
                        "with an indicator column)");
    }
}

void check_scoring_input(std::string_view where, matrix_view x, std::span<const std::size_t> columns,
                         const std::vector<std::string>& names, std::size_t out_size, std::size_t per_row) {
  const std::size_t k = names.size();
  if (columns.empty()) {
    if (x.cols != k)
      fail(where, "X has " + std::to_string(x.cols) + " columns but the model has " + std::to_string(k) + " features");
  } else {
    if (columns.size() != k)
      fail(where, "the column map has " + std::to_string(columns.size()) + " entries for " + std::to_string(k) +
                      " features");
    for (std::size_t c : columns)
      if (c >= x.cols)
        fail(where, "the column map names column " + std::to_string(c) + " of " + std::to_string(x.cols));
  }
  if (out_size != x.rows * per_row)
    fail(where, "the output holds " + std::to_string(out_size) + " values for " + std::to_string(x.rows * per_row));
  check_finite(where, x, columns, names, "X");
}

}  // namespace custhealth::detail
