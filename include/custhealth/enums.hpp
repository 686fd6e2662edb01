// custhealth/enums.hpp — the one vocabulary of enumerated values (tables, periods, time units, survey
// kinds, priorities, payment types, cohort and MRR terms): their names, parsing, sizes and domains.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "custhealth/error.hpp"

namespace custhealth {

// ---- the enumerations ------------------------------------------------------------------------

/// The six input tables of DESIGN §2.
enum class table_id : std::uint8_t { accounts, usage, surveys, tickets, mrr, payments };

/// The unit of integer epoch times in the input (DESIGN §2, `time_unit=`): seconds unless told.
enum class time_unit : std::uint8_t { s, ms, us, ns };

/// Calendar periods (weeks are ISO weeks, starting on Monday), named by pandas' aliases.
enum class period : std::uint8_t { day, week, month, quarter };

enum class survey_kind : std::uint8_t { nps, csat, ces };
enum class priority : std::uint8_t { low, normal, high, urgent };
enum class payment_type : std::uint8_t { payment, refund, chargeback, decline, cancellation };

/// Reichheld's NPS bands (see classify_nps).
enum class nps_category : std::uint8_t { detractor, passive, promoter };

/// `on`: R(c,k) = share of cohort c with ≥ 1 qualifying event in period c+k ("N-period" retention).
/// `on_or_after`: share with ≥ 1 qualifying event in any period ≥ c+k ("unbounded" retention).
enum class cohort_mode : std::uint8_t { on, on_or_after };

/// What puts an account in a cohort: the period of its first qualifying activity (its first usage
/// event, or for revenue cohorts its first month with MRR > 0), or the period of its `start`.
enum class cohort_origin : std::uint8_t { first_activity, start };

/// What a cohort counts: accounts (heads) or MRR (revenue cohorts).
enum class cohort_value : std::uint8_t { accounts, mrr };

/// How an account's MRR moved from the previous month to this one (DESIGN §4 "Retention"):
/// new_business — first ever MRR > 0; reactivation — MRR > 0 after a month at 0, having paid before;
/// expansion / contraction — up / down while paying in both months; churn — MRR > 0 → 0;
/// unchanged — paying the same in both months.
enum class mrr_movement : std::uint8_t { new_business, expansion, contraction, churn, reactivation, unchanged };

/// A ticket's first-response SLA as of T (see classify_sla).
enum class sla_state : std::uint8_t { met, breached, pending };

/// How metrics' calibration() places its bin edges: `uniform`, bins of equal width over [0, 1];
/// `quantile`, bins holding about equal numbers of predictions (numpy's linear percentiles of p).
enum class calibration_strategy : std::uint8_t { uniform, quantile };

/// Why an account is not in a churn training set at T (churn/labels.hpp): `none` when it is;
/// no start date; start ≥ T; ended before T; inactive at T (inactivity labels).
enum class churn_exclusion : std::uint8_t { none, no_start, not_started, ended, inactive };

/// How urgent an alert is (DESIGN §4 "Alerts").
enum class alert_severity : std::uint8_t { low, medium, high };

/// What raised an alert: the card's score (red, or a drop), no usage for a while, a renewal coming
/// up, a detractor answer while a high/urgent ticket is open, or one of the card's signal thresholds.
enum class alert_kind : std::uint8_t { at_risk, inactive, renewal, escalation, threshold };

/// How an iterative fit ended, Eigen's ComputationInfo in spirit: only `converged` means the
/// gradient test passed at a proper maximum; max_iter: the iteration limit came first;
/// line_search_failed: no step along the search direction decreased the objective (rounding, or a flat
/// or singular problem); singular_hessian: the gradient vanished but the Hessian there is not positive
/// definite — a flat maximum or one at the boundary (a parameter running off to 0 or infinity).
enum class fit_status : std::uint8_t { converged, max_iter, line_search_failed, singular_hessian };

/// The weight of each event time in a log-rank test (Klein & Moeschberger 2003 §7.3; lifelines' `weightings`):
/// 1, the number at risk n (Gehan–Breslow–Wilcoxon), √n (Tarone–Ware), Peto–Peto's modified survival
/// Π(1 − d/(n + 1)), or Fleming–Harrington's S(t−)ᵖ(1 − S(t−))^q.
enum class logrank_weighting : std::uint8_t { logrank, wilcoxon, tarone_ware, peto, fleming_harrington };

/// The buy-till-you-die models of DESIGN §4: BG/NBD, MBG/NBD, Pareto/NBD, Gamma-Gamma spend, BG/BB
/// (discrete opportunities) and the shifted-beta-geometric (contract renewals by cohort).
enum class btyd_model : std::uint8_t { bg_nbd, mbg_nbd, pareto_nbd, gamma_gamma, bg_bb, sbg };

/// none: no payments, so no ratio; ok; warning: ratio ≥ warning; breach: ratio ≥ breach.
enum class payment_flag : std::uint8_t { none, ok, warning, breach };

// ---- their names -----------------------------------------------------------------------------

namespace detail {
template <class E>
struct enum_names;
#define CUSTHEALTH_ENUM_NAMES(E, ...)                                             \
  template <>                                                                     \
  struct enum_names<E> {                                                          \
    static constexpr std::array values = std::to_array<std::string_view>({__VA_ARGS__}); \
  }
CUSTHEALTH_ENUM_NAMES(table_id, "accounts", "usage", "surveys", "tickets", "mrr", "payments");
CUSTHEALTH_ENUM_NAMES(time_unit, "s", "ms", "us", "ns");
CUSTHEALTH_ENUM_NAMES(period, "D", "W", "M", "Q");
CUSTHEALTH_ENUM_NAMES(survey_kind, "nps", "csat", "ces");
CUSTHEALTH_ENUM_NAMES(priority, "low", "normal", "high", "urgent");
CUSTHEALTH_ENUM_NAMES(payment_type, "payment", "refund", "chargeback", "decline", "cancellation");
CUSTHEALTH_ENUM_NAMES(nps_category, "detractor", "passive", "promoter");
CUSTHEALTH_ENUM_NAMES(cohort_mode, "on", "on_or_after");
CUSTHEALTH_ENUM_NAMES(cohort_origin, "first_activity", "start");
CUSTHEALTH_ENUM_NAMES(cohort_value, "accounts", "mrr");
CUSTHEALTH_ENUM_NAMES(mrr_movement, "new", "expansion", "contraction", "churn", "reactivation", "unchanged");
CUSTHEALTH_ENUM_NAMES(payment_flag, "none", "ok", "warning", "breach");
CUSTHEALTH_ENUM_NAMES(sla_state, "met", "breached", "pending");
CUSTHEALTH_ENUM_NAMES(calibration_strategy, "uniform", "quantile");
CUSTHEALTH_ENUM_NAMES(alert_severity, "low", "medium", "high");
CUSTHEALTH_ENUM_NAMES(alert_kind, "at_risk", "inactive", "renewal", "escalation", "threshold");
CUSTHEALTH_ENUM_NAMES(churn_exclusion, "none", "no_start", "not_started", "ended", "inactive");
CUSTHEALTH_ENUM_NAMES(fit_status, "converged", "max_iter", "line_search_failed", "singular_hessian");
CUSTHEALTH_ENUM_NAMES(logrank_weighting, "logrank", "wilcoxon", "tarone-ware", "peto", "fleming-harrington");
CUSTHEALTH_ENUM_NAMES(btyd_model, "bg_nbd", "mbg_nbd", "pareto_nbd", "gamma_gamma", "bg_bb", "sbg");
#undef CUSTHEALTH_ENUM_NAMES
}  // namespace detail

/// The number of values of an enumeration (they are dense from 0).
template <class E>
inline constexpr std::size_t enum_size = detail::enum_names<E>::values.size();

/// All names of an enumeration, in value order.
template <class E>
constexpr const auto& enum_names() noexcept {
  return detail::enum_names<E>::values;
}

/// All values of an enumeration, in order (`for (auto t : enum_values<table_id>())`).
template <class E>
constexpr auto enum_values() noexcept {
  std::array<E, enum_size<E>> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<E>(i);
  return out;
}

/// The name of an enumerated value ("nps", "urgent", "chargeback", "M").
template <class E>
constexpr std::string_view to_string(E e) noexcept {
  return detail::enum_names<E>::values[static_cast<std::size_t>(e)];
}

/// The value named `s` (exact), or nothing.
template <class E>
constexpr std::optional<E> enum_from_string(std::string_view s) noexcept {
  const auto& names = detail::enum_names<E>::values;
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == s) return static_cast<E>(i);
  return std::nullopt;
}

