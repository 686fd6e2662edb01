// custhealth/retention/kaplan_meier.hpp — Kaplan–Meier survival curves (right censoring, late entry,
// case weights) with a mergeable event table, Greenwood variance, log(−log) bands and log-rank tests.
#pragma once

#include <Eigen/Dense>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "custhealth/detail/simd_sort.hpp"
#include "custhealth/detail/stats.hpp"
#include "custhealth/error.hpp"

namespace custhealth {

// Internals, nested in detail so that their short names cannot collide with other detail headers.
namespace detail::km {

inline constexpr double inf = std::numeric_limits<double>::infinity();

/// Shortest round-trip decimal form of `x`, for error messages ("-1", "0.5", "nan").
inline std::string format_number(double x) {
  char buffer[32];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, x);
  return ec == std::errc{} ? std::string(buffer, end) : std::string("?");
}

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

/// The weights of the removals at time bits t from removals[i] on, split into deaths and censorings;
/// advances i past them. Arithmetic rather than a branch on the flag, a coin toss for the predictor.
/// Exact: w·1 or w·0.
template <class Removal>
void count_removals(std::span<const Removal> removals, std::size_t& i, std::uint64_t t, double& deaths,
                    double& censorings) noexcept {
  for (; i < removals.size() && (key_of(removals[i]) >> 1) == t; ++i) {
    const double w = weight_of(removals[i]), event = static_cast<double>(key_of(removals[i]) & 1);
    deaths += w * event;
    censorings += w - w * event;
  }
}

/// Hint that the buffer [p, p + bytes) is about to be written in full: its pages are marked for
/// transparent huge pages, so first touch costs one fault per 2 MiB instead of one per 4 KiB (on a VM
/// the per-page fault dominates filling fresh memory: ~4 ms/MB against ~0.1 ms/MB). The kernel uses a
/// huge page only for a 2 MiB-aligned block that lies entirely in advised memory; the advice never
/// changes contents, and failure (no THP, another OS) is harmless.
inline void advise_fill(const void* p, std::size_t bytes) noexcept {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr std::uintptr_t page = 4096, huge = std::uintptr_t{1} << 21;
  if (bytes < 2 * huge) return;
  const auto a = reinterpret_cast<std::uintptr_t>(p) & ~(page - 1);
  const auto b = (reinterpret_cast<std::uintptr_t>(p) + bytes + page - 1) & ~(page - 1);
  ::madvise(reinterpret_cast<void*>(a), b - a, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

/// Reserves at least `rows` in a column about to be filled by push_back, advising huge pages for it.
/// A large request is rounded up (by < 2 MiB of address space, never touched unless used) so that with
/// glibc's 16-byte chunk header and 8-byte size field the allocation spans a whole number of 2 MiB
/// blocks; Linux places such mappings on a 2 MiB boundary, so the whole column gets huge pages rather
/// than all but a ragged head and tail.
template <class T>
void reserve_fill(std::vector<T>& column, std::size_t rows) {
  constexpr std::size_t huge = std::size_t{1} << 21, overhead = 24;
  std::size_t capacity = rows;
  if (rows * sizeof(T) >= 2 * huge) capacity = ((rows * sizeof(T) + overhead + huge - 1) / huge * huge - overhead) / sizeof(T);
  column.reserve(capacity);
  advise_fill(column.data(), column.capacity() * sizeof(T));
}

/// A block of uninitialised memory starting on a 2 MiB boundary when it is large (so that it gets huge
/// pages; see advise_fill): sort buffers, which need no zero-fill pass.
class raw_block {
 public:
  raw_block() = default;
  explicit raw_block(std::size_t bytes) : bytes_(bytes) {
    constexpr std::size_t huge = std::size_t{1} << 21;
    const std::size_t slack = bytes < 2 * huge ? alignof(std::max_align_t) : huge;
    storage_.reset(new std::byte[bytes + slack]);
    const auto base = reinterpret_cast<std::uintptr_t>(storage_.get());
    data_ = reinterpret_cast<std::byte*>((base + slack - 1) & ~std::uintptr_t{slack - 1});
    advise_fill(data_, bytes);
  }
  std::byte* data() const noexcept { return data_; }
  std::size_t capacity() const noexcept { return bytes_; }

 private:
  std::unique_ptr<std::byte[]> storage_;
  std::byte* data_ = nullptr;
  std::size_t bytes_ = 0;
};

inline std::size_t capacity_bytes(const raw_block& b) noexcept { return b.capacity(); }
inline std::size_t capacity_bytes(const std::vector<double>& v) noexcept { return v.capacity() * sizeof(double); }

/// Large buffers kept for reuse by the next large fit: filling reused memory costs no page faults, which
/// on a VM outweigh the arithmetic of a million-row fit (first touch of fresh memory costs ~2.5 ms/MB
/// in 4 KiB pages there, still ~0.3 ms/MB in huge pages). Sort buffers, event tables and fitted curves
/// hand their large buffers back when they die. Holds at most `limit_bytes` per kind of buffer (128 MiB:
/// the columns and frames of a million-row fit that is still alive while the next one runs); only
/// buffers of ≥ 4 MiB are kept; release_survival_buffers() empties it. Thread-safe.
template <class Buffer>
class buffer_pool {
 public:
  static constexpr std::size_t min_bytes = std::size_t{1} << 22, limit_bytes = std::size_t{1} << 27;

  static buffer_pool& instance() {
    static buffer_pool pool;
    return pool;
  }

  /// The smallest spare buffer of at least `bytes` and at most twice that, if any.
  std::optional<Buffer> take(std::size_t bytes) {
    if (bytes < min_bytes) return std::nullopt;
    const std::lock_guard lock(mutex_);
    auto best = spares_.end();
    for (auto it = spares_.begin(); it != spares_.end(); ++it) {
      const std::size_t c = capacity_bytes(*it);
      if (c >= bytes && c / 2 <= bytes && (best == spares_.end() || c < capacity_bytes(*best))) best = it;
    }
    if (best == spares_.end()) return std::nullopt;
    Buffer out = std::move(*best);
    spares_.erase(best);
    bytes_ -= capacity_bytes(out);
    return out;
  }

  /// Keeps `buffer` for a later take() if it is large and the pool has room; else frees it.
  void give(Buffer&& buffer) {
    const std::size_t bytes = capacity_bytes(buffer);
    if (bytes < min_bytes) return;
    const std::lock_guard lock(mutex_);
    if (bytes_ + bytes > limit_bytes) return;
    bytes_ += bytes;
    spares_.push_back(std::move(buffer));
  }

  /// Frees every spare buffer.
  void clear() {
    const std::lock_guard lock(mutex_);
    spares_.clear();
    bytes_ = 0;
  }

 private:
  std::mutex mutex_;
  std::vector<Buffer> spares_;
  std::size_t bytes_ = 0;
};

/// A column with room for `rows`: a spare one from the pool (holding the values of its last use) when
/// there is one, else a fresh, empty one advised for huge pages.
inline std::vector<double> pooled_column(std::size_t rows) {
  if (auto spare = buffer_pool<std::vector<double>>::instance().take(rows * sizeof(double))) return std::move(*spare);
  std::vector<double> out;
  reserve_fill(out, rows);
  return out;
}

/// An empty column with room for `rows` pushes.
inline std::vector<double> take_column(std::size_t rows) {
  std::vector<double> out = pooled_column(rows);
  out.clear();
  return out;
}

/// A column of `rows` doubles, to be written through data(). resize() zero-fills only what a spare grows
/// by, so a reused column costs no zero-fill pass (three of them, 8 MB each, were ~1.4 ms of a
/// million-row fit).
inline std::vector<double> sized_column(std::size_t rows) {
  std::vector<double> out = pooled_column(rows);
  out.resize(rows);
  return out;
}

/// Hands a large column back to the pool (leaving `column` empty).
inline void give_column(std::vector<double>& column) {
  buffer_pool<std::vector<double>>::instance().give(std::move(column));
  column = {};
}

/// A copy of `column` in pooled (or huge-page) memory: std::vector's own copy would fault in fresh pages.
inline std::vector<double> copy_column(const std::vector<double>& column) {
  std::vector<double> out = take_column(column.size());
  out.assign(column.begin(), column.end());
  return out;
}

/// Cuts columns written up to `rows` to that size, and gives memory back when most of it went unused
/// (many tied times).
inline void trim_columns(std::initializer_list<std::vector<double>*> columns, std::size_t rows) {
  for (auto* column : columns) column->resize(rows);
  if (rows < (*columns.begin())->capacity() / 2)
    for (auto* column : columns) column->shrink_to_fit();
}

/// Uninitialised scratch for n trivially copyable records (no zero-fill pass), from the pool of sort
/// buffers and back to it when done.
template <class Record>
class scratch_buffer {
  static_assert(std::is_trivially_copyable_v<Record>);

 public:
  explicit scratch_buffer(std::size_t n) {
    const std::size_t bytes = n * sizeof(Record);
    auto spare = buffer_pool<raw_block>::instance().take(bytes);
    block_ = spare ? std::move(*spare) : raw_block(bytes);
  }
  ~scratch_buffer() { buffer_pool<raw_block>::instance().give(std::move(block_)); }
  scratch_buffer(const scratch_buffer&) = delete;
  scratch_buffer& operator=(const scratch_buffer&) = delete;
  Record* data() noexcept { return reinterpret_cast<Record*>(block_.data()); }

 private:
  raw_block block_;
};

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
  if (depth == 0 || !(scale < inf) || n >= std::numeric_limits<std::uint32_t>::max()) {
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

/// Stable counting sort of from[0, n) into to[0, n) on (time, flag), for times that are integers in
/// [0, span): one bucket per (time, flag) — the same order sort_by_key gives, in two passes.
template <class Record>
void counting_sort_by_key(const Record* from, Record* to, std::size_t n, std::size_t span) {
  auto bucket = [](const Record& r) {
    return 2 * static_cast<std::size_t>(time_of_key(key_of(r))) + static_cast<std::size_t>(key_of(r) & 1);
  };
  std::vector<std::size_t> next(2 * span, 0);
  for (std::size_t i = 0; i < n; ++i) ++next[bucket(from[i])];
  std::size_t offset = 0;
  for (auto& count : next) offset += std::exchange(count, offset);
  for (std::size_t i = 0; i < n; ++i) to[next[bucket(from[i])]++] = from[i];
}

// ---- input validation: messages name the function, the element and the reason, e.g.
// "kaplan_meier: durations[3]: negative duration -1". `label` is "durations[3]" or "duration". ----

inline void check_same_length(std::string_view where, std::string_view name, std::size_t size,
                              std::size_t expected, bool optional) {
  if (size == expected || (optional && size == 0)) return;
  throw invalid_input(std::string(where) + ": " + std::string(name) + " has " + std::to_string(size) +
                      " elements but durations has " + std::to_string(expected) +
                      (optional ? " (pass an empty span to omit it)" : ""));
}

inline void check_duration(std::string_view where, std::string_view label, double t) {
  const std::string prefix = std::string(where) + ": " + std::string(label);
  if (!std::isfinite(t)) throw invalid_input(prefix + ": duration must be finite, got " + format_number(t));
  if (t < 0.0) throw invalid_input(prefix + ": negative duration " + format_number(t));
}

inline void check_flag(std::string_view where, std::string_view label, unsigned flag) {
  if (flag > 1)
    throw invalid_input(std::string(where) + ": " + std::string(label) + ": event flag must be 0 or 1, got " +
                        std::to_string(flag));
}

/// Late entry (left truncation) needs 0 ≤ entry < duration, as R's Surv(start, stop) and lifelines'
/// check_entry_times: a subject entering at its exit time is never in a risk set before the exit, yet
/// lifelines' KM table would still count its death (driving S to 0). The single exception is entry =
/// duration = 0, the same subject as one without late entry who leaves at time 0.
inline void check_entry(std::string_view where, std::string_view label, double entry, double duration) {
  const std::string prefix = std::string(where) + ": " + std::string(label);
  if (!std::isfinite(entry)) throw invalid_input(prefix + ": entry must be finite, got " + format_number(entry));
  if (entry < 0.0) throw invalid_input(prefix + ": negative entry " + format_number(entry));
  if (entry > duration || (entry == duration && entry != 0.0))
    throw invalid_input(prefix + ": entry " + format_number(entry) +
                        (entry > duration ? " is after duration " : " equals duration ") +
                        format_number(duration) + " (a late entrant must be observed for a positive time)");
}

inline void check_weight(std::string_view where, std::string_view label, double w) {
  const std::string prefix = std::string(where) + ": " + std::string(label);
  if (!std::isfinite(w)) throw invalid_input(prefix + ": weight must be finite, got " + format_number(w));
  if (w < 0.0) throw invalid_input(prefix + ": negative weight " + format_number(w));
}

inline std::string element(std::string_view name, std::size_t i) {
  return std::string(name) + "[" + std::to_string(i) + "]";
}

/// True when some value may be negative, infinite or NaN (−0.0 counts too): a scan without branches or
/// floating-point compares, which the compiler vectorises (validating a million durations by compares
/// took ~0.9 ms). On the IEEE-754 pattern: the sign bit, or an exponent of all ones, which adding 2^52
/// carries into the sign bit.
inline bool maybe_negative_or_not_finite(std::span<const double> values) noexcept {
  std::uint64_t seen = 0;
  for (double v : values) {
    const auto bits = std::bit_cast<std::uint64_t>(v);
    seen |= bits | (bits + (std::uint64_t{1} << 52));
  }
  return (seen >> 63) != 0;
}

/// Validates the parallel arrays of a survival sample; `entry` and `weights` may be empty (omitted).
/// Arrays are checked in argument order, each from its first element.
inline void check_survival_spans(std::string_view where, std::span<const double> durations,
                                 std::span<const std::uint8_t> observed, std::span<const double> entry,
                                 std::span<const double> weights) {
  const std::size_t n = durations.size();
  check_same_length(where, "observed", observed.size(), n, false);
  check_same_length(where, "entry", entry.size(), n, true);
  check_same_length(where, "weights", weights.size(), n, true);
  // Cheap scans first, block by block; the exact checks, which build the message, run only on a block
  // the scan flags (a flagged block may still pass: −0.0 is a valid time).
  constexpr double largest = std::numeric_limits<double>::max();
  auto check_values = [&](std::span<const double> values, std::string_view name, auto check_one) {
    constexpr std::size_t block = 4096;
    for (std::size_t b = 0; b < values.size(); b += block) {
      const std::size_t end = std::min(values.size(), b + block);
      if (maybe_negative_or_not_finite(values.subspan(b, end - b)))
        for (std::size_t i = b; i < end; ++i)
          if (!(values[i] >= 0.0 && values[i] <= largest)) check_one(where, element(name, i), values[i]);
    }
  };
  check_values(durations, "durations", check_duration);
  std::uint8_t flag_bits = 0;  // bits other than the lowest, in any flag
  for (std::uint8_t flag : observed) flag_bits |= static_cast<std::uint8_t>(flag & 0xFE);
  if (flag_bits != 0)
    for (std::size_t i = 0; i < n; ++i)
      if (observed[i] > 1) check_flag(where, element("observed", i), observed[i]);
  for (std::size_t i = 0; i < entry.size(); ++i)
    if (!(entry[i] >= 0.0 && (entry[i] < durations[i] || entry[i] == 0.0)))
      check_entry(where, element("entry", i), entry[i], durations[i]);
  check_values(weights, "weights", check_weight);
}

/// Σ of the case weights in input order (as repeated km_event_table::add would sum them); n without weights.
inline double sum_of_weights(std::span<const double> weights, std::size_t n) {
  if (weights.empty()) return static_cast<double>(n);
  double total = 0.0;
  for (double w : weights) total += w;
  return total;
}

inline void check_confidence(std::string_view where, double confidence) {
  if (!(confidence > 0.0 && confidence < 1.0))
    throw invalid_input(std::string(where) + ": confidence must be in (0, 1), got " + format_number(confidence));
}

/// Slack of the "S(t) ≤ q" test of medians and quantiles. S is a running product Π(1 − dᵢ/nᵢ) in floating
/// point, so a curve that is exactly 0.5 in exact arithmetic (24 subjects, 12 die one by one) can come
/// out as 0.5000000000000001, and a strict test would report the next time as the median. Rounding
/// over k event times is about k·2⁻⁵³ relative; 1e-12 absorbs it for curves of thousands of event
/// times, while genuine steps of S are ≥ 1/n (1e-6 for a million subjects).
inline constexpr double crossing_tolerance = 1e-12;

/// The product-limit recursion, one row at a time: S ← S·(1 − d/n) (Kaplan & Meier 1958, statsmodels'
/// `cumprod(1 - d / n)`) and Greenwood's sum ← + d/(n(n − d)), for d events among n at risk.
struct product_limit {
  double survival = 1.0, greenwood = 0.0;

  void add(double d, double n) noexcept {
    // Arithmetic rather than branches (whether a row has an event is a coin toss for the predictor):
    // a row without events has d = 0, so its factor is exactly 1 and its Greenwood term 0 (n is
    // replaced by 1 where nobody is at risk, to avoid 0/0). When everyone at risk dies (n = d; n < d
    // only by rounding of fractional weights) the factor is 0, so S stays 0 for good, and lifelines
    // replaces the infinite Greenwood term by 0. A fit is bound by these two divisions; split into a
    // division pass and a running product it was slower (2.4 + 0.9 ms against 2.3 ms a million rows:
    // 16-byte vectors divide no faster here than scalars).
    const double n_or_1 = n > 0.0 ? n : 1.0;
    survival *= std::max(1.0 - d / n_or_1, 0.0);
    greenwood += n > d ? d / (n * (n - d)) : 0.0;
  }
};

}  // namespace detail::km

class km_event_table;
struct kaplan_meier_result;

/// Fits the Kaplan–Meier curve of an event table (defined below; declared here to be the table's friend,
/// so that fitting a temporary table moves its columns instead of copying them).
inline kaplan_meier_result kaplan_meier(km_event_table table, double confidence = 0.95);

namespace detail::km {
/// Builds the event table of a validated, non-empty sample; `dense_span` is dense_time_span's answer.
inline km_event_table event_table_of(std::span<const double> durations, std::span<const std::uint8_t> observed,
                                     std::span<const double> entry, std::span<const double> weights,
                                     std::size_t dense_span);
/// Validates (naming `where` in messages) and builds an event table; see km_event_table::from_spans.
inline km_event_table build_event_table(std::string_view where, std::span<const double> durations,
                                        std::span<const std::uint8_t> observed, std::span<const double> entry,
                                        std::span<const double> weights);
}  // namespace detail::km

/// Mergeable partial state of a Kaplan–Meier fit: one row per distinct time with the weighted number of
/// events (deaths), censorings and entrances at that time, sorted by time. Everything the estimator
/// needs is a function of this table, so shards of a data set are summarised independently and
/// combined with `+=` (a linear merge of two sorted tables).
///
/// Counts are doubles (case weights). Merging adds them; with integer weights — or any weights whose
/// partial sums are exact in binary floating point, such as multiples of 1/2^k — shards merge to a table
/// bit-identical to the unsplit one. Otherwise merge order can change the last bit of a sum, as any
/// floating-point reduction.
///
/// Entrances follow lifelines' `survival_table_from_events`: without late entry every subject enters at
/// time 0, so a table built from right-censored data always has a row at 0.
class km_event_table {
 public:
  km_event_table() = default;
  // Copies and dead tables use the pool of columns (see detail::km::buffer_pool).
  km_event_table(const km_event_table& other)
      : time_(detail::km::copy_column(other.time_)),
        observed_(detail::km::copy_column(other.observed_)),
        censored_(detail::km::copy_column(other.censored_)),
        entrance_(detail::km::copy_column(other.entrance_)) {}
  km_event_table(km_event_table&&) noexcept = default;
  km_event_table& operator=(const km_event_table& other) { return *this = km_event_table(other); }
  km_event_table& operator=(km_event_table&&) noexcept = default;
  ~km_event_table() {
    for (auto* column : {&time_, &observed_, &censored_, &entrance_}) detail::km::give_column(*column);
  }

  /// Bulk builder, O(n) for spread-out times: integer-valued times within ~2n go through a counting sort,
  /// other times through one bucket sort of the removals (and one of the entries when given) and a
  /// linear merge.
  /// `observed[i]` is 1 for an event, 0 for a censoring; `entry` (late entry / left truncation) and
  /// `weights` may be empty. Throws invalid_input naming the offending element.
  static km_event_table from_spans(std::span<const double> durations, std::span<const std::uint8_t> observed,
                                   std::span<const double> entry = {}, std::span<const double> weights = {}) {
    return detail::km::build_event_table("km_event_table", durations, observed, entry, weights);
  }

  /// Adds one subject: exit at `duration` (an event when `observed`), entry at `entry` (0 = from the
  /// origin), case weight `weight`. O(rows) when the time is new — meant for streaming a few subjects;
  /// use from_spans for bulk data. Throws invalid_input on a bad value.
  void add(double duration, bool observed, double entry = 0.0, double weight = 1.0) {
    constexpr std::string_view where = "km_event_table::add";
    detail::km::check_duration(where, "duration", duration);
    detail::km::check_entry(where, "entry", entry, duration);
    detail::km::check_weight(where, "weight", weight);
    const std::size_t exit_row = row_at(duration);
    (observed ? observed_ : censored_)[exit_row] += weight;
    entrance_[row_at(entry)] += weight;
  }

  /// Merges another table into this one: rows at equal times add, the rest interleave in time order.
  km_event_table& operator+=(const km_event_table& other) {
    if (other.empty()) return *this;
    if (empty()) return *this = other;
    km_event_table merged;
    merged.reserve(size() + other.size());
    std::size_t i = 0, j = 0;
    while (i < size() || j < other.size()) {
      if (j == other.size() || (i < size() && time_[i] < other.time_[j])) {
        merged.push_row(time_[i], observed_[i], censored_[i], entrance_[i]);
        ++i;
      } else if (i == size() || other.time_[j] < time_[i]) {
        merged.push_row(other.time_[j], other.observed_[j], other.censored_[j], other.entrance_[j]);
        ++j;
      } else {
        merged.push_row(time_[i], observed_[i] + other.observed_[j], censored_[i] + other.censored_[j],
                        entrance_[i] + other.entrance_[j]);
        ++i;
        ++j;
      }
    }
    return *this = std::move(merged);
  }

  friend km_event_table operator+(km_event_table a, const km_event_table& b) {
    a += b;
    return a;
  }

  bool operator==(const km_event_table&) const = default;

  /// Number of distinct times (rows).
  std::size_t size() const noexcept { return time_.size(); }
  bool empty() const noexcept { return time_.empty(); }

  /// The columns of lifelines' event table, one entry per row.
  const std::vector<double>& times() const noexcept { return time_; }
  const std::vector<double>& observed() const noexcept { return observed_; }
  const std::vector<double>& censored() const noexcept { return censored_; }
  const std::vector<double>& entrance() const noexcept { return entrance_; }

  /// lifelines' `at_risk` column: Σ_{j≤i} entrance_j − Σ_{j<i} removed_j (entrants of row i included).
  /// Computed from the tail as Σ_{j≥i} removed_j − Σ_{j>i} entrance_j (the same number, since total
  /// entrances = total removals): it is exact where a curve ends, so a last row where everyone at risk
  /// dies gives S = 0 exactly even with fractional weights.
  std::vector<double> at_risk() const {
    std::vector<double> out = detail::km::sized_column(size());
    double removed_from_here = 0.0, entering_later = 0.0;
    for (std::size_t i = size(); i-- > 0;) {
      removed_from_here += observed_[i] + censored_[i];
      out[i] = removed_from_here - entering_later;
      entering_later += entrance_[i];
    }
    return out;
  }

  /// Σ weights of all subjects (= Σ entrance).
  double total_weight() const noexcept {
    double total = 0.0;
    for (double e : entrance_) total += e;
    return total;
  }

 private:
  friend km_event_table detail::km::event_table_of(std::span<const double>, std::span<const std::uint8_t>,
                                               std::span<const double>, std::span<const double>, std::size_t);
  friend kaplan_meier_result kaplan_meier(km_event_table, double);

  void reserve(std::size_t rows) {
    for (auto* column : {&time_, &observed_, &censored_, &entrance_})
      *column = detail::km::take_column(rows);
  }

  void push_row(double t, double observed, double censored, double entrance) {
    time_.push_back(t);
    observed_.push_back(observed);
    censored_.push_back(censored);
    entrance_.push_back(entrance);
  }

  /// Index of the row at time t, inserting an empty row if there is none.
  std::size_t row_at(double t) {
    t += 0.0;  // −0.0 → +0.0
    const auto it = std::lower_bound(time_.begin(), time_.end(), t);
    const auto row = static_cast<std::size_t>(it - time_.begin());
    if (it == time_.end() || *it != t) {
      const auto at = static_cast<std::ptrdiff_t>(row);
      time_.insert(time_.begin() + at, t);
      observed_.insert(observed_.begin() + at, 0.0);
      censored_.insert(censored_.begin() + at, 0.0);
      entrance_.insert(entrance_.begin() + at, 0.0);
    }
    return row;
  }

  /// Counting sort for integer-valued times in [0, span): one pass drops every subject into the bucket
  /// of its exit (and entry) time, one pass over the buckets emits the rows. Sums accumulate in input
  /// order, as in the bucket-sort path and in repeated add().
  void assemble_dense(std::span<const double> durations, std::span<const std::uint8_t> observed,
                      std::span<const double> entry, std::span<const double> weights, std::size_t span) {
    std::vector<double> deaths(span, 0.0), censorings(span, 0.0), entering(span, 0.0);
    std::vector<std::uint8_t> present(span, 0);  // a row exists even if its weights are all 0
    const std::size_t n = durations.size();
    for (std::size_t i = 0; i < n; ++i) {
      const auto t = static_cast<std::size_t>(durations[i]);
      (observed[i] != 0 ? deaths : censorings)[t] += weights.empty() ? 1.0 : weights[i];
      present[t] = 1;
    }
    if (entry.empty()) {
      entering[0] = detail::km::sum_of_weights(weights, n);
      present[0] = 1;
    } else {
      for (std::size_t i = 0; i < n; ++i) {
        const auto t = static_cast<std::size_t>(entry[i]);
        entering[t] += weights.empty() ? 1.0 : weights[i];
        present[t] = 1;
      }
    }
    std::size_t rows = 0;
    for (std::uint8_t p : present) rows += p;
    reserve(rows);
    for (std::size_t t = 0; t < span; ++t)
      if (present[t]) push_row(static_cast<double>(t), deaths[t], censorings[t], entering[t]);
  }

  /// Builds the rows from removal records sorted on (time, event flag) and entrance records sorted on
  /// time, in one merging pass. The columns are reserved for the worst case (every time distinct) and
  /// shrunk when many times repeat.
  template <class Removal, class Entrance>
  void assemble(std::span<const Removal> removals, std::span<const Entrance> entrances) {
    using detail::km::key_of;
    using detail::km::weight_of;
    using detail::km::sized_column;
    constexpr std::uint64_t none = ~std::uint64_t{0};
    const std::size_t n = removals.size(), m = entrances.size();
    // Written through raw pointers, which stay in registers (push_back's ends did not), then cut to size.
    time_ = sized_column(n + m);
    observed_ = sized_column(n + m);
    censored_ = sized_column(n + m);
    entrance_ = sized_column(n + m);
    double *time = time_.data(), *observed = observed_.data(), *censored = censored_.data(),
           *entrance = entrance_.data();
    std::size_t rows = 0;
    for (std::size_t i = 0, j = 0; i < n || j < m; ++rows) {
      const std::uint64_t t = std::min(i < n ? key_of(removals[i]) >> 1 : none, j < m ? key_of(entrances[j]) >> 1 : none);
      double deaths = 0.0, censorings = 0.0, entering = 0.0;
      detail::km::count_removals(removals, i, t, deaths, censorings);
      for (; j < m && (key_of(entrances[j]) >> 1) == t; ++j) entering += weight_of(entrances[j]);
      time[rows] = detail::km::time_from_bits(t);
      observed[rows] = deaths;
      censored[rows] = censorings;
      entrance[rows] = entering;
    }
    detail::km::trim_columns({&time_, &observed_, &censored_, &entrance_}, rows);
  }

  std::vector<double> time_;
  std::vector<double> observed_;
  std::vector<double> censored_;
  std::vector<double> entrance_;
};

namespace detail::km {

/// Fills n records with make(i), sorts them on their keys and hands them to use(span). Sort buffers come
/// from the pool of scratch blocks: no zero-fill pass, and no page faults when reused.
template <class Make, class Use>
void sort_records(std::size_t n, Make make, Use use) {
  using Record = decltype(make(std::size_t{0}));
  scratch_buffer<Record> records(n);
  for (std::size_t i = 0; i < n; ++i) records.data()[i] = make(i);
  {
    scratch_buffer<Record> scratch(n);
    // Bare keys (no weights) are sorted with AVX-512 where the CPU has it: about 30 % faster than the
    // bucket sort on a million distinct times (benchmarks/README.md). Equal bare keys are identical,
    // so that sort's instability changes nothing.
    if constexpr (std::is_same_v<Record, std::uint64_t>) {
      if (simd::has_sort_u64()) {
        simd::sort_u64(records.data(), scratch.data(), n);
      } else {
        sort_by_key(records.data(), scratch.data(), n);
      }
    } else {
      sort_by_key(records.data(), scratch.data(), n);
    }
  }
  use(std::span<const Record>(records.data(), n));
}

/// 1 + the largest time when every duration and entry is an integer no larger than 2n + 4096 (so the
/// buckets cost no more memory than the sort buffers); 0 otherwise. Stops at the first
/// non-integer, so continuous data pay one comparison.
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

inline km_event_table event_table_of(std::span<const double> durations, std::span<const std::uint8_t> observed,
                                     std::span<const double> entry, std::span<const double> weights,
                                     std::size_t dense_span) {
  const std::size_t n = durations.size();
  km_event_table table;
  // Integer-valued times (days, weeks, months: the common case) within a range comparable to n need no
  // sort at all — a counting sort into per-time buckets.
  if (dense_span != 0) {
    table.assemble_dense(durations, observed, entry, weights, dense_span);
    return table;
  }

  // Entrances: everyone at time 0 without late entry (their weights summed in input order, as repeated
  // add() would), otherwise one sorted record per subject.
  auto assemble_with_entrances = [&](auto removals) {
    auto assemble = [&](auto entrances) { table.assemble(removals, entrances); };
    if (entry.empty()) {
      const weighted_key everyone[1] = {{time_key(0.0), sum_of_weights(weights, n)}};
      assemble(std::span<const weighted_key>(everyone));
    } else if (weights.empty()) {
      sort_records(n, [&](std::size_t i) { return time_key(entry[i]); }, assemble);
    } else {
      sort_records(n, [&](std::size_t i) { return weighted_key{time_key(entry[i]), weights[i]}; }, assemble);
    }
  };
  // Without weights the sort moves bare 8-byte keys.
  if (weights.empty())
    sort_records(n, [&](std::size_t i) { return time_key(durations[i], observed[i] != 0); }, assemble_with_entrances);
  else
    sort_records(n, [&](std::size_t i) { return weighted_key{time_key(durations[i], observed[i] != 0), weights[i]}; },
                assemble_with_entrances);
  return table;
}

inline km_event_table build_event_table(std::string_view where, std::span<const double> durations,
                                        std::span<const std::uint8_t> observed, std::span<const double> entry,
                                        std::span<const double> weights) {
  check_survival_spans(where, durations, observed, entry, weights);
  if (durations.empty()) return {};
  return event_table_of(durations, observed, entry, weights, dense_time_span(durations, entry, durations.size()));
}

}  // namespace detail::km

/// A fitted Kaplan–Meier curve, as lifelines' `KaplanMeierFitter` with the default timeline: one entry
/// per row of the event table (every distinct exit or entry time, starting at 0 unless all subjects
/// enter late), each vector of that length. Columns that are one arithmetic step from these
/// (cumulative density, variance, removed, the confidence band) are computed on request: at a million
/// rows each stored column is 8 MB to write, which costs more than the arithmetic.
struct kaplan_meier_result {
  std::vector<double> timeline;
  /// S(t) = Π_{tᵢ ≤ t} (1 − dᵢ/nᵢ) (Kaplan & Meier 1958), accumulated as that product (statsmodels'
  /// `cumprod(1 - d / n)`; lifelines sums logs instead, which agrees to rounding).
  std::vector<double> survival;
  /// Σ_{tᵢ ≤ t} dᵢ / (nᵢ(nᵢ − dᵢ)) — Greenwood's sum, the variance of log S(t) (lifelines'
  /// `_cumulative_sq_`); a row with nᵢ = dᵢ adds 0, as lifelines replaces its infinite term by 0.
  std::vector<double> greenwood_sum;
  /// lifelines' event table: at_risk counts the entrants of the row itself (see km_event_table::at_risk);
  /// the estimator's nᵢ is at_risk − entrance except on the first row, where subjects entering at that
  /// time are at risk for its events (lifelines issue #497). With 0 ≤ entry < duration this means: at
  /// risk at t when entry < t ≤ duration, or entry = t = 0.
  std::vector<double> at_risk;
  std::vector<double> observed;
  std::vector<double> censored;
  std::vector<double> entrance;
  /// Confidence level of the band and of the median's interval.
  double confidence = 0.95;

  kaplan_meier_result() = default;
  kaplan_meier_result(const kaplan_meier_result&) = default;
  kaplan_meier_result(kaplan_meier_result&&) noexcept = default;
  kaplan_meier_result& operator=(const kaplan_meier_result&) = default;
  kaplan_meier_result& operator=(kaplan_meier_result&&) noexcept = default;
  /// Hands the columns to the pool for the next large fit (see detail::km::buffer_pool).
  ~kaplan_meier_result() {
    for (auto* column : {&timeline, &survival, &greenwood_sum, &at_risk, &observed, &censored, &entrance})
      detail::km::give_column(*column);
  }

  bool empty() const noexcept { return timeline.empty(); }

  /// 1 − S(t), lifelines' cumulative_density_.
  std::vector<double> cumulative_density() const {
    return per_row([this](std::size_t i) { return 1.0 - survival[i]; });
  }

  /// Greenwood (1926) variance of S(t): S(t)² · greenwood_sum (0 where S = 0).
  std::vector<double> variance() const {
    return per_row([this](std::size_t i) { return survival[i] * survival[i] * greenwood_sum[i]; });
  }

  /// removed = observed + censored (lifelines' event-table column).
  std::vector<double> removed() const {
    return per_row([this](std::size_t i) { return observed[i] + censored[i]; });
  }

  /// Pointwise exponential-Greenwood ("log(−log)") interval of S at timeline row i, at `confidence`
  /// (Kalbfleisch & Prentice 1980, §1.3): exp(−exp(log(−log S) ∓ z·√greenwood_sum / log S)), written as
  /// exp(v·e^{∓h}) with v = log S and h = z·√greenwood_sum / v; (1, 1) where S = 1 and (0, 0) where
  /// S = 0, as lifelines' `_bounds` (its fillna(1.0) and exp(−exp(+inf))).
  detail::interval band_at_row(std::size_t i) const { return band(survival[i], greenwood_sum[i], z()); }

  /// The band on every timeline row (lifelines' confidence_interval_), as (low, high) columns.
  std::pair<std::vector<double>, std::vector<double>> confidence_band() const {
    const double z_value = z();
    std::vector<double> low = detail::km::take_column(survival.size());
    std::vector<double> high = detail::km::take_column(survival.size());
    detail::interval ci{1.0, 1.0};
    for (std::size_t i = 0; i < survival.size(); ++i) {
      // The band only moves where S does; elsewhere the previous row's values are reused.
      if (i == 0 || observed[i] > 0.0) ci = band(survival[i], greenwood_sum[i], z_value);
      low.push_back(ci.low);
      high.push_back(ci.high);
    }
    return {std::move(low), std::move(high)};
  }

  /// S(t) of the right-continuous step function; 1 before the first time, NaN for an empty fit or t NaN.
  double survival_at(double t) const noexcept {
    const std::ptrdiff_t row = row_at(t);
    return row == missing ? detail::nan : row < 0 ? 1.0 : survival[static_cast<std::size_t>(row)];
  }

  /// The band at time t (see band_at_row): (1, 1) before the first time, NaN for an empty fit or t NaN.
  detail::interval band_at(double t) const {
    const std::ptrdiff_t row = row_at(t);
    if (row == missing) return {};
    return row < 0 ? detail::interval{1.0, 1.0} : band_at_row(static_cast<std::size_t>(row));
  }

  /// Smallest t with S(t) ≤ q (lifelines' qth_survival_time, allowing detail::km::crossing_tolerance for
  /// rounding); +inf when S stays above q, NaN when empty.
  double survival_time(double q) const noexcept {
    if (survival.empty() || std::isnan(q)) return detail::nan;
    const double threshold = q + detail::km::crossing_tolerance;
    if (survival.back() > threshold) return detail::km::inf;
    // S is non-increasing (every factor is in [0, 1]), so a binary search finds the first crossing.
    const auto it = std::partition_point(survival.begin(), survival.end(),
                                         [threshold](double s) { return s > threshold; });
    return timeline[static_cast<std::size_t>(it - survival.begin())];
  }

  /// Median survival time: smallest t with S(t) ≤ 0.5; +inf if never, NaN for an empty fit (Kaplan &
  /// Meier 1958 §6; lifelines' median_survival_time_).
  double median() const noexcept { return survival_time(0.5); }

  /// Interval for the median as lifelines' `median_survival_times(kmf.confidence_interval_)`: the same
  /// crossing rule applied to the lower band (→ low) and to the upper band (→ high, +inf if it stays
  /// above 0.5). A scan, not a binary search: the band need not be monotone.
  detail::interval median_ci() const {
    if (survival.empty()) return {};
    const double threshold = 0.5 + detail::km::crossing_tolerance, z_value = z();
    detail::interval out{detail::km::inf, detail::km::inf};
    for (std::size_t i = 0; i < survival.size() && out.high == detail::km::inf; ++i) {
      if (i > 0 && observed[i] == 0.0) continue;  // the band is flat between event rows
      const detail::interval ci = band(survival[i], greenwood_sum[i], z_value);
      if (out.low == detail::km::inf && ci.low <= threshold) out.low = timeline[i];
      if (ci.high <= threshold) out.high = timeline[i];
    }
    return out;
  }

 private:
  static constexpr std::ptrdiff_t missing = std::numeric_limits<std::ptrdiff_t>::min();

  double z() const { return detail::z_critical(confidence); }

  static detail::interval band(double s, double greenwood, double z_value) {
    if (s == 1.0) return {1.0, 1.0};
    if (s == 0.0) return {0.0, 0.0};
    const double v = std::log(s), grow = std::exp(z_value * std::sqrt(greenwood) / v);
    return {std::exp(v / grow), std::exp(v * grow)};
  }

  /// Row of the step function at t: the last row with timeline ≤ t, −1 before the first, `missing` for
  /// an empty fit or t NaN.
  std::ptrdiff_t row_at(double t) const noexcept {
    if (timeline.empty() || std::isnan(t)) return missing;
    return std::upper_bound(timeline.begin(), timeline.end(), t) - timeline.begin() - 1;
  }

  template <class F>
  std::vector<double> per_row(F value) const {
    std::vector<double> out = detail::km::sized_column(timeline.size());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = value(i);
    return out;
  }
};

/// Frees the buffers that Kaplan–Meier fits and log-rank tests keep for reuse (at most 128 MiB of sort
/// buffers and 128 MiB of columns): for a long-running service after a burst of large fits.
inline void release_survival_buffers() {
  detail::km::buffer_pool<std::vector<double>>::instance().clear();
  detail::km::buffer_pool<detail::km::raw_block>::instance().clear();
}

/// Fits the Kaplan–Meier curve of an event table. An empty table gives an empty curve (median NaN):
/// a shard without subjects is a valid state, not an error. Throws invalid_input when confidence is
/// outside (0, 1). One pass from the tail (at-risk sums) and one forward pass of two divisions per row;
/// the band is left to confidence_band() and band_at(), whose logs and exps cost more than the rest of
/// the fit together.
inline kaplan_meier_result kaplan_meier(km_event_table table, double confidence) {
  detail::km::check_confidence("kaplan_meier", confidence);
  const std::size_t rows = table.size();
  kaplan_meier_result r;
  r.confidence = confidence;
  if (rows == 0) return r;

  r.at_risk = table.at_risk();
  r.timeline = std::move(table.time_);
  r.observed = std::move(table.observed_);
  r.censored = std::move(table.censored_);
  r.entrance = std::move(table.entrance_);
  r.survival = detail::km::sized_column(rows);
  r.greenwood_sum = detail::km::sized_column(rows);
  const double *observed = r.observed.data(), *at_risk = r.at_risk.data(), *entrance = r.entrance.data();
  double *survival = r.survival.data(), *greenwood_sum = r.greenwood_sum.data();
  detail::km::product_limit curve;
  for (std::size_t i = 0; i < rows; ++i) {
    curve.add(observed[i], i == 0 ? at_risk[0] : at_risk[i] - entrance[i]);
    survival[i] = curve.survival;
    greenwood_sum[i] = curve.greenwood;
  }
  return r;
}

namespace detail::km {

/// The curve of an unweighted sample without late entry, from its sorted keys, in one pass: the rows of
/// its event table (as km_event_table::assemble with everyone entering at 0), their at-risk counts and
/// the product limit. Equal to the bit to building the table and fitting it (tested): the counts are
/// whole numbers, so at risk counted down from n equals at_risk()'s sums from the tail. At a million
/// distinct times it saves writing and re-reading five 8 MB columns.
inline kaplan_meier_result fit_sorted_keys(std::span<const std::uint64_t> keys, double confidence) {
  const std::size_t n = keys.size(), capacity = n + 1;  // + the row at time 0
  kaplan_meier_result r;
  r.confidence = confidence;
  for (auto* column : {&r.timeline, &r.survival, &r.greenwood_sum, &r.at_risk, &r.observed, &r.censored, &r.entrance})
    *column = sized_column(capacity);
  double *timeline = r.timeline.data(), *survival = r.survival.data(), *greenwood_sum = r.greenwood_sum.data(),
         *at_risk = r.at_risk.data(), *observed = r.observed.data(), *censored = r.censored.data(),
         *entrance = r.entrance.data();
  product_limit curve;
  double remaining = static_cast<double>(n);
  std::size_t rows = 0, i = 0;
  // One row per distinct time; everyone enters at time 0, which always has a row (as in lifelines).
  auto add_row = [&](std::uint64_t t, double entering) {
    double deaths = 0.0, censorings = 0.0;
    count_removals(keys, i, t, deaths, censorings);
    timeline[rows] = time_from_bits(t);
    observed[rows] = deaths;
    censored[rows] = censorings;
    entrance[rows] = entering;
    at_risk[rows] = remaining;
    curve.add(deaths, remaining);
    survival[rows] = curve.survival;
    greenwood_sum[rows] = curve.greenwood;
    remaining -= deaths + censorings;
    ++rows;
  };
  add_row(0, remaining);
  while (i < n) add_row(keys[i] >> 1, 0.0);
  trim_columns({&r.timeline, &r.survival, &r.greenwood_sum, &r.at_risk, &r.observed, &r.censored, &r.entrance}, rows);
  return r;
}

/// kaplan_meier(durations, observed, entry, weights): validated, then as an event table and its fit, or
/// — unweighted, without late entry, and not a counting sort — in one pass from the sorted keys.
inline kaplan_meier_result fit_sample(std::string_view where, std::span<const double> durations,
                                      std::span<const std::uint8_t> observed, std::span<const double> entry,
                                      std::span<const double> weights, double confidence) {
  check_confidence(where, confidence);
  check_survival_spans(where, durations, observed, entry, weights);
  const std::size_t n = durations.size();
  if (n == 0) return kaplan_meier(km_event_table(), confidence);
  const std::size_t dense_span = dense_time_span(durations, entry, n);
  if (!entry.empty() || !weights.empty() || dense_span != 0)
    return kaplan_meier(event_table_of(durations, observed, entry, weights, dense_span), confidence);
  if (simd::has_sort_u64()) {  // the keys made inside the sort's first pass (simd_sort.hpp)
    scratch_buffer<std::uint64_t> keys(n), scratch(n);
    simd::sort_time_keys(durations.data(), observed.data(), keys.data(), scratch.data(), n);
    return fit_sorted_keys(std::span<const std::uint64_t>(keys.data(), n), confidence);
  }
  kaplan_meier_result r;
  sort_records(n, [&](std::size_t i) { return time_key(durations[i], observed[i] != 0); },
               [&](std::span<const std::uint64_t> keys) { r = fit_sorted_keys(keys, confidence); });
  return r;
}

}  // namespace detail::km

/// Fits the Kaplan–Meier curve of a sample. `observed[i]` is 1 (event) or 0 (censored): a byte per
/// subject, the layout of a NumPy bool/uint8 array and an eighth of a double 0/1 column, and a type
/// that cannot carry 0.5. `entry` (late entry, 0 ≤ entry < duration) and `weights` (case weights ≥ 0)
/// may be empty. Throws invalid_input naming the offending element; an empty sample gives an empty curve.
inline kaplan_meier_result kaplan_meier(std::span<const double> durations, std::span<const std::uint8_t> observed,
                                        std::span<const double> entry = {}, std::span<const double> weights = {},
                                        double confidence = 0.95) {
  return detail::km::fit_sample("kaplan_meier", durations, observed, entry, weights, confidence);
}

/// Result of a log-rank test of equal hazards across groups.
struct logrank_result {
  double statistic = detail::nan;  ///< (O − E)ᵀ V⁻ (O − E) over the first k − 1 groups, χ² under H0
  int df = 0;                      ///< k − 1
  double p_value = detail::nan;    ///< P(χ²_df ≥ statistic)
  std::vector<int> groups;         ///< the distinct group codes, ascending; the order of the vectors below
  std::vector<double> observed;    ///< O: weighted events per group
  std::vector<double> expected;    ///< E: Σ_t n_g(t) d(t) / n(t) per group
};

/// Log-rank test (Mantel 1966; Peto & Peto 1972) for k ≥ 2 groups, as lifelines'
/// `multivariate_logrank_test` (and `logrank_test` for k = 2) and statsmodels' `survdiff`: at each
/// distinct event time, with n_g at risk in group g (duration ≥ t), n = Σ n_g and d events,
///   E_g += n_g·d/n,   V_gh += d(n − d)/(n²(n − 1)) · (n·n_g·[g = h] − n_g·n_h),
/// the factor (n − d)/(n − 1) taken as 1 when n = 1. The statistic uses the first k − 1 groups (V has
/// rank k − 1) and a pseudo-inverse, as lifelines' `pinv`, so a degenerate V (no events) gives 0.
/// `groups` are integer codes; `weights` (case weights) may be empty. Throws invalid_input for bad
/// values, mismatched lengths, fewer than two groups or a group whose weights sum to 0.
inline logrank_result logrank_test(std::span<const double> durations, std::span<const std::uint8_t> observed,
                                   std::span<const int> groups, std::span<const double> weights = {}) {
  constexpr std::string_view where = "logrank_test";
  const std::size_t n = durations.size();
  detail::km::check_same_length(where, "groups", groups.size(), n, false);
  detail::km::check_survival_spans(where, durations, observed, {}, weights);

  logrank_result result;
  // Distinct codes: a presence table when their range is small (the usual case), else sort + unique.
  std::vector<std::uint32_t> index(n);
  if (n > 0) {
    const auto [lo_it, hi_it] = std::minmax_element(groups.begin(), groups.end());
    const std::int64_t lo = *lo_it, span = static_cast<std::int64_t>(*hi_it) - lo + 1;
    if (span <= static_cast<std::int64_t>(2 * n + 1024)) {
      std::vector<std::uint32_t> slot(static_cast<std::size_t>(span), 0);
      for (int g : groups) slot[static_cast<std::size_t>(g - lo)] = 1;
      std::uint32_t k = 0;
      for (std::size_t c = 0; c < slot.size(); ++c)
        if (slot[c]) {
          slot[c] = k++;
          result.groups.push_back(static_cast<int>(lo + static_cast<std::int64_t>(c)));
        }
      for (std::size_t i = 0; i < n; ++i) index[i] = slot[static_cast<std::size_t>(groups[i] - lo)];
    } else {
      result.groups.assign(groups.begin(), groups.end());
      std::sort(result.groups.begin(), result.groups.end());
      result.groups.erase(std::unique(result.groups.begin(), result.groups.end()), result.groups.end());
      for (std::size_t i = 0; i < n; ++i)
        index[i] = static_cast<std::uint32_t>(
            std::lower_bound(result.groups.begin(), result.groups.end(), groups[i]) - result.groups.begin());
    }
  }
  const std::size_t k = result.groups.size();
  if (k < 2)
    throw invalid_input(std::string(where) + ": needs at least two groups, found " + std::to_string(k));

  detail::km::scratch_buffer<detail::km::grouped_key> unsorted(n), sorted(n);
  std::vector<double> at_risk(k, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    unsorted.data()[i] = {detail::km::time_key(durations[i], observed[i] != 0), w, index[i]};
    at_risk[index[i]] += w;
  }
  for (std::size_t g = 0; g < k; ++g)
    if (!(at_risk[g] > 0.0))
      throw invalid_input(std::string(where) + ": group " + std::to_string(result.groups[g]) +
                          " is empty (its weights sum to 0)");
  // Records in (time, flag) order: integer times within ~2n (tenures in days) by a counting sort, others
  // by the bucket sort.
  const detail::km::grouped_key* records = sorted.data();
  if (const std::size_t span = detail::km::dense_time_span(durations, {}, n); span != 0) {
    detail::km::counting_sort_by_key(unsorted.data(), sorted.data(), n, span);
  } else {
    detail::km::sort_by_key(unsorted.data(), sorted.data(), n);
    records = unsorted.data();
  }

  result.observed.assign(k, 0.0);
  result.expected.assign(k, 0.0);
  const auto m = static_cast<Eigen::Index>(k - 1);
  Eigen::MatrixXd v = Eigen::MatrixXd::Zero(m, m);
  std::vector<double> deaths(k, 0.0), removed(k, 0.0);
  std::vector<std::uint32_t> touched;
  touched.reserve(k);
  for (std::size_t i = 0; i < n;) {
    const std::uint64_t t = records[i].key >> 1;
    double d = 0.0;
    for (; i < n && (records[i].key >> 1) == t; ++i) {
      const auto& r = records[i];
      if (removed[r.group] == 0.0 && deaths[r.group] == 0.0) touched.push_back(r.group);
      removed[r.group] += r.weight;
      if (r.key & 1) {
        deaths[r.group] += r.weight;
        d += r.weight;
      }
    }
    if (d > 0.0) {
      double total = 0.0;
      for (double a : at_risk) total += a;
      for (std::size_t g = 0; g < k; ++g) result.expected[g] += at_risk[g] * d / total;
      const double ratio = total == 1.0 ? 1.0 : (total - d) / (total - 1.0);
      const double factor = ratio * d / (total * total);
      for (Eigen::Index g = 0; g < m; ++g) {
        const double ng = at_risk[static_cast<std::size_t>(g)];
        for (Eigen::Index h = 0; h < m; ++h) v(g, h) -= factor * ng * at_risk[static_cast<std::size_t>(h)];
        v(g, g) += factor * total * ng;
      }
    }
    for (std::uint32_t g : touched) {
      result.observed[g] += deaths[g];
      at_risk[g] -= removed[g];
      deaths[g] = removed[g] = 0.0;
    }
    touched.clear();
  }

  Eigen::VectorXd diff(m);
  for (Eigen::Index g = 0; g < m; ++g)
    diff(g) = result.observed[static_cast<std::size_t>(g)] - result.expected[static_cast<std::size_t>(g)];
  const Eigen::VectorXd solved = Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd>(v).solve(diff);
  result.statistic = diff.dot(solved);
  result.df = static_cast<int>(k - 1);
  result.p_value = detail::chi2_sf(result.statistic, result.df);
  return result;
}

}  // namespace custhealth
