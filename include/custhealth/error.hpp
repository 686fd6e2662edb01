// custhealth/error.hpp — the library's exception types.
// Bad data and bad arguments are std::invalid_argument; failed fits are std::runtime_error.
#pragma once

#include <stdexcept>

namespace custhealth {

/// Malformed or out-of-domain input: a CSV row, an array value, an inconsistent argument.
/// The message names the place (`usage.csv:1042: column 'timestamp': ...`) and the reason.
class invalid_input : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// A model or scorecard file that does not match its schema; the message carries the JSON path.
class model_spec_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// An iterative fit that did not converge, raised only when the caller asks for an exception
/// (fits otherwise report a status, as Eigen's solvers do).
class convergence_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace custhealth
