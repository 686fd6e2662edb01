// tests/cpp/test_retention_kaplan_meier.cpp — Kaplan–Meier curves, the mergeable event table and the
// log-rank test (logrank.hpp), pinned against published values (gehan, dd, waltons) and statsmodels.
#include "custhealth/retention/kaplan_meier.hpp"
#include "custhealth/retention/logrank.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <span>
#include <string>
#include <tuple>
#include <vector>

#include "custhealth/parallel.hpp"
#include "expect.hpp"
#include "reference.hpp"

namespace {

using custhealth::invalid_input;
using custhealth::kaplan_meier;
using custhealth::kaplan_meier_result;
using custhealth::km_event_table;
using custhealth::logrank_test;
using custhealth::logrank_weighting;
using ::testing::HasSubstr;
using custhealth::test::invalid_input_message;

constexpr double inf = std::numeric_limits<double>::infinity();
constexpr double qnan = std::numeric_limits<double>::quiet_NaN();

// ---- reading the reference files in place (never copied into the repository) ----

struct survival_data {
  std::vector<double> durations;
  std::vector<std::uint8_t> observed;
  std::vector<int> groups;  // codes in order of first appearance of the label
  std::vector<std::string> labels;

  survival_data only(int group) const {
    survival_data out;
    for (std::size_t i = 0; i < durations.size(); ++i)
      if (groups[i] == group) {
        out.durations.push_back(durations[i]);
        out.observed.push_back(observed[i]);
        out.groups.push_back(group);
      }
    return out;
  }
  int code(const std::string& label) const {
    return static_cast<int>(std::find(labels.begin(), labels.end(), label) - labels.begin());
  }
  void push(double t, double e, const std::string& label) {
    durations.push_back(t);
    observed.push_back(static_cast<std::uint8_t>(e));
    auto it = std::find(labels.begin(), labels.end(), label);
    if (it == labels.end()) it = labels.insert(labels.end(), label);
    groups.push_back(static_cast<int>(it - labels.begin()));
  }
};

/// One CSV record; fields may be quoted ("Congo (Brazzaville, Republic of Congo)") with "" escapes.
std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else if (c != '\r') {
      fields.back() += c;
    }
  }
  return fields;
}

/// Reads duration / event / group columns of a CSV file with a header.
survival_data read_csv(const std::filesystem::path& path, const std::string& duration_column,
                       const std::string& event_column, const std::string& group_column) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  const auto header = split_csv_line(line);
  auto column = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const std::size_t t = column(duration_column), e = column(event_column), g = column(group_column);
  survival_data data;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto fields = split_csv_line(line);
    data.push(std::stod(fields.at(t)), std::stod(fields.at(e)), fields.at(g));
  }
  return data;
}

/// gehan.dat: "group time event", whitespace-separated, no header (group 2 = 6-MP, 1 = placebo).
survival_data read_gehan(const std::filesystem::path& path) {
  std::ifstream in(path);
  survival_data data;
  std::string group;
  double t = 0.0, e = 0.0;
  while (in >> group >> t >> e) data.push(t, e, group);
  return data;
}

kaplan_meier_result fit(const survival_data& data) { return kaplan_meier(data.durations, data.observed); }

/// Row of `t` on the fitted timeline (which also holds censoring-only times and 0).
std::size_t row_of(const kaplan_meier_result& r, double t) {
  const auto it = std::lower_bound(r.timeline.begin(), r.timeline.end(), t);
  EXPECT_TRUE(it != r.timeline.end() && *it == t) << "time " << t << " not on the timeline";
  return static_cast<std::size_t>(it - r.timeline.begin());
}

void expect_close(double actual, double expected, double tolerance, const std::string& what) {
  EXPECT_NEAR(actual, expected, tolerance * std::max(1.0, std::fabs(expected))) << what;
}

// ---- published values ----

TEST(KaplanMeier, GehanSixMp) {
  CUSTHEALTH_REFERENCE(path, "gehan.dat");
  const auto data = read_gehan(path);
  ASSERT_EQ(data.durations.size(), 42u);
  const auto six_mp = fit(data.only(data.code("2")));
  const double times[] = {6, 7, 10, 13, 16, 22, 23};
  const double published[] = {0.8571, 0.8067, 0.7529, 0.6902, 0.6275, 0.5378, 0.4482};
  for (std::size_t i = 0; i < 7; ++i)
    EXPECT_NEAR(six_mp.survival_at(times[i]), published[i], 5e-5) << "t = " << times[i];
  // The step is right-continuous: just before the first death S is still 1.
  EXPECT_EQ(six_mp.survival_at(5.999), 1.0);
  EXPECT_EQ(six_mp.median(), 23.0);
  EXPECT_EQ(fit(data.only(data.code("1"))).median(), 8.0);
  // 21 subjects, timeline from 0 as lifelines; exact product-limit values at the first two deaths.
  EXPECT_EQ(six_mp.timeline.front(), 0.0);
  EXPECT_EQ(six_mp.at_risk.front(), 21.0);
  expect_close(six_mp.survival_at(6), 18.0 / 21.0, 1e-14, "S(6)");
  expect_close(six_mp.survival_at(7), 18.0 / 21.0 * 16.0 / 17.0, 1e-14, "S(7)");
}

TEST(LogRank, GehanSixMpVersusPlacebo) {
  CUSTHEALTH_REFERENCE(path, "gehan.dat");
  const auto data = read_gehan(path);
  const auto test = logrank_test(data.durations, data.observed, data.groups);
  EXPECT_NEAR(test.statistic, 16.79, 0.005);
  // statsmodels survdiff and scipy chi2.sf (script in WaltonsCurveMatchesStatsmodels).
  expect_close(test.statistic, 16.792940989216525, 1e-12, "chi2");
  EXPECT_EQ(test.df, 1);
  expect_close(test.p_value, 4.168809109334564e-05, 1e-9, "p");
  // 6-MP: 9 remissions ended against 19.25 expected; placebo 21 against 10.75 (Gehan 1965 data).
  ASSERT_EQ(test.groups.size(), 2u);
  EXPECT_EQ(test.observed[static_cast<std::size_t>(data.code("2"))], 9.0);
  EXPECT_NEAR(test.expected[static_cast<std::size_t>(data.code("2"))], 19.2505, 5e-5);
  EXPECT_NEAR(test.expected[0] + test.expected[1], test.observed[0] + test.observed[1], 1e-12);
}

TEST(KaplanMeier, DdMedian) {
  CUSTHEALTH_REFERENCE(path, "dd.csv");
  const auto data = read_csv(path, "duration", "observed", "democracy");
  ASSERT_EQ(data.durations.size(), 1808u);
  EXPECT_EQ(fit(data).median(), 4.0);
}

TEST(LogRank, DdDemocracyVersusNonDemocracy) {
  CUSTHEALTH_REFERENCE(path, "dd.csv");
  const auto data = read_csv(path, "duration", "observed", "democracy");
  ASSERT_EQ(data.labels.size(), 2u);
  const auto test = logrank_test(data.durations, data.observed, data.groups);
  EXPECT_NEAR(test.statistic, 260.47, 0.005);
  expect_close(test.statistic, 260.4695390779595, 1e-12, "chi2");
  EXPECT_EQ(test.df, 1);
  expect_close(test.p_value, 1.3557143218482053e-58, 1e-8, "p");
}

TEST(LogRank, DdMultiGroupMatchesStatsmodels) {
  CUSTHEALTH_REFERENCE(path, "dd.csv");
  // statsmodels survdiff(duration, observed, column) and chi2.sf (script below).
  const auto continents = read_csv(path, "duration", "observed", "un_continent_name");
  ASSERT_EQ(continents.labels.size(), 5u);
  const auto by_continent = logrank_test(continents.durations, continents.observed, continents.groups);
  expect_close(by_continent.statistic, 141.17476955064799, 1e-12, "continent chi2");
  EXPECT_EQ(by_continent.df, 4);
  expect_close(by_continent.p_value, 1.5817024859132123e-29, 1e-8, "continent p");

  const auto regimes = read_csv(path, "duration", "observed", "regime");
  ASSERT_EQ(regimes.labels.size(), 6u);
  const auto by_regime = logrank_test(regimes.durations, regimes.observed, regimes.groups);
  expect_close(by_regime.statistic, 322.59907792069862, 1e-12, "regime chi2");
  EXPECT_EQ(by_regime.df, 5);
  expect_close(by_regime.p_value, 1.381485069412982e-67, 1e-8, "regime p");
  // Σ O = Σ E over the groups.
  double o = 0.0, e = 0.0;
  for (std::size_t g = 0; g < 6; ++g) o += by_regime.observed[g], e += by_regime.expected[g];
  EXPECT_NEAR(o, e, 1e-9);
}

TEST(KaplanMeier, WaltonsMedians) {
  CUSTHEALTH_REFERENCE(path, "waltons_dataset.csv");
  const auto data = read_csv(path, "T", "E", "group");
  ASSERT_EQ(data.durations.size(), 163u);
  EXPECT_EQ(fit(data).median(), 56.0);
  EXPECT_EQ(fit(data.only(data.code("control"))).median(), 58.0);
  EXPECT_EQ(fit(data.only(data.code("miR-137"))).median(), 26.0);
  const auto test = logrank_test(data.durations, data.observed, data.groups);
  expect_close(test.statistic, 122.24912557300617, 1e-12, "chi2 (statsmodels survdiff)");
  expect_close(test.p_value, 2.0359832222855278e-28, 1e-8, "p");
}

