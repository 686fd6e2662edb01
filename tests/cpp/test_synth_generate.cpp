// tests/cpp/test_synth_generate.cpp — the synthetic portfolio generator: determinism, the domain
// invariants of every table, the documented health model showing in the data, and CSV output.
#include "custhealth/synth/generate.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "custhealth/io/csv.hpp"

namespace {

using namespace custhealth;

constexpr timestamp day = seconds_per_day;

generate_options small_options(std::uint64_t seed = 7) {
  generate_options o;
  o.n_accounts = 500;
  o.days = 365;
  o.seed = seed;
  return o;
}

/// One portfolio shared by the tests that only read it.
const synthetic_portfolio& portfolio() {
  static const synthetic_portfolio p = generate(small_options());
  return p;
}

template <class T>
std::vector<T> values(const column<T>& c) {
  return {c.begin(), c.end()};
}

template <class T>
void expect_same_column(const column<T>& x, const column<T>& y, std::string_view table, std::size_t index) {
  const bool same = std::equal(x.begin(), x.end(), y.begin(), y.end(), [](const T& u, const T& v) {
    if constexpr (std::is_floating_point_v<T>)
      if (std::isnan(u) && std::isnan(v)) return true;  // missing seats
    return u == v;
  });
  EXPECT_TRUE(same) << table << " column " << index;
}

/// Every column of every table, and the dictionaries, equal.
void expect_same_data(const dataset& a, const dataset& b) {
  EXPECT_EQ(a.account_ids().values(), b.account_ids().values());
  auto same_table = [](const auto& x, const auto& y) {
    ASSERT_EQ(x.size(), y.size()) << x.name;
    const auto cx = std::remove_cvref_t<decltype(x)>::columns(x);
    const auto cy = std::remove_cvref_t<decltype(y)>::columns(y);
    [&]<std::size_t... i>(std::index_sequence<i...>) {
      (expect_same_column(std::get<i>(cx), std::get<i>(cy), x.name, i), ...);
    }(std::make_index_sequence<std::tuple_size_v<decltype(cx)>>{});
  };
  same_table(a.accounts(), b.accounts());
  same_table(a.usage(), b.usage());
  same_table(a.surveys(), b.surveys());
  same_table(a.tickets(), b.tickets());
  same_table(a.mrr(), b.mrr());
  same_table(a.payments(), b.payments());
  EXPECT_EQ(a.usage().users.values(), b.usage().users.values());
  EXPECT_EQ(a.usage().events.values(), b.usage().events.values());
  EXPECT_EQ(a.surveys().respondents.values(), b.surveys().respondents.values());
  EXPECT_EQ(a.accounts().plans.values(), b.accounts().plans.values());
  EXPECT_EQ(a.accounts().owners.values(), b.accounts().owners.values());
}

/// Spearman's rank correlation (average ranks for ties).
double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  auto ranks = [](const std::vector<double>& v) {
    std::vector<std::size_t> order(v.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](auto a, auto b) { return v[a] < v[b]; });
    std::vector<double> r(v.size());
    for (std::size_t i = 0; i < order.size();) {
      std::size_t j = i;
      while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
      for (std::size_t k = i; k <= j; ++k) r[order[k]] = (double(i) + double(j)) / 2.0;
      i = j + 1;
    }
    return r;
  };
  const auto rx = ranks(x), ry = ranks(y);
  const double mx = std::accumulate(rx.begin(), rx.end(), 0.0) / double(rx.size());
  const double my = std::accumulate(ry.begin(), ry.end(), 0.0) / double(ry.size());
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  return sxy / std::sqrt(sxx * syy);
}

/// Accounts whose truth health is below / at least the median.
std::pair<std::vector<bool>, double> low_health_split(const portfolio_truth& truth) {
  std::vector<double> sorted = truth.health;
  std::sort(sorted.begin(), sorted.end());
  const double median = sorted[sorted.size() / 2];
  std::vector<bool> low(truth.health.size());
  for (std::size_t a = 0; a < low.size(); ++a) low[a] = truth.health[a] < median;
  return {low, median};
}

