// src/assignment.cpp — the workload formula and the assignment of new accounts to owners
// (custhealth/scorecard/assignment.hpp): branch and bound for small problems, LPT and local search beyond.

#include "custhealth/scorecard/assignment.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "custhealth/error.hpp"

namespace custhealth {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
// The objective's tolerance on M and S (steps 3 and 4 of assign_accounts' objective).
constexpr double tie = 1e-9;
// Running sums in search order and the canonical ones differ by a few ulps: the search prunes only
// beyond this relative margin, and admits an account up to it (the canonical check at a leaf decides).
constexpr double margin = 1e-12;
constexpr std::size_t max_rounds = 64;

std::string number(double v) { return fmt::format("{}", v); }

/// The canonical load: the current book, then the new workloads smallest first (`ws` is sorted).
double canonical_load(double start, std::span<const double> ws) {
  double s = start;
  for (const double w : ws) s += w;
  return s;
}

struct key {
  std::size_t unassigned = 0;
  double max_ratio = 0, sum_sq = 0;
};

struct instance {
  std::span<const double> w, load0, cap;
  std::size_t n = 0, m = 0;
  std::vector<double> scale;           // per owner: the balancing capacity
  std::vector<std::size_t> canonical;  // owners by capacity (largest first), load, index
  std::vector<std::size_t> lpt;        // accounts by workload (largest first), index

  double ratio(std::size_t i, double load) const { return load / scale[i]; }
  bool admits(std::size_t i, double load) const {  // the running load fits, up to the margin
    return std::isinf(cap[i]) || load <= cap[i] * (1 + margin);
  }
  bool identical(std::size_t i, std::size_t j) const { return cap[i] == cap[j] && load0[i] == load0[j]; }
};

instance make_instance(std::span<const double> w, std::span<const double> load, std::span<const double> cap) {
  if (load.empty()) throw invalid_input("assign_accounts: no owners");
  if (load.size() != cap.size())
    throw invalid_input("assign_accounts: " + std::to_string(load.size()) + " owners' loads but " +
                        std::to_string(cap.size()) + " capacities");
  if (load.size() > std::size_t(std::numeric_limits<std::int32_t>::max()))
    throw invalid_input("assign_accounts: too many owners");
  for (std::size_t a = 0; a < w.size(); ++a)
    if (!(w[a] > 0) || std::isinf(w[a]))
      throw invalid_input("assign_accounts: workload[" + std::to_string(a) + "] = " + number(w[a]) +
                          ": a workload must be finite and > 0");
  double largest = 0;
  for (std::size_t i = 0; i < load.size(); ++i) {
    if (!(load[i] >= 0) || std::isinf(load[i]))
      throw invalid_input("assign_accounts: load[" + std::to_string(i) + "] = " + number(load[i]) +
                          ": a current load must be finite and >= 0");
    if (!(cap[i] > 0))
      throw invalid_input("assign_accounts: capacity[" + std::to_string(i) + "] = " + number(cap[i]) +
                          ": a capacity must be > 0 (inf for no limit)");
    if (!std::isinf(cap[i])) largest = std::max(largest, cap[i]);
  }
  instance p{w, load, cap, w.size(), load.size(), {}, {}, {}};
  p.scale.resize(p.m);
  for (std::size_t i = 0; i < p.m; ++i) p.scale[i] = std::isinf(cap[i]) ? (largest > 0 ? largest : 1.0) : cap[i];
  p.canonical.resize(p.m);
  std::iota(p.canonical.begin(), p.canonical.end(), std::size_t{0});
  std::sort(p.canonical.begin(), p.canonical.end(), [&](std::size_t i, std::size_t j) {
    if (cap[i] != cap[j]) return cap[i] > cap[j];
    if (load[i] != load[j]) return load[i] < load[j];
    return i < j;
  });
  p.lpt.resize(p.n);
  std::iota(p.lpt.begin(), p.lpt.end(), std::size_t{0});
  std::sort(p.lpt.begin(), p.lpt.end(), [&](std::size_t a, std::size_t b) { return w[a] != w[b] ? w[a] > w[b] : a < b; });
  return p;
}

/// M and S of canonical loads (S summed over the squares in ascending order, so that it does not
/// depend on which owner holds which book).
key key_of(const instance& p, std::span<const double> load, std::size_t unassigned, std::vector<double>& scratch) {
  key k;
  k.unassigned = unassigned;
  scratch.resize(p.m);
  for (std::size_t i = 0; i < p.m; ++i) {
    const double r = p.ratio(i, load[i]);
    k.max_ratio = std::max(k.max_ratio, r);
    scratch[i] = r * r;
  }
  std::sort(scratch.begin(), scratch.end());
  for (const double s : scratch) k.sum_sq += s;
  return k;
}

/// Canonical loads and key of a complete assignment; false when a new account takes a load past its capacity.
struct evaluator {
  const instance& p;
  std::vector<std::vector<double>> bucket;
  std::vector<double> load, scratch;

