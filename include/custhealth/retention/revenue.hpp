// custhealth/retention/revenue.hpp — MRR movements per account-month (new, expansion, contraction,
// churn, reactivation), the monthly MRR bridge, and gross / net revenue and logo retention (GRR, NRR).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "custhealth/retention/cohort.hpp"

namespace custhealth {

namespace detail {

inline mrr_movement classify_mrr(double previous, double current, bool paid_before) noexcept {
  if (!(previous > 0)) return paid_before ? mrr_movement::reactivation : mrr_movement::new_business;
  if (!(current > 0)) return mrr_movement::churn;
  return current > previous ? mrr_movement::expansion
                            : current < previous ? mrr_movement::contraction : mrr_movement::unchanged;
}

/// Refuses an empty table and resolves as_of (default: the end of the mrr table). The values need no check here:
/// the dataset has refused negative, non-finite and duplicated MRR when it was built.
inline timestamp prepare_mrr(const dataset& data, timestamp as_of, std::string_view what) {
  if (data.mrr().size() == 0) throw invalid_input(std::string(what) + ": the mrr table is empty");
  return data.as_of_or_end(as_of, {table_id::mrr});
}

/// The one walk of an account's MRR months behind movements and the bridge: calls
/// `f(month, previous, current, movement)` for every month from the account's first row up to
/// `last_month` in which it pays now or paid the month before. The missing-month rule: a month
/// without a row counts as MRR 0, so a gap after a paid month is a churn in the first missing
/// month (and a later row a reactivation), and an account without a row in the table's last month
/// churns then.
template <class F>
void for_each_mrr_step(const mrr_table& t, std::int32_t a, timestamp as_of, std::int64_t last_month, F&& f) {
  std::int64_t previous_month = no_period;
  double previous = 0;
  bool paid = false;
  for (auto r = std::size_t(t.index.begin(a)); r < std::size_t(t.index.end(a)); ++r) {
    if (t.month[r] >= as_of) break;
    const auto m = mrr_month(t, r);
    const double v = t.mrr[r];
    if (previous_month != no_period && m > previous_month + 1) {
      if (previous > 0) f(previous_month + 1, previous, 0.0, mrr_movement::churn);
      previous = 0;
    }
    if (previous > 0 || v > 0) f(m, previous, v, classify_mrr(previous, v, paid));
    paid = paid || v > 0;
    previous_month = m, previous = v;
  }
  if (previous > 0 && previous_month < last_month) f(previous_month + 1, previous, 0.0, mrr_movement::churn);
}

}  // namespace detail

/// One row per account-month with MRR > 0 in the month or the month before, in (account, month)
/// order; columnar.
struct mrr_movement_rows {
  std::vector<std::int32_t> account;
  std::vector<timestamp> month;  // first second of the month
  std::vector<double> mrr;       // this month (0 for a churn)
  std::vector<double> previous;  // the month before (0 when absent)
  std::vector<mrr_movement> movement;

  std::size_t size() const noexcept { return account.size(); }
};

/// MRR movements per account-month (see for_each_mrr_step for the missing-month rule). The first
/// month of the table has no month before it, so MRR there counts as new. Rows with month ≥ as_of
/// are ignored (default: none). Throws invalid_input for an empty MRR table (a negative or
/// non-finite MRR, or two rows of one account for one month, the dataset refuses when built).
inline mrr_movement_rows mrr_movements(const dataset& data, timestamp as_of = no_time) {
  const timestamp limit = detail::prepare_mrr(data, as_of, "mrr movements");
  const auto& t = data.mrr();
  const auto months = detail::mrr_months(t, limit);
  mrr_movement_rows out;
  for (std::int32_t a = 0; a < std::int32_t(data.n_accounts()); ++a)
    detail::for_each_mrr_step(t, a, limit, months.last, [&](std::int64_t m, double previous, double current, mrr_movement kind) {
      out.account.push_back(a);
      out.month.push_back(period_start(m, period::month));
      out.mrr.push_back(current);
      out.previous.push_back(previous);
      out.movement.push_back(kind);
    });
  return out;
}

/// Monthly totals of the movements — the MRR bridge. Per month: opening (Σ MRR of the month before),
/// closing (Σ MRR), the MRR of each movement (all ≥ 0) and account counts; every month reconciles,
/// closing − opening = new + expansion + reactivation − contraction − churn (up to rounding).
/// Sums over accounts, so bridges of disjoint account shards merge with `+=`.
class mrr_bridge_table {
 public:
  enum field : std::size_t {
    opening_mrr, closing_mrr, new_mrr, expansion_mrr, reactivation_mrr, contraction_mrr, churned_mrr,
    paying_accounts, new_accounts, expansion_accounts, reactivated_accounts, contraction_accounts, churned_accounts,
    n_fields
  };

