// src/design_checks.hpp — the checks on a design matrix that the churn models share (logistic, Cox):
// feature names, and with no penalty, columns that are linear combinations of others.
#pragma once

#include <Eigen/Dense>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custhealth/churn/matrix_view.hpp"

namespace custhealth::detail {

/// x0, x1, …, x(k−1): the names of an array's columns.
std::vector<std::string> default_names(std::size_t k);

/// Non-empty, distinct names; invalid_input "<where>: …" naming the two columns of a repeated name.
void check_names(std::string_view where, const std::vector<std::string>& names);

/// With no penalty every column must add something: an incremental Cholesky of the correlation matrix of
/// the columns (from `cross`, whose lower triangle's top-left names.size() block is proportional to
/// Σ wᵢ uᵢuᵢᵀ, u = x − μ), in their order, finds the first one with 1 − R² < 1e-10 on those before it,
/// and throws invalid_input naming it and the columns it is a combination of.
void check_rank(std::string_view where, const Eigen::MatrixXd& cross, const std::vector<std::string>& names);

/// The first non-finite value of x's model columns (column j of the model is column cols[j] of x, or j when
/// cols is empty), named by column and row: invalid_input "<where>: <what> column 'name' row i is NaN: …".
void check_finite(std::string_view where, matrix_view x, std::span<const std::size_t> cols,
                  const std::vector<std::string>& names, const char* what);

/// Checks x against a fitted model before scoring: its width or the column map, the output's size
/// (x.rows · per_row values) and finite values.
void check_scoring_input(std::string_view where, matrix_view x, std::span<const std::size_t> columns,
                         const std::vector<std::string>& names, std::size_t out_size, std::size_t per_row);

}  // namespace custhealth::detail