std::filesystem::path scratch_dir(const std::string& name) {
  const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  auto dir = std::filesystem::temp_directory_path() / ("custhealth_" + name + "_" + std::to_string(stamp));
  std::filesystem::remove_all(dir);
  return dir;
}

// ---- determinism --------------------------------------------------------------------------------

TEST(SynthGenerate, SameSeedGivesIdenticalTablesAndTruth) {
  const auto again = generate(small_options());
  expect_same_data(portfolio().data, again.data);
  EXPECT_EQ(portfolio().truth.health, again.truth.health);
  EXPECT_EQ(portfolio().truth.churn_probability, again.truth.churn_probability);
  EXPECT_EQ(portfolio().truth.churned, again.truth.churned);
}

TEST(SynthGenerate, ThreadCountDoesNotChangeTheOutput) {
  auto one = small_options();
  one.threads = 1;
  auto four = small_options();
  four.threads = 4;
  const auto a = generate(one), b = generate(four);
  expect_same_data(a.data, b.data);
  EXPECT_EQ(a.truth.health, b.truth.health);
}

TEST(SynthGenerate, AnotherSeedDiffers) {
  const auto other = generate(small_options(8));
  const auto& d = portfolio().data;
  EXPECT_NE(values(d.usage().time), values(other.data.usage().time));
  EXPECT_NE(values(d.accounts().start), values(other.data.accounts().start));
  EXPECT_NE(portfolio().truth.health, other.truth.health);
}

TEST(SynthGenerate, RejectsImpossibleOptions) {
  auto o = small_options();
  o.days = 0;
  EXPECT_THROW(generate(o), invalid_input);
  o = small_options();
  o.usage_scale = -1;
  EXPECT_THROW(generate(o), invalid_input);
}

TEST(SynthGenerate, EmptyPortfolio) {
  auto o = small_options();
  o.n_accounts = 0;
  const auto p = generate(o);
  EXPECT_EQ(p.data.n_accounts(), 0u);
  EXPECT_TRUE(p.truth.health.empty());
}

// ---- sizes, ranges, invariants ------------------------------------------------------------------

