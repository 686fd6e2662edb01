// custhealth/detail/simd_sort.hpp — sorts 64-bit keys (or makes and sorts Kaplan–Meier's time keys) with
// AVX-512 where the CPU has it: a vectorised quicksort with sorting-network leaves. Callers keep a portable sort.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>

// The AVX-512 code is compiled for that target inside a push/pop region (GCC's target pragma), so the
// rest of a program keeps its own flags; callers run it only after has_sort_u64(), a run-time CPU check.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define CUSTHEALTH_SIMD_SORT 1
#include <immintrin.h>
#endif

namespace custhealth::detail::simd {

#if defined(CUSTHEALTH_SIMD_SORT)

/// True when sort_u64 can run on this CPU (AVX-512 Foundation and POPCNT; the OS saving zmm state is
/// part of GCC's check).
inline bool has_sort_u64() noexcept {
  static const bool supported = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("popcnt");
  }();
  return supported;
}

#pragma GCC push_options
#pragma GCC target("avx512f,popcnt")
// GCC 12's intrinsics seed their unused pass-through operands with a self-initialised
// _mm512_undefined_epi32(), which -W(maybe-)uninitialized reports once inlined (GCC bug 105593).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace avx512 {

using u64 = std::uint64_t;
using vec = __m512i;
inline constexpr u64 top = ~u64{0};

inline __mmask8 first_lanes(std::size_t m) noexcept { return static_cast<__mmask8>((1U << m) - 1); }

/// Lanes that keep the larger key in bitonic step (j, k): those whose bit j differs from their bit k,
/// i.e. the upper lane of an ascending pair or the lower lane of a descending one (Batcher 1968).
constexpr __mmask8 max_lanes(int j, int k) noexcept {
  unsigned m = 0;
  for (int i = 0; i < 8; ++i)
    if (((i & j) != 0) != ((i & k) != 0)) m |= 1U << i;
  return static_cast<__mmask8>(m);
}

/// Compare-exchange of every lane with its partner at distance j (1, 2 or 4), the partners brought
/// together by fixed shuffles (cheaper than a permutation by an index vector: leaves ~7 % faster).
inline vec exchange(vec v, int j, __mmask8 take_max) noexcept {
  const vec p = j == 1   ? _mm512_shuffle_epi32(v, static_cast<_MM_PERM_ENUM>(0x4E))  // qwords within 128 bits
                : j == 2 ? _mm512_permutex_epi64(v, 0x4E)                             // 128-bit halves of 256
                         : _mm512_shuffle_i64x2(v, v, 0x4E);                          // 256-bit halves
  return _mm512_mask_blend_epi64(take_max, _mm512_min_epu64(v, p), _mm512_max_epu64(v, p));
}

/// The last three steps of a bitonic sort: a bitonic register → ascending.
inline vec merge_lanes(vec v) noexcept {
  v = exchange(v, 4, max_lanes(4, 8));
  v = exchange(v, 2, max_lanes(2, 8));
  return exchange(v, 1, max_lanes(1, 8));
}

/// Bitonic sort of the 8 lanes of one register.
inline vec sort_lanes(vec v) noexcept {
  v = exchange(v, 1, max_lanes(1, 2));
  v = exchange(v, 2, max_lanes(2, 4));
  v = exchange(v, 1, max_lanes(1, 4));
  return merge_lanes(v);
}

/// Bitonic sort of R registers (8R keys, ascending through v[0], v[1], ...): each register alone, then
/// runs of k/2 registers merged into runs of k — the second run reversed, so that the two form one
/// bitonic sequence, then half-cleaners across registers and within each.
template <int R>
inline void sort_registers(vec* v) noexcept {
  const vec reverse = _mm512_set_epi64(0, 1, 2, 3, 4, 5, 6, 7);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) v[r] = sort_lanes(v[r]);
