// custhealth/parallel.hpp — how custhealth spreads independent work over threads: contiguous blocks
// of [0, n) on up to `n_threads` threads, errors carried back to the caller; the default thread count.
#pragma once
#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>
#include "custhealth/error.hpp"

namespace custhealth {

/// The most threads a call takes (and CUSTHEALTH_NUM_THREADS, --threads, ch.set_num_threads accept).
inline constexpr std::int32_t max_threads = 4096;

/// Throws invalid_input unless 1 ≤ n_threads ≤ max_threads; `what` names the caller ("signals", …).
inline void check_threads(std::int32_t n_threads, std::string_view what) {
  if (n_threads < 1 || n_threads > max_threads)
    throw invalid_input(std::string(what) + ": n_threads must be from 1 to " + std::to_string(max_threads) + ", got " +
                        std::to_string(n_threads));
}

/// The smallest block worth a thread of its own, by unit of work: below these a thread costs more than
/// it saves. (Signals split accounts with no minimum: an account's sweep is long enough; scores use
/// `accounts`.)
namespace block_grain {
inline constexpr std::size_t rows = 1u << 16;    // rows of a grouped aggregate
inline constexpr std::size_t accounts = 4096;    // accounts of a cohort matrix, a lifecycle or a scoring
inline constexpr std::size_t customers = 16384;  // customers of a BTYD prediction
inline constexpr std::size_t subjects = 1u << 16;  // subjects of a survival sort (Kaplan–Meier, log-rank)
}  // namespace block_grain

/// The thread count when none is given: the environment variable CUSTHEALTH_NUM_THREADS (a whole
/// number from 1 to max_threads; anything else is invalid_input naming it), else 1 — one thread unless asked, as scikit-learn's n_jobs=None, because a library
/// inside a service must not take cores it was not given.
inline std::int32_t default_threads() {
  const char* text = std::getenv("CUSTHEALTH_NUM_THREADS");
  if (text == nullptr || *text == '\0') return 1;
  const std::string_view s(text);
  std::int32_t n = 0;  // strict: digits only (no '+', no spaces)
  const auto [end, error] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (error != std::errc{} || end != s.data() + s.size() || n < 1 || n > max_threads)
    throw invalid_input("CUSTHEALTH_NUM_THREADS must be a whole number from 1 to " + std::to_string(max_threads) +
                        ", got \"" + std::string(s) + "\"");
  return n;
}

/// The number of blocks for_each_block splits n items into: at most n_threads, none smaller than
/// `grain` (so small inputs stay on the calling thread), at least one.
inline std::size_t block_count(std::size_t n, std::int32_t n_threads, std::size_t grain = 1) {
  check_threads(n_threads, "for_each_block");
  const std::size_t most = grain == 0 ? n : n / grain;
  return std::max<std::size_t>(1, std::min<std::size_t>(std::size_t(n_threads), most));
}

/// f(first, last) — or f(block, first, last), for work that keeps a state per block — on the
/// block_count(n, n_threads, grain) contiguous blocks that cover [0, n) in order, one per thread (the
/// calling thread runs block 0). Work on disjoint outputs therefore gives the same bits for any count.
/// Every thread is joined; then the exception of the first block (in row order) that threw is
/// rethrown, so a bad row is reported as one thread would report it: the first one.
template <class F>
void for_each_block(std::size_t n, std::int32_t n_threads, F&& f, std::size_t grain = 1) {
  const std::size_t blocks = block_count(n, n_threads, grain);
  auto call = [&](std::size_t b) {
    if constexpr (std::is_invocable_v<F&, std::size_t, std::size_t, std::size_t>)
      f(b, n * b / blocks, n * (b + 1) / blocks);
    else
      f(n * b / blocks, n * (b + 1) / blocks);
  };
  if (blocks == 1) {
    call(0);
    return;
  }
  std::vector<std::exception_ptr> failure(blocks);
  auto run = [&](std::size_t b) {
    try {
      call(b);
    } catch (...) {
      failure[b] = std::current_exception();
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(blocks - 1);
  std::size_t started = 1;
  try {
    for (; started < blocks; ++started) pool.emplace_back(run, started);
  } catch (...) {  // no thread to be had (system_error, bad_alloc): the blocks left run here
  }
  run(0);
  for (std::size_t b = started; b < blocks; ++b) run(b);
  for (auto& t : pool) t.join();
  for (const auto& e : failure)
    if (e) std::rethrow_exception(e);
}

/// The memory the extra per-block states of for_each_block_reduce may take together: a state copy per
/// thread is worth it while it is small next to the input, and a matrix of days over years is not.
inline constexpr std::size_t block_state_budget = std::size_t{64} << 20;

/// At most n_threads, and few enough that the states of all blocks but the first, `state_bytes` each
/// (0: free), stay within block_state_budget; at least 1.
inline std::int32_t threads_within_budget(std::int32_t n_threads, std::size_t state_bytes) noexcept {
  if (state_bytes == 0) return n_threads;
  return std::int32_t(std::min<std::size_t>(std::size_t(std::max(n_threads, 1)), 1 + block_state_budget / state_bytes));
}

/// Work that keeps one state per block (a count matrix, a histogram): each block's state starts as a
/// copy of `init` (block 0's is `init` itself, no copy), f(state, first, last) fills it, and the
/// states are merged into block 0's **in block order** — merge(into, from) with block 1, then 2, … —
/// which is returned; a merge that is exact (counts) or follows the rows' order therefore gives the
/// bits of one thread. `state_bytes`, the memory of one state, caps the blocks so the copies stay
/// within block_state_budget (0: no cap). Exceptions as for_each_block: the first block's, after all.
template <class State, class F, class Merge>
State for_each_block_reduce(std::size_t n, std::int32_t n_threads, State init, F&& f, Merge&& merge,
                            std::size_t grain = 1, std::size_t state_bytes = 0) {
  check_threads(n_threads, "for_each_block_reduce");
  n_threads = threads_within_budget(n_threads, state_bytes);
  const std::size_t blocks = block_count(n, n_threads, grain);
  std::vector<State> parts(blocks - 1, init);  // copied here, before any block writes into init
  for_each_block(
      n, n_threads, [&](std::size_t b, std::size_t first, std::size_t last) { f(b == 0 ? init : parts[b - 1], first, last); },
      grain);
  for (auto& part : parts) merge(init, part);
  return init;
}

}  // namespace custhealth
