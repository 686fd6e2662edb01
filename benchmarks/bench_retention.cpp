// Benchmarks of the retention kernels: cohort matrices (both modes, month and week), lifecycle and
// the MRR bridge / trailing revenue retention, over synthetic portfolios of a given size.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "custhealth/retention/cohort.hpp"
#include "custhealth/retention/lifecycle.hpp"
#include "custhealth/retention/revenue.hpp"

namespace {

using namespace custhealth;

/// `events` usage rows over `accounts` accounts in 2023–2024: each account starts on a uniform day,
/// stays for an exponential lifetime (mean 300 days) and spreads its share of the events uniformly
/// over it; rows come sorted by (account, time), as the dataset keeps them. Built once per size.
const dataset& portfolio(std::int64_t events, std::int64_t accounts) {
  static std::map<std::pair<std::int64_t, std::int64_t>, dataset> cache;
  auto [it, fresh] = cache.try_emplace({events, accounts});
  if (!fresh) return it->second;
  std::mt19937_64 rng(42);
  auto uniform = [&] { return double(rng() >> 11) * 0x1.0p-53; };
  const timestamp begin = from_civil(2023, 1, 1), span = 730 * seconds_per_day;
  dataset_parts p;
  std::vector<std::int32_t> account, event;
  std::vector<timestamp> time;
  account.reserve(std::size_t(events)), event.reserve(std::size_t(events)), time.reserve(std::size_t(events));
  std::vector<std::int32_t> mrr_account;
  std::vector<timestamp> mrr_month;
  std::vector<double> mrr;
  const auto per_account = events / accounts;
  for (std::int64_t a = 0; a < accounts; ++a) {
    p.account_ids.intern("acct_" + std::to_string(1'000'000 + a));
    const timestamp start = begin + timestamp(uniform() * double(span - seconds_per_day));
    const timestamp stop = std::min(begin + span, start + seconds_per_day + timestamp(-std::log(1 - uniform()) * 300 * seconds_per_day));
    const auto n = a + 1 == accounts ? events - per_account * (accounts - 1) : per_account;
    std::vector<timestamp> ts(static_cast<std::size_t>(n));
    for (auto& t : ts) t = start + timestamp(uniform() * double(stop - start));
    std::sort(ts.begin(), ts.end());
    for (auto t : ts) account.push_back(std::int32_t(a)), time.push_back(t), event.push_back(std::int32_t(rng() % 5));
    double value = 100.0 * double(1 + rng() % 20);
    for (auto m = period_index(start, period::month); m <= period_index(stop - 1, period::month); ++m) {
      if (uniform() < 0.1) value *= 0.7 + 0.6 * uniform();
      mrr_account.push_back(std::int32_t(a)), mrr_month.push_back(period_start(m, period::month)), mrr.push_back(value);
    }
  }
  for (const char* name : {"login", "report_view", "export", "api_call", "dashboard_edit"}) p.usage.events.intern(name);
  p.usage.value = column(std::vector<double>(account.size(), 1.0));
  p.usage.account = column(std::move(account)), p.usage.time = column(std::move(time)), p.usage.event = column(std::move(event));
  p.mrr.account = column(std::move(mrr_account)), p.mrr.month = column(std::move(mrr_month)), p.mrr.mrr = column(std::move(mrr));
  it->second = dataset(std::move(p));
  return it->second;
}

void BM_CohortRetention(benchmark::State& state, period unit, cohort_mode mode) {
  const auto& d = portfolio(state.range(0), state.range(1));
  cohort_options o;
  o.period = unit;
  o.mode = mode;
  for (auto _ : state) benchmark::DoNotOptimize(cohort_retention(d, o));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK_CAPTURE(BM_CohortRetention, month_on, period::month, cohort_mode::on)
    ->ArgNames({"events", "accounts"})->Args({1'000'000, 10'000})->Args({10'000'000, 100'000})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_CohortRetention, month_on_or_after, period::month, cohort_mode::on_or_after)
    ->ArgNames({"events", "accounts"})->Args({10'000'000, 100'000})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_CohortRetention, week_on, period::week, cohort_mode::on)
    ->ArgNames({"events", "accounts"})->Args({10'000'000, 100'000})->Unit(benchmark::kMillisecond);

void BM_CohortRetentionFiltered(benchmark::State& state) {
  const auto& d = portfolio(state.range(0), state.range(1));
  cohort_options o;
  o.events = {d.usage().events.find("export")};
  for (auto _ : state) benchmark::DoNotOptimize(cohort_retention(d, o));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_CohortRetentionFiltered)->ArgNames({"events", "accounts"})->Args({10'000'000, 100'000})->Unit(benchmark::kMillisecond);

void BM_Lifecycle(benchmark::State& state) {
  const auto& d = portfolio(state.range(0), state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(lifecycle(d));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Lifecycle)->ArgNames({"events", "accounts"})->Args({10'000'000, 100'000})->Unit(benchmark::kMillisecond);

void BM_MrrBridgeAndRetention(benchmark::State& state) {
  const auto& d = portfolio(state.range(0), state.range(1));
  for (auto _ : state) {
    benchmark::DoNotOptimize(mrr_bridge(d));
    benchmark::DoNotOptimize(revenue_retention(d, 12));
  }
  state.SetItemsProcessed(state.iterations() * std::int64_t(d.mrr().size()));
}
BENCHMARK(BM_MrrBridgeAndRetention)->ArgNames({"events", "accounts"})->Args({10'000'000, 100'000})->Unit(benchmark::kMillisecond);

}  // namespace