  explicit evaluator(const instance& q) : p(q), bucket(q.m), load(q.m) {}

  bool operator()(std::span<const std::int32_t> owner, key& k) {
    for (auto& b : bucket) b.clear();
    std::size_t none = 0;
    for (std::size_t a = 0; a < p.n; ++a)
      if (owner[a] < 0) ++none;
      else bucket[std::size_t(owner[a])].push_back(p.w[a]);
    for (std::size_t i = 0; i < p.m; ++i) {
      std::sort(bucket[i].begin(), bucket[i].end());
      load[i] = canonical_load(p.load0[i], bucket[i]);
      if (!bucket[i].empty() && load[i] > p.cap[i]) return false;  // a book already over stays as it was
    }
    k = key_of(p, load, none, scratch);
    return true;
  }
};

/// Does `b` improve on `a` by more than rounding: fewer accounts left out; or as many, M no higher, and
/// M or S lower beyond the margin. M never rises, so the local search ends.
bool improves(const key& b, const key& a) {
  if (b.unassigned != a.unassigned) return b.unassigned < a.unassigned;
  if (b.max_ratio > a.max_ratio) return false;
  return b.max_ratio < a.max_ratio * (1 - margin) || b.sum_sq < a.sum_sq * (1 - margin);
}

// ---- greedy: longest workload first, then moves and swaps --------------------------------------------

class book {
 public:
  explicit book(const instance& q) : p_(q), owner_(q.n, -1), members_(q.m), load_(q.load0.begin(), q.load0.end()) {
    unassigned_ = p_.n;
    rekey();
  }

  /// Graham's LPT on uniform machines with capacities: each account, largest first, to the owner with
  /// room whose ratio after it is smallest (ties: the canonical owner order).
  void place_longest_first() {
    for (const std::size_t a : p_.lpt) {
      std::vector<char> tried(p_.m, 0);
      for (;;) {
        std::size_t best = p_.m;
        double best_ratio = inf;
        for (const std::size_t j : p_.canonical) {
          const double after = load_[j] + p_.w[a];
          if (tried[j] || !p_.admits(j, after)) continue;
          if (const double r = p_.ratio(j, after); r < best_ratio) best = j, best_ratio = r;
        }
        if (best == p_.m) break;
        move(a, std::int32_t(best));
        if (load_[best] <= p_.cap[best]) break;
        move(a, -1), tried[best] = 1;  // over by rounding: the next owner
      }
    }
    rekey();
  }

  /// Single moves (an account to another owner, or from nobody to an owner) and pairwise swaps, each
  /// kept when it improves the objective, until a round finds none.
  void improve() {
    for (std::size_t round = 0; round < max_rounds; ++round) {
      bool changed = false;
      for (std::size_t a = 0; a < p_.n; ++a)
        for (const std::size_t j : p_.canonical)
          if (owner_[a] != std::int32_t(j)) changed |= try_change(a, std::int32_t(j), p_.n);
      for (std::size_t a = 0; a < p_.n; ++a)
        for (std::size_t b = a + 1; b < p_.n; ++b)
          if (owner_[a] != owner_[b] && p_.w[a] != p_.w[b]) changed |= try_change(a, owner_[b], b);
      if (!changed) break;
    }
  }

  const std::vector<std::int32_t>& owner() const { return owner_; }
  const std::vector<double>& load() const { return load_; }
  const key& current() const { return key_; }

