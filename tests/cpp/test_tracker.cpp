// tests/cpp/test_tracker.cpp — the streaming tracker against the batch layer: the same signals, scores
// and alerts bit for bit on rows fed in random batches within the lateness bound; late rows, keys, snapshots.

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>

#include <unistd.h>

#include "custhealth/streaming/tracker.hpp"
#include "custhealth/synth/generate.hpp"

using namespace custhealth;
namespace fs = std::filesystem;

namespace {

/// The rows `rows` of each table of `d` as a dataset of their own (the accounts of those rows, the
/// same text dictionaries, the rows in the order given): a batch as a loader would hand it over.
/// `change` edits the rows before the dataset is made.
dataset subset(const dataset& d, const std::array<std::vector<std::int64_t>, enum_size<table_id>>& rows,
               const std::function<void(dataset_parts&)>& change = {}) {
  dataset_parts p;
  p.csat_scale = d.csat_scale();
  auto take = [&](auto& out, const auto& in) {
    using Table = std::remove_reference_t<decltype(out)>;
    const auto& r = rows[std::size_t(Table::id)];
    auto to = Table::columns(out);
    const auto from = Table::columns(in);
    [&]<std::size_t... I>(std::index_sequence<I...>) { ((std::get<I>(to) = gather(std::get<I>(from), r)), ...); }
    (std::make_index_sequence<Table::schema.size()>{});
    std::vector<std::int32_t> account(out.account.begin(), out.account.end());
    for (auto& a : account) a = p.account_ids.intern(d.account_ids()[a]);
    out.account = column(std::move(account));
    Table::dictionaries(out) = Table::dictionaries(in);
  };
  take(p.accounts, d.accounts()), take(p.usage, d.usage()), take(p.surveys, d.surveys());
  take(p.tickets, d.tickets()), take(p.mrr, d.mrr()), take(p.payments, d.payments());
  if (change) change(p);
  return dataset(std::move(p));
}

std::size_t table_size(const dataset& d, table_id t) {
  switch (t) {
    case table_id::accounts: return d.accounts().size();
    case table_id::usage: return d.usage().size();
    case table_id::surveys: return d.surveys().size();
    case table_id::tickets: return d.tickets().size();
    case table_id::mrr: return d.mrr().size();
    case table_id::payments: break;
  }
  return d.payments().size();
}

timestamp row_time(const dataset& d, table_id t, std::size_t r) {
  switch (t) {
    case table_id::accounts: return d.accounts().start[r];
    case table_id::usage: return d.usage().time[r];
    case table_id::surveys: return d.surveys().time[r];
    case table_id::tickets: return d.tickets().opened[r];
    case table_id::mrr: return d.mrr().month[r];
    case table_id::payments: break;
  }
  return d.payments().time[r];
}

/// Every row of `d` in an arrival order shuffled within `jitter` seconds (each table's rows by
/// time + a uniform delay in [0, jitter)), cut into batches of random sizes: with jitter at most
/// half the lateness bound no row is late. Returns the batches' rows per table.
std::vector<std::array<std::vector<std::int64_t>, enum_size<table_id>>> shuffled_batches(const dataset& d, std::int64_t jitter,
                                                                                      std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  struct arrival {
    double at;
    table_id table;
    std::int64_t row;
  };
  std::vector<arrival> all;
  std::uniform_real_distribution<double> delay(0, double(jitter));
  for (const auto t : enum_values<table_id>())
    for (std::size_t r = 0; r < table_size(d, t); ++r) {
      const timestamp time = row_time(d, t, r);
      if (t == table_id::accounts && time == no_time) continue;
      all.push_back({double(t == table_id::accounts ? 0 : time) + delay(rng), t, std::int64_t(r)});
    }
  std::stable_sort(all.begin(), all.end(), [](const arrival& a, const arrival& b) { return a.at < b.at; });
  std::vector<std::array<std::vector<std::int64_t>, enum_size<table_id>>> batches;
  std::uniform_int_distribution<std::size_t> size(1, 3000);
  for (std::size_t i = 0; i < all.size();) {
    auto& b = batches.emplace_back();
    for (const std::size_t end = std::min(all.size(), i + size(rng)); i < end; ++i)
      b[std::size_t(all[i].table)].push_back(all[i].row);
  }
  return batches;
}

/// The batches' rows in their arrival order as one dataset: what the batch layer sees.
dataset concatenated(const dataset& d, const std::vector<std::array<std::vector<std::int64_t>, enum_size<table_id>>>& batches) {
  std::array<std::vector<std::int64_t>, enum_size<table_id>> rows;
  for (const auto& b : batches)
    for (std::size_t t = 0; t < rows.size(); ++t) rows[t].insert(rows[t].end(), b[t].begin(), b[t].end());
  return subset(d, rows);
}

void expect_same_bits(const signal_frame& a, const signal_frame& b) {
  ASSERT_EQ(a.names, b.names);
  ASSERT_EQ(a.as_of, b.as_of);
  ASSERT_EQ(a.n_accounts, b.n_accounts);
  for (std::size_t c = 0; c < a.values.size(); ++c) {
    ASSERT_EQ(a.values[c].size(), b.values[c].size());
    for (std::size_t i = 0; i < a.values[c].size(); ++i)
      ASSERT_EQ(std::bit_cast<std::uint64_t>(a.values[c][i]), std::bit_cast<std::uint64_t>(b.values[c][i]))
          << a.names[c] << " at " << i << ": " << a.values[c][i] << " vs " << b.values[c][i];
  }
}

scorecard health_card() {
  std::ifstream in(fs::path(CUSTHEALTH_SOURCE_DIR) / "models" / "saas_health_v1.json");
  std::stringstream text;
  text << in.rdbuf();
  return scorecard::parse(text.str(), "saas_health_v1.json");
}

const synthetic_portfolio& portfolio() {
  static const synthetic_portfolio p = generate({.n_accounts = 80, .days = 400, .seed = 11});
  return p;
}

const std::vector<timestamp> moments = {from_civil(2024, 2, 29), from_civil(2024, 7, 1) + 3600, from_civil(2024, 12, 15),
                                        from_civil(2025, 1, 1)};

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("custhealth_tracker_" + std::to_string(::getpid()) + "_" +
                                               ::testing::UnitTest::GetInstance()->current_test_info()->name());
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_bytes(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

}  // namespace

TEST(HealthTracker, SignalsScoresAndAlertsEqualTheBatchLayerOnShuffledBatches) {
  const dataset& d = portfolio().data;
  for (const std::uint64_t seed : {1u, 2u, 3u}) {
    const auto batches = shuffled_batches(d, seconds_per_day / 2, seed);
    health_tracker tracker(health_card());
    for (const auto& b : batches) tracker.update(subset(d, b));
    const dataset reference = concatenated(d, batches);
    EXPECT_EQ(tracker.report().late_rows(table_id::usage), 0);
    EXPECT_EQ(tracker.data()->n_accounts(), reference.n_accounts());
    EXPECT_EQ(tracker.data()->usage().size(), d.usage().size());
    signal_options options;
    options.key_features = {"export", "report"};
    expect_same_bits(tracker.signals(moments, options), compute_signals(reference, moments, options));
    // The card's scores and alerts read the same signals.
    const auto mine = tracker.scores(moments[2]), theirs = score_card(health_card(), reference, moments[2]);
    ASSERT_EQ(mine.scores.score.size(), theirs.scores.score.size());
    for (std::size_t a = 0; a < mine.scores.score.size(); ++a)
      ASSERT_EQ(std::bit_cast<std::uint64_t>(mine.scores.score[a]), std::bit_cast<std::uint64_t>(theirs.scores.score[a]));
    const auto first = tracker.alerts(moments[1]), next = tracker.alerts(moments[2]);
    const auto expected = card_alerts(health_card(), reference, {moments[1], moments[2]});
    ASSERT_EQ(first.size() + next.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const alert& a = i < first.size() ? first[i] : next[i - first.size()];
      EXPECT_EQ(a.account, expected[i].account);
      EXPECT_EQ(a.kind, expected[i].kind);
      EXPECT_EQ(a.as_of, expected[i].as_of);
    }
    EXPECT_THROW(tracker.alerts(moments[2]), invalid_input);  // not after the previous call
  }
}

TEST(HealthTracker, LateRowsAreRejectedCountedAndReported) {
  const dataset& d = portfolio().data;
  const usage_table& u = d.usage();
  // The account's usage rows, then one row 3 days before the latest: late under a 2-day bound.
  std::array<std::vector<std::int64_t>, enum_size<table_id>> early, late;
  timestamp latest = no_time;
  for (std::size_t r = 0; r < u.size(); ++r)
    if (u.time[r] < from_civil(2024, 6, 1)) {
      early[std::size_t(table_id::usage)].push_back(std::int64_t(r));
      latest = std::max(latest, u.time[r]);
    }
  std::int64_t late_row = -1, ok_row = -1;
  for (std::size_t r = 0; r < u.size() && (late_row < 0 || ok_row < 0); ++r) {
    if (late_row < 0 && u.time[r] < latest - 3 * seconds_per_day && u.time[r] > latest - 10 * seconds_per_day) late_row = std::int64_t(r);
    if (ok_row < 0 && u.time[r] >= from_civil(2024, 6, 1)) ok_row = std::int64_t(r);
  }
  ASSERT_GE(late_row, 0);
  late[std::size_t(table_id::usage)] = {late_row, ok_row};
  tracker_options o;
  o.lateness_seconds = 2 * seconds_per_day;
  health_tracker tracker(health_card(), o);
  tracker.update(subset(d, early));
  const tracker_report r = tracker.update(subset(d, late));
  EXPECT_EQ(r.late_rows(table_id::usage), 1);
  const table_report& usage = r.tables.tables[std::size_t(table_id::usage)];
  EXPECT_EQ(usage.read, 2);
  EXPECT_EQ(usage.accepted, 1);
  EXPECT_EQ(usage.rejected, 1);
  ASSERT_EQ(usage.examples.size(), 1u);
  EXPECT_NE(usage.examples[0].find("lateness bound (172800 s"), std::string::npos) << usage.examples[0];
  EXPECT_NE(usage.examples[0].find(d.account_ids()[u.account[std::size_t(late_row)]]), std::string::npos);
  const table_report& total = tracker.report().tables.tables[std::size_t(table_id::usage)];
  EXPECT_EQ(total.read, std::int64_t(early[1].size()) + 2);
  EXPECT_EQ(total.read, total.accepted + total.rejected);
  EXPECT_EQ(tracker.report().late_rows(table_id::usage), 1);
  EXPECT_EQ(tracker.data()->usage().size(), early[1].size() + 1);  // the late row is not kept
  // The same rows without the late one, through the batch layer: the same signals.
  auto kept = early;
  kept[1].push_back(ok_row);
  expect_same_bits(tracker.signals({from_civil(2024, 7, 1)}), compute_signals(subset(d, kept), {from_civil(2024, 7, 1)}));
  // A negative bound is refused.
  o.lateness_seconds = -1;
  EXPECT_THROW(health_tracker(health_card(), o), invalid_input);
}

/// Row `i` of a column set to `v` (columns are immutable once made: a copy).
template <class T>
void set(column<T>& c, std::size_t i, T v) {
  std::vector<T> copy(c.begin(), c.end());
  copy.at(i) = v;
  c = column(std::move(copy));
}

TEST(HealthTracker, KeyedRowsOfAnEarlierBatchAreUpdatedInPlace) {
  const dataset& d = portfolio().data;
  const std::size_t acc = std::size_t(table_id::accounts), mrr = std::size_t(table_id::mrr), usage = std::size_t(table_id::usage);
  std::array<std::vector<std::int64_t>, enum_size<table_id>> first, again;
  first[acc] = {0, 1}, first[mrr] = {0, 1};
  again[acc] = {1, 2}, again[mrr] = {1, 2};
  for (std::size_t r = 0; r < d.usage().size(); ++r)
    if (d.usage().account[r] <= 2) (r % 2 ? again : first)[usage].push_back(std::int64_t(r));
  ASSERT_EQ(d.mrr().account[1], d.mrr().account[2]) << "rows 1 and 2 of the MRR table: one account, two months";
  // The second batch sends account 1 again, now ended 40 days after its start, and corrects its
  // second MRR month.
  const timestamp ended = d.accounts().start[1] + 40 * seconds_per_day;
  const double corrected = d.mrr().mrr[1] + 123.25;
  auto edit = [&](dataset_parts& p) { set(p.accounts.end, 0, ended), set(p.mrr.mrr, 0, corrected); };
  health_tracker tracker(health_card(), {.lateness_seconds = 400 * seconds_per_day});
  tracker.update(subset(d, first));
  const tracker_report r = tracker.update(subset(d, again, edit));
  for (const std::size_t t : {acc, mrr}) {
    EXPECT_EQ(r.tables.tables[t].accepted, 2);
    EXPECT_EQ(r.tables.tables[t].rejected, 0);
    EXPECT_EQ(r.updated[t], 1);
    EXPECT_EQ(tracker.report().updated[t], 1);
  }
  const auto data = tracker.data();
  ASSERT_EQ(data->accounts().size(), 3u);
  ASSERT_EQ(data->mrr().size(), 3u);
  EXPECT_EQ(data->accounts().end[1], ended);
  EXPECT_EQ(data->mrr().mrr[1], corrected);

  // The batch layer on the rows as they stand: account 1 and MRR row 1 as last sent, in their places.
  std::array<std::vector<std::int64_t>, enum_size<table_id>> final_rows;
  final_rows[acc] = {0, 1, 2}, final_rows[mrr] = {0, 1, 2};
  for (const auto* b : {&first, &again}) final_rows[usage].insert(final_rows[usage].end(), (*b)[usage].begin(), (*b)[usage].end());
  auto edit_final = [&](dataset_parts& p) { set(p.accounts.end, 1, ended), set(p.mrr.mrr, 1, corrected); };
  const dataset batch = subset(d, final_rows, edit_final);
  expect_same_bits(tracker.signals(moments), compute_signals(batch, moments));

  // A snapshot keeps the keys: after a restore the same row is an update again, not a second row.
  const temp_dir dir;
  tracker.snapshot(dir.path / "s.snap");
  health_tracker back = health_tracker::restore(dir.path / "s.snap", health_card());
  EXPECT_EQ(back.report().updated[acc], 1);
  std::array<std::vector<std::int64_t>, enum_size<table_id>> once_more;
  once_more[acc] = {1};
  const tracker_report r2 = back.update(subset(d, once_more));
  EXPECT_EQ(r2.updated[acc], 1);
  EXPECT_EQ(back.data()->accounts().size(), 3u);
  EXPECT_EQ(back.data()->accounts().end[1], d.accounts().end[1]);  // the original row, sent last
}

TEST(HealthTracker, SnapshotRestoresTheSameStateAndGoesOn) {
  const temp_dir dir;
  const dataset& d = portfolio().data;
  const auto batches = shuffled_batches(d, 3600, 5);
  const std::size_t half = batches.size() / 2;
  health_tracker tracker(health_card());
  for (std::size_t i = 0; i < half; ++i) tracker.update(subset(d, batches[i]));
  tracker.set_position(12345);
  tracker.snapshot(dir.path / "state.snap");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator{}), 1);  // no temporary left
  health_tracker restored = health_tracker::restore(dir.path / "state.snap", health_card());
  EXPECT_EQ(restored.position(), 12345u);
  expect_same_bits(restored.signals(moments), tracker.signals(moments));
  for (std::size_t i = half; i < batches.size(); ++i) restored.update(subset(d, batches[i]));
  expect_same_bits(restored.signals(moments), compute_signals(concatenated(d, batches), moments));
  const auto& u = restored.report().tables.tables[std::size_t(table_id::usage)];
  EXPECT_EQ(u.read, std::int64_t(d.usage().size()));
  EXPECT_EQ(u.accepted, std::int64_t(d.usage().size()));
}

