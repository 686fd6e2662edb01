// custhealth/detail/survival_input.hpp — validation of survival samples (durations, event flags, late
// entry, case weights) for Kaplan–Meier and log-rank, with messages that name the offending element.
#pragma once

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "custhealth/error.hpp"

namespace custhealth::detail::km {

/// Shortest round-trip decimal form of `x`, for error messages ("-1", "0.5", "nan").
inline std::string format_number(double x) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("?");
}

// ---- messages name the function, the element and the reason, e.g.
// "kaplan_meier: durations[3]: negative duration -1". `label` is "durations[3]" or "duration". ----

inline void check_same_length(std::string_view where, std::string_view name, std::size_t size,
                              std::size_t expected, bool optional) {
  if (size == expected || (optional && size == 0)) return;
  throw invalid_input(std::string(where) + ": " + std::string(name) + " has " + std::to_string(size) +
                      " elements but durations has " + std::to_string(expected) +
                      (optional ? " (pass an empty span to omit it)" : ""));
}

inline void check_duration(std::string_view where, std::string_view label, double t) {
  const std::string prefix = std::string(where) + ": " + std::string(label);
  if (!std::isfinite(t)) throw invalid_input(prefix + ": duration must be finite, got " + format_number(t));
  if (t < 0.0) throw invalid_input(prefix + ": negative duration " + format_number(t));
}

inline void check_flag(std::string_view where, std::string_view label, unsigned flag) {
  if (flag > 1)
    throw invalid_input(std::string(where) + ": " + std::string(label) + ": event flag must be 0 or 1, got " +
                        std::to_string(flag));
}

/// Late entry (left truncation) needs 0 ≤ entry < duration, as R's Surv(start, stop) and lifelines'
/// check_entry_times: a subject entering at its exit time is never in a risk set before the exit, yet
/// lifelines' KM table would still count its death (driving S to 0). The single exception is entry =
/// duration = 0, the same subject as one without late entry who leaves at time 0.
inline void check_entry(std::string_view where, std::string_view label, double entry, double duration) {
  const std::string prefix = std::string(where) + ": " + std::string(label);
  if (!std::isfinite(entry)) throw invalid_input(prefix + ": entry must be finite, got " + format_number(entry));
  if (entry < 0.0) throw invalid_input(prefix + ": negative entry " + format_number(entry));
  if (entry > duration || (entry == duration && entry != 0.0))
    throw invalid_input(prefix + ": entry " + format_number(entry) +
                        (entry > duration ? " is after duration " : " equals duration ") +
                        format_number(duration) + " (a late entrant must be observed for a positive time)");
}

inline void check_weight(std::string_view where, std::string_view label, double w) {
  const std::string prefix = std::string(where) + ": " + std::string(label);
  if (!std::isfinite(w)) throw invalid_input(prefix + ": weight must be finite, got " + format_number(w));
  if (w < 0.0) throw invalid_input(prefix + ": negative weight " + format_number(w));
}

inline void check_confidence(std::string_view where, double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0))
    throw invalid_input(std::string(where) + ": confidence must be in (0, 1), got " + format_number(confidence));
}

inline std::string element(std::string_view name, std::size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

/// True when some value may be negative, infinite or NaN (−0.0 counts too): a scan without branches or
/// floating-point compares, which the compiler vectorises, where a compare per value is several times
/// slower (benchmarks/README.md). On the IEEE-754 pattern: the sign bit, or an exponent of all ones,
/// which adding 2^52 carries into the sign bit.
inline bool maybe_negative_or_not_finite(std::span<const double> values) noexcept {
  std::uint64_t seen = 0;
  for (double v : values) {
    const auto bits = std::bit_cast<std::uint64_t>(v);
    seen |= bits | (bits + (std::uint64_t{1} << 52));
  }
  return (seen >> 63) != 0;
}

/// Validates the parallel arrays of a survival sample; `entry` and `weights` may be empty (omitted).
/// Arrays are checked in argument order, each from its first element.
inline void check_survival_spans(std::string_view where, std::span<const double> durations,
                                 std::span<const std::uint8_t> observed, std::span<const double> entry,
                                 std::span<const double> weights) {
  const std::size_t n = durations.size();
  check_same_length(where, "observed", observed.size(), n, false);
  check_same_length(where, "entry", entry.size(), n, true);
  check_same_length(where, "weights", weights.size(), n, true);
  // Cheap scans first, block by block; the exact checks, which build the message, run only on a block
  // the scan flags (a flagged block may still pass: −0.0 is a valid time).
  constexpr double largest = std::numeric_limits<double>::max();
  auto check_values = [&](std::span<const double> values, std::string_view name, auto check_one) {
    constexpr std::size_t block = 4096;
    for (std::size_t b = 0; b < values.size(); b += block) {
      const std::size_t end = std::min(values.size(), b + block);
      if (maybe_negative_or_not_finite(values.subspan(b, end - b)))
        for (std::size_t i = b; i < end; ++i)
          if (!(values[i] >= 0.0 && values[i] <= largest)) check_one(where, element(name, i), values[i]);
    }
  };
  check_values(durations, "durations", check_duration);
  std::uint8_t flag_bits = 0;  // bits other than the lowest, in any flag
  for (std::uint8_t flag : observed) flag_bits |= static_cast<std::uint8_t>(flag & 0xFE);
  if (flag_bits != 0)
    for (std::size_t i = 0; i < n; ++i)
      if (observed[i] > 1) check_flag(where, element("observed", i), observed[i]);
  for (std::size_t i = 0; i < entry.size(); ++i)
    if (!(entry[i] >= 0.0 && (entry[i] < durations[i] || entry[i] == 0.0)))
      check_entry(where, element("entry", i), entry[i], durations[i]);
  check_values(weights, "weights", check_weight);
}

}  // namespace custhealth::detail::km