 private:
  void move(std::size_t a, std::int32_t to) {
    const std::int32_t from = owner_[a];
    const double wa = p_.w[a];
    if (from >= 0) {
      auto& v = members_[std::size_t(from)];
      v.erase(std::lower_bound(v.begin(), v.end(), wa));
      load_[std::size_t(from)] = canonical_load(p_.load0[std::size_t(from)], v);
    } else {
      --unassigned_;
    }
    if (to >= 0) {
      auto& v = members_[std::size_t(to)];
      v.insert(std::upper_bound(v.begin(), v.end(), wa), wa);
      load_[std::size_t(to)] = canonical_load(p_.load0[std::size_t(to)], v);
    } else {
      ++unassigned_;
    }
    owner_[a] = to;
  }

  void rekey() {
    key_ = key_of(p_, load_, unassigned_, scratch_);
    // The three busiest owners: M without any two of them is read from here.
    top_ = {p_.m, p_.m, p_.m};
    for (const std::size_t i : p_.canonical) {
      const double r = p_.ratio(i, load_[i]);
      for (std::size_t t = 0; t < top_.size(); ++t)
        if (top_[t] == p_.m || r > p_.ratio(top_[t], load_[top_[t]])) {
          std::copy_backward(top_.begin() + std::ptrdiff_t(t), top_.end() - 1, top_.end());
          top_[t] = i;
          break;
        }
    }
  }

  double max_except(std::int32_t i, std::int32_t j) const {
    for (const std::size_t t : top_)
      if (t != p_.m && std::int32_t(t) != i && std::int32_t(t) != j) return p_.ratio(t, load_[t]);
    return 0;
  }

  /// Moves account a to owner `to` and, when b < n, account b to a's owner (a swap). Estimated from the
  /// running key first; kept when the canonical loads fit and improve the objective.
  bool try_change(std::size_t a, std::int32_t to, std::size_t b) {
    const std::int32_t from = owner_[a];
    const double delta = p_.w[a] - (b < p_.n ? p_.w[b] : 0.0);  // what `from` sheds and `to` gains
    key estimate = key_;
    estimate.unassigned = unassigned_ - (from < 0 && b == p_.n ? 1 : 0);
    estimate.max_ratio = max_except(from, to);
    for (const auto& [i, change] : {std::pair{from, -delta}, std::pair{to, delta}}) {
      if (i < 0) continue;
      const auto o = std::size_t(i);
      const double after = load_[o] + change;
      if (change > 0 && !p_.admits(o, after)) return false;
      const double before_r = p_.ratio(o, load_[o]), after_r = p_.ratio(o, after);
      estimate.max_ratio = std::max(estimate.max_ratio, after_r);
      estimate.sum_sq += after_r * after_r - before_r * before_r;
    }
    if (!improves(estimate, key_)) return false;
    const key before = key_;
    move(a, to);
    if (b < p_.n) move(b, from);
    rekey();
    const bool fits = (to < 0 || load_[std::size_t(to)] <= p_.cap[std::size_t(to)]) &&
                      (from < 0 || load_[std::size_t(from)] <= p_.cap[std::size_t(from)]);
    if (fits && improves(key_, before)) return true;
    if (b < p_.n) move(b, to);
    move(a, from);
    rekey();
    return false;
  }

  const instance& p_;
  std::vector<std::int32_t> owner_;
  std::vector<std::vector<double>> members_;  // per owner: its new accounts' workloads, ascending
  std::vector<double> load_;                  // canonical
  std::size_t unassigned_ = 0;
  key key_;
  std::array<std::size_t, 3> top_{};
  std::vector<double> scratch_;
};

// ---- exact: branch and bound -------------------------------------------------------------------------

/// One depth-first search over the accounts of `order`, each to an owner of `owners` (in that order of
/// preference, or by the ratio after it) or to nobody, pruned by lower bounds. Three searches make the
/// objective: `minimise_max` finds (unassigned, M*), `minimise_squares` S* at M ≤ M*(1 + tie), and
/// `first` the lexicographically first assignment within both tolerances.
class search {
 public:
  enum class mode : std::uint8_t { minimise_max, minimise_squares, first };

