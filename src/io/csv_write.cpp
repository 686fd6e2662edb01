// src/io/csv_write.cpp — writing a dataset (and a generator's ground truth) as the CSV files that
// read_csv reads: rows built in a large buffer and written in chunks, numbers by std::to_chars.

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
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

/// One output column: its header name and how a row's cell is written.
struct field {
  std::string_view name;
  std::function<void(std::string&, std::size_t)> put;
};

/// A column as a field, or nothing when it is optional and absent (empty, or missing in every
/// row), so optional columns are written only when they carry something.
template <class T, class Put>
std::optional<field> make_field(std::string_view name, const column<T>& c, bool required, Put put) {
  if (!required) {
    bool any = false;
    for (const auto& v : c) {
      std::string probe;
      put(probe, v);
      if (!probe.empty()) {
        any = true;
        break;
      }
    }
    if (!any) return std::nullopt;
  }
  return field{name, [&c, put](std::string& out, std::size_t r) { put(out, c[r]); }};
}

std::optional<field> code_field(std::string_view name, const column<std::int32_t>& c, const dictionary_text& text,
                                bool required = false) {
  return make_field(name, c, required, [&text](std::string& out, std::int32_t code) { text.put(out, code); });
}
std::optional<field> time_field(std::string_view name, const column<timestamp>& c, bool required = false) {
  return make_field(name, c, required, put_time);
}
std::optional<field> number_field(std::string_view name, const column<double>& c, bool required = false) {
  return make_field(name, c, required, put_double);
}
template <class E>
std::optional<field> enum_field(std::string_view name, const column<E>& c) {
  return make_field(name, c, true, [](std::string& out, E e) { out += to_string(e); });
}

/// Writes `rows` rows of the present fields to `path`, with a header of their names.
/// Writes the rows `keep` accepts (all when it is empty).
void write_table(const std::filesystem::path& path, std::size_t rows, const std::vector<std::optional<field>>& all,
                 const std::function<bool(std::size_t)>& keep = {}) {
  std::vector<field> fields;
  for (const auto& f : all)
    if (f) fields.push_back(*f);
  csv_out out(path);
  auto& s = out.text();
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) s += ',';
    s += fields[i].name;
  }
  out.end_row();
  for (std::size_t r = 0; r < rows; ++r) {
    if (keep && !keep(r)) continue;
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i) s += ',';
      fields[i].put(s, r);
    }
    out.end_row();
  }
  out.close();
}

std::filesystem::path table_path(const std::filesystem::path& dir, std::string_view table) {
  return dir / (std::string(table) + ".csv");
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

namespace {

/// Writes one table by its schema (table.hpp): required columns always, optional ones when they
/// carry a value; the rows `keep` accepts.
template <class Table>
void write_table_of(const Table& t, const dictionary_text& ids, const std::filesystem::path& dir,
                    const std::function<bool(std::size_t)>& keep = {}) {
  const auto texts = std::apply([](const auto&... d) { return std::tuple<decltype(dictionary_text(d))...>{dictionary_text(d)...}; },
                                Table::dictionaries(t));
  const auto columns = Table::columns(t);
  const auto fields = [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) -> std::optional<field> {
      constexpr column_schema c = Table::schema[J];
      const auto& values = std::get<J>(columns);
      if constexpr (c.kind == column_kind::id) return code_field(c.name, values, ids, true);
      else if constexpr (c.kind == column_kind::text)
        return code_field(c.name, values, std::get<detail::text_rank<Table>(J)>(texts), c.required);
      else if constexpr (c.kind == column_kind::choice) return enum_field(c.name, values);
      else if constexpr (c.kind == column_kind::month) return make_field(c.name, values, c.required, put_month);
      else if constexpr (c.kind == column_kind::time) return time_field(c.name, values, c.required);
      else return number_field(c.name, values, c.required);
    };
    return std::vector<std::optional<field>>{one(std::integral_constant<std::size_t, I>{})...};
  };
  write_table(table_path(dir, t.name), t.size(), fields(std::make_index_sequence<Table::schema.size()>{}), keep);
}

}  // namespace

void write_csv(const dataset& data, const std::filesystem::path& dir) {
  make_directory(dir);
  const dictionary_text ids(data.account_ids());
  // Accounts seen only in event tables have no start and no accounts row in the input: they are
  // left out (read_csv gives them their row again), so the files read back (issue 12, defect 8).
  const auto& accounts = data.accounts();
  if (std::any_of(accounts.start.begin(), accounts.start.end(), [](timestamp s) { return s != no_time; }))
    write_table_of(accounts, ids, dir, [&](std::size_t r) { return accounts.start[r] != no_time; });
  auto events = [&](const auto& t) {
    if (t.size() > 0) write_table_of(t, ids, dir);
  };
  events(data.usage()), events(data.surveys()), events(data.tickets()), events(data.mrr()), events(data.payments());
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
