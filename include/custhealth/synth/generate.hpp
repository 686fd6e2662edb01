// custhealth/synth/generate.hpp — a seeded synthetic portfolio with ground truth: accounts whose
// latent health drives usage, surveys, tickets, revenue, payments and churn (bit-for-bit per seed).
#pragma once

#include <cstdint>
#include <filesystem>
#include <vector>

#include "custhealth/dataset.hpp"

namespace custhealth {

struct generate_options {
  std::size_t n_accounts = 1000;
  int days = 730;                                  // length of the observed history
  std::uint64_t seed = 7;
  timestamp end = from_civil(2025, 1, 1);          // the observation ends here (exclusive)
  bool payments = true;                            // add the payments-merchant flavour
  double usage_scale = 1.0;                        // multiplies the usage and payment rates (row counts)
  unsigned threads = 0;                            // worker threads, 0 = all cores; never changes the output
};

/// The latent truth behind each generated account, indexed by account code (the model is written
/// down at the top of src/synth.cpp).
struct portfolio_truth {
  std::vector<double> health;             // latent health in (0, 1) at the end (at churn when churned)
  std::vector<double> churn_probability;  // P(churn within 90 days of `end`), health frozen; 1 if gone or leaving
  std::vector<std::uint8_t> churned;      // 1 when the account churned inside the observed history
  std::vector<double> base_health;        // the account's long-run health level in [0, 1]
  std::vector<timestamp> decided_at;      // start of the notice period (churn decision); no_time if none
};

struct synthetic_portfolio {
  dataset data;
  portfolio_truth truth;
};

/// Generates a portfolio; the same options give the same bytes on every run and machine.
synthetic_portfolio generate(const generate_options& options = {});

/// Writes `dir/truth.csv` (`account_id,true_health,true_churn_probability,churned`), one row per
/// account of `data` (the dataset generated with `truth`), creating `dir` if needed.
void write_truth_csv(const portfolio_truth& truth, const dataset& data, const std::filesystem::path& dir);

}  // namespace custhealth
