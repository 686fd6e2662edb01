// custhealth/detail/hash.hpp — FNV-1a 64 (Fowler, Noll, Vo): the snapshot checksum, and a name's
// identity where codes of different dictionaries meet (a payment group's currency across shards).
#pragma once

#include <cstdint>
#include <string_view>

namespace custhealth {

/// FNV-1a 64 of `bytes`, continuing from `h` (the published offset basis by default).
constexpr std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t h = 0xcbf29ce484222325ull) noexcept {
  for (const char c : bytes) h = (h ^ std::uint8_t(c)) * 0x100000001b3ull;
  return h;
}

}  // namespace custhealth
