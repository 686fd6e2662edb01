// The thread splitting every per-account analytic uses (parallel.hpp): blocks cover [0, n) once and in
// order, exceptions come back to the caller, the default count reads CUSTHEALTH_NUM_THREADS.

#include "custhealth/parallel.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <vector>

using namespace custhealth;

TEST(Parallel, BlocksCoverTheRangeOnceInOrder) {
  for (const std::size_t n : {0u, 1u, 2u, 7u, 1000u, 1001u})
    for (const std::int32_t threads : {1, 2, 3, 8})
      for (const std::size_t grain : {1u, 10u, 5000u}) {
        std::vector<std::atomic<int>> hits(n);
        std::vector<std::pair<std::size_t, std::size_t>> blocks(std::size_t(threads) + 1, {n + 1, n + 1});
        std::atomic<std::size_t> calls{0};
        for_each_block(
            n, threads,
            [&](std::size_t first, std::size_t last) {
              blocks[calls++] = {first, last};
              for (std::size_t i = first; i < last; ++i) ++hits[i];
            },
            grain);
        for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i], 1) << n << " rows, " << threads << " threads, item " << i;
        // At most `threads` blocks, none below the grain unless there is only one, one block for small n.
        const std::size_t used = calls;
        EXPECT_GE(used, 1u);
        EXPECT_LE(used, std::size_t(threads));
        if (n < 2 * grain) {
          EXPECT_EQ(used, 1u) << n << " rows, grain " << grain;
        }
        std::sort(blocks.begin(), blocks.begin() + std::ptrdiff_t(used));
        EXPECT_EQ(blocks[0].first, 0u);
        for (std::size_t b = 1; b < used; ++b) EXPECT_EQ(blocks[b].first, blocks[b - 1].second);  // contiguous
        EXPECT_EQ(blocks[used - 1].second, n);
      }
}

TEST(Parallel, TheFirstBlocksExceptionReachesTheCallerAfterEveryThreadJoined) {
  std::atomic<int> finished{0};
  for (int round = 0; round < 20; ++round) {  // whichever thread fails first in time, block 1 is reported
    finished = 0;
    EXPECT_THAT(
        [&] {
          for_each_block(4, 4, [&](std::size_t first, std::size_t) {
            if (first == 3) throw std::runtime_error("block three failed");
            if (first == 1) {
              std::this_thread::sleep_for(std::chrono::microseconds(200));
              throw std::runtime_error("block one failed");
            }
            ++finished;
          });
        },
        ::testing::ThrowsMessage<std::runtime_error>(::testing::HasSubstr("block one failed")));
    EXPECT_EQ(finished, 2);  // the other blocks ran to the end, none was abandoned
  }
  EXPECT_THAT([] { for_each_block(3, 0, [](std::size_t, std::size_t) {}); },
              ::testing::ThrowsMessage<invalid_input>(::testing::HasSubstr("n_threads must be from 1 to 4096, got 0")));
  EXPECT_THROW(check_threads(-2, "score"), invalid_input);
  EXPECT_THROW(check_threads(max_threads + 1, "score"), invalid_input);
  EXPECT_NO_THROW(check_threads(max_threads, "score"));
  // The (block, first, last) form: block indices in order of the ranges.
  std::vector<std::size_t> firsts(3);
  for_each_block(30, 3, [&](std::size_t b, std::size_t first, std::size_t) { firsts[b] = first; });
  EXPECT_EQ(firsts, (std::vector<std::size_t>{0, 10, 20}));
}

TEST(Parallel, TheDefaultCountIsTheEnvironmentsOrOne) {
  const char* saved = std::getenv("CUSTHEALTH_NUM_THREADS");
  const std::string keep = saved ? saved : "";
  ::unsetenv("CUSTHEALTH_NUM_THREADS");
  EXPECT_EQ(default_threads(), 1);
  ::setenv("CUSTHEALTH_NUM_THREADS", "3", 1);
  EXPECT_EQ(default_threads(), 3);
  ::setenv("CUSTHEALTH_NUM_THREADS", "007", 1);
  EXPECT_EQ(default_threads(), 7);
  for (const char* bad : {"0", "-1", "two", "2.5", "3 ", " 3", "+3", "4097", "100000"}) {
    ::setenv("CUSTHEALTH_NUM_THREADS", bad, 1);
    EXPECT_THAT([] { default_threads(); },
                ::testing::ThrowsMessage<invalid_input>(::testing::HasSubstr("CUSTHEALTH_NUM_THREADS"))) << bad;
  }
  if (saved) {
    ::setenv("CUSTHEALTH_NUM_THREADS", keep.c_str(), 1);
  } else {
    ::unsetenv("CUSTHEALTH_NUM_THREADS");
  }
}

