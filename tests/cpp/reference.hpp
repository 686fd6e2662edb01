// tests/cpp/reference.hpp — locating the public reference data sets (../shared/reference).
// CUSTHEALTH_REFERENCE_DATA overrides the default; tests skip with a message when the folder is absent.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

namespace custhealth::test {

inline std::filesystem::path reference_dir() {
  if (const char* env = std::getenv("CUSTHEALTH_REFERENCE_DATA"); env && *env) return env;
  return std::filesystem::path(CUSTHEALTH_SOURCE_DIR) / ".." / "shared" / "reference";
}

/// The path of one reference file, or an empty path when the data set is not on this machine.
inline std::filesystem::path reference_file(const std::string& name) {
  auto path = reference_dir() / name;
  return std::filesystem::exists(path) ? path : std::filesystem::path{};
}

}  // namespace custhealth::test

/// Skips the current test (with the reason) when a reference file is missing; else binds `var`.
#define CUSTHEALTH_REFERENCE_OR_SKIP(var, name)                                               \
  const auto var = ::custhealth::test::reference_file(name);                                   \
  if (var.empty())                                                                             \
  GTEST_SKIP() << "reference data " << (name) << " not found under "                          \
               << ::custhealth::test::reference_dir() << " (set CUSTHEALTH_REFERENCE_DATA)"