// Expected values below come from statsmodels 0.13.5 (Debian python3-statsmodels) with this script,
// run by /usr/bin/python3; `lifelines_columns` applies lifelines' Greenwood sum (a row with n = d adds
// 0) and its `_bounds` (exponential Greenwood, fillna(1)) to statsmodels' n_risk / n_events / surv_prob:
//
//   import numpy as np, pandas as pd
//   from scipy.stats import norm, chi2
//   from statsmodels.duration.survfunc import SurvfuncRight, survdiff
//   R = '../shared/reference/'; z = norm.ppf(0.975)
//   def arr(name, a): print('const std::vector<double> %s{%s};' % (name, ', '.join('%.17g' % x for x in a)))
//   def lifelines_columns(sf):
//       n, d, S = sf.n_risk.astype(float), sf.n_events.astype(float), sf.surv_prob
//       gw = np.cumsum(np.where(n > d, d / (n * np.maximum(n - d, 1e-300)), 0.0))
//       with np.errstate(divide='ignore', invalid='ignore'):
//           v = np.log(S)
//           lo = np.nan_to_num(np.exp(-np.exp(np.log(-v) - z * np.sqrt(gw) / v)), nan=1.0)
//           hi = np.nan_to_num(np.exp(-np.exp(np.log(-v) + z * np.sqrt(gw) / v)), nan=1.0)
//       return gw, S * S * gw, lo, hi
//   def first_below(t, s): return t[np.argmax(s <= 0.5)] if (s <= 0.5).any() else np.inf
//   w = pd.read_csv(R + 'waltons_dataset.csv')
//   sf = SurvfuncRight(w['T'].values, w['E'].values)
//   gw, var, lo, hi = lifelines_columns(sf)
//   print('median ci', first_below(sf.surv_times, lo), first_below(sf.surv_times, hi))
//   arr('times', sf.surv_times); arr('survival', sf.surv_prob); arr('stderr', sf.surv_prob_se)
//   arr('variance', var); arr('ci_low', lo); arr('ci_high', hi); arr('n_risk', sf.n_risk)
//   arr('n_events', sf.n_events)
//   rs = np.random.RandomState(7); n = 30
//   entry = np.where(rs.rand(n) < 0.4, rs.randint(1, 6, n), 0).astype(float)
//   dur = entry + rs.randint(1, 15, n); status = (rs.rand(n) < 0.7).astype(int)
//   wt = rs.randint(1, 4, n).astype(float)
//   arr('durations', dur); print(list(status)); arr('entry', entry); arr('weights', wt)
//   sf = SurvfuncRight(dur, status, entry=entry, freq_weights=wt)
//   gw, var, lo, hi = lifelines_columns(sf)
//   print('median', sf.quantile(0.5), 'ci', first_below(sf.surv_times, lo), first_below(sf.surv_times, hi))
//   arr('times', sf.surv_times); arr('survival', sf.surv_prob); arr('variance', var)
//   arr('ci_low', lo); arr('ci_high', hi); arr('n_risk', sf.n_risk); arr('n_events', sf.n_events)
//   d = pd.read_csv(R + 'dd.csv'); g = pd.read_csv(R + 'gehan.dat', sep=' ', header=None,
//                                                   names=['group', 'time', 'event'])
//   for name, (T, E, G) in {'gehan': (g.time, g.event, g.group),
//                           'dd democracy': (d.duration, d.observed, d.democracy),
//                           'dd continent': (d.duration, d.observed, d.un_continent_name),
//                           'dd regime': (d.duration, d.observed, d.regime),
//                           'waltons': (w['T'], w['E'], w.group)}.items():
//       stat, _ = survdiff(T.values, E.values, G.values); k = G.nunique()
//       print('%s: chi2 %.17g df %d p %.17g' % (name, stat, k - 1, chi2.sf(stat, k - 1)))

/// Compares a fit with statsmodels' rows (event times only; our timeline also has censoring times).
void expect_matches_statsmodels(const kaplan_meier_result& r, const std::vector<double>& times,
                                const std::vector<double>& survival, const std::vector<double>& variance,
                                const std::vector<double>& ci_low, const std::vector<double>& ci_high,
                                const std::vector<double>& n_risk, const std::vector<double>& n_events) {
  const auto cumulative_density = r.cumulative_density();
  const auto greenwood_variance = r.variance();
  const auto [band_low, band_high] = r.confidence_band();
  for (std::size_t k = 0; k < times.size(); ++k) {
    const std::size_t i = row_of(r, times[k]);
    const std::string at = " at t = " + std::to_string(times[k]);
    expect_close(r.survival[i], survival[k], 1e-12, "S" + at);
    expect_close(cumulative_density[i], 1.0 - survival[k], 1e-12, "F" + at);
    expect_close(greenwood_variance[i], variance[k], 1e-12, "Greenwood variance" + at);
    expect_close(band_low[i], ci_low[k], 1e-12, "ci_low" + at);
    expect_close(band_high[i], ci_high[k], 1e-12, "ci_high" + at);
    expect_close(r.band_at_row(i).low, ci_low[k], 1e-12, "band_at_row" + at);
    // statsmodels' n_risk is the estimator's n (lifelines' at_risk minus the row's own entrants).
    EXPECT_EQ(r.at_risk[i] - (i == 0 ? 0.0 : r.entrance[i]), n_risk[k]) << at;
    EXPECT_EQ(r.observed[i], n_events[k]) << at;
  }
  // Between event times the curve, its variance and band stay flat.
  for (std::size_t i = 1; i < r.timeline.size(); ++i)
    if (r.observed[i] == 0.0) {
      EXPECT_EQ(r.survival[i], r.survival[i - 1]);
      EXPECT_EQ(r.greenwood_sum[i], r.greenwood_sum[i - 1]);
      EXPECT_EQ(band_low[i], band_low[i - 1]);
      EXPECT_EQ(band_high[i], band_high[i - 1]);
    }
}

