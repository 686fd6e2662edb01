// tests/cpp/reference.hpp — locating the public reference data sets (tests/data/reference, in the repo).
// CUSTHEALTH_REFERENCE_DATA overrides the default; a missing file fails the test (a clone has them all).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace custhealth::test {

inline std::filesystem::path reference_dir() {
  if (const char* env = std::getenv("CUSTHEALTH_REFERENCE_DATA"); env && *env) return env;
  return std::filesystem::path(CUSTHEALTH_SOURCE_DIR) / "tests" / "data" / "reference";
}

/// The path of one reference file, or an empty path when it is missing.
inline std::filesystem::path reference_file(const std::string& name) {
  auto path = reference_dir() / name;
  return std::filesystem::exists(path) ? path : std::filesystem::path{};
}

}  // namespace custhealth::test

/// Binds `var` to a reference file; fails the current test (with where it looked) when it is missing.
#define CUSTHEALTH_REFERENCE(var, name)                                                          \
  const auto var = ::custhealth::test::reference_file(name);                                   \
  if (var.empty())                                                                             \
  GTEST_FAIL() << "reference data " << (name) << " not found under "                          \
               << ::custhealth::test::reference_dir() << " (set CUSTHEALTH_REFERENCE_DATA)"
