// custhealth/payments/quality.hpp — merchant payments quality from the payments table (DESIGN §4
// "Payments"): counts and volumes per type, refund, chargeback and decline rates, threshold flags.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "custhealth/dataset.hpp"
#include "custhealth/detail/grouping.hpp"
#include "custhealth/detail/hash.hpp"
#include "custhealth/detail/stats.hpp"
#include "custhealth/grouping.hpp"

namespace custhealth {

namespace detail {

/// A sum of doubles kept as an unevaluated pair hi + lo (double-double, Knuth's TwoSum; Dekker 1971).
/// With non-negative amounts the pair holds the exact sum as long as it spans under ~105 bits (a
/// merge rounds lo twice), and `value()` is then the correctly rounded sum: the same bits in whatever
/// order rows, shards or threads' blocks are added. Beyond (a total above ~2⁵³ × the smallest amount)
/// lo rounds and the last bit may depend on the order. (A plain double sum differs between orders.)
class compensated_sum {
 public:
  void add(double x) noexcept {
    const double s = hi_ + x;
    const double bp = s - hi_;
    const double err = (hi_ - (s - bp)) + (x - bp);
    normalize(s, lo_ + err);
  }
  compensated_sum& operator+=(const compensated_sum& o) noexcept {
    const double s = hi_ + o.hi_;
    const double bp = s - hi_;
    const double err = (hi_ - (s - bp)) + (o.hi_ - bp);
    normalize(s, lo_ + o.lo_ + err);
    return *this;
  }
  double value() const noexcept { return hi_; }
  friend bool operator==(const compensated_sum& a, const compensated_sum& b) noexcept { return a.hi_ == b.hi_; }

 private:
  void normalize(double s, double e) noexcept {  // Fast2Sum: hi = fl(s + e), lo = the remainder
    hi_ = s + e;
    lo_ = e - (hi_ - s);
  }
  double hi_ = 0.0, lo_ = 0.0;
};

}  // namespace detail

/// Mergeable payment counts and volumes of one group (an account × month), per payment_type.
/// Amounts in different currencies do not add: per type the group remembers its rows' currency (by
/// the name's FNV-1a 64, so shards with dictionaries of their own agree) and whether they mix several
/// — then that type's amount is NaN, not a sum of CAD and EUR; counts and count ratios stand.
struct payment_counts {
  static constexpr std::size_t types = enum_size<payment_type>;
  std::array<std::int64_t, types> count{};            // by payment_type
  std::array<detail::compensated_sum, types> volume;  // Σ amount by payment_type
  std::array<std::uint64_t, types> currency{};        // by payment_type: its rows' currency_id; 0: none known
  std::array<std::uint8_t, types> several{};          // by payment_type: 1 when its rows are in several

  std::int64_t n(payment_type t) const noexcept { return count[static_cast<std::size_t>(t)]; }
  /// Σ amount of type t; NaN when the rows of that type are in several currencies.
  double amount(payment_type t) const noexcept {
    const auto i = static_cast<std::size_t>(t);
    return several[i] ? detail::nan : volume[i].value();
  }
  /// Whether any amounts of the group are in different currencies (within a type or across types).
  bool mixed_currencies() const noexcept {
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < types; ++i) {
      if (several[i]) return true;
      if (currency[i] != 0 && seen != 0 && currency[i] != seen) return true;
      if (currency[i] != 0) seen = currency[i];
    }
    return false;
  }
  std::int64_t payments() const noexcept { return n(payment_type::payment); }
  std::int64_t refunds() const noexcept { return n(payment_type::refund); }
  std::int64_t chargebacks() const noexcept { return n(payment_type::chargeback); }
  std::int64_t declines() const noexcept { return n(payment_type::decline); }
  std::int64_t cancellations() const noexcept { return n(payment_type::cancellation); }

