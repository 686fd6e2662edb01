// src/tracker.cpp — the streaming health tracker: columnar rows per table (checked by the loaders, then
// for lateness; keyed rows replaced in place), a dataset built from them on demand, and the snapshot file.

#include "custhealth/streaming/tracker.hpp"

#include <bit>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <tuple>
#include <type_traits>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include "custhealth/io/csv.hpp"
#include "io/loader.hpp"

namespace custhealth {

static_assert(std::endian::native == std::endian::little, "the snapshot format is little-endian");

namespace {

constexpr char magic[8] = {'C', 'H', 'T', 'R', 'A', 'C', 'K', '\0'};

template <class C>
using value_of = typename std::remove_cvref_t<C>::value_type;

/// One table's accepted rows: a vector per column (the schema's order), the table's text
/// dictionaries, which optional columns any batch had, the latest event time, and the keys seen.
template <class Table>
struct table_rows {
  static constexpr std::size_t n = Table::schema.size();
  using columns_t = decltype(Table::columns(std::declval<Table&>()));
  template <std::size_t... I>
  static auto vectors(std::index_sequence<I...>) -> std::tuple<std::vector<value_of<std::tuple_element_t<I, columns_t>>>...>;

  decltype(vectors(std::make_index_sequence<n>{})) values;
  Table dicts;                   // only its dictionaries are used
  std::array<bool, n> present{};  // an empty_when_absent column that some batch had
  timestamp latest = no_time;   // the latest event time accepted (no_time: none yet)
  detail::key_index keys{Table::key};

  std::size_t size() const noexcept { return std::get<0>(values).size(); }
};

/// The event time a row's lateness is judged by (tables without one: none).
template <class Table>
constexpr bool timed = requires { Table::sort_time; };

template <class Table>
const Table& table_of(const dataset& d) {
  if constexpr (std::is_same_v<Table, account_table>) return d.accounts();
  else if constexpr (std::is_same_v<Table, usage_table>) return d.usage();
  else if constexpr (std::is_same_v<Table, survey_table>) return d.surveys();
  else if constexpr (std::is_same_v<Table, ticket_table>) return d.tickets();
  else if constexpr (std::is_same_v<Table, mrr_table>) return d.mrr();
  else return d.payments();
}

/// The columns' schema index of the time a table is sorted by.
template <class Table>
constexpr std::size_t event_time_column() {
  if constexpr (timed<Table>) {
    for (std::size_t i = 0; i < Table::schema.size(); ++i)
      if (Table::schema[i].kind == column_kind::time || Table::schema[i].kind == column_kind::month) return i;
  }
  return 0;
}

/// Adds one report's counts, reasons and examples (up to the usual few) to another.
void add_report(table_report& to, const table_report& from, const std::function<std::string(const std::string&)>& relabel) {
  to.read += from.read, to.accepted += from.accepted, to.rejected += from.rejected;
  for (const auto& [reason, count] : from.reasons) to.reasons[reason] += count;
  for (const auto& e : from.examples)
    if (to.examples.size() < table_report::max_examples) to.examples.push_back(relabel ? relabel(e) : e);
}

tracker_report empty_report() {
  tracker_report r;
  for (const auto t : enum_values<table_id>()) {
    auto& x = r.tables.tables.emplace_back();
    x.table = to_string(t);
    x.source = "stream";
  }
  return r;
}

// ---- the snapshot's bytes --------------------------------------------------------------------

struct writer {
  std::string out;

  template <class T>
  void pod(const T& v) {
    static_assert(std::is_trivially_copyable_v<T>);
    out.append(reinterpret_cast<const char*>(&v), sizeof v);
  }
  void str(std::string_view s) {
    pod(std::uint32_t(s.size()));
    out.append(s);
  }
  template <class T>
  void vec(const std::vector<T>& v) {
    pod(std::uint64_t(v.size()));
    if (!v.empty()) out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
  }
  void dict(const dictionary& d) {
    pod(std::uint64_t(d.size()));
    for (const auto& s : d.values()) str(s);
  }
};

/// Reads what writer wrote; any read past the end or inconsistent value is "corrupt", with where.
struct reader {
  std::string_view in;
  std::size_t pos = 0;
  std::string file;

