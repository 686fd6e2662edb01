// tests/cpp/test_feedback_grouped.cpp — grouped NPS / CSAT / CES (custhealth/feedback/grouped.hpp)
// and the group-by engine under it: hand-calculated groups, calendar periods and windows, a
// brute-force reference on random data, row-order independence, exact merges, every bad input.
#include "custhealth/feedback/grouped.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "expect.hpp"

namespace {

using namespace custhealth;
using custhealth::test::invalid_input_message;
using ::testing::HasSubstr;

const std::vector<std::string> segment_labels{"enterprise", "smb", "mid"};

/// Owned columns behind a survey_rows view.
struct survey_data {
  std::vector<timestamp> time;
  std::vector<double> score;
  std::vector<std::int32_t> segment;  // codes into segment_labels, −1 = none
  std::vector<std::uint8_t> kind;     // empty: all rows of the summarised kind

  survey_rows rows() const {
    survey_rows r{time, score, {}, 0, {}};
    if (!kind.empty()) r.kind = std::span<const std::uint8_t>(kind);
    r.keys.push_back({"segment", std::span<const std::int32_t>(segment), {}, segment_labels});
    return r;
  }
  void add(timestamp t, double s, std::int32_t seg) { time.push_back(t), score.push_back(s), segment.push_back(seg); }
};


survey_data random_surveys(std::size_t n, unsigned seed, int low, int high) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> score(low, high), seg(-1, 2);
  std::uniform_int_distribution<timestamp> time(from_civil(2023, 11, 20), from_civil(2024, 7, 10));
  survey_data d;
  for (std::size_t i = 0; i < n; ++i) d.add(time(rng), score(rng), seg(rng));
  return d;
}

/// An independent reference: every row added to a std::map keyed by (segment label or "(none)",
/// period index from time.hpp), with the checked add of the summary.
template <class Summary>
std::map<std::pair<std::string, std::int64_t>, Summary> reference(const survey_data& d, period p, Summary init,
                                                                  timestamp as_of = no_time) {
  std::map<std::pair<std::string, std::int64_t>, Summary> out;
  for (std::size_t r = 0; r < d.time.size(); ++r) {
    if (as_of != no_time && d.time[r] >= as_of) continue;
    const std::string seg = d.segment[r] < 0 ? "(none)" : segment_labels[std::size_t(d.segment[r])];
    auto it = out.emplace(std::pair{seg, period_index(d.time[r], p)}, init).first;
    it->second.add(d.score[r]);
  }
  return out;
}

template <class Summary>
void expect_matches_reference(const grouped<Summary>& got,
                              const std::map<std::pair<std::string, std::int64_t>, Summary>& want, period p) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t g = 0; g < got.size(); ++g) {
    const std::string seg = got.keys.codes[0][g] == no_code ? "(none)" : std::string(got.keys.label(0, g));
    const auto it = want.find({seg, period_index(got.keys.start[g], p)});
    ASSERT_NE(it, want.end()) << seg << " " << format_date(got.keys.start[g]);
    EXPECT_EQ(got.values[g], it->second) << seg << " " << format_date(got.keys.start[g]);
    EXPECT_EQ(got.keys.start[g], period_start(period_index(got.keys.start[g], p), p));
  }
}

}  // namespace