TEST(KaplanMeier, WaltonsCurveMatchesStatsmodels) {
  CUSTHEALTH_REFERENCE(path, "waltons_dataset.csv");
  const auto data = read_csv(path, "T", "E", "group");
  const auto r = fit(data);
  const std::vector<double> times{6, 7, 9, 13, 15, 17, 19, 22, 26, 29, 32, 33, 36, 38, 41, 43, 45, 47, 48, 51, 53, 54, 56, 58, 60, 61, 62, 63, 66, 68, 69, 75};
  const std::vector<double> survival{0.99386503067484677, 0.98773006134969332, 0.96921012269938656, 0.95069018404907968, 0.93834355828220861, 0.93217024539877302, 0.91365030674846626, 0.8889570552147239, 0.85809049079754607, 0.82722392638036812, 0.82105061349693254, 0.80253067484662577, 0.7901840490797547, 0.77783742331288352, 0.73462423312883451, 0.72845092024539893, 0.67289110429447863, 0.6666606311065667, 0.61681684560327199, 0.59812542603953645, 0.55451211372415365, 0.54205116734832992, 0.42990264996591687, 0.40498075721426946, 0.31152365939559185, 0.25430502807803423, 0.24092055291603243, 0.18069041468702435, 0.16061370194402161, 0.10038356371501352, 0.014340509102144797, 0};
  const std::vector<double> stderr_sm{0.0061161214485833159, 0.0086227645830173165, 0.013556389856325695, 0.016998949085830488, 0.018887486894581199, 0.019746335389434638, 0.022059831817238203, 0.024678050573569477, 0.027411329747090186, 0.02969834550600663, 0.03011149581671484, 0.031273154014798688, 0.031987435006397703, 0.032657305154703969, 0.034687740789156131, 0.034941255857805137, 0.036858974425801876, 0.037040530130734377, 0.038234055618627416, 0.038568332112273326, 0.039120499597129335, 0.039221124739636862, 0.039010004838705821, 0.038687595427750417, 0.036517780096876049, 0.034432844645300879, 0.033896321884563076, 0.030799288212653705, 0.029477746230990389, 0.02431769348581032, 0.010010203410798441, qnan};
  const std::vector<double> variance{3.7406941573820879e-05, 7.4352069054137783e-05, 0.00018377570593669019, 0.00028896427002265713, 0.00035673716119297665, 0.00038991776131203884, 0.00048663617980483506, 0.00060900618011165285, 0.00075138099850371152, 0.00088199172579414402, 0.00090670218032003549, 0.00097801016203331935, 0.0010231959982885171, 0.0010664995799674543, 0.001203239361055686, 0.0012208913609206018, 0.0013585839957219168, 0.0013720008723658412, 0.0014618430090482944, 0.0014875162419226138, 0.0015304134887289965, 0.001538296625842155, 0.0015217804775158517, 0.0014967300399812949, 0.0013335482632037966, 0.001185620790367425, 0.0011489606373019095, 0.00094859615440610965, 0.000868937522858668, 0.0005913502164698217, 0.00010020417232556073, 0};
  const std::vector<double> ci_low{0.95725365910906224, 0.95183412717730875, 0.92761278621138588, 0.90382085736399531, 0.88843731476047083, 0.88086542585706173, 0.85854925944171068, 0.82954673190432338, 0.79421319495194886, 0.75966939868374417, 0.75284054468673411, 0.73249610889363492, 0.71904374482853339, 0.70567355216594119, 0.65946375278314706, 0.65293095878343244, 0.59482494103788908, 0.58837095288344265, 0.53723907412469607, 0.51828393267516149, 0.47449773142283003, 0.46209859210863913, 0.35268900481936233, 0.32891602000689424, 0.24165949355139499, 0.1897472708198121, 0.17771558304229251, 0.12494275883343094, 0.10792857552264638, 0.059240798814072917, 0.0028540777041644759, 0};
  const std::vector<double> ci_high{0.99913352328184002, 0.99691712445981862, 0.98706808423174119, 0.97503099116980263, 0.9663424251606042, 0.9618533318405047, 0.94793035492134137, 0.92854262858275105, 0.90333589842881035, 0.87731281370723935, 0.87202654517814238, 0.85602346757205594, 0.84524288132530179, 0.83437948185546229, 0.79576991312747924, 0.79018571116122949, 0.73924320852146119, 0.73346628597083541, 0.68676523054785044, 0.6690395253022966, 0.62725106696159516, 0.6152039949608703, 0.50467960923288735, 0.47960106415418075, 0.38375862020448953, 0.32368786056366544, 0.30956115978785725, 0.24475909712755614, 0.22263862396419268, 0.15415682218854146, 0.046183697525073716, 0};
  const std::vector<double> n_risk{163, 162, 160, 157, 154, 152, 151, 148, 144, 139, 134, 133, 130, 128, 126, 119, 118, 108, 107, 99, 96, 89, 87, 69, 65, 49, 38, 36, 27, 24, 14, 1};
  const std::vector<double> n_events{1, 1, 3, 3, 2, 1, 3, 4, 5, 5, 1, 3, 2, 2, 7, 1, 9, 1, 8, 3, 7, 2, 18, 4, 15, 9, 2, 9, 3, 9, 12, 1};
  expect_matches_statsmodels(r, times, survival, variance, ci_low, ci_high, n_risk, n_events);
  // statsmodels' own Greenwood standard error, where S > 0 (it reports NaN once S = 0).
  const auto greenwood_variance = r.variance();
  for (std::size_t k = 0; k + 1 < times.size(); ++k)
    expect_close(std::sqrt(greenwood_variance[row_of(r, times[k])]), stderr_sm[k], 1e-12, "se");
  // The curve ends at S = 0 (one subject left, who dies): lifelines' band is (0, 0) there.
  EXPECT_EQ(r.survival.back(), 0.0);
  EXPECT_EQ(r.band_at_row(r.timeline.size() - 1).low, 0.0);
  EXPECT_EQ(r.band_at_row(r.timeline.size() - 1).high, 0.0);
  // Median 56 with the lifelines-style interval (median of the lower band, of the upper band).
  EXPECT_EQ(r.median(), 56.0);
  EXPECT_EQ(r.median_ci().low, 53.0);
  EXPECT_EQ(r.median_ci().high, 58.0);
  EXPECT_EQ(r.timeline.front(), 0.0);
  EXPECT_EQ(r.survival.front(), 1.0);
  EXPECT_EQ(r.band_at_row(0).low, 1.0);
  EXPECT_EQ(r.band_at(-1.0).low, 1.0);  // before the first time
  EXPECT_EQ(r.band_at(56.5).low, r.band_at_row(row_of(r, 56.0)).low);  // the step function's value
}

TEST(KaplanMeier, EntryAndWeightsMatchStatsmodels) {
  // RandomState(7) sample of the script above: late entry for ~40 %, integer case weights 1–3.
  const std::vector<double> durations{17, 11, 1, 13, 14, 12, 10, 15, 14, 4, 13, 5, 10, 17, 16, 4, 5, 5, 12, 13, 11, 11, 9, 12, 8, 17, 3, 8, 4, 14};
  const std::vector<std::uint8_t> observed{1, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 1, 1, 1};
  const std::vector<double> entry{5, 0, 0, 0, 0, 0, 0, 5, 1, 0, 0, 0, 4, 4, 4, 0, 4, 0, 0, 4, 0, 0, 2, 0, 0, 3, 0, 0, 0, 0};
  const std::vector<double> weights{3, 1, 2, 2, 2, 3, 1, 1, 2, 1, 1, 2, 1, 2, 3, 2, 3, 3, 1, 1, 2, 2, 1, 2, 2, 2, 1, 1, 3, 2};
  const std::vector<double> times{1, 4, 5, 8, 10, 11, 12, 13, 14, 15, 16, 17};
  const std::vector<double> survival{0.94444444444444442, 0.79532163742690054, 0.75744917850181004, 0.69765055914640384, 0.67713142505386259, 0.61365035395506295, 0.47728360863171571, 0.45455581774449111, 0.29412435265820008, 0.26738577514381823, 0.18717004260067274, 0.10695431005752729};
  const std::vector<double> variance{0.0014574759945130316, 0.0041546246748387214, 0.0044513780734520376, 0.0048741292719522581, 0.0050002836457270225, 0.0053240276972965064, 0.0056312863467086046, 0.0055996974596396205, 0.0051202041746127927, 0.0048815296321112877, 0.0038933477274690014, 0.0024969284071200584};
  const std::vector<double> ci_low{0.79565666927451328, 0.63240059158716133, 0.59621064530247825, 0.5375257066404413, 0.51733230941739095, 0.45520843045006332, 0.32565228155831127, 0.30509745883469019, 0.16417631155428197, 0.14300969938701966, 0.084178458552649132, 0.034490489152216967};
  const std::vector<double> ci_high{0.9858091643799336, 0.89185596253856114, 0.86137727193375435, 0.81154706982414826, 0.79401771953959788, 0.73859421964022531, 0.61408578556515814, 0.59235871144669638, 0.43655286152745182, 0.40875629587162082, 0.32152855886862408, 0.22672416793371619};
  const std::vector<double> n_risk{36, 38, 42, 38, 34, 32, 27, 21, 17, 11, 10, 7};
  const std::vector<double> n_events{2, 6, 2, 3, 1, 3, 6, 1, 6, 1, 3, 3};
  const auto r = kaplan_meier(durations, observed, entry, weights);
  expect_matches_statsmodels(r, times, survival, variance, ci_low, ci_high, n_risk, n_events);
  EXPECT_EQ(r.median(), 12.0);  // statsmodels quantile(0.5)
  EXPECT_EQ(r.median_ci().low, 11.0);
  EXPECT_EQ(r.median_ci().high, 14.0);
  // Timeline = every distinct exit and entry time (2 and 3 are entry-only rows).
  EXPECT_EQ(r.timeline, (std::vector<double>{0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}));
  double entering_at_zero = 0.0;
  for (std::size_t i = 0; i < entry.size(); ++i) entering_at_zero += entry[i] == 0.0 ? weights[i] : 0.0;
  EXPECT_EQ(r.entrance.front(), entering_at_zero);
  EXPECT_EQ(r.entrance[row_of(r, 5.0)], 3.0 + 1.0);  // subjects 0 and 7
}

// ---- lifelines' event-table conventions ----

