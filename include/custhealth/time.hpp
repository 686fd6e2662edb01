// custhealth/time.hpp — time as int64 UTC seconds: ISO-8601 / epoch parsing, calendar periods
// (day, ISO week, month, quarter) and the "as of T, window W" convention every analytic follows.
#pragma once

#include <array>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "custhealth/enums.hpp"
#include "custhealth/error.hpp"

namespace custhealth {

/// Seconds since 1970-01-01T00:00:00Z.
using timestamp = std::int64_t;

/// Marks an absent optional time (an active account's `end`, an unanswered ticket).
inline constexpr timestamp no_time = std::numeric_limits<timestamp>::min();

inline constexpr timestamp seconds_per_day = 86'400;

struct civil_date {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
};

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-compatible low-level
/// date algorithms", days_from_civil).
constexpr std::int64_t days_from_civil(int y, int m, int d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153u * static_cast<unsigned>(m > 2 ? m - 3 : m + 9) + 2u) / 5u +
                       static_cast<unsigned>(d) - 1u;
  const unsigned doe = yoe * 365u + yoe / 4u - yoe / 100u + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

/// The inverse of days_from_civil (Hinnant, civil_from_days).
constexpr civil_date civil_from_days(std::int64_t z) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const auto y = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2));
  return {y, static_cast<int>(m), static_cast<int>(d)};
}