  [[noreturn]] void fail(const std::string& why) const {
    throw invalid_input(file + ": not a valid tracker snapshot: " + why + " (at byte " + std::to_string(pos) + ")");
  }
  void need(std::size_t bytes) const {
    if (bytes > in.size() - pos) fail("truncated");
  }
  template <class T>
  T pod() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, in.data() + pos, sizeof v);
    pos += sizeof v;
    return v;
  }
  std::string str() {
    const auto n = pod<std::uint32_t>();
    need(n);
    std::string s(in.substr(pos, n));
    pos += n;
    return s;
  }
  template <class T>
  std::vector<T> vec() {
    const auto n = pod<std::uint64_t>();
    if (n > (in.size() - pos) / sizeof(T)) fail("truncated");
    std::vector<T> v(n);
    if (n > 0) std::memcpy(v.data(), in.data() + pos, n * sizeof(T));  // an empty vector's data() may be null
    pos += n * sizeof(T);
    return v;
  }
  dictionary dict() {
    const auto n = pod<std::uint64_t>();
    if (n > in.size() - pos) fail("truncated");
    dictionary d;
    for (std::uint64_t i = 0; i < n; ++i)
      if (std::size_t(d.intern(str())) != i) fail("a dictionary repeats a value");
    return d;
  }
};

void write_report(writer& w, const tracker_report& r) {
  for (std::size_t t = 0; t < r.tables.tables.size(); ++t) {
    const table_report& x = r.tables.tables[t];
    w.pod(x.read), w.pod(x.accepted), w.pod(x.rejected), w.pod(x.duplicates), w.pod(r.late[t]), w.pod(r.updated[t]);
    w.pod(std::uint32_t(x.reasons.size()));
    for (const auto& [reason, count] : x.reasons) w.str(reason), w.pod(count);
    w.pod(std::uint32_t(x.examples.size()));
    for (const auto& e : x.examples) w.str(e);
  }
}

tracker_report read_report(reader& r, std::uint32_t format) {
  tracker_report out = empty_report();
  for (std::size_t t = 0; t < out.tables.tables.size(); ++t) {
    table_report& x = out.tables.tables[t];
    x.read = r.pod<std::int64_t>(), x.accepted = r.pod<std::int64_t>(), x.rejected = r.pod<std::int64_t>();
    x.duplicates = r.pod<std::int64_t>(), out.late[t] = r.pod<std::int64_t>();
    out.updated[t] = format >= 2 ? r.pod<std::int64_t>() : 0;
    for (auto n = r.pod<std::uint32_t>(); n > 0; --n) {
      std::string reason = r.str();
      x.reasons[reason] = r.pod<std::int64_t>();
    }
    for (auto n = r.pod<std::uint32_t>(); n > 0; --n) x.examples.push_back(r.str());
    if (x.read != x.accepted + x.rejected) r.fail("a report whose rows do not add up");
  }
  return out;
}

/// The card's identity in a snapshot: its name, version and a hash of its JSON (so an edited card
/// with the same name and version is another card).
std::uint64_t card_hash(const scorecard& card) { return fnv1a64(card.to_json()); }

[[noreturn]] void system_error(const std::filesystem::path& path, const char* what) {
  throw std::runtime_error(path.string() + ": " + what + ": " + std::strerror(errno));
}

}  // namespace

// ---- the state -----------------------------------------------------------------------------------

struct health_tracker::state {
  scorecard card;
  tracker_options options;
  dictionary accounts;  // arrival order; a built dataset sorts its copy
  std::tuple<table_rows<account_table>, table_rows<usage_table>, table_rows<survey_table>, table_rows<ticket_table>,
             table_rows<mrr_table>, table_rows<payment_table>>
      tables;
  tracker_report report = empty_report();
  std::uint64_t position = 0;
  std::uint64_t batches = 0;
  timestamp last_alert = no_time;
  mutable std::shared_ptr<const dataset> built;  // null: rows were added since

  template <class F>
  void each_table(F&& f) {
    std::apply([&](auto&... t) { (f(t), ...); }, tables);
  }
  template <class F>
  void each_table(F&& f) const {
    std::apply([&](const auto&... t) { (f(t), ...); }, tables);
  }

