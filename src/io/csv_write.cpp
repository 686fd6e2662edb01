// src/io/csv_write.cpp — writing a dataset (and a generator's ground truth) as the CSV files that
// read_csv reads: rows built in a large buffer and written in chunks, numbers by std::to_chars.

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "custhealth/io/csv.hpp"
#include "custhealth/synth/generate.hpp"

namespace custhealth {

namespace {

bool needs_quotes(std::string_view s) noexcept { return s.find_first_of(",\"\r\n") != std::string_view::npos; }

void put_digits(std::string& out, int value, int width) {
  std::array<char, 8> buf{};
  for (int i = width - 1; i >= 0; --i, value /= 10) buf[std::size_t(i)] = static_cast<char>('0' + value % 10);
  out.append(buf.data(), std::size_t(width));
}

template <class Number>
void put_number(std::string& out, Number value) {
  std::array<char, 32> buf{};
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), value);
  (void)ec;  // 32 characters hold any int64 and the shortest round-trip form of any double
  out.append(buf.data(), ptr);
}

/// ISO-8601 UTC, `YYYY-MM-DD` at midnight; times whose year has no four-digit form (before year
/// 0 or after 9999) as integer epoch seconds, which read_csv accepts too. no_time writes nothing.
void put_time(std::string& out, timestamp t) {
  if (t == no_time) return;
  const std::int64_t day = day_number(t);
  const std::int64_t second = t - day * seconds_per_day;
  const civil_date c = civil_from_days(day);
  if (c.year < 0 || c.year > 9999) {
    put_number(out, t);
    return;
  }
  put_digits(out, c.year, 4);
  out += '-';
  put_digits(out, c.month, 2);
  out += '-';
  put_digits(out, c.day, 2);
  if (second == 0) return;
  const int s = static_cast<int>(second);
  out += 'T';
  put_digits(out, s / 3600, 2);
  out += ':';
  put_digits(out, s / 60 % 60, 2);
  out += ':';
  put_digits(out, s % 60, 2);
  out += 'Z';
}

/// `YYYY-MM` of the month containing `t` (the mrr table's month).
void put_month(std::string& out, timestamp t) {
  const civil_date c = civil_from_days(day_number(t));
  if (c.year < 0 || c.year > 9999) {
    put_time(out, t);  // no YYYY-MM form: the full time
    return;
  }
  put_digits(out, c.year, 4);
  out += '-';
  put_digits(out, c.month, 2);
}

/// A double in its shortest round-trip form; NaN (a missing value) writes nothing.
void put_double(std::string& out, double v) {
  if (std::isnan(v)) return;
  put_number(out, v);
}

/// The CSV text of every dictionary entry, quoted where needed once rather than once per row.
class dictionary_text {
 public:
  explicit dictionary_text(const dictionary& d) : d_(d) {
    bool quote = false;
    for (const auto& v : d.values()) quote = quote || needs_quotes(v);
    if (!quote) return;
    quoted_.reserve(d.size());
    for (const auto& v : d.values()) quoted_.push_back(detail::csv_field(v));
  }

  /// The field for `code`; nothing for no_code.
  void put(std::string& out, std::int32_t code) const {
    if (code == no_code) return;
    out += quoted_.empty() ? d_[code] : quoted_[std::size_t(code)];
  }

 private:
  const dictionary& d_;
  std::vector<std::string> quoted_;
};

/// One output file: rows accumulate in a buffer that goes to the file in ~1 MB writes.
class csv_out {
 public:
  explicit csv_out(const std::filesystem::path& path) : path_(path), file_(path, std::ios::binary | std::ios::trunc) {
    if (!file_) throw std::runtime_error("cannot open " + path.string() + " for writing");
    buffer_.reserve(flush_at + 4096);
  }

  std::string& text() noexcept { return buffer_; }

  /// Ends a row (or the header), writing the buffer out once it is large.
  void end_row() {
    buffer_ += '\n';
    if (buffer_.size() >= flush_at) flush();
  }

  void close() {
    flush();
    file_.close();
    if (!file_) throw std::runtime_error("cannot write " + path_.string());
  }

 private:
  static constexpr std::size_t flush_at = std::size_t{1} << 20;

  void flush() {
    file_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    if (!file_) throw std::runtime_error("cannot write " + path_.string());
    buffer_.clear();
  }

  std::filesystem::path path_;
  std::ofstream file_;
  std::string buffer_;
};

/// A column that is written only when present: non-empty and not missing everywhere.
template <class T, class Missing>
bool present(const column<T>& c, Missing missing) {
  for (const auto& v : c)
    if (!missing(v)) return true;
  return false;
}