  search(const instance& q, mode md, key target, std::vector<std::int32_t> incumbent)
      : p_(q), mode_(md), target_(target), best_owner_(std::move(incumbent)), eval_(q) {
    order_ = p_.lpt, owners_ = p_.canonical;
    cls_.resize(p_.m);
    for (std::size_t s = 0; s < p_.m; ++s) {
      cls_[s] = s;
      if (s > 0 && p_.identical(owners_[s - 1], owners_[s])) cls_[s] = cls_[s - 1];
    }
    running_.resize(p_.m);
    for (std::size_t s = 0; s < p_.m; ++s) running_[s] = p_.load0[owners_[s]];
    used_.assign(p_.m, 0);
    choice_.assign(p_.n, 0);
    owner_.assign(p_.n, -1);
  }

  /// Runs the search; the key and owners of the best leaf (the incumbent's when none beats it).
  void run() { descend(0, 0); }
  const key& target() const { return target_; }
  const std::vector<std::int32_t>& best() const { return best_owner_; }
  struct budget_exceeded {};

 private:
  double max_cap() const { return target_.max_ratio * (1 + tie) * (1 + margin); }
  double squares_cap() const { return target_.sum_sq * (mode_ == mode::first ? 1 + tie : 1) * (1 + margin); }

  /// Workload r poured as a liquid over the owners' running loads Lᵢ, owner i filling to level·cᵢ with
  /// cᵢ = capᵢ^power: the fractional relaxation. For power 1 the level bounds M (the busiest owner of any
  /// spreading holds at least it); for power 2 the result, Σ max(Lᵢ, level·capᵢ²)²/capᵢ², is the least S of
  /// any spreading (its KKT conditions make (Lᵢ + xᵢ)/capᵢ² equal over the owners that receive some).
  std::pair<double, double> fill(double r, int power) {
    breaks_.clear();
    for (std::size_t t = 0; t < p_.m; ++t) {
      const double c = power == 1 ? p_.scale[owners_[t]] : p_.scale[owners_[t]] * p_.scale[owners_[t]];
      breaks_.push_back({running_[t] / c, c});
    }
    std::sort(breaks_.begin(), breaks_.end());
    double loads = 0, weights = 0, level = 0;
    for (std::size_t k = 0; k < breaks_.size();) {
      loads += breaks_[k].first * breaks_[k].second, weights += breaks_[k].second, ++k;
      level = (r + loads) / weights;
      if (k == breaks_.size() || level <= breaks_[k].first) break;
    }
    double squares = 0;
    for (const auto& [b, c] : breaks_) {
      const double ratio = std::max(b, level) * c / (power == 1 ? c : std::sqrt(c));
      squares += ratio * ratio;
    }
    return {level, squares};
  }

  /// False when no completion of the first `step` decisions can qualify (or beat the incumbent).
  bool promising(std::size_t step, std::size_t none) {
    work_ += (p_.n - step + 1) * p_.m;  // what the bounds below cost
    if (work_ > assignment_search_budget) throw budget_exceeded{};
    if (none > target_.unassigned) return false;
    // Each account left either fits nowhere now (loads only grow: it will stay without an owner) or
    // raises M to at least its best ratio after placement and S by at least its smallest increase
    // ((L + w)² − L²)/cap².
    double m = 0, s = 0, m_placed = 0, s_placed = 0;
    for (std::size_t t = 0; t < p_.m; ++t) {
      const double r = p_.ratio(owners_[t], running_[t]);
      m = std::max(m, r), s += r * r;
    }
    std::size_t left_out = none;
    double dropped = 0;
    for (std::size_t k = step; k < p_.n; ++k) {
      const double w = p_.w[order_[k]];
      double ratio = inf, increase = inf;
      for (std::size_t t = 0; t < p_.m; ++t) {
        const std::size_t i = owners_[t];
        if (!p_.admits(i, running_[t] + w)) continue;
        const double r0 = p_.ratio(i, running_[t]), r1 = p_.ratio(i, running_[t] + w);
        ratio = std::min(ratio, r1), increase = std::min(increase, r1 * r1 - r0 * r0);
      }
      if (ratio == inf) ++left_out, dropped += w;
      else m_placed = std::max(m_placed, ratio), s_placed += increase;
    }
    if (left_out > target_.unassigned) return false;
    if (left_out == target_.unassigned) {
      // Leaving out one more would be worse: all the others are placed. Their total R, spread as a
      // liquid over the owners, gives bounds too (the fractional relaxation): M ≥ the level μ with
      // Σ max(0, μ·capᵢ − Lᵢ) = R, and S ≥ Σ (Lᵢ + xᵢ)²/capᵢ² at its optimum Lᵢ + xᵢ = max(Lᵢ, θ·capᵢ²).
      double r = 0;
      for (std::size_t k = step; k < p_.n; ++k) r += p_.w[order_[k]];
      r -= dropped;
      m = std::max({m, m_placed, fill(r, 1).first}), s = std::max(s + s_placed, fill(r, 2).second);
    } else if (mode_ == mode::minimise_max) {
      return true;  // perhaps fewer left out than the incumbent: better whatever M
    }
    // Only a strictly lower M beats the incumbent (a bound within the margin of it is taken as equal).
    if (mode_ == mode::minimise_max) return m < target_.max_ratio * (1 - margin);
    if (mode_ == mode::minimise_squares) return m <= max_cap() && s < target_.sum_sq * (1 - margin);
    return m <= max_cap() && s <= squares_cap();
  }

