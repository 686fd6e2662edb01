// src/synth.cpp — the seeded synthetic portfolio behind custhealth::generate(): one latent health
// per account drives usage, surveys, tickets, revenue, payments and churn, returned as ground truth.
//
// ---- The model ---------------------------------------------------------------------------------
// Time. The observed history is [H0, T) with T = options.end and H0 = T − days. It is cut into
// weeks w = 0, 1, ... starting on H0's day; health and churn decisions move once per week. Daily
// Poisson counts are drawn as one Poisson count per week spread over its days in proportion to
// their rates (the same law, seven times fewer draws).
//
// Accounts. The segment (smb / mid-market / enterprise, 60 / 30 / 10 %) fixes the seat
// distribution (log-normal), the plan mix and price per seat, the owner pool and the level of
// health. 35 % of the accounts started up to three years before H0 (the book of business when the
// history begins), the rest start uniformly inside it. Contracts are annual: renewals fall on the
// anniversaries of `start`, and `renewal_date` is the next one after T (after `end` for churned
// accounts).
//
// Latent health. On the logit scale an AR(1) around the account's own level,
//     x_w = μ + φ (x_{w−1} − μ) + σ ε_w,   ε_w ~ N(0, 1),   φ = 0.92,   σ = 0.25,
//     μ ~ N(μ_segment, 0.9²),   the first week drawn from the stationary law N(μ, σ²/(1 − φ²)),
// so health wanders slowly and mean-reverts; health h_w = logistic(x_w) ∈ (0, 1).
//
// Churn. From the 13th week after `start` on (onboarding grace), the account decides to leave in
// week w with probability  λ_w = logistic(α + β x_w) · r_w,  α = −5.6, β = −2.2, r_w = 3 in the
// 8 weeks before a renewal date, else 1. The decision opens a notice period of N ~ uniform{4..12}
// weeks in which usage fades linearly to 10 % and x drifts down by 0.15 a week; `end` falls on
// the day the notice runs out. An `end` at or after T is not observed: the account is active in
// the data and only its truth says it is leaving.
//
// Signals, each modulated by the current week's health h:
//  - usage: Poisson events per day at rate  r_seg · sqrt(seats) · (0.25 + 1.5 h) · onboarding ramp
//    max(0.15, 1 − e^{−age/21 d}) · weekday (1; 0.25 on Sat/Sun) · notice fade. Each feature has
//    an adoption day (an exponential delay after `start`, shorter and likelier when health is
//    high); an event picks among the adopted features by fixed weights and a user among the active
//    ones (skewed toward power users); `invite_user` activates one more user, up to a pool of about
//    seats^0.7. `api_call` carries a call count in `value`.
//  - tickets: Poisson per day at rate ∝ seats^0.35 · (0.6 + 1.6 (1 − h)), weekends 0.3. Unhealthy
//    accounts open more high/urgent tickets, wait longer for a first response (log-normal; medians
//    under the SLA target when healthy, past it when not) and more often get no answer at all;
//    answers and resolutions falling at or after T are not observed yet (empty).
//  - surveys: an NPS campaign every 91 days, each active user answering with probability
//    0.15 + 0.2 h, score round(2.6 + 7.8 h + 1.5 ε) in 0..10; after a resolved ticket CSAT 1..5
//    (probability 0.35) and CES 1..7 (7 = easiest; probability 0.2), both lower when h is low and
//    when the ticket's first response breached its SLA target.
//  - MRR: seats × price per seat × the account's discount, one row per month; at each new month
//    the account expands (probability 0.08 h, +10..40 % seats) or contracts (0.06 (1 − h),
//    −10..30 %). The month containing `end` has a row with mrr 0 and no row follows.
//  - payments (options.payments): every account is a merchant whose payment attempts arrive
//    Poisson per day (rate by segment × (0.4 + 1.2 h), weekends 0.7); an attempt is declined,
//    or paid and later perhaps cancelled, refunded or charged back — all likelier when h is low,
//    so the unhealthiest merchants cross the 0.9 % chargeback threshold.
//
// Ground truth (portfolio_truth), by account code: health = h of the last observed week (of the
// week of `end` for churned accounts); churn_probability = P(end < T + 90 days) under this model
// with health frozen at its last value (1 for accounts already gone or under notice); churned =
// `end` < T.
//
// Determinism: each account draws from its own std::mt19937_64 seeded from (seed, account index),
// so accounts are independent of each other's draws, and every distribution is written below
// (inverse CDF, Box–Muller, Knuth / PTRS Poisson) because the standard library's distributions
// produce different numbers on different implementations.

#include "custhealth/synth/generate.hpp"

#include "custhealth/support/sla.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace custhealth {

namespace {

// ---- random numbers -----------------------------------------------------------------------------

/// SplitMix64 (Steele, Lea & Flood 2014): decorrelates the per-account seeds.
std::uint64_t splitmix64(std::uint64_t x) noexcept {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// log(k!) without std::lgamma, which writes the global `signgam` (a data race between worker
/// threads): exact sums below 10, Stirling's series for lgamma(k + 1) beyond (error < 1e-10).
double log_factorial(std::int64_t k) noexcept {
  if (k < 10) {
    double sum = 0.0;
    for (std::int64_t i = 2; i <= k; ++i) sum += std::log(static_cast<double>(i));
    return sum;
  }
  constexpr double half_log_two_pi = 0.91893853320467274178;
  const double x = static_cast<double>(k) + 1.0, x2 = x * x;
  return (x - 0.5) * std::log(x) - x + half_log_two_pi + (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / (1260.0 * x2)) / x2) / x;
}

/// A Mersenne Twister plus distributions whose output depends on nothing but the engine's bits.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) : engine_(seed) {}

  /// Uniform on [0, 1) from the top 53 bits.
  double uniform() noexcept { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) noexcept { return lo + (hi - lo) * uniform(); }
  bool chance(double p) noexcept { return uniform() < p; }

  /// Uniform on {0, ..., n − 1}, n ≥ 1.
  std::int64_t below(std::int64_t n) noexcept {
    return std::min(n - 1, static_cast<std::int64_t>(uniform() * static_cast<double>(n)));
  }

