// tests/cpp/datasets.hpp — small hand-written datasets the C++ tests share.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "custhealth/dataset.hpp"

namespace custhealth::test {

struct event_row {
  std::string account;
  std::string time;
  std::string event = "login";
};

/// A dataset of usage rows (value 1) and, optionally, account starts (id → date), as the loaders
/// would hand it over.
inline dataset usage_dataset(const std::vector<event_row>& rows,
                             const std::map<std::string, std::string>& starts = {}) {
  dataset_parts p;
  std::vector<std::int32_t> account, event;
  std::vector<timestamp> time;
  for (const auto& r : rows) {
    account.push_back(p.account_ids.intern(r.account));
    time.push_back(parse_time_or_throw(r.time));
    event.push_back(p.usage.events.intern(r.event));
  }
  p.usage.account = column(std::move(account));
  p.usage.time = column(std::move(time));
  p.usage.event = column(std::move(event));
  p.usage.value = column(std::vector<double>(rows.size(), 1.0));
  if (!starts.empty()) {
    std::vector<std::int32_t> acc;
    std::vector<timestamp> start;
    for (const auto& [id, s] : starts) acc.push_back(p.account_ids.intern(id)), start.push_back(parse_time_or_throw(s));
    p.accounts.account = column(std::move(acc));
    p.accounts.start = column(std::move(start));
  }
  return dataset(std::move(p));
}

/// A dataset with only an mrr table, from (account id, "YYYY-MM", mrr) rows.
inline dataset mrr_dataset(const std::vector<std::tuple<std::string, std::string, double>>& rows) {
  dataset_parts p;
  std::vector<std::int32_t> account;
  std::vector<timestamp> month;
  std::vector<double> mrr;
  for (const auto& [id, m, v] : rows)
    account.push_back(p.account_ids.intern(id)), month.push_back(*parse_month(m)), mrr.push_back(v);
  p.mrr.account = column(std::move(account));
  p.mrr.month = column(std::move(month));
  p.mrr.mrr = column(std::move(mrr));
  return dataset(std::move(p));
}

struct payment_row {
  std::string account;
  std::string time;
  payment_type type = payment_type::payment;
  double amount = 0.0;
  std::string currency = "USD";  // "" leaves the row without one
};

/// A dataset with only a payments table; `with_currency = false` leaves out the currency column.
inline dataset payments_dataset(const std::vector<payment_row>& rows, bool with_currency = true) {
  dataset_parts p;
  std::vector<std::int32_t> account, currency;
  std::vector<timestamp> time;
  std::vector<payment_type> type;
  std::vector<double> amount;
  for (const auto& r : rows) {
    account.push_back(p.account_ids.intern(r.account));
    time.push_back(parse_time_or_throw(r.time));
    type.push_back(r.type);
    amount.push_back(r.amount);
    if (with_currency) currency.push_back(r.currency.empty() ? no_code : p.payments.currencies.intern(r.currency));
  }
  p.payments.account = column(std::move(account));
  p.payments.time = column(std::move(time));
  p.payments.type = column(std::move(type));
  p.payments.amount = column(std::move(amount));
  if (with_currency) p.payments.currency = column(std::move(currency));
  return dataset(std::move(p));
}

}  // namespace custhealth::test