const auto is_no_code = [](std::int32_t c) { return c == no_code; };
const auto is_no_time = [](timestamp t) { return t == no_time; };
const auto is_nan = [](double v) { return std::isnan(v); };
const auto never_missing = [](const auto&) { return false; };

/// Writes a header of the names whose flag is set.
template <std::size_t n>
void put_header(csv_out& out, const std::array<std::string_view, n>& names, const std::array<bool, n>& keep) {
  bool first = true;
  for (std::size_t i = 0; i < n; ++i) {
    if (!keep[i]) continue;
    if (!first) out.text() += ',';
    out.text() += names[i];
    first = false;
  }
  out.end_row();
}

std::filesystem::path table_path(const std::filesystem::path& dir, std::string_view table) {
  return dir / (std::string(table) + ".csv");
}

void write_usage(const dataset& data, const std::filesystem::path& dir) {
  const auto& t = data.usage();
  const dictionary_text ids(data.account_ids()), events(t.events), users(t.users);
  const bool value = present(t.value, never_missing), user = present(t.user, is_no_code);
  csv_out out(table_path(dir, t.name));
  put_header<5>(out, {"account_id", "timestamp", "event", "value", "user_id"}, {true, true, true, value, user});
  auto& s = out.text();
  for (std::size_t r = 0; r < t.size(); ++r) {
    ids.put(s, t.account[r]);
    s += ',';
    put_time(s, t.time[r]);
    s += ',';
    events.put(s, t.event[r]);
    if (value) {
      s += ',';
      put_double(s, t.value[r]);
    }
    if (user) {
      s += ',';
      users.put(s, t.user[r]);
    }
    out.end_row();
  }
  out.close();
}

void write_accounts(const dataset& data, const std::filesystem::path& dir) {
  const auto& t = data.accounts();
  const bool end = present(t.end, is_no_time), segment = present(t.segment, is_no_code),
             plan = present(t.plan, is_no_code), owner = present(t.owner, is_no_code), seats = present(t.seats, is_nan),
             renewal = present(t.renewal, is_no_time);
  // Rows with nothing but an id are the placeholders the dataset adds for accounts seen only in
  // event tables; reading the event tables back recreates them.
  auto placeholder = [&](std::size_t r) {
    return t.start[r] == no_time && t.end[r] == no_time && t.segment[r] == no_code && t.plan[r] == no_code &&
           t.owner[r] == no_code && std::isnan(t.seats[r]) && t.renewal[r] == no_time;
  };
  std::size_t real = 0;
  for (std::size_t r = 0; r < t.size(); ++r) real += placeholder(r) ? 0 : 1;
  if (real == 0) return;

  const dictionary_text ids(data.account_ids()), segments(t.segments), plans(t.plans), owners(t.owners);
  csv_out out(table_path(dir, t.name));
  put_header<8>(out, {"account_id", "start", "end", "segment", "plan", "owner", "seats", "renewal_date"},
                {true, true, end, segment, plan, owner, seats, renewal});
  auto& s = out.text();
  for (std::size_t r = 0; r < t.size(); ++r) {
    if (placeholder(r)) continue;
    ids.put(s, t.account[r]);
    s += ',';
    put_time(s, t.start[r]);
    if (end) {
      s += ',';
      put_time(s, t.end[r]);
    }
    if (segment) {
      s += ',';
      segments.put(s, t.segment[r]);
    }
    if (plan) {
      s += ',';
      plans.put(s, t.plan[r]);
    }
    if (owner) {
      s += ',';
      owners.put(s, t.owner[r]);
    }
    if (seats) {
      s += ',';
      put_double(s, t.seats[r]);
    }
    if (renewal) {
      s += ',';
      put_time(s, t.renewal[r]);
    }
    out.end_row();
  }
  out.close();
}

void write_surveys(const dataset& data, const std::filesystem::path& dir) {
  const auto& t = data.surveys();
  const dictionary_text ids(data.account_ids()), respondents(t.respondents);
  const bool respondent = present(t.respondent, is_no_code);
  csv_out out(table_path(dir, t.name));
  put_header<5>(out, {"account_id", "timestamp", "kind", "score", "respondent"}, {true, true, true, true, respondent});
  auto& s = out.text();
  for (std::size_t r = 0; r < t.size(); ++r) {
    ids.put(s, t.account[r]);
    s += ',';
    put_time(s, t.time[r]);
    s += ',';
    s += to_string(t.kind[r]);
    s += ',';
    put_double(s, t.score[r]);
    if (respondent) {
      s += ',';
      respondents.put(s, t.respondent[r]);
    }
    out.end_row();
  }
  out.close();
}

