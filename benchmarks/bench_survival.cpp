// Benchmarks of the Kaplan–Meier kernel without Python: building the event table (counting sort for
// integer days, bucket sort for continuous times), fitting the curve from it, and the log-rank test.

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "custhealth/retention/kaplan_meier.hpp"

namespace {

using namespace custhealth;

/// Exponential lifetimes (mean 700 days) censored by a uniform follow-up of up to 1,500 days, as in
/// benchmarks/cases/survival.py; `integer_days` rounds them up to whole days (many ties).
struct sample {
  std::vector<double> durations;
  std::vector<std::uint8_t> observed;
  std::vector<int> groups;
};

sample make_sample(std::int64_t n, bool integer_days) {
  std::mt19937_64 rng(2025);
  std::exponential_distribution<double> life(1.0 / 700.0);
  std::uniform_real_distribution<double> follow(0.0, 1500.0);
  sample s;
  s.durations.resize(static_cast<std::size_t>(n));
  s.observed.resize(static_cast<std::size_t>(n));
  s.groups.resize(static_cast<std::size_t>(n));
  for (std::size_t i = 0; i < s.durations.size(); ++i) {
    const double l = life(rng), f = follow(rng);
    s.durations[i] = integer_days ? std::ceil(std::min(l, f)) : std::min(l, f);
    s.observed[i] = l <= f ? 1 : 0;
    s.groups[i] = static_cast<int>(rng() & 1);
  }
  return s;
}

void BM_KaplanMeierEventTable(benchmark::State& state) {
  const auto s = make_sample(state.range(0), state.range(1) != 0);
  for (auto _ : state) benchmark::DoNotOptimize(km_event_table::from_spans(s.durations, s.observed));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KaplanMeierEventTable)
    ->ArgNames({"subjects", "integer_days"})
    ->ArgsProduct({{1'000'000}, {1, 0}})
    ->Unit(benchmark::kMillisecond);

void BM_KaplanMeierFitTable(benchmark::State& state) {
  const auto s = make_sample(state.range(0), state.range(1) != 0);
  const auto table = km_event_table::from_spans(s.durations, s.observed);
  for (auto _ : state) benchmark::DoNotOptimize(kaplan_meier(table));
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(table.size()));
  state.counters["rows"] = static_cast<double>(table.size());
}
BENCHMARK(BM_KaplanMeierFitTable)
    ->ArgNames({"subjects", "integer_days"})
    ->ArgsProduct({{1'000'000}, {1, 0}})
    ->Unit(benchmark::kMillisecond);

void BM_KaplanMeier(benchmark::State& state) {
  const auto s = make_sample(state.range(0), state.range(1) != 0);
  for (auto _ : state) benchmark::DoNotOptimize(kaplan_meier(s.durations, s.observed));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KaplanMeier)
    ->ArgNames({"subjects", "integer_days"})
    ->ArgsProduct({{10'000, 100'000, 1'000'000}, {1, 0}})
    ->Unit(benchmark::kMillisecond);

void BM_LogRankTwoGroups(benchmark::State& state) {
  const auto s = make_sample(state.range(0), state.range(1) != 0);
  for (auto _ : state) benchmark::DoNotOptimize(logrank_test(s.durations, s.observed, s.groups));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LogRankTwoGroups)
    ->ArgNames({"subjects", "integer_days"})
    ->ArgsProduct({{1'000'000}, {1, 0}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