  std::size_t size() const noexcept { return std::size_t(grid_.rows()); }
  std::int64_t month_number(std::size_t i) const noexcept { return grid_.first() + std::int64_t(i); }
  timestamp month(std::size_t i) const noexcept { return period_start(month_number(i), period::month); }
  double get(std::size_t i, field f) const noexcept { return grid_.at(month_number(i), f); }

  /// Gross MRR churn (contraction + churn) / opening, and net MRR churn (contraction + churn −
  /// expansion) / opening, month over month; NaN when nothing was paid the month before.
  double gross_mrr_churn(std::size_t i) const noexcept {
    const double o = get(i, opening_mrr);
    return o > 0 ? (get(i, contraction_mrr) + get(i, churned_mrr)) / o : detail::nan;
  }
  double net_mrr_churn(std::size_t i) const noexcept {
    const double o = get(i, opening_mrr);
    return o > 0 ? (get(i, contraction_mrr) + get(i, churned_mrr) - get(i, expansion_mrr)) / o : detail::nan;
  }

  mrr_bridge_table& operator+=(const mrr_bridge_table& other) {
    grid_ += other.grid_;
    return *this;
  }
  friend bool operator==(const mrr_bridge_table&, const mrr_bridge_table&) = default;

 private:
  friend mrr_bridge_table mrr_bridge(const dataset&, timestamp);
  detail::period_grid grid_;  // rows: months; columns: the fields
};

/// The MRR bridge of every month of the MRR table before as_of (same rules and errors as
/// mrr_movements).
inline mrr_bridge_table mrr_bridge(const dataset& data, timestamp as_of = no_time) {
  const timestamp limit = detail::prepare_mrr(data, as_of, "mrr bridge");
  const auto& t = data.mrr();
  const auto months = detail::mrr_months(t, limit);
  mrr_bridge_table out;
  if (months.empty()) return out;
  auto& grid = out.grid_;
  grid = detail::period_grid(months.first, months.last - months.first + 1, mrr_bridge_table::n_fields);
  for (std::int32_t a = 0; a < std::int32_t(data.n_accounts()); ++a)
    detail::for_each_mrr_step(t, a, limit, months.last, [&](std::int64_t m, double previous, double current, mrr_movement kind) {
      double* row = grid.row(m);
      row[mrr_bridge_table::opening_mrr] += previous;
      row[mrr_bridge_table::closing_mrr] += current;
      if (current > 0) row[mrr_bridge_table::paying_accounts] += 1;
      const double change = current - previous;
      switch (kind) {
        case mrr_movement::new_business: row[mrr_bridge_table::new_mrr] += change, row[mrr_bridge_table::new_accounts] += 1; break;
        case mrr_movement::reactivation:
          row[mrr_bridge_table::reactivation_mrr] += change, row[mrr_bridge_table::reactivated_accounts] += 1;
          break;
        case mrr_movement::expansion:
          row[mrr_bridge_table::expansion_mrr] += change, row[mrr_bridge_table::expansion_accounts] += 1;
          break;
        case mrr_movement::contraction:
          row[mrr_bridge_table::contraction_mrr] -= change, row[mrr_bridge_table::contraction_accounts] += 1;
          break;
        case mrr_movement::churn: row[mrr_bridge_table::churned_mrr] += previous, row[mrr_bridge_table::churned_accounts] += 1; break;
        case mrr_movement::unchanged: break;
      }
    });
  return out;
}

/// Revenue and logo retention from month m0 to month m1 over the accounts paying at m0:
/// GRR = Σ min(MRRᵢ(m1), MRRᵢ(m0)) / Σ MRRᵢ(m0), NRR = Σ MRRᵢ(m1) / Σ MRRᵢ(m0), logo retention =
/// share of those accounts with MRR > 0 at m1. A missing month counts as MRR 0. NaN when no account
/// pays at m0.
struct revenue_retention_result {
  timestamp start_month = 0;          // m0
  timestamp month = 0;                // m1
  std::int64_t accounts = 0;          // paying at m0
  std::int64_t retained_accounts = 0; // of those, paying at m1
  double start_mrr = 0;               // Σ MRR(m0)
  double retained_mrr = 0;            // Σ min(MRR(m1), MRR(m0))
  double end_mrr = 0;                 // Σ MRR(m1) of the same accounts

