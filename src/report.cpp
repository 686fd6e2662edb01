// src/report.cpp — rendering of the summary and the report; the sections of the report live in
// src/report_<area>.cpp and are listed once, in write_report.

#include "custhealth/report.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cmath>
#include <ostream>

#include "report_sections.hpp"

namespace custhealth {

void text_table::render(std::ostream& out, report_format format) const {
  if (format == report_format::markdown) {
    auto line = [&](const std::vector<std::string>& cells) {
      out << '|';
      for (const auto& c : cells) out << ' ' << c << " |";
      out << '\n';
    };
    line(header);
    out << '|';
    for (std::size_t i = 0; i < header.size(); ++i) out << (i == 0 ? " :-- |" : " --: |");
    out << '\n';
    for (const auto& r : rows) line(r);
    out << '\n';
    return;
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t i = 0; i < header.size(); ++i) width[i] = header[i].size();
  for (const auto& r : rows)
    for (std::size_t i = 0; i < r.size() && i < width.size(); ++i) width[i] = std::max(width[i], r[i].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string s;
    for (std::size_t i = 0; i < cells.size() && i < width.size(); ++i) {
      if (i) s += "  ";
      // The first column (a label) is left-aligned, numbers right-aligned.
      const bool left = i == 0 || std::find(text_columns.begin(), text_columns.end(), i) != text_columns.end();
      s += left ? fmt::format("{:<{}}", cells[i], width[i]) : fmt::format("{:>{}}", cells[i], width[i]);
    }
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out << "  " << s << '\n';
  };
  line(header);
  for (const auto& r : rows) line(r);
  out << '\n';
}

namespace detail {

// JSON: {"sections": [{"title", "notes": [...], "tables": [{"columns": [...], "rows": [[...], ...]}]}]}.
namespace {

nlohmann::ordered_json& current_section(nlohmann::ordered_json& doc) {
  auto& sections = doc["sections"];
  if (sections.empty())
    sections.push_back({{"title", ""}, {"notes", nlohmann::ordered_json::array()}, {"tables", nlohmann::ordered_json::array()}});
  return sections.back();
}

}  // namespace

void report_context::heading(std::string_view title) const {
  if (json)
    (*json)["sections"].push_back({{"title", title}, {"notes", nlohmann::ordered_json::array()},
                                   {"tables", nlohmann::ordered_json::array()}});
  else if (options.format == report_format::markdown)
    out << "## " << title << "\n\n";
  else
    out << title << '\n' << std::string(title.size(), '-') << '\n';
}

void report_context::note(std::string_view text) const {
  if (json)
    current_section(*json)["notes"].push_back(text);
  else
    out << (options.format == report_format::markdown ? "" : "  ") << text << "\n\n";
}

void report_context::table(const text_table& t) const {
  if (!json) return t.render(out, options.format);
  current_section(*json)["tables"].push_back({{"columns", t.header}, {"rows", t.rows}});
}

std::string percent(double p, int decimals) {
  return std::isnan(p) ? "-" : fmt::format("{:.{}f}%", 100.0 * p, decimals);
}
std::string count(std::int64_t n) { return fmt::format("{}", n); }
std::string month_text(timestamp t) { return format_date(t).substr(0, 7); }
std::string reasons_text(const scorecard_scores& s, std::size_t account, std::size_t k) {
  std::string out;
  for (const auto& [j, lost] : top_factors(s, account, k))
    out += fmt::format("{}{} ({:.1f})", out.empty() ? "" : ", ", s.measure_names[j], lost);
  return out;
}

namespace {

std::string time_range_text(const dataset& data) {
  const auto r = data.time_range();
  return r.end > r.begin ? format_date(r.begin) + " .. " + format_date(r.end - 1) : "(no events)";
}

}  // namespace

void report_overview(const report_context& ctx) {
  const auto& data = ctx.data;
  const auto& acc = data.accounts();
  std::int64_t listed = 0, active = 0;
  for (std::size_t a = 0; a < acc.size(); ++a) {
    if (acc.start[a] == no_time) continue;
    ++listed;
    active += acc.active_at(a, ctx.as_of);
  }
  text_table t{{"", "value"}, {}};
  t.rows.push_back({"accounts", count(std::int64_t(data.n_accounts()))});
  t.rows.push_back({"  with an accounts row", count(listed)});
  t.rows.push_back({"  active as of " + format_date(ctx.as_of), count(active)});
  t.rows.push_back({"events in", time_range_text(data)});
  t.rows.push_back({"usage events", count(std::int64_t(data.usage().size()))});
  t.rows.push_back({"distinct event names", count(std::int64_t(data.usage().events.size()))});
  ctx.heading("Portfolio");
  ctx.table(t);
}

void report_monthly_activity(const report_context& ctx) {
  const auto& data = ctx.data;
  const report_months range(ctx);
  const std::size_t n = range.size();
  std::vector<std::int64_t> active(n), events(n), started(n), ended(n), answers(n), tickets(n);
  auto slot = [&](timestamp t) { return t == no_time || t >= ctx.as_of ? std::int64_t{-1} : range.slot(t); };
  const auto& usage = data.usage();
  for (std::int32_t a = 0; a < std::int32_t(data.n_accounts()); ++a) {
    std::int64_t previous = -1;
    for (auto r = usage.index.begin(a); r < usage.index.end(a); ++r) {
      const auto s = slot(usage.time[std::size_t(r)]);
      if (s < 0) continue;
      ++events[std::size_t(s)];
      if (s != previous) ++active[std::size_t(s)], previous = s;  // rows are time-sorted per account
    }
  }
  for (std::size_t a = 0; a < data.accounts().size(); ++a) {
    if (auto s = slot(data.accounts().start[a]); s >= 0) ++started[std::size_t(s)];
    if (auto s = slot(data.accounts().end[a]); s >= 0) ++ended[std::size_t(s)];
  }
  for (auto t : data.surveys().time)
    if (auto s = slot(t); s >= 0) ++answers[std::size_t(s)];
  for (auto t : data.tickets().opened)
    if (auto s = slot(t); s >= 0) ++tickets[std::size_t(s)];

  text_table t{{"month", "active accounts", "events", "new accounts", "churned", "survey answers", "tickets"}, {}};
  for (std::size_t i = 0; i < n; ++i) {
    t.rows.push_back({month_text(range.start(i)), count(active[i]), count(events[i]), count(started[i]),
                      count(ended[i]), count(answers[i]), count(tickets[i])});
  }
  ctx.heading("Monthly activity");
  ctx.table(t);
}

}  // namespace detail

void write_summary(const dataset& data, std::ostream& out, report_format format) {
  nlohmann::ordered_json doc{{"title", "Summary"}, {"sections", nlohmann::ordered_json::array()}};
  const detail::report_context ctx{data, data.time_range().end, {.format = format}, out,
                                   format == report_format::json ? &doc : nullptr};
  text_table t{{"table", "source", "read", "accepted", "rejected", "duplicates"}, {}};
  for (const auto& r : data.report().tables)
    if (!r.source.empty())  // only the tables given
      t.rows.push_back({r.table, r.source, detail::count(r.read), detail::count(r.accepted), detail::count(r.rejected),
                      detail::count(r.duplicates)});
  ctx.heading("Ingest");
  ctx.table(t);
  if (data.report().rejected() > 0) {
    text_table reasons{{"table", "rejected rows", "reason"}, {}};
    for (const auto& r : data.report().tables)
      for (const auto& [reason, n] : r.reasons) reasons.rows.push_back({r.table, detail::count(n), reason});
    ctx.heading("Rejected rows by reason");
    ctx.table(reasons);
    text_table examples{{"first examples"}, {}};
    for (const auto& r : data.report().tables)
      for (const auto& e : r.examples) examples.rows.push_back({e});
    ctx.table(examples);
  }
  detail::report_overview(ctx);
  if (ctx.json) out << doc.dump(1) << '\n';
}

void write_report(const dataset& data, const report_options& options, std::ostream& out) {
  const timestamp as_of = options.as_of != no_time ? options.as_of : data.time_range().end;
  nlohmann::ordered_json doc{{"title", "Customer health report"}, {"as_of", format_date(as_of)},
                             {"sections", nlohmann::ordered_json::array()}};
  const detail::report_context ctx{data, as_of, options, out, options.format == report_format::json ? &doc : nullptr};
  if (options.format == report_format::markdown)
    out << "# Customer health report, as of " << format_date(as_of) << "\n\n";
  else if (options.format == report_format::text)
    out << "Customer health report, as of " << format_date(as_of) << "\n\n";
  detail::report_health(ctx);
  detail::report_overview(ctx);
  detail::report_adoption(ctx);
  detail::report_monthly_activity(ctx);
  detail::report_feedback(ctx);
  detail::report_sla(ctx);
  detail::report_backlog(ctx);
  detail::report_payments(ctx);
  detail::report_cohort_retention(ctx);
  detail::report_revenue_retention(ctx);
  detail::report_survival(ctx);
  if (ctx.json) out << doc.dump(1) << '\n';
}

}  // namespace custhealth