  template <class Table>
  void append(table_rows<Table>& rows, const dataset& batch, tracker_report& out);
  template <class Table>
  void write(writer& w, const table_rows<Table>& rows) const;
  template <class Table>
  void read(reader& r, table_rows<Table>& rows);
  std::shared_ptr<const dataset> build() const;
};

/// The batch's rows of one table, each appended unless late (or, keyed, replacing the earlier row of
/// its key), text codes moved into the tracker's dictionaries.
template <class Table>
void health_tracker::state::append(table_rows<Table>& rows, const dataset& batch, tracker_report& out) {
  constexpr std::size_t n = table_rows<Table>::n;
  const Table& b = table_of<Table>(batch);
  const auto t = static_cast<std::size_t>(Table::id);
  table_report& rep = out.tables.tables[t];
  if (const table_report* given = batch.report().find(Table::name); given && !given->source.empty()) add_report(rep, *given, {});
  if (b.size() == 0) return;

  // Per text column, the batch's codes to the tracker's; per batch account, the tracker's code
  // (interned on its first kept row, so an account seen only in rejected rows is none).
  std::array<std::vector<std::int32_t>, n> remap;
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      if constexpr (Table::schema[J].kind == column_kind::text) {
        const dictionary& from = std::get<detail::text_rank<Table>(J)>(Table::dictionaries(b));
        dictionary& to = std::get<detail::text_rank<Table>(J)>(Table::dictionaries(rows.dicts));
        for (const auto& s : from.values()) remap[J].push_back(to.intern(s));
      }
    };
    (one(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<n>{});
  std::vector<std::int32_t> account(batch.n_accounts(), no_code);

  // An optional column absent until now: the rows before this batch had none (no_code).
  const auto batch_columns = Table::columns(b);
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      if constexpr (Table::schema[J].empty_when_absent) {
        if (!std::get<J>(batch_columns).empty() && !rows.present[J]) {
          std::get<J>(rows.values).assign(rows.size(), no_code);
          rows.present[J] = true;
        }
      }
    };
    (one(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<n>{});

  const timestamp bound = rows.latest == no_time ? std::numeric_limits<timestamp>::min()
                                                 : rows.latest - options.lateness_seconds;
  timestamp latest = rows.latest;
  const std::string where = std::string(Table::name) + " batch " + std::to_string(batches);
  for (std::size_t r = 0; r < b.size(); ++r) {
    if constexpr (std::is_same_v<Table, account_table>)
      if (b.start[r] == no_time) continue;  // the row a dataset gives an account of another table
    const std::string& id = batch.account_ids()[b.account[r]];
    auto reject = [&](const problem& p) {
      rep.reject(where + ", account \"" + id + "\"", p, false);
      --rep.accepted;
    };
    timestamp time = no_time;
    if constexpr (timed<Table>) {
      time = (b.*Table::sort_time)[r];
      if (time < bound) {
        ++out.late[t];
        reject({std::string(Table::schema[event_time_column<Table>()].name),
                "is later than the lateness bound (" + std::to_string(options.lateness_seconds) +
                    " s before the latest time of an earlier batch)",
                detail::format_time(time) + ", latest " + detail::format_time(rows.latest)});
        continue;
      }
    }
    std::int32_t& code = account[std::size_t(b.account[r])];
    if (code == no_code) code = accounts.intern(id);
    // A keyed row (an account's, an account-month's MRR) whose key an earlier batch holds replaces
    // that row in place: a stream sends an account again when it ends or renews, a month's MRR again
    // when it is corrected. (Within one batch the loader has already rejected a repeated key.)
    std::int64_t at = -1;
    if constexpr (Table::key != row_key::none)
      at = rows.keys.earlier(code, Table::key == row_key::account_month ? time : no_time, std::int64_t(rows.size()));
    if (at >= 0) ++out.updated[t];
    if constexpr (timed<Table>) latest = std::max(latest, time);
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
        auto& to = std::get<J>(rows.values);
        const auto& from = std::get<J>(batch_columns);
        if (Table::schema[J].empty_when_absent && !rows.present[J]) return;
        value_of<decltype(to)> v{};
        if constexpr (Table::schema[J].kind == column_kind::id) {
          v = code;
        } else if constexpr (Table::schema[J].kind == column_kind::text) {
          const std::int32_t c = from.empty() ? no_code : from[r];
          v = c == no_code ? no_code : remap[J][std::size_t(c)];
        } else {
          v = from[r];
        }
        if (at >= 0)
          to[std::size_t(at)] = v;
        else
          to.push_back(v);
      };
      (one(std::integral_constant<std::size_t, I>{}), ...);
    }(std::make_index_sequence<n>{});
  }
  rows.latest = latest;
}