  /// refunds / payments (by count); NaN without payments.
  double refund_rate() const noexcept { return ratio(refunds(), payments()); }
  /// refunded amount / paid amount; NaN without payment volume, or when they are in different currencies.
  double refund_amount_rate() const noexcept {
    const std::uint64_t p = currency[std::size_t(payment_type::payment)], r = currency[std::size_t(payment_type::refund)];
    if (p != 0 && r != 0 && p != r) return detail::nan;
    const double paid = amount(payment_type::payment);
    return paid > 0 ? amount(payment_type::refund) / paid : detail::nan;
  }
  /// chargebacks in the period / payments in the period (the card schemes' monthly ratio); NaN
  /// without payments.
  double chargeback_ratio() const noexcept { return ratio(chargebacks(), payments()); }
  /// declines / (payments + declines): the share of attempts declined; NaN without attempts.
  double decline_rate() const noexcept { return ratio(declines(), payments() + declines()); }
  /// cancellations / payments; NaN without payments.
  double cancellation_rate() const noexcept { return ratio(cancellations(), payments()); }

  /// One row of type t and amount x, in the currency `in` (a currency_id; 0: none known, joins any).
  void add(payment_type t, double x, std::uint64_t in = 0) noexcept {
    const auto i = static_cast<std::size_t>(t);
    ++count[i];
    volume[i].add(x);
    note_currency(i, in);
  }
  payment_counts& operator+=(const payment_counts& o) noexcept {
    for (std::size_t i = 0; i < types; ++i) {
      count[i] += o.count[i], volume[i] += o.volume[i];
      several[i] |= o.several[i];
      note_currency(i, o.currency[i]);
    }
    return *this;
  }
  friend payment_counts operator+(payment_counts a, const payment_counts& b) noexcept { return a += b; }
  friend bool operator==(const payment_counts&, const payment_counts&) = default;

 private:
  static double ratio(std::int64_t a, std::int64_t b) noexcept {
    return b == 0 ? detail::nan : static_cast<double>(a) / static_cast<double>(b);
  }
  void note_currency(std::size_t i, std::uint64_t in) noexcept {
    if (in == 0) return;
    if (currency[i] == 0) currency[i] = in;
    else if (in != currency[i]) several[i] = 1;
  }
};

/// A currency's identity in payment_counts: FNV-1a 64 of its name (never 0, which means "none
/// known"). A row without a currency in a table that has the column is in currency_id(""): a
/// currency of its own, so it is not added to a named one.
inline std::uint64_t currency_id(std::string_view name) noexcept {
  const std::uint64_t h = fnv1a64(name);
  return h == 0 ? 1 : h;
}

/// Chargeback-ratio thresholds as fractions (DESIGN §4 defaults: breach at ≥ 0.9 %, early
/// warning at ≥ 0.65 %, the levels of the card schemes' monitoring programmes).
struct payment_thresholds {
  double chargeback_warning = 0.0065;
  double chargeback_breach = 0.009;

  /// Throws invalid_input unless 0 ≤ warning ≤ breach (finite).
  void validate() const {
    if (!(chargeback_warning >= 0 && chargeback_warning <= chargeback_breach && std::isfinite(chargeback_breach)))
      throw invalid_input("payment thresholds must satisfy 0 ≤ warning ≤ breach, got warning " +
                          std::to_string(chargeback_warning) + ", breach " + std::to_string(chargeback_breach));
  }
};

inline payment_flag chargeback_flag(const payment_counts& c, const payment_thresholds& th = {}) noexcept {
  const double r = c.chargeback_ratio();
  if (std::isnan(r)) return payment_flag::none;
  return r >= th.chargeback_breach    ? payment_flag::breach
         : r >= th.chargeback_warning ? payment_flag::warning
                                      : payment_flag::ok;
}

