// Benchmarks of the streaming tracker: usage rows ingested per second (update() from a loaded batch,
// and the whole route from in-memory columns), the rebuild of its dataset, snapshot and restore.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "custhealth/io/arrays.hpp"
#include "custhealth/streaming/tracker.hpp"

namespace {

namespace fs = std::filesystem;
using namespace custhealth;

scorecard card() {
  std::ifstream in(fs::path(CUSTHEALTH_SOURCE_DIR) / "models" / "saas_health_v1.json");
  std::stringstream text;
  text << in.rdbuf();
  return scorecard::parse(text.str(), "saas_health_v1.json");
}

/// Usage columns as a service or pandas hands them over: string ids in factorized form (codes into
/// the distinct values), int64 epoch seconds, float64 values; `rows` rows over `accounts` accounts
/// and 8 users each, times moving forward through one year (so no row is late).
struct usage_columns {
  std::vector<std::int64_t> account, time, event, user;
  std::vector<double> value;
  std::shared_ptr<std::vector<std::string>> account_ids = std::make_shared<std::vector<std::string>>(),
                                            events = std::make_shared<std::vector<std::string>>(),
                                            users = std::make_shared<std::vector<std::string>>();

  usage_columns(std::size_t rows, std::size_t accounts, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    for (std::size_t a = 0; a < accounts; ++a) account_ids->push_back("acct_" + std::to_string(a));
    for (std::size_t u = 0; u < accounts * 8; ++u) users->push_back("u_" + std::to_string(u));
    *events = {"login", "report_view", "export", "api_call", "dashboard_edit"};
    for (std::size_t r = 0; r < rows; ++r) {
      const auto a = std::int64_t(rng() % accounts);
      account.push_back(a);
      time.push_back(from_civil(2024, 1, 1) + std::int64_t(r) * (365 * seconds_per_day / std::int64_t(rows)));
      event.push_back(std::int64_t(rng() % 5));
      user.push_back(a * 8 + std::int64_t(rng() % 8));
      value.push_back(double(rng() % 10 + 1));
    }
  }

  /// Rows [begin, end) as read_arrays' input.
  std::map<table_id, array_table> batch(std::size_t begin, std::size_t end) const {
    auto codes = [&](const std::vector<std::int64_t>& v) { return std::span<const std::int64_t>(v).subspan(begin, end - begin); };
    array_table t;
    t["account_id"] = array_column::strings(codes(account), account_ids);
    t["timestamp"] = array_column::times(codes(time));
    t["event"] = array_column::strings(codes(event), events);
    t["user_id"] = array_column::strings(codes(user), users);
    t["value"] = array_column::numbers(std::span<const double>(value).subspan(begin, end - begin));
    return {{table_id::usage, t}};
  }
};

constexpr std::size_t batch_rows = 65'536;

/// update() alone: batches already loaded (read_arrays) ahead of the timing.
void BM_TrackerUpdate(benchmark::State& state) {
  const auto rows = std::size_t(state.range(0));
  const usage_columns in(rows, rows / 100, 1);
  std::vector<dataset> batches;
  for (std::size_t b = 0; b < rows; b += batch_rows) batches.push_back(read_arrays(in.batch(b, std::min(rows, b + batch_rows))));
  const scorecard c = card();
  for (auto _ : state) {
    health_tracker tracker(c);
    for (const auto& b : batches) tracker.update(b);
    benchmark::DoNotOptimize(tracker.report());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TrackerUpdate)->ArgNames({"rows"})->Arg(1'000'000)->Unit(benchmark::kMillisecond);

/// The whole route of a batch from in-memory columns: read_arrays (the loaders' checks, sorting the
/// batch) and update().
void BM_TrackerIngestArrays(benchmark::State& state) {
  const auto rows = std::size_t(state.range(0));
  const usage_columns in(rows, rows / 100, 1);
  const scorecard c = card();
  for (auto _ : state) {
    health_tracker tracker(c);
    for (std::size_t b = 0; b < rows; b += batch_rows) tracker.update(read_arrays(in.batch(b, std::min(rows, b + batch_rows))));
    benchmark::DoNotOptimize(tracker.report());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TrackerIngestArrays)->ArgNames({"rows"})->Arg(1'000'000)->Unit(benchmark::kMillisecond);

/// A tracker holding `accounts` accounts with 30 usage rows each.
health_tracker filled(std::size_t accounts) {
  const usage_columns in(accounts * 30, accounts, 2);
  health_tracker tracker(card());
  for (std::size_t b = 0; b < in.account.size(); b += batch_rows)
    tracker.update(read_arrays(in.batch(b, std::min(in.account.size(), b + batch_rows))));
  return tracker;
}

/// The dataset rebuild signals() pays after rows were added (O(rows): copy, sort by account, index).
void BM_TrackerRebuild(benchmark::State& state) {
  health_tracker tracker = filled(std::size_t(state.range(0)));
  const dataset one = read_arrays(usage_columns(1, 1, 3).batch(0, 0));
  for (auto _ : state) {
    tracker.update(one);  // an empty batch: marks the dataset stale
    benchmark::DoNotOptimize(tracker.data());
  }
  state.counters["rows"] = double(tracker.data()->usage().size());
  state.SetItemsProcessed(state.iterations() * std::int64_t(tracker.data()->usage().size()));
}
BENCHMARK(BM_TrackerRebuild)->ArgNames({"accounts"})->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_TrackerSnapshot(benchmark::State& state) {
  const health_tracker tracker = filled(std::size_t(state.range(0)));
  const fs::path path = fs::temp_directory_path() / "custhealth_bench_tracker.snap";
  for (auto _ : state) tracker.snapshot(path);
  state.counters["bytes"] = double(fs::file_size(path));
  state.counters["rows"] = double(tracker.report().tables.tables[std::size_t(table_id::usage)].accepted);
  state.SetBytesProcessed(state.iterations() * std::int64_t(fs::file_size(path)));
  fs::remove(path);
}
BENCHMARK(BM_TrackerSnapshot)->ArgNames({"accounts"})->Arg(100'000)->Unit(benchmark::kMillisecond);

void BM_TrackerRestore(benchmark::State& state) {
  const fs::path path = fs::temp_directory_path() / "custhealth_bench_tracker_restore.snap";
  filled(std::size_t(state.range(0))).snapshot(path);
  const scorecard c = card();
  for (auto _ : state) benchmark::DoNotOptimize(health_tracker::restore(path, c));
  state.SetBytesProcessed(state.iterations() * std::int64_t(fs::file_size(path)));
  fs::remove(path);
}
BENCHMARK(BM_TrackerRestore)->ArgNames({"accounts"})->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
