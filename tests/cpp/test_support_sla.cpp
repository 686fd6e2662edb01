// tests/cpp/test_support_sla.cpp — support SLA (custhealth/support/sla.hpp): met / breached / pending
// by hand, duration quantiles (numpy's linear interpolation), backlog aging, task completion,
// targets, merges and row order, every bad input.
#include "custhealth/support/sla.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "expect.hpp"

namespace {

using namespace custhealth;
using custhealth::test::invalid_input_message;
using ::testing::HasSubstr;

constexpr std::int64_t hour = 3600;
const timestamp T = from_civil(2024, 3, 1);

/// Owned columns behind a ticket_rows view, keyed by priority.
struct ticket_data {
  std::vector<timestamp> opened, first_response, resolved;
  std::vector<priority> prio;

  void add(priority p, timestamp o, timestamp f = no_time, timestamp r = no_time) {
    prio.push_back(p), opened.push_back(o), first_response.push_back(f), resolved.push_back(r);
  }
  ticket_rows rows(bool keyed = true) const {
    ticket_rows out{opened, first_response, resolved, std::span<const priority>(prio), {}};
    if (keyed) out.keys.push_back({"priority", std::span<const priority>(prio), {}, detail::priority_labels()});
    return out;
  }
};

/// The worked example of the tests below (see each ticket's comment).
ticket_data example() {
  ticket_data d;
  const timestamp jan10 = from_civil(2024, 1, 10, 9);
  d.add(priority::urgent, jan10, jan10 + hour / 2, jan10 + 5 * hour);                 // 1: met, resolved in Jan
  d.add(priority::urgent, jan10 + hour, jan10 + 3 * hour, jan10 + hour + 48 * hour);  // 2: breached (2 h > 1 h)
  d.add(priority::high, from_civil(2024, 1, 20), from_civil(2024, 1, 20, 2));         // 3: met exactly at target; open
  d.add(priority::normal, T - hour);              // 4: unanswered, 1 h < 2 h: pending
  d.add(priority::low, from_civil(2024, 2, 20));  // 5: unanswered 9 d > 8 h: breached
  d.add(priority::low, from_civil(2024, 2, 28, 12), from_civil(2024, 3, 2),
        from_civil(2024, 3, 3));  // 6: answered after T
  d.add(priority::normal, from_civil(2024, 1, 31, 23), from_civil(2024, 2, 1), from_civil(2024, 2, 1, 1));  // 7
  d.add(priority::normal, from_civil(2024, 3, 5));  // 8: opened after T
  d.add(priority::high, T - 2 * hour);              // 9: unanswered exactly at target: pending
  return d;
}


}  // namespace

