// src/cli/track.hpp — `custhealth track`: the streaming tracker over usage CSV rows on standard input,
// snapshotting every N rows and at exit, resuming from a snapshot; the signals at the end as CSV.
#pragma once

#include <cstdint>
#include <string>

#include "custhealth/dataset.hpp"
#include "custhealth/scorecard/scorecard.hpp"

namespace custhealth::cli {

struct track_arguments {
  std::string snapshot;  // written every `every` rows and at exit
  std::string restore;   // resume from this snapshot: its position says how many rows to skip
  std::int64_t every = 100'000;
  std::int64_t lateness_seconds = seconds_per_day;
  std::string as_of;  // the signals' T (default: the end of the usage data)
  std::string out;    // the signals CSV (default: standard output)
  load_options load;
};

/// Runs the command on standard input; returns the exit code.
int run_track(const track_arguments& args, scorecard card);

}  // namespace custhealth::cli