TEST(HealthTracker, AVersion1SnapshotIsRestored) {
  // Format 1 is format 2 without the report's per-table update counts. A version-1 file is made from
  // a version-2 one of a tracker without rejected rows — whose report ends the payload with, per
  // table, six int64 counts and two empty lists (u32 0, u32 0) — by dropping each sixth count.
  const temp_dir dir;
  const dataset& d = portfolio().data;
  health_tracker tracker(health_card());
  tracker.update(d);
  tracker.snapshot(dir.path / "v2.snap");
  const std::string v2 = read_bytes(dir.path / "v2.snap");
  constexpr std::size_t per_table = 6 * 8 + 2 * 4, tables = enum_size<table_id>;
  const std::size_t report_at = v2.size() - 8 - tables * per_table;
  std::string v1 = v2.substr(0, report_at);
  for (std::size_t t = 0; t < tables; ++t) {
    const std::string table = v2.substr(report_at + t * per_table, per_table);
    ASSERT_EQ(table.substr(6 * 8), std::string(8, '\0')) << "a report with reasons or examples";
    v1 += table.substr(0, 5 * 8) + table.substr(6 * 8);
  }
  v1[8] = 1;
  const std::size_t size_at = 8 + 4 + 4 + tracker.card().name.size() + 8 + 8;
  std::uint64_t size = 0;
  std::memcpy(&size, v1.data() + size_at, 8);
  size -= tables * 8;
  std::memcpy(v1.data() + size_at, &size, 8);
  const std::uint64_t sum = fnv1a64(v1);
  v1.append(reinterpret_cast<const char*>(&sum), 8);
  write_bytes(dir.path / "v1.snap", v1);
  const health_tracker back = health_tracker::restore(dir.path / "v1.snap", health_card());
  expect_same_bits(back.signals(moments), tracker.signals(moments));
  EXPECT_EQ(back.report().tables.tables[0].accepted, tracker.report().tables.tables[0].accepted);
  EXPECT_EQ(back.report().updated_rows(table_id::accounts), 0);
}