TEST(SynthGenerate, EveryTableIsFilledAndReported) {
  const auto& d = portfolio().data;
  EXPECT_EQ(d.n_accounts(), 500u);
  EXPECT_EQ(d.accounts().size(), 500u);
  EXPECT_GT(d.usage().size(), 50'000u);
  EXPECT_GT(d.surveys().size(), 0u);
  EXPECT_GT(d.tickets().size(), 0u);
  EXPECT_GT(d.mrr().size(), 0u);
  EXPECT_GT(d.payments().size(), 0u);
  ASSERT_EQ(d.report().tables.size(), 6u);
  for (const auto& r : d.report().tables) {
    EXPECT_EQ(r.source, "generator") << r.table;
    EXPECT_EQ(r.read, r.accepted) << r.table;
    EXPECT_EQ(r.rejected, 0) << r.table;
    EXPECT_GT(r.read, 0) << r.table;
  }
  EXPECT_EQ(d.report().find("usage")->read, std::int64_t(d.usage().size()));

  auto o = small_options();
  o.payments = false;
  EXPECT_EQ(generate(o).data.payments().size(), 0u);
}

TEST(SynthGenerate, IdsAndNamesFollowTheConventions) {
  const auto& d = portfolio().data;
  EXPECT_EQ(d.account_ids()[0], "acct_00000");
  EXPECT_EQ(d.account_ids()[42], "acct_00042");
  const std::set<std::string> events(d.usage().events.values().begin(), d.usage().events.values().end());
  EXPECT_EQ(events, (std::set<std::string>{"login", "report_view", "dashboard_edit", "export", "api_call",
                                           "integration_setup", "invite_user", "alert_rule"}));
  for (std::size_t r = 0; r < d.usage().size(); r += 97) {
    const std::string& id = d.account_ids()[d.usage().account[r]];
    const std::string& user = d.usage().users[d.usage().user[r]];
    EXPECT_EQ(user.rfind("u_" + id.substr(5) + "_", 0), 0u) << user << " of " << id;
  }
  const std::set<std::string> segments(d.accounts().segments.values().begin(), d.accounts().segments.values().end());
  EXPECT_EQ(segments, (std::set<std::string>{"smb", "mid-market", "enterprise"}));

  std::array<int, 4> prios{};
  for (auto p : d.tickets().prio) ++prios[std::size_t(p)];
  for (int n : prios) EXPECT_GT(n, 0);
  std::array<int, 5> types{};
  for (auto t : d.payments().type) ++types[std::size_t(t)];
  for (int n : types) EXPECT_GT(n, 0);
  std::array<int, 3> kinds{};
  for (auto k : d.surveys().kind) ++kinds[std::size_t(k)];
  for (int n : kinds) EXPECT_GT(n, 0);
}

TEST(SynthGenerate, EveryRowPassesTheDomainChecks) {
  const auto& d = portfolio().data;
  const load_options lo;
  const timestamp t_end = generate_options{}.end, t_begin = t_end - 365 * day;
  auto in_history = [&](timestamp t) { return t >= t_begin && t < t_end; };

  const auto& acc = d.accounts();
  for (std::size_t a = 0; a < acc.size(); ++a) {
    EXPECT_NE(acc.start[a], no_time);
    EXPECT_FALSE(checks::not_before("end", acc.end[a], "start", acc.start[a]));
    EXPECT_FALSE(checks::finite_non_negative("seats", acc.seats[a], ""));
    EXPECT_GE(acc.seats[a], 1);
    EXPECT_GT(acc.renewal[a], acc.start[a]);
    EXPECT_NE(acc.segment[a], no_code);
    EXPECT_NE(acc.plan[a], no_code);
    EXPECT_NE(acc.owner[a], no_code);
    if (acc.end[a] == no_time) {
      EXPECT_GE(acc.renewal[a], t_end);  // the next renewal
    }
  }
  const auto& u = d.usage();
  for (std::size_t r = 0; r < u.size(); ++r) {
    ASSERT_TRUE(in_history(u.time[r])) << r;
    ASSERT_GE(u.time[r], acc.start[std::size_t(u.account[r])]);
    ASSERT_FALSE(checks::finite_non_negative("value", u.value[r], ""));
    ASSERT_GE(u.value[r], 1);
  }
  const auto& s = d.surveys();
  for (std::size_t r = 0; r < s.size(); ++r) {
    ASSERT_TRUE(in_history(s.time[r]));
    ASSERT_FALSE(checks::survey_score("score", s.kind[r], s.score[r], lo.csat_scale, "")) << r;
  }
  const auto& t = d.tickets();
  std::size_t unanswered = 0, open = 0;
  for (std::size_t r = 0; r < t.size(); ++r) {
    ASSERT_TRUE(in_history(t.opened[r]));
    ASSERT_FALSE(checks::not_before("first_response_at", t.first_response[r], "opened_at", t.opened[r]));
    ASSERT_FALSE(checks::not_before("resolved_at", t.resolved[r], "opened_at", t.opened[r]));
    ASSERT_FALSE(checks::not_before("resolved_at", t.resolved[r], "first_response_at", t.first_response[r]));
    if (t.first_response[r] != no_time) {
      ASSERT_LT(t.first_response[r], t_end);
    }
    if (t.resolved[r] != no_time) {
      ASSERT_LT(t.resolved[r], t_end);
    }
    unanswered += t.first_response[r] == no_time;
    open += t.resolved[r] == no_time;
  }
  EXPECT_GT(unanswered, 0u);
  EXPECT_GT(open, unanswered);
  const auto& m = d.mrr();
  for (std::size_t r = 0; r < m.size(); ++r) {
    ASSERT_FALSE(checks::finite_non_negative("mrr", m.mrr[r], ""));
    ASSERT_EQ(m.month[r], period_start(period_index(m.month[r], period::month), period::month));
  }
  const auto& p = d.payments();
  for (std::size_t r = 0; r < p.size(); ++r) {
    ASSERT_TRUE(in_history(p.time[r]));
    ASSERT_FALSE(checks::finite_non_negative("amount", p.amount[r], ""));
    ASSERT_NE(p.currency[r], no_code);
  }
  EXPECT_EQ(d.report().rejected(), 0);
}

TEST(SynthGenerate, ChurnedAccountsEndAndGoQuiet) {
  const auto& d = portfolio().data;
  const auto& truth = portfolio().truth;
  const auto& acc = d.accounts();
  std::size_t churned = 0;
  for (std::size_t a = 0; a < acc.size(); ++a) {
    const auto code = static_cast<std::int32_t>(a);
    EXPECT_EQ(truth.churned[a] == 1, acc.end[a] != no_time) << a;
    if (acc.end[a] == no_time) continue;
    ++churned;
    EXPECT_EQ(truth.churn_probability[a], 1.0);
    EXPECT_NE(truth.decided_at[a], no_time);
    EXPECT_LT(truth.decided_at[a], acc.end[a]);
    for (auto r = d.usage().index.begin(code); r < d.usage().index.end(code); ++r)
      ASSERT_LT(d.usage().time[std::size_t(r)], acc.end[a]) << d.account_ids()[code];
    for (auto r = d.payments().index.begin(code); r < d.payments().index.end(code); ++r)
      ASSERT_LT(d.payments().time[std::size_t(r)], acc.end[a]);
    // MRR: positive up to the churn month, one row of 0 in it, nothing after.
    const auto first = d.mrr().index.begin(code), last = d.mrr().index.end(code) - 1;
    ASSERT_LT(first, last);
    EXPECT_EQ(d.mrr().month[std::size_t(last)], period_start(period_index(acc.end[a], period::month), period::month));
    EXPECT_EQ(d.mrr().mrr[std::size_t(last)], 0.0);
    for (auto r = first; r < last; ++r) EXPECT_GT(d.mrr().mrr[std::size_t(r)], 0.0);
  }
  EXPECT_GT(churned, 25u);
  EXPECT_LT(churned, 250u);
  // Active accounts have MRR in the last month of the history and never 0.
  for (std::size_t a = 0; a < acc.size(); ++a) {
    if (acc.end[a] != no_time) continue;
    const auto code = static_cast<std::int32_t>(a);
    ASSERT_GT(d.mrr().index.count(code), 0);
    EXPECT_EQ(d.mrr().month[std::size_t(d.mrr().index.end(code) - 1)], from_civil(2024, 12, 1));
    for (auto r = d.mrr().index.begin(code); r < d.mrr().index.end(code); ++r) EXPECT_GT(d.mrr().mrr[std::size_t(r)], 0);
  }
}

TEST(SynthGenerate, RevenueExpandsAndContracts) {
  const auto& m = portfolio().data.mrr();
  int up = 0, down = 0;
  for (std::size_t r = 1; r < m.size(); ++r) {
    if (m.account[r] != m.account[r - 1] || m.mrr[r] == 0) continue;
    up += m.mrr[r] > m.mrr[r - 1];
    down += m.mrr[r] < m.mrr[r - 1];
  }
  EXPECT_GT(up, 20);
  EXPECT_GT(down, 5);
}

// ---- the model drives the data ------------------------------------------------------------------

TEST(SynthGenerate, LowHealthAccountsChurnMore) {
  const auto& truth = portfolio().truth;
  const auto [low, median] = low_health_split(truth);
  double churn_low = 0, churn_high = 0, n_low = 0, n_high = 0, p_low = 0, p_high = 0;
  for (std::size_t a = 0; a < low.size(); ++a) {
    (low[a] ? churn_low : churn_high) += truth.churned[a];
    (low[a] ? p_low : p_high) += truth.churn_probability[a];
    (low[a] ? n_low : n_high) += 1;
  }
  EXPECT_GT(churn_low / n_low, 3 * churn_high / n_high);
  EXPECT_GT(p_low / n_low, 2 * p_high / n_high);
  // The long-run level, fixed before anything happens, predicts churn too.
  std::vector<double> base(truth.base_health), churned(truth.churned.begin(), truth.churned.end());
  EXPECT_LT(spearman(base, churned), -0.2);
  for (double p : truth.churn_probability) {
    EXPECT_GE(p, 0.0);
    EXPECT_LE(p, 1.0);
  }
}

TEST(SynthGenerate, SatisfactionFollowsHealth) {
  const auto& d = portfolio().data;
  const auto& truth = portfolio().truth;
  const auto [low, median] = low_health_split(truth);
  std::array<double, 2> nps_sum{}, nps_n{}, csat_sum{}, csat_n{};
  std::vector<double> nps_by_account(low.size(), 0), answers(low.size(), 0);
  for (std::size_t r = 0; r < d.surveys().size(); ++r) {
    const auto a = std::size_t(d.surveys().account[r]);
    const double score = d.surveys().score[r];
    if (d.surveys().kind[r] == survey_kind::nps) {
      nps_sum[low[a]] += score, nps_n[low[a]] += 1;
      nps_by_account[a] += score, answers[a] += 1;
    } else if (d.surveys().kind[r] == survey_kind::csat) {
      csat_sum[low[a]] += score, csat_n[low[a]] += 1;
    }
  }
  EXPECT_LT(nps_sum[1] / nps_n[1] + 1.0, nps_sum[0] / nps_n[0]);
  EXPECT_LT(csat_sum[1] / csat_n[1], csat_sum[0] / csat_n[0]);
  std::vector<double> h, mean_nps;
  for (std::size_t a = 0; a < low.size(); ++a)
    if (answers[a] > 0) h.push_back(truth.base_health[a]), mean_nps.push_back(nps_by_account[a] / answers[a]);
  EXPECT_GT(spearman(h, mean_nps), 0.4);
}

TEST(SynthGenerate, UnhealthyAccountsBreachMoreSlas) {
  const auto& t = portfolio().data.tickets();
  const auto [low, median] = low_health_split(portfolio().truth);
  constexpr std::array<double, 4> target_hours{8, 2, 2, 1};
  std::array<double, 2> breached{}, answered{};
  for (std::size_t r = 0; r < t.size(); ++r) {
    if (t.first_response[r] == no_time) continue;
    const bool l = low[std::size_t(t.account[r])];
    breached[l] += double(t.first_response[r] - t.opened[r]) > target_hours[std::size_t(t.prio[r])] * 3600;
    answered[l] += 1;
  }
  EXPECT_GT(breached[0] / answered[0], 0.02);  // some breaches even among healthy accounts
  EXPECT_GT(breached[1] / answered[1], 1.3 * breached[0] / answered[0]);
}

TEST(SynthGenerate, UsageFadesBeforeChurn) {
  const auto& d = portfolio().data;
  const auto& acc = d.accounts();
  double last_30 = 0, days_60_to_90 = 0;
  int accounts = 0;
  for (std::size_t a = 0; a < acc.size(); ++a) {
    if (acc.end[a] == no_time || acc.end[a] - 90 * day < std::max(acc.start[a], generate_options{}.end - 365 * day))
      continue;
    ++accounts;
    const auto code = static_cast<std::int32_t>(a);
    for (auto r = d.usage().index.begin(code); r < d.usage().index.end(code); ++r) {
      const timestamp before = acc.end[a] - d.usage().time[std::size_t(r)];
      if (before <= 30 * day) last_30 += 1;
      else if (before > 60 * day && before <= 90 * day) days_60_to_90 += 1;
    }
  }
  ASSERT_GT(accounts, 10);
  EXPECT_LT(last_30, 0.6 * days_60_to_90);
}

TEST(SynthGenerate, WeekendsAreQuieter) {
  const auto& u = portfolio().data.usage();
  std::array<double, 7> per_weekday{};
  for (auto t : u.time) ++per_weekday[std::size_t((day_number(t) % 7 + 7 + 3) % 7)];  // Monday = 0
  const double weekday = (per_weekday[0] + per_weekday[1] + per_weekday[2] + per_weekday[3] + per_weekday[4]) / 5;
  const double weekend = (per_weekday[5] + per_weekday[6]) / 2;
  EXPECT_LT(weekend, 0.5 * weekday);
  EXPECT_GT(weekend, 0.05 * weekday);
}

TEST(SynthGenerate, FeaturesAreAdoptedOverTime) {
  // New accounts start with login and reach for the other features later: the share of `login`
  // in an account's first week exceeds its share over the whole history.
  const auto& d = portfolio().data;
  const auto login = d.usage().events.find("login");
  double first_week_login = 0, first_week_all = 0, login_all = 0;
  for (std::size_t r = 0; r < d.usage().size(); ++r) {
    const bool is_login = d.usage().event[r] == login;
    login_all += is_login;
    if (d.usage().time[r] - d.accounts().start[std::size_t(d.usage().account[r])] < 7 * day)
      first_week_login += is_login, first_week_all += 1;
  }
  ASSERT_GT(first_week_all, 100);
  EXPECT_GT(first_week_login / first_week_all, 1.2 * login_all / double(d.usage().size()));
}

// ---- CSV ------------------------------------------------------------------------------------------

TEST(SynthCsv, FormatsTimesAndFields) {
  EXPECT_EQ(detail::format_time(from_civil(2024, 3, 1)), "2024-03-01");
  EXPECT_EQ(detail::format_time(from_civil(2024, 3, 1, 12, 5, 9)), "2024-03-01T12:05:09Z");
  EXPECT_EQ(detail::format_time(from_civil(1969, 12, 31, 23, 59, 59)), "1969-12-31T23:59:59Z");
  EXPECT_EQ(detail::format_time(no_time), "");
  for (timestamp t : {timestamp{0}, timestamp{-1}, from_civil(2000, 2, 29, 1, 2, 3), from_civil(9999, 12, 31, 23, 59, 59),
                      timestamp{1} << 40, -(timestamp{1} << 40)})
    EXPECT_EQ(parse_time(detail::format_time(t)), t) << detail::format_time(t);
  EXPECT_EQ(detail::csv_field("plain"), "plain");
  EXPECT_EQ(detail::csv_field("a,b"), "\"a,b\"");
  EXPECT_EQ(detail::csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(detail::csv_field("two\nlines"), "\"two\nlines\"");
}

std::string first_line(const std::filesystem::path& file) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);
  return line;
}

