// custhealth/detail/survival_memory.hpp — memory for the large columns and sort buffers of survival fits:
// advised for transparent huge pages, uninitialised where a zero-fill is wasted, and bounded spare lists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace custhealth::detail::km {

/// Hint that the buffer [p, p + bytes) is about to be written in full: its pages are marked for
/// transparent huge pages, so first touch costs one fault per 2 MiB instead of one per 4 KiB. On a VM
/// the per-page fault, not the writing, dominates filling fresh memory (measured in benchmarks/README.md,
/// "Survival internals"). The kernel uses a huge page only for a 2 MiB-aligned block that lies entirely in
/// advised memory; the advice never changes contents, and failure (no THP, another OS) is harmless.
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

/// Large buffers of one kind kept for reuse: filling memory already faulted in costs no page faults,
/// which on a VM outweigh the arithmetic of a large fit. Holds at most `limit_bytes` (128 MiB: the
/// columns and frames of a million-row fit that is still alive while the next one runs) and only buffers
/// of ≥ 4 MiB. Thread-safe: fits running on several threads (Python's, with the GIL released) may share
/// one.
template <class Buffer>
class spare_buffers {
 public:
  static constexpr std::size_t min_bytes = std::size_t{1} << 22, limit_bytes = std::size_t{1} << 27;

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

  /// Keeps `buffer` for a later take() if it is large and there is room; else frees it.
  void give(Buffer buffer) {
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

  /// Bytes held in spare buffers.
  std::size_t bytes() const {
    const std::lock_guard lock(mutex_);
    return bytes_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<Buffer> spares_;
  std::size_t bytes_ = 0;
};

}  // namespace custhealth::detail::km