template <class Table>
void health_tracker::state::write(writer& w, const table_rows<Table>& rows) const {
  w.pod(rows.latest);
  for (const bool p : rows.present) w.pod(std::uint8_t(p));
  std::apply([&](const auto&... d) { (w.dict(d), ...); }, Table::dictionaries(rows.dicts));
  std::apply([&](const auto&... v) { (w.vec(v), ...); }, rows.values);
}

template <class Table>
void health_tracker::state::read(reader& r, table_rows<Table>& rows) {
  constexpr std::size_t n = table_rows<Table>::n;
  rows.latest = r.pod<timestamp>();
  for (auto& p : rows.present) p = r.pod<std::uint8_t>() != 0;
  std::apply([&](auto&... d) { ((d = r.dict()), ...); }, Table::dictionaries(rows.dicts));
  std::apply([&](auto&... v) { ((v = r.vec<value_of<decltype(v)>>()), ...); }, rows.values);
  // Every column as long as the account column (an optional one also empty while absent), every
  // code inside its dictionary and every choice one of its enum's values.
  const std::size_t size = rows.size();
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
      const auto& v = std::get<J>(rows.values);
      constexpr column_schema c = Table::schema[J];
      if (v.size() != size && !(c.empty_when_absent && !rows.present[J] && v.empty()))
        r.fail(std::string(Table::name) + ": columns of different lengths");
      using T = value_of<decltype(v)>;
      for (const T x : v) {
        if constexpr (c.kind == column_kind::id) {
          if (x < 0 || std::size_t(x) >= accounts.size()) r.fail(std::string(Table::name) + ": an account code out of range");
        } else if constexpr (c.kind == column_kind::text) {
          const auto& d = std::get<detail::text_rank<Table>(J)>(Table::dictionaries(rows.dicts));
          if (x < no_code || (x != no_code && std::size_t(x) >= d.size())) r.fail(std::string(Table::name) + ": a code out of range");
        } else if constexpr (std::is_enum_v<T>) {
          if (std::size_t(x) >= enum_size<T>) r.fail(std::string(Table::name) + ": a choice out of range");
        }
      }
    };
    (one(std::integral_constant<std::size_t, I>{}), ...);
  }(std::make_index_sequence<n>{});
  if constexpr (Table::key != row_key::none) {
    const auto& acc = std::get<0>(rows.values);
    for (std::size_t i = 0; i < size; ++i) {
      const timestamp month = Table::key == row_key::account_month ? std::get<event_time_column<Table>()>(rows.values)[i] : no_time;
      if (rows.keys.earlier(acc[i], month, std::int64_t(i)) >= 0) r.fail(std::string(Table::name) + ": a repeated key");
    }
  }
}

std::shared_ptr<const dataset> health_tracker::state::build() const {
  dataset_parts parts;
  parts.account_ids = accounts;
  parts.csat_scale = options.csat_scale;
  parts.report = report.tables;
  auto fill = [&](auto& out, const auto& rows) {
    using Table = std::remove_reference_t<decltype(out)>;
    [&]<std::size_t... I>(std::index_sequence<I...>) {
      auto one = [&]<std::size_t J>(std::integral_constant<std::size_t, J>) {
        if (Table::schema[J].empty_when_absent && !rows.present[J]) return;  // the input never had it
        std::get<J>(Table::columns(out)) = column(std::get<J>(rows.values));
      };
      (one(std::integral_constant<std::size_t, I>{}), ...);
    }(std::make_index_sequence<Table::schema.size()>{});
    Table::dictionaries(out) = Table::dictionaries(rows.dicts);
  };
  fill(parts.accounts, std::get<0>(tables));
  fill(parts.usage, std::get<1>(tables));
  fill(parts.surveys, std::get<2>(tables));
  fill(parts.tickets, std::get<3>(tables));
  fill(parts.mrr, std::get<4>(tables));
  fill(parts.payments, std::get<5>(tables));
  return std::make_shared<const dataset>(std::move(parts));
}