TEST(SynthCsv, WritesOneFilePerTableWithTheDefaultHeaders) {
  const auto& p = portfolio();
  const auto dir = scratch_dir("synth_csv");
  write_csv(p.data, dir);
  write_truth_csv(p.truth, p.data, dir);
  EXPECT_EQ(first_line(dir / "usage.csv"), "account_id,timestamp,event,value,user_id");
  EXPECT_EQ(first_line(dir / "accounts.csv"), "account_id,start,end,segment,plan,owner,seats,renewal_date");
  EXPECT_EQ(first_line(dir / "surveys.csv"), "account_id,timestamp,kind,score,respondent");
  EXPECT_EQ(first_line(dir / "tickets.csv"), "account_id,opened_at,first_response_at,resolved_at,priority,owner");
  EXPECT_EQ(first_line(dir / "mrr.csv"), "account_id,month,mrr");
  EXPECT_EQ(first_line(dir / "payments.csv"), "account_id,timestamp,type,amount,currency");
  EXPECT_EQ(first_line(dir / "truth.csv"), "account_id,true_health,true_churn_probability,churned");

  std::ifstream mrr(dir / "mrr.csv");
  std::string line;
  std::getline(mrr, line);
  std::getline(mrr, line);
  const auto month = line.substr(line.find(',') + 1, line.rfind(',') - line.find(',') - 1);
  EXPECT_EQ(month.size(), 7u) << line;  // YYYY-MM
  EXPECT_EQ(month[4], '-') << line;

  std::ifstream truth(dir / "truth.csv");
  std::size_t lines = 0;
  while (std::getline(truth, line)) ++lines;
  EXPECT_EQ(lines, p.data.n_accounts() + 1);
  std::filesystem::remove_all(dir);

  // Empty tables write no file; optional columns without values are left out.
  auto o = small_options();
  o.n_accounts = 3;
  o.payments = false;
  const auto dir2 = scratch_dir("synth_csv_small");
  write_csv(generate(o).data, dir2);
  EXPECT_FALSE(std::filesystem::exists(dir2 / "payments.csv"));
  EXPECT_TRUE(std::filesystem::exists(dir2 / "accounts.csv"));
  std::filesystem::remove_all(dir2);
}