TEST(GroupedNps, HandCalculatedSegmentByMonth) {
  survey_data d;
  const timestamp jan = from_civil(2024, 1, 15), feb = from_civil(2024, 2, 3, 12);
  // enterprise, January: 10, 9, 7, 3 → P = 2, D = 1, N = 4 → NPS 25.
  d.add(jan, 10, 0), d.add(jan, 9, 0), d.add(jan, 7, 0), d.add(jan, 3, 0);
  // enterprise, February: one detractor → −100, SE 0 (a group of one).
  d.add(feb, 0, 0);
  // smb, January: all promoters → 100.
  d.add(jan, 9, 1), d.add(jan + 3600, 10, 1);
  // no segment, February: 8 → a passive, NPS 0.
  d.add(feb, 8, -1);
  const auto got = nps_by(d.rows(), {period::month});
  ASSERT_EQ(got.size(), 4u);
  // Canonical order: absent segment first, then labels alphabetically, then period.
  EXPECT_EQ(got.keys.codes[0][0], no_code);
  EXPECT_EQ(got.keys.label(0, 1), "enterprise");
  EXPECT_EQ(got.keys.label(0, 2), "enterprise");
  EXPECT_EQ(got.keys.label(0, 3), "smb");
  EXPECT_EQ(got.keys.start[1], from_civil(2024, 1, 1));
  EXPECT_EQ(got.keys.start[2], from_civil(2024, 2, 1));
  EXPECT_EQ(got.keys.names, std::vector<std::string>{"segment"});
  EXPECT_EQ(got.keys.period, period::month);

  EXPECT_DOUBLE_EQ(got.values[0].score(), 0.0);
  EXPECT_EQ(got.values[0].passives(), 1);
  const auto& ent = got.values[1];
  EXPECT_EQ(ent.n(), 4);
  EXPECT_DOUBLE_EQ(ent.score(), 25.0);
  // p = 1/2, d = 1/4: SE = 100·sqrt((3/4 − 1/16)/4) = 100·sqrt(11/64).
  EXPECT_NEAR(ent.se(), 100.0 * std::sqrt(11.0 / 64.0), 1e-12);
  EXPECT_DOUBLE_EQ(got.values[2].score(), -100.0);
  EXPECT_DOUBLE_EQ(got.values[2].se(), 0.0);
  EXPECT_DOUBLE_EQ(got.values[3].score(), 100.0);
  EXPECT_DOUBLE_EQ(got.values[3].ci().low, 100.0);
}