  /// Standard normal by Box–Muller, keeping the second value of each pair.
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double r = std::sqrt(-2.0 * std::log(1.0 - uniform()));  // 1 − u ∈ (0, 1]
    const double theta = 2.0 * pi_ * uniform();
    spare_ = r * std::sin(theta);
    has_spare_ = true;
    return r * std::cos(theta);
  }

  /// Exponential with the given mean, by inversion.
  double exponential(double mean) noexcept { return -mean * std::log(1.0 - uniform()); }

  double lognormal(double median, double sigma) noexcept { return median * std::exp(sigma * normal()); }

  /// Poisson: Knuth's product of uniforms for small λ, else Hörmann's PTRS (transformed rejection
  /// with squeeze, 1993), whose cost does not grow with λ.
  std::int64_t poisson(double lambda) noexcept {
    if (!(lambda > 0.0)) return 0;
    if (lambda < 10.0) {
      const double limit = std::exp(-lambda);
      std::int64_t k = 0;
      double p = uniform();
      while (p > limit) {
        ++k;
        p *= uniform();
      }
      return k;
    }
    const double slam = std::sqrt(lambda), loglam = std::log(lambda);
    const double b = 0.931 + 2.53 * slam;
    const double a = -0.059 + 0.02483 * b;
    const double inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    const double vr = 0.9277 - 3.6224 / (b - 2.0);
    for (;;) {
      const double u = uniform() - 0.5;
      const double v = uniform();
      const double us = 0.5 - std::fabs(u);
      if (us <= 0.0) continue;  // u = −0.5 exactly: the transform is undefined there
      const auto k = static_cast<std::int64_t>(std::floor((2.0 * a / us + b) * u + lambda + 0.43));
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
          -lambda + static_cast<double>(k) * loglam - log_factorial(k))
        return k;
    }
  }

  /// An index drawn with probability proportional to the increments of `cumulative` (its last
  /// element is the total, > 0).
  template <class Range>
  std::size_t pick(const Range& cumulative) noexcept {
    const double target = uniform() * cumulative[cumulative.size() - 1];
    std::size_t i = 0;
    while (i + 1 < cumulative.size() && !(target < cumulative[i])) ++i;
    return i;
  }

 private:
  static constexpr double pi_ = 3.14159265358979323846;
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

double logistic(double x) noexcept { return 1.0 / (1.0 + std::exp(-x)); }

// ---- the portfolio's fixed parameters ---------------------------------------------------------

struct plan_choice {
  std::string_view name;
  double share;
  double price_per_seat;  // monthly list price
};

struct segment_profile {
  std::string_view name;
  double share;
  double seats_median, seats_sigma, seats_min, seats_max;
  double health_level;          // μ_segment on the logit scale
  double discount_lo, discount_hi;  // multiplier on the list price
  std::array<plan_choice, 2> plans;
  int owner_first, owner_count;  // the CSM pool: csm_<first> ... csm_<first + count − 1>
  double payments_per_day;       // merchant payment attempts at health 0.5
  double payment_median;         // typical basket amount
};

// Enterprise accounts are healthier on average (dedicated CSMs, longer procurement), smb ones
// noisier: that is what lets the analytics find segment effects.
constexpr std::array<segment_profile, 3> segments{{
    {"smb", 0.60, 6, 0.6, 1, 30, 0.5, 1.0, 1.0, {{{"starter", 0.6, 12}, {"growth", 0.4, 25}}}, 1, 12, 0.06, 35},
    {"mid-market", 0.30, 45, 0.5, 15, 300, 0.9, 0.8, 1.0, {{{"growth", 0.5, 25}, {"business", 0.5, 45}}}, 13, 8, 0.18, 80},
    {"enterprise", 0.10, 350, 0.6, 120, 5000, 1.2, 0.65, 0.9, {{{"business", 0.3, 45}, {"enterprise", 0.7, 70}}}, 21, 4, 0.5, 160},
}};

constexpr double health_sd = 0.9;        // spread of μ around the segment level
constexpr double health_phi = 0.92;      // weekly persistence of deviations
constexpr double health_sigma = 0.25;    // weekly innovation
constexpr double hazard_alpha = -5.6;    // logit of the weekly churn decision at x = 0
constexpr double hazard_beta = -2.2;     // per unit of logit health
constexpr double renewal_boost = 3.0;    // decisions cluster before renewals
constexpr int renewal_window_days = 56;
constexpr int grace_days = 91;           // no churn decision during onboarding
constexpr int notice_min_weeks = 4, notice_max_weeks = 12;
constexpr double notice_drift = 0.15;    // logit health lost per week of notice
constexpr double notice_floor = 0.10;    // usage left at the end of the notice
constexpr double existing_share = 0.35;  // accounts that started before the history
constexpr int existing_max_age_days = 3 * 365;

constexpr double usage_per_sqrt_seat = 0.095;  // events/day per sqrt(seat) at engagement 1
constexpr double weekend_usage = 0.25;
constexpr double onboarding_days = 21.0;

struct feature {
  std::string_view name;
  double weight;           // share of events once adopted
  double adoption_days;    // mean delay from start to first use (at health 0.5)
  double adoption_chance;  // probability of ever adopting (at health 0.5)
};

// `login` and `invite_user` are there from day one; the rest follow their adoption curves.
constexpr std::array<feature, 8> features{{
    {"login", 0.34, 0, 1.0},
    {"report_view", 0.24, 5, 0.95},
    {"dashboard_edit", 0.10, 20, 0.8},
    {"export", 0.08, 30, 0.7},
    {"api_call", 0.12, 45, 0.5},
    {"integration_setup", 0.015, 25, 0.6},
    {"invite_user", 0.025, 0, 1.0},
    {"alert_rule", 0.04, 40, 0.55},
}};
constexpr std::size_t login_feature = 0, api_call_feature = 4, invite_feature = 6;

constexpr double tickets_per_day = 0.012;  // × seats^0.35 × (0.6 + 1.6 (1 − h))
constexpr double weekend_tickets = 0.3;
// Medians per priority (low, normal, high, urgent), in hours: generated responses sit below the
// default SLA targets (sla_targets) for healthy accounts and drift past them for unhealthy ones.
constexpr std::array<double, enum_size<priority>> response_median_hours{3.0, 0.9, 0.7, 0.35};
constexpr std::array<double, enum_size<priority>> resolution_median_hours{40, 24, 10, 5};
constexpr int support_agents = 16;

constexpr int nps_every_days = 91;
constexpr int nps_max_respondents = 8;

constexpr double weekend_payments = 0.7;
constexpr std::array<std::pair<std::string_view, double>, 5> currencies{
    {{"USD", 0.45}, {"EUR", 0.30}, {"GBP", 0.15}, {"SEK", 0.05}, {"CAD", 0.05}}};

// ---- the calendar shared by all accounts --------------------------------------------------------

struct calendar {
  timestamp begin = 0, end = 0;  // [H0, T)
  std::int64_t first_day = 0;    // day number of H0
  std::int64_t n_days = 0;
  std::size_t n_weeks = 0;
  std::int64_t first_month = 0;             // period_index of H0
  std::size_t n_months = 0;
  std::vector<std::size_t> week_month;      // month offset of each week's first day
  std::vector<std::int64_t> month_day;      // day number of each month's first day (≥ first_day)

