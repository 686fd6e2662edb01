// bindings/python/src/grouped_bindings.hpp — what the grouped aggregates (feedback, support, payments)
// share at the Python edge: key columns and times read in place, the time axis, results as arrays.
#pragma once

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "custhealth/grouping.hpp"

namespace custhealth::python {

/// The address of an array's first element, so tests can prove the core read the caller's buffer.
inline std::uintptr_t address_of(const void* p) { return reinterpret_cast<std::uintptr_t>(p); }

/// Integer codes read in place when their dtype is an integer of any width and the layout is
/// contiguous (pandas categorical codes are int8/int16/int32, factorized codes int64).
inline code_span codes_of(const py::array& a, const std::string& what, std::vector<py::object>& keep) {
  if (a.ndim() != 1) throw invalid_input(what + ": expected a one-dimensional array");
  const char kind = a.dtype().kind();
  if (kind != 'i' && !(kind == 'u' && a.itemsize() == 1))
    throw invalid_input(what + ": expected integer codes, got dtype " + std::string(py::str(a.dtype())));
  py::array c = a;
  if (!(a.flags() & py::array::c_style)) c = py::array::ensure(a, py::array::c_style);
  keep.push_back(c);
  const auto n = static_cast<std::size_t>(c.shape(0));
  const void* p = c.data();
  switch (kind == 'u' ? 0 : c.itemsize()) {
    case 0:
      return std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(p), n);
    case 1:
      return std::span<const std::int8_t>(static_cast<const std::int8_t*>(p), n);
    case 2:
      return std::span<const std::int16_t>(static_cast<const std::int16_t*>(p), n);
    case 4:
      return std::span<const std::int32_t>(static_cast<const std::int32_t*>(p), n);
    default:
      return std::span<const std::int64_t>(static_cast<const std::int64_t*>(p), n);
  }
}

/// Key columns from Python: a list of (name, codes, labels). The arrays are read in place; the
/// labels are copied into `labels` (the key columns point into it).
struct python_keys {
  std::vector<py::object> keep;                  // arrays whose memory the key columns borrow
  std::vector<std::vector<std::string>> labels;  // one list per key
  std::vector<key_column> columns;
  py::dict addresses;  // name → address of the codes read

  explicit python_keys(const py::list& keys) {
    labels.reserve(keys.size());
    for (const auto& item : keys) {
      const auto t = item.cast<py::tuple>();
      const auto name = t[0].cast<std::string>();
      const code_span codes = codes_of(t[1].cast<py::array>(), "key '" + name + "'", keep);
      labels.push_back(t[2].cast<std::vector<std::string>>());
      columns.push_back({name, codes, {}, labels.back()});
      addresses[py::str(name)] = address_of(codes.data());
    }
  }
};

/// A time column from an int64 array (epoch ticks; INT64_MIN = absent) read in place, or an absent
/// optional column for None.
inline time_column times_of(const py::object& a, std::int64_t ticks_per_second, const char* what,
                            std::vector<py::object>& keep) {
  if (a.is_none()) return {};
  auto arr = array_of<std::int64_t>::ensure(a);
  if (!arr) throw invalid_input(std::string(what) + ": expected an int64 array of epoch ticks");
  keep.push_back(arr);
  return time_column(as_span(arr), ticks_per_second);
}

/// The time axis from the Python arguments: period "D"/"W"/"M"/"Q" or None, as-of seconds or
/// None, window days (0 = none).
inline time_grouping scope_of(const std::optional<std::string>& per, std::optional<timestamp> as_of,
                              std::int64_t window_days) {
  time_grouping scope;
  scope.period = per ? std::optional<period>(parse_period(*per)) : std::nullopt;
  scope.as_of = as_of.value_or(no_time);
  scope.window_days = window_days;
  return scope;
}

/// The keys of a grouped result for Python: names, per-key group codes, labels and input codes, and
/// the period starts (INT64_MIN when grouped over all time).
inline py::dict keys_out(group_keys&& keys) {
  py::dict out;
  py::list codes, labels, input_codes;
  for (std::size_t k = 0; k < keys.names.size(); ++k) {
    codes.append(to_numpy(std::move(keys.codes[k])));
    labels.append(py::cast(keys.labels[k]));
    input_codes.append(to_numpy(std::move(keys.input_codes[k])));
  }
  out["names"] = keys.names;
  out["codes"] = codes;
  out["labels"] = labels;
  out["input_codes"] = input_codes;
  out["start"] = to_numpy(std::move(keys.start));
  return out;
}

/// Columns of per-group numbers, filled from a grouped result by `fill(values, g)`.
class column_builder {
 public:
  explicit column_builder(std::size_t groups) : groups_(groups) {}

  std::vector<double>& real(const char* name) { return add(reals_, name); }
  std::vector<std::int64_t>& integer(const char* name) { return add(integers_, name); }

  py::dict finish() {
    py::dict out;
    for (auto& [name, v] : integers_) out[py::str(name)] = to_numpy(std::move(v));
    for (auto& [name, v] : reals_) out[py::str(name)] = to_numpy(std::move(v));
    return out;
  }

 private:
  template <class T>
  std::vector<T>& add(std::deque<std::pair<std::string, std::vector<T>>>& into, const char* name) {
    into.emplace_back(name, std::vector<T>(groups_));
    return into.back().second;
  }
  std::size_t groups_;
  // Deques: references handed out stay valid while more columns are added.
  std::deque<std::pair<std::string, std::vector<double>>> reals_;
  std::deque<std::pair<std::string, std::vector<std::int64_t>>> integers_;
};

/// Throws invalid_input unless 0 < confidence < 1.
inline double checked_confidence(double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0))
    throw invalid_input("confidence must lie strictly between 0 and 1, got " + std::to_string(confidence));
  return confidence;
}

}  // namespace custhealth::python
