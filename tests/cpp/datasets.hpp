// tests/cpp/datasets.hpp — small hand-written datasets the C++ tests share.
#pragma once

#include <string>
#include <tuple>
#include <vector>

#include "custhealth/dataset.hpp"

namespace custhealth::test {

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

}  // namespace custhealth::test
