// src/io/csv.cpp — the CSV reader: an RFC 4180 tokenizer over the memory-mapped file, a header
// map, and one row parser per table that applies the domain checks of dataset.hpp.

#include "custhealth/io/csv.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <unordered_map>

namespace custhealth {

namespace fs = std::filesystem;

csv_files csv_files::in_directory(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw invalid_input(dir.string() + ": not a directory");
  csv_files files;
  auto pick = [&](std::optional<fs::path>& slot, std::string_view table) {
    auto path = dir / (std::string(table) + ".csv");
    if (fs::is_regular_file(path)) slot = path;
  };
  pick(files.usage, usage_table::name), pick(files.accounts, account_table::name);
  pick(files.surveys, survey_table::name), pick(files.tickets, ticket_table::name);
  pick(files.mrr, mrr_table::name), pick(files.payments, payment_table::name);
  if (!files.usage && !files.accounts && !files.surveys && !files.tickets && !files.mrr && !files.payments)
    throw invalid_input(dir.string() + ": no usage.csv, accounts.csv, surveys.csv, tickets.csv, mrr.csv or payments.csv");
  return files;
}

namespace {

/// A whole file, read-only, mapped into memory (pre-faulted in one go: page by page first touch
/// is slow on virtual machines), so the tokenizer's fields are views into the page cache.
class mapped_file {
 public:
  explicit mapped_file(const fs::path& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw invalid_input(path.string() + ": cannot open file");
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd);
      throw invalid_input(path.string() + ": not a regular file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
      if (p == MAP_FAILED) {
        ::close(fd);
        throw invalid_input(path.string() + ": cannot read file");
      }
      data_ = static_cast<const char*>(p);
    }
    ::close(fd);
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (data_) ::munmap(const_cast<char*>(data_), size_);
  }

  std::string_view text() const noexcept { return {data_, size_}; }

 private:
  const char* data_ = nullptr;
  std::size_t size_ = 0;
};

/// A record that cannot be split into fields: where it is (`file:line`) and why.
struct malformed_record : invalid_input {
  malformed_record(std::string where, std::string why)
      : invalid_input(where + ": " + why), location(std::move(where)), reason(std::move(why)) {}
  std::string location;
  std::string reason;
};

/// Splits RFC 4180 text into records. Unquoted fields are views into the text; quoted fields
/// with doubled quotes are unescaped into per-record scratch storage.
class tokenizer {
 public:
  tokenizer(std::string_view text, std::string name) : text_(text), name_(std::move(name)) {
    if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);  // UTF-8 byte-order mark
  }

  /// The physical line on which the last record returned started (1-based).
  std::int64_t line() const noexcept { return record_line_; }