  bool leaf() {
    key k;
    if (!eval_(owner_, k)) return false;
    switch (mode_) {
      case mode::minimise_max:
        if (k.unassigned < target_.unassigned ||
            (k.unassigned == target_.unassigned && k.max_ratio < target_.max_ratio))
          target_ = k, best_owner_ = owner_;
        return false;
      case mode::minimise_squares:
        if (k.unassigned == target_.unassigned && k.max_ratio <= target_.max_ratio * (1 + tie) &&
            k.sum_sq < target_.sum_sq)
          target_.sum_sq = k.sum_sq, best_owner_ = owner_;
        return false;
      case mode::first:
        if (k.unassigned == target_.unassigned && k.max_ratio <= target_.max_ratio * (1 + tie) &&
            k.sum_sq <= target_.sum_sq * (1 + tie)) {
          best_owner_ = owner_;
          return true;
        }
        return false;
    }
    return false;
  }

  /// Decides account order_[step]; true when the search is over (`first` found its leaf).
  bool descend(std::size_t step, std::size_t none) {
    if (!promising(step, none)) return false;
    if (step == p_.n) return leaf();
    const std::size_t a = order_[step];
    const double w = p_.w[a];
    // Equal workloads are interchangeable: their choices (slot, or m for nobody) never decrease.
    const bool run = step > 0 && p_.w[order_[step - 1]] == w;
    const std::size_t floor = run ? choice_[step - 1] : 0;
    std::vector<std::size_t> slots;
    for (std::size_t t = floor; t < p_.m; ++t) {
      if (!p_.admits(owners_[t], running_[t] + w)) continue;
      // Identical owners are interchangeable: of the untouched ones only the first is tried.
      if (used_[t] == 0 && cls_[t] != t && used_[t - 1] == 0) continue;
      slots.push_back(t);
    }
    if (mode_ != mode::first)
      std::stable_sort(slots.begin(), slots.end(), [&](std::size_t s, std::size_t t) {
        return p_.ratio(owners_[s], running_[s] + w) < p_.ratio(owners_[t], running_[t] + w);
      });
    for (const std::size_t t : slots) {
      const double before = running_[t];
      running_[t] += w, ++used_[t], choice_[step] = t, owner_[a] = std::int32_t(owners_[t]);
      const bool done = descend(step + 1, none);
      running_[t] = before, --used_[t], owner_[a] = -1;
      if (done) return true;
    }
    choice_[step] = p_.m;
    return descend(step + 1, none + 1);
  }