TEST(KaplanMeier, LifelinesDocstringEventTable) {
  // survival_table_from_events docstring: deaths at 6, 7×2, 9×3, 13×3, 15×2; everyone enters at 0.
  const std::vector<double> t{6, 7, 7, 9, 9, 9, 13, 13, 13, 15, 15};
  const std::vector<std::uint8_t> e(t.size(), 1);
  const auto r = kaplan_meier(t, e);
  EXPECT_EQ(r.timeline, (std::vector<double>{0, 6, 7, 9, 13, 15}));
  EXPECT_EQ(r.removed(), (std::vector<double>{0, 1, 2, 3, 3, 2}));
  EXPECT_EQ(r.observed, (std::vector<double>{0, 1, 2, 3, 3, 2}));
  EXPECT_EQ(r.censored, (std::vector<double>{0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(r.entrance, (std::vector<double>{11, 0, 0, 0, 0, 0}));
  EXPECT_EQ(r.at_risk, (std::vector<double>{11, 11, 10, 8, 5, 2}));
  EXPECT_EQ(r.survival.back(), 0.0);
  expect_close(r.survival[3], 10.0 / 11 * 8 / 10 * 5 / 8, 1e-14, "S(9)");
  const auto table = km_event_table::from_spans(t, e);
  EXPECT_EQ(table.at_risk(), r.at_risk);
  EXPECT_EQ(table.total_weight(), 11.0);
}

TEST(KaplanMeier, LateEntryRiskSets) {
  // Hand example. A: (0, 4] event; B: (0, 6] censored; C: (2, 4] event; D: (3, 8] event;
  // E: (5, 8] censored. At risk at t when entry < t ≤ exit: n(4) = 4 (A B C D), n(8) = 2 (D E).
  const std::vector<double> exit{4, 6, 4, 8, 8};
  const std::vector<std::uint8_t> event{1, 0, 1, 1, 0};
  const std::vector<double> entry{0, 0, 2, 3, 5};
  const auto r = kaplan_meier(exit, event, entry);
  EXPECT_EQ(r.timeline, (std::vector<double>{0, 2, 3, 4, 5, 6, 8}));
  EXPECT_EQ(r.entrance, (std::vector<double>{2, 1, 1, 0, 1, 0, 0}));
  // lifelines' at_risk column counts the row's own entrants: cumsum(entrance) − shifted cumsum(removed).
  EXPECT_EQ(r.at_risk, (std::vector<double>{2, 3, 4, 4, 3, 3, 2}));
  EXPECT_EQ(r.survival, (std::vector<double>{1, 1, 1, 0.5, 0.5, 0.5, 0.25}));
  // Greenwood: 2/(4·2) + 1/(2·1) = 0.75.
  EXPECT_EQ(r.greenwood_sum.back(), 0.75);
  EXPECT_EQ(r.variance().back(), 0.25 * 0.25 * 0.75);
  EXPECT_EQ(r.median(), 4.0);
  // Entry at 0 is the same as no late entry.
  const std::vector<double> zeros(exit.size(), 0.0);
  const auto a = kaplan_meier(exit, event, zeros);
  const auto b = kaplan_meier(exit, event);
  EXPECT_EQ(a.survival, b.survival);
  EXPECT_EQ(a.at_risk, b.at_risk);
}

TEST(KaplanMeier, DeathsAtTimeZero) {
  // Exits at 0 are at risk at 0 (lifelines: first-row entrants come before its deaths).
  const std::vector<double> t{0, 0, 1, 2};
  const std::vector<std::uint8_t> e{1, 0, 1, 1};
  const auto r = kaplan_meier(t, e);
  EXPECT_EQ(r.timeline, (std::vector<double>{0, 1, 2}));
  // S = exp(Σ log(1 − d/n)) as lifelines: 0.75 up to rounding.
  expect_close(r.survival[0], 0.75, 1e-15, "S(0)");
  EXPECT_EQ(r.survival_at(-1.0), 1.0);
  EXPECT_EQ(r.survival_at(0.0), r.survival[0]);
  expect_close(r.survival[1], 0.75 * 0.5, 1e-15, "S(1)");
  EXPECT_EQ(r.survival[2], 0.0);
  // −0.0 is the same time as +0.0.
  const std::vector<double> negative_zero{-0.0, 0.0, 1, 2};
  EXPECT_EQ(kaplan_meier(negative_zero, e).timeline, r.timeline);
}

// ---- merge ----

/// Every column of two curves, bit for bit.
void expect_same_curve(const kaplan_meier_result& got, const kaplan_meier_result& want) {
  EXPECT_EQ(got.timeline, want.timeline);
  EXPECT_EQ(got.survival, want.survival);
  EXPECT_EQ(got.greenwood_sum, want.greenwood_sum);
  EXPECT_EQ(got.at_risk, want.at_risk);
  EXPECT_EQ(got.observed, want.observed);
  EXPECT_EQ(got.censored, want.censored);
  EXPECT_EQ(got.entrance, want.entrance);
}

struct sample {
  std::vector<double> durations, entry, weights;
  std::vector<std::uint8_t> observed;
  std::size_t size() const { return durations.size(); }
  void push_from(const sample& other, std::size_t i) {
    durations.push_back(other.durations[i]);
    entry.push_back(other.entry[i]);
    weights.push_back(other.weights[i]);
    observed.push_back(other.observed[i]);
  }
  km_event_table table() const { return km_event_table::from_spans(durations, observed, entry, weights); }
};

/// Integer durations 0–40 (many ties), late entry for ~30 %, weights in multiples of 1/4 (some 0), so
/// every partial sum is exact and any merge order gives bit-identical tables.
sample random_sample(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> duration(0, 40), quarter(0, 12), coin(0, 9);
  sample s;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = duration(rng);
    double entry = 0.0;
    if (t > 0 && coin(rng) < 3) entry = std::uniform_int_distribution<int>(0, static_cast<int>(t) - 1)(rng);
    s.durations.push_back(t);
    s.entry.push_back(entry);
    s.weights.push_back(quarter(rng) / 4.0);
    s.observed.push_back(coin(rng) < 6 ? 1 : 0);
  }
  return s;
}

TEST(KaplanMeier, MergeShardsIsExact) {
  sample all = random_sample(600, 42);
  // The first third gets non-integer exits: its contiguous shard goes through the bucket sort, the
  // other two through the counting sort, and the merge still matches exactly.
  for (std::size_t i = 0; i < all.size() / 3; ++i) all.durations[i] += 0.375;
  const km_event_table whole = all.table();
  const auto whole_fit = kaplan_meier(whole);
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> pick(0, 2);
  for (int split = 0; split < 3; ++split) {
    sample shard[3];
    for (std::size_t i = 0; i < all.size(); ++i) {
      const std::size_t s = split == 0   ? i * 3 / all.size()                     // contiguous thirds
                            : split == 1 ? i % 3                                  // round robin
                                         : static_cast<std::size_t>(pick(rng));  // random
      shard[s].push_from(all, i);
    }
    const km_event_table a = shard[0].table(), b = shard[1].table(), c = shard[2].table();
    EXPECT_EQ((a + b) + c, whole) << "split " << split;
    EXPECT_EQ(c + (b + a), whole) << "split " << split;
    km_event_table running;  // the empty table is the identity
    running += b;
    running += km_event_table{};
    running += c;
    running += a;
    EXPECT_EQ(running, whole) << "split " << split;
    const auto merged_fit = kaplan_meier(running);
    EXPECT_EQ(merged_fit.timeline, whole_fit.timeline);
    EXPECT_EQ(merged_fit.survival, whole_fit.survival);
    EXPECT_EQ(merged_fit.greenwood_sum, whole_fit.greenwood_sum);
    EXPECT_EQ(merged_fit.confidence_band(), whole_fit.confidence_band());
    EXPECT_EQ(merged_fit.at_risk, whole_fit.at_risk);
  }
}

TEST(KaplanMeier, CountingAndBucketSortPathsAgree) {
  // Integer times in a small range take the counting-sort path; halving every time (exact, order
  // preserving) makes them non-integers and sends the same sample through the bucket sort.
  const sample all = random_sample(800, 11);
  sample halved = all;
  for (double& t : halved.durations) t *= 0.5;
  for (double& t : halved.entry) t *= 0.5;
  for (int with_entry = 0; with_entry < 2; ++with_entry)
    for (int with_weights = 0; with_weights < 2; ++with_weights) {
      const std::span<const double> e1 = with_entry ? std::span<const double>(all.entry) : std::span<const double>{};
      const std::span<const double> e2 =
          with_entry ? std::span<const double>(halved.entry) : std::span<const double>{};
      const std::span<const double> w = with_weights ? std::span<const double>(all.weights) : std::span<const double>{};
      const auto counted = km_event_table::from_spans(all.durations, all.observed, e1, w);
      const auto sorted = km_event_table::from_spans(halved.durations, halved.observed, e2, w);
      ASSERT_EQ(counted.size(), sorted.size());
      for (std::size_t i = 0; i < counted.size(); ++i) EXPECT_EQ(counted.times()[i] * 0.5, sorted.times()[i]);
      EXPECT_EQ(counted.observed(), sorted.observed());
      EXPECT_EQ(counted.censored(), sorted.censored());
      EXPECT_EQ(counted.entrance(), sorted.entrance());
      EXPECT_EQ(kaplan_meier(counted).survival, kaplan_meier(sorted).survival);
    }
  // Integer times far beyond the sample size also go through the bucket sort.
  const std::vector<double> sparse{1e9, 3, 3, 7e8};
  const std::vector<std::uint8_t> events{1, 1, 0, 1};
  EXPECT_EQ(km_event_table::from_spans(sparse, events).times(), (std::vector<double>{0, 3, 7e8, 1e9}));
}

TEST(KaplanMeier, AddMatchesFromSpans) {
  const sample all = random_sample(300, 9);
  km_event_table streamed;
  for (std::size_t i = 0; i < all.size(); ++i)
    streamed.add(all.durations[i], all.observed[i] != 0, all.entry[i], all.weights[i]);
  EXPECT_EQ(streamed, all.table());
  // Without entry and weights: entrance at 0 for everyone, unit weights.
  km_event_table unit;
  for (std::size_t i = 0; i < all.size(); ++i) unit.add(all.durations[i], all.observed[i] != 0);
  EXPECT_EQ(unit, km_event_table::from_spans(all.durations, all.observed));
  EXPECT_EQ(unit.total_weight(), 300.0);
}

TEST(KaplanMeier, LargeSampleUsesBucketSortConsistently) {
  // 5,000 continuous durations exercise both bucket levels; compare with a std::sort reference.
  std::mt19937_64 rng(3);
  std::exponential_distribution<double> life(0.1);
  std::vector<double> t(5000);
  std::vector<std::uint8_t> e(5000);
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = life(rng), e[i] = (i % 4 != 0);
  const auto r = kaplan_meier(t, e);
  std::vector<double> sorted = t;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  sorted.insert(sorted.begin(), 0.0);
  EXPECT_EQ(r.timeline, sorted);
  // Hand product limit over the sorted sample.
  std::vector<std::size_t> order(t.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return t[a] < t[b]; });
  double s = 1.0, at_risk = static_cast<double>(t.size());
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (e[order[i]]) s *= 1.0 - 1.0 / at_risk;
    at_risk -= 1.0;
    if (i + 1 == order.size() || t[order[i + 1]] != t[order[i]]) {
      ASSERT_NEAR(r.survival_at(t[order[i]]), s, 1e-12) << i;
    }
  }
}