  explicit calendar(const generate_options& o) : begin(o.end - std::int64_t{o.days} * seconds_per_day), end(o.end) {
    first_day = day_number(begin);
    n_days = day_number(end - 1) - first_day + 1;
    n_weeks = static_cast<std::size_t>((n_days + 6) / 7);
    first_month = period_index(begin, period::month);
    n_months = static_cast<std::size_t>(period_index(end - 1, period::month) - first_month + 1);
    for (std::size_t w = 0; w < n_weeks; ++w)
      week_month.push_back(static_cast<std::size_t>(period_index(day_start(week_day(w)), period::month) - first_month));
    for (std::size_t m = 0; m < n_months; ++m)
      month_day.push_back(std::max(first_day, day_number(period_start(first_month + std::int64_t(m), period::month))));
  }

  std::int64_t week_day(std::size_t w) const noexcept { return first_day + 7 * std::int64_t(w); }
  static timestamp day_start(std::int64_t day) noexcept { return day * seconds_per_day; }
  std::size_t week_of(std::int64_t day) const noexcept {
    return static_cast<std::size_t>(std::clamp<std::int64_t>((day - first_day) / 7, 0, std::int64_t(n_weeks) - 1));
  }
  /// Whether events may fall on `day`: the whole day lies inside the history.
  bool observed(std::int64_t day) const noexcept { return day_start(day) >= begin && day_start(day + 1) <= end; }
};

/// Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday).
int weekday(std::int64_t day) noexcept { return static_cast<int>(((day % 7) + 7 + 3) % 7); }
bool is_weekend(std::int64_t day) noexcept { return weekday(day) >= 5; }

/// Seconds into a day: three quarters of the activity in office hours (08–18 UTC), the rest at
/// any time. One uniform serves both the choice and the position (its 53 bits are plenty).
std::int64_t second_of_day(random_source& rng) {
  constexpr double office = 0.75;
  const double u = rng.uniform();
  if (u < office) return 8 * 3600 + static_cast<std::int64_t>(u / office * (10 * 3600));
  return static_cast<std::int64_t>((u - office) / (1.0 - office) * double(seconds_per_day));
}

/// The day number of the `years`-th anniversary of `day` (29 February falls back to the 28th).
std::int64_t anniversary(std::int64_t day, int years) noexcept {
  const civil_date c = civil_from_days(day);
  const int y = c.year + years;
  return days_from_civil(y, c.month, std::min(c.day, days_in_month(y, c.month)));
}

std::string zero_padded(std::size_t value, int width) {
  std::array<char, 24> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  (void)ec;
  std::string digits(buf.data(), ptr);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, static_cast<std::size_t>(width) - digits.size(), '0');
  return digits;
}

/// Asks Linux to back a large buffer with transparent huge pages where the system leaves that to
/// the program (THP "madvise" mode): first touching a gigabyte in 4 KB pages costs a page fault
/// each, which dominates the generator's time on virtual machines. Elsewhere it does nothing.
template <class T>
void prefer_huge_pages([[maybe_unused]] std::vector<T>& v) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
  const auto first = (reinterpret_cast<std::uintptr_t>(v.data()) + huge - 1) & ~(huge - 1);
  const auto last = reinterpret_cast<std::uintptr_t>(v.data() + v.capacity()) & ~(huge - 1);
  if (last > first) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);  // a hint: errors are harmless
#endif
}

// ---- rows under construction ---------------------------------------------------------------------

// Column vectors of each table. Workers fill one `rows` per chunk of consecutive accounts, where
// account columns hold the account number (== its code, see portfolio_builder::run) and the user
// columns hold a user's number within its account; the merge turns those into dictionary codes.
// columns() lists them in the order of the table's own columns() (table.hpp), user and respondent
// (last there) left out, so that finish() moves them across by position.
struct account_rows {
  std::vector<std::int32_t> account, segment, plan, owner;
  std::vector<timestamp> start, end, renewal;
  std::vector<double> seats;
  auto columns() { return std::tie(account, start, end, segment, plan, owner, seats, renewal); }
};
struct usage_rows {
  std::vector<std::int32_t> account, event, user;
  std::vector<timestamp> time;
  std::vector<double> value;
  auto columns() { return std::tie(account, time, event, value); }  // user: translated apart
};
struct survey_rows {
  std::vector<std::int32_t> account, respondent;
  std::vector<timestamp> time;
  std::vector<survey_kind> kind;
  std::vector<double> score;
  auto columns() { return std::tie(account, time, kind, score); }  // respondent: translated apart
};
struct ticket_rows {
  std::vector<std::int32_t> account, owner;
  std::vector<timestamp> opened, first_response, resolved;
  std::vector<priority> prio;
  auto columns() { return std::tie(account, opened, first_response, resolved, prio, owner); }
};
struct mrr_rows {
  std::vector<std::int32_t> account;
  std::vector<timestamp> month;
  std::vector<double> mrr;
  auto columns() { return std::tie(account, month, mrr); }
};
struct payment_rows {
  std::vector<std::int32_t> account, currency;
  std::vector<timestamp> time;
  std::vector<payment_type> type;
  std::vector<double> amount;
  auto columns() { return std::tie(account, time, type, amount, currency); }
};
struct rows {
  account_rows accounts;
  usage_rows usage;
  survey_rows surveys;
  ticket_rows tickets;
  mrr_rows mrr;
  payment_rows payments;

  /// Empties every column but keeps its capacity: chunks are recycled, so after the first few
  /// the workers neither grow vectors nor fault in fresh pages.
  void clear() {
    const auto clear_all = [](auto columns) { std::apply([](auto&... c) { (c.clear(), ...); }, columns); };
    clear_all(accounts.columns()), clear_all(usage.columns()), clear_all(surveys.columns());
    clear_all(tickets.columns()), clear_all(mrr.columns()), clear_all(payments.columns());
    usage.user.clear(), surveys.respondent.clear();
  }
};

/// Appends every column of `src` to the matching column of `dst`.
template <class Dst, class Src>
void append_columns(Dst dst, Src src) {
  [&]<std::size_t... i>(std::index_sequence<i...>) {
    (std::get<i>(dst).insert(std::get<i>(dst).end(), std::get<i>(src).begin(), std::get<i>(src).end()), ...);
  }(std::make_index_sequence<std::tuple_size_v<Dst>>{});
}

