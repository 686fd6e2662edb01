// bindings/python/src/bindings.hpp — what every register_<component>.cpp shares: the register
// functions, numpy arrays in (without a copy when dtype and layout fit) and columns out as views.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "custhealth/churn/matrix_view.hpp"
#include "custhealth/churn/metrics.hpp"
#include "custhealth/dataset.hpp"

namespace custhealth::python {

namespace py = pybind11;

void register_errors(py::module_& m);
void register_dataset(py::module_& m);
void register_feedback(py::module_& m);
void register_support(py::module_& m);
void register_payments(py::module_& m);
void register_retention(py::module_& m);
void register_survival(py::module_& m);
void register_signals(py::module_& m);
void register_scorecard(py::module_& m);
void register_assignment(py::module_& m);
void register_metrics(py::module_& m);
void register_churn(py::module_& m);
void register_btyd(py::module_& m);
void register_cox(py::module_& m);
void register_tracker(py::module_& m);

/// A numpy array of T, converted only when its dtype or layout does not fit.
template <class T>
using array_of = py::array_t<T, py::array::c_style | py::array::forcecast>;

/// A vector handed to numpy without a copy: the array owns it through a capsule. `release`, when
/// given, receives the vector before it is destroyed (e.g. to give its buffer back to a pool).
template <class T>
py::array_t<T> to_numpy(std::vector<T> values, void (*release)(std::vector<T>&) = nullptr) {
  struct owned_vector {
    std::vector<T> values;
    void (*release)(std::vector<T>&);
  };
  auto* owned = new owned_vector{std::move(values), release};
  py::capsule owner(owned, [](void* p) {
    auto* o = static_cast<owned_vector*>(p);
    if (o->release != nullptr) o->release(o->values);
    delete o;
  });
  return py::array_t<T>({static_cast<py::ssize_t>(owned->values.size())}, {static_cast<py::ssize_t>(sizeof(T))},
                        owned->values.data(), owner);
}

/// A read-only 1-D numpy array over memory that `base` keeps alive.
template <class T>
py::array_t<T> readonly_array(const T* data, std::size_t size, py::handle base) {
  py::array_t<T> out({static_cast<py::ssize_t>(size)}, {static_cast<py::ssize_t>(sizeof(T))}, data, base);
  py::detail::array_proxy(out.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return out;
}

/// A read-only view of a 1-D array; read it while the GIL is held or while `a` is referenced.
template <class T>
std::span<const T> as_span(const array_of<T>& a) {
  if (a.ndim() != 1) throw invalid_input("expected a one-dimensional array");
  return {a.data(), static_cast<std::size_t>(a.shape(0))};
}

/// An owner that keeps a Python object alive; the reference is dropped under the GIL, wherever
/// the last copy dies.
inline std::shared_ptr<const void> keep_alive(py::object o) {
  return std::shared_ptr<const void>(new py::object(std::move(o)), [](const void* p) {
    py::gil_scoped_acquire gil;
    delete static_cast<const py::object*>(p);
  });
}

/// A column that borrows the array's memory; the array stays alive as long as the column.
template <class T>
column<T> borrow(const array_of<T>& a) {
  const auto values = as_span(a);
  return column<T>(values.data(), values.size(), keep_alive(a));
}

/// A read-only numpy view of a column that shares (and keeps alive) its storage.
template <class T>
py::array_t<T> view(const column<T>& c) {
  auto* copy = new column<T>(c);
  py::capsule owner(copy, [](void* p) { delete static_cast<column<T>*>(p); });
  return readonly_array(c.data(), c.size(), owner);
}

/// 0/1 labels read in place when the array is a 1-D contiguous bool, (u)int8, int32, int64, float32 or
/// float64 array (what numpy makes of lists, pandas columns, comparisons); anything else is converted to
/// float64 first (`array` then holds the copy). Read `view` while `array` lives.
struct label_array {
  py::array array;
  label_view view;
};

template <class T>
bool take_labels_as(label_array& out) {
  using exact = py::array_t<T, py::array::c_style>;
  if (!py::isinstance<exact>(out.array)) return false;
  out.view = std::span<const T>(static_cast<const T*>(out.array.data()), static_cast<std::size_t>(out.array.size()));
  return true;
}

inline label_array read_label_array(const py::array& a, const char* name) {
  if (a.ndim() != 1)
    throw invalid_input(std::string(name) + " must be one-dimensional, got " + std::to_string(a.ndim()) +
                        " dimensions");
  label_array out{a, {}};
  if (take_labels_as<bool>(out) || take_labels_as<std::uint8_t>(out) ||
      take_labels_as<std::int8_t>(out) || take_labels_as<std::int32_t>(out) ||
      take_labels_as<std::int64_t>(out) || take_labels_as<float>(out) ||
      take_labels_as<double>(out))
    return out;
  out.array = array_of<double>::ensure(a);
  if (!out.array) throw py::error_already_set();
  take_labels_as<double>(out);
  return out;
}

/// A 2-D float64 array read in place whatever its strides (a DataFrame's block is Fortran order);
/// other dtypes are converted to a C-order float64 copy, which `array` then holds. Read `view` while
/// `array` lives.
struct matrix_input {
  py::array array;
  matrix_view view;
};

inline matrix_input read_matrix(const py::array& a, const char* where) {
  if (a.ndim() != 2)
    throw invalid_input(std::string(where) + ": X must be two-dimensional, got " + std::to_string(a.ndim()) +
                        " dimensions");
  constexpr auto size = static_cast<py::ssize_t>(sizeof(double));
  if (py::isinstance<py::array_t<double>>(a) && a.strides(0) % size == 0 && a.strides(1) % size == 0)
    return {a, matrix_view{static_cast<const double*>(a.data()), static_cast<std::size_t>(a.shape(0)),
                           static_cast<std::size_t>(a.shape(1)), a.strides(0) / size, a.strides(1) / size}};
  py::array copy = array_of<double>::ensure(a);
  if (!copy) throw py::error_already_set();
  const auto* data = static_cast<const double*>(copy.data());
  return {copy, matrix_view::row_major(data, static_cast<std::size_t>(copy.shape(0)),
                                       static_cast<std::size_t>(copy.shape(1)))};
}

/// The dataset shared between Python objects (and kept alive by the views taken of it).
using dataset_ptr = std::shared_ptr<dataset>;  // pybind11 holders are non-const; datasets are immutable anyway

/// An ingest report as {table: {source, read, accepted, rejected, duplicates, reasons, examples}}.
py::dict report_dict(const ingest_report& report);

}  // namespace custhealth::python