void write_tickets(const dataset& data, const std::filesystem::path& dir) {
  const auto& t = data.tickets();
  const dictionary_text ids(data.account_ids()), owners(t.owners);
  const bool response = present(t.first_response, is_no_time), resolved = present(t.resolved, is_no_time),
             prio = !t.prio.empty(), owner = present(t.owner, is_no_code);
  csv_out out(table_path(dir, t.name));
  put_header<6>(out, {"account_id", "opened_at", "first_response_at", "resolved_at", "priority", "owner"},
                {true, true, response, resolved, prio, owner});
  auto& s = out.text();
  for (std::size_t r = 0; r < t.size(); ++r) {
    ids.put(s, t.account[r]);
    s += ',';
    put_time(s, t.opened[r]);
    if (response) {
      s += ',';
      put_time(s, t.first_response[r]);
    }
    if (resolved) {
      s += ',';
      put_time(s, t.resolved[r]);
    }
    if (prio) {
      s += ',';
      s += to_string(t.prio[r]);
    }
    if (owner) {
      s += ',';
      owners.put(s, t.owner[r]);
    }
    out.end_row();
  }
  out.close();
}

void write_mrr(const dataset& data, const std::filesystem::path& dir) {
  const auto& t = data.mrr();
  const dictionary_text ids(data.account_ids());
  csv_out out(table_path(dir, t.name));
  put_header<3>(out, {"account_id", "month", "mrr"}, {true, true, true});
  auto& s = out.text();
  for (std::size_t r = 0; r < t.size(); ++r) {
    ids.put(s, t.account[r]);
    s += ',';
    put_month(s, t.month[r]);
    s += ',';
    put_double(s, t.mrr[r]);
    out.end_row();
  }
  out.close();
}

void write_payments(const dataset& data, const std::filesystem::path& dir) {
  const auto& t = data.payments();
  const dictionary_text ids(data.account_ids()), currencies(t.currencies);
  const bool currency = present(t.currency, is_no_code);
  csv_out out(table_path(dir, t.name));
  put_header<5>(out, {"account_id", "timestamp", "type", "amount", "currency"}, {true, true, true, true, currency});
  auto& s = out.text();
  for (std::size_t r = 0; r < t.size(); ++r) {
    ids.put(s, t.account[r]);
    s += ',';
    put_time(s, t.time[r]);
    s += ',';
    s += to_string(t.type[r]);
    s += ',';
    put_double(s, t.amount[r]);
    if (currency) {
      s += ',';
      currencies.put(s, t.currency[r]);
    }
    out.end_row();
  }
  out.close();
}

void make_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    throw std::runtime_error("cannot create directory " + dir.string() + (ec ? ": " + ec.message() : ""));
}

}  // namespace

namespace detail {

std::string csv_field(std::string_view s) {
  if (!needs_quotes(s)) return std::string(s);
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (const char c : s) {
    if (c == '"') out += '"';  // RFC 4180 §2.7: a quote inside a quoted field is doubled
    out += c;
  }
  out += '"';
  return out;
}

std::string format_time(timestamp t) {
  std::string out;
  put_time(out, t);
  return out;
}

}  // namespace detail

void write_csv(const dataset& data, const std::filesystem::path& dir) {
  make_directory(dir);
  if (data.accounts().size() > 0) write_accounts(data, dir);
  if (data.usage().size() > 0) write_usage(data, dir);
  if (data.surveys().size() > 0) write_surveys(data, dir);
  if (data.tickets().size() > 0) write_tickets(data, dir);
  if (data.mrr().size() > 0) write_mrr(data, dir);
  if (data.payments().size() > 0) write_payments(data, dir);
}

void write_truth_csv(const portfolio_truth& truth, const dataset& data, const std::filesystem::path& dir) {
  const std::size_t n = data.n_accounts();
  if (truth.health.size() != n || truth.churn_probability.size() != n || truth.churned.size() != n)
    throw invalid_input("write_truth_csv: the truth has " + std::to_string(truth.health.size()) +
                        " accounts, the dataset " + std::to_string(n));
  make_directory(dir);
  const dictionary_text ids(data.account_ids());
  csv_out out(dir / "truth.csv");
  out.text() += "account_id,true_health,true_churn_probability,churned";
  out.end_row();
  auto& s = out.text();
  for (std::size_t a = 0; a < n; ++a) {
    ids.put(s, static_cast<std::int32_t>(a));
    s += ',';
    put_double(s, truth.health[a]);
    s += ',';
    put_double(s, truth.churn_probability[a]);
    s += ',';
    s += truth.churned[a] ? '1' : '0';
    out.end_row();
  }
  out.close();
}

}  // namespace custhealth