// ---- the public face -------------------------------------------------------------------------------

health_tracker::health_tracker(scorecard card, tracker_options options) : s_(std::make_unique<state>()) {
  if (options.lateness_seconds < 0)
    throw invalid_input("tracker: lateness must be ≥ 0 seconds, got " + std::to_string(options.lateness_seconds));
  if (options.csat_scale < 2) throw invalid_input("tracker: csat_scale must be ≥ 2, got " + std::to_string(options.csat_scale));
  s_->card = std::move(card);
  s_->options = options;
}
health_tracker::health_tracker(std::unique_ptr<state> s) : s_(std::move(s)) {}
health_tracker::~health_tracker() = default;
health_tracker::health_tracker(health_tracker&&) noexcept = default;
health_tracker& health_tracker::operator=(health_tracker&&) noexcept = default;

tracker_report health_tracker::update(const dataset& batch, const std::function<std::string(const std::string&)>& relabel) {
  if (batch.csat_scale() != s_->options.csat_scale)
    throw invalid_input("tracker: the batch was validated with csat_scale " + std::to_string(batch.csat_scale()) +
                        ", the tracker uses " + std::to_string(s_->options.csat_scale));
  tracker_report out = empty_report();
  ++s_->batches;
  s_->each_table([&](auto& rows) { s_->append(rows, batch, out); });
  for (std::size_t t = 0; t < out.tables.tables.size(); ++t) {
    add_report(s_->report.tables.tables[t], out.tables.tables[t], relabel);
    s_->report.late[t] += out.late[t], s_->report.updated[t] += out.updated[t];
  }
  if (relabel)
    for (auto& x : out.tables.tables)
      for (auto& e : x.examples) e = relabel(e);
  s_->built.reset();
  return out;
}

std::shared_ptr<const dataset> health_tracker::data() const {
  if (!s_->built) s_->built = s_->build();
  return s_->built;
}

signal_frame health_tracker::signals(std::vector<timestamp> as_of, const signal_options& options) const {
  return compute_signals(*data(), std::move(as_of), options);
}

scored_card health_tracker::scores(timestamp as_of) const { return score_card(s_->card, *data(), as_of); }

std::vector<timestamp> health_tracker::alert_moments(timestamp as_of) {
  if (s_->last_alert != no_time && as_of <= s_->last_alert)
    throw invalid_input("tracker: alerts as of " + detail::format_time(as_of) + " must be after the previous call's " +
                        detail::format_time(s_->last_alert));
  std::vector<timestamp> moments{as_of};
  if (s_->last_alert != no_time) moments.insert(moments.begin(), s_->last_alert);
  s_->last_alert = as_of;
  return moments;
}

std::vector<alert> health_tracker::alerts(timestamp as_of) {
  std::vector<alert> all = card_alerts(s_->card, *data(), alert_moments(as_of));
  std::erase_if(all, [&](const alert& a) { return a.as_of != as_of; });
  return all;
}

const scorecard& health_tracker::card() const noexcept { return s_->card; }
const tracker_options& health_tracker::options() const noexcept { return s_->options; }
const tracker_report& health_tracker::report() const noexcept { return s_->report; }
std::uint64_t health_tracker::position() const noexcept { return s_->position; }
void health_tracker::set_position(std::uint64_t position) noexcept { s_->position = position; }