  /// Reads the next non-blank record into `fields`; false at the end of the text.
  bool next(std::vector<std::string_view>& fields) {
    fields.clear();
    scratch_used_ = 0;
    while (pos_ < text_.size() && (text_[pos_] == '\n' || text_[pos_] == '\r')) {  // blank lines
      if (text_[pos_] == '\n') ++line_;
      ++pos_;
    }
    if (pos_ >= text_.size()) return false;
    record_line_ = line_;
    record_start_ = pos_;
    for (;;) {
      if (pos_ < text_.size() && text_[pos_] == '"') {
        fields.push_back(quoted());
      } else {
        const std::size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r') {
          if (text_[pos_] == '"')
            throw malformed_record(location(), "field " + std::to_string(fields.size() + 1) +
                                                   ": a quote inside an unquoted field");
          ++pos_;
        }
        fields.push_back(text_.substr(start, pos_ - start));
      }
      if (pos_ >= text_.size()) return true;
      const char c = text_[pos_++];
      if (c == ',') continue;
      if (c == '\r' && pos_ < text_.size() && text_[pos_] == '\n') ++pos_;
      ++line_;
      return true;
    }
  }

  std::string location() const { return name_ + ":" + std::to_string(record_line_); }

  /// After a malformed record: continues at the line after the one the record started on.
  void resume_after_record_line() {
    const std::size_t eol = text_.find('\n', record_start_);
    pos_ = eol == std::string_view::npos ? text_.size() : eol + 1;
    line_ = record_line_ + 1;
  }

 private:
  std::string_view quoted() {
    const std::int64_t opened_on = line_;
    ++pos_;  // the opening quote
    std::size_t start = pos_;
    std::string* unescaped = nullptr;
    for (;;) {
      const std::size_t q = text_.find('"', pos_);
      if (q == std::string_view::npos)
        throw malformed_record(name_ + ":" + std::to_string(opened_on), "unterminated quoted field");
      for (std::size_t i = pos_; i < q; ++i) line_ += text_[i] == '\n';
      if (q + 1 < text_.size() && text_[q + 1] == '"') {  // an escaped quote ""
        if (!unescaped) unescaped = &scratch();
        unescaped->append(text_.substr(start, q + 1 - start));
        pos_ = start = q + 2;
        continue;
      }
      pos_ = q + 1;
      if (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '\n' && text_[pos_] != '\r')
        throw malformed_record(name_ + ":" + std::to_string(line_), "text after a closing quote");
      if (!unescaped) return text_.substr(start, q - start);
      unescaped->append(text_.substr(start, q - start));
      return *unescaped;
    }
  }

  std::string& scratch() {
    if (scratch_used_ == scratch_.size()) scratch_.emplace_back();
    auto& s = scratch_[scratch_used_++];
    s.clear();
    return s;
  }

  std::string_view text_;
  std::string name_;
  std::size_t pos_ = 0;
  std::int64_t line_ = 1;
  std::int64_t record_line_ = 1;
  std::size_t record_start_ = 0;
  // Reused across records (its strings keep their capacity). A deque, because a new string must not
  // move the earlier ones: the record's fields view them (a vector's growth did — issue 12, defect 1).
  std::deque<std::string> scratch_;
  std::size_t scratch_used_ = 0;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<double> parse_number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ptr != s.data() + s.size()) return std::nullopt;
  if (ec == std::errc::result_out_of_range) return std::numeric_limits<double>::infinity();
  if (ec != std::errc{}) return std::nullopt;
  return v;
}

/// True when `s` is well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
/// U+10FFFF). ASCII text, the common case, is checked eight bytes at a time.
bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (i < n) {
    if (i + 8 <= n) {
      std::uint64_t w;
      std::memcpy(&w, s.data() + i, 8);
      if ((w & 0x8080808080808080ull) == 0) {
        i += 8;
        continue;
      }
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;  // no UTF-16 surrogates
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else if (c == 0xF4) len = 4, hi = 0x8F;  // nothing above U+10FFFF
    else return false;
    if (i + len > n) return false;
    const auto c1 = static_cast<unsigned char>(s[i + 1]);
    if (c1 < lo || c1 > hi) return false;
    for (std::size_t k = 2; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += len;
  }
  return true;
}

/// pandas' default missing-value tokens that data teams' exports carry (DESIGN §2): `NA`, `N/A`,
/// `NULL`, `null`, `NaN`, `NaT`, `None`. (A literal NaN is therefore missing, and then rejected
/// wherever a number is required — never a silent value.)
constexpr bool is_missing_token(std::string_view s) noexcept {
  if (s.size() < 2 || s.size() > 4 || (s[0] != 'N' && s[0] != 'n')) return false;
  constexpr std::string_view tokens[] = {"NA", "N/A", "NULL", "null", "NaN", "NaT", "None"};
  for (auto t : tokens)
    if (s == t) return true;
  return false;
}

/// Interns strings, remembering the last one: ids in a CSV usually come in runs.
class interner {
 public:
  explicit interner(dictionary& dict) : dict_(dict) {}
  std::int32_t operator()(std::string_view s) {
    if (last_code_ != no_code && s == last_) return last_code_;
    last_code_ = dict_.intern(s);
    last_.assign(s);
    return last_code_;
  }

 private:
  dictionary& dict_;
  std::string last_;
  std::int32_t last_code_ = no_code;
};

/// A column of the file: its field index (-1 when the file lacks it) and its name in the input,
/// looked up once from the header so that checking a row builds no strings unless it is bad.
struct field_ref {
  int index = -1;
  std::string name;

  bool present() const noexcept { return index >= 0; }
};

/// One table's file being read: the header map, the current record and the report.
class table_reader {
 public:
  table_reader(const fs::path& path, std::string_view table, const load_options& options, table_report& report)
      : file_(path), tok_(file_.text(), path.string()), options_(options), report_(report) {
    report_.table = table;
    report_.source = path.string();
    if (!tok_.next(header_)) throw invalid_input(path.string() + ":1: empty file: no header");
    if (first_invalid_utf8(header_) < header_.size())
      throw invalid_input(path.string() + ":1: the header is not valid UTF-8");
    for (auto h : header_) header_bytes_ += h.size() + 1;
    for (std::size_t i = 0; i < header_.size(); ++i) {
      const std::string name(trim(header_[i]));
      if (!columns_.emplace(name, i).second)
        throw invalid_input(path.string() + ":1: column '" + name + "' appears twice in the header");
    }
  }

  /// The index of the first field that is not valid UTF-8, or fields.size(). Text must be UTF-8
  /// (DESIGN §2): invalid bytes would otherwise reach Python's str and fail there, far from the file.
  static std::size_t first_invalid_utf8(const std::vector<std::string_view>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i)
      if (!is_valid_utf8(fields[i])) return i;
    return fields.size();
  }

  /// A column by its default name (renamed through the options); not present when the header lacks it.
  field_ref find(const std::string& default_name) const {
    field_ref f{-1, options_.column(default_name)};
    if (auto it = columns_.find(f.name); it != columns_.end()) f.index = static_cast<int>(it->second);
    return f;
  }

  field_ref require(const std::string& default_name) const {
    field_ref f = find(default_name);
    if (!f.present()) {
      std::string message = report_.source + ":1: missing required column '" + f.name + "'";
      const std::string_view first = header_.empty() ? std::string_view{} : header_[0];
      if (header_.size() == 1 && first.find_first_of(";\t|") != std::string_view::npos)
        message += " (the header has a single column; is the delimiter not ','?)";
      throw invalid_input(message);
    }
    return f;
  }

  /// Advances to the next record whose field count matches the header; records with another
  /// count are rejected. False at the end.
  /// A record the tokenizer cannot split (a stray or unterminated quote) is, in lenient mode, a
  /// rejected row like any other: reading resumes on the line after the one it started on.
  bool next() {
    for (;;) {
      try {
        if (!tok_.next(fields_)) return false;
      } catch (const malformed_record& e) {
        if (options_.strict) throw;
        ++report_.read;
        report_.reject(e.location, {"", e.reason, ""}, false);
        tok_.resume_after_record_line();
        continue;
      }
      ++report_.read;
      if (fields_.size() != header_.size()) {
        reject({"", "expected " + std::to_string(header_.size()) + " fields, found " + std::to_string(fields_.size()), ""});
        continue;
      }
      if (const auto bad = first_invalid_utf8(fields_); bad < fields_.size()) {
        reject({std::string(trim(header_[bad])), "is not valid UTF-8", ""});
        continue;
      }
      return true;
    }
  }

  /// A generous guess of the row count (a row is rarely shorter than half the header), so the
  /// column vectors grow without copies; untouched capacity costs no memory.
  std::size_t expected_rows() const { return file_.text().size() / std::max<std::size_t>(8, header_bytes_ / 2) + 1; }

  /// A field's text; empty for an absent column and for the missing-value tokens of DESIGN §2, so
  /// that every parser treats `NA` like an empty field.
  std::string_view field(const field_ref& f) const {
    if (!f.present()) return {};
    const std::string_view s = fields_[std::size_t(f.index)];
    return is_missing_token(trim(s)) ? std::string_view{} : s;
  }

  void reject(const problem& p) { report_.reject(tok_.location(), p, options_.strict); }
  void accept() { ++report_.accepted; }
  std::int64_t line() const { return tok_.line(); }
  const load_options& options() const { return options_; }

  // Field parsers: each returns the value, or records the problem and returns nothing.
  std::optional<timestamp> time(const field_ref& col, bool required) {
    const auto s = trim(field(col));
    if (s.empty()) {
      if (!required) return no_time;
      fail(col, "is empty", s);
      return std::nullopt;
    }
    const auto t = parse_time(s, options_.time_unit);
    if (!t) {
      fail(col, "cannot parse as a date or time", s);
      return std::nullopt;
    }
    if (!check(checks::plausible_time(col.name.c_str(), *t, s))) return std::nullopt;
    return t;
  }
  /// A number; an empty field (or an absent column) gives `if_empty`, or a problem when none.
  std::optional<double> number(const field_ref& col, std::optional<double> if_empty) {
    const auto s = field(col);
    if (trim(s).empty()) {
      if (!if_empty) fail(col, "is empty", s);
      return if_empty;
    }
    if (auto v = parse_number(s)) return v;
    fail(col, "cannot parse as a number", s);
    return std::nullopt;
  }
  std::optional<std::string_view> id(const field_ref& col) {
    const auto s = trim(field(col));
    if (s.empty()) {
      fail(col, "is empty", s);
      return std::nullopt;
    }
    return s;
  }
  template <class E>
  std::optional<E> enumerated(const field_ref& col, std::optional<E> if_empty) {
    const auto s = trim(field(col));
    if (s.empty() && if_empty) return if_empty;
    if (auto e = enum_from_string<E>(s)) return e;
    fail(col, "expected one of " + enum_choices<E>(), s);
    return std::nullopt;
  }
  bool check(const std::optional<problem>& p) {
    if (p) reject(*p);
    return !p;
  }

 private:
  void fail(const field_ref& col, std::string reason, std::string_view value) {
    reject({col.name, std::move(reason), std::string(value)});
  }

  mapped_file file_;
  tokenizer tok_;
  const load_options& options_;
  table_report& report_;
  std::vector<std::string_view> header_, fields_;
  std::size_t header_bytes_ = 0;
  std::unordered_map<std::string, std::size_t> columns_;
};

const double missing = std::numeric_limits<double>::quiet_NaN();

/// Reserves `n` rows (see expected_rows) in each of `columns`, so none grows by doubling. Every
/// column a reader fills goes here; one filled only when the file has it is reserved only then.
template <class... Columns>
void reserve_all(std::size_t n, Columns&... columns) {
  (columns.reserve(n), ...);
}

// ---- one reader per table; each appends accepted rows to plain vectors ------------------------

void read_usage(table_reader& in, dictionary& ids, usage_table& t) {
  const field_ref c_account = in.require("account_id"), c_time = in.require("timestamp"), c_event = in.require("event");
  const field_ref c_value = in.find("value"), c_user = in.find("user_id");
  std::vector<std::int32_t> account, event, user;
  std::vector<timestamp> time;
  std::vector<double> value;
  const auto rows = in.expected_rows();
  reserve_all(rows, account, event, time, value);
  if (c_user.present()) user.reserve(rows);
  interner account_code(ids), event_code(t.events), user_code(t.users);
  while (in.next()) {
    auto a = in.id(c_account);
    if (!a) continue;
    auto ts = in.time(c_time, true);
    if (!ts) continue;
    auto e = in.id(c_event);
    if (!e) continue;
    // `value` defaults to 1 where the column is absent; an empty value in the column is a rejected
    // row, not a silent 1 (DESIGN §3).
    auto v = in.number(c_value, c_value.present() ? std::nullopt : std::optional(1.0));
    if (!v || !in.check(checks::finite(c_value.name.c_str(), *v, in.field(c_value)))) continue;
    const auto u = trim(in.field(c_user));
    account.push_back(account_code(*a)), time.push_back(*ts), event.push_back(event_code(*e)), value.push_back(*v);
    if (c_user.present()) user.push_back(u.empty() ? no_code : user_code(u));
    in.accept();
  }
  t.account = column(std::move(account)), t.time = column(std::move(time)), t.event = column(std::move(event));
  t.value = column(std::move(value)), t.user = column(std::move(user));
}

void read_accounts(table_reader& in, dictionary& ids, account_table& t) {
  const field_ref c_account = in.require("account_id"), c_start = in.require("start");
  const field_ref c_end = in.find("end"), c_segment = in.find("segment"), c_plan = in.find("plan");
  const field_ref c_owner = in.find("owner"), c_seats = in.find("seats"), c_renewal = in.find("renewal_date");
  std::vector<std::int32_t> account, segment, plan, owner;
  std::vector<timestamp> start, end, renewal;
  std::vector<double> seats;
  reserve_all(in.expected_rows(), account, start, end, seats, renewal, segment, plan, owner);
  std::unordered_map<std::int32_t, std::int64_t> line_of;  // an account may have one row only
  auto optional_code = [&](const field_ref& c, dictionary& dict) {
    const auto s = trim(in.field(c));
    return s.empty() ? no_code : dict.intern(s);
  };
  while (in.next()) {
    auto a = in.id(c_account);
    if (!a) continue;
    auto s = in.time(c_start, true);
    if (!s) continue;
    auto e = in.time(c_end, false);
    if (!e || !in.check(checks::not_before(c_end.name.c_str(), *e, c_start.name.c_str(), *s))) continue;
    auto seat = in.number(c_seats, missing);
    if (!seat ||
        (!std::isnan(*seat) && !in.check(checks::finite_non_negative(c_seats.name.c_str(), *seat, in.field(c_seats)))))
      continue;
    auto r = in.time(c_renewal, false);
    if (!r) continue;
    const auto code = ids.intern(*a);
    if (auto [it, fresh] = line_of.emplace(code, in.line()); !fresh) {
      in.reject({c_account.name, "account already has a row on line " + std::to_string(it->second), std::string(*a)});
      continue;
    }
    account.push_back(code), start.push_back(*s), end.push_back(*e), seats.push_back(*seat), renewal.push_back(*r);
    segment.push_back(optional_code(c_segment, t.segments)), plan.push_back(optional_code(c_plan, t.plans));
    owner.push_back(optional_code(c_owner, t.owners));
    in.accept();
  }
  t.account = column(std::move(account)), t.start = column(std::move(start)), t.end = column(std::move(end));
  t.segment = column(std::move(segment)), t.plan = column(std::move(plan)), t.owner = column(std::move(owner));
  t.seats = column(std::move(seats)), t.renewal = column(std::move(renewal));
}

void read_surveys(table_reader& in, dictionary& ids, survey_table& t) {
  const field_ref c_account = in.require("account_id"), c_time = in.require("timestamp"), c_kind = in.require("kind");
  const field_ref c_score = in.require("score"), c_respondent = in.find("respondent");
  std::vector<std::int32_t> account, respondent;
  std::vector<timestamp> time;
  std::vector<survey_kind> kind;
  std::vector<double> score;
  const auto rows = in.expected_rows();
  reserve_all(rows, account, time, kind, score);
  if (c_respondent.present()) respondent.reserve(rows);
  interner account_code(ids), respondent_code(t.respondents);
  while (in.next()) {
    auto a = in.id(c_account);
    if (!a) continue;
    auto ts = in.time(c_time, true);
    if (!ts) continue;
    auto k = in.enumerated<survey_kind>(c_kind, std::nullopt);
    if (!k) continue;
    auto s = in.number(c_score, std::nullopt);
    if (!s || !in.check(checks::survey_score(c_score.name.c_str(), *k, *s, in.options().csat_scale, in.field(c_score)))) continue;
    const auto r = trim(in.field(c_respondent));
    account.push_back(account_code(*a)), time.push_back(*ts), kind.push_back(*k), score.push_back(*s);
    if (c_respondent.present()) respondent.push_back(r.empty() ? no_code : respondent_code(r));
    in.accept();
  }
  t.account = column(std::move(account)), t.time = column(std::move(time)), t.kind = column(std::move(kind));
  t.score = column(std::move(score)), t.respondent = column(std::move(respondent));
}

void read_tickets(table_reader& in, dictionary& ids, ticket_table& t) {
  const field_ref c_account = in.require("account_id"), c_opened = in.require("opened_at");
  const field_ref c_response = in.find("first_response_at"), c_resolved = in.find("resolved_at");
  const field_ref c_priority = in.find("priority"), c_owner = in.find("owner");
  std::vector<std::int32_t> account, owner;
  std::vector<timestamp> opened, response, resolved;
  std::vector<priority> prio;
  reserve_all(in.expected_rows(), account, opened, response, resolved, prio, owner);
  interner account_code(ids), owner_code(t.owners);
  while (in.next()) {
    auto a = in.id(c_account);
    if (!a) continue;
    auto o = in.time(c_opened, true);
    if (!o) continue;
    auto f = in.time(c_response, false);
    if (!f || !in.check(checks::not_before(c_response.name.c_str(), *f, c_opened.name.c_str(), *o))) continue;
    auto r = in.time(c_resolved, false);
    if (!r || !in.check(checks::not_before(c_resolved.name.c_str(), *r, c_opened.name.c_str(), *o))) continue;
    auto p = in.enumerated<priority>(c_priority, priority::normal);
    if (!p) continue;
    const auto w = trim(in.field(c_owner));
    account.push_back(account_code(*a)), opened.push_back(*o), response.push_back(*f), resolved.push_back(*r);
    prio.push_back(*p), owner.push_back(w.empty() ? no_code : owner_code(w));
    in.accept();
  }
  t.account = column(std::move(account)), t.opened = column(std::move(opened));
  t.first_response = column(std::move(response)), t.resolved = column(std::move(resolved));
  t.prio = column(std::move(prio)), t.owner = column(std::move(owner));
}

void read_mrr(table_reader& in, dictionary& ids, mrr_table& t) {
  const field_ref c_account = in.require("account_id"), c_month = in.require("month"), c_mrr = in.require("mrr");
  std::vector<std::int32_t> account;
  std::vector<timestamp> month;
  std::vector<double> mrr;
  reserve_all(in.expected_rows(), account, month, mrr);
  std::unordered_map<std::uint64_t, std::int64_t> line_of;  // (account, month) is the key of this table
  interner account_code(ids);
  while (in.next()) {
    auto a = in.id(c_account);
    if (!a) continue;
    const auto ms = in.field(c_month);
    const auto m = parse_month(trim(ms), in.options().time_unit);
    if (!m) {
      in.reject({c_month.name, "cannot parse as a month (YYYY-MM or a date)", std::string(ms)});
      continue;
    }
    if (!in.check(checks::plausible_time(c_month.name.c_str(), *m, ms))) continue;
    auto v = in.number(c_mrr, std::nullopt);
    if (!v || !in.check(checks::finite_non_negative(c_mrr.name.c_str(), *v, in.field(c_mrr)))) continue;
    const auto code = account_code(*a);
    const auto key = (std::uint64_t(std::uint32_t(code)) << 32) | std::uint32_t(period_index(*m, period::month));
    if (auto [it, fresh] = line_of.emplace(key, in.line()); !fresh) {
      in.reject({c_month.name,
                 "account " + std::string(*a) + " already has this month on line " + std::to_string(it->second),
                 std::string(ms)});
      continue;
    }
    account.push_back(code), month.push_back(*m), mrr.push_back(*v);
    in.accept();
  }
  t.account = column(std::move(account)), t.month = column(std::move(month)), t.mrr = column(std::move(mrr));
}

void read_payments(table_reader& in, dictionary& ids, payment_table& t) {
  const field_ref c_account = in.require("account_id"), c_time = in.require("timestamp"), c_type = in.require("type");
  const field_ref c_amount = in.require("amount"), c_currency = in.find("currency");
  std::vector<std::int32_t> account, currency;
  std::vector<timestamp> time;
  std::vector<payment_type> type;
  std::vector<double> amount;
  const auto rows = in.expected_rows();
  reserve_all(rows, account, time, type, amount);
  if (c_currency.present()) currency.reserve(rows);
  interner account_code(ids), currency_code(t.currencies);
  while (in.next()) {
    auto a = in.id(c_account);
    if (!a) continue;
    auto ts = in.time(c_time, true);
    if (!ts) continue;
    auto k = in.enumerated<payment_type>(c_type, std::nullopt);
    if (!k) continue;
    auto v = in.number(c_amount, std::nullopt);
    if (!v || !in.check(checks::finite_non_negative(c_amount.name.c_str(), *v, in.field(c_amount)))) continue;
    const auto cur = trim(in.field(c_currency));
    account.push_back(account_code(*a)), time.push_back(*ts), type.push_back(*k), amount.push_back(*v);
    if (c_currency.present()) currency.push_back(cur.empty() ? no_code : currency_code(cur));
    in.accept();
  }
  t.account = column(std::move(account)), t.time = column(std::move(time)), t.type = column(std::move(type));
  t.amount = column(std::move(amount)), t.currency = column(std::move(currency));
}

template <class Table, class Read>
void load(const std::optional<fs::path>& path, const load_options& options, dataset_parts& parts, Table& table,
          Read read) {
  if (!path) return;
  auto& report = parts.report.tables.emplace_back();
  table_reader in(*path, Table::name, options, report);
  read(in, parts.account_ids, table);
}

}  // namespace

dataset read_csv(const csv_files& files, const load_options& options) {
  dataset_parts parts;
  parts.csat_scale = options.csat_scale;
  load(files.accounts, options, parts, parts.accounts, read_accounts);
  load(files.usage, options, parts, parts.usage, read_usage);
  load(files.surveys, options, parts, parts.surveys, read_surveys);
  load(files.tickets, options, parts, parts.tickets, read_tickets);
  load(files.mrr, options, parts, parts.mrr, read_mrr);
  load(files.payments, options, parts, parts.payments, read_payments);
  return dataset(std::move(parts));
}

}  // namespace custhealth
