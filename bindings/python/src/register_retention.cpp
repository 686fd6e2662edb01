// bindings/python/src/register_retention.cpp — the retention analytics for Python.

#include "bindings.hpp"

namespace custhealth::python {

void register_retention(py::module_& /*m*/) {}

}  // namespace custhealth::python
