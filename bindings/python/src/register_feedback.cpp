// bindings/python/src/register_feedback.cpp — the feedback analytics for Python.

#include "bindings.hpp"

namespace custhealth::python {

void register_feedback(py::module_& /*m*/) {}

}  // namespace custhealth::python
