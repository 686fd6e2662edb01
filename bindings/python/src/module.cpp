// bindings/python/src/module.cpp — custhealth._core, the private compiled module; the typed public
// API is the pure-Python package around it (bindings/python/custhealth).

#include "bindings.hpp"

PYBIND11_MODULE(_core, m) {
  m.doc() = "custhealth's compiled core (private: import custhealth instead)";
  m.attr("__version__") = CUSTHEALTH_VERSION;
  using namespace custhealth::python;
  register_errors(m);
  register_dataset(m);
  register_feedback(m);
  register_support(m);
  register_payments(m);
  register_retention(m);
  register_survival(m);
}