TEST(KaplanMeier, OnePassFitEqualsTheTableAndItsFit) {
  // Unweighted samples without late entry whose times need a sort are fitted in one pass from the
  // sorted keys; the result must be the event table's fit to the bit: ties, exits at 0 (and −0.0),
  // all censored, one subject, and integer times too far apart for the counting sort.
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> life(0.1);
  std::vector<std::pair<std::vector<double>, std::vector<std::uint8_t>>> samples = {
      {{0.5}, {1}},
      {{0.5}, {0}},
      {{-0.0, 0.0, 0.25, 0.25, 0.25, 3.5}, {1, 0, 1, 1, 0, 1}},
      {{2.5, 1.5, 2.5, 1e9}, {0, 0, 0, 0}},
      {{1e6, 3e6, 3e6, 7e6}, {1, 1, 0, 1}},
  };
  std::vector<double> t(20000);
  std::vector<std::uint8_t> e(t.size());
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = i % 3 == 0 ? std::round(life(rng) * 4.0) / 4.0 + 0.5 : life(rng);  // every third tied on a grid
    e[i] = static_cast<std::uint8_t>(rng() % 3 != 0);
  }
  samples.emplace_back(t, e);
  for (const auto& [durations, observed] : samples) {
    const auto one_pass = kaplan_meier(durations, observed, {}, {}, 0.9);
    const auto table = km_event_table::from_spans(durations, observed);
    const auto fitted = kaplan_meier(table, 0.9);
    ASSERT_GT(one_pass.timeline.size(), 0U);
    expect_same_curve(one_pass, fitted);
    EXPECT_EQ(one_pass.confidence, 0.9);
  }
}

TEST(KaplanMeier, IntegerWeightsEqualReplication) {
  const std::vector<double> t{3, 5, 5, 8, 12, 12, 15};
  const std::vector<std::uint8_t> e{1, 0, 1, 1, 1, 0, 1};
  const std::vector<double> w{2, 1, 3, 1, 2, 2, 1};
  const std::vector<int> g{0, 1, 0, 1, 2, 2, 1};
  std::vector<double> rt;
  std::vector<std::uint8_t> re;
  std::vector<int> rg;
  for (std::size_t i = 0; i < t.size(); ++i)
    for (int k = 0; k < static_cast<int>(w[i]); ++k) rt.push_back(t[i]), re.push_back(e[i]), rg.push_back(g[i]);
  EXPECT_EQ(km_event_table::from_spans(t, e, {}, w), km_event_table::from_spans(rt, re));
  const auto weighted = logrank_test(t, e, g, w), replicated = logrank_test(rt, re, rg);
  EXPECT_NEAR(weighted.statistic, replicated.statistic, 1e-12);
  EXPECT_EQ(weighted.observed, replicated.observed);
  EXPECT_EQ(weighted.df, 2);
}

// ---- behaviour of the fitted curve ----

TEST(KaplanMeier, SurvivalAtIsARightContinuousStep) {
  const std::vector<double> t{2, 4, 4, 7};
  const std::vector<std::uint8_t> e{1, 1, 0, 1};
  const auto r = kaplan_meier(t, e);
  EXPECT_EQ(r.survival_at(-5.0), 1.0);
  EXPECT_EQ(r.survival_at(0.0), 1.0);
  EXPECT_EQ(r.survival_at(1.999), 1.0);
  expect_close(r.survival_at(2.0), 0.75, 1e-15, "S(2)");
  EXPECT_EQ(r.survival_at(3.0), r.survival_at(2.0));
  expect_close(r.survival_at(4.0), 0.5, 1e-15, "S(4)");
  EXPECT_EQ(r.survival_at(6.999), r.survival_at(4.0));
  EXPECT_EQ(r.survival_at(7.0), 0.0);
  EXPECT_EQ(r.survival_at(1e9), 0.0);
  EXPECT_TRUE(std::isnan(r.survival_at(qnan)));
  expect_close(r.cumulative_density()[1], 0.25, 1e-15, "F(2)");
  EXPECT_EQ(r.survival_time(0.75), 2.0);
  EXPECT_EQ(r.median(), 4.0);
  EXPECT_EQ(r.survival_time(0.0), 7.0);
  EXPECT_EQ(r.survival_time(1.0), 0.0);
}

TEST(KaplanMeier, MedianOfACurveThatIsExactlyHalf) {
  // 4 of 8 die at t = 1: S(1) = 1 − 4/8 = 1/2 exactly (lifelines' exp(log 4 − log 8) rounds to
  // 0.5000000000000001 and it then reports 2; the median is 1).
  const std::vector<double> t{1, 1, 1, 1, 2, 3, 4, 5};
  const std::vector<std::uint8_t> e(t.size(), 1);
  const auto r = kaplan_meier(t, e);
  EXPECT_EQ(r.survival_at(1.0), 0.5);
  EXPECT_EQ(r.median(), 1.0);
  EXPECT_EQ(r.survival_time(0.5 - 1e-9), 2.0);  // a real gap still counts
  // 24 subjects dying one at a time: S(12) = Π_{m=13}^{24} (1 − 1/m) = 1/2, but the running product
  // rounds to 0.5000000000000001. The crossing test allows for rounding: median 12.
  std::vector<double> one_by_one(24);
  for (std::size_t i = 0; i < one_by_one.size(); ++i) one_by_one[i] = static_cast<double>(i + 1);
  const auto r24 = kaplan_meier(one_by_one, std::vector<std::uint8_t>(24, 1));
  EXPECT_GT(r24.survival_at(12.0), 0.5);
  EXPECT_NEAR(r24.survival_at(12.0), 0.5, 1e-15);
  EXPECT_EQ(r24.median(), 12.0);
}

TEST(KaplanMeier, MedianIsInfiniteWhenTheCurveStaysAboveHalf) {
  const std::vector<double> t{1, 2, 3, 4, 5, 6};
  const std::vector<std::uint8_t> e{1, 0, 1, 0, 0, 0};
  const auto r = kaplan_meier(t, e);
  EXPECT_GT(r.survival.back(), 0.5);
  EXPECT_EQ(r.median(), inf);
  EXPECT_EQ(r.median_ci().high, inf);
  // All censored: S = 1 everywhere, band (1, 1), variance 0.
  const std::vector<std::uint8_t> none(t.size(), 0);
  const auto flat = kaplan_meier(t, none);
  for (std::size_t i = 0; i < flat.timeline.size(); ++i) {
    EXPECT_EQ(flat.survival[i], 1.0);
    EXPECT_EQ(flat.band_at_row(i).low, 1.0);
    EXPECT_EQ(flat.band_at_row(i).high, 1.0);
    EXPECT_EQ(flat.variance()[i], 0.0);
  }
  EXPECT_EQ(flat.median(), inf);
  EXPECT_EQ(flat.median_ci().low, inf);
}

TEST(KaplanMeier, FractionalWeightsEndExactlyAtZero) {
  // Everyone left at the last time dies: S must be exactly 0 there even though 0.1 + 0.2 + 0.7 is
  // not exact (at-risk sums run from the tail), with variance 0 and band (0, 0).
  const std::vector<double> t{1, 2, 3, 3};
  const std::vector<std::uint8_t> e{1, 0, 1, 1};
  const std::vector<double> w{0.1, 0.2, 0.3, 0.7};
  const auto r = kaplan_meier(t, e, {}, w);
  EXPECT_EQ(r.survival.back(), 0.0);
  EXPECT_EQ(r.variance().back(), 0.0);
  EXPECT_EQ(r.band_at_row(r.timeline.size() - 1).low, 0.0);
  EXPECT_EQ(r.band_at_row(r.timeline.size() - 1).high, 0.0);
  EXPECT_GT(r.survival[1], 0.0);
  expect_close(r.survival[1], 1.0 - 0.1 / 1.3, 1e-15, "S(1)");
  EXPECT_EQ(r.median(), 3.0);
}