  double grr() const noexcept { return start_mrr > 0 ? retained_mrr / start_mrr : detail::nan; }
  double nrr() const noexcept { return start_mrr > 0 ? end_mrr / start_mrr : detail::nan; }
  double logo_retention() const noexcept {
    return accounts > 0 ? double(retained_accounts) / double(accounts) : detail::nan;
  }
};

/// Revenue retention over a lag of `months` for every month m1 of the MRR table whose m0 = m1 − months
/// is also in it (the trailing-12-month series by default). Sums over accounts: series of disjoint
/// account shards merge with `+=`.
class revenue_retention_series {
 public:
  enum field : std::size_t { accounts, retained_accounts, start_mrr, retained_mrr, end_mrr, n_fields };

  revenue_retention_series() = default;
  explicit revenue_retention_series(int months) : months_(months) {}

  int months() const noexcept { return months_; }
  std::size_t size() const noexcept { return std::size_t(grid_.rows()); }
  revenue_retention_result operator[](std::size_t i) const noexcept {
    const auto m1 = grid_.first() + std::int64_t(i);
    return {period_start(m1 - months_, period::month), period_start(m1, period::month),
            std::int64_t(grid_.at(m1, accounts)), std::int64_t(grid_.at(m1, retained_accounts)),
            grid_.at(m1, start_mrr), grid_.at(m1, retained_mrr), grid_.at(m1, end_mrr)};
  }

  revenue_retention_series& operator+=(const revenue_retention_series& other) {
    if (months_ != other.months_) throw invalid_input("revenue retention series of different lags cannot be merged");
    grid_ += other.grid_;
    return *this;
  }
  friend bool operator==(const revenue_retention_series&, const revenue_retention_series&) = default;

 private:
  friend revenue_retention_series revenue_retention_shard(const dataset&, int, timestamp, detail::month_range);
  friend revenue_retention_result revenue_retention(const dataset&, timestamp, timestamp);
  friend struct detail::state_io<revenue_retention_series>;
  /// Accumulates, for every m1 in [lo, hi], the accounts paying at m1 − months: one forward walk of
  /// each account's rows with a second pointer that finds its month m0 + months.
  void accumulate(const mrr_table& t, std::int32_t a, timestamp as_of) {
    const auto lo = grid_.first(), hi = grid_.first() + grid_.rows() - 1;
    auto j = std::size_t(t.index.begin(a));
    const auto end = std::size_t(t.index.end(a));
    for (auto i = j; i < end && t.month[i] < as_of; ++i) {
      const double v0 = t.mrr[i];
      const auto m1 = detail::mrr_month(t, i) + months_;
      if (!(v0 > 0) || m1 < lo) continue;
      if (m1 > hi) break;
      while (j < end && t.month[j] < as_of && detail::mrr_month(t, j) < m1) ++j;
      const double v1 = j < end && t.month[j] < as_of && detail::mrr_month(t, j) == m1 ? t.mrr[j] : 0.0;
      double* row = grid_.row(m1);
      row[accounts] += 1;
      row[retained_accounts] += v1 > 0 ? 1 : 0;
      row[start_mrr] += v0;
      row[retained_mrr] += std::min(v0, v1);
      row[end_mrr] += v1;
    }
  }

