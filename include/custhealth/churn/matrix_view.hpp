// custhealth/churn/matrix_view.hpp — a read-only, strided view of the caller's rows × cols doubles: how the
// churn models (logistic, Cox) read a design matrix in place, numpy's C or Fortran order alike.
#pragma once

#include <cstddef>

namespace custhealth {

/// A read-only rows × cols matrix of doubles in the caller's memory with any strides (numpy's C or Fortran
/// order, a DataFrame's block): element (i, j) is data[i·row_stride + j·col_stride]. A view: the memory must
/// outlive it.
struct matrix_view {
  const double* data = nullptr;
  std::size_t rows = 0, cols = 0;
  std::ptrdiff_t row_stride = 0, col_stride = 1;

  /// A C-order (row-major, contiguous) matrix.
  static matrix_view row_major(const double* d, std::size_t rows, std::size_t cols) noexcept {
    return {d, rows, cols, static_cast<std::ptrdiff_t>(cols), 1};
  }
  double operator()(std::size_t i, std::size_t j) const noexcept {
    return data[static_cast<std::ptrdiff_t>(i) * row_stride + static_cast<std::ptrdiff_t>(j) * col_stride];
  }
};

}  // namespace custhealth
