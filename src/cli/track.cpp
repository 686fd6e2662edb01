// src/cli/track.cpp — `custhealth track`: usage CSV rows from standard input into a health_tracker in
// batches (each read by read_csv, so a row is checked as in a file), snapshots, resume, signals CSV.

#include "track.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string_view>

#include <sys/mman.h>
#include <unistd.h>

#include "custhealth/io/csv.hpp"
#include "custhealth/streaming/tracker.hpp"

namespace custhealth::cli {

namespace {

volatile std::sig_atomic_t stop_requested = 0;

extern "C" void request_stop(int) { stop_requested = 1; }

/// SIGTERM and SIGINT end the input (the current batch is applied and snapshotted); without
/// SA_RESTART a read blocked on the pipe returns at once.
void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = request_stop;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

/// Lines of standard input, read with read(2) so that a stop request interrupts a blocked read.
class line_reader {
 public:
  /// The next line without its '\n' (a last line without one too); nothing at the end of the input
  /// or once a stop is requested.
  std::optional<std::string> next() {
    for (;;) {
      if (stop_requested) return std::nullopt;
      if (const auto nl = buffer_.find('\n', start_); nl != std::string::npos) {
        std::string line = buffer_.substr(start_, nl - start_);
        start_ = nl + 1;
        return line;
      }
      if (eof_) {
        if (start_ >= buffer_.size()) return std::nullopt;
        std::string line = buffer_.substr(start_);
        start_ = buffer_.size();
        return line;
      }
      buffer_.erase(0, start_);
      start_ = 0;
      char chunk[1 << 16];
      const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw std::runtime_error(std::string("stdin: cannot read: ") + std::strerror(errno));
      if (n == 0) eof_ = true;
      buffer_.append(chunk, std::size_t(n > 0 ? n : 0));
    }
  }

 private:
  std::string buffer_;
  std::size_t start_ = 0;
  bool eof_ = false;
};

/// A batch of CSV text handed to read_csv through an anonymous in-memory file (memfd), so the
/// rows are read by the one CSV reader with its checks and messages.
dataset read_batch(const std::string& text, const load_options& options, std::string& source) {
  const int fd = ::memfd_create("stdin", MFD_CLOEXEC);
  if (fd < 0) throw std::runtime_error(std::string("cannot create an in-memory file: ") + std::strerror(errno));
  for (std::size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw std::runtime_error(std::string("cannot write an in-memory file: ") + std::strerror(errno));
    }
    done += std::size_t(n);
  }
  source = "/proc/self/fd/" + std::to_string(fd);
  csv_files files;
  files.usage = source;
  try {
    dataset d = read_csv(files, options);
    ::close(fd);
    return d;
  } catch (...) {
    ::close(fd);
    throw;
  }
}

/// `source:L: …` (line L of a batch whose line 1 is the header and line 2 the input's row `first`,
/// 0-based) as `stdin:<line of standard input>: …`.
std::string stdin_location(const std::string& message, const std::string& source, std::uint64_t first) {
  if (message.rfind(source + ":", 0) != 0) return message;
  std::size_t i = source.size() + 1, line = 0;
  while (i < message.size() && message[i] >= '0' && message[i] <= '9') line = line * 10 + std::size_t(message[i++] - '0');
  if (i == source.size() + 1) return "stdin:" + message.substr(i);  // no line: the message goes on after the colon
  if (line < 2) return "stdin:" + std::to_string(line) + message.substr(i);
  return "stdin:" + std::to_string(first + line) + message.substr(i);
}

void write_signals(const dataset& data, const signal_frame& frame, std::ostream& out) {
  out << "account_id";
  for (const auto name : frame.names) out << ',' << name;
  out << '\n';
  for (std::size_t a = 0; a < frame.n_accounts; ++a) {
    out << detail::csv_field(data.account_ids()[std::int32_t(a)]);
    for (std::size_t c = 0; c < frame.names.size(); ++c) {
      const double v = frame.at(c, 0, std::int32_t(a));
      out << ',';
      if (!std::isnan(v)) out << fmt::format("{}", v);  // the shortest text that reads back as the same double
    }
    out << '\n';
  }
}

}  // namespace

int run_track(const track_arguments& args, scorecard card) {
  install_stop_handlers();
  const timestamp as_of = args.as_of.empty() ? no_time : parse_time_or_throw(args.as_of);
  line_reader in;
  const auto header = in.next();
  if (!header) throw invalid_input("stdin: empty input: no header line");

  tracker_options options;
  options.lateness_seconds = args.lateness_seconds;
  options.csat_scale = args.load.csat_scale;
  health_tracker tracker = args.restore.empty() ? health_tracker(std::move(card), options)
                                                : health_tracker::restore(args.restore, std::move(card));
  // Resuming: the rows the snapshot holds are the first `position` rows of the same stream.
  const std::uint64_t skip = tracker.position();
  std::uint64_t skipped = 0;
  // Batches end at fixed positions of the stream (multiples of --every and of max_batch), so a
  // resumed run cuts the rows after its snapshot where the uninterrupted run did.
  constexpr std::uint64_t max_batch = 1 << 16;
  const auto every = std::uint64_t(args.every);
  std::string batch = *header + "\n";
  std::uint64_t first = tracker.position(), rows = 0;

  auto flush = [&] {
    if (rows == 0) return;
    std::string source;
    try {
      const dataset data = read_batch(batch, args.load, source);
      tracker.update(data, [&](const std::string& m) { return stdin_location(m, source, first); });
    } catch (const invalid_input& e) {
      tracker.snapshot(args.snapshot);  // the rows before this batch, so a fixed input resumes here
      throw invalid_input(stdin_location(e.what(), source, first));
    }
    tracker.set_position(first + rows);
    first += rows, rows = 0;
    batch.resize(header->size() + 1);
  };

  while (const auto line = in.next()) {
    if (skipped < skip) {
      ++skipped;
      continue;
    }
    batch += *line;
    batch += '\n';
    ++rows;
    const std::uint64_t position = first + rows;
    if (position % every == 0 || position % max_batch == 0) {
      flush();
      if (position % every == 0) tracker.snapshot(args.snapshot);
    }
  }
  if (skipped < skip)
    throw invalid_input("stdin: the input has " + std::to_string(skipped) + " rows, fewer than the " + std::to_string(skip) +
                        " the snapshot " + args.restore + " has consumed: not the same stream");
  flush();
  tracker.snapshot(args.snapshot);

  const auto data = tracker.data();
  const table_report& usage = tracker.report().tables.tables[std::size_t(table_id::usage)];
  std::cerr << fmt::format("custhealth track: {} rows read, {} accepted, {} rejected ({} late); snapshot {} at row {}{}\n",
                           usage.read, usage.accepted, usage.rejected, tracker.report().late_rows(table_id::usage),
                           args.snapshot, tracker.position(), stop_requested ? " (stopped by a signal)" : "");
  const timestamp T = as_of != no_time ? as_of : data->data_end({table_id::usage});
  if (T == no_time) {
    std::cerr << "custhealth track: no usage rows: no signals written\n";
    return 0;
  }
  const signal_frame frame = tracker.signals({T});
  if (args.out.empty()) {
    write_signals(*data, frame, std::cout);
  } else {
    std::ofstream out(args.out);
    if (!out) throw std::runtime_error(args.out + ": cannot write");
    write_signals(*data, frame, out);
  }
  return 0;
}

}  // namespace custhealth::cli