TEST(Parallel, ReduceMergesTheBlocksStatesInBlockOrderIntoBlockZeros) {
  // The state records which ranges it saw, in merge order: one thread's order of the rows.
  struct state {
    std::vector<std::size_t> firsts;
    int copies_of = 0;  // what init carried: every block starts from a copy of it
  };
  for (const std::int32_t threads : {1, 2, 3, 8}) {
    state init;
    init.copies_of = 7;
    std::atomic<int> started_from_init{0};
    const state out = for_each_block_reduce(
        80, threads, init,
        [&](state& s, std::size_t first, std::size_t) {
          if (s.copies_of == 7 && s.firsts.empty()) ++started_from_init;
          s.firsts.push_back(first);
        },
        [](state& into, const state& from) { into.firsts.insert(into.firsts.end(), from.firsts.begin(), from.firsts.end()); },
        10);
    const auto blocks = std::size_t(threads);
    std::vector<std::size_t> want;
    for (std::size_t b = 0; b < blocks; ++b) want.push_back(80 * b / blocks);  // for_each_block's split
    EXPECT_EQ(out.firsts, want) << threads << " threads";
    EXPECT_EQ(started_from_init, threads);
  }
  // Small inputs stay in one block: f fills init itself, nothing is merged.
  int merges = 0;
  const auto sum = for_each_block_reduce(
      5, 8, std::int64_t{100}, [](std::int64_t& s, std::size_t first, std::size_t last) { s += std::int64_t(last - first); },
      [&](std::int64_t& into, std::int64_t from) { ++merges, into += from; }, 10);
  EXPECT_EQ(sum, 105);
  EXPECT_EQ(merges, 0);
  // A sum by blocks equals the closed form n(n-1)/2 (+ init once, in block 0 only).
  const auto total = for_each_block_reduce(
      1'000'000, 4, std::int64_t{0},
      [](std::int64_t& s, std::size_t first, std::size_t last) {
        for (std::size_t i = first; i < last; ++i) s += std::int64_t(i);
      },
      [](std::int64_t& into, std::int64_t from) { into += from; }, 1000);
  EXPECT_EQ(total, std::int64_t(999'999) * 1'000'000 / 2);
}

TEST(Parallel, ReduceReportsTheFirstBlocksExceptionAndCapsCopiesByTheBudget) {
  for (int round = 0; round < 10; ++round)
    EXPECT_THAT(
        [] {
          for_each_block_reduce(
              40, 4, 0,
              [](int&, std::size_t first, std::size_t) {
                if (first == 30) throw std::runtime_error("block three failed");
                if (first == 10) {
                  std::this_thread::sleep_for(std::chrono::microseconds(200));
                  throw std::runtime_error("block one failed");
                }
              },
              [](int&, int) {});
        },
        ::testing::ThrowsMessage<std::runtime_error>(::testing::HasSubstr("block one failed")));
  EXPECT_THAT([] { for_each_block_reduce(3, 0, 0, [](int&, std::size_t, std::size_t) {}, [](int&, int) {}); },
              ::testing::ThrowsMessage<invalid_input>(::testing::HasSubstr("for_each_block_reduce: n_threads must be")));
  // The copies beyond block 0's state together stay within block_state_budget.
  auto blocks_for = [](std::size_t state_bytes) {
    return for_each_block_reduce(
        1000, 8, std::size_t{0}, [](std::size_t& s, std::size_t, std::size_t) { s = 1; },
        [](std::size_t& into, std::size_t from) { into += from; }, 1, state_bytes);
  };
  EXPECT_EQ(blocks_for(0), 8u);                           // no cap
  EXPECT_EQ(blocks_for(1), 8u);                           // tiny states: the thread count decides
  EXPECT_EQ(blocks_for(block_state_budget / 3), 4u);      // three copies fit
  EXPECT_EQ(blocks_for(block_state_budget), 2u);          // one copy fits
  EXPECT_EQ(blocks_for(block_state_budget + 1), 1u);      // none: one thread, init only
}
