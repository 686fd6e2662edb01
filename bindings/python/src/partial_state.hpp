// bindings/python/src/partial_state.hpp — mergeable partial states for Python (custhealth.dask): one
// template registers every state type (merge, equality, pickle as bytes), and the bytes format of each.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "custhealth/detail/state_io.hpp"
#include "custhealth/feedback/survey.hpp"
#include "custhealth/payments/quality.hpp"
#include "custhealth/support/sla.hpp"
#include "custhealth/grouping.hpp"

namespace custhealth::python {

/// Bytes of a state: fixed-size values as their object representation, vectors and strings as a
/// length then their elements. A pickle travels between processes of one build (a Dask cluster's
/// workers and client), so the representation is the build's own; the header tag and the version
/// refuse anything else.
class state_writer {
 public:
  template <class T>
  requires std::is_trivially_copyable_v<T> void put(const T& v) {
    out_.append(reinterpret_cast<const char*>(&v), sizeof(T));
  }
  template <class T>
  void put(const std::vector<T>& v) {
    put(std::uint64_t(v.size()));
    if constexpr (std::is_trivially_copyable_v<T>)
      out_.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
    else
      for (const auto& x : v) put(x);
  }
  void put(const std::string& s) {
    put(std::uint64_t(s.size()));
    out_ += s;
  }
  py::bytes bytes() const { return py::bytes(out_); }

 private:
  std::string out_;
};

class state_reader {
 public:
  explicit state_reader(std::string_view in, const char* what) : in_(in), what_(what) {}

  template <class T>
  requires std::is_trivially_copyable_v<T> T get() {
    T v;
    std::memcpy(&v, take(sizeof(T)), sizeof(T));
    return v;
  }
  template <class T>
  void get(std::vector<T>& v) {
    const auto n = get<std::uint64_t>();
    if constexpr (std::is_trivially_copyable_v<T>) {
      if (n > in_.size() / sizeof(T)) fail("truncated");
      v.resize(n);
      const void* from = take(n * sizeof(T));
      if (n > 0) std::memcpy(v.data(), from, n * sizeof(T));  // an empty vector's data() may be null
    } else {
      if (n > in_.size()) fail("truncated");
      v.resize(n);
      for (auto& x : v) get(x);
    }
  }
  void get(std::string& s) {
    const auto n = get<std::uint64_t>();
    s.assign(take(n), n);
  }
  void done() const {
    if (!in_.empty()) fail("trailing bytes");
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw invalid_input(std::string("unpickling ") + what_ + ": " + why + " (states pickle between processes of "
                        "the same custhealth build)");
  }

