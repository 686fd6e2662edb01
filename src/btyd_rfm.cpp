// src/btyd_rfm.cpp — the RFM summary of a dataset's payments or usage table (btyd/rfm.hpp), in one pass over
// each account's time-sorted rows.
#include "custhealth/btyd/rfm.hpp"

#include <fmt/format.h>

#include <map>
#include <string>

#include "custhealth/error.hpp"

namespace custhealth::btyd {
namespace {

/// The payments' currency of a code (no_code: a payment without one).
std::string currency_name(const payment_table& p, std::int32_t code) {
  return code == no_code ? std::string("(none)") : p.currencies[code];
}

/// The one currency code to summarise among the successful payments before as_of, or invalid_input.
std::int32_t choose_currency(const payment_table& p, timestamp as_of, const std::string& wanted) {
  if (p.currency.empty()) {
    if (!wanted.empty())
      throw invalid_input("rfm_summary: currency \"" + wanted +
                          "\" asked for, but the payments table has no currency column");
    return no_code;
  }
  std::map<std::string, std::int64_t> counts;  // by name, so the message lists them in order
  for (std::size_t r = 0; r < p.size(); ++r)
    if (p.type[r] == payment_type::payment && p.time[r] < as_of) ++counts[currency_name(p, p.currency[r])];
  if (counts.empty()) throw invalid_input("rfm_summary: no successful payments before " + format_date(as_of));
  std::string listed;
  for (const auto& [name, n] : counts) listed += fmt::format("{}{} ({} payments)", listed.empty() ? "" : ", ", name, n);
  if (!wanted.empty()) {
    const std::int32_t code = p.currencies.find(wanted);
    if (code == no_code || !counts.contains(wanted))
      throw invalid_input(fmt::format(
          "rfm_summary: no successful payments in currency \"{}\" before {} (there are: {})", wanted,
          format_date(as_of), listed));
    return code;
  }
  if (counts.size() > 1)
    throw invalid_input(fmt::format("rfm_summary: the successful payments before {} are in {} currencies: {}; choose "
                                    "one (--currency, or currency= in Python): amounts in different currencies do "
                                    "not average",
                                    format_date(as_of), counts.size(), listed));
  for (std::size_t r = 0; r < p.size(); ++r)
    if (p.type[r] == payment_type::payment && p.time[r] < as_of) return p.currency[r];
  return no_code;  // not reached: counts holds a payment
}

}  // namespace

rfm_table rfm_summary(const dataset& data, const rfm_options& options) {
  if (options.table != table_id::payments && options.table != table_id::usage)
    throw invalid_input("rfm_summary: table must be payments or usage, got " + std::string(to_string(options.table)));
  const bool payments = options.table == table_id::payments;
  rfm_table out;
  out.table = options.table;
  out.unit = options.unit;
  out.as_of = data.as_of_or_end(options.as_of, {options.table});
  const std::string what = payments ? "successful payments" : "usage events";
  if (out.as_of == no_time)
    throw invalid_input("rfm_summary: no " + what + " (the " + std::string(to_string(options.table)) +
                        " table is empty)");
  if (!is_plausible_time(out.as_of))
    throw invalid_input("rfm_summary: as-of " + format_date(out.as_of) + " is not a plausible time");

  const payment_table& p = data.payments();
  const usage_table& u = data.usage();
  std::int32_t currency = no_code;
  if (payments) {
    currency = choose_currency(p, out.as_of, options.currency);
    out.currency = p.currency.empty() ? std::string() : currency_name(p, currency);
  }
  // The last observed period: the one holding the last moment before as_of (lifetimes' observation_period_end,
  // which it floors to its period, as period_index does).
  const std::int64_t end_period = period_index(out.as_of - 1, options.unit);
  const account_index& index = payments ? p.index : u.index;
  const timestamp* time = payments ? p.time.data() : u.time.data();
  for (std::int32_t a = 0; a < std::int32_t(index.accounts()); ++a) {
    std::int64_t first = 0, last = 0, periods = 0;
    double period_value = 0.0, repeat_value = 0.0;
    // Rows are sorted by time within the account, so a period's rows are consecutive; each period's sum is
    // added to the repeat total when the next period starts (and at the end), unless it is the first period.
    auto close_period = [&] {
      if (periods > 1) repeat_value += period_value;
    };
    for (std::int64_t i = index.begin(a); i < index.end(a); ++i) {
      const auto r = std::size_t(i);
      if (time[r] >= out.as_of) break;
      if (payments && (p.type[r] != payment_type::payment || (!p.currency.empty() && p.currency[r] != currency)))
        continue;
      ++out.transactions;
      const std::int64_t k = period_index(time[r], options.unit);
      if (periods == 0 || k != last) {
        close_period();
        if (periods == 0) first = k;
        last = k, ++periods, period_value = 0.0;
      }
      if (payments) period_value += p.amount[r];
    }
    if (periods == 0) continue;
    close_period();
    out.account.push_back(a);
    out.frequency.push_back(double(periods - 1));
    out.recency.push_back(double(last - first));
    out.T.push_back(double(end_period - first));
    if (payments) out.monetary.push_back(periods > 1 ? repeat_value / double(periods - 1) : 0.0);
  }
  if (out.account.empty())
    throw invalid_input("rfm_summary: no " + what + (payments && !out.currency.empty() ? " in " + out.currency : "") +
                        " before " + format_date(out.as_of));
  return out;
}

}  // namespace custhealth::btyd
