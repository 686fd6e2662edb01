// custhealth/detail/survival_sort.hpp — sort keys of survival records (time bits and event flag in one
// integer) and the stable sorts on them, linear in n for spread-out times, behind the event table and log-rank.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "custhealth/detail/simd_sort.hpp"
#include "custhealth/parallel.hpp"

namespace custhealth::detail::km {

/// Bit pattern of a time t ≥ 0. For non-negative finite doubles the IEEE-754 bit order equals the
/// numeric order, so times compare as unsigned integers (cheap sort keys and equality).
/// Adding +0.0 turns −0.0 into +0.0 so that both land on the same row.
inline std::uint64_t time_bits(double t) noexcept { return std::bit_cast<std::uint64_t>(t + 0.0); }
inline double time_from_bits(std::uint64_t bits) noexcept { return std::bit_cast<double>(bits); }

/// Records of the event table sort on (time, event flag): time bits shifted left by one, the flag in
/// bit 0 (censorings, flag 0, before deaths at the same time; entrances use flag 0). Times are ≥ 0, so
/// bit 63 is free and the shift loses nothing.
inline std::uint64_t time_key(double t, bool event = false) noexcept {
  return (time_bits(t) << 1) | static_cast<std::uint64_t>(event);
}
inline double time_of_key(std::uint64_t key) noexcept { return time_from_bits(key >> 1); }

struct weighted_key {
  std::uint64_t key;
  double weight;
};
struct grouped_key {
  std::uint64_t key;
  double weight;
  std::uint32_t group;
};

inline std::uint64_t key_of(std::uint64_t key) noexcept { return key; }
inline std::uint64_t key_of(const weighted_key& r) noexcept { return r.key; }
inline std::uint64_t key_of(const grouped_key& r) noexcept { return r.key; }
inline double weight_of(std::uint64_t) noexcept { return 1.0; }
inline double weight_of(const weighted_key& r) noexcept { return r.weight; }
inline double weight_of(const grouped_key& r) noexcept { return r.weight; }

/// Stable insertion sort on the key: O(n + inversions), so also the finishing pass over records that
/// are already in order up to swaps within small buckets.
template <class Record>
void insertion_sort(Record* first, std::size_t n) {
  for (std::size_t i = 1; i < n; ++i) {
    const Record r = first[i];
    const std::uint64_t k = key_of(r);
    if (key_of(first[i - 1]) <= k) continue;
    std::size_t j = i;
    do {
      first[j] = first[j - 1];
      --j;
    } while (j > 0 && key_of(first[j - 1]) > k);
    first[j] = r;
  }
}

/// Stable sort of records[0, n) on their key (time bits << 1 | flag), in place, using scratch[0, n) as a
/// buffer. A bucket sort linear in the *time*, O(n) for
/// durations spread over a range, as tenures are (bucketing by value rather than by the bits of the
/// double keeps a dense range, say 100–1,500 days, spread over all buckets). About two fine buckets per
/// record between the smallest and the largest time, grouped into at most 4,096 coarse buckets: one
/// counting pass and one stable scatter by coarse bucket (few enough output streams to stay in cache),
/// then each coarse bucket alone, in cache: a counting sort by fine bucket and an insertion pass that
/// only orders the few records sharing a fine bucket. A crowded fine bucket (clustered times) is
/// sorted the same way on its own, narrower range; after `depth` levels, or when the range cannot be
/// split, a comparison sort takes over, so no input costs more than O(n log n). Stability keeps input
/// order among equal keys, so per-time weight sums accumulate in input order, as repeated
/// km_event_table::add does.
template <class Record>
void sort_by_key(Record* records, Record* scratch, std::size_t n, int depth = 4) {
  constexpr std::size_t small = 32;
  constexpr unsigned max_coarse_bits = 12;
  if (n <= small) {
    insertion_sort(records, n);
    return;
  }
  std::uint64_t lo = key_of(records[0]), hi = lo;
  for (std::size_t i = 1; i < n; ++i) {
    const std::uint64_t k = key_of(records[i]);
    lo = std::min(lo, k);
    hi = std::max(hi, k);
  }
  const double t_lo = time_of_key(lo), t_hi = time_of_key(hi);
  const auto bucket_bits = static_cast<unsigned>(std::bit_width(2 * n - 1));  // 2^bucket_bits ≥ 2n fine buckets
  const unsigned fine_bits = std::min(bucket_bits, std::max(9U, bucket_bits - max_coarse_bits));
  const std::size_t buckets = std::size_t{1} << bucket_bits, fine_mask = (std::size_t{1} << fine_bits) - 1;
  // (t − t_lo)·scale is monotone in t, so bucket order is time order; t_hi lands on `buckets`, clamped.
  const double scale = static_cast<double>(buckets) / (t_hi - t_lo);
  if (depth == 0 || !(scale < std::numeric_limits<double>::infinity()) ||
      n >= std::numeric_limits<std::uint32_t>::max()) {
    // Also one time only (scale = inf): order the flags.
    std::stable_sort(records, records + n, [](const Record& a, const Record& b) { return key_of(a) < key_of(b); });
    return;
  }
  auto fine = [&](const Record& r) {
    // Through int64: the value is in [0, 2^bucket_bits], and double → uint64 costs a branch on x86-64.
    return std::min(static_cast<std::size_t>(static_cast<std::int64_t>((time_of_key(key_of(r)) - t_lo) * scale)),
                    buckets - 1);
  };

  // Coarse pass: records → scratch, grouped by coarse bucket.
  std::vector<std::uint32_t> start((buckets >> fine_bits) + 1, 0);
  for (std::size_t i = 0; i < n; ++i) ++start[(fine(records[i]) >> fine_bits) + 1];
  for (std::size_t c = 1; c < start.size(); ++c) start[c] += start[c - 1];
  std::vector<std::uint32_t> next(start.begin(), start.end() - 1);
  for (std::size_t i = 0; i < n; ++i) scratch[next[fine(records[i]) >> fine_bits]++] = records[i];

  // Fine pass, one coarse bucket at a time: scratch → records.
  std::vector<std::uint32_t> counts;
  for (std::size_t c = 0; c + 1 < start.size(); ++c) {
    const std::size_t begin = start[c], size = start[c + 1] - begin;
    Record *from = scratch + begin, *to = records + begin;
    if (size <= small) {
      std::copy_n(from, size, to);
      insertion_sort(to, size);
      continue;
    }
    // About two fine buckets per record of this coarse bucket: drop the low bits the bucket doesn't need.
    const unsigned drop = fine_bits - std::min(fine_bits, static_cast<unsigned>(std::bit_width(2 * size - 1)));
    counts.assign(std::size_t{1} << (fine_bits - drop), 0);
    for (std::size_t i = 0; i < size; ++i) ++counts[(fine(from[i]) & fine_mask) >> drop];
    std::uint32_t offset = 0;
    for (auto& count : counts) offset += std::exchange(count, offset);
    for (std::size_t i = 0; i < size; ++i) to[counts[(fine(from[i]) & fine_mask) >> drop]++] = from[i];
    // counts[f] is now the end of fine bucket f: sort the crowded ones on their own.
    for (std::size_t f = 0, first = 0; f < counts.size(); first = counts[f++])
      if (const std::size_t crowd = counts[f] - first; crowd > small) sort_by_key(to + first, from + first, crowd, depth - 1);
    insertion_sort(to, size);
  }
}

/// Sorts records[0, n) on their keys in place, with scratch[0, n) as a buffer. Bare keys (no weights)
/// are sorted with AVX-512 where the CPU has it, which beats the bucket sort on distinct times
/// (benchmarks/README.md); equal bare keys are identical, so that sort's instability changes nothing.
/// Other records, or a CPU without AVX-512, take sort_by_key.
template <class Record>
void sort_records_in_place(Record* records, Record* scratch, std::size_t n) {
  if constexpr (std::is_same_v<Record, std::uint64_t>) {
    if (simd::has_sort_u64()) {
      simd::sort_u64(records, scratch, n);
      return;
    }
  }
  sort_by_key(records, scratch, n);
}

/// The counting-sort bucket of a record whose time is an integer: one per (time, flag).
template <class Record>
std::size_t time_bucket(const Record& r) noexcept {
  return 2 * static_cast<std::size_t>(time_of_key(key_of(r))) + static_cast<std::size_t>(key_of(r) & 1);
}

/// Stable counting sort of from[0, n) into to[0, n) on (time, flag), for times that are integers in
/// [0, span): one bucket per (time, flag) — the same order sort_by_key gives, in two passes. On up to
/// n_threads threads: each block of the input counts its buckets, a bucket's records then go block
/// after block (the offsets taken bucket by bucket, block by block), and each block scatters its own —
/// still input order within a bucket, so the output is one thread's, record for record.
template <class Record>
void counting_sort_by_key(const Record* from, Record* to, std::size_t n, std::size_t span, std::int32_t n_threads = 1) {
  const std::size_t buckets = 2 * span;
  const std::int32_t threads = threads_within_budget(n_threads, buckets * sizeof(std::size_t));
  const std::size_t blocks = block_count(n, threads, block_grain::subjects);
  std::vector<std::vector<std::size_t>> next(blocks);
  for_each_block(
      n, threads,
      [&](std::size_t b, std::size_t first, std::size_t last) {
        next[b].assign(buckets, 0);
        for (std::size_t i = first; i < last; ++i) ++next[b][time_bucket(from[i])];
      },
      block_grain::subjects);
  std::size_t offset = 0;
  for (std::size_t c = 0; c < buckets; ++c)
    for (auto& counts : next) offset += std::exchange(counts[c], offset);
  for_each_block(
      n, threads,
      [&](std::size_t b, std::size_t first, std::size_t last) {
        for (std::size_t i = first; i < last; ++i) to[next[b][time_bucket(from[i])]++] = from[i];
      },
      block_grain::subjects);
}

/// Merges the sorted blocks of records[0, n) — for_each_block's split into `blocks` — left to right,
/// through scratch[0, n), and returns where the merged whole is: `records` for one block, else
/// `scratch` (the last merge is not copied back). std::merge takes the earlier block's record on a
/// tie, so the result is the order of one stable sort of the whole.
template <class Record>
Record* merge_sorted_blocks(Record* records, Record* scratch, std::size_t n, std::size_t blocks) {
  for (std::size_t b = 1; b < blocks; ++b) {
    const std::size_t mid = n * b / blocks, end = n * (b + 1) / blocks;
    std::merge(records, records + mid, records + mid, records + end, scratch,
               [](const Record& x, const Record& y) { return key_of(x) < key_of(y); });
    if (b + 1 < blocks) std::copy(scratch, scratch + end, records);
  }
  return blocks > 1 ? scratch : records;
}

/// sort_records_in_place on up to n_threads threads: blocks sorted each on their own, then merged
/// (merge_sorted_blocks) — the same records in the same places as one thread's stable sort. Returns
/// where the sorted records are: `records` or `scratch`.
template <class Record>
Record* sort_records_blocks(Record* records, Record* scratch, std::size_t n, std::int32_t n_threads) {
  for_each_block(
      n, n_threads,
      [&](std::size_t first, std::size_t last) { sort_records_in_place(records + first, scratch + first, last - first); },
      block_grain::subjects);
  return merge_sorted_blocks(records, scratch, n, block_count(n, n_threads, block_grain::subjects));
}

/// 1 + the largest time when every duration and entry is an integer no larger than 2n + 4096 (so the
/// buckets of a counting sort cost no more memory than the sort buffers); 0 otherwise. Stops at the
/// first non-integer, so continuous data pay one comparison.
inline std::size_t dense_time_span(std::span<const double> durations, std::span<const double> entry,
                                   std::size_t n) {
  const double limit = 2.0 * static_cast<double>(n) + 4096.0;
  auto integral = [limit](double t) {
    return t <= limit && static_cast<double>(static_cast<std::int64_t>(t)) == t;  // t ≥ 0 already checked
  };
  double largest = 0.0;
  for (double t : durations) {
    if (!integral(t)) return 0;
    largest = std::max(largest, t);
  }
  for (double t : entry)
    if (!integral(t)) return 0;
  return static_cast<std::size_t>(largest) + 1;
}

}  // namespace custhealth::detail::km
