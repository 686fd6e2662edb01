// tests/cpp/test_scorecard_assignment.cpp — scorecard/assignment.hpp: the exact method against a brute force
// over every (owners + 1)^accounts assignment, the greedy one against Graham's LPT bound and the exact
// optimum, capacities, determinism under relabelled owners, the workload formula by hand, bad input.

#include "custhealth/scorecard/assignment.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "expect.hpp"

namespace custhealth {
namespace {

using test::invalid_input_message;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double nan = std::numeric_limits<double>::quiet_NaN();

struct problem {
  std::vector<double> workload, load, capacity;
};

// Uniform [0, 1) from the engine's bits: the same numbers on every standard library (the
// <random> distributions are not specified bit for bit).
double uniform(std::mt19937_64& g) { return double(g() >> 11) * 0x1p-53; }
std::size_t below(std::mt19937_64& g, std::size_t n) { return std::size_t(uniform(g) * double(n)); }

/// The objective of assignment.hpp, written out from its definition: every assignment of each account
/// to an owner or to nobody, loads summed plainly in account order.
struct brute_force {
  std::size_t unassigned = 0;
  double max_ratio = 0, sum_sq = 0;
  std::vector<std::int32_t> owner;
};

/// The balancing capacity: the capacity, or for an unlimited owner the largest finite one (1 if none).
std::vector<double> scales(const problem& p) {
  double largest = 0;
  for (double c : p.capacity)
    if (c != inf) largest = std::max(largest, c);
  std::vector<double> scale;
  for (double c : p.capacity) scale.push_back(c != inf ? c : largest > 0 ? largest : 1);
  return scale;
}

brute_force solve_by_brute_force(const problem& p) {
  const std::size_t n = p.workload.size(), m = p.load.size();
  const std::vector<double> scale = scales(p);
  struct leaf {
    std::vector<std::int32_t> code;  // per account: the owner, or m for nobody
    std::size_t none;
    double max_ratio, sum_sq;
  };
  std::vector<leaf> leaves;
  std::vector<std::int32_t> code(n, 0);
  for (;;) {
    std::vector<double> load = p.load;
    std::size_t none = 0;
    for (std::size_t a = 0; a < n; ++a)
      if (code[a] == std::int32_t(m)) ++none;
      else load[std::size_t(code[a])] += p.workload[a];
    bool fits = true;
    double mr = 0, ss = 0;
    for (std::size_t i = 0; i < m; ++i) {
      fits = fits && (load[i] <= p.capacity[i] || load[i] == p.load[i]);  // nothing new past a capacity
      mr = std::max(mr, load[i] / scale[i]), ss += (load[i] / scale[i]) * (load[i] / scale[i]);
    }
    if (fits) leaves.push_back({code, none, mr, ss});
    std::size_t a = 0;  // the next code vector
    for (a = n; a-- > 0;) {
      if (++code[a] <= std::int32_t(m)) break;
      code[a] = 0;
    }
    if (a == std::size_t(-1)) break;
  }
  brute_force out;
  out.unassigned = n + 1;
  for (const auto& l : leaves) out.unassigned = std::min(out.unassigned, l.none);
  out.max_ratio = inf;
  for (const auto& l : leaves)
    if (l.none == out.unassigned) out.max_ratio = std::min(out.max_ratio, l.max_ratio);
  out.sum_sq = inf;
  for (const auto& l : leaves)
    if (l.none == out.unassigned && l.max_ratio <= out.max_ratio * (1 + 1e-9)) out.sum_sq = std::min(out.sum_sq, l.sum_sq);
  // The first within both tolerances, reading the accounts largest workload first (then by index) and
  // ranking the owners by capacity (largest first), then current load, then index; nobody last.
  std::vector<std::size_t> lpt(n), owners(m);
  std::iota(lpt.begin(), lpt.end(), std::size_t{0});
  std::iota(owners.begin(), owners.end(), std::size_t{0});
  std::stable_sort(lpt.begin(), lpt.end(), [&](auto a, auto b) { return p.workload[a] > p.workload[b]; });
  std::stable_sort(owners.begin(), owners.end(), [&](auto i, auto j) {
    return p.capacity[i] != p.capacity[j] ? p.capacity[i] > p.capacity[j] : p.load[i] < p.load[j];
  });
  std::vector<std::size_t> rank(m + 1, m);
  for (std::size_t r = 0; r < m; ++r) rank[owners[r]] = r;
  std::vector<std::size_t> first;
  for (const auto& l : leaves) {
    if (l.none != out.unassigned || l.max_ratio > out.max_ratio * (1 + 1e-9) || l.sum_sq > out.sum_sq * (1 + 1e-9))
      continue;
    std::vector<std::size_t> order;
    for (auto a : lpt) order.push_back(rank[std::size_t(l.code[a])]);
    if (first.empty() || order < first) {
      first = order, out.owner.clear();
      for (auto c : l.code) out.owner.push_back(c == std::int32_t(m) ? -1 : c);
    }
  }
  return out;
}

/// A small random case: unequal capacities (some unlimited, some too small for everything), books
/// already held, workloads whole (exact sums: ties are real) or not.
problem random_problem(std::mt19937_64& g, std::size_t n, std::size_t m, bool whole) {
  problem p;
  for (std::size_t a = 0; a < n; ++a) p.workload.push_back(whole ? double(1 + below(g, 6)) : 0.2 + 3 * uniform(g));
  for (std::size_t i = 0; i < m; ++i) {
    p.load.push_back(below(g, 3) == 0 ? 0.0 : whole ? double(below(g, 5)) : 4 * uniform(g));
    const double u = uniform(g);
    p.capacity.push_back(u < 0.15 ? inf : whole ? double(2 + below(g, 9)) : 2 + 9 * uniform(g));
  }
  return p;
}

void expect_within_capacity(const problem& p, const account_assignment& r) {
  const std::size_t m = p.load.size();
  std::vector<double> load = p.load;
  for (std::size_t a = 0; a < p.workload.size(); ++a)
    if (r.owner[a] >= 0) load[std::size_t(r.owner[a])] += p.workload[a];
  for (std::size_t i = 0; i < m; ++i) {
    if (load[i] != p.load[i]) {  // a book already past its capacity gets nothing, and stays
      EXPECT_LE(r.load[i], p.capacity[i]) << "owner " << i;
    }
    EXPECT_NEAR(r.load[i], load[i], 1e-9 * (1 + load[i])) << "owner " << i;
  }
  // An account left without an owner fits in no owner's remaining room.
  for (std::size_t a = 0; a < p.workload.size(); ++a) {
    if (r.owner[a] >= 0) continue;
    for (std::size_t i = 0; i < m; ++i) EXPECT_GT(r.load[i] + p.workload[a], p.capacity[i]) << "account " << a;
  }
}

TEST(AssignExact, MatchesBruteForceOnRandomSmallCases) {
  std::mt19937_64 g(20250613);
  int cases = 0, with_unassigned = 0;
  for (int c = 0; c < 400; ++c) {
    const std::size_t m = 1 + below(g, 4);
    std::size_t n = below(g, 9);
    while (n > 0 && std::pow(double(m + 1), double(n)) > 1e5) --n;
    const problem p = random_problem(g, n, m, c % 2 == 0);
    const brute_force want = solve_by_brute_force(p);
    const account_assignment got = assign_accounts(p.workload, p.load, p.capacity, assignment_method::exact);
    SCOPED_TRACE("case " + std::to_string(c) + ": " + std::to_string(n) + " accounts, " + std::to_string(m) + " owners");
    EXPECT_TRUE(got.exact);
    EXPECT_EQ(got.unassigned, want.unassigned);
    EXPECT_NEAR(got.max_ratio, want.max_ratio, 1e-12 * want.max_ratio);
    EXPECT_NEAR(got.sum_squared_ratio, want.sum_sq, 1e-9 * want.sum_sq);
    EXPECT_EQ(got.owner, want.owner);
    expect_within_capacity(p, got);
    ++cases, with_unassigned += want.unassigned > 0;
  }
  EXPECT_EQ(cases, 400);
  EXPECT_GT(with_unassigned, 20);  // the cases do exercise accounts that fit nowhere
}

TEST(AssignExact, HandCases) {
  // Two identical empty owners and two equal accounts: one each, the first account to owner 0.
  auto r = assign_accounts(std::vector{1.0, 1.0}, std::vector{0.0, 0.0}, std::vector{inf, inf});
  EXPECT_EQ(r.owner, (std::vector<std::int32_t>{0, 1}));
  EXPECT_DOUBLE_EQ(r.max_ratio, 1.0);  // no finite capacity: the ratio is the load itself
  // Owner 0 already holds 6 of its 10; owner 1 (capacity 5) holds nothing. Accounts 4 and 3: the 4 to
  // owner 1 (ratio 0.8) and the 3 to owner 0 (0.9), not 3 to owner 1 (0.6) and 4 to owner 0 (1.0).
  r = assign_accounts(std::vector{4.0, 3.0}, std::vector{6.0, 0.0}, std::vector{10.0, 5.0});
  EXPECT_EQ(r.owner, (std::vector<std::int32_t>{1, 0}));
  EXPECT_DOUBLE_EQ(r.max_ratio, 0.9);
  EXPECT_DOUBLE_EQ(r.sum_squared_ratio, 0.81 + 0.64);
  EXPECT_EQ(r.load, (std::vector<double>{9.0, 4.0}));
  // A workload of 20 fits neither a capacity of 10 nor one of 5.
  r = assign_accounts(std::vector{20.0, 1.0}, std::vector{0.0, 0.0}, std::vector{10.0, 5.0});
  EXPECT_EQ(r.owner, (std::vector<std::int32_t>{-1, 0}));
  EXPECT_EQ(r.unassigned, 1u);
  // An unlimited owner is balanced as if it had the largest finite capacity (10): 8 and 8 split, the
  // first to the unlimited owner (the larger capacity ranks first among tied assignments).
  r = assign_accounts(std::vector{8.0, 8.0}, std::vector{0.0, 0.0}, std::vector{10.0, inf});
  EXPECT_EQ(r.owner, (std::vector<std::int32_t>{1, 0}));
  EXPECT_EQ(r.ratio, (std::vector<double>{0.8, 0.8}));
  // As many accounts as fit first: 6 and 5 do not both fit in 10, so one waits; of the two, leaving
  // the 6 out gives the lower ratio.
  r = assign_accounts(std::vector{6.0, 5.0}, std::vector{0.0}, std::vector{10.0});
  EXPECT_EQ(r.owner, (std::vector<std::int32_t>{-1, 0}));
  // An owner already over capacity takes nothing; its ratio stays in M.
  r = assign_accounts(std::vector{1.0}, std::vector{12.0, 0.0}, std::vector{10.0, 10.0});
  EXPECT_EQ(r.owner, (std::vector<std::int32_t>{1}));
  EXPECT_DOUBLE_EQ(r.max_ratio, 1.2);
  // No accounts: the books as they are.
  r = assign_accounts(std::vector<double>{}, std::vector{3.0, 1.0}, std::vector{4.0, 4.0});
  EXPECT_TRUE(r.owner.empty());
  EXPECT_EQ(r.load, (std::vector<double>{3.0, 1.0}));
  EXPECT_DOUBLE_EQ(r.max_ratio, 0.75);
}

TEST(AssignExact, TwelveAccountsOverSeveralOwners) {
  std::mt19937_64 g(7);
  for (int c = 0; c < 5; ++c) {
    const problem p = random_problem(g, assignment_exact_limit, 8, c % 2 == 0);
    const auto r = assign_accounts(p.workload, p.load, p.capacity);
    EXPECT_TRUE(r.exact);
    expect_within_capacity(p, r);
    const auto greedy = assign_accounts(p.workload, p.load, p.capacity, assignment_method::greedy);
    EXPECT_LE(r.unassigned, greedy.unassigned);
    if (r.unassigned == greedy.unassigned) {
      EXPECT_LE(r.max_ratio, greedy.max_ratio);
    }
  }
}

TEST(AssignExact, PastItsSearchBudgetTheGreedyAnswerIsReturned) {
  // 12 accounts over 60 owners: proving the least S takes more than assignment_search_budget.
  std::mt19937_64 g(7);
  problem p = random_problem(g, assignment_exact_limit, 60, false);
  const auto r = assign_accounts(p.workload, p.load, p.capacity);
  const auto greedy = assign_accounts(p.workload, p.load, p.capacity, assignment_method::greedy);
  EXPECT_FALSE(r.exact);
  EXPECT_EQ(r.owner, greedy.owner);
  expect_within_capacity(p, r);
}

// Graham (1969): on m identical machines, longest-processing-time-first ends within
// (4/3 − 1/(3m)) of the optimal makespan. The local search only lowers M, so the bound holds after it.
TEST(AssignGreedy, WithinGrahamsBoundOfTheOptimumOnIdenticalOwners) {
  std::mt19937_64 g(1969);
  for (int c = 0; c < 120; ++c) {
    const std::size_t m = 2 + below(g, 4), n = 8 + below(g, 5);
    problem p;
    for (std::size_t a = 0; a < n; ++a) p.workload.push_back(c % 3 == 0 ? double(1 + below(g, 20)) : 0.1 + uniform(g));
    p.load.assign(m, 0.0);
    p.capacity.assign(m, c % 2 == 0 ? inf : 1e6);
    const auto greedy = assign_accounts(p.workload, p.load, p.capacity, assignment_method::greedy);
    const auto exact = assign_accounts(p.workload, p.load, p.capacity, assignment_method::exact);
    const double bound = 4.0 / 3.0 - 1.0 / (3.0 * double(m));
    EXPECT_FALSE(greedy.exact);
    EXPECT_GE(greedy.max_ratio, exact.max_ratio * (1 - 1e-12)) << "case " << c;
    EXPECT_LE(greedy.max_ratio, bound * exact.max_ratio) << "case " << c;
  }
}

TEST(AssignGreedy, GrahamsTightInstances) {
  // m = 2: 3, 3, 2, 2, 2. LPT alone makes 7 | 5 (the bound, 7/6 of 6); one swap of a 3 for a 2 makes
  // 6 | 6, the optimum.
  auto r = assign_accounts(std::vector{3.0, 3.0, 2.0, 2.0, 2.0}, std::vector{0.0, 0.0}, std::vector{inf, inf},
                           assignment_method::greedy);
  EXPECT_EQ(r.load, (std::vector<double>{6.0, 6.0}));
  // m = 3: 5, 5, 4, 4, 3, 3, 3 — LPT 11, optimum 9 (5+4 | 5+4 | 3+3+3), within 11/9 = 4/3 − 1/9.
  const std::vector<double> w{5, 5, 4, 4, 3, 3, 3};
  r = assign_accounts(w, std::vector(3, 0.0), std::vector(3, inf), assignment_method::greedy);
  EXPECT_LE(r.max_ratio, 11.0);
  r = assign_accounts(w, std::vector(3, 0.0), std::vector(3, inf), assignment_method::exact);
  EXPECT_DOUBLE_EQ(r.max_ratio, 9.0);
}

TEST(AssignGreedy, LargeCasesStayWithinCapacityAndAreLocallyOptimal) {
  std::mt19937_64 g(42);
  for (int c = 0; c < 4; ++c) {
    const problem p = random_problem(g, 300, 7, c % 2 == 0);
    const auto r = assign_accounts(p.workload, p.load, p.capacity);
    EXPECT_FALSE(r.exact);
    expect_within_capacity(p, r);
    const std::vector<double> scale = scales(p);
    for (std::size_t i = 0; i < scale.size(); ++i) EXPECT_DOUBLE_EQ(r.ratio[i], r.load[i] / scale[i]);
    // No single move of an account to another owner with room lowers M, or S with M unchanged.
    for (std::size_t a = 0; a < p.workload.size(); ++a) {
      if (r.owner[a] < 0) continue;
      const auto from = std::size_t(r.owner[a]);
      for (std::size_t j = 0; j < p.load.size(); ++j) {
        if (j == from || r.load[j] + p.workload[a] > p.capacity[j]) continue;
        std::vector<double> ratio = r.ratio;
        ratio[from] = (r.load[from] - p.workload[a]) / scale[from];
        ratio[j] = (r.load[j] + p.workload[a]) / scale[j];
        const double mr = *std::max_element(ratio.begin(), ratio.end());
        double ss = 0;
        for (double x : ratio) ss += x * x;
        EXPECT_FALSE(mr < r.max_ratio * (1 - 1e-9) || (mr <= r.max_ratio && ss < r.sum_squared_ratio * (1 - 1e-9)))
            << "moving account " << a << " from " << from << " to " << j;
      }
    }
  }
}

TEST(AssignDeterminism, SameInputSameResultAndOwnerOrderDoesNotChangeTheObjective) {
  std::mt19937_64 g(5);
  for (int c = 0; c < 60; ++c) {
    const bool large = c % 3 == 0;
    const problem p = random_problem(g, large ? 120 : 1 + below(g, 12), 2 + below(g, 5), c % 2 == 0);
    const auto a = assign_accounts(p.workload, p.load, p.capacity);
    const auto b = assign_accounts(p.workload, p.load, p.capacity);
    EXPECT_EQ(a.owner, b.owner);
    EXPECT_EQ(a.load, b.load);
    // The owners in reverse, then rotated: the same books, under other indices.
    problem q = p;
    std::vector<std::size_t> perm(p.load.size());
    std::iota(perm.begin(), perm.end(), std::size_t{0});
    std::reverse(perm.begin(), perm.end());
    std::rotate(perm.begin(), perm.begin() + 1, perm.end());
    for (std::size_t i = 0; i < perm.size(); ++i) q.load[i] = p.load[perm[i]], q.capacity[i] = p.capacity[perm[i]];
    const auto r = assign_accounts(q.workload, q.load, q.capacity);
    SCOPED_TRACE("case " + std::to_string(c));
    EXPECT_EQ(r.unassigned, a.unassigned);
    EXPECT_NEAR(r.max_ratio, a.max_ratio, 1e-12 * a.max_ratio);
    EXPECT_NEAR(r.sum_squared_ratio, a.sum_squared_ratio, 1e-9 * a.sum_squared_ratio);
    if (large) {  // the greedy path is equivariant: the very same books
      EXPECT_EQ(r.max_ratio, a.max_ratio);
      for (std::size_t i = 0; i < perm.size(); ++i) EXPECT_EQ(r.load[i], a.load[perm[i]]);
    }
  }
}

TEST(AssignInput, BadInputIsRejectedWithTheReason) {
  auto message = [](std::vector<double> w, std::vector<double> l, std::vector<double> c,
                    assignment_method md = assignment_method::automatic) {
    return invalid_input_message([&] { assign_accounts(w, l, c, md); });
  };
  EXPECT_EQ(message({1.0}, {}, {}), "assign_accounts: no owners");
  EXPECT_EQ(message({1.0}, {0.0, 0.0}, {1.0}), "assign_accounts: 2 owners' loads but 1 capacities");
  EXPECT_EQ(message({1.0, nan}, {0.0}, {1.0}), "assign_accounts: workload[1] = nan: a workload must be finite and > 0");
  EXPECT_EQ(message({-1.0}, {0.0}, {1.0}), "assign_accounts: workload[0] = -1: a workload must be finite and > 0");
  EXPECT_EQ(message({0.0}, {0.0}, {1.0}), "assign_accounts: workload[0] = 0: a workload must be finite and > 0");
  EXPECT_EQ(message({inf}, {0.0}, {1.0}), "assign_accounts: workload[0] = inf: a workload must be finite and > 0");
  EXPECT_EQ(message({1.0}, {-2.0}, {1.0}), "assign_accounts: load[0] = -2: a current load must be finite and >= 0");
  EXPECT_EQ(message({1.0}, {nan}, {1.0}), "assign_accounts: load[0] = nan: a current load must be finite and >= 0");
  EXPECT_EQ(message({1.0}, {0.0, 0.0}, {1.0, 0.0}),
            "assign_accounts: capacity[1] = 0: a capacity must be > 0 (inf for no limit)");
  EXPECT_EQ(message({1.0}, {0.0}, {-3.0}), "assign_accounts: capacity[0] = -3: a capacity must be > 0 (inf for no limit)");
  EXPECT_EQ(message({1.0}, {0.0}, {nan}), "assign_accounts: capacity[0] = nan: a capacity must be > 0 (inf for no limit)");
  EXPECT_EQ(message(std::vector(13, 1.0), {0.0}, {inf}, assignment_method::exact),
            "assign_accounts: the exact method takes at most 12 accounts, got 13 (its search grows as (owners + "
            "1)^accounts)");
  EXPECT_FALSE(assign_accounts(std::vector(13, 1.0), std::vector{0.0}, std::vector{inf}).exact);
}

TEST(AssignWorkload, FormulaByHand) {
  // Mean positive MRR = (100 + 400) / 2 = 250 (account 2 never paid, account 3 pays nothing now):
  //   0: 1 · 2   · √(100/250) = 2 · 0.6324555320336759 = 1.2649110640673518
  //   1: 2 · 1   · √(400/250) = 2 · 1.2649110640673518 = 2.5298221281347035
  //   2: 1 · 1.5 · 1 (no MRR: the mean)                  = 1.5
  //   3: 3 · 1   · 1 (MRR 0: the mean)                   = 3
  const std::vector<double> segment{1, 2, 1, 3}, band{2, 1, 1.5, 1}, mrr{100, 400, nan, 0};
  const auto w = account_workload(segment, band, mrr);
  ASSERT_EQ(w.size(), 4u);
  EXPECT_DOUBLE_EQ(w[0], 1.2649110640673518);
  EXPECT_DOUBLE_EQ(w[1], 2.5298221281347035);
  EXPECT_DOUBLE_EQ(w[2], 1.5);
  EXPECT_DOUBLE_EQ(w[3], 3.0);
  // Exponent 1: proportional to MRR (100/250 = 0.4, 400/250 = 1.6); exponent 0: the weights alone.
  EXPECT_DOUBLE_EQ(account_workload(segment, band, mrr, 1.0)[1], 2 * 1.6);
  EXPECT_DOUBLE_EQ(account_workload(segment, band, mrr, 0.0)[0], 2.0);
  // Nobody pays: every factor is 1.
  EXPECT_EQ(account_workload(std::vector{1.0, 2.0}, std::vector{1.0, 1.0}, std::vector{nan, 0.0}),
            (std::vector<double>{1.0, 2.0}));
  // The defaults, as documented.
  EXPECT_EQ(default_mrr_exponent, 0.5);
  EXPECT_EQ(default_band_weights[0].first, "red");
  EXPECT_EQ(default_band_weights[0].second, 2.0);
  EXPECT_EQ(default_band_weights[1].second, 1.5);
  EXPECT_EQ(default_band_weights[2].second, 1.0);
}

TEST(AssignWorkload, BadInputIsRejectedWithTheReason) {
  const std::vector<double> one{1.0};
  EXPECT_EQ(invalid_input_message([&] { account_workload(one, std::vector{1.0, 1.0}, one); }),
            "account_workload: 1 segment weights, 2 band weights and 1 MRRs: one of each per account");
  EXPECT_EQ(invalid_input_message([&] { account_workload(std::vector{0.0}, one, one); }),
            "account_workload: segment weight of account 0 = 0: a weight must be finite and > 0");
  EXPECT_EQ(invalid_input_message([&] { account_workload(one, std::vector{nan}, one); }),
            "account_workload: band weight of account 0 = nan: a weight must be finite and > 0");
  EXPECT_EQ(invalid_input_message([&] { account_workload(one, one, std::vector{inf}); }),
            "account_workload: mrr of account 0 is infinite");
  EXPECT_EQ(invalid_input_message([&] { account_workload(one, one, one, -0.5); }),
            "account_workload: mrr_exponent = -0.5: must be finite and >= 0");
  EXPECT_EQ(invalid_input_message([&] { account_workload(one, one, one, nan); }),
            "account_workload: mrr_exponent = nan: must be finite and >= 0");
}

}  // namespace
}  // namespace custhealth