/// Moves every vector of `src` into the matching column of `dst` (tuples of references, same order).
template <class Dst, class Src>
void move_columns(Dst dst, Src src) {
  static_assert(std::tuple_size_v<Dst> == std::tuple_size_v<Src>, "a builder must list every column of its table");
  [&]<std::size_t... i>(std::index_sequence<i...>) {
    ((std::get<i>(dst) = column(std::move(std::get<i>(src)))), ...);
  }(std::make_index_sequence<std::tuple_size_v<Src>>{});
}

/// Dictionary codes fixed before the workers start, so that they never touch a dictionary.
struct fixed_codes {
  std::array<std::array<std::int32_t, 2>, segments.size()> plan{};
  std::vector<std::int32_t> owner;  // by CSM number − 1
};

// ---- one account ----------------------------------------------------------------------------------

/// Simulates accounts one at a time into a chunk of rows; one per worker thread. Writes only its
/// own accounts' entries of the shared truth.
class account_simulator {
 public:
  account_simulator(const generate_options& options, const calendar& cal, const fixed_codes& codes,
                    portfolio_truth& truth)
      : options_(options), cal_(cal), codes_(codes), truth_(truth) {}

  void simulate(std::size_t number, rows& out) {
    account_state& s = state_;
    out_ = &out;
    s.number = number;
    s.code = static_cast<std::int32_t>(number);
    s.end = s.planned_end = no_time;
    s.surveys.clear();
    s.payments.clear();
    random_source rng(splitmix64(options_.seed ^ splitmix64(std::uint64_t(number) + 1)));
    draw_profile(s, rng);
    simulate_health(s, rng);
    simulate_seats(s, rng);
    simulate_usage(s, rng);
    simulate_tickets(s, rng);
    simulate_nps(s, rng);
    emit_surveys(s);
    emit_mrr(s);
    if (options_.payments) simulate_payments(s, rng);
    emit_account(s);
  }

 private:
  struct account_state {
    const segment_profile* seg = nullptr;
    std::size_t number = 0;
    std::int32_t code = 0;
    std::int64_t start_day = 0;
    double mu = 0;                       // the account's own health level (logit)
    std::int32_t plan = 0, owner = 0;    // dictionary codes
    timestamp start = 0, end = no_time;  // end: observed churn, or no_time
    timestamp planned_end = no_time;     // the notice's end, observed or not
    std::int64_t decision_day = 0, end_day = 0;  // end_day: first day without activity
    std::size_t first_week = 0, last_week = 0;   // weeks with health (inclusive)
    std::vector<double> x;                       // logit health per week
    std::vector<std::int64_t> renewals;          // anniversaries of start (day numbers)
    std::size_t first_month = 0, last_month = 0;  // months with an MRR row (inclusive)
    std::vector<double> seats;                   // per month
    double price = 0;
    std::array<std::int64_t, features.size()> adopted{};  // adoption day per feature
    std::int32_t user_pool = 1;
    std::vector<std::int32_t> users_by_week;     // active users at the start of each week
    std::int32_t currency = 0;
    // The account's surveys and payments, sorted before they are appended.
    std::vector<std::tuple<timestamp, survey_kind, double, std::int32_t>> surveys;
    std::vector<std::tuple<timestamp, payment_type, double>> payments;

    double health(std::size_t w) const noexcept { return logistic(x[std::clamp(w, first_week, last_week)]); }
    bool boosted(std::int64_t day) const noexcept {
      for (auto r : renewals)
        if (r >= day && r - day < renewal_window_days) return true;
      return false;
    }
    /// Usage left on `day` by the notice period (1 outside it).
    double fade(std::int64_t day) const noexcept {
      if (planned_end == no_time || day < decision_day) return 1.0;
      const double span = static_cast<double>(end_day - decision_day);
      return std::max(notice_floor, 1.0 - (1.0 - notice_floor) * static_cast<double>(day - decision_day) / span);
    }
  };

  void draw_profile(account_state& s, random_source& rng) {
    double u = rng.uniform();
    std::size_t si = 0;
    while (si + 1 < segments.size() && u >= segments[si].share) u -= segments[si++].share;
    s.seg = &segments[si];
    const auto& seg = *s.seg;

    if (rng.chance(existing_share))
      s.start_day = cal_.first_day - 1 - rng.below(existing_max_age_days);
    else
      s.start_day = cal_.first_day + rng.below(std::max<std::int64_t>(1, cal_.n_days - 1));
    s.start = calendar::day_start(s.start_day);

    s.renewals.clear();
    for (int k = 1;; ++k) {
      const auto r = anniversary(s.start_day, k);
      if (r >= cal_.first_day) s.renewals.push_back(r);
      if (r > cal_.first_day + cal_.n_days + 120) break;
    }

    s.mu = seg.health_level + health_sd * rng.normal();
    truth_.base_health[s.number] = logistic(s.mu);

    const std::size_t plan = rng.chance(seg.plans[0].share) ? 0 : 1;
    s.plan = codes_.plan[si][plan];
    s.owner = codes_.owner[std::size_t(seg.owner_first - 1 + rng.below(seg.owner_count))];
    s.price = seg.plans[plan].price_per_seat * rng.uniform(seg.discount_lo, seg.discount_hi);
    const double seats = std::clamp(std::round(rng.lognormal(seg.seats_median, seg.seats_sigma)), seg.seats_min, seg.seats_max);
    s.seats.assign(cal_.n_months, seats);

    s.user_pool = static_cast<std::int32_t>(std::clamp(std::round(std::pow(seats, 0.7)), 1.0, 60.0));
    s.currency = static_cast<std::int32_t>(pick_currency(rng));
  }

  static std::size_t pick_currency(random_source& rng) {
    double u = rng.uniform();
    for (std::size_t i = 0; i + 1 < currencies.size(); ++i) {
      if (u < currencies[i].second) return i;
      u -= currencies[i].second;
    }
    return currencies.size() - 1;
  }

