// src/report_feedback.cpp — the report's voice-of-the-customer and service-quality sections: NPS, CSAT
// (and CES) by month with intervals, SLA compliance by priority, backlog aging, payments quality flags.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "custhealth/feedback/grouped.hpp"
#include "custhealth/payments/quality.hpp"
#include "custhealth/support/sla.hpp"
#include "report_sections.hpp"

namespace custhealth::detail {

namespace {

std::string with_interval(double value, interval ci, int decimals = 1) {
  if (std::isnan(value)) return "-";
  if (std::isnan(ci.low)) return fmt::format("{:.{}f}", value, decimals);
  return fmt::format("{:.{}f} ({:.{}f}–{:.{}f})", value, decimals, ci.low, decimals, ci.high, decimals);
}
std::string hours(double seconds) { return std::isnan(seconds) ? "-" : fmt::format("{:.1f}", seconds / 3600.0); }

/// Per month of the range, the summary of that month (empty when it had no answers).
template <class Summary>
std::vector<Summary> by_month(const grouped<Summary>& g, const report_months& range, const Summary& init) {
  std::vector<Summary> out(range.size(), init);
  for (std::size_t i = 0; i < g.size(); ++i)
    if (const auto s = range.slot(g.keys.start[i]); s >= 0) out[std::size_t(s)] = g.values[i];
  return out;
}

}  // namespace

void report_feedback(const report_context& ctx) {
  ctx.heading("NPS and CSAT by month");
  const auto& surveys = ctx.data.surveys();
  std::array<std::int64_t, enum_size<survey_kind>> answers{};
  double max_csat = 0;
  for (std::size_t r = 0; r < surveys.size(); ++r) {
    ++answers[static_cast<std::size_t>(surveys.kind[r])];
    if (surveys.kind[r] == survey_kind::csat) max_csat = std::max(max_csat, surveys.score[r]);
  }
  if (surveys.size() == 0) {
    ctx.note("No survey answers.");
    return;
  }
  const report_months range(ctx);
  const time_grouping scope{period::month, ctx.as_of};
  // CSAT on the scale the answers were given on: 1..5 unless larger scores say otherwise.
  const int scale = std::clamp(static_cast<int>(max_csat), 5, csat_summary::max_scale);
  const std::int32_t threads = ctx.options.n_threads;
  const auto nps = by_month(summarize_by(ctx.data, {}, scope, nps_summary{}, threads), range, nps_summary{});
  const auto csat = by_month(summarize_by(ctx.data, {}, scope, csat_summary(scale), threads), range, csat_summary(scale));
  const auto ces = by_month(summarize_by(ctx.data, {}, scope, ces_summary{}, threads), range, ces_summary{});
  const bool show_ces = answers[static_cast<std::size_t>(survey_kind::ces)] > 0;
  text_table t{{"month", "NPS answers", "NPS (95% CI)", "CSAT answers", "CSAT % (95% CI)"}, {}};
  if (show_ces) t.header.insert(t.header.end(), {"CES answers", "CES (95% CI)"});
  for (std::size_t i = 0; i < range.size(); ++i) {
    std::vector<std::string> row{month_text(range.start(i)), count(nps[i].n()),
                                 with_interval(nps[i].score(), nps[i].ci()), count(csat[i].n()),
                                 with_interval(csat[i].score(), csat[i].ci())};
    if (show_ces) row.insert(row.end(), {count(ces[i].n()), with_interval(ces[i].score(), ces[i].ci(), 2)});
    t.rows.push_back(std::move(row));
  }
  ctx.table(t);
  ctx.note(fmt::format(
      "NPS = 100·(promoters 9–10 − detractors 0–6)/answers, normal interval; CSAT = share of answers in the top "
      "two boxes of 1..{}, Wilson interval{}. '-': no answers that month.",
      scale, show_ces ? "; CES = mean of 1..7, t interval" : ""));
}

void report_sla(const report_context& ctx) {
  ctx.heading("SLA compliance by priority");
  if (ctx.data.tickets().size() == 0) {
    ctx.note("No support tickets.");
    return;
  }
  const report_months range(ctx);
  const time_grouping scope{std::nullopt, ctx.as_of, range.window_days(ctx.as_of)};
  const sla_targets targets;
  const auto by_priority = sla_summary(ctx.data, {"priority"}, scope, targets, ctx.options.n_threads);
  const auto all = sla_summary(ctx.data, {}, scope, targets, ctx.options.n_threads);
  text_table t{{"priority", "target (h)", "tickets", "met", "breached", "pending", "met rate (95% CI)",
                "first response median / p90 (h)", "resolution median (h)", "completion"},
               {}};
  auto row = [&](const std::string& name, const std::string& target, const sla_stats& s) {
    const auto& c = s.counts;
    const auto ci = c.met_ci();
    t.rows.push_back({name, target, count(c.opened), count(c.met), count(c.breached), count(c.pending),
                      with_interval(100.0 * c.met_rate(), {100.0 * ci.low, 100.0 * ci.high}),
                      hours(s.first_response.median) + " / " + hours(s.first_response.p90), hours(s.resolution.median),
                      percent(c.completion())});
  };
  for (auto p : {priority::urgent, priority::high, priority::normal, priority::low}) {
    for (std::size_t g = 0; g < by_priority.size(); ++g)
      if (by_priority.keys.label(0, g) == to_string(p))
        row(std::string(to_string(p)), fmt::format("{:g}", double(targets[p]) / 3600.0), by_priority.values[g]);
  }
  if (!all.empty()) row("all", "", all.values[0]);
  ctx.table(t);
  ctx.note(fmt::format(
      "Tickets opened {} .. {}, as of {}. Met: first response within the target; breached: late, or unanswered "
      "past the target; pending: unanswered within it (not in the rate). Completion: tickets resolved / opened "
      "in the same span.",
      format_date(range.start(0)), format_date(ctx.as_of - 1), format_date(ctx.as_of)));
}

void report_backlog(const report_context& ctx) {
  ctx.heading("Backlog aging as of " + format_date(ctx.as_of));
  if (ctx.data.tickets().size() == 0) {
    ctx.note("No support tickets.");
    return;
  }
  const auto by_priority = ticket_backlog(ctx.data, {"priority"}, ctx.as_of);
  text_table t{{"priority", "open"}, {}};
  for (const char* name : backlog_counts::bucket_names) t.header.emplace_back(name);
  backlog_counts total;
  auto row = [&](const std::string& name, const backlog_counts& b) {
    std::vector<std::string> cells{name, count(b.total())};
    for (auto n : b.by_age) cells.push_back(count(n));
    t.rows.push_back(std::move(cells));
  };
  for (auto p : {priority::urgent, priority::high, priority::normal, priority::low})
    for (std::size_t g = 0; g < by_priority.size(); ++g)
      if (by_priority.keys.label(0, g) == to_string(p))
        row(std::string(to_string(p)), by_priority.values[g]), total += by_priority.values[g];
  row("all", total);
  ctx.table(t);
  ctx.note("Tickets opened before the as-of date and not resolved by then, by age.");
}

void report_payments(const report_context& ctx) {
  ctx.heading("Payments quality by month");
  if (ctx.data.payments().size() == 0) {
    ctx.note("No payments.");
    return;
  }
  const report_months range(ctx);
  const time_grouping scope{period::month, ctx.as_of};
  const payment_thresholds th;
  const auto months = by_month(payments_by(ctx.data, {}, scope, ctx.options.n_threads), range, payment_counts{});
  const auto by_account = payments_by(ctx.data, {"account_id"}, scope, ctx.options.n_threads);
  std::vector<std::int64_t> warnings(range.size()), breaches(range.size());
  for (std::size_t g = 0; g < by_account.size(); ++g) {
    const auto s = range.slot(by_account.keys.start[g]);
    if (s < 0) continue;
    const auto flag = chargeback_flag(by_account.values[g], th);
    if (flag == payment_flag::warning) ++warnings[std::size_t(s)];
    if (flag == payment_flag::breach) ++breaches[std::size_t(s)];
  }
  text_table t{{"month", "payments", "volume", "refund rate", "refunded amount", "chargeback ratio", "decline rate",
                "cancellations", "accounts at warning", "accounts in breach"},
               {}};
  auto volume = [](double v) { return std::isnan(v) ? std::string("-") : fmt::format("{:.0f}", v); };
  bool mixed = false;
  for (std::size_t i = 0; i < range.size(); ++i) {
    const auto& c = months[i];
    mixed = mixed || c.mixed_currencies();
    t.rows.push_back({month_text(range.start(i)), count(c.payments()), volume(c.amount(payment_type::payment)),
                      percent(c.refund_rate()), percent(c.refund_amount_rate()), percent(c.chargeback_ratio(), 2),
                      percent(c.decline_rate()), count(c.cancellations()), count(warnings[i]), count(breaches[i])});
  }
  ctx.table(t);
  if (mixed) {
    // Amounts in different currencies do not add: the month's volume per currency instead.
    const auto by_currency = payments_by(ctx.data, {"currency"}, scope, ctx.options.n_threads);
    const auto& names = ctx.data.payments().currencies.values();
    text_table v{{"month"}, {}};
    for (const auto& name : names) v.header.push_back(name);
    bool unnamed = false;  // rows without a currency: a column of their own
    for (std::size_t g = 0; g < by_currency.size(); ++g) unnamed = unnamed || by_currency.keys.codes[0][g] < 0;
    if (unnamed) v.header.push_back("no currency");
    std::vector<std::vector<std::string>> cells(range.size(), std::vector<std::string>(names.size() + unnamed, "0"));
    for (std::size_t g = 0; g < by_currency.size(); ++g) {
      const auto slot = range.slot(by_currency.keys.start[g]);
      if (slot < 0) continue;
      const auto at = by_currency.keys.codes[0][g] < 0
                          ? names.size()
                          : std::size_t(std::find(names.begin(), names.end(), by_currency.keys.label(0, g)) - names.begin());
      cells[std::size_t(slot)][at] = volume(by_currency.values[g].amount(payment_type::payment));
    }
    for (std::size_t i = 0; i < range.size(); ++i) {
      v.rows.push_back({month_text(range.start(i))});
      v.rows.back().insert(v.rows.back().end(), cells[i].begin(), cells[i].end());
    }
    ctx.note("Payment volume by currency (a month's payments are in several currencies, which are not added: "
             "volume and refunded amount above are '-' there):");
    ctx.table(v);
  }
  // The accounts flagged in the latest month of the range, worst first.
  std::vector<std::pair<double, std::size_t>> flagged;
  for (std::size_t g = 0; g < by_account.size(); ++g)
    if (range.slot(by_account.keys.start[g]) == std::int64_t(range.size()) - 1 &&
        chargeback_flag(by_account.values[g], th) >= payment_flag::warning)
      flagged.emplace_back(by_account.values[g].chargeback_ratio(), g);
  std::sort(flagged.begin(), flagged.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (!flagged.empty()) {
    text_table f{{"account", "flag", "chargeback ratio", "chargebacks", "payments"}, {}};
    for (std::size_t i = 0; i < flagged.size() && i < 10; ++i) {
      const auto g = flagged[i].second;
      const auto& c = by_account.values[g];
      f.rows.push_back({std::string(by_account.keys.label(0, g)), std::string(to_string(chargeback_flag(c, th))),
                        percent(c.chargeback_ratio(), 2), count(c.chargebacks()), count(c.payments())});
    }
    ctx.table(f);
  }
  ctx.note(fmt::format(
      "Chargeback ratio = chargebacks / payments in the month; flags per account and month: warning at ≥ {:.2f}%, "
      "breach at ≥ {:.2f}%{}. Decline rate = declines / (payments + declines).",
      100.0 * th.chargeback_warning, 100.0 * th.chargeback_breach,
      flagged.empty() ? ""
                      : fmt::format("; above: the flagged accounts of {}", month_text(range.start(range.size() - 1)))));
}

}  // namespace custhealth::detail