  const instance& p_;
  mode mode_;
  key target_;
  std::vector<std::int32_t> best_owner_;
  evaluator eval_;
  std::vector<std::size_t> order_, owners_, cls_, used_, choice_;
  std::vector<double> running_;
  std::vector<std::int32_t> owner_;
  std::vector<std::pair<double, double>> breaks_;  // fill(): per owner (Lᵢ / cᵢ, cᵢ)
  std::size_t work_ = 0;
};

/// The optimum of assign_accounts' objective; nothing when a search passes its budget.
std::optional<std::vector<std::int32_t>> solve_exact(const instance& p, const book& greedy) {
  try {
    search a(p, search::mode::minimise_max, greedy.current(), greedy.owner());
    a.run();
    // S* among M ≤ M*(1 + tie): the incumbent is the best leaf so far (the greedy one when it qualifies).
    key k = a.target();
    if (const key& g = greedy.current(); g.unassigned == k.unassigned && g.max_ratio <= k.max_ratio * (1 + tie))
      k.sum_sq = std::min(k.sum_sq, g.sum_sq);
    search b(p, search::mode::minimise_squares, k, a.best());
    b.run();
    search c(p, search::mode::first, b.target(), b.best());
    c.run();
    return c.best();
  } catch (const search::budget_exceeded&) {
    return std::nullopt;
  }
}

}  // namespace

std::vector<double> account_workload(std::span<const double> segment_weight, std::span<const double> band_weight,
                                     std::span<const double> mrr, double mrr_exponent) {
  const std::size_t n = mrr.size();
  if (segment_weight.size() != n || band_weight.size() != n)
    throw invalid_input("account_workload: " + std::to_string(segment_weight.size()) + " segment weights, " +
                        std::to_string(band_weight.size()) + " band weights and " + std::to_string(n) +
                        " MRRs: one of each per account");
  if (!std::isfinite(mrr_exponent) || mrr_exponent < 0)
    throw invalid_input("account_workload: mrr_exponent = " + number(mrr_exponent) + ": must be finite and >= 0");
  double sum = 0;
  std::size_t paying = 0;
  for (std::size_t a = 0; a < n; ++a) {
    for (const auto& [name, v] : {std::pair{"segment", segment_weight[a]}, std::pair{"band", band_weight[a]}})
      if (!(v > 0) || std::isinf(v))
        throw invalid_input(std::string("account_workload: ") + name + " weight of account " + std::to_string(a) +
                            " = " + number(v) + ": a weight must be finite and > 0");
    if (std::isinf(mrr[a]))
      throw invalid_input("account_workload: mrr of account " + std::to_string(a) + " is infinite");
    if (mrr[a] > 0) sum += mrr[a], ++paying;
  }
  const double mean = paying > 0 ? sum / double(paying) : 1.0;
  std::vector<double> out(n);
  for (std::size_t a = 0; a < n; ++a) {
    const double relative = mrr[a] > 0 ? std::pow(mrr[a] / mean, mrr_exponent) : 1.0;
    out[a] = segment_weight[a] * band_weight[a] * relative;
  }
  return out;
}

account_assignment assign_accounts(std::span<const double> workload, std::span<const double> load,
                                   std::span<const double> capacity, assignment_method method) {
  const instance p = make_instance(workload, load, capacity);
  if (method == assignment_method::exact && p.n > assignment_exact_limit)
    throw invalid_input("assign_accounts: the exact method takes at most " + std::to_string(assignment_exact_limit) +
                        " accounts, got " + std::to_string(p.n) + " (its search grows as (owners + 1)^accounts)");
  const bool exact = method == assignment_method::exact ||
                     (method == assignment_method::automatic && p.n <= assignment_exact_limit);
  book greedy(p);
  greedy.place_longest_first();
  greedy.improve();

  account_assignment out;
  std::optional<std::vector<std::int32_t>> optimum;
  if (exact) optimum = solve_exact(p, greedy);
  out.exact = optimum.has_value();
  out.owner = out.exact ? std::move(*optimum) : greedy.owner();
  evaluator e(p);
  key k;
  e(out.owner, k);
  out.load = e.load;
  out.ratio.resize(p.m);
  for (std::size_t i = 0; i < p.m; ++i) out.ratio[i] = p.ratio(i, out.load[i]);
  out.unassigned = k.unassigned, out.max_ratio = k.max_ratio, out.sum_squared_ratio = k.sum_sq;
  return out;
}

}  // namespace custhealth