  void simulate_health(account_state& s, random_source& rng) {
    const double mu = s.mu;
    s.x.assign(cal_.n_weeks, mu);
    const double stationary_sd = health_sigma / std::sqrt(1.0 - health_phi * health_phi);
    s.first_week = cal_.week_of(std::max(s.start_day, cal_.first_day));
    s.last_week = cal_.n_weeks - 1;
    bool decided = false;
    double drift = 0.0;
    double prev = mu + stationary_sd * rng.normal();
    for (std::size_t w = s.first_week; w < cal_.n_weeks; ++w) {
      if (w > s.first_week) prev = mu + health_phi * (prev - mu) + health_sigma * rng.normal() - drift;
      s.x[w] = prev;
      const std::int64_t day = cal_.week_day(w);
      if (decided) {
        if (day >= s.end_day) {
          s.last_week = w - 1;
          break;
        }
        continue;
      }
      if (day < s.start_day + grace_days) continue;
      const double hazard = logistic(hazard_alpha + hazard_beta * prev) * (s.boosted(day) ? renewal_boost : 1.0);
      if (!rng.chance(hazard)) continue;
      decided = true;
      drift = notice_drift;
      s.decision_day = day;
      const auto weeks = notice_min_weeks + rng.below(notice_max_weeks - notice_min_weeks + 1);
      s.planned_end = calendar::day_start(day + 7 * weeks) + rng.below(seconds_per_day);
      s.end_day = day_number(s.planned_end);
      truth_.decided_at[s.number] = calendar::day_start(day);
      if (s.planned_end < cal_.end) s.end = s.planned_end;
    }
    for (std::size_t w = s.last_week + 1; w < cal_.n_weeks; ++w) s.x[w] = s.x[s.last_week];

    const std::size_t a = s.number;
    truth_.health[a] = logistic(s.x[s.last_week]);
    truth_.churned[a] = s.end != no_time ? 1 : 0;
    truth_.churn_probability[a] = decided ? 1.0 : forecast_churn(s, s.x[s.last_week]);
  }

  /// P(end < T + 90 days) with health frozen at logit `x`: a decision in week k of the forecast
  /// (weeks counted from T) ends within 90 days when its notice has at most 12 − k weeks.
  double forecast_churn(const account_state& s, double x) const {
    const std::int64_t t_day = day_number(cal_.end - 1) + 1;
    constexpr int horizon_weeks = 13;  // 7 · (k + N) ≤ 84 < 90 ≤ 7 · 13
    constexpr double notice_choices = notice_max_weeks - notice_min_weeks + 1;
    double survive = 1.0, p = 0.0;
    for (int k = 0; k < horizon_weeks; ++k) {
      const std::int64_t day = t_day + 7 * k;
      if (day < s.start_day + grace_days) continue;
      const double hazard = logistic(hazard_alpha + hazard_beta * x) * (s.boosted(day) ? renewal_boost : 1.0);
      const double short_enough = std::clamp(double(horizon_weeks - 1 - k - notice_min_weeks + 1), 0.0, notice_choices);
      p += survive * hazard * short_enough / notice_choices;
      survive *= 1.0 - hazard;
    }
    return p;
  }

  void simulate_seats(account_state& s, random_source& rng) {
    s.first_month = static_cast<std::size_t>(period_index(std::max(s.start, cal_.begin), period::month) - cal_.first_month);
    s.last_month = s.end != no_time ? static_cast<std::size_t>(period_index(s.end, period::month) - cal_.first_month)
                                    : cal_.n_months - 1;
    for (std::size_t m = s.first_month + 1; m <= s.last_month; ++m) {
      double seats = s.seats[m - 1];
      const double h = s.health(cal_.week_of(cal_.month_day[m]));
      if (rng.chance(0.08 * h))
        seats = std::min(s.seg->seats_max * 2, std::round(seats * (1.0 + rng.uniform(0.1, 0.4))));
      else if (rng.chance(0.06 * (1.0 - h)))
        seats = std::max(1.0, std::round(seats * (1.0 - rng.uniform(0.1, 0.3))));
      s.seats[m] = seats;
    }
    for (std::size_t m = s.last_month + 1; m < cal_.n_months; ++m) s.seats[m] = s.seats[s.last_month];
  }

  double seats_in_week(const account_state& s, std::size_t w) const noexcept {
    return s.seats[std::clamp(cal_.week_month[w], s.first_month, s.last_month)];
  }

  /// Whether the account can act on `day`: from its start day (a midnight) on, before its end
  /// day, inside the history.
  bool active_on(const account_state& s, std::int64_t day) const noexcept {
    return day >= s.start_day && (s.planned_end == no_time || day < s.end_day) && cal_.observed(day);
  }

  /// The end of what can be recorded for the account: its planned end (notice given) or the end of
  /// the history.
  timestamp horizon(const account_state& s) const noexcept {
    return s.planned_end == no_time ? cal_.end : std::min(cal_.end, s.planned_end);
  }

  /// Draws week w's event times into times_, sorted: a Poisson count with mean the week's total of
  /// rate(day) over the days the account is active, each time on a day picked in proportion to its
  /// rate, at a random second of that day.
  template <class Rate>
  void draw_week(random_source& rng, const account_state& s, std::size_t w, Rate rate) {
    std::array<double, 7> cumulative{};
    double total = 0;
    for (int d = 0; d < 7; ++d) {
      const std::int64_t day = cal_.week_day(w) + d;
      if (active_on(s, day)) total += rate(day);
      cumulative[std::size_t(d)] = total;
    }
    times_.clear();
    const auto n = rng.poisson(total);
    for (std::int64_t i = 0; i < n; ++i)
      times_.push_back(calendar::day_start(cal_.week_day(w) + std::int64_t(rng.pick(cumulative))) + second_of_day(rng));
    std::sort(times_.begin(), times_.end());
  }

  void simulate_usage(account_state& s, random_source& rng) {
    const double h0 = s.health(s.first_week);
    for (std::size_t f = 0; f < features.size(); ++f) {
      const auto& feat = features[f];
      // Healthy accounts adopt more features, sooner: the adoption curves.
      const double chance = std::min(1.0, feat.adoption_chance * (0.5 + h0));
      s.adopted[f] = feat.adoption_days == 0 ? s.start_day
                     : rng.chance(chance)
                         ? s.start_day + 1 + static_cast<std::int64_t>(rng.exponential(feat.adoption_days / (0.5 + h0)))
                         : std::numeric_limits<std::int64_t>::max();
    }
    const double initial_share = s.start_day < cal_.first_day ? 0.8 : 0.4;
    auto active_users = std::max<std::int32_t>(1, static_cast<std::int32_t>(std::round(s.user_pool * initial_share)));
    s.users_by_week.assign(cal_.n_weeks, active_users);
    const double api_mean = rng.lognormal(15, 0.8);

    auto& usage = out_->usage;
    std::array<double, features.size()> feature_cum{};
    std::int64_t feature_day = std::numeric_limits<std::int64_t>::min();
    for (std::size_t w = s.first_week; w <= s.last_week; ++w) {
      s.users_by_week[w] = active_users;
      const double engagement = (0.25 + 1.5 * s.health(w)) * usage_per_sqrt_seat * std::sqrt(seats_in_week(s, w)) *
                                options_.usage_scale;
      draw_week(rng, s, w, [&](std::int64_t day) {
        const auto age = static_cast<double>(day - s.start_day);
        const double ramp = age > 150 ? 1.0 : std::max(0.15, 1.0 - std::exp(-age / onboarding_days));
        return engagement * ramp * (is_weekend(day) ? weekend_usage : 1.0) * s.fade(day);
      });
      // Features and users are drawn in time order, so a user appears only after the invitation.
      for (const timestamp t : times_) {
        const std::int64_t day = day_number(t);
        if (day != feature_day) {
          feature_day = day;
          double acc = 0;
          for (std::size_t f = 0; f < features.size(); ++f) {
            if (s.adopted[f] <= day) acc += features[f].weight;
            feature_cum[f] = acc;
          }
        }
        std::size_t f = rng.pick(feature_cum);
        if (f == invite_feature && active_users >= s.user_pool) f = login_feature;
        const double u = rng.uniform();
        const auto user = static_cast<std::int32_t>(u * u * active_users);  // power users first
        const double value = f == api_call_feature ? double(1 + rng.poisson(api_mean)) : 1.0;
        usage.account.push_back(s.code);
        usage.time.push_back(t);
        usage.event.push_back(static_cast<std::int32_t>(f));
        usage.value.push_back(value);
        usage.user.push_back(std::min(user, active_users - 1));
        if (f == invite_feature) ++active_users;
      }
    }
    for (std::size_t w = s.last_week + 1; w < cal_.n_weeks; ++w) s.users_by_week[w] = active_users;
  }