TEST(KaplanMeier, ConfidenceLevelWidensTheBand) {
  const std::vector<double> t{1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<std::uint8_t> e{1, 1, 0, 1, 1, 0, 1, 0};
  const auto r95 = kaplan_meier(t, e);
  const auto r99 = kaplan_meier(t, e, {}, {}, 0.99);
  EXPECT_EQ(r99.confidence, 0.99);
  for (std::size_t i = 1; i < r95.timeline.size(); ++i) {
    EXPECT_LT(r99.band_at_row(i).low, r95.band_at_row(i).low);
    EXPECT_GT(r99.band_at_row(i).high, r95.band_at_row(i).high);
    EXPECT_LE(r95.band_at_row(i).low, r95.survival[i]);
    EXPECT_GE(r95.band_at_row(i).high, r95.survival[i]);
  }
  EXPECT_EQ(r99.survival, r95.survival);
}

TEST(KaplanMeier, EmptyInputGivesAnEmptyCurve) {
  const auto r = kaplan_meier(std::span<const double>{}, std::span<const std::uint8_t>{});
  EXPECT_TRUE(r.empty());
  EXPECT_TRUE(std::isnan(r.median()));
  EXPECT_TRUE(std::isnan(r.median_ci().low));
  EXPECT_TRUE(std::isnan(r.median_ci().high));
  EXPECT_TRUE(std::isnan(r.survival_at(1.0)));
  EXPECT_TRUE(kaplan_meier(km_event_table{}).empty());
  EXPECT_TRUE(km_event_table::from_spans({}, {}).empty());
}

// ---- bad input ----

template <class F>
void expect_invalid(F&& call, const std::string& message) {
  try {
    call();
    ADD_FAILURE() << "expected invalid_input containing: " << message;
  } catch (const invalid_input& e) {
    EXPECT_THAT(e.what(), HasSubstr(message));
  }
}

TEST(KaplanMeier, BadInputNamesTheElement) {
  const std::vector<std::uint8_t> e4{1, 1, 0, 1};
  auto km = [](std::vector<double> t, std::vector<std::uint8_t> e, std::vector<double> entry = {},
               std::vector<double> w = {}) { return [=] { (void)kaplan_meier(t, e, entry, w); }; };
  expect_invalid(km({1, 2, 3, -1}, e4), "kaplan_meier: durations[3]: negative duration -1");
  expect_invalid(km({1, qnan, 3, 4}, e4), "durations[1]: duration must be finite, got nan");
  expect_invalid(km({1, 2, inf, 4}, e4), "durations[2]: duration must be finite, got inf");
  expect_invalid(km({1, 2, 3, 4}, {1, 2, 0, 1}), "observed[1]: event flag must be 0 or 1, got 2");
  expect_invalid(km({1, 2, 3, 4}, e4, {0, 0, 5, 0}), "entry[2]: entry 5 is after duration 3");
  expect_invalid(km({1, 2, 3, 4}, e4, {0, 2, 0, 0}), "entry[1]: entry 2 equals duration 2");
  expect_invalid(km({1, 2, 3, 4}, e4, {0, 0, 0, -1}), "entry[3]: negative entry -1");
  expect_invalid(km({1, 2, 3, 4}, e4, {0, qnan, 0, 0}), "entry[1]: entry must be finite, got nan");
  expect_invalid(km({1, 2, 3, 4}, e4, {}, {1, -0.5, 1, 1}), "weights[1]: negative weight -0.5");
  expect_invalid(km({1, 2, 3, 4}, e4, {}, {qnan, 1, 1, 1}), "weights[0]: weight must be finite, got nan");
  expect_invalid(km({1, 2, 3, 4}, {1, 1, 0}), "observed has 3 elements but durations has 4");
  // Durations are scanned in blocks of 4,096: a −0.0 (valid) early in one block, the first bad value
  // in a later one, and a flag beyond the first block.
  std::vector<double> many(10000, 1.5);
  std::vector<std::uint8_t> flags(many.size(), 1);
  many[3] = -0.0;
  many[9000] = -2.0;
  many[9500] = qnan;
  expect_invalid(km(many, flags), "kaplan_meier: durations[9000]: negative duration -2");
  many[9000] = 1.5;
  expect_invalid(km(many, flags), "kaplan_meier: durations[9500]: duration must be finite, got nan");
  many[9500] = 1.5;
  flags[7001] = 255;
  expect_invalid(km(many, flags), "kaplan_meier: observed[7001]: event flag must be 0 or 1, got 255");
  flags[7001] = 0;
  EXPECT_NO_THROW(km(many, flags)());
  expect_invalid(km({1, 2, 3, 4}, e4, {0, 0}), "entry has 2 elements but durations has 4");
  expect_invalid(km({1, 2, 3, 4}, e4, {}, {1, 1, 1, 1, 1}), "weights has 5 elements but durations has 4");
  expect_invalid([] { (void)kaplan_meier(std::vector<double>{1.0}, std::vector<std::uint8_t>{1}, {}, {}, 1.5); },
                 "kaplan_meier: confidence must be in (0, 1), got 1.5");
  expect_invalid([] { (void)kaplan_meier(km_event_table{}, 0.0); }, "confidence must be in (0, 1), got 0");
  expect_invalid([] { (void)km_event_table::from_spans(std::vector<double>{-2.0}, std::vector<std::uint8_t>{1}); },
                 "km_event_table: durations[0]: negative duration -2");
  km_event_table table;
  expect_invalid([&] { table.add(-1.0, true); }, "km_event_table::add: duration: negative duration -1");
  expect_invalid([&] { table.add(3.0, true, 4.0); }, "km_event_table::add: entry: entry 4 is after duration 3");
  expect_invalid([&] { table.add(3.0, true, 0.0, qnan); }, "km_event_table::add: weight: weight must be finite");
  EXPECT_TRUE(table.empty());  // failed adds leave the table untouched
}

// ---- log-rank specifics ----

TEST(LogRank, GroupCodesAreOnlyLabels) {
  const std::vector<double> t{5, 3, 9, 8, 7, 4, 4, 3, 2, 5, 6, 7};
  const std::vector<std::uint8_t> e{1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 0};
  const std::vector<int> g{0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2};
  const auto base = logrank_test(t, e, g);
  EXPECT_EQ(base.groups, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(base.df, 2);
  // Relabelled (reordered and far apart — the sorted-codes path) gives the same χ².
  const std::vector<int> far{2000000000, 2000000000, 2000000000, 2000000000, -7, -7, -7, -7, -7, 12, 12, 12};
  const auto relabelled = logrank_test(t, e, far);
  EXPECT_EQ(relabelled.groups, (std::vector<int>{-7, 12, 2000000000}));
  EXPECT_NEAR(relabelled.statistic, base.statistic, 1e-10);
  EXPECT_NEAR(relabelled.p_value, base.p_value, 1e-12);
  // lifelines' multivariate_logrank_test docstring example. statsmodels:
  //   survdiff([5,3,9,8,7,4,4,3,2,5,6,7], [1,1,1,1,1,1,0,0,1,1,1,0], [0,0,0,0,1,1,1,1,1,2,2,2])
  //   → 1.0800467314891908; chi2.sf(·, 2) = 0.582734636186238.
  expect_close(base.statistic, 1.0800467314891908, 1e-12, "chi2");
  expect_close(base.p_value, 0.582734636186238, 1e-12, "p");
  EXPECT_EQ(base.observed, (std::vector<double>{4, 3, 2}));
  double o = 0.0, x = 0.0;
  for (std::size_t k = 0; k < 3; ++k) o += base.observed[k], x += base.expected[k];
  EXPECT_NEAR(o, x, 1e-12);
}

TEST(LogRank, CountingAndBucketSortPathsAgree) {
  // Integer days go through the counting sort; 1.5·t + 0.25 keeps order and ties but is never an
  // integer, so the same test goes through the bucket sort: the statistic is a function of the order.
  std::mt19937_64 rng(23);
  std::uniform_int_distribution<int> day(0, 400);
  const std::size_t n = 5000;
  std::vector<double> days(n), shifted(n), weights(n);
  std::vector<std::uint8_t> observed(n);
  std::vector<int> groups(n);
  for (std::size_t i = 0; i < n; ++i) {
    days[i] = day(rng);
    shifted[i] = 1.5 * days[i] + 0.25;
    weights[i] = 0.5 + static_cast<double>(rng() % 4) * 0.25;
    observed[i] = static_cast<std::uint8_t>(rng() % 3 != 0);
    groups[i] = static_cast<int>(rng() % 3);
  }
  const auto counted = logrank_test(days, observed, groups, weights);
  const auto bucketed = logrank_test(shifted, observed, groups, weights);
  EXPECT_EQ(counted.statistic, bucketed.statistic);
  EXPECT_EQ(counted.observed, bucketed.observed);
  EXPECT_EQ(counted.expected, bucketed.expected);
  EXPECT_GT(counted.statistic, 0.0);
}

TEST(LogRank, NoEventsGivesZero) {
  const std::vector<double> t{1, 2, 3, 4};
  const std::vector<std::uint8_t> e{0, 0, 0, 0};
  const std::vector<int> g{0, 1, 0, 1};
  const auto test = logrank_test(t, e, g);
  EXPECT_EQ(test.statistic, 0.0);
  EXPECT_EQ(test.p_value, 1.0);
}

TEST(LogRank, BadInput) {
  const std::vector<double> t{1, 2, 3};
  const std::vector<std::uint8_t> e{1, 0, 1};
  expect_invalid([&] { (void)logrank_test(t, e, std::vector<int>{1, 1, 1}); },
                 "logrank_test: needs at least two groups, found 1");
  expect_invalid([&] { (void)logrank_test({}, {}, {}); }, "needs at least two groups, found 0");
  expect_invalid([&] { (void)logrank_test(t, e, std::vector<int>{0, 1}); },
                 "logrank_test: groups has 2 elements but durations has 3");
  expect_invalid([&] { (void)logrank_test(t, e, std::vector<int>{0, 7, 0}, std::vector<double>{1, 0, 1}); },
                 "logrank_test: group 7 is empty");
  expect_invalid([&] { (void)logrank_test(std::vector<double>{1, -2, 3}, e, std::vector<int>{0, 1, 0}); },
                 "logrank_test: durations[1]: negative duration -2");
  expect_invalid([&] { (void)logrank_test(t, std::vector<std::uint8_t>{1, 0, 3}, std::vector<int>{0, 1, 0}); },
                 "logrank_test: observed[2]: event flag must be 0 or 1, got 3");
  expect_invalid([&] { (void)logrank_test(t, e, std::vector<int>{0, 1, 0}, std::vector<double>{1, 1}); },
                 "logrank_test: weights has 2 elements but durations has 3");
}

}  // namespace

// The fast paths (bucket sort of continuous times, S as a running product, reused columns) against the
// direct formulas of the estimator as lifelines writes them (S = exp Σ log(1 − d/n)), with the events,
// censorings and numbers at risk tallied independently from the sample ordered by std::sort.
TEST(KaplanMeier, FastContinuousPathMatchesDirectFormulas) {
  using namespace custhealth;
  std::mt19937_64 rng(11);
  std::exponential_distribution<double> life(1.0 / 700.0);
  std::uniform_real_distribution<double> follow(0.0, 1500.0);
  const std::size_t n = 300'000;
  std::vector<double> durations(n);
  std::vector<std::uint8_t> observed(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double l = life(rng), f = follow(rng);
    durations[i] = i % 7 == 0 ? std::round(std::min(l, f)) : std::min(l, f);  // some ties
    observed[i] = l <= f ? 1 : 0;
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return durations[a] < durations[b]; });
  const auto table = km_event_table::from_spans(durations, observed);
  survival_workspace workspace;
  for (int round = 0; round < 2; ++round) {  // the second fit reuses the first one's columns
    auto r = kaplan_meier(table, 0.95, &workspace);
    auto [band_low, band_high] = r.confidence_band(&workspace);
    const double z = detail::z_critical(0.95);
    double log_s = 0.0, greenwood = 0.0, low = 1.0, high = 1.0;
    std::size_t next = 0;  // subjects order[0, next) have left before the current row's time
    for (std::size_t i = 0; i < r.timeline.size(); ++i) {
      // Row 0 is time 0 (everyone enters there); each later row is the next distinct duration.
      if (i > 0) {
        ASSERT_LT(next, n) << "a row after the last duration: " << i;
      }
      ASSERT_EQ(r.timeline[i], i == 0 ? 0.0 : durations[order[next]]) << i;
      const double at_risk = static_cast<double>(n - next);
      double d = 0.0, c = 0.0;
      for (; next < n && durations[order[next]] == r.timeline[i]; ++next) (observed[order[next]] ? d : c) += 1.0;
      ASSERT_EQ(r.observed[i], d) << i;
      ASSERT_EQ(r.censored[i], c) << i;
      ASSERT_EQ(r.at_risk[i], at_risk) << i;
      if (d > 0.0) {
        log_s += std::log(at_risk - d) - std::log(at_risk);
        greenwood += d / (at_risk * (at_risk - d));
        const double v = std::log(std::exp(log_s)), centre = std::log(-v), half = z * std::sqrt(greenwood) / v;
        low = std::exp(-std::exp(centre - half));
        high = std::exp(-std::exp(centre + half));
      }
      // A product and a sum of logs over ~190,000 event rows round differently: agree to 1e-11.
      ASSERT_NEAR(r.survival[i], std::exp(log_s), 1e-11 * std::exp(log_s)) << i;
      ASSERT_EQ(r.greenwood_sum[i], greenwood) << i;
      ASSERT_NEAR(band_low[i], low, 1e-10 * low) << i;
      ASSERT_NEAR(band_high[i], high, 1e-10 * high) << i;
    }
    ASSERT_EQ(next, n);  // every subject left at some row
    r.recycle(workspace);
    for (auto* column : {&band_low, &band_high}) workspace.recycle(std::move(*column));
  }
}

