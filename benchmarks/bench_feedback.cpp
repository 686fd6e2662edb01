// Benchmarks of the grouped survey, SLA and payments aggregates over plain arrays, and the physical
// floor they are measured against: one read pass over the same columns.

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "custhealth/feedback/grouped.hpp"
#include "custhealth/payments/quality.hpp"
#include "custhealth/support/sla.hpp"

namespace {

using namespace custhealth;

const std::vector<std::string> segments{"enterprise", "mid-market", "smb", "startup", "public-sector"};

/// Answers over three years in random order, as the Python benchmark builds them: int8 segment
/// codes, datetime64[ns] ticks, float64 scores.
struct answers {
  std::vector<std::int8_t> segment;
  std::vector<std::int64_t> time_ns;
  std::vector<double> score;

  answers(std::size_t rows, int low, int high) : segment(rows), time_ns(rows), score(rows) {
    std::mt19937_64 rng(1);
    const std::int64_t start = from_civil(2022, 1, 1) * 1'000'000'000;
    const std::int64_t span = 3LL * 365 * seconds_per_day * 1'000'000'000;
    for (std::size_t i = 0; i < rows; ++i) {
      segment[i] = static_cast<std::int8_t>(rng() % segments.size());
      time_ns[i] = start + static_cast<std::int64_t>(rng() % std::uint64_t(span));
      score[i] = double(low + static_cast<int>(rng() % std::uint64_t(high - low + 1)));
    }
  }
  survey_rows rows() const {
    survey_rows r{time_column(time_ns, 1'000'000'000), score, {}, 0, {}};
    r.keys.push_back({"segment", std::span<const std::int8_t>(segment), {}, segments});
    return r;
  }
};

const answers& nps_answers(std::size_t rows) {
  static const answers a(rows, 0, 10);
  return a;
}

void BM_NpsBySegmentMonth(benchmark::State& state) {
  const auto& a = nps_answers(std::size_t(state.range(0)));
  const auto rows = a.rows();
  for (auto _ : state) benchmark::DoNotOptimize(nps_by(rows, {period::month}));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * 17);
}
BENCHMARK(BM_NpsBySegmentMonth)->ArgNames({"answers"})->Arg(10'000'000)->Unit(benchmark::kMillisecond);

void BM_CsatBySegmentMonth(benchmark::State& state) {
  static const answers a(std::size_t(state.range(0)), 1, 5);
  const auto rows = a.rows();
  for (auto _ : state) benchmark::DoNotOptimize(csat_by(rows, {period::month}));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * 17);
}
BENCHMARK(BM_CsatBySegmentMonth)->ArgNames({"answers"})->Arg(10'000'000)->Unit(benchmark::kMillisecond);

void BM_NpsBySegmentWeek(benchmark::State& state) {
  const auto& a = nps_answers(std::size_t(state.range(0)));
  const auto rows = a.rows();
  for (auto _ : state) benchmark::DoNotOptimize(nps_by(rows, {period::week}));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_NpsBySegmentWeek)->ArgNames({"answers"})->Arg(10'000'000)->Unit(benchmark::kMillisecond);

/// The physical floor: every byte of the three columns read once (summed), nothing else.
void BM_ReadPassFloor(benchmark::State& state) {
  const auto& a = nps_answers(std::size_t(state.range(0)));
  for (auto _ : state) {
    std::int64_t t = 0, s8 = 0;
    double s = 0;
    for (std::size_t i = 0; i < a.score.size(); ++i) t += a.time_ns[i], s += a.score[i], s8 += a.segment[i];
    benchmark::DoNotOptimize(t);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(s8);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * state.range(0) * 17);
}
BENCHMARK(BM_ReadPassFloor)->ArgNames({"answers"})->Arg(10'000'000)->Unit(benchmark::kMillisecond);

void BM_SlaByPriorityMonth(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  std::mt19937_64 rng(2);
  std::vector<timestamp> opened(n), first(n), resolved(n);
  std::vector<priority> prio(n);
  for (std::size_t i = 0; i < n; ++i) {
    opened[i] = from_civil(2023, 1, 1) + timestamp(rng() % (730 * seconds_per_day));
    first[i] = rng() % 10 ? opened[i] + timestamp(rng() % (12 * 3600)) : no_time;
    resolved[i] = rng() % 5 ? opened[i] + timestamp(rng() % (20 * seconds_per_day)) : no_time;
    prio[i] = static_cast<priority>(rng() % 4);
  }
  ticket_rows rows{opened, first, resolved, std::span<const priority>(prio), {}};
  rows.keys.push_back({"priority", std::span<const priority>(prio), {}, detail::priority_labels()});
  const auto threads = std::int32_t(state.range(1));
  for (auto _ : state)
    benchmark::DoNotOptimize(sla_summary(rows, {period::month, from_civil(2025, 1, 1)}, {}, threads));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SlaByPriorityMonth)
    ->ArgNames({"tickets", "threads"})
    ->Args({1'000'000, 1})
    ->Args({5'000'000, 1})
    ->Args({5'000'000, 2})
    ->Unit(benchmark::kMillisecond);

void BM_PaymentsByAccountMonth(benchmark::State& state) {
  const auto n = std::size_t(state.range(0));
  std::mt19937_64 rng(3);
  std::vector<std::string> accounts(10'000);
  for (std::size_t i = 0; i < accounts.size(); ++i) accounts[i] = std::string("m") += std::to_string(i);
  std::vector<timestamp> time(n);
  std::vector<std::uint8_t> type(n);
  std::vector<double> amount(n);
  std::vector<std::int32_t> account(n);
  for (std::size_t i = 0; i < n; ++i) {
    time[i] = from_civil(2024, 1, 1) + timestamp(rng() % (365 * seconds_per_day));
    type[i] = std::uint8_t(rng() % 5);
    amount[i] = double(rng() % 100'000) / 100.0;
    account[i] = std::int32_t(rng() % accounts.size());
  }
  const payment_rows rows{time,
                          std::span<const std::uint8_t>(type),
                          amount,
                          {{"account_id", std::span<const std::int32_t>(account), {}, accounts}},
                          {},
                          {}};
  for (auto _ : state) benchmark::DoNotOptimize(payments_by(rows, {period::month}));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PaymentsByAccountMonth)->ArgNames({"payments"})->Arg(10'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