 private:
  const char* take(std::size_t n) {
    if (n > in_.size()) fail("truncated");
    const char* p = in_.data();
    in_.remove_prefix(n);
    return p;
  }
  std::string_view in_;
  const char* what_;
};

/// The keys of a grouped result, checked on the way back: every per-group column as long as `start`,
/// every code −1 or a label's index.
inline void write_keys(state_writer& w, const group_keys& k) {
  w.put(k.names), w.put(k.labels), w.put(k.codes), w.put(k.input_codes);
  w.put(std::int32_t(k.period ? static_cast<std::int32_t>(*k.period) : -1));
  w.put(k.window_days), w.put(k.start);
}
inline group_keys read_keys(state_reader& r) {
  group_keys k;
  r.get(k.names), r.get(k.labels), r.get(k.codes), r.get(k.input_codes);
  const auto p = r.get<std::int32_t>();
  if (p < -1 || p >= std::int32_t(enum_size<period>)) r.fail("bad period");
  if (p >= 0) k.period = static_cast<period>(p);
  k.window_days = r.get<std::int64_t>();
  r.get(k.start);
  if (k.labels.size() != k.names.size() || k.codes.size() != k.names.size()) r.fail("inconsistent keys");
  for (std::size_t i = 0; i < k.names.size(); ++i) {
    if (k.codes[i].size() != k.start.size()) r.fail("inconsistent keys");
    for (auto c : k.codes[i])
      if (c < no_code || c >= std::int32_t(k.labels[i].size())) r.fail("a key code out of range");
  }
  return k;
}

/// The bytes of a grouped result's values: the object representation of a fixed-size value (survey
/// histograms, SLA and payment counts), or the value's own writer (put_value / get_value overloads).
template <class Value>
requires std::is_trivially_copyable_v<Value> void put_value(state_writer& w, const Value& v) { w.put(v); }
template <class Value>
requires std::is_trivially_copyable_v<Value> void get_value(state_reader& r, Value& v) { v = r.get<Value>(); }

/// A CSAT summary's scale and boxes are checked on the way back (they size its histogram's use).
inline void get_value(state_reader& r, csat_summary& v) {
  v = r.get<csat_summary>();
  (void)csat_summary(v.scale(), v.top_boxes());  // throws invalid_input for a corrupt scale
}

/// Payment counts field by field (the struct has padding, whose bytes are not to travel), each
/// type's `several` flag checked to be 0 or 1.
inline void put_value(state_writer& w, const payment_counts& v) {
  w.put(v.count), w.put(v.volume), w.put(v.currency), w.put(v.several);
}
inline void get_value(state_reader& r, payment_counts& v) {
  v.count = r.get<decltype(v.count)>(), v.volume = r.get<decltype(v.volume)>();
  v.currency = r.get<decltype(v.currency)>(), v.several = r.get<decltype(v.several)>();
  for (const auto f : v.several)
    if (f > 1) r.fail("a payments state with a corrupt currency flag");
}

/// An SLA group's counts and its two sorted duration lists (checked sorted on the way back).
inline void put_value(state_writer& w, const sla_partial& v) {
  w.put(v.counts), w.put(v.first_response), w.put(v.resolution);
}
inline void get_value(state_reader& r, sla_partial& v) {
  v.counts = r.get<sla_counts>();
  r.get(v.first_response), r.get(v.resolution);
  if (!std::is_sorted(v.first_response.begin(), v.first_response.end()) ||
      !std::is_sorted(v.resolution.begin(), v.resolution.end()))
    r.fail("unsorted durations");
}

template <class Value>
void write_state(state_writer& w, const grouped<Value>& g) {
  write_keys(w, g.keys);
  w.put(std::uint64_t(g.values.size()));
  for (const auto& v : g.values) put_value(w, v);
}
template <class Value>
void read_state(state_reader& r, grouped<Value>& g) {
  g.keys = read_keys(r);
  const auto n = r.get<std::uint64_t>();
  if (n != g.keys.size()) r.fail("inconsistent keys");
  g.values.resize(n);
  for (auto& v : g.values) get_value(r, v);
}

/// States whose members are private: written and read by their detail::state_io specialisation.
template <class State>
requires requires(state_writer& w, const State& s) { detail::state_io<State>::write(w, s); }
void write_state(state_writer& w, const State& s) { detail::state_io<State>::write(w, s); }
template <class State>
requires requires(state_reader& r, State& s) { detail::state_io<State>::read(r, s); }
void read_state(state_reader& r, State& s) { detail::state_io<State>::read(r, s); }

/// A partial state for Python: the C++ mergeable value and the parameters its result is reported with
/// (a confidence level, thresholds, the as-of time); only states of equal parameters merge.
template <class Value, class Params>
struct partial_state {
  Value value;
  Params params;

  partial_state& operator+=(const partial_state& o) {
    if (!(params == o.params)) throw invalid_input("partial states computed with different parameters cannot be merged");
    value += o.value;
    return *this;
  }
  friend bool operator==(const partial_state& a, const partial_state& b) {
    return a.params == b.params && a.value == b.value;
  }
};
struct no_params {
  friend bool operator==(no_params, no_params) noexcept { return true; }
};

/// Registers a partial-state class: `merge(other)` (a new state: this one's and the other's rows),
/// `==`, pickling through its bytes, and `result()` = finish(state) (a dict the Python package turns
/// into what the single-process call returns).
template <class State, class Finish>
py::class_<State> partial_class(py::module_& m, const char* name, const char* doc, const char* tag, Finish finish) {
  static_assert(std::is_trivially_copyable_v<decltype(State::params)>);
  // "/2": cohort states carry their first period with data, payment states their currencies.
  static const std::string format = std::string(tag) + "/2";
  py::class_<State> c(m, name, doc);
  c.def(
       "merge",
       [](const State& a, const State& b) {
         State out = a;
         {
           py::gil_scoped_release release;
           out += b;
         }
         return out;
       },
       py::arg("other"), "The state of both partitions' rows (exact: counts and sums over disjoint rows)")
      .def("__eq__", [](const State& a, const State& b) { return a == b; })
      .def("result", finish, "The result, as the single-process call reports it")
      .def(py::pickle(
          [](const State& s) {
            state_writer w;
            w.put(format);
            w.put(s.params);
            write_state(w, s.value);
            return w.bytes();
          },
          [](const py::bytes& b) {
            const std::string_view in = b;
            state_reader r(in, format.c_str());
            std::string got;
            r.get(got);
            if (got != format) r.fail("format '" + got + "'");
            State s{};
            s.params = r.get<decltype(State::params)>();
            read_state(r, s.value);
            r.done();
            return s;
          }));
  c.attr("__hash__") = py::none();  // compared by value: unhashable
  return c;
}

}  // namespace custhealth::python