  int months_ = 12;
  detail::period_grid grid_;  // rows: m1; columns: the fields
};

/// The trailing series of one shard of the accounts (custhealth.dask: a partition's accounts), framed
/// on `months_of_table` — the month range of the whole MRR table's rows before as_of, which a shard
/// alone does not know — so that the shards' series merge with `+=` into the whole table's. `as_of`
/// is the whole table's too (no_time: this shard's end, which includes all of its rows alike).
inline revenue_retention_series revenue_retention_shard(const dataset& data, int months, timestamp as_of,
                                                        detail::month_range months_of_table) {
  if (months < 1) throw invalid_input("revenue retention: months must be ≥ 1, got " + std::to_string(months));
  const timestamp limit = detail::prepare_mrr(data, as_of, "revenue retention");
  revenue_retention_series out(months);
  const auto& range = months_of_table;
  if (range.empty() || range.last - range.first < months) return out;
  out.grid_ = detail::period_grid(range.first + months, range.last - range.first - months + 1,
                                  revenue_retention_series::n_fields);
  for (std::int32_t a = 0; a < std::int32_t(data.n_accounts()); ++a) out.accumulate(data.mrr(), a, limit);
  return out;
}

/// The trailing series: GRR, NRR and logo retention from m1 − months to m1 for every month m1 of the
/// MRR table (rows before as_of) with m1 − months ≥ its first month; empty when the table spans fewer
/// than months + 1 months. Throws invalid_input for months < 1 and as mrr_movements.
inline revenue_retention_series revenue_retention(const dataset& data, int months = 12, timestamp as_of = no_time) {
  // The whole table is its own only shard (an empty table: the shard refuses it, after the months check).
  const timestamp limit = data.mrr().size() ? detail::prepare_mrr(data, as_of, "revenue retention") : as_of;
  return revenue_retention_shard(data, months, as_of, detail::mrr_months(data.mrr(), limit));
}

/// GRR, NRR and logo retention between two months (any times inside them): m0 must precede m1 and m1
/// must not be after the last month of the MRR table (its accounts would all look churned).
inline revenue_retention_result revenue_retention(const dataset& data, timestamp m0, timestamp m1) {
  const auto lo = period_index(m0, period::month), hi = period_index(m1, period::month);
  if (lo >= hi)
    throw invalid_input("revenue retention: the start month " + format_date(m0).substr(0, 7) +
                        " must be before the end month " + format_date(m1).substr(0, 7));
  detail::prepare_mrr(data, no_time, "revenue retention");
  const auto range = detail::mrr_months(data.mrr(), std::numeric_limits<timestamp>::max());
  if (hi > range.last)
    throw invalid_input("revenue retention: the end month " + format_date(m1).substr(0, 7) +
                        " is after the last month of the mrr table");
  revenue_retention_series s(int(hi - lo));
  s.grid_ = detail::period_grid(hi, 1, revenue_retention_series::n_fields);
  for (std::int32_t a = 0; a < std::int32_t(data.n_accounts()); ++a)
    s.accumulate(data.mrr(), a, std::numeric_limits<timestamp>::max());
  return s[0];
}

}  // namespace custhealth