/// Payments as plain arrays, borrowed.
struct payment_rows {
  time_column time;
  code_span type;                  // payment_type codes 0..4 (payment, refund, chargeback, decline, cancellation)
  std::span<const double> amount;  // finite, ≥ 0
  std::vector<key_column> keys;
  /// Each row's currency: a code into `currency_ids` (currency_id of each name; −1: a row without
  /// one, currency_id("")), or empty when the rows have no currency column (then one is assumed).
  code_span currency;
  std::vector<std::uint64_t> currency_ids;

  /// currency and currency_ids from codes and their names.
  void set_currency(code_span codes, std::span<const std::string> names) {
    currency = codes;
    currency_ids.clear();
    for (const auto& name : names) currency_ids.push_back(currency_id(name));
  }
  /// The currency_id of row r (0 without a currency column).
  std::uint64_t currency_of(std::size_t r) const {
    if (currency.empty()) return 0;
    const std::int64_t k = currency[r];
    if (k >= std::int64_t(currency_ids.size()))
      throw invalid_input("payments[" + std::to_string(r) + "]: currency code " + std::to_string(k) + " has no name");
    return k < 0 ? currency_id("") : currency_ids[std::size_t(k)];
  }
};

/// Payment counts and volumes per group by the period (or window) of each row's time. Every row is
/// checked: an unknown type code, or an amount that is NaN, infinite or negative, throws
/// invalid_input naming the row. On up to `n_threads` threads for large tables, the same bits for any
/// count (counts, and volumes as double-double sums).
inline grouped<payment_counts> payments_by(const payment_rows& rows, const time_grouping& scope = {},
                                           std::int32_t n_threads = 1) {
  const std::size_t n = rows.time.size();
  if (rows.type.size() != n || rows.amount.size() != n)
    throw invalid_input("payments: the time, type and amount columns differ in length (" + std::to_string(n) + ", " +
                        std::to_string(rows.type.size()) + ", " + std::to_string(rows.amount.size()) + ")");
  auto keep = [&](std::size_t r) {
    const std::int64_t t = rows.type[r];
    if (t < 0 || t >= std::int64_t(enum_size<payment_type>))
      throw invalid_input("payments[" + std::to_string(r) + "]: unknown type code " + std::to_string(t) +
                          ": expected 0.." + std::to_string(enum_size<payment_type> - 1) + " (" +
                          enum_choices<payment_type>() + ")");
    const double a = rows.amount[r];
    if (!(a >= 0) || !std::isfinite(a))
      throw invalid_input("payments[" + std::to_string(r) + "]: 'amount' must be a finite number ≥ 0, got " +
                          std::to_string(a));
    return true;
  };
  if (!rows.currency.empty() && rows.currency.size() != n)
    throw invalid_input("payments: the currency column has " + std::to_string(rows.currency.size()) + " rows, the table " +
                        std::to_string(n));
  auto add = [&](payment_counts& c, std::size_t r) {
    c.add(static_cast<payment_type>(rows.type[r]), rows.amount[r], rows.currency_of(r));
  };
  return detail::group_rows(rows.keys, rows.time, scope, payment_counts{}, {"payments", "timestamp"}, keep, add,
                            n_threads);
}

/// The payments table of `data`, keyed by `by`: currency (the payment's), and the account attributes
/// account_id, segment, plan, owner.
inline payment_rows payment_rows_of(const dataset& data, const std::vector<std::string>& by) {
  const payment_table& t = data.payments();
  const key_column own[] = {{"currency", t.currency, {}, t.currencies.values()}};
  payment_rows rows{t.time, t.type, t.amount.span(), detail::dataset_keys(data, t.account, own, by, "payments"), {}, {}};
  if (!t.currency.empty()) rows.set_currency(t.currency, t.currencies.values());
  return rows;
}

inline grouped<payment_counts> payments_by(const dataset& data, const std::vector<std::string>& by,
                                           time_grouping scope = {}, std::int32_t n_threads = 1) {
  scope.as_of = data.as_of_or_end(scope.as_of, {table_id::payments});
  return payments_by(payment_rows_of(data, by), scope, n_threads);
}

}  // namespace custhealth