TEST(SynthCsv, RoundTripsThroughReadCsv) {
  const auto& p = portfolio();
  const auto dir = scratch_dir("synth_roundtrip");
  write_csv(p.data, dir);
  const dataset back = read_csv(csv_files::in_directory(dir));
  std::filesystem::remove_all(dir);

  const auto& a = p.data;
  ASSERT_EQ(a.account_ids().values(), back.account_ids().values());  // same ids, so the same codes
  EXPECT_EQ(back.report().rejected(), 0);
  // Columns compare as values; dictionary codes compare through their strings.
  auto strings = [](const column<std::int32_t>& codes, const dictionary& dict) {
    std::vector<std::string> out;
    for (auto c : codes) out.push_back(c == no_code ? std::string() : dict[c]);
    return out;
  };
  const auto &ua = a.usage(), &ub = back.usage();
  EXPECT_EQ(values(ua.account), values(ub.account));
  EXPECT_EQ(values(ua.time), values(ub.time));
  EXPECT_EQ(strings(ua.event, ua.events), strings(ub.event, ub.events));
  EXPECT_EQ(values(ua.value), values(ub.value));
  EXPECT_EQ(strings(ua.user, ua.users), strings(ub.user, ub.users));

  const auto &aa = a.accounts(), &ab = back.accounts();
  EXPECT_EQ(values(aa.start), values(ab.start));
  EXPECT_EQ(values(aa.end), values(ab.end));
  EXPECT_EQ(strings(aa.segment, aa.segments), strings(ab.segment, ab.segments));
  EXPECT_EQ(strings(aa.plan, aa.plans), strings(ab.plan, ab.plans));
  EXPECT_EQ(strings(aa.owner, aa.owners), strings(ab.owner, ab.owners));
  EXPECT_EQ(values(aa.seats), values(ab.seats));
  EXPECT_EQ(values(aa.renewal), values(ab.renewal));

  const auto &sa = a.surveys(), &sb = back.surveys();
  EXPECT_EQ(values(sa.account), values(sb.account));
  EXPECT_EQ(values(sa.time), values(sb.time));
  EXPECT_EQ(values(sa.kind), values(sb.kind));
  EXPECT_EQ(values(sa.score), values(sb.score));
  EXPECT_EQ(strings(sa.respondent, sa.respondents), strings(sb.respondent, sb.respondents));

  const auto &ta = a.tickets(), &tb = back.tickets();
  EXPECT_EQ(values(ta.account), values(tb.account));
  EXPECT_EQ(values(ta.opened), values(tb.opened));
  EXPECT_EQ(values(ta.first_response), values(tb.first_response));
  EXPECT_EQ(values(ta.resolved), values(tb.resolved));
  EXPECT_EQ(values(ta.prio), values(tb.prio));
  EXPECT_EQ(strings(ta.owner, ta.owners), strings(tb.owner, tb.owners));

  const auto &ma = a.mrr(), &mb = back.mrr();
  EXPECT_EQ(values(ma.account), values(mb.account));
  EXPECT_EQ(values(ma.month), values(mb.month));
  EXPECT_EQ(values(ma.mrr), values(mb.mrr));

  const auto &pa = a.payments(), &pb = back.payments();
  EXPECT_EQ(values(pa.account), values(pb.account));
  EXPECT_EQ(values(pa.time), values(pb.time));
  EXPECT_EQ(values(pa.type), values(pb.type));
  EXPECT_EQ(values(pa.amount), values(pb.amount));
  EXPECT_EQ(strings(pa.currency, pa.currencies), strings(pb.currency, pb.currencies));
}

}  // namespace