TEST(HealthTracker, DamagedSnapshotsAreRefusedWithAClearError) {
  const temp_dir dir;
  const dataset& d = portfolio().data;
  health_tracker tracker(health_card());
  tracker.update(d);
  const fs::path good = dir.path / "good.snap";
  tracker.snapshot(good);
  const std::string bytes = read_bytes(good);
  auto refused = [&](const std::string& content, const std::string& reason, const scorecard& card) {
    const fs::path p = dir.path / "bad.snap";
    write_bytes(p, content);
    try {
      health_tracker::restore(p, card);
      ADD_FAILURE() << "accepted a snapshot that should fail with: " << reason;
    } catch (const invalid_input& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
    }
  };
  // One flipped byte anywhere past the header's version: the checksum (or the announced size) tells.
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20; ++i) {
    std::string flipped = bytes;
    const std::size_t at = 12 + rng() % (bytes.size() - 12);
    flipped[at] = char(flipped[at] ^ (1 << (rng() % 8)));
    const fs::path p = dir.path / "flipped.snap";
    write_bytes(p, flipped);
    EXPECT_THROW(health_tracker::restore(p, health_card()), invalid_input) << "flipped byte " << at;
  }
  std::string payload_flip = bytes;
  payload_flip[bytes.size() / 2] ^= 0x10;
  refused(payload_flip, "checksum does not match", health_card());
  for (const std::size_t cut : {std::size_t(0), std::size_t(5), std::size_t(20), bytes.size() / 3, bytes.size() - 1})
    refused(bytes.substr(0, cut), cut < 12 ? "not a custhealth tracker snapshot" : "truncated", health_card());
  std::string version = bytes;
  version[8] = 7;
  refused(version, "format version 7; this library reads versions 1 and 2", health_card());
  refused("garbage that is long enough to have a header", "not a custhealth tracker snapshot", health_card());
  scorecard other = health_card();
  other.name = "another_card";
  refused(bytes, "not of \"another_card\"", other);
  scorecard edited = health_card();
  edited.groups[0].weight += 1;
  refused(bytes, "another edition of card", edited);
  EXPECT_THROW(health_tracker::restore(dir.path / "missing.snap", health_card()), invalid_input);
  // The good file still restores, to the same signals.
  expect_same_bits(health_tracker::restore(good, health_card()).signals(moments), compute_signals(d, moments));
}

TEST(HealthTracker, ABatchOfAnotherCsatScaleIsRefused) {
  dataset_parts p;
  p.csat_scale = 7;
  health_tracker tracker(health_card());
  EXPECT_THROW(tracker.update(dataset(std::move(p))), invalid_input);
}

TEST(HealthTracker, Fnv1a64MatchesThePublishedVectors) {
  // The FNV test vectors of Fowler, Noll and Vo (draft-eastlake-fnv, appendix): "" and "a", "foobar".
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
}