#pragma GCC unroll 16
  for (int k = 2; k <= R; k *= 2) {
#pragma GCC unroll 16
    for (int b = 0; b < R; b += k) {
      vec reversed[R];  // the second run, in reverse (register order and lanes)
#pragma GCC unroll 16
      for (int r = 0; 2 * r < k; ++r) reversed[r] = _mm512_permutexvar_epi64(reverse, v[b + k - 1 - r]);
#pragma GCC unroll 16
      for (int r = 0; 2 * r < k; ++r) v[b + k / 2 + r] = reversed[r];
#pragma GCC unroll 16
      for (int d = k / 2; d >= 1; d /= 2)
#pragma GCC unroll 16
        for (int r = b; r < b + k; ++r)
          if ((r & d) == 0) {
            const vec low = _mm512_min_epu64(v[r], v[r + d]), high = _mm512_max_epu64(v[r], v[r + d]);
            v[r] = low;
            v[r + d] = high;
          }
#pragma GCC unroll 16
      for (int r = b; r < b + k; ++r) v[r] = merge_lanes(v[r]);
    }
  }
}

/// from[0, n) sorted into to[0, n) (the same buffer or not), n ≤ 8R: loaded into R registers padded
/// with the largest key, sorted there, and the first n stored.
template <int R>
inline void sort_leaf(const u64* from, u64* to, std::size_t n) noexcept {
  vec v[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const std::size_t at = 8 * static_cast<std::size_t>(r), m = n > at ? std::min<std::size_t>(8, n - at) : 0;
    v[r] = m == 0 ? _mm512_set1_epi64(static_cast<long long>(top))
                  : _mm512_mask_loadu_epi64(_mm512_set1_epi64(static_cast<long long>(top)), first_lanes(m), from + at);
  }
  sort_registers<R>(v);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    const std::size_t at = 8 * static_cast<std::size_t>(r), m = n > at ? std::min<std::size_t>(8, n - at) : 0;
    if (m != 0) _mm512_mask_storeu_epi64(to + at, first_lanes(m), v[r]);
  }
}

/// Largest leaf: 16 registers. Larger leaves spill registers; smaller ones need another partition pass
/// (128 measured fastest against 64).
inline constexpr std::size_t leaf = 128;

inline void sort_leaf(const u64* from, u64* to, std::size_t n) noexcept {
  if (n <= 8)
    sort_leaf<1>(from, to, n);
  else if (n <= 16)
    sort_leaf<2>(from, to, n);
  else if (n <= 32)
    sort_leaf<4>(from, to, n);
  else if (n <= 64)
    sort_leaf<8>(from, to, n);
  else
    sort_leaf<16>(from, to, n);
}

/// left_first[m]: the lane indices of mask m first, then the other lanes, each in lane order — the
/// permutation that packs the keys going left at the bottom of a register and the rest at the top.
struct lane_table {
  alignas(64) std::uint8_t index[256][8];
  constexpr lane_table() : index{} {
    for (unsigned m = 0; m < 256; ++m) {
      unsigned k = 0;
      for (unsigned i = 0; i < 8; ++i)
        if ((m >> i & 1) != 0) index[m][k++] = static_cast<std::uint8_t>(i);
      for (unsigned i = 0; i < 8; ++i)
        if ((m >> i & 1) == 0) index[m][k++] = static_cast<std::uint8_t>(i);
    }
  }
};
inline constexpr lane_table left_first{};

/// Where a partition reads its keys: `full(i)` the 8 keys from i, `part(i, valid)` the lanes of `valid`
/// (zero elsewhere), `at(i)` one key.
struct key_source {
  const u64* keys;
  vec full(std::size_t i) const noexcept { return _mm512_loadu_si512(keys + i); }
  vec part(std::size_t i, __mmask8 valid) const noexcept { return _mm512_maskz_loadu_epi64(valid, keys + i); }
  u64 at(std::size_t i) const noexcept { return keys[i]; }
};