  void simulate_tickets(account_state& s, random_source& rng) {
    for (std::size_t w = s.first_week; w <= s.last_week; ++w) {
      const double h = s.health(w);
      const double base = tickets_per_day * std::pow(seats_in_week(s, w), 0.35) * (0.6 + 1.6 * (1.0 - h));
      draw_week(rng, s, w, [&](std::int64_t day) { return base * (is_weekend(day) ? weekend_tickets : 1.0); });
      for (const timestamp opened : times_) emit_ticket(s, rng, opened, h, s.users_by_week[w]);
    }
  }

  void emit_ticket(account_state& s, random_source& rng, timestamp opened, double h, std::int32_t users) {
    const double sick = 1.0 - h;
    // Unhealthy accounts escalate more: urgent 4 → 14 %, high 14 → 24 %, low 34 → 22 %; normal
    // takes the rest.
    const double p_low = 0.34 - 0.12 * sick, p_high = 0.14 + 0.10 * sick, p_urgent = 0.04 + 0.10 * sick;
    const double u = rng.uniform();
    const std::size_t prio = u < p_low ? 0 : u < p_low + p_high ? 2 : u < p_low + p_high + p_urgent ? 3 : 1;

    timestamp first_response = no_time, resolved = no_time;
    std::int32_t owner = no_code;
    if (!rng.chance(0.01 + 0.03 * sick)) {  // else: fell through the cracks, never answered
      const double response_h = rng.lognormal(response_median_hours[prio] * (0.6 + 1.4 * sick), 0.9);
      const double resolution_h = rng.lognormal(resolution_median_hours[prio] * (0.7 + 0.8 * sick), 1.1);
      first_response = opened + std::max<std::int64_t>(60, std::llround(response_h * 3600));
      resolved = first_response + std::max<std::int64_t>(60, std::llround(resolution_h * 3600));
      owner = static_cast<std::int32_t>(rng.below(support_agents));
    }
    const bool breached = first_response == no_time || first_response - opened > sla_targets{}.first_response[prio];
    if (resolved != no_time && resolved < cal_.end) {
      const timestamp gone = horizon(s);
      if (rng.chance(0.35)) {
        const timestamp t = resolved + std::llround(rng.exponential(6 * 3600));
        const double score = std::clamp(std::round(1.3 + 3.9 * h - 0.7 * breached + 0.7 * rng.normal()), 1.0, 5.0);
        const auto who = static_cast<std::int32_t>(rng.below(users));
        if (t < gone) s.surveys.emplace_back(t, survey_kind::csat, score, who);
      }
      if (rng.chance(0.2)) {
        const timestamp t = resolved + std::llround(rng.exponential(12 * 3600));
        const double score = std::clamp(std::round(1.8 + 5.0 * h - 0.8 * breached + 0.9 * rng.normal()), 1.0, 7.0);
        const auto who = static_cast<std::int32_t>(rng.below(users));
        if (t < gone) s.surveys.emplace_back(t, survey_kind::ces, score, who);
      }
    }
    // What is still in the future at T is not known yet.
    if (first_response != no_time && first_response >= cal_.end) first_response = no_time;
    if (resolved != no_time && resolved >= cal_.end) resolved = no_time;
    auto& tickets = out_->tickets;
    tickets.account.push_back(s.code);
    tickets.opened.push_back(opened);
    tickets.first_response.push_back(first_response);
    tickets.resolved.push_back(resolved);
    tickets.prio.push_back(static_cast<priority>(prio));
    tickets.owner.push_back(owner);
  }

  void simulate_nps(account_state& s, random_source& rng) {
    // Campaigns run on an account-specific phase, starting a month after onboarding.
    const std::int64_t phase = rng.below(nps_every_days);
    const std::int64_t first = std::max(s.start_day + 30, cal_.first_day) + phase;
    const timestamp gone = horizon(s);
    for (std::int64_t day = first; day < cal_.first_day + cal_.n_days; day += nps_every_days) {
      if (!active_on(s, day)) continue;
      const std::size_t w = cal_.week_of(day);
      const double h = s.health(w);
      const std::int32_t users = s.users_by_week[w];
      int answered = 0;
      for (std::int32_t user = 0; user < users && answered < nps_max_respondents; ++user) {
        if (!rng.chance(0.15 + 0.2 * h)) continue;
        ++answered;
        const timestamp t =
            calendar::day_start(day) + std::llround(rng.exponential(2.0 * seconds_per_day)) + second_of_day(rng);
        const double score = std::clamp(std::round(2.6 + 7.8 * h + 1.5 * rng.normal()), 0.0, 10.0);
        if (t < gone) s.surveys.emplace_back(t, survey_kind::nps, score, user);
      }
    }
  }

  void emit_surveys(account_state& s) {
    std::sort(s.surveys.begin(), s.surveys.end());
    auto& surveys = out_->surveys;
    for (const auto& [t, kind, score, who] : s.surveys) {
      surveys.account.push_back(s.code);
      surveys.time.push_back(t);
      surveys.kind.push_back(kind);
      surveys.score.push_back(score);
      surveys.respondent.push_back(who);
    }
  }

