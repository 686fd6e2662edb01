// Benchmarks of the streaming tracker: usage rows ingested per second (update() from a loaded batch,
// and the whole route from in-memory columns), the rebuild of its dataset, snapshot and restore.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <map>
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

constexpr std::size_t batch_rows = 65'536;

/// Usage batches of `batch_rows` rows as pandas hands them over: string ids factorized per batch
/// (codes into the batch's distinct values), int64 epoch seconds, float64 values; `rows` rows over
/// `accounts` accounts and 8 users each, times moving forward through one year (so no row is late).
struct usage_batches {
  struct strings {
    std::vector<std::int64_t> codes;
    std::shared_ptr<std::vector<std::string>> values = std::make_shared<std::vector<std::string>>();
    std::map<std::string, std::int64_t> seen;

    void add(const std::string& s) {
      const auto [it, fresh] = seen.emplace(s, std::int64_t(values->size()));
      if (fresh) values->push_back(s);
      codes.push_back(it->second);
    }
  };
  struct batch {
    strings account, event, user;
    std::vector<std::int64_t> time;
    std::vector<double> value;
  };
  std::vector<batch> batches;
  std::size_t rows;

  usage_batches(std::size_t n, std::size_t accounts, std::uint64_t seed) : rows(n) {
    std::mt19937_64 rng(seed);
    const char* events[] = {"login", "report_view", "export", "api_call", "dashboard_edit"};
    for (std::size_t r = 0; r < n; ++r) {
      if (r % batch_rows == 0) batches.emplace_back();
      batch& b = batches.back();
      const auto a = rng() % accounts;
      b.account.add("acct_" + std::to_string(a));
      b.time.push_back(from_civil(2024, 1, 1) + std::int64_t(r) * (365 * seconds_per_day / std::int64_t(n)));
      b.event.add(events[rng() % 5]);
      b.user.add("u_" + std::to_string(a) + "_" + std::to_string(rng() % 8));
      b.value.push_back(double(rng() % 10 + 1));
    }
  }

  /// Batch `i` as read_arrays' input.
  std::map<table_id, array_table> input(std::size_t i) const {
    const batch& b = batches[i];
    array_table t;
    t["account_id"] = array_column::strings(b.account.codes, b.account.values);
    t["timestamp"] = array_column::times(b.time);
    t["event"] = array_column::strings(b.event.codes, b.event.values);
    t["user_id"] = array_column::strings(b.user.codes, b.user.values);
    t["value"] = array_column::numbers(b.value);
    return {{table_id::usage, t}};
  }
};

/// update() alone: batches already loaded (read_arrays) ahead of the timing.
void BM_TrackerUpdate(benchmark::State& state) {
  const auto rows = std::size_t(state.range(0));
  const usage_batches in(rows, rows / 100, 1);
  std::vector<dataset> batches;
  for (std::size_t b = 0; b < in.batches.size(); ++b) batches.push_back(read_arrays(in.input(b)));
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
  const usage_batches in(rows, rows / 100, 1);
  std::vector<std::map<table_id, array_table>> inputs;
  for (std::size_t b = 0; b < in.batches.size(); ++b) inputs.push_back(in.input(b));
  const scorecard c = card();
  for (auto _ : state) {
    health_tracker tracker(c);
    for (const auto& input : inputs) tracker.update(read_arrays(input));
    benchmark::DoNotOptimize(tracker.report());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TrackerIngestArrays)->ArgNames({"rows"})->Arg(1'000'000)->Unit(benchmark::kMillisecond);

/// A tracker holding `accounts` accounts with 30 usage rows each.
health_tracker filled(std::size_t accounts) {
  const usage_batches in(accounts * 30, accounts, 2);
  health_tracker tracker(card());
  for (std::size_t b = 0; b < in.batches.size(); ++b) tracker.update(read_arrays(in.input(b)));
  return tracker;
}

/// The dataset rebuild signals() pays after rows were added (O(rows): copy, sort by account, index).
void BM_TrackerRebuild(benchmark::State& state) {
  health_tracker tracker = filled(std::size_t(state.range(0)));
  const dataset none;
  for (auto _ : state) {
    tracker.update(none);  // an empty batch: marks the dataset stale
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
