// custhealth/churn/fit_status.hpp — how an iterative fit of the churn models ended (logistic, Cox),
// Eigen's ComputationInfo in spirit: a status returned with the model instead of an exception.
#pragma once

#include <cstdint>
#include <string_view>

namespace custhealth {

/// Only `converged` means the fit's convergence test passed; the others return the model as it stood.
enum class fit_status : std::uint8_t {
  converged,           ///< the convergence test passed (each model states its own)
  max_iter,            ///< max_iter Newton steps without meeting tol (e.g. separable data with l2 = 0)
  line_search_failed,  ///< no step along the Newton direction improved the objective (rounding, or a singular Hessian)
};

/// "converged", "max_iter", "line_search_failed" (the names the model files and Python read).
constexpr std::string_view to_string(fit_status s) noexcept {
  switch (s) {
    case fit_status::converged: return "converged";
    case fit_status::max_iter: return "max_iter";
    case fit_status::line_search_failed: return "line_search_failed";
  }
  return "converged";
}

}  // namespace custhealth