  void emit_mrr(const account_state& s) {
    auto& mrr = out_->mrr;
    for (std::size_t m = s.first_month; m <= s.last_month; ++m) {
      const bool churn_month = s.end != no_time && m == s.last_month;
      mrr.account.push_back(s.code);
      mrr.month.push_back(period_start(cal_.first_month + std::int64_t(m), period::month));
      mrr.mrr.push_back(churn_month ? 0.0 : std::round(s.seats[m] * s.price * 100.0) / 100.0);
    }
  }

  void simulate_payments(account_state& s, random_source& rng) {
    const timestamp gone = horizon(s);
    for (std::size_t w = s.first_week; w <= s.last_week; ++w) {
      const double h = s.health(w), sick = 1.0 - h;
      const double base = s.seg->payments_per_day * (0.4 + 1.2 * h) * options_.usage_scale;
      draw_week(rng, s, w,
                [&](std::int64_t day) { return base * (is_weekend(day) ? weekend_payments : 1.0) * s.fade(day); });
      for (const timestamp t : times_) {
        const double amount = std::max(0.5, std::round(rng.lognormal(s.seg->payment_median, 0.9) * 100.0) / 100.0);
        auto later = [&](payment_type type, double seconds, double value) {
          const timestamp when = t + std::llround(seconds);
          if (when < gone) s.payments.emplace_back(when, type, value);
        };
        if (rng.chance(0.05 + 0.10 * sick)) {
          s.payments.emplace_back(t, payment_type::decline, amount);
          continue;
        }
        s.payments.emplace_back(t, payment_type::payment, amount);
        if (rng.chance(0.01 + 0.03 * sick)) {
          later(payment_type::cancellation, rng.exponential(2 * 3600), amount);
        } else if (rng.chance(0.03 + 0.05 * sick)) {
          const double part = rng.chance(0.6) ? amount : std::round(amount * rng.uniform(0.2, 1.0) * 100.0) / 100.0;
          later(payment_type::refund, rng.exponential(5.0 * seconds_per_day), part);
        } else if (rng.chance(0.002 + 0.016 * sick * sick)) {
          later(payment_type::chargeback, (10.0 + rng.exponential(25.0)) * seconds_per_day, amount);
        }
      }
    }
    std::sort(s.payments.begin(), s.payments.end());
    auto& payments = out_->payments;
    for (const auto& [t, type, amount] : s.payments) {
      payments.account.push_back(s.code);
      payments.time.push_back(t);
      payments.type.push_back(type);
      payments.amount.push_back(amount);
      payments.currency.push_back(s.currency);
    }
  }

  void emit_account(const account_state& s) {
    const std::int64_t reference = s.end != no_time ? day_number(s.end) : day_number(cal_.end - 1) + 1;
    std::int64_t renewal = s.start_day;
    for (int k = 1; renewal < reference; ++k) renewal = anniversary(s.start_day, k);
    auto& accounts = out_->accounts;
    accounts.account.push_back(s.code);
    accounts.start.push_back(s.start);
    accounts.end.push_back(s.end);
    accounts.segment.push_back(static_cast<std::int32_t>(s.seg - segments.data()));
    accounts.plan.push_back(s.plan);
    accounts.owner.push_back(s.owner);
    accounts.seats.push_back(s.seats[s.last_month]);
    accounts.renewal.push_back(calendar::day_start(renewal));
  }

  const generate_options& options_;
  const calendar& cal_;
  const fixed_codes& codes_;
  portfolio_truth& truth_;
  rows* out_ = nullptr;
  account_state state_;           // reused, so per-account vectors keep their capacity
  std::vector<timestamp> times_;  // scratch: one week's event times
};

// ---- the portfolio --------------------------------------------------------------------------------

/// Runs the simulators over chunks of accounts, on worker threads when there are several chunks,
/// and merges the chunks in account order; the output does not depend on the thread count.
class portfolio_builder {
 public:
  explicit portfolio_builder(const generate_options& options) : options_(options), cal_(options) {
    const std::size_t n = options.n_accounts;
    for (std::size_t v = n > 0 ? n - 1 : 0; v >= 100000; v /= 10) ++width_;
    truth_.health.resize(n);
    truth_.churn_probability.resize(n);
    truth_.churned.resize(n);
    truth_.base_health.resize(n);
    truth_.decided_at.resize(n, no_time);
    // Zero-padded ids of one width sort like their numbers, so the dataset's sorted account
    // dictionary keeps code == number and the truth vectors stay aligned with it.
    for (std::size_t a = 0; a < n; ++a) parts_.account_ids.intern("acct_" + zero_padded(a, width_));
    for (const auto& f : features) parts_.usage.events.intern(f.name);
    int csms = 0;
    for (std::size_t si = 0; si < segments.size(); ++si) {
      parts_.accounts.segments.intern(segments[si].name);
      for (std::size_t p = 0; p < 2; ++p) codes_.plan[si][p] = parts_.accounts.plans.intern(segments[si].plans[p].name);
      csms = std::max(csms, segments[si].owner_first + segments[si].owner_count - 1);
    }
    for (int i = 1; i <= csms; ++i) codes_.owner.push_back(parts_.accounts.owners.intern("csm_" + zero_padded(std::size_t(i), 2)));
    if (options.payments)
      for (const auto& c : currencies) parts_.payments.currencies.intern(c.first);
    for (int i = 1; i <= support_agents; ++i) parts_.tickets.owners.intern("agent_" + zero_padded(std::size_t(i), 2));
  }

  synthetic_portfolio run() {
    const std::size_t n = options_.n_accounts;
    const std::size_t chunks = (n + chunk_accounts - 1) / chunk_accounts;
    std::size_t threads = options_.threads != 0 ? options_.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = std::min(threads, chunks);
    if (threads <= 1) {
      account_simulator sim(options_, cal_, codes_, truth_);
      rows chunk;
      for (std::size_t c = 0; c < chunks; ++c) {
        chunk.clear();
        for (std::size_t a = c * chunk_accounts; a < std::min(n, (c + 1) * chunk_accounts); ++a) sim.simulate(a, chunk);
        merge(chunk);
      }
    } else {
      run_parallel(chunks, threads);
    }
    finish();
    return {dataset(std::move(parts_)), std::move(truth_)};
  }

 private:
  static constexpr std::size_t chunk_accounts = 256;

