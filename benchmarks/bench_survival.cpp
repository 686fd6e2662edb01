// Benchmarks of the Kaplan–Meier kernel without Python: the two sorts of survival keys, building the
// event table (counting sort for integer days, a sort for continuous times), fitting the curve from it,
// and the log-rank test. Fits share a survival_workspace and hand their results back to it, as a caller
// that fits repeatedly would (and as the Python module does).

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "custhealth/detail/simd_sort.hpp"
#include "custhealth/detail/survival_sort.hpp"
#include "custhealth/retention/kaplan_meier.hpp"
#include "custhealth/retention/logrank.hpp"
#include "custhealth/retention/survival_workspace.hpp"

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

/// Sorting the bare keys of continuous times: the portable bucket sort (simd = 0) and the AVX-512
/// quicksort (simd = 1; skipped on a CPU without it). Each iteration restores the unsorted keys first.
void BM_SortSurvivalKeys(benchmark::State& state) {
  const bool simd = state.range(1) != 0;
  if (simd && !detail::simd::has_sort_u64()) {
    state.SkipWithError("no AVX-512 on this CPU");
    return;
  }
  const auto s = make_sample(state.range(0), false);
  std::vector<std::uint64_t> keys(s.durations.size()), work(keys.size()), scratch(keys.size());
  for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = detail::km::time_key(s.durations[i], s.observed[i] != 0);
  for (auto _ : state) {
    state.PauseTiming();
    work = keys;
    state.ResumeTiming();
    if (simd) detail::simd::sort_u64(work.data(), scratch.data(), work.size());
    else detail::km::sort_by_key(work.data(), scratch.data(), work.size());
    benchmark::DoNotOptimize(work.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SortSurvivalKeys)
    ->ArgNames({"keys", "simd"})
    ->ArgsProduct({{1'000'000}, {0, 1}})
    ->Unit(benchmark::kMillisecond);

void BM_KaplanMeierEventTable(benchmark::State& state) {
  const auto s = make_sample(state.range(0), state.range(1) != 0);
  survival_workspace workspace;
  for (auto _ : state) {
    auto table = km_event_table::from_spans(s.durations, s.observed, {}, {}, &workspace);
    benchmark::DoNotOptimize(table);
    table.recycle(workspace);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KaplanMeierEventTable)
    ->ArgNames({"subjects", "integer_days"})
    ->ArgsProduct({{1'000'000}, {1, 0}})
    ->Unit(benchmark::kMillisecond);

void BM_KaplanMeierFitTable(benchmark::State& state) {
  const auto s = make_sample(state.range(0), state.range(1) != 0);
  const auto table = km_event_table::from_spans(s.durations, s.observed);
  survival_workspace workspace;
  for (auto _ : state) {
    auto curve = kaplan_meier(table.copy(&workspace), 0.95, &workspace);
    benchmark::DoNotOptimize(curve);
    curve.recycle(workspace);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(table.size()));
  state.counters["rows"] = static_cast<double>(table.size());
}
BENCHMARK(BM_KaplanMeierFitTable)
    ->ArgNames({"subjects", "integer_days"})
    ->ArgsProduct({{1'000'000}, {1, 0}})
    ->Unit(benchmark::kMillisecond);

void BM_KaplanMeier(benchmark::State& state) {
  const auto s = make_sample(state.range(0), state.range(1) != 0);
  survival_workspace workspace;
  for (auto _ : state) {
    auto curve = kaplan_meier(s.durations, s.observed, {}, {}, 0.95, &workspace);
    benchmark::DoNotOptimize(curve);
    curve.recycle(workspace);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_KaplanMeier)
    ->ArgNames({"subjects", "integer_days"})
    ->ArgsProduct({{10'000, 100'000, 1'000'000}, {1, 0}})
    ->Unit(benchmark::kMillisecond);

void BM_LogRankTwoGroups(benchmark::State& state) {
  const auto s = make_sample(state.range(0), state.range(1) != 0);
  survival_workspace workspace;
  for (auto _ : state) benchmark::DoNotOptimize(logrank_test(s.durations, s.observed, s.groups, {}, {}, &workspace));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LogRankTwoGroups)
    ->ArgNames({"subjects", "integer_days"})
    ->ArgsProduct({{1'000'000}, {1, 0}})
    ->Unit(benchmark::kMillisecond);

}  // namespace
