// Benchmarks of ingestion: CSV parsing of a usage table into an indexed dataset, and the
// sealing step alone (dictionary sort, counting sort by account, index).

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "custhealth/io/csv.hpp"

namespace {

namespace fs = std::filesystem;
using namespace custhealth;

/// A usage CSV of `rows` rows over `accounts` accounts, in time order (as exported from a
/// warehouse), written once per size.
fs::path usage_file(std::int64_t rows, std::int64_t accounts) {
  const auto path = fs::temp_directory_path() / ("custhealth_bench_usage_" + std::to_string(rows) + ".csv");
  if (fs::exists(path)) return path;
  std::mt19937_64 rng(1);
  std::ofstream out(path);
  out << "account_id,timestamp,event,value,user_id\n";
  const char* events[] = {"login", "report_view", "export", "api_call", "dashboard_edit"};
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto a = rng() % std::uint64_t(accounts);
    const timestamp t = from_civil(2024, 1, 1) + r * (365 * seconds_per_day / rows);
    out << "acct_" << a << ',' << detail::format_time(t) << ',' << events[rng() % 5] << ',' << (rng() % 10 + 1)
        << ",u_" << a << '_' << rng() % 8 << '\n';
  }
  return path;
}

void BM_ReadUsageCsv(benchmark::State& state) {
  const auto path = usage_file(state.range(0), state.range(0) / 100);
  csv_files files;
  files.usage = path;
  for (auto _ : state) benchmark::DoNotOptimize(read_csv(files));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * std::int64_t(fs::file_size(path)));
}
BENCHMARK(BM_ReadUsageCsv)->ArgNames({"rows"})->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

void BM_SealUnsortedUsage(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  std::mt19937_64 rng(2);
  std::vector<std::int32_t> account(rows), event(rows, 0);
  std::vector<timestamp> time(rows);
  for (std::size_t r = 0; r < rows; ++r) account[r] = std::int32_t(rng() % (rows / 100)), time[r] = timestamp(rng() % 1'000'000);
  for (auto _ : state) {
    dataset_parts p;
    for (std::size_t a = 0; a < rows / 100; ++a) p.account_ids.intern("acct_" + std::to_string(a));
    p.usage.account = column(account), p.usage.time = column(time), p.usage.event = column(event);
    p.usage.value = column(std::vector<double>(rows, 1.0));
    benchmark::DoNotOptimize(dataset(std::move(p)));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_SealUnsortedUsage)->ArgNames({"rows"})->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace
