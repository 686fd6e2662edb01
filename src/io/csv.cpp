// src/io/csv.cpp — the CSV reader: an RFC 4180 tokenizer over the memory-mapped file, a header
// map, and one row parser per table that applies the domain checks of dataset.hpp.

#include "custhealth/io/csv.hpp"

#include "loader.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <deque>
#include <limits>
#include <tuple>
#include <type_traits>
#include <utility>
#include <unordered_map>

namespace custhealth {

namespace fs = std::filesystem;

csv_files csv_files::in_directory(const fs::path& dir) {
  if (!fs::is_directory(dir)) throw invalid_input(dir.string() + ": not a directory");
  csv_files files;
  bool any = false;
  for (const auto t : enum_values<table_id>()) {
    auto path = dir / (std::string(to_string(t)) + ".csv");
    if (fs::is_regular_file(path)) files[t] = path, any = true;
  }
  if (!any)
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
    field_ref f{-1, options_.column(report_.table, default_name)};
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

 private:
  mapped_file file_;
  tokenizer tok_;
  const load_options& options_;
  table_report& report_;
  std::vector<std::string_view> header_, fields_;
  std::size_t header_bytes_ = 0;
  std::unordered_map<std::string, std::size_t> columns_;
};

/// Reads one table's rows by its schema (table.hpp): each field parsed by its column's kind and
/// checked as it is read (the first bad column names the row's problem), then the texts interned —
/// only for accepted rows, so an id seen only in rejected rows is no account — and the key checked.
template <class Table>
void read_table(table_reader& in, dictionary& ids, Table& t) {
  constexpr auto& schema = Table::schema;
  constexpr std::size_t n = schema.size();
  using members = decltype(Table::columns(t));
  std::array<field_ref, n> fields;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string name(schema[i].name);
    fields[i] = schema[i].required ? in.require(name) : in.find(name);
  }
  // A column absent from the file is filled, unless its schema keeps it empty.
  std::array<bool, n> stored{};
  for (std::size_t i = 0; i < n; ++i) stored[i] = fields[i].present() || !schema[i].empty_when_absent;

  auto vectors = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::tuple<std::vector<typename std::remove_cvref_t<std::tuple_element_t<I, members>>::value_type>...>{};
  }(std::make_index_sequence<n>{});
  const auto rows = in.expected_rows();
  std::apply([&](auto&... v) {
    std::size_t i = 0;
    ((stored[i++] ? v.reserve(rows) : void()), ...);
  }, vectors);
  interner account_code(ids);
  auto texts = std::apply([](auto&... d) { return std::tuple<decltype(interner(d))...>{interner(d)...}; },
                          Table::dictionaries(t));
  detail::key_index keys(Table::key);
  std::array<detail::cell, n> row;
  std::array<std::string_view, n> text;

  // Parses and checks column I of the current record into row[I]; false after rejecting the row.
  auto parse = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
    using value_type = typename std::remove_cvref_t<std::tuple_element_t<I, members>>::value_type;
    constexpr column_schema c = schema[I];
    const field_ref& f = fields[I];
    detail::cell& x = row[I] = {};
    const std::string_view s = text[I] = trim(in.field(f));
    if (s.empty()) {
      // Required and non-nullable: "is empty". An absent optional column takes its fill; so does an
      // empty field of a nullable one (usage `value` is neither: an empty value is no silent 1).
      if (f.present() ? !c.nullable : c.required) {
        in.reject({f.name, "is empty", std::string(s)});
        return false;
      }
      if constexpr (std::is_enum_v<value_type>) x.code = static_cast<std::int32_t>(c.fill);
      else x.number = c.fill;
      return true;
    }
    bool parsed = true;
    if constexpr (std::is_enum_v<value_type>) {
      const auto e = enum_from_string<value_type>(s);
      if (!e) {
        in.reject({f.name, "expected one of " + enum_choices<value_type>(), std::string(s)});
        return false;
      }
      x.code = static_cast<std::int32_t>(*e);
    } else if constexpr (c.kind == column_kind::time || c.kind == column_kind::month) {
      const auto v = c.kind == column_kind::month ? parse_month(s, in.options().time_unit) : parse_time(s, in.options().time_unit);
      parsed = v.has_value();
      x.time = v.value_or(no_time);
      if (x.time == no_time && parsed) {  // the "no time" sentinel written out is no time (issue 12, defect 2)
        in.reject(*checks::plausible_time(f.name.c_str(), x.time, s));
        return false;
      }
    } else if constexpr (c.kind == column_kind::number) {
      const auto v = parse_number(s);
      parsed = v.has_value();
      x.number = v.value_or(0.0);
    }
    if (!parsed) {
      in.reject({f.name, std::string(detail::unparsable(c.kind)), std::string(s)});
      return false;
    }
    if constexpr (c.check != column_check::none || c.kind == column_kind::time || c.kind == column_kind::month) {
      const auto other = c.relative_to;
      const auto p = detail::check_cell(c, f.name.c_str(), x, other >= 0 ? &row[std::size_t(other)] : nullptr,
                                        other >= 0 ? fields[std::size_t(other)].name.c_str() : "",
                                        in.options().csat_scale, [&] { return std::string(s); });
      if (p) {
        in.reject(*p);
        return false;
      }
    }
    return true;
  };
  // The value of column I that goes into its member: texts become codes here.
  auto store = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
    using value_type = typename std::remove_cvref_t<std::tuple_element_t<I, members>>::value_type;
    constexpr column_kind kind = schema[I].kind;
    if (!stored[I]) return;
    auto& v = std::get<I>(vectors);
    if constexpr (kind == column_kind::id) v.push_back(row[I].code);
    else if constexpr (kind == column_kind::text)
      v.push_back(text[I].empty() ? no_code : std::get<detail::text_rank<Table>(I)>(texts)(text[I]));
    else if constexpr (std::is_enum_v<value_type>) v.push_back(static_cast<value_type>(row[I].code));
    else if constexpr (kind == column_kind::number) v.push_back(row[I].number);
    else v.push_back(row[I].time);
  };
  constexpr int month = detail::month_column<Table>();

  while (in.next()) {
    const bool ok = [&]<std::size_t... I>(std::index_sequence<I...>) {
      return (parse(std::integral_constant<std::size_t, I>{}) && ...);
    }(std::make_index_sequence<n>{});
    if (!ok) continue;
    row[0].code = account_code(text[0]);
    if (const auto first = keys.earlier(row[0].code, month >= 0 ? row[std::size_t(month)].time : no_time, in.line());
        first >= 0) {
      in.reject(keys.repeated(fields[0].name, month >= 0 ? fields[std::size_t(month)].name : "", std::string(text[0]),
                              month >= 0 ? std::string(text[std::size_t(month)]) : "", " on line " + std::to_string(first)));
      continue;
    }
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      (store(std::integral_constant<std::size_t, I>{}), ...);
    }(std::make_index_sequence<n>{});
    in.accept();
  }
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    ((std::get<I>(Table::columns(t)) = column(std::move(std::get<I>(vectors)))), ...);
  }(std::make_index_sequence<n>{});
}

}  // namespace

dataset read_csv(const csv_files& files, const load_options& options) {
  dataset_parts parts;
  parts.csat_scale = options.csat_scale;
  for_each_table(parts, [&](auto& table) {
    using table_type = std::remove_reference_t<decltype(table)>;
    const auto& path = files[table_type::id];
    if (!path) return;
    table_reader in(*path, table_type::name, options, parts.report.tables.emplace_back());
    read_table(in, parts.account_ids, table);
  });
  return dataset(std::move(parts));
}

}  // namespace custhealth