/// Survival keys made on the fly from times t ≥ 0 and 0/1 flags, as detail::km::time_key: the bit
/// pattern of t + 0.0 (−0.0 becomes +0.0) shifted left by one, the flag in bit 0.
struct time_key_source {
  const double* times;
  const std::uint8_t* flags;
  static vec make(__m512d t, __m128i f) noexcept {
    const vec bits = _mm512_castpd_si512(_mm512_add_pd(t, _mm512_setzero_pd()));
    return _mm512_or_si512(_mm512_slli_epi64(bits, 1), _mm512_min_epu64(_mm512_cvtepu8_epi64(f), _mm512_set1_epi64(1)));
  }
  vec full(std::size_t i) const noexcept {
    return make(_mm512_loadu_pd(times + i), _mm_loadl_epi64(reinterpret_cast<const __m128i*>(flags + i)));
  }
  vec part(std::size_t i, __mmask8 valid) const noexcept {
    std::uint8_t f[16] = {};  // the flags of the valid lanes only: no read past the end
    for (unsigned k = 0; k < 8; ++k)
      if ((valid >> k & 1) != 0) f[k] = flags[i + k];
    const vec keys =
        make(_mm512_maskz_loadu_pd(valid, times + i), _mm_loadu_si128(reinterpret_cast<const __m128i*>(f)));
    return _mm512_maskz_mov_epi64(valid, keys);
  }
  u64 at(std::size_t i) const noexcept {
    alignas(64) u64 key[8];
    _mm512_store_si512(key, part(i, 1));
    return key[0];
  }
};

/// Copies the keys of `from` [0, n) into to[0, n): keys below the pivot (at or below it when `or_equal`)
/// to the front, the others to the back; returns how many went to the front.
template <bool or_equal, class Source>
inline std::size_t partition(const Source& from, u64* to, std::size_t n, u64 pivot) noexcept {
  const vec p = _mm512_set1_epi64(static_cast<long long>(pivot));
  auto goes_left = [&p](vec v, __mmask8 valid) {
    return or_equal ? _mm512_mask_cmple_epu64_mask(valid, v, p) : _mm512_mask_cmplt_epu64_mask(valid, v, p);
  };
  u64 *left = to, *right = to + n;
  std::size_t i = 0;
  // While ≥ 16 slots are unwritten, one permutation packs a register's left keys at its bottom and its
  // right keys at its top, and the register is stored whole at both ends: the lanes past the kept ones
  // land in the unwritten middle and are overwritten later. Each store goes as two 32-byte halves: a
  // 64-byte store at an 8-byte offset nearly always splits across cache lines, and the halves cost
  // less (measured: benchmarks/README.md, "Survival internals").
  for (; i + 16 <= n; i += 8) {
    const vec v = from.full(i);
    const __mmask8 l = goes_left(v, 0xFF);
    const auto kept = static_cast<unsigned>(std::popcount(static_cast<unsigned>(l)));
    const vec indices = _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(left_first.index[l])));
    const vec w = _mm512_permutexvar_epi64(indices, v);
    const __m256i low = _mm512_castsi512_si256(w), high = _mm512_extracti64x4_epi64(w, 1);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(left), low);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(left + 4), high);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(right - 8), low);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(right - 4), high);
    left += kept;
    right -= 8 - kept;
  }
  // The last < 16 keys: masked loads and stores touch only their own slots.
  for (; i < n; i += 8) {
    const __mmask8 valid = first_lanes(std::min<std::size_t>(8, n - i));
    const vec v = from.part(i, valid);
    const __mmask8 l = goes_left(v, valid), r = valid & static_cast<__mmask8>(~l);
    const auto to_left = static_cast<unsigned>(std::popcount(static_cast<unsigned>(l)));
    const auto to_right = static_cast<unsigned>(std::popcount(static_cast<unsigned>(r)));
    _mm512_mask_storeu_epi64(left, first_lanes(to_left), _mm512_maskz_compress_epi64(l, v));
    left += to_left;
    right -= to_right;
    _mm512_mask_storeu_epi64(right, first_lanes(to_right), _mm512_maskz_compress_epi64(r, v));
  }
  return static_cast<std::size_t>(left - to);
}

/// The upper median of 16 keys spread evenly over [0, n) (n > 128): splits random data close to the
/// middle, and sorted, reversed or sawtooth inputs as well.
template <class Source>
inline u64 pick_pivot(const Source& from, std::size_t n) noexcept {
  alignas(64) u64 sample[16];
  for (std::size_t i = 0; i < 16; ++i) sample[i] = from.at((2 * i + 1) * n / 32);
  vec v[2] = {_mm512_load_si512(sample), _mm512_load_si512(sample + 8)};
  sort_registers<2>(v);
  return static_cast<u64>(_mm_cvtsi128_si64(_mm512_castsi512_si128(v[1])));
}

