// src/report_scores.cpp — `custhealth score`: a card's scores, reasons and alerts as CSV or JSON, with
// numbers in shortest round-trip form so that the command line, C++ and Python agree bit for bit.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <ostream>

#include "custhealth/io/csv.hpp"
#include "custhealth/report.hpp"
#include "custhealth/scorecard/scorecard.hpp"

namespace custhealth {

namespace {

using ordered = nlohmann::ordered_json;

/// A number as CSV text: shortest round-trip, empty for NaN (pandas reads both back exactly).
std::string cell(double v) { return std::isnan(v) ? std::string() : fmt::format("{}", v); }
ordered value(double v) { return std::isnan(v) ? ordered(nullptr) : ordered(v); }

std::string owner_of(const dataset& data, std::size_t a) {
  const account_table& acc = data.accounts();
  return acc.owner.empty() || acc.owner[a] == no_code ? std::string() : acc.owners[acc.owner[a]];
}

}  // namespace

void write_scores(const scorecard& card, const dataset& data, timestamp as_of, score_format format, std::ostream& out,
                  std::int32_t n_threads) {
  const scored_card sc = score_card(card, data, as_of, n_threads);
  const scorecard_scores& s = sc.scores;
  auto band = [&](std::size_t a) { return s.band[a] < 0 ? std::string() : card.bands[std::size_t(s.band[a])].name; };
  auto reason = [&](std::size_t a) {
    return s.override_index[a] < 0 ? std::string() : card.overrides[std::size_t(s.override_index[a])].reason;
  };
  auto factors = [&](std::size_t a) {
    std::vector<std::pair<std::string, double>> f;
    if (s.override_index[a] >= 0)
      f.emplace_back("override: " + reason(a), 100 - s.score[a]);
    else
      for (const auto& [j, lost] : top_factors(s, a)) f.emplace_back(s.measure_names[j], lost);
    return f;
  };
  const std::size_t n = data.n_accounts();
  if (format == score_format::json) {
    ordered rows = ordered::array();
    for (std::size_t a = 0; a < n; ++a) {
      ordered measures = ordered::object(), top = ordered::array();
      for (std::size_t j = 0; j < s.measure_names.size(); ++j) measures[s.measure_names[j]] = value(s.measure(j, a));
      for (const auto& [m, p] : factors(a)) top.push_back(ordered::array({m, p}));
      rows.push_back({{"account_id", data.account_ids()[std::int32_t(a)]}, {"score", value(s.score[a])},
                      {"band", s.band[a] < 0 ? ordered(nullptr) : ordered(band(a))}, {"trend", value(sc.trend[a])},
                      {"override", s.override_index[a] < 0 ? ordered(nullptr) : ordered(reason(a))},
                      {"computed_score", value(s.computed[a])}, {"top_factors", top}, {"measures", measures}});
    }
    out << ordered{{"card", card.name}, {"version", card.version}, {"as_of", format_date(as_of)}, {"scores", rows}}.dump(1)
        << '\n';
    return;
  }
  out << "account_id,score,band,trend,override,computed_score,top_factors";
  for (const auto& m : s.measure_names) out << ',' << detail::csv_field(m);
  out << '\n';
  for (std::size_t a = 0; a < n; ++a) {
    std::string top;
    for (const auto& [m, p] : factors(a)) top += fmt::format("{}{}:{}", top.empty() ? "" : ";", m, p);
    out << detail::csv_field(data.account_ids()[std::int32_t(a)]) << ',' << cell(s.score[a]) << ',' << detail::csv_field(band(a))
        << ',' << cell(sc.trend[a]) << ',' << detail::csv_field(reason(a)) << ',' << cell(s.computed[a]) << ','
        << detail::csv_field(top);
    for (std::size_t j = 0; j < s.measure_names.size(); ++j) out << ',' << cell(s.measure(j, a));
    out << '\n';
  }
}

void write_alerts(const scorecard& card, const dataset& data, timestamp as_of, score_format format, std::ostream& out,
                  std::int32_t n_threads) {
  const std::vector<alert> alerts = card_alerts(card, data, {as_of}, n_threads);
  if (format == score_format::json) {
    ordered rows = ordered::array();
    for (const auto& a : alerts)
      rows.push_back({{"account_id", data.account_ids()[a.account]}, {"kind", alert_name(card, a)},
                      {"severity", std::string(to_string(a.severity))}, {"time", format_date(a.time)},
                      {"owner", owner_of(data, std::size_t(a.account))}, {"message", a.message}});
    out << ordered{{"card", card.name}, {"as_of", format_date(as_of)}, {"alerts", rows}}.dump(1) << '\n';
    return;
  }
  out << "account_id,kind,severity,time,owner,message\n";
  for (const auto& a : alerts)
    out << detail::csv_field(data.account_ids()[a.account]) << ',' << detail::csv_field(alert_name(card, a)) << ','
        << to_string(a.severity) << ',' << format_date(a.time) << ',' << detail::csv_field(owner_of(data, std::size_t(a.account)))
        << ',' << detail::csv_field(a.message) << '\n';
}

}  // namespace custhealth
