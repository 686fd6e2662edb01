// bindings/python/src/register_errors.cpp — C++ exceptions as Python ValueError subclasses that
// carry the same message.

#include "bindings.hpp"

namespace custhealth::python {

void register_errors(py::module_& m) {
  py::register_exception<invalid_input>(m, "InvalidInputError", PyExc_ValueError);
  py::register_exception<model_spec_error>(m, "ModelSpecError", PyExc_ValueError);
  py::register_exception<convergence_error>(m, "ConvergenceError", PyExc_ValueError);
}

}  // namespace custhealth::python