TEST(GroupedNps, MatchesReferenceForEveryPeriod) {
  const auto d = random_surveys(20'000, 11, 0, 10);
  for (period p : {period::day, period::week, period::month, period::quarter}) {
    SCOPED_TRACE(to_string(p));
    expect_matches_reference(nps_by(d.rows(), {p}), reference(d, p, nps_summary{}), p);
  }
}

TEST(GroupedCsatCes, MatchReference) {
  const auto c = random_surveys(5'000, 12, 1, 7);
  expect_matches_reference(csat_by(c.rows(), {period::month}, 7, 3), reference(c, period::month, csat_summary(7, 3)),
                           period::month);
  expect_matches_reference(ces_by(c.rows(), {period::week}), reference(c, period::week, ces_summary{}), period::week);
}

TEST(GroupedNps, IsoWeeksStartOnMondayAndQuartersOnTheFirstMonth) {
  survey_data d;
  d.add(from_civil(2024, 1, 7, 23, 59, 59), 10, 0);  // Sunday: ISO week starting Monday 2024-01-01
  d.add(from_civil(2024, 1, 8), 10, 0);              // Monday: the next week
  const auto w = nps_by(d.rows(), {period::week});
  ASSERT_EQ(w.size(), 2u);
  EXPECT_EQ(format_date(w.keys.start[0]), "2024-01-01");
  EXPECT_EQ(format_date(w.keys.start[1]), "2024-01-08");
  const auto q = nps_by(d.rows(), {period::quarter});
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(format_date(q.keys.start[0]), "2024-01-01");
  EXPECT_EQ(q.values[0].n(), 2);
}

TEST(GroupedNps, AsOfExcludesRowsAtOrAfterIt) {
  const auto d = random_surveys(5'000, 13, 0, 10);
  const timestamp as_of = from_civil(2024, 3, 10, 6);
  expect_matches_reference(nps_by(d.rows(), {period::month, as_of}), reference(d, period::month, nps_summary{}, as_of),
                           period::month);
  survey_data edge;
  edge.add(as_of - 1, 10, 0), edge.add(as_of, 0, 0);
  const auto got = nps_by(edge.rows(), {period::day, as_of});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.values[0].promoters(), 1);
}

TEST(GroupedNps, TrailingWindowIsHalfOpen) {
  const timestamp as_of = from_civil(2024, 6, 1);
  survey_data d;
  d.add(as_of - 30 * seconds_per_day - 1, 0, 0);  // just before the window
  d.add(as_of - 30 * seconds_per_day, 10, 0);     // its first second: in
  d.add(as_of - 1, 9, 0);                         // in
  d.add(as_of, 0, 0);                             // as-of itself: out
  d.add(as_of - 5 * seconds_per_day, 3, 1);
  const auto got = nps_by(d.rows(), {std::nullopt, as_of, 30});
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got.keys.window_days, 30);
  EXPECT_FALSE(got.keys.period.has_value());
  EXPECT_EQ(got.keys.start[0], as_of - 30 * seconds_per_day);
  EXPECT_EQ(got.values[0].n(), 2);
  EXPECT_EQ(got.values[0].promoters(), 2);
  EXPECT_EQ(got.values[1].detractors(), 1);
  // A window replaces the calendar period even when one is set.
  EXPECT_EQ(nps_by(d.rows(), {period::day, as_of, 30}), got);
}

TEST(GroupedNps, NoPeriodGivesOneGroupPerKey) {
  const auto d = random_surveys(1'000, 14, 0, 10);
  const auto got = nps_by(d.rows(), {std::nullopt});
  ASSERT_EQ(got.size(), 4u);  // none, enterprise, mid, smb
  std::int64_t total = 0;
  for (std::size_t g = 0; g < got.size(); ++g) {
    EXPECT_EQ(got.keys.start[g], no_time);
    total += got.values[g].n();
  }
  EXPECT_EQ(total, 1'000);
}

TEST(GroupedNps, NoKeysGroupsByPeriodOnly) {
  auto d = random_surveys(2'000, 15, 0, 10);
  survey_rows rows = d.rows();
  rows.keys.clear();
  const auto got = nps_by(rows, {period::quarter});
  EXPECT_TRUE(got.keys.names.empty());
  nps_summary all;
  for (const auto& s : got.values) all += s;
  EXPECT_EQ(all, summarize_nps(d.score));
  EXPECT_TRUE(std::is_sorted(got.keys.start.begin(), got.keys.start.end()));
}

TEST(GroupedNps, RowOrderDoesNotChangeTheResult) {
  auto d = random_surveys(10'000, 16, 0, 10);
  const auto whole = nps_by(d.rows(), {period::week});
  std::vector<std::size_t> order(d.time.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(3));
  survey_data shuffled;
  for (auto i : order) shuffled.add(d.time[i], d.score[i], d.segment[i]);
  const auto again = nps_by(shuffled.rows(), {period::week});
  EXPECT_EQ(again, whole);
  EXPECT_EQ(again.keys.codes, whole.keys.codes);  // same dictionary: same codes, same order
}

TEST(GroupedNps, MergeOfAnySplitEqualsTheWholeInAnyOrder) {
  const auto d = random_surveys(9'000, 17, 0, 10);
  const auto whole = nps_by(d.rows(), {period::month});
  auto part = [&](std::size_t lo, std::size_t hi) {
    survey_data p;
    for (std::size_t i = lo; i < hi; ++i) p.add(d.time[i], d.score[i], d.segment[i]);
    return nps_by(p.rows(), {period::month});
  };
  const auto a = part(0, 1'000), b = part(1'000, 5'500), c = part(5'500, 9'000);
  EXPECT_EQ((a + b) + c, whole);
  EXPECT_EQ(a + (b + c), whole);
  EXPECT_EQ((c + a) + b, whole);
  EXPECT_EQ(b + c + a, whole);
  const auto empty = part(0, 0);
  EXPECT_EQ(whole + empty, whole);
  EXPECT_EQ(empty + whole, whole);
}

TEST(GroupedNps, MergeMatchesGroupsByLabelNotByCode) {
  // The second shard's dictionary lists the segments in another order (and one more).
  const std::vector<std::string> other_labels{"smb", "new", "enterprise"};
  const std::vector<timestamp> t{from_civil(2024, 1, 2), from_civil(2024, 1, 3)};
  const std::vector<double> s1{10, 0}, s2{9, 5};
  const std::vector<std::int32_t> seg1{0, 1}, seg2{2, 0};  // (enterprise, smb) and (enterprise, smb)
  survey_rows r1{t, s1, {}, 0, {{"segment", std::span<const std::int32_t>(seg1), {}, segment_labels}}};
  survey_rows r2{t, s2, {}, 0, {{"segment", std::span<const std::int32_t>(seg2), {}, other_labels}}};
  const auto m = nps_by(r1) + nps_by(r2);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.keys.label(0, 0), "enterprise");
  EXPECT_EQ(m.values[0].n(), 2);
  EXPECT_EQ(m.values[0].promoters(), 2);
  EXPECT_EQ(m.keys.label(0, 1), "smb");
  EXPECT_EQ(m.values[1].detractors(), 2);
  EXPECT_EQ(nps_by(r2) + nps_by(r1), m);
}

TEST(GroupedNps, MergingDifferentAxesThrows) {
  const auto d = random_surveys(100, 18, 0, 10);
  auto a = nps_by(d.rows(), {period::month});
  EXPECT_THROW(a += nps_by(d.rows(), {period::week}), invalid_input);
}

TEST(GroupedNps, NanosecondTicksGiveTheSameGroups) {
  const auto d = random_surveys(3'000, 19, 0, 10);
  std::vector<std::int64_t> ns(d.time.size());
  for (std::size_t i = 0; i < ns.size(); ++i) ns[i] = d.time[i] * 1'000'000'000 + 999'999'999;
  survey_rows rows = d.rows();
  rows.time = time_column(ns, 1'000'000'000);
  EXPECT_EQ(nps_by(rows, {period::day}), nps_by(d.rows(), {period::day}));
  rows.time.ticks_per_second = 7;
  EXPECT_THAT(invalid_input_message([&] { nps_by(rows); }), HasSubstr("unsupported time unit"));
}

TEST(GroupedNps, TimesBeforeTheEpochAndFarApart) {
  survey_data d;
  d.add(from_civil(1969, 12, 31, 23, 59, 59), 10, 0);  // a negative timestamp in December 1969
  d.add(from_civil(1000, 3, 1), 0, 0);                 // far apart: no day table, calendar arithmetic
  d.add(from_civil(4000, 3, 1), 9, 1);
  const auto got = nps_by(d.rows(), {period::month});
  expect_matches_reference(got, reference(d, period::month, nps_summary{}), period::month);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(format_date(got.keys.start[0]), "1000-03-01");
  EXPECT_EQ(format_date(got.keys.start[1]), "1969-12-01");
}

TEST(GroupedNps, RowsOutsideTheSampledTimeRangeAreCounted) {
  // Large inputs size the time axis from a sample; a lone row far outside it (not sampled) must
  // still land in its own period, through the exact second pass.
  auto d = random_surveys(50'001, 22, 0, 10);
  d.time[12'345] = from_civil(1990, 6, 1);
  d.time[40'001] = from_civil(1000, 1, 1);  // far enough for calendar arithmetic instead of a day table
  for (period p : {period::month, period::quarter}) {
    SCOPED_TRACE(to_string(p));
    expect_matches_reference(nps_by(d.rows(), {p}), reference(d, p, nps_summary{}), p);
    // The blocked path (two keys) too.
    survey_rows two = d.rows();
    two.keys.push_back(two.keys[0]);
    two.keys[1].name = "again";
    const auto got = nps_by(two, {p});
    nps_summary all;
    for (const auto& s : got.values) all += s;
    EXPECT_EQ(all, summarize_nps(d.score));
  }
  const auto as_of = nps_by(d.rows(), {period::month, from_civil(1995, 1, 1)});
  ASSERT_EQ(as_of.size(), 2u);  // only the two old rows are before 1995
  EXPECT_EQ(format_date(as_of.keys.start[0]), "1000-01-01");
}

TEST(GroupedNps, LargeKeySpacesUseTheHashedPath) {
  // 300,000 labels × ~240 days exceeds the direct table: groups go through flat_group_map.
  std::vector<std::string> labels(300'000);
  for (std::size_t i = 0; i < labels.size(); ++i) labels[i] = "acct_" + std::to_string(i);
  const auto d = random_surveys(50'000, 20, 0, 10);
  std::vector<std::int32_t> account(d.time.size());
  std::mt19937_64 rng(5);
  for (auto& a : account) a = std::int32_t(rng() % 1'000) * 300;  // 1,000 distinct accounts
  survey_rows rows{d.time, d.score, {}, 0, {{"account", std::span<const std::int32_t>(account), {}, labels}}};
  const auto got = nps_by(rows, {period::day});
  std::map<std::pair<std::string, std::int64_t>, nps_summary> want;
  for (std::size_t r = 0; r < account.size(); ++r)
    want[{labels[std::size_t(account[r])], period_index(d.time[r], period::day)}].add(d.score[r]);
  ASSERT_EQ(got.size(), want.size());
  std::size_t g = 0;
  for (const auto& [key, s] : want) {  // std::map order is the canonical order here
    EXPECT_EQ(got.keys.label(0, g), key.first);
    EXPECT_EQ(period_index(got.keys.start[g], period::day), key.second);
    EXPECT_EQ(got.values[g], s);
    ++g;
  }
}

TEST(GroupedNps, KindFilterSkipsOtherKindsUnchecked) {
  survey_data d;
  const timestamp t = from_civil(2024, 5, 5);
  d.add(t, 10, 0), d.add(t, 55, 0), d.add(t, 2, 0);  // the 55 belongs to another kind
  d.kind = {0, 1, 0};
  survey_rows rows = d.rows();
  rows.kind_code = 0;
  const auto got = nps_by(rows);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.values[0].n(), 2);
  rows.kind_code = 2;  // a kind with no rows: no groups
  EXPECT_TRUE(nps_by(rows).empty());
}

TEST(GroupedFeedback, EmptyTableGivesNoGroups) {
  const survey_data d;
  const auto got = nps_by(d.rows(), {period::month});
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(got.keys.names, std::vector<std::string>{"segment"});
  // Everything after the as-of time: no groups either.
  const auto e = random_surveys(100, 21, 0, 10);
  EXPECT_TRUE(nps_by(e.rows(), {period::month, from_civil(2000, 1, 1)}).empty());
}

TEST(GroupedFeedback, BadScoresThrowNamingTheRow) {
  for (double bad :
       {11.0, -1.0, 7.5, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    survey_data d;
    d.add(from_civil(2024, 1, 1), 5, 0), d.add(from_civil(2024, 1, 2), bad, 0);
    EXPECT_THAT(invalid_input_message([&] { nps_by(d.rows()); }),
                HasSubstr("surveys[1]: NPS must be an integer 0..10"));
  }
  survey_data c;
  c.add(from_civil(2024, 1, 1), 6, 0);
  EXPECT_THAT(invalid_input_message([&] { csat_by(c.rows()); }), HasSubstr("CSAT must be an integer 1..5, got 6"));
  EXPECT_THAT(invalid_input_message([&] { ces_by(c.rows()); }), ::testing::IsEmpty());
  c.score[0] = 0;
  EXPECT_THAT(invalid_input_message([&] { ces_by(c.rows()); }), HasSubstr("CES must be an integer 1..7"));
  // Rows after the as-of time are checked too: bad data is never silently ignored.
  survey_data late;
  late.add(from_civil(2030, 1, 1), 12, 0);
  EXPECT_THAT(invalid_input_message([&] {
                nps_by(late.rows(), {period::month, from_civil(2024, 1, 1)});
              }),
              HasSubstr("surveys[0]"));
}

TEST(GroupedFeedback, OtherBadInputThrows) {
  survey_data d;
  d.add(no_time, 5, 0);
  EXPECT_THAT(invalid_input_message([&] { nps_by(d.rows()); }), HasSubstr("surveys[0]: 'timestamp' is empty"));
  d.time[0] = from_civil(2024, 1, 1);
  d.segment[0] = 3;  // outside the three labels
  EXPECT_THAT(invalid_input_message([&] { nps_by(d.rows()); }), HasSubstr("key 'segment' has code 3"));
  d.segment[0] = -2;
  EXPECT_THAT(invalid_input_message([&] { nps_by(d.rows()); }), HasSubstr("code -2"));
  d.segment[0] = 0;
  // A window without an as-of time ends at the midnight after the latest answer (DESIGN §2).
  EXPECT_EQ(nps_by(d.rows(), {std::nullopt, no_time, 30}), nps_by(d.rows(), {std::nullopt, from_civil(2024, 1, 2), 30}));
  EXPECT_THAT(invalid_input_message([&] { nps_by(d.rows(), {std::nullopt, 0, -1}); }), HasSubstr("window_days"));
  auto rows = d.rows();
  const std::vector<double> two{1, 2};
  rows.score = two;
  EXPECT_THAT(invalid_input_message([&] { nps_by(rows); }), HasSubstr("differ in length"));
  EXPECT_THROW(csat_by(d.rows(), {}, 11), invalid_input);
}

namespace {

/// A small portfolio: accounts with segments and owners (one without either), NPS and CSAT answers.
dataset survey_dataset() {
  dataset_parts p;
  for (const char* id : {"acme", "blue", "cyan", "dune"}) p.account_ids.intern(id);
  p.accounts.account = column(std::vector<std::int32_t>{0, 1, 2, 3});
  p.accounts.start = column(std::vector<timestamp>(4, from_civil(2023, 1, 1)));
  const auto ent = p.accounts.segments.intern("enterprise"), smb = p.accounts.segments.intern("smb");
  p.accounts.segment = column(std::vector<std::int32_t>{ent, smb, ent, no_code});
  const auto ann = p.accounts.owners.intern("ann");
  p.accounts.owner = column(std::vector<std::int32_t>{ann, ann, no_code, no_code});
  const timestamp jan = from_civil(2024, 1, 10), feb = from_civil(2024, 2, 10);
  p.surveys.account = column(std::vector<std::int32_t>{3, 0, 1, 2, 0, 2, 1});
  p.surveys.time = column(std::vector<timestamp>{jan, jan, feb, feb, feb, jan, jan});
  p.surveys.kind =
      column(std::vector<survey_kind>{survey_kind::nps, survey_kind::nps, survey_kind::nps, survey_kind::nps,
                                      survey_kind::csat, survey_kind::nps, survey_kind::csat});
  p.surveys.score = column(std::vector<double>{9, 10, 4, 6, 5, 8, 2});
  return dataset(std::move(p));
}

}  // namespace

TEST(GroupedFeedbackDataset, GroupsByAccountAttributes) {
  const dataset data = survey_dataset();
  const auto by_segment = nps_by(data, {"segment"}, {period::month});
  // (none) Jan: dune 9; enterprise Jan: acme 10, cyan 8; enterprise Feb: cyan 6; smb Feb: blue 4.
  ASSERT_EQ(by_segment.size(), 4u);
  EXPECT_EQ(by_segment.keys.codes[0][0], no_code);
  EXPECT_DOUBLE_EQ(by_segment.values[0].score(), 100.0);
  EXPECT_EQ(by_segment.keys.label(0, 1), "enterprise");
  EXPECT_DOUBLE_EQ(by_segment.values[1].score(), 50.0);
  EXPECT_DOUBLE_EQ(by_segment.values[2].score(), -100.0);
  EXPECT_EQ(by_segment.keys.label(0, 3), "smb");

  const auto by_account = csat_by(data, {"account_id"}, {std::nullopt});
  ASSERT_EQ(by_account.size(), 2u);
  EXPECT_EQ(by_account.keys.label(0, 0), "acme");
  EXPECT_DOUBLE_EQ(by_account.values[0].score(), 100.0);
  EXPECT_EQ(by_account.keys.label(0, 1), "blue");
  EXPECT_DOUBLE_EQ(by_account.values[1].score(), 0.0);

  const auto two_keys = nps_by(data, {"owner", "segment"}, {std::nullopt});
  ASSERT_EQ(two_keys.size(),
            4u);  // (none, none) dune, (none, enterprise) cyan, (ann, enterprise) acme, (ann, smb) blue
  EXPECT_EQ(two_keys.keys.codes[0][0], no_code);
  EXPECT_EQ(two_keys.keys.codes[1][0], no_code);
  EXPECT_EQ(two_keys.keys.label(1, 1), "enterprise");
  EXPECT_EQ(two_keys.values[1].n(), 2);
  EXPECT_EQ(two_keys.keys.label(0, 3), "ann");
  EXPECT_EQ(two_keys.keys.label(1, 3), "smb");
}

TEST(GroupedFeedbackDataset, UnknownAndRepeatedKeysThrow) {
  const dataset data = survey_dataset();
  EXPECT_THAT(invalid_input_message([&] { nps_by(data, {"region"}); }), HasSubstr("unknown key 'region' for surveys"));
  EXPECT_THAT(invalid_input_message([&] { nps_by(data, {"plan", "plan"}); }), HasSubstr("given twice"));
  EXPECT_TRUE(nps_by(dataset{}, {"segment", "plan"}).empty());
}

// Threads split the rows into blocks whose histograms merge exactly: the groups of 1, 2 and 3 threads
// equal the brute-force reference, and a bad row is the first one in row order, whichever thread sees it.
TEST(GroupedFeedback, ThreadsGiveTheSameGroupsAndTheFirstBadRow) {
  auto d = random_surveys(300'001, 31, 0, 10);
  d.time[250'000] = from_civil(1990, 6, 1);  // outside the sampled range: the exact second pass, threaded too
  for (period p : {period::month, period::day}) {
    SCOPED_TRACE(to_string(p));
    const auto want = reference(d, p, nps_summary{});
    for (std::int32_t threads : {1, 2, 3}) {
      SCOPED_TRACE(threads);
      expect_matches_reference(summarize_by(d.rows(), {p}, nps_summary{}, threads), want, p);
    }
  }
  const auto c = random_surveys(200'000, 32, 1, 5);
  EXPECT_EQ(summarize_by(c.rows(), {period::week}, csat_summary(5, 2), 2),
            summarize_by(c.rows(), {period::week}, csat_summary(5, 2), 1));
  d.score[290'000] = 11;  // in the last block of two and of three
  d.score[120'000] = 12;  // in the first of two, the second of three: the first bad row in order
  for (std::int32_t threads : {1, 2, 3})
    EXPECT_EQ(invalid_input_message([&] { summarize_by(d.rows(), {period::month}, nps_summary{}, threads); }),
              "surveys[120000]: NPS must be an integer 0..10, got 12")
        << threads;
  EXPECT_THAT(invalid_input_message([&] { summarize_by(d.rows(), {period::month}, nps_summary{}, 0); }),
              HasSubstr("n_threads must be from 1 to 4096, got 0"));
}

// A row outside the sampled time axis stops its block; a later block's bad row must not be reported
// before the first bad row: the exact second pass reports it, as one thread does.
TEST(GroupedFeedback, ThreadsReportTheFirstBadRowWhenAnEarlierBlockMissedTheAxis) {
  auto d = random_surveys(200'000, 33, 0, 10);
  d.time[1] = from_civil(2010, 1, 1);  // not in the sample of 4,096 rows: the first block stops here
  d.score[5] = 11;
  d.score[150'000] = 12;
  for (std::int32_t threads : {1, 2, 3})
    EXPECT_EQ(invalid_input_message([&] { summarize_by(d.rows(), {period::month}, nps_summary{}, threads); }),
              "surveys[5]: NPS must be an integer 0..10, got 11")
        << threads;
}
