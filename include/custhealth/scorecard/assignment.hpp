// custhealth/scorecard/assignment.hpp — new accounts shared among account managers (DESIGN §4 "Assignment"):
// as many accounts placed as capacities allow, then the largest load/capacity made smallest; no capacity exceeded.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace custhealth {

// ---- the expected workload of an account ----------------------------------------------------------

/// The defaults of account_workload's weights, in their one place (Python reads them from
/// `_core.DEFAULTS["assignment"]`). They are judgement, not measurement — a starting point for a team
/// to tune: a red account takes about twice the time of a green one (save plans, escalations, exec
/// reviews), a yellow one half as much again; a segment, a band without a weight, and an account with
/// no band weigh 1.
inline constexpr double default_workload_weight = 1;
inline constexpr std::array<std::pair<std::string_view, double>, 3> default_band_weights{
    {{"red", 2.0}, {"yellow", 1.5}, {"green", 1.0}}};
/// Bigger accounts take more time, but not in proportion to their revenue: with the square root a
/// 4× MRR account is 2× the work.
inline constexpr double default_mrr_exponent = 0.5;

/// Per account, `workload = segment_weight · band_weight · (mrr / m)^mrr_exponent`, where m is the
/// mean of the positive MRRs in `mrr`. An account whose MRR is NaN or ≤ 0 (never paid, or nothing this
/// month) counts as m — a factor of 1 — and so does every account when no MRR is positive.
/// Throws invalid_input for arrays of different lengths, a weight that is not finite and > 0, an
/// infinite MRR, or an exponent that is not finite and ≥ 0.
std::vector<double> account_workload(std::span<const double> segment_weight, std::span<const double> band_weight,
                                     std::span<const double> mrr, double mrr_exponent = default_mrr_exponent);

// ---- the assignment ------------------------------------------------------------------------------

/// `automatic`: `exact` for at most assignment_exact_limit accounts, `greedy` beyond.
enum class assignment_method : std::uint8_t { automatic, exact, greedy };

/// The most accounts the exact method takes: its search grows as (owners + 1)^accounts in the worst
/// case; with its bounds 12 accounts over 8 owners take milliseconds, over 30 about a second.
inline constexpr std::size_t assignment_exact_limit = 12;
/// Where the exact method gives up — search nodes × accounts left × owners, per pass; about a second —
/// and the greedy answer is returned instead, with `exact` false.
inline constexpr std::size_t assignment_search_budget = 100'000'000;

struct account_assignment {
  std::vector<std::int32_t> owner;  // per account: the owner's index, or −1 when no owner has room left for it
  std::vector<double> load;         // per owner: the current load plus the workloads assigned
  std::vector<double> ratio;        // per owner: load / balancing capacity (see assign_accounts)
  std::size_t unassigned = 0;       // accounts without an owner
  double max_ratio = 0;             // M, the largest ratio
  double sum_squared_ratio = 0;     // S, Σ ratio²
  bool exact = false;               // true: optimal (branch and bound); false: greedy and local search
};

/// Assigns each new account (its workload, > 0) to one of the owners, who hold books of `load` (≥ 0)
/// and may hold at most `capacity` (> 0; +inf for no limit) in all. No account takes an owner above its
/// capacity (a book already above it is kept, and gets nothing).
///
/// Objective, in order:
///  1. the fewest accounts left without an owner (those no owner has room for);
///  2. the smallest M = maxᵢ loadᵢ / capᵢ — makespan on machines of speeds capᵢ (uniform machines);
///     capᵢ is the capacity, or for an owner without a limit the largest finite capacity (1 when none
///     is finite), so that an unlimited owner is balanced like the largest team member but never fills;
///  3. the smallest S = Σᵢ (loadᵢ / capᵢ)² among assignments with M within a relative 10⁻⁹ of the
///     optimum (it spreads the rest evenly below the busiest owner);
///  4. among assignments with S also within a relative 10⁻⁹ of its optimum, the first in lexicographic
///     order, reading the accounts largest workload first (then by index) and ranking the owners by
///     capacity (largest first), current load, then index, "none" after every owner — so that owners
///     with the same capacity and book are told apart by index alone.
/// Loads are summed in one fixed order (the current load, then the workloads smallest first), so
/// equal books give equal bits whichever way they were built.
///
/// `exact` (branch and bound over accounts largest first, identical owners and equal workloads taken
/// once; `automatic` up to assignment_exact_limit accounts) finds that optimum, unless its search
/// passes assignment_search_budget: then the result is the greedy one, with `exact` false. `greedy` is
/// longest-workload-first — each account to the owner with room whose ratio after it is smallest — and
/// then single moves and pairwise swaps while one lowers (1, 2, 3) (at most 64 rounds of O(n·m + n²)).
/// Guarantee: with equal capacities, empty books and room for everything, the greedy start is Graham's
/// LPT, M ≤ (4/3 − 1/(3m))·M_opt (R. L. Graham, "Bounds on multiprocessing timing anomalies", SIAM J.
/// Appl. Math. 17, 1969, Theorem 2), and the local search never raises M. Otherwise the result is a
/// local optimum without a proven bound. Both are deterministic, and relabelling the owners changes
/// which index holds a book, not M or S.
///
/// Throws invalid_input for no owners, `load` and `capacity` of different lengths, a workload that is
/// not finite and > 0, a load that is not finite and ≥ 0, a capacity that is NaN or ≤ 0, and `exact`
/// for more than assignment_exact_limit accounts.
account_assignment assign_accounts(std::span<const double> workload, std::span<const double> load,
                                   std::span<const double> capacity,
                                   assignment_method method = assignment_method::automatic);

}  // namespace custhealth