void health_tracker::snapshot(const std::filesystem::path& path) const {
  writer payload;
  payload.pod(s_->options.lateness_seconds), payload.pod(std::int32_t(s_->options.csat_scale));
  payload.pod(s_->position), payload.pod(s_->batches), payload.pod(s_->last_alert);
  payload.dict(s_->accounts);
  s_->each_table([&](const auto& rows) { s_->write(payload, rows); });
  write_report(payload, s_->report);

  writer file;
  file.out.reserve(payload.out.size() + 256);
  file.out.append(magic, sizeof magic);
  file.pod(format_version);
  file.str(s_->card.name), file.pod(s_->card.version), file.pod(card_hash(s_->card));
  file.pod(std::uint64_t(payload.out.size()));
  file.out += payload.out;
  file.pod(fnv1a64(file.out));

  // Atomic replacement (POSIX rename(2)); the fsyncs make the new name and bytes durable in that order.
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
  const std::filesystem::path tmp = dir / ("." + path.filename().string() + ".tmp." + std::to_string(::getpid()));
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) system_error(tmp, "cannot create the snapshot's temporary file");
  for (std::size_t done = 0; done < file.out.size();) {
    const ssize_t n = ::write(fd, file.out.data() + done, file.out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd), ::unlink(tmp.c_str());
      errno = e;
      system_error(tmp, "cannot write the snapshot");
    }
    done += std::size_t(n);
  }
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd), ::unlink(tmp.c_str());
    errno = e;
    system_error(tmp, "cannot fsync the snapshot");
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    system_error(path, "cannot rename the snapshot into place");
  }
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) system_error(dir, "cannot open the snapshot's directory");
  const int synced = ::fsync(dfd);
  ::close(dfd);
  if (synced != 0) system_error(dir, "cannot fsync the snapshot's directory");
}

health_tracker health_tracker::restore(const std::filesystem::path& path, scorecard card) {
  std::string bytes;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw invalid_input(path.string() + ": cannot open the snapshot");
    std::ostringstream text;
    text << in.rdbuf();
    bytes = std::move(text).str();
  }
  reader r{bytes, 0, path.string()};
  if (bytes.size() < sizeof magic + 4 || std::memcmp(bytes.data(), magic, sizeof magic) != 0)
    throw invalid_input(path.string() + ": not a custhealth tracker snapshot (no \"CHTRACK\" magic)");
  r.pos = sizeof magic;
  // Version 1 differs only by the report's update counts (none then): read too, so an upgraded
  // service keeps its state.
  const auto format = r.pod<std::uint32_t>();
  if (format != format_version && format != 1)
    throw invalid_input(path.string() + ": snapshot format version " + std::to_string(format) +
                        "; this library reads versions 1 and " + std::to_string(format_version));
  const std::string name = r.str();
  const auto version = r.pod<std::int64_t>();
  const auto hash = r.pod<std::uint64_t>();
  const auto size = r.pod<std::uint64_t>();
  const std::size_t header = r.pos;
  if (size > bytes.size() || bytes.size() - header < size + 8 || bytes.size() - header - 8 != size) {
    const std::uint64_t expected = size > bytes.size() ? size : header + size + 8;
    throw invalid_input(path.string() + ": truncated or damaged snapshot: " + std::to_string(bytes.size()) +
                        " bytes, the header announces " + std::to_string(expected));
  }
  std::uint64_t stored;
  std::memcpy(&stored, bytes.data() + header + size, 8);
  if (fnv1a64(std::string_view(bytes).substr(0, header + size)) != stored)
    throw invalid_input(path.string() + ": corrupt snapshot: the checksum does not match its contents");
  if (name != card.name || version != card.version)
    throw invalid_input(path.string() + ": the snapshot is of card \"" + name + "\" version " + std::to_string(version) +
                        ", not of \"" + card.name + "\" version " + std::to_string(card.version));
  if (hash != card_hash(card))
    throw invalid_input(path.string() + ": the snapshot is of another edition of card \"" + name +
                        "\" (same name and version, different content)");

  auto s = std::make_unique<state>();
  s->card = std::move(card);
  r.in = std::string_view(bytes).substr(0, header + size);
  s->options.lateness_seconds = r.pod<std::int64_t>();
  s->options.csat_scale = r.pod<std::int32_t>();
  s->position = r.pod<std::uint64_t>(), s->batches = r.pod<std::uint64_t>(), s->last_alert = r.pod<timestamp>();
  s->accounts = r.dict();
  s->each_table([&](auto& rows) { s->read(r, rows); });
  s->report = read_report(r, format);
  if (r.pos != r.in.size()) r.fail("bytes after the report");
  if (s->options.lateness_seconds < 0 || s->options.csat_scale < 2) r.fail("invalid options");
  return health_tracker(std::move(s));
}

}  // namespace custhealth