  /// Workers take chunks in order and park the results; this thread merges them in chunk order.
  /// Workers stay at most `window` chunks ahead of the merge, which bounds the memory in flight.
  void run_parallel(std::size_t chunks, std::size_t threads) {
    const std::size_t n = options_.n_accounts, window = 4 * threads;
    std::vector<std::unique_ptr<rows>> done(chunks), spare;  // spare: merged chunks for reuse
    std::mutex mutex;
    std::condition_variable produced, consumed;
    std::size_t next = 0, merged = 0;
    std::exception_ptr failure;
    bool stop = false;

    auto work = [&] {
      try {
        account_simulator sim(options_, cal_, codes_, truth_);
        for (;;) {
          std::size_t c = 0;
          std::unique_ptr<rows> chunk;
          {
            std::unique_lock lock(mutex);
            consumed.wait(lock, [&] { return stop || next >= chunks || next < merged + window; });
            if (stop || next >= chunks) return;
            c = next++;
            if (!spare.empty()) chunk = std::move(spare.back()), spare.pop_back();
          }
          if (!chunk) chunk = std::make_unique<rows>();
          for (std::size_t a = c * chunk_accounts; a < std::min(n, (c + 1) * chunk_accounts); ++a) sim.simulate(a, *chunk);
          {
            std::lock_guard lock(mutex);
            done[c] = std::move(chunk);
          }
          produced.notify_all();
        }
      } catch (...) {
        {
          std::lock_guard lock(mutex);
          if (!failure) failure = std::current_exception();
          stop = true;
        }
        produced.notify_all();
        consumed.notify_all();
      }
    };

    std::vector<std::thread> pool;
    for (std::size_t t = 0; t < threads; ++t) pool.emplace_back(work);
    try {
      for (std::size_t c = 0; c < chunks; ++c) {
        std::unique_ptr<rows> chunk;
        {
          std::unique_lock lock(mutex);
          produced.wait(lock, [&] { return stop || done[c] != nullptr; });
          if (stop) break;
          chunk = std::move(done[c]);
          merged = c + 1;
        }
        consumed.notify_all();
        merge(*chunk);
        chunk->clear();
        std::lock_guard lock(mutex);
        spare.push_back(std::move(chunk));
      }
    } catch (...) {
      std::lock_guard lock(mutex);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
    consumed.notify_all();
    for (auto& t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
  }

  /// Appends a chunk, turning users' numbers within their account into dictionary codes in order
  /// of first appearance.
  void merge(rows& chunk) {
    append_columns(all_.accounts.columns(), chunk.accounts.columns());
    append_columns(all_.usage.columns(), chunk.usage.columns());
    append_columns(all_.surveys.columns(), chunk.surveys.columns());
    append_columns(all_.tickets.columns(), chunk.tickets.columns());
    append_columns(all_.mrr.columns(), chunk.mrr.columns());
    append_columns(all_.payments.columns(), chunk.payments.columns());
    translate_users(chunk.usage.account, chunk.usage.user, parts_.usage.users, all_.usage.user);
    translate_users(chunk.surveys.account, chunk.surveys.respondent, parts_.surveys.respondents, all_.surveys.respondent);
    merged_accounts_ += chunk.accounts.account.size();
    if (!reserved_ && merged_accounts_ >= pilot_accounts) reserve_for(options_.n_accounts);
  }

  void translate_users(const std::vector<std::int32_t>& account, const std::vector<std::int32_t>& user,
                       dictionary& users, std::vector<std::int32_t>& out) {
    std::int32_t current = -1;
    for (std::size_t r = 0; r < user.size(); ++r) {
      if (account[r] != current) {
        current = account[r];
        local_codes_.clear();
      }
      const auto local = std::size_t(user[r]);
      if (local >= local_codes_.size()) local_codes_.resize(local + 1, no_code);
      if (local_codes_[local] == no_code)
        local_codes_[local] = users.intern("u_" + zero_padded(std::size_t(current), width_) + "_" + std::to_string(local + 1));
      out.push_back(local_codes_[local]);
    }
  }

  // Accounts are independent and identically distributed, so the first ones predict the row
  // counts of all. Reserving generously up front spares the repeated grow-and-copy of large
  // vectors; capacity that is never written costs address space, not memory.
  static constexpr std::size_t pilot_accounts = 1000;

  void reserve_for(std::size_t n) {
    reserved_ = true;
    const auto scaled = [&](std::size_t count) { return count * n / merged_accounts_ * 5 / 4 + 1024; };
    const auto reserve = [](auto columns, std::size_t count) {  // columns: a tuple of references
      std::apply([&](auto&... c) { ((c.reserve(count), prefer_huge_pages(c)), ...); }, columns);
    };
    reserve(all_.accounts.columns(), n);
    reserve(std::tuple_cat(all_.usage.columns(), std::tie(all_.usage.user)), scaled(all_.usage.time.size()));
    reserve(std::tuple_cat(all_.surveys.columns(), std::tie(all_.surveys.respondent)), scaled(all_.surveys.time.size()));
    reserve(all_.tickets.columns(), scaled(all_.tickets.opened.size()));
    reserve(all_.mrr.columns(), scaled(all_.mrr.month.size()));
    reserve(all_.payments.columns(), scaled(all_.payments.time.size()));
  }

  template <class Table>
  void report(const Table& table) {
    auto& r = parts_.report.tables.emplace_back();
    r.table = Table::name;
    r.source = "generator";
    r.read = r.accepted = static_cast<std::int64_t>(table.size());
  }

  void finish() {
    auto& p = parts_;
    move_columns(account_table::columns(p.accounts), all_.accounts.columns());
    move_columns(usage_table::columns(p.usage), std::tuple_cat(all_.usage.columns(), std::tie(all_.usage.user)));
    move_columns(survey_table::columns(p.surveys),
                 std::tuple_cat(all_.surveys.columns(), std::tie(all_.surveys.respondent)));
    move_columns(ticket_table::columns(p.tickets), all_.tickets.columns());
    move_columns(mrr_table::columns(p.mrr), all_.mrr.columns());
    move_columns(payment_table::columns(p.payments), all_.payments.columns());
    report(p.accounts), report(p.usage), report(p.surveys), report(p.tickets), report(p.mrr), report(p.payments);
  }

  const generate_options& options_;
  calendar cal_;
  int width_ = 5;
  fixed_codes codes_;
  dataset_parts parts_;
  portfolio_truth truth_;
  rows all_;
  std::vector<std::int32_t> local_codes_;  // scratch of translate_users
  std::size_t merged_accounts_ = 0;
  bool reserved_ = false;
};

}  // namespace

synthetic_portfolio generate(const generate_options& options) {
  if (options.days < 1) throw invalid_input("generate: days must be at least 1, got " + std::to_string(options.days));
  if (!(options.usage_scale >= 0.0) || !std::isfinite(options.usage_scale))
    throw invalid_input("generate: usage_scale must be a finite non-negative number");
  if (options.n_accounts > std::size_t(std::numeric_limits<std::int32_t>::max()))
    throw invalid_input("generate: n_accounts must fit the int32 account codes");
  return portfolio_builder(options).run();
}

}  // namespace custhealth