/// All names of an enumeration, for messages ("nps, csat, ces").
template <class E>
std::string enum_choices() {
  std::string out;
  for (auto name : detail::enum_names<E>::values) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

/// The value named `s`, or invalid_input naming the argument and the choices
/// (`unknown mode "daily": expected one of on, on_or_after`).
template <class E>
E parse_enum(std::string_view argument, std::string_view s) {
  if (auto e = enum_from_string<E>(s)) return *e;
  throw invalid_input("unknown " + std::string(argument) + " \"" + std::string(s) + "\": expected one of " +
                      enum_choices<E>());
}

/// "D", "W", "M", "Q" (pandas' aliases) to a period.
inline period parse_period(std::string_view s) {
  if (auto p = enum_from_string<period>(s)) return *p;
  throw invalid_input("unknown period \"" + std::string(s) + "\": expected D, W, M or Q");
}

/// "s", "ms", "us", "ns" (pandas' names) to a unit.
inline time_unit parse_time_unit(std::string_view s) { return parse_enum<time_unit>("time_unit", s); }

// ---- domains ---------------------------------------------------------------------------------

/// The answers a survey kind allows (DESIGN §3): integers NPS 0..10, CSAT 1..scale, CES 1..7. The
/// loaders' checks, the grouped engine and the summaries all read them here.
struct score_range {
  int low, high;
};
inline constexpr int default_csat_scale = 5;
constexpr score_range survey_score_range(survey_kind kind, int csat_scale = default_csat_scale) noexcept {
  switch (kind) {
    case survey_kind::nps: return {0, 10};
    case survey_kind::csat: return {1, csat_scale};
    case survey_kind::ces: return {1, 7};
  }
  return {0, 0};
}

/// A survey kind as messages name it: "NPS", "CSAT", "CES".
constexpr std::string_view survey_label(survey_kind kind) noexcept {
  constexpr std::array<std::string_view, enum_size<survey_kind>> labels{"NPS", "CSAT", "CES"};
  return labels[static_cast<std::size_t>(kind)];
}

/// True when `x` is an integer in [low, high]; false for NaN and ±inf (all comparisons fail).
constexpr bool is_integer_score(double x, score_range r) noexcept {
  return x >= r.low && x <= r.high && x == static_cast<double>(static_cast<int>(x));
}

}  // namespace custhealth