constexpr bool is_leap_year(int y) noexcept { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

constexpr int days_in_month(int y, int m) noexcept {
  constexpr std::array<int, 12> days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap_year(y) ? 29 : days[static_cast<std::size_t>(m - 1)];
}

/// Floor division that rounds toward −∞, so times before 1970 fall in the right day and period.
constexpr std::int64_t floor_div(std::int64_t a, std::int64_t b) noexcept {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

constexpr timestamp from_civil(int y, int m, int d, int hh = 0, int mm = 0, int ss = 0) noexcept {
  return days_from_civil(y, m, d) * seconds_per_day + hh * 3600 + mm * 60 + ss;
}

constexpr std::int64_t day_number(timestamp t) noexcept { return floor_div(t, seconds_per_day); }

namespace detail {

constexpr bool parse_digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    const char c = s[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

}  // namespace detail

constexpr std::int64_t ticks_per_second(time_unit u) noexcept {
  constexpr std::array<std::int64_t, enum_size<time_unit>> ticks{1, 1'000, 1'000'000, 1'000'000'000};
  return ticks[static_cast<std::size_t>(u)];
}

/// Parses an ISO-8601 date (`2024-03-01`), date-time (`2024-03-01T12:30:00`, `2024-03-01 12:30`,
/// fractional seconds truncated, `Z` or `±hh:mm`/`±hhmm` offset; no offset means UTC), or integer
/// epoch seconds (`1709251200`, optionally negative; in ticks of `unit`, floored to the second).
/// Returns nothing when `s` is none of those or names an impossible date (month 13, February 30,
/// hour 24).
constexpr std::optional<timestamp> parse_time(std::string_view s, time_unit unit = time_unit::s) noexcept {
  int y = 0, mo = 0, d = 0;
  if (s.size() >= 10 && s[4] == '-' && s[7] == '-' && detail::parse_digits(s, 0, 4, y) &&
      detail::parse_digits(s, 5, 2, mo) && detail::parse_digits(s, 8, 2, d)) {
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return std::nullopt;
    timestamp t = from_civil(y, mo, d);
    if (s.size() == 10) return t;
    if (s[10] != 'T' && s[10] != ' ') return std::nullopt;
    int hh = 0, mi = 0, ss = 0;
    if (!detail::parse_digits(s, 11, 2, hh) || s.size() < 16 || s[13] != ':' ||
        !detail::parse_digits(s, 14, 2, mi))
      return std::nullopt;
    std::size_t pos = 16;
    if (pos < s.size() && s[pos] == ':') {
      if (!detail::parse_digits(s, pos + 1, 2, ss)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        ++pos;
        const std::size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
        if (pos == start) return std::nullopt;
      }
    }
    if (hh > 23 || mi > 59 || ss > 60) return std::nullopt;  // 60: a leap second, folded below
    t += hh * 3600 + mi * 60 + ss;
    if (pos == s.size()) return t;
    if (s[pos] == 'Z' && pos + 1 == s.size()) return t;
    if (s[pos] != '+' && s[pos] != '-') return std::nullopt;
    const int sign = s[pos] == '+' ? 1 : -1;
    int oh = 0, om = 0;
    if (!detail::parse_digits(s, pos + 1, 2, oh)) return std::nullopt;
    std::size_t rest = pos + 3;
    if (rest < s.size() && s[rest] == ':') ++rest;
    if (rest < s.size() && !detail::parse_digits(s, rest, 2, om)) return std::nullopt;
    if (rest < s.size()) rest += 2;
    if (rest != s.size() || oh > 23 || om > 59) return std::nullopt;
    return t - sign * (oh * 3600 + om * 60);  // local = UTC + offset
  }
  // Epoch seconds: an optional sign and digits only.
  if (s.empty()) return std::nullopt;
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size()) return std::nullopt;
  return floor_div(v, ticks_per_second(unit));
}

/// Parses a month, `YYYY-MM` or any date/time inside it, to the first second of that month.
constexpr std::optional<timestamp> parse_month(std::string_view s, time_unit unit = time_unit::s) noexcept {
  int y = 0, m = 0;
  if (s.size() == 7 && s[4] == '-' && detail::parse_digits(s, 0, 4, y) && detail::parse_digits(s, 5, 2, m)) {
    if (m < 1 || m > 12) return std::nullopt;
    return from_civil(y, m, 1);
  }
  if (auto t = parse_time(s, unit)) {
    const civil_date c = civil_from_days(day_number(*t));
    return from_civil(c.year, c.month, 1);
  }
  return std::nullopt;
}

/// Plausible times (DESIGN §2): from 1900-01-01 up to, not including, 2200-01-01 UTC. Every loader
/// rejects a time outside (a unit mistake — epoch milliseconds read as seconds — or garbage, or the
/// no_time sentinel itself), which also keeps every period index and calendar computation far from
/// overflow: an analytic never sees a time outside this span.
inline constexpr timestamp earliest_plausible_time = from_civil(1900, 1, 1);
inline constexpr timestamp end_of_plausible_times = from_civil(2200, 1, 1);

constexpr bool is_plausible_time(timestamp t) noexcept {
  return t >= earliest_plausible_time && t < end_of_plausible_times;
}

/// Parses a time or throws invalid_input saying what could not be read.
inline timestamp parse_time_or_throw(std::string_view s) {
  if (auto t = parse_time(s)) return *t;
  throw invalid_input("cannot parse \"" + std::string(s) + "\" as a date or time");
}

/// `YYYY-MM-DD` of the UTC day containing `t` (years outside 0..9999 keep all their digits and
/// their sign).
inline std::string format_date(timestamp t) {
  const civil_date c = civil_from_days(day_number(t));
  auto two = [](int v) { return std::string{char('0' + v / 10), char('0' + v % 10)}; };
  std::string year = std::to_string(c.year < 0 ? -c.year : c.year);
  if (year.size() < 4) year.insert(0, 4 - year.size(), '0');
  return (c.year < 0 ? "-" : "") + year + '-' + two(c.month) + '-' + two(c.day);
}

/// A dense, ordered number for the period containing `t`: consecutive periods differ by 1, so a
/// cohort offset is a subtraction. Days and weeks count from the epoch (1970-01-05 is a Monday),
/// months and quarters from year 0.
constexpr std::int64_t period_index(timestamp t, period p) noexcept {
  const std::int64_t day = day_number(t);
  switch (p) {
    case period::day: return day;
    case period::week: return floor_div(day - 4, 7);
    case period::month: {
      const civil_date c = civil_from_days(day);
      return std::int64_t{c.year} * 12 + (c.month - 1);
    }
    case period::quarter: {
      const civil_date c = civil_from_days(day);
      return std::int64_t{c.year} * 4 + (c.month - 1) / 3;
    }
  }
  return 0;
}

/// The first second of the period with index `index` (the inverse of period_index).
constexpr timestamp period_start(std::int64_t index, period p) noexcept {
  switch (p) {
    case period::day: return index * seconds_per_day;
    case period::week: return (index * 7 + 4) * seconds_per_day;
    case period::month:
      return from_civil(static_cast<int>(floor_div(index, 12)), static_cast<int>(index - floor_div(index, 12) * 12) + 1, 1);
    case period::quarter:
      return from_civil(static_cast<int>(floor_div(index, 4)), static_cast<int>(index - floor_div(index, 4) * 4) * 3 + 1, 1);
  }
  return 0;
}

/// A half-open time interval [begin, end).
struct window {
  timestamp begin = 0;
  timestamp end = 0;

  constexpr bool contains(timestamp t) const noexcept { return t >= begin && t < end; }
};

/// The last calendar period fully observed before `as_of` (the one containing `as_of` is partial
/// unless `as_of` is its first second, and then it has not begun).
constexpr std::int64_t last_complete_period(timestamp as_of, period p) noexcept { return period_index(as_of, p) - 1; }

/// The trailing window of `days` days as of `as_of`: [as_of − days, as_of). Only rows strictly
/// before the as-of moment count, which keeps point-in-time features free of leakage.
constexpr window trailing_window(timestamp as_of, std::int64_t days) noexcept {
  return {as_of - days * seconds_per_day, as_of};
}

/// The moment an analytic looks from (DESIGN §2 "as of"): only rows with time < `as_of` count, and
/// with a window only those of [as_of − W days, as_of). no_time means "the end of the data", which
/// dataset::as_of_or_end resolves for the tables the analytic reads.
struct point_in_time {
  timestamp as_of = no_time;
  std::int64_t window_days = 0;  // 0: no window

  constexpr window trailing() const noexcept { return trailing_window(as_of, window_days); }
};

}  // namespace custhealth
