// custhealth/retention/survival_workspace.hpp — an opt-in store of spare buffers that Kaplan–Meier fits
// and log-rank tests reuse instead of faulting in fresh memory; without one they allocate plainly.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <type_traits>
#include <utility>
#include <vector>

#include "custhealth/detail/survival_memory.hpp"

namespace custhealth {

namespace detail::km {
struct workspace_pools;
}  // namespace detail::km

/// Large buffers kept between survival fits. On a VM the first touch of fresh memory costs more than
/// the arithmetic of a large fit (benchmarks/README.md, "Survival internals"), so a caller that fits
/// repeatedly passes one workspace to kaplan_meier, km_event_table::from_spans and copy, logrank_test
/// and the result's column methods; they take spare buffers from it, and their sort buffers go back to
/// it when the call returns. Columns of results go back only when handed over:
/// kaplan_meier_result::recycle, km_event_table::recycle, or recycle(column) for a single column.
/// Nothing is global: a fit without a workspace allocates, and destroying a result frees its memory.
///
/// Holds at most 128 MiB of sort buffers and 128 MiB of columns, each buffer ≥ 4 MiB (smaller ones are
/// freed at once); release() frees them all, as does destroying the workspace. Thread-safe: fits on
/// several threads may share one. Results never depend on it: a reused buffer is overwritten before it
/// is read.
class survival_workspace {
 public:
  survival_workspace() = default;
  survival_workspace(const survival_workspace&) = delete;
  survival_workspace& operator=(const survival_workspace&) = delete;

  /// Keeps `column` (a column of a result no longer needed) for a later fit, if it is large and there is
  /// room; else frees it.
  void recycle(std::vector<double>&& column) { columns_.give(std::move(column)); }

  /// Frees every spare buffer (for a long-running service after a burst of large fits).
  void release() {
    columns_.clear();
    blocks_.clear();
  }

  /// Bytes held in spare buffers (columns and sort buffers).
  std::size_t spare_bytes() const { return columns_.bytes() + blocks_.bytes(); }

 private:
  friend struct detail::km::workspace_pools;
  detail::km::spare_buffers<std::vector<double>> columns_;
  detail::km::spare_buffers<detail::km::raw_block> blocks_;
};

namespace detail::km {

/// The survival code's access to a workspace's two kinds of spare buffers.
struct workspace_pools {
  static spare_buffers<std::vector<double>>& columns(survival_workspace& w) noexcept { return w.columns_; }
  static spare_buffers<raw_block>& blocks(survival_workspace& w) noexcept { return w.blocks_; }
};

/// A column with room for `rows`: a spare one from `workspace` (holding the values of its last use) when
/// there is one, else a fresh, empty one advised for huge pages.
inline std::vector<double> spare_or_new_column(std::size_t rows, survival_workspace* workspace) {
  if (workspace != nullptr)
    if (auto spare = workspace_pools::columns(*workspace).take(rows * sizeof(double))) return std::move(*spare);
  std::vector<double> out;
  reserve_fill(out, rows);
  return out;
}

/// An empty column with room for `rows` pushes.
inline std::vector<double> take_column(std::size_t rows, survival_workspace* workspace) {
  std::vector<double> out = spare_or_new_column(rows, workspace);
  out.clear();
  return out;
}

/// A column of `rows` doubles, to be written through data(). resize() zero-fills only what a spare grows
/// by, so a reused column costs no zero-fill pass.
inline std::vector<double> sized_column(std::size_t rows, survival_workspace* workspace) {
  std::vector<double> out = spare_or_new_column(rows, workspace);
  out.resize(rows);
  return out;
}

/// A copy of `column` in spare (or huge-page) memory: std::vector's own copy would fault in fresh pages.
inline std::vector<double> copy_column(const std::vector<double>& column, survival_workspace* workspace) {
  std::vector<double> out = take_column(column.size(), workspace);
  out.assign(column.begin(), column.end());
  return out;
}

/// Hands each column to `workspace` (see survival_workspace::recycle), leaving it empty.
inline void recycle_columns(survival_workspace& workspace, std::initializer_list<std::vector<double>*> columns) {
  for (auto* column : columns) {
    workspace.recycle(std::move(*column));
    *column = {};
  }
}

/// Cuts columns written up to `rows` to that size, and gives memory back when most of it went unused
/// (many tied times).
inline void trim_columns(std::initializer_list<std::vector<double>*> columns, std::size_t rows) {
  for (auto* column : columns) column->resize(rows);
  if (rows < (*columns.begin())->capacity() / 2)
    for (auto* column : columns) column->shrink_to_fit();
}

/// Uninitialised scratch for n trivially copyable records (no zero-fill pass), from the workspace's sort
/// buffers when given one, and back to it when done.
template <class Record>
class scratch_buffer {
  static_assert(std::is_trivially_copyable_v<Record>);

 public:
  scratch_buffer(std::size_t n, survival_workspace* workspace) : workspace_(workspace) {
    const std::size_t bytes = n * sizeof(Record);
    auto spare = workspace != nullptr ? workspace_pools::blocks(*workspace).take(bytes) : std::nullopt;
    block_ = spare ? std::move(*spare) : raw_block(bytes);
  }
  ~scratch_buffer() {
    if (workspace_ != nullptr) workspace_pools::blocks(*workspace_).give(std::move(block_));
  }
  scratch_buffer(const scratch_buffer&) = delete;
  scratch_buffer& operator=(const scratch_buffer&) = delete;
  Record* data() noexcept { return reinterpret_cast<Record*>(block_.data()); }

 private:
  survival_workspace* workspace_;
  raw_block block_;
};

}  // namespace detail::km

}  // namespace custhealth
