// tests/cpp/test_sort.cpp — the two sorts of survival keys (the portable bucket sort and the AVX-512
// quicksort) against std::sort on inputs shaped to hit their edges: sizes around every leaf, duplicates.
#include "custhealth/detail/simd_sort.hpp"
#include "custhealth/detail/survival_sort.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace {

using keys = std::vector<std::uint64_t>;

/// Named inputs of size n: random 64-bit keys (the top value too, which the AVX-512 leaves pad with),
/// survival keys of random times, few distinct values, all equal, sorted, reversed, sawtooth, and runs
/// of a repeated smallest key (the pivot-is-the-minimum case).
std::vector<std::pair<std::string, keys>> shapes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::pair<std::string, keys>> out;
  auto add = [&](std::string name, const std::function<std::uint64_t(std::size_t)>& make) {
    keys k(n);
    for (std::size_t i = 0; i < n; ++i) k[i] = make(i);
    out.emplace_back(std::move(name) + " n=" + std::to_string(n), std::move(k));
  };
  std::exponential_distribution<double> life(1.0 / 700.0);
  add("random", [&](std::size_t) { return rng(); });
  add("random with top", [&](std::size_t) { return rng() % 4 == 0 ? ~std::uint64_t{0} : rng(); });
  add("survival keys", [&](std::size_t) { return custhealth::detail::km::time_key(life(rng), rng() % 2 == 1); });
  add("three values", [&](std::size_t) { return rng() % 3; });
  add("all equal", [](std::size_t) { return std::uint64_t{42}; });
  add("sorted", [](std::size_t i) { return std::uint64_t{i}; });
  add("reversed", [n](std::size_t i) { return std::uint64_t{n - i}; });
  add("sawtooth", [](std::size_t i) { return std::uint64_t{i % 97}; });
  add("mostly the minimum", [&](std::size_t) { return rng() % 8 == 0 ? rng() : std::uint64_t{7}; });
  return out;
}

/// Sizes around the 8-key registers and the 128-key leaves, and a few large ones.
std::vector<std::size_t> sizes() {
  std::vector<std::size_t> out;
  for (std::size_t n = 0; n <= 300; ++n) out.push_back(n);
  for (std::size_t n : {1000, 4096, 10007, 100000}) out.push_back(n);
  return out;
}

template <class Sort>
void expect_sorts_like_std(Sort sort) {
  for (std::size_t n : sizes()) {
    for (auto& [name, input] : shapes(n, 2025 + n)) {
      keys expected = input;
      std::sort(expected.begin(), expected.end());
      keys scratch(n);
      sort(input.data(), scratch.data(), n);
      ASSERT_EQ(input, expected) << name;
    }
  }
}

TEST(SimdSort, SortsLikeStdSort) {
  if (!custhealth::detail::simd::has_sort_u64()) GTEST_SKIP() << "no AVX-512 on this CPU";
  expect_sorts_like_std(custhealth::detail::simd::sort_u64);
}

TEST(SimdSort, MillionSurvivalKeys) {
  if (!custhealth::detail::simd::has_sort_u64()) GTEST_SKIP() << "no AVX-512 on this CPU";
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> life(1.0 / 700.0);
  std::uniform_real_distribution<double> follow(0.0, 1500.0);
  keys input(1'000'000);
  for (auto& k : input) {
    const double l = life(rng), f = follow(rng);
    k = custhealth::detail::km::time_key(std::min(l, f), l <= f);
  }
  keys expected = input, scratch(input.size());
  std::sort(expected.begin(), expected.end());
  custhealth::detail::simd::sort_u64(input.data(), scratch.data(), input.size());
  EXPECT_EQ(input, expected);
}

TEST(SimdSort, MakesAndSortsSurvivalKeys) {
  // sort_time_keys makes detail::km::time_key(t, flag) inside its first partition: the same keys,
  // sorted, for every leaf size and beyond, with ties, exits at 0 and −0.0.
  if (!custhealth::detail::simd::has_sort_u64()) GTEST_SKIP() << "no AVX-512 on this CPU";
  std::vector<std::size_t> n_values = sizes();
  n_values.push_back(1'000'000);
  for (std::size_t n : n_values) {
    std::mt19937_64 rng(n + 5);
    std::exponential_distribution<double> life(1.0 / 700.0);
    std::vector<double> times(n);
    std::vector<std::uint8_t> flags(n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto shape = rng() % 8;
      times[i] = shape == 0 ? -0.0 : shape == 1 ? 0.0 : shape == 2 ? std::floor(life(rng) / 100.0) : life(rng);
      flags[i] = static_cast<std::uint8_t>(rng() % 2);
    }
    keys expected(n), sorted(n), scratch(n);
    for (std::size_t i = 0; i < n; ++i) expected[i] = custhealth::detail::km::time_key(times[i], flags[i] != 0);
    std::sort(expected.begin(), expected.end());
    custhealth::detail::simd::sort_time_keys(times.data(), flags.data(), sorted.data(), scratch.data(), n);
    ASSERT_EQ(sorted, expected) << "n=" << n;
  }
}

// The portable bucket sort orders by the key's time: bare survival keys only (it reads the key as a time).
TEST(BucketSort, SortsSurvivalKeysLikeStdSort) {
  for (std::size_t n : sizes()) {
    std::mt19937_64 rng(n);
    std::exponential_distribution<double> life(1.0 / 700.0);
    std::uniform_int_distribution<int> day(0, 30);
    for (bool ties : {false, true}) {
      keys input(n);
      for (auto& k : input) k = custhealth::detail::km::time_key(ties ? day(rng) * 0.5 : life(rng), rng() % 2 == 1);
      keys expected = input, scratch(n);
      std::sort(expected.begin(), expected.end());
      custhealth::detail::km::sort_by_key(input.data(), scratch.data(), n);
      ASSERT_EQ(input, expected) << "n=" << n << " ties=" << ties;
    }
  }
}

}  // namespace