TEST(SlaSummary, HandCalculatedPriorityByMonth) {
  const auto got = sla_summary(example().rows(), {period::month, T});
  ASSERT_EQ(got.size(), 6u);
  auto at = [&](std::size_t g, const char* prio, const char* month) -> const sla_stats& {
    EXPECT_EQ(got.keys.label(0, g), prio);
    EXPECT_EQ(format_date(got.keys.start[g]).substr(0, 7), month);
    return got.values[g];
  };
  // Labels in order: high, low, normal, urgent.
  const auto& high_jan = at(0, "high", "2024-01").counts;
  EXPECT_EQ(high_jan.opened, 1);
  EXPECT_EQ(high_jan.met, 1);
  EXPECT_EQ(high_jan.open, 1);
  const auto& high_feb = at(1, "high", "2024-02").counts;
  EXPECT_EQ(high_feb.pending, 1);
  EXPECT_EQ(high_feb.breached, 0);
  EXPECT_TRUE(std::isnan(high_feb.met_rate()));
  const auto& low_feb = at(2, "low", "2024-02").counts;
  EXPECT_EQ(low_feb.opened, 2);
  EXPECT_EQ(low_feb.breached, 2);
  EXPECT_EQ(low_feb.answered, 0);  // ticket 6 was answered only after T
  EXPECT_EQ(low_feb.open, 2);
  EXPECT_DOUBLE_EQ(low_feb.met_rate(), 0.0);
  const auto& normal_jan = at(3, "normal", "2024-01").counts;
  EXPECT_EQ(normal_jan.resolved, 1);
  EXPECT_EQ(normal_jan.resolved_in_period, 0);  // resolved on Feb 1
  EXPECT_DOUBLE_EQ(normal_jan.completion(), 0.0);
  const auto& normal_feb = at(4, "normal", "2024-02").counts;
  EXPECT_EQ(normal_feb.opened, 1);
  EXPECT_EQ(normal_feb.pending, 1);
  EXPECT_EQ(normal_feb.resolved_in_period, 1);
  EXPECT_DOUBLE_EQ(normal_feb.completion(), 1.0);
  const auto& urgent = at(5, "urgent", "2024-01");
  EXPECT_EQ(urgent.counts.opened, 2);
  EXPECT_EQ(urgent.counts.met, 1);
  EXPECT_EQ(urgent.counts.breached, 1);
  EXPECT_DOUBLE_EQ(urgent.counts.met_rate(), 0.5);
  EXPECT_DOUBLE_EQ(urgent.counts.completion(), 1.0);
  // First responses 1,800 s and 7,200 s: median 4,500; p90 = 1,800 + 0.9·5,400 = 6,660 (numpy linear).
  EXPECT_EQ(urgent.first_response.n, 2);
  EXPECT_DOUBLE_EQ(urgent.first_response.mean, 4'500.0);
  EXPECT_DOUBLE_EQ(urgent.first_response.median, 4'500.0);
  EXPECT_DOUBLE_EQ(urgent.first_response.p90, 6'660.0);
  // Resolutions 5 h and 48 h.
  EXPECT_DOUBLE_EQ(urgent.resolution.median, 95'400.0);
  EXPECT_DOUBLE_EQ(urgent.resolution.p90, 18'000.0 + 0.9 * 154'800.0);
  EXPECT_TRUE(std::isnan(at(1, "high", "2024-02").first_response.median));
}

TEST(SlaSummary, MetRateHasAWilsonInterval) {
  sla_counts c;
  c.met = 45, c.breached = 5;
  // Published (DESIGN reference): 45 of 50 → (0.786398, 0.956524).
  EXPECT_NEAR(c.met_ci().low, 0.786398, 1e-6);
  EXPECT_NEAR(c.met_ci().high, 0.956524, 1e-6);
  EXPECT_TRUE(std::isnan(sla_counts{}.met_ci().low));
}

TEST(SlaSummary, TargetsAreConfigurable) {
  sla_targets targets;
  targets.set(priority::urgent, 3 * hour);
  const auto got = sla_summary(example().rows(), {period::month, T}, targets);
  EXPECT_EQ(got.values[5].counts.met, 2);
  EXPECT_THAT(invalid_input_message([&] { targets.set(priority::low, -1); }), HasSubstr("SLA target for low"));
  EXPECT_EQ(sla_targets{}[priority::low], 8 * hour);
  EXPECT_EQ(sla_targets{}[priority::normal], 2 * hour);
  EXPECT_EQ(sla_targets{}[priority::high], 2 * hour);
  EXPECT_EQ(sla_targets{}[priority::urgent], 1 * hour);
}

TEST(SlaSummary, TrailingWindowAndDefaultAsOf) {
  const auto d = example();
  const auto w = sla_summary(d.rows(false), {std::nullopt, T, 30});
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w.keys.start[0], T - 30 * seconds_per_day);
  EXPECT_EQ(w.values[0].counts.opened, 5);              // tickets 4, 5, 6, 7, 9
  EXPECT_EQ(w.values[0].counts.resolved_in_period, 1);  // ticket 7
  // The default as-of is the midnight after the latest time in the table (ticket 8's opening).
  const auto all = sla_summary(d.rows(false), {std::nullopt});
  const auto explicit_as_of = sla_summary(d.rows(false), {std::nullopt, from_civil(2024, 3, 6)});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all.values[0].counts, explicit_as_of.values[0].counts);
  EXPECT_EQ(all.values[0].counts.opened, 9);
}

TEST(SlaSummary, SubSecondTicksFloorToSecondsForTheAxisAndTheDefaultAsOf) {
  // Milliseconds before 1970, where flooring and truncating differ: ticket 1 opens at 1969-12-30
  // 23:59:59.5 (second −86401, not −86400) and resolves 1 ms before 1970; ticket 2 opens 1.5 s
  // before 1970 and is answered 1 ms before it, the latest time (second −1), so T = 0.
  const std::vector<std::int64_t> opened_ms{-86'400'500, -1'500}, first_ms{no_time, -1}, resolved_ms{-1, no_time};
  const ticket_rows ms{
      time_column(opened_ms, 1'000), time_column(first_ms, 1'000), time_column(resolved_ms, 1'000), {}, {}};
  EXPECT_EQ(detail::ticket_as_of(ms, no_time), 0);
  const std::vector<timestamp> opened{-86'401, -2}, first{no_time, -1}, resolved{-1, no_time};
  const ticket_rows seconds{opened, first, resolved, {}, {}};
  const auto got = sla_summary(ms, {period::day});
  const auto want = sla_summary(seconds, {period::day, 0});
  ASSERT_EQ(got.size(), 2u);  // 1969-12-30 (ticket 1 opened) and 1969-12-31 (ticket 2; ticket 1 resolved)
  EXPECT_EQ(got.keys.start, want.keys.start);
  EXPECT_EQ(got.keys.start[0], -2 * seconds_per_day);
  for (std::size_t g = 0; g < got.size(); ++g) EXPECT_EQ(got.values[g].counts, want.values[g].counts);
}

TEST(TicketBacklog, AgesOpenTicketsAsOfT) {
  const auto got = ticket_backlog(example().rows(), T);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got.keys.start[0], no_time);
  EXPECT_EQ(got.keys.label(0, 0), "high");  // tickets 9 (2 h) and 3 (41 d)
  EXPECT_EQ(got.values[0].by_age, (std::array<std::int64_t, 5>{1, 0, 0, 0, 1}));
  EXPECT_EQ(got.keys.label(0, 1), "low");  // tickets 6 (1.5 d) and 5 (10 d)
  EXPECT_EQ(got.values[1].by_age, (std::array<std::int64_t, 5>{0, 1, 0, 1, 0}));
  EXPECT_EQ(got.keys.label(0, 2), "normal");  // ticket 4 (1 h)
  EXPECT_EQ(got.values[2].total(), 1);
  backlog_counts b;
  for (std::int64_t age : {0L, seconds_per_day - 1, seconds_per_day, 3 * seconds_per_day, 7 * seconds_per_day - 1,
                           7 * seconds_per_day, 30 * seconds_per_day})
    b.add_age(age);
  EXPECT_EQ(b.by_age, (std::array<std::int64_t, 5>{2, 1, 2, 1, 1}));
  EXPECT_TRUE(ticket_backlog(ticket_data{}.rows()).empty());
}

namespace {

ticket_data random_tickets(std::size_t n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<timestamp> open(from_civil(2024, 1, 1), from_civil(2024, 6, 1));
  std::uniform_int_distribution<std::int64_t> delay(0, 20 * hour);
  std::uniform_int_distribution<int> prio(0, 3), coin(0, 3);
  ticket_data d;
  for (std::size_t i = 0; i < n; ++i) {
    const timestamp o = open(rng);
    const timestamp f = coin(rng) == 0 ? no_time : o + delay(rng);
    const timestamp r = coin(rng) == 0 ? no_time : o + delay(rng) * 10;
    d.add(static_cast<priority>(prio(rng)), o, f, r);
  }
  return d;
}

}  // namespace

namespace {

/// sla_summary by priority × month checked against a brute-force reference: the counts, and the p90
/// of first response as numpy.quantile(x, 0.9) with its default "linear" method.
void expect_brute_force_sla(const ticket_data& d, timestamp as_of, const grouped<sla_stats>& got) {
  const sla_targets targets;
  struct ref {
    sla_counts c;
    std::vector<std::int64_t> frt;
  };
  std::map<std::pair<std::string, std::int64_t>, ref> want;
  for (std::size_t i = 0; i < d.opened.size(); ++i) {
    const std::string p(to_string(d.prio[i]));
    if (d.opened[i] < as_of) {
      auto& g = want[{p, period_index(d.opened[i], period::month)}];
      ++g.c.opened;
      const bool answered = d.first_response[i] != no_time && d.first_response[i] < as_of;
      const bool resolved = d.resolved[i] != no_time && d.resolved[i] < as_of;
      if (answered) {
        const auto frt = d.first_response[i] - d.opened[i];
        ++g.c.answered, g.c.first_response_seconds += frt, g.frt.push_back(frt);
        ++(frt <= targets[d.prio[i]] ? g.c.met : g.c.breached);
      } else {
        ++(as_of - d.opened[i] > targets[d.prio[i]] ? g.c.breached : g.c.pending);
      }
      if (resolved)
        ++g.c.resolved, g.c.resolution_seconds += d.resolved[i] - d.opened[i];
      else
        ++g.c.open;
    }
    if (d.resolved[i] != no_time && d.resolved[i] < as_of)
      ++want[{p, period_index(d.resolved[i], period::month)}].c.resolved_in_period;
  }
  ASSERT_EQ(got.size(), want.size());
  std::size_t g = 0;
  for (auto& [key, r] : want) {
    EXPECT_EQ(got.keys.label(0, g), key.first);
    EXPECT_EQ(period_index(got.keys.start[g], period::month), key.second);
    EXPECT_EQ(got.values[g].counts, r.c);
    std::sort(r.frt.begin(), r.frt.end());
    if (!r.frt.empty()) {
      const double h = 0.9 * double(r.frt.size() - 1);
      const auto lo = std::size_t(h);
      const double hi = double(r.frt[std::min(lo + 1, r.frt.size() - 1)]);
      EXPECT_DOUBLE_EQ(got.values[g].first_response.p90,
                       double(r.frt[lo]) + (h - double(lo)) * (hi - double(r.frt[lo])));
    }
    ++g;
  }
}

/// Bit for bit: the same groups, counts, and duration means and quantiles (NaN where both are).
void expect_same_sla_bits(const grouped<sla_stats>& got, const grouped<sla_stats>& want) {
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(got.keys.start, want.keys.start);
  EXPECT_EQ(got.keys.codes, want.keys.codes);
  for (std::size_t g = 0; g < want.size(); ++g) {
    EXPECT_EQ(got.values[g].counts, want.values[g].counts);
    for (auto [x, y] : {std::pair{got.values[g].first_response, want.values[g].first_response},
                        std::pair{got.values[g].resolution, want.values[g].resolution}}) {
      EXPECT_EQ(x.n, y.n);
      for (auto [a, b] : {std::pair{x.mean, y.mean}, std::pair{x.median, y.median}, std::pair{x.p90, y.p90}})
        EXPECT_TRUE(std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b)) << a << " vs " << b;
    }
  }
}

}  // namespace

TEST(SlaSummary, MatchesABruteForceReference) {
  const auto d = random_tickets(4'000, 3);
  const timestamp as_of = from_civil(2024, 5, 20);
  expect_brute_force_sla(d, as_of, sla_summary(d.rows(), {period::month, as_of}));
}

TEST(SlaSummary, ThreadsGiveOneThreadsBitsAndTheReference) {
  // 200,000 tickets: three blocks of the rows grain (65,536) each, so 2 and 3 threads really split.
  const auto d = random_tickets(200'000, 12);
  const timestamp as_of = from_civil(2024, 5, 20);
  ASSERT_EQ(block_count(d.opened.size(), 3, block_grain::rows), 3u);
  const auto one = sla_summary(d.rows(), {period::month, as_of}, {}, 1);
  expect_brute_force_sla(d, as_of, one);
  for (const std::int32_t threads : {2, 3}) {
    SCOPED_TRACE(threads);
    expect_same_sla_bits(sla_summary(d.rows(), {period::month, as_of}, {}, threads), one);
    // Weekly, with a window and without keys: other group layouts through the same merge.
    expect_same_sla_bits(sla_summary(d.rows(false), {period::week, as_of}, {}, threads),
                         sla_summary(d.rows(false), {period::week, as_of}));
    expect_same_sla_bits(sla_summary(d.rows(), {std::nullopt, as_of, 30}, {}, threads),
                         sla_summary(d.rows(), {std::nullopt, as_of, 30}));
  }
  // The first bad ticket in row order is reported, whichever block's thread meets one first.
  auto bad = d;
  bad.resolved[199'000] = bad.opened[199'000] - hour;
  bad.first_response[150'000] = bad.opened[150'000] - hour;
  for (const std::int32_t threads : {1, 3})
    EXPECT_THAT(invalid_input_message([&] { sla_summary(bad.rows(), {period::month, as_of}, {}, threads); }),
                HasSubstr("tickets[150000]: 'first_response_at'"));
  for (const std::int32_t threads : {0, -1, max_threads + 1})
    EXPECT_THAT(invalid_input_message([&] { sla_summary(d.rows(), {period::month, as_of}, {}, threads); }),
                HasSubstr("SLA summary: n_threads must be from 1 to 4096"));
}

TEST(SlaCounts, MergeOfAnySplitAndAnyRowOrderGiveTheSameCounts) {
  const auto d = random_tickets(3'000, 4);
  const timestamp as_of = from_civil(2024, 5, 1);
  const auto whole = sla_counts_by(d.rows(), {period::week, as_of});
  auto part = [&](std::size_t lo, std::size_t hi) {
    ticket_data p;
    for (std::size_t i = lo; i < hi; ++i) p.add(d.prio[i], d.opened[i], d.first_response[i], d.resolved[i]);
    return sla_counts_by(p.rows(), {period::week, as_of});
  };
  const auto a = part(0, 700), b = part(700, 2'000), c = part(2'000, 3'000);
  EXPECT_EQ((a + b) + c, whole);
  EXPECT_EQ(a + (b + c), whole);
  EXPECT_EQ(c + b + a, whole);
  ticket_data reversed;
  for (std::size_t i = d.opened.size(); i-- > 0;)
    reversed.add(d.prio[i], d.opened[i], d.first_response[i], d.resolved[i]);
  EXPECT_EQ(sla_counts_by(reversed.rows(), {period::week, as_of}), whole);
  const auto backlog = ticket_backlog(d.rows(), as_of);
  ticket_data first, second;
  for (std::size_t i = 0; i < d.opened.size(); ++i)
    (i % 3 == 0 ? first : second).add(d.prio[i], d.opened[i], d.first_response[i], d.resolved[i]);
  EXPECT_EQ(ticket_backlog(first.rows(), as_of) + ticket_backlog(second.rows(), as_of), backlog);
}

TEST(SlaPartials, MergedShardsGiveSlaSummaryOfAllTicketsQuantilesIncluded) {
  const auto d = random_tickets(3'000, 9);
  const timestamp as_of = from_civil(2024, 5, 1);
  const auto whole = sla_summary(d.rows(), {period::month, as_of});
  auto part = [&](std::size_t lo, std::size_t hi) {
    ticket_data p;
    for (std::size_t i = lo; i < hi; ++i) p.add(d.prio[i], d.opened[i], d.first_response[i], d.resolved[i]);
    return sla_partials(p.rows(), {period::month, as_of});
  };
  const auto a = part(0, 1'100), b = part(1'100, 1'101), c = part(1'101, 3'000);
  const auto merged = (c + a) + b;
  EXPECT_EQ(merged, a + (b + c));  // sorted duration lists: the same state in any merge order
  ASSERT_EQ(merged.size(), whole.size());
  for (std::size_t g = 0; g < whole.size(); ++g) {
    const sla_stats s = merged.values[g].stats();
    EXPECT_EQ(s.counts, whole.values[g].counts);
    for (auto [got, want] : {std::pair{s.first_response, whole.values[g].first_response},
                             std::pair{s.resolution, whole.values[g].resolution}}) {
      EXPECT_EQ(got.n, want.n);
      // Bit for bit: integer sums and the same sorted values behind each quantile.
      for (auto [x, y] : {std::pair{got.mean, want.mean}, std::pair{got.median, want.median},
                          std::pair{got.p90, want.p90}})
        EXPECT_TRUE(x == y || (std::isnan(x) && std::isnan(y))) << x << " vs " << y;
    }
  }
}

TEST(SlaSummary, BadInputThrows) {
  ticket_data d;
  d.add(priority::high, from_civil(2024, 1, 2), from_civil(2024, 1, 1));
  EXPECT_THAT(invalid_input_message([&] { sla_summary(d.rows()); }),
              HasSubstr("tickets[0]: 'first_response_at' (2024-01-01) is before 'opened_at' (2024-01-02)"));
  EXPECT_THAT(invalid_input_message([&] { ticket_backlog(d.rows()); }), HasSubstr("is before 'opened_at'"));
  d.first_response[0] = no_time;
  d.resolved[0] = from_civil(2023, 12, 1);
  EXPECT_THAT(invalid_input_message([&] { sla_summary(d.rows()); }), HasSubstr("'resolved_at' (2023-12-01) is before"));
  d.resolved[0] = no_time;
  d.opened[0] = no_time;
  EXPECT_THAT(invalid_input_message([&] {
                sla_summary(d.rows(false), {std::nullopt, T});
              }),
              HasSubstr("tickets[0]: 'opened_at' is empty"));
  d.opened[0] = from_civil(2024, 1, 2);
  const std::vector<std::uint8_t> bad_priority{7};
  auto rows = d.rows(false);
  rows.prio = std::span<const std::uint8_t>(bad_priority);
  EXPECT_THAT(invalid_input_message([&] { sla_summary(rows); }), HasSubstr("unknown priority code 7"));
  const std::vector<timestamp> two{1, 2};
  rows = d.rows(false);
  rows.resolved = two;
  EXPECT_THAT(invalid_input_message([&] { sla_summary(rows); }), HasSubstr("'resolved_at' has 2 rows"));
  EXPECT_TRUE(sla_summary(ticket_data{}.rows()).empty());
  EXPECT_TRUE(sla_counts_by(ticket_data{}.rows(), {period::month, T}).empty());
}

TEST(SlaSummary, OptionalColumnsMayBeAbsent) {
  // Only opened_at: every ticket is normal, unanswered and open.
  const std::vector<timestamp> opened{T - 3 * hour, T - hour};
  const ticket_rows rows{opened, {}, {}, {}, {}};
  const auto got = sla_summary(rows, {std::nullopt, T});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.values[0].counts.breached, 1);
  EXPECT_EQ(got.values[0].counts.pending, 1);
  EXPECT_EQ(got.values[0].counts.open, 2);
}

TEST(SlaDataset, GroupsByTicketOwnerPriorityAndAccountAttributes) {
  dataset_parts p;
  for (const char* id : {"acme", "blue"}) p.account_ids.intern(id);
  p.accounts.account = column(std::vector<std::int32_t>{0, 1});
  p.accounts.start = column(std::vector<timestamp>(2, from_civil(2023, 1, 1)));
  p.accounts.owner = column(std::vector<std::int32_t>{p.accounts.owners.intern("csm_ann"), no_code});
  p.tickets.account = column(std::vector<std::int32_t>{0, 1, 1});
  p.tickets.opened = column(std::vector<timestamp>{T - 10 * hour, T - 10 * hour, T - 5 * hour});
  p.tickets.first_response = column(std::vector<timestamp>{T - 9 * hour, no_time, T - 4 * hour});
  p.tickets.resolved = column(std::vector<timestamp>{no_time, no_time, T - 1});
  p.tickets.prio = column(std::vector<priority>{priority::urgent, priority::low, priority::low});
  const auto bob = p.tickets.owners.intern("agent_bob");
  p.tickets.owner = column(std::vector<std::int32_t>{bob, no_code, bob});
  const dataset data(std::move(p));

  const auto by_owner = sla_summary(data, {"owner"}, {std::nullopt, T});
  ASSERT_EQ(by_owner.size(), 2u);
  EXPECT_EQ(by_owner.keys.codes[0][0], no_code);  // the unassigned ticket: its own group
  EXPECT_EQ(by_owner.values[0].counts.breached, 1);
  EXPECT_EQ(by_owner.keys.label(0, 1), "agent_bob");
  EXPECT_EQ(by_owner.values[1].counts.met, 2);
  const auto by_account_owner = sla_summary(data, {"account_owner", "priority"}, {std::nullopt, T});
  ASSERT_EQ(by_account_owner.size(), 2u);
  EXPECT_EQ(by_account_owner.keys.codes[0][0], no_code);
  EXPECT_EQ(by_account_owner.values[0].counts.opened, 2);
  EXPECT_EQ(by_account_owner.keys.label(0, 1), "csm_ann");
  EXPECT_EQ(by_account_owner.keys.label(1, 1), "urgent");
  const auto backlog = ticket_backlog(data, {"account_id"}, T);
  ASSERT_EQ(backlog.size(), 2u);
  EXPECT_EQ(backlog.values[1].by_age[0], 1);  // blue: one open ticket, 10 h old
  EXPECT_THAT(invalid_input_message([&] { sla_summary(data, {"team"}); }),
              HasSubstr("unknown key 'team' for tickets: expected one of priority, owner, account_id"));
}

TEST(SlaDataset, AsOfDefaultsToTheEndOfTheTicketsTable) {
  // One low-priority ticket opened 10 h before T (a midnight), never answered; usage runs on to
  // T + 2 d 10 h. The default as-of is the end of the tickets table, the midnight after its latest
  // time (T), on the dataset and the bare-columns routes alike (DESIGN §2): the usage table's later
  // end does not move it. At T the ticket is 10 h old, past the 8 h target: breached.
  dataset_parts p;
  p.account_ids.intern("acme");
  p.tickets.account = column(std::vector<std::int32_t>{0});
  p.tickets.opened = column(std::vector<timestamp>{T - 10 * hour});
  p.tickets.first_response = column(std::vector<timestamp>{no_time});
  p.tickets.resolved = column(std::vector<timestamp>{no_time});
  p.tickets.prio = column(std::vector<priority>{priority::low});
  p.tickets.owner = column(std::vector<std::int32_t>{no_code});
  p.usage.account = column(std::vector<std::int32_t>{0});
  p.usage.time = column(std::vector<timestamp>{T + 2 * seconds_per_day + 10 * hour});
  p.usage.event = column(std::vector<std::int32_t>{p.usage.events.intern("login")});
  p.usage.value = column(std::vector<double>{1});
  const dataset data(std::move(p));

  EXPECT_EQ(sla_as_of(data), T);
  EXPECT_EQ(sla_as_of(data, T + 5), T + 5);  // a given as-of is kept
  const auto got = sla_summary(data, {}, {std::nullopt});
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.values[0].counts, sla_summary(data, {}, {std::nullopt, T}).values[0].counts);
  EXPECT_EQ(got.values[0].counts.breached, 1);
  EXPECT_EQ(sla_summary(ticket_rows_of(data, {}), {std::nullopt}).values[0].counts, got.values[0].counts);
  const auto backlog = ticket_backlog(data, {});
  ASSERT_EQ(backlog.size(), 1u);
  EXPECT_EQ(backlog.values[0].by_age[0], 1);  // 10 h old at the end of the tickets: < 1 d
  // No tickets: no as-of, as for an empty table.
  EXPECT_EQ(sla_as_of(dataset(dataset_parts{})), no_time);
}