// Reused buffers must not leak values between fits: the same sample fitted without a workspace, through
// one holding another fit's columns, after its release(), and through copies of its table gives the
// same curve.
TEST(KaplanMeier, PooledBuffersChangeNothing) {
  using namespace custhealth;
  std::mt19937_64 rng(17);
  std::exponential_distribution<double> life(1.0 / 300.0);
  const std::size_t n = 600'000;  // columns of 4.8 MB: above the workspace's 4 MiB floor
  std::vector<double> durations(n);
  std::vector<std::uint8_t> observed(n);
  for (std::size_t i = 0; i < n; ++i) {
    durations[i] = life(rng);
    observed[i] = static_cast<std::uint8_t>(rng() % 3 != 0);
  }
  survival_workspace workspace;
  const auto fresh = kaplan_meier(durations, observed);
  // Fills the workspace with other values.
  kaplan_meier(durations, std::vector<std::uint8_t>(n, 1), {}, {}, 0.95, &workspace).recycle(workspace);
  const auto reused = kaplan_meier(durations, observed, {}, {}, 0.95, &workspace);
  workspace.release();
  const auto released = kaplan_meier(durations, observed, {}, {}, 0.95, &workspace);
  const auto table = km_event_table::from_spans(durations, observed);
  km_event_table copied = table;
  copied = table;
  EXPECT_EQ(copied, table);
  const auto from_copy = kaplan_meier(copied);
  for (const auto* r : {&reused, &released, &from_copy}) {
    EXPECT_EQ(r->timeline, fresh.timeline);
    EXPECT_EQ(r->survival, fresh.survival);
    EXPECT_EQ(r->greenwood_sum, fresh.greenwood_sum);
    EXPECT_EQ(r->at_risk, fresh.at_risk);
  }
}

// The bucket sort behind from_spans on shapes that defeat bucketing by value (clusters, many binary
// orders of magnitude, one time only, outliers, subnormals), against an ordered-map tally.
TEST(KaplanMeier, EventTableOfAnyShapeOfTimes) {
  using namespace custhealth;
  std::mt19937_64 rng(13);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const std::size_t n = 20'000;
  const std::vector<std::pair<std::string, std::function<double(std::size_t)>>> shapes{
      {"uniform", [&](std::size_t) { return 100.0 * unit(rng); }},
      {"cluster", [&](std::size_t i) { return i % 10 == 0 ? 5000.0 * unit(rng) : 1000.0 + 1e-6 * unit(rng); }},
      {"geometric", [&](std::size_t i) { return std::ldexp(1.0 + unit(rng), -static_cast<int>(i % 1000)); }},
      {"one time", [&](std::size_t) { return 0.5; }},
      {"outlier", [&](std::size_t i) { return i == n / 2 ? 1e300 : unit(rng); }},
      {"subnormal", [&](std::size_t i) { return i % 2 ? 5e-324 * static_cast<double>(i % 17) : unit(rng); }},
  };
  for (const auto& [name, draw] : shapes) {
    std::vector<double> durations(n);
    std::vector<std::uint8_t> observed(n);
    std::map<double, std::pair<double, double>> tally;  // time → (deaths, censorings)
    for (std::size_t i = 0; i < n; ++i) {
      durations[i] = draw(i);
      observed[i] = static_cast<std::uint8_t>(rng() & 1);
      (observed[i] ? tally[durations[i]].first : tally[durations[i]].second) += 1.0;
    }
    const auto table = km_event_table::from_spans(durations, observed);
    std::vector<double> times, deaths, censorings;
    if (!tally.contains(0.0)) times.push_back(0.0), deaths.push_back(0.0), censorings.push_back(0.0);
    for (const auto& [t, counts] : tally) times.push_back(t), deaths.push_back(counts.first), censorings.push_back(counts.second);
    EXPECT_EQ(table.times(), times) << name;
    EXPECT_EQ(table.observed(), deaths) << name;
    EXPECT_EQ(table.censored(), censorings) << name;
  }
}

TEST(KaplanMeier, BucketSortedTableEqualsStreamedTable) {
  using namespace custhealth;
  std::mt19937_64 rng(12);
  std::lognormal_distribution<double> life(3.0, 2.0);  // times over many binary orders of magnitude
  const std::size_t n = 4000;
  std::vector<double> durations(n), entry(n), weights(n);
  std::vector<std::uint8_t> observed(n);
  km_event_table streamed;
  for (std::size_t i = 0; i < n; ++i) {
    durations[i] = i % 5 == 0 ? std::ceil(life(rng)) : life(rng);
    entry[i] = i % 3 == 0 ? durations[i] / 2 : 0.0;
    weights[i] = static_cast<double>(rng() % 4) * 0.25 + 0.5;
    observed[i] = static_cast<std::uint8_t>(rng() & 1);
    streamed.add(durations[i], observed[i] != 0, entry[i], weights[i]);
  }
  EXPECT_EQ(km_event_table::from_spans(durations, observed, entry, weights), streamed);
}

