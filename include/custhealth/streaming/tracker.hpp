// custhealth/streaming/tracker.hpp — the streaming health tracker (DESIGN §7): rows of any table in
// batches, signals, scores and alerts as of any T equal to the batch layer's, snapshot and restore.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "custhealth/dataset.hpp"
#include "custhealth/detail/hash.hpp"  // fnv1a64: the snapshot checksum
#include "custhealth/scorecard/scorecard.hpp"
#include "custhealth/signals/signals.hpp"

namespace custhealth {

/// How a tracker accepts rows.
struct tracker_options {
  /// The lateness bound, in seconds (≥ 0). A row is *late* when its time (usage, surveys, payments:
  /// `timestamp`; tickets: `opened_at`; mrr: `month`) is earlier than the latest time of its table
  /// accepted in an earlier batch minus this bound. Late rows are rejected — counted per table in
  /// tracker_report::late and in the ingest report's reasons, with the first examples — never kept
  /// silently and never an error: a stream goes on. Accounts rows have no event time and are never late.
  std::int64_t lateness_seconds = seconds_per_day;
  /// CSAT answers are integers 1..csat_scale (the batches must be loaded with the same scale).
  int csat_scale = default_csat_scale;
};

/// What a tracker accepted: per table the loaders' counts (read == accepted + rejected), with the
/// late rows among the rejected ones and the updates (keyed rows that replaced an earlier batch's)
/// among the accepted; cumulative in health_tracker::report(), per batch from update().
struct tracker_report {
  ingest_report tables;  // one entry per table in table_id order
  std::array<std::int64_t, enum_size<table_id>> late{};
  std::array<std::int64_t, enum_size<table_id>> updated{};

  std::int64_t late_rows(table_id t) const noexcept { return late[static_cast<std::size_t>(t)]; }
  std::int64_t updated_rows(table_id t) const noexcept { return updated[static_cast<std::size_t>(t)]; }
};

/// A health tracker. It retains every accepted row of every table (columnar, with the account and
/// text dictionaries; keyed rows replaced in place, every other row appended): the signals read
/// whole histories (the last use, the first key feature, whether an account ever paid, tickets
/// still open), so nothing older can be summarised
/// away without a second implementation of those signals. signals(), scores() and alerts() build
/// one dataset from the retained rows — the batch layer's own type, sorting and checks — whenever
/// rows were added since the last build, and run the batch functions on it: one place per formula,
/// and the same bits as compute_signals on the same rows in their arrival order (rows tied on
/// account and time keep arrival order, as the loaders keep file order). A build costs O(rows).
class health_tracker {
 public:
  /// `card` scores and alerts; its identity (name, version, a hash of its JSON) goes into snapshots.
  /// Throws invalid_input for a negative lateness or a CSAT scale below 2.
  explicit health_tracker(scorecard card, tracker_options options = {});
  ~health_tracker();
  health_tracker(health_tracker&&) noexcept;
  health_tracker& operator=(health_tracker&&) noexcept;

  /// Appends the rows of `batch` (a dataset read by read_arrays or read_csv from the batch's rows,
  /// so each row passed the loaders' checks) except late rows. A keyed row whose key an earlier batch
  /// holds — an accounts row of a known account, an MRR row of a known account-month — replaces that
  /// row where it stands, whole (the latest sent wins: an account's end or renewal, a corrected
  /// month), as if the earlier one had never come; counted in tracker_report::updated. (Within one
  /// batch the loader rejects a repeated key, as it does in a file.)
  /// The batch's own report (rows the loader rejected in lenient mode) is added to report().
  /// `relabel` rewrites the location in the batch report's example messages (the CLI names stdin
  /// lines). Throws invalid_input for a batch validated with another CSAT scale; nothing is applied then.
  tracker_report update(const dataset& batch, const std::function<std::string(const std::string&)>& relabel = {});

  /// The retained rows as one dataset, rebuilt when rows were added since the last call.
  std::shared_ptr<const dataset> data() const;
  /// compute_signals(*data(), as_of, options).
  signal_frame signals(std::vector<timestamp> as_of, const signal_options& options = {}) const;
  /// score_card(card, *data(), as_of).
  scored_card scores(timestamp as_of) const;
  /// The card's alerts that start at `as_of`: at the first call every alert active then, later those
  /// active at `as_of` and not at the previous call's as_of (card_alerts over both, on the rows known
  /// now). Throws invalid_input unless `as_of` is after the previous call's.
  std::vector<alert> alerts(timestamp as_of);
  /// The as-of times alerts(as_of) runs card_alerts over — {as_of} at the first call, else {the
  /// previous call's, as_of} — recording as_of as the previous (for a caller that runs card_alerts
  /// itself, as the Python binding does). Throws invalid_input unless as_of is after the previous.
  std::vector<timestamp> alert_moments(timestamp as_of);

  const scorecard& card() const noexcept;
  const tracker_options& options() const noexcept;
  /// Every batch's report added up.
  const tracker_report& report() const noexcept;
  /// The caller's position in its input (rows or bytes consumed), saved in snapshots so that a
  /// restarted reader skips exactly what the snapshot holds.
  std::uint64_t position() const noexcept;
  void set_position(std::uint64_t position) noexcept;

  /// Writes the whole state to `path` atomically: a temporary file in the same directory, fsync,
  /// rename over `path`, fsync of the directory — a crash leaves the old snapshot or the new one.
  /// Format (little-endian): "CHTRACK\0", u32 format version, the card's name, version and FNV-1a 64
  /// hash of its JSON, u64 payload size, the payload, and the FNV-1a 64 hash of all bytes before it.
  /// Throws std::runtime_error naming the path and the system's reason when it cannot write.
  void snapshot(const std::filesystem::path& path) const;
  /// The tracker a snapshot holds. Refused with invalid_input naming the file and the reason — not
  /// a snapshot, a format version other than 1 (read: no update counts) or 2, truncated, a checksum
  /// mismatch (a corrupt byte), another card (name, version or content) — before anything is
  /// loaded: never half-loaded.
  static health_tracker restore(const std::filesystem::path& path, scorecard card);

  static constexpr std::uint32_t format_version = 2;  // 2: the report counts updates

 private:
  struct state;
  explicit health_tracker(std::unique_ptr<state> s);
  std::unique_ptr<state> s_;
};


}  // namespace custhealth