/// Sorts the keys in a[0, n) into `result` (a or b, the other being scratch of n keys). Each partition
/// copies between the two buffers, so the side that must receive the result alternates. After `budget`
/// partitions of one range std::sort takes over, which bounds the work by O(n log n) whatever the pivots.
inline void sort(u64* a, u64* b, std::size_t n, bool into_b, int budget) {
  while (n > leaf) {
    if (budget-- == 0) {
      std::sort(a, a + n);
      if (into_b) std::copy_n(a, n, b);
      return;
    }
    const u64 pivot = pick_pivot(key_source{a}, n);
    const std::size_t k = partition<false>(key_source{a}, b, n, pivot);  // the keys are now in b
    if (k == 0) {
      // The pivot is the smallest key: the keys equal to it are sorted already. Peel them off (back
      // into a) and go on with the larger ones.
      const std::size_t equal = partition<true>(key_source{b}, a, n, pivot);
      std::fill_n(into_b ? b : a, equal, pivot);
      a += equal;
      b += equal;
      n -= equal;
      continue;
    }
    // Both parts are non-empty (the pivot itself is in the upper one): the smaller by recursion, so the
    // stack stays O(log n) deep, the larger by the loop — both now in b, to be sorted back into a
    // unless the result belongs in b.
    if (k < n - k) {
      sort(b, a, k, !into_b, budget);
      u64* const rest = b + k;
      b = a + k;
      a = rest;
      n -= k;
    } else {
      sort(b + k, a + k, n - k, !into_b, budget);
      std::swap(a, b);
      n = k;
    }
    into_b = !into_b;
  }
  sort_leaf(a, into_b ? b : a, n);
}

inline int budget(std::size_t n) noexcept { return 2 * static_cast<int>(std::bit_width(n)) + 8; }

}  // namespace avx512

/// Sorts keys[0, n) ascending, using scratch[0, n) as a buffer. Requires has_sort_u64(). Not stable —
/// equal keys are indistinguishable.
inline void sort_u64(std::uint64_t* keys, std::uint64_t* scratch, std::size_t n) {
  avx512::sort(keys, scratch, n, false, avx512::budget(n));
}

/// Writes the survival keys of times[0, n) (≥ 0) and flags[0, n) (0 or 1) — detail::km::time_key — into
/// keys[0, n), sorted, using scratch[0, n). The first partition makes the keys as it reads the times, so
/// the unsorted keys are never written and read back (one pass over memory saved). Requires has_sort_u64().
inline void sort_time_keys(const double* times, const std::uint8_t* flags, std::uint64_t* keys, std::uint64_t* scratch,
                           std::size_t n) {
  const avx512::time_key_source source{times, flags};
  if (n <= avx512::leaf) {
    for (std::size_t i = 0; i < n; i += 8) {
      const __mmask8 valid = avx512::first_lanes(std::min<std::size_t>(8, n - i));
      _mm512_mask_storeu_epi64(keys + i, valid, source.part(i, valid));
    }
    avx512::sort_leaf(keys, keys, n);
    return;
  }
  const std::uint64_t pivot = avx512::pick_pivot(source, n);
  const std::size_t k = avx512::partition<false>(source, keys, n, pivot);
  if (k == 0) {  // the pivot is the smallest key: the general loop peels off the keys equal to it
    avx512::sort(keys, scratch, n, false, avx512::budget(n));
  } else {
    avx512::sort(keys, scratch, k, false, avx512::budget(n));
    avx512::sort(keys + k, scratch + k, n - k, false, avx512::budget(n));
  }
}

#pragma GCC diagnostic pop
#pragma GCC pop_options

#else

// Without the AVX-512 code: callers check has_sort_u64() and use their portable sort; these keep the
// names defined (and correct).
inline bool has_sort_u64() noexcept { return false; }
inline void sort_u64(std::uint64_t* keys, std::uint64_t*, std::size_t n) { std::sort(keys, keys + n); }
inline void sort_time_keys(const double* times, const std::uint8_t* flags, std::uint64_t* keys, std::uint64_t*,
                           std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) keys[i] = std::bit_cast<std::uint64_t>(times[i] + 0.0) << 1 | (flags[i] != 0);
  std::sort(keys, keys + n);
}

#endif

}  // namespace custhealth::detail::simd