TEST(LogRank, WeightedTestsByHand) {
  // A: events at 1 and 3; B: an event at 2, censored at 4. At t = 1, 2, 3: n = 4, 3, 2 at risk, nA = 2, 1, 1.
  const std::vector<double> t{1, 3, 2, 4};
  const std::vector<std::uint8_t> e{1, 1, 1, 0};
  const std::vector<int> g{0, 0, 1, 1};
  // Log-rank: O_A − E_A = 2 − (1/2 + 1/3 + 1/2), V = 1/4 + 2/9 + 1/4.
  const double diff = 2 - (0.5 + 1.0 / 3 + 0.5), var = 0.25 + 2.0 / 9 + 0.25;
  EXPECT_NEAR(logrank_test(t, e, g).statistic, diff * diff / var, 1e-14);
  // Wilcoxon (w = n): O_A − E_A = (4 + 2) − (4·2/4 + 3·1/3 + 2·1/2) = 2, V = 16/16·4 + 9/9·2 + 4/4·1 = 7.
  const auto wilcoxon = logrank_test(t, e, g, {}, {logrank_weighting::wilcoxon});
  EXPECT_NEAR(wilcoxon.statistic, 4.0 / 7, 1e-14);
  EXPECT_NEAR(wilcoxon.observed[0], 6, 1e-14);
  // Fleming–Harrington with p = q = 0 is the log-rank test; Peto's weights are Π(1 − d/(n + 1)) = 4/5, 4/5·3/4, 4/5·3/4·2/3.
  EXPECT_NEAR(logrank_test(t, e, g, {}, {logrank_weighting::fleming_harrington, 0, 0}).statistic,
              diff * diff / var, 1e-14);
  const double w1 = 0.8, w2 = 0.6, w3 = 0.4;
  const double peto_diff = w1 * (1 - 0.5) + w2 * (0 - 1.0 / 3) + w3 * (1 - 0.5);
  const double peto_var = w1 * w1 * 0.25 + w2 * w2 * 2.0 / 9 + w3 * w3 * 0.25;
  EXPECT_NEAR(logrank_test(t, e, g, {}, {logrank_weighting::peto}).statistic, peto_diff * peto_diff / peto_var, 1e-14);
  EXPECT_THROW(logrank_test(t, e, g, {}, {logrank_weighting::fleming_harrington, -1, 0}), invalid_input);
}

namespace {

/// 200,000 subjects — three blocks of block_grain::subjects, so 2 and 3 threads really split — with
/// continuous exits (some tied), late entry for a third, weights in (0, 2) that are not dyadic (float
/// sums depend on their order) and three groups.
struct big_sample {
  std::vector<double> durations, days, entry, weights;
  std::vector<std::uint8_t> observed;
  std::vector<int> groups;
};

big_sample big_random_sample(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> life(1.0 / 700.0);
  std::uniform_real_distribution<double> follow(0.0, 1500.0), unit(0.0, 1.0);
  const std::size_t n = 200'000;
  big_sample s;
  for (std::size_t i = 0; i < n; ++i) {
    const int g = static_cast<int>(i % 3);
    const double l = life(rng) * (1.0 + 0.2 * g), f = follow(rng), t = std::min(l, f);
    s.durations.push_back(i % 7 == 0 ? std::round(t) : t);
    s.days.push_back(std::floor(t));  // whole days: the counting sort
    s.entry.push_back(i % 3 == 0 && t >= 1 ? 0.5 * std::floor(t) * unit(rng) : 0.0);  // < every exit
    s.weights.push_back(0.1 + 1.8 * unit(rng));
    s.observed.push_back(l <= f ? 1 : 0);
    s.groups.push_back(g);
  }
  return s;
}

}  // namespace

TEST(KaplanMeier, ThreadsGiveOneThreadsBitsOnEveryPath) {
  const big_sample s = big_random_sample(5);
  ASSERT_EQ(custhealth::block_count(s.durations.size(), 3, custhealth::block_grain::subjects), 3u);
  const std::span<const double> none;
  // (durations, entry, weights): the one-pass sorted keys, weights, late entry, both; whole days
  // unweighted (counting by blocks) and weighted (counting on one thread).
  const std::vector<std::tuple<std::span<const double>, std::span<const double>, std::span<const double>>> paths{
      {s.durations, none, none}, {s.durations, none, s.weights}, {s.durations, s.entry, none},
      {s.durations, s.entry, s.weights}, {s.days, none, none}, {s.days, none, s.weights}};
  for (std::size_t p = 0; p < paths.size(); ++p) {
    const auto [t, in, w] = paths[p];
    const auto one = kaplan_meier(t, s.observed, in, w, 0.95, nullptr, 1);
    for (const std::int32_t threads : {2, 3}) {
      SCOPED_TRACE(testing::Message() << "path " << p << ", " << threads << " threads");
      expect_same_curve(kaplan_meier(t, s.observed, in, w, 0.95, nullptr, threads), one);
    }
  }
  // Independently, the weighted continuous curve by brute force: per distinct time, the weighted
  // deaths and the weight still at risk (exit ≥ t), and the product limit over them.
  const auto fit = kaplan_meier(s.durations, s.observed, none, s.weights, 0.95, nullptr, 3);
  std::map<double, std::pair<double, double>> by_time;  // time → (deaths, removed)
  for (std::size_t i = 0; i < s.durations.size(); ++i) {
    auto& [d, r] = by_time[s.durations[i]];
    d += s.observed[i] ? s.weights[i] : 0.0;
    r += s.weights[i];
  }
  double at_risk = 0.0, survival = 1.0;
  for (double w : s.weights) at_risk += w;
  std::size_t row = 1;  // row 0: time 0, everyone entering
  ASSERT_EQ(fit.timeline.size(), by_time.size() + (by_time.begin()->first == 0.0 ? 0 : 1));
  if (by_time.begin()->first == 0.0) row = 0;
  for (const auto& [time, dr] : by_time) {
    survival *= 1.0 - dr.first / at_risk;
    ASSERT_EQ(fit.timeline[row], time);
    ASSERT_NEAR(fit.survival[row], survival, 1e-9) << row;
    at_risk -= dr.second;
    ++row;
  }
  for (const std::int32_t bad : {0, -1, custhealth::max_threads + 1})
    EXPECT_THAT(invalid_input_message([&] { kaplan_meier(s.durations, s.observed, {}, {}, 0.95, nullptr, bad); }),
                HasSubstr("kaplan_meier: n_threads must be from 1 to 4096"));
}

TEST(LogRank, ThreadsGiveOneThreadsBitsAndTheTwoGroupFormula) {
  const big_sample s = big_random_sample(6);
  const std::span<const double> none;
  for (const auto& t : {std::span<const double>(s.durations), std::span<const double>(s.days)})
    for (const auto& w : {none, std::span<const double>(s.weights)})
      for (const auto kind : {logrank_weighting::logrank, logrank_weighting::fleming_harrington}) {
        custhealth::logrank_options o{kind, 1.0, 0.5};
        const auto one = logrank_test(t, s.observed, s.groups, w, o);
        for (const std::int32_t threads : {2, 3}) {
          o.n_threads = threads;
          const auto many = logrank_test(t, s.observed, s.groups, w, o);
          EXPECT_EQ(std::bit_cast<std::uint64_t>(many.statistic), std::bit_cast<std::uint64_t>(one.statistic));
          EXPECT_EQ(many.observed, one.observed);
          EXPECT_EQ(many.expected, one.expected);
          EXPECT_EQ(many.p_value, one.p_value);
        }
      }
  // Independently, groups 0 and 1 alone, unweighted: (O₀ − E₀)² / V by the textbook sums over the
  // distinct event times (Mantel 1966), n_g at risk = exits ≥ t.
  std::vector<double> t2;
  std::vector<std::uint8_t> e2;
  std::vector<int> g2;
  for (std::size_t i = 0; i < s.durations.size(); ++i)
    if (s.groups[i] < 2) t2.push_back(s.durations[i]), e2.push_back(s.observed[i]), g2.push_back(s.groups[i]);
  custhealth::logrank_options o;
  o.n_threads = 3;
  const auto got = logrank_test(t2, e2, g2, {}, o);
  std::map<double, std::array<double, 4>> by_time;  // time → deaths in 0, deaths in 1, exits in 0, exits in 1
  for (std::size_t i = 0; i < t2.size(); ++i) {
    auto& c = by_time[t2[i]];
    if (e2[i]) c[std::size_t(g2[i])] += 1;
    c[2 + std::size_t(g2[i])] += 1;
  }
  double n0 = 0, n1 = 0;
  for (int g : g2) (g == 0 ? n0 : n1) += 1;
  double o0 = 0, e0 = 0, v = 0;
  for (const auto& [time, c] : by_time) {
    const double d = c[0] + c[1], n = n0 + n1;
    if (d > 0) {
      o0 += c[0], e0 += n0 * d / n;
      if (n > 1) v += n0 * n1 * d * (n - d) / (n * n * (n - 1));
    }
    n0 -= c[2], n1 -= c[3];
  }
  EXPECT_EQ(got.observed[0], o0);
  EXPECT_NEAR(got.expected[0], e0, 1e-9 * e0);
  EXPECT_NEAR(got.statistic, (o0 - e0) * (o0 - e0) / v, 1e-8 * got.statistic);
  o.n_threads = 0;
  EXPECT_THAT(invalid_input_message([&] { logrank_test(t2, e2, g2, {}, o); }),
              HasSubstr("logrank_test: n_threads must be from 1 to 4096"));
}
