// src/report_clv.cpp — `custhealth clv`: a BTYD fit to the RFM summary of the payments or usage table, the
// P(alive) distribution and the customers of most expected value, as text (the report's tables) or JSON.

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <ostream>
#include <string>
#include <vector>

#include "custhealth/btyd/btyd.hpp"
#include "custhealth/btyd/rfm.hpp"
#include "custhealth/report.hpp"
#include "report_sections.hpp"

namespace custhealth {
namespace {

using ordered = nlohmann::ordered_json;

ordered number(double v) { return std::isfinite(v) ? ordered(v) : ordered(nullptr); }
std::string fixed(double v, int decimals) { return std::isfinite(v) ? fmt::format("{:.{}f}", v, decimals) : "-"; }

std::string_view model_label(btyd_model m) {
  switch (m) {
    case btyd_model::bg_nbd: return "BG/NBD";
    case btyd_model::mbg_nbd: return "MBG/NBD";
    case btyd_model::pareto_nbd: return "Pareto/NBD";
    case btyd_model::gamma_gamma: return "Gamma-Gamma";
    case btyd_model::bg_bb: return "BG/BB";
    case btyd_model::sbg: return "sBG";
  }
  return "?";
}

std::string_view period_word(period p, bool plural) {
  switch (p) {
    case period::day: return plural ? "days" : "day";
    case period::week: return plural ? "weeks" : "week";
    case period::month: return plural ? "months" : "month";
    case period::quarter: return plural ? "quarters" : "quarter";
  }
  return "?";
}

double standard_error(const btyd::fit_result& f, std::size_t k) {
  const std::size_t n = f.params.size();
  return f.covariance.size() == n * n ? std::sqrt(f.covariance[k * n + k]) : std::nan("");
}

/// The customers a fit saw (its rows are the distinct histories, each weighted by its customers).
std::int64_t customers(const btyd::fit_result& f) { return std::llround(f.weight_sum); }

/// A fit as JSON: parameters and standard errors by the papers' names, log-likelihood, status, customers.
ordered fit_json(const btyd::fit_result& f) {
  ordered params = ordered::object(), errors = ordered::object();
  const auto names = btyd::parameter_names(f.model);
  for (std::size_t k = 0; k < f.params.size(); ++k) {
    params[std::string(names[k])] = number(f.params[k]);
    errors[std::string(names[k])] = number(standard_error(f, k));
  }
  return {{"model", std::string(to_string(f.model))}, {"params", params}, {"standard_errors", errors},
          {"log_likelihood", number(f.log_likelihood)}, {"status", std::string(to_string(f.status))},
          {"converged", f.converged()}, {"iterations", f.iterations}, {"gradient_norm", number(f.gradient_norm)},
          {"customers", customers(f)}, {"distinct_histories", f.rows}};
}

/// A fit as the report's table and notes: a non-converged fit says so in its status line.
void fit_section(const detail::report_context& ctx, const std::string& title, const btyd::fit_result& f) {
  text_table t{{"parameter", "estimate", "std. error", "lower 95%", "upper 95%"}, {}};
  const auto names = btyd::parameter_names(f.model);
  for (std::size_t k = 0; k < f.params.size(); ++k) {
    const double se = standard_error(f, k);
    t.rows.push_back({std::string(names[k]), fixed(f.params[k], 4), fixed(se, 4), fixed(f.params[k] - 1.96 * se, 4),
                      fixed(f.params[k] + 1.96 * se, 4)});
  }
  ctx.heading(title);
  ctx.table(t);
  ctx.note(fmt::format("log-likelihood {:.4f}, {} customers ({} distinct histories)", f.log_likelihood, customers(f),
                       f.rows));
  ctx.note(f.converged()
               ? fmt::format("status: converged in {} iterations", f.iterations)
               : fmt::format("status: NOT CONVERGED ({} after {} iterations, gradient {:.3g}): the parameters are "
                             "where the fit stopped",
                             to_string(f.status), f.iterations, f.gradient_norm));
}

/// The p-quantile of sorted values with linear interpolation between order statistics (numpy's default,
/// Hyndman & Fan type 7); NaN when there are none.
double quantile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::nan("");
  const double h = p * double(sorted.size() - 1);
  const auto lo = std::size_t(std::floor(h));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (h - double(lo)) * (sorted[hi] - sorted[lo]);
}

}  // namespace

bool write_clv(const dataset& data, const clv_options& o, std::ostream& out) {
  if (o.model != btyd_model::bg_nbd && o.model != btyd_model::mbg_nbd && o.model != btyd_model::pareto_nbd)
    throw invalid_input("clv: model must be bg_nbd, mbg_nbd or pareto_nbd, got " + std::string(to_string(o.model)));
  if (!(o.horizon > 0) || !std::isfinite(o.horizon))
    throw invalid_input(fmt::format("clv: the horizon must be a positive number of periods, got {}", o.horizon));
  const btyd::rfm_table rfm = btyd::rfm_summary(data, o.rfm);
  const bool payments = rfm.table == table_id::payments;
  const std::size_t n = rfm.size();
  const auto repeat =
      std::size_t(std::count_if(rfm.frequency.begin(), rfm.frequency.end(), [](double x) { return x > 0; }));
  const std::string_view unit = period_word(rfm.unit, true), what = payments ? "payments" : "events";
  if (repeat == 0)
    throw invalid_input(fmt::format("clv: every one of the {} customers has frequency 0 (no {} in a second {} before "
                                    "{}): nothing to fit",
                                    n, what, period_word(rfm.unit, false), format_date(rfm.as_of)));

  const btyd::fit_options fit_options{.max_iter = o.max_iter};
  const btyd::customers counts{rfm.frequency, rfm.recency, rfm.T, {}, {}};
  const btyd::fit_result fit = btyd::fit(o.model, counts, fit_options);
  std::vector<double> alive(n), purchases(n), spend(n, std::nan("")), value(n);
  btyd::p_alive(o.model, fit.params, counts, alive, 0.0, o.n_threads);
  btyd::conditional_expected_purchases(o.model, fit.params, o.horizon, counts, purchases, o.n_threads);

  // Gamma-Gamma on the customers with repeat purchases of positive mean value (its domain); every customer's
  // expected spend from it (frequency 0: the population mean).
  btyd::fit_result gg;
  if (payments) {
    std::vector<double> x, m;
    for (std::size_t i = 0; i < n; ++i)
      if (rfm.frequency[i] > 0 && rfm.monetary[i] > 0) x.push_back(rfm.frequency[i]), m.push_back(rfm.monetary[i]);
    if (x.empty()) throw invalid_input("clv: no repeat customer has a positive mean payment: no spend model to fit");
    gg = btyd::fit(btyd_model::gamma_gamma, {x, {}, {}, m, {}}, fit_options);
    btyd::conditional_expected_average_profit(gg.params, rfm.frequency, rfm.monetary, spend);
  }
  for (std::size_t i = 0; i < n; ++i) value[i] = payments ? purchases[i] * spend[i] : purchases[i];

  // The customers by expected value, largest first (NaN last, ties in account order).
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::isnan(value[b]) ? !std::isnan(value[a]) : value[a] > value[b];
  });
  order.resize(std::min(order.size(), o.top));

  // The distribution of the finite P(alive) values (the predictions give NaN for none of a fit's rows; a NaN
  // would fall in no bin and break the sort).
  std::vector<double> sorted_alive;
  for (const double p : alive)
    if (std::isfinite(p)) sorted_alive.push_back(p);
  std::sort(sorted_alive.begin(), sorted_alive.end());
  constexpr int bins = 10;
  std::vector<std::int64_t> histogram(bins);
  for (const double p : sorted_alive) ++histogram[std::size_t(std::clamp(int(std::floor(p * bins)), 0, bins - 1))];
  const double mean_alive =
      std::accumulate(sorted_alive.begin(), sorted_alive.end(), 0.0) / double(sorted_alive.size());
  const std::string horizon_text =
      fmt::format("{:g} {}", o.horizon, o.horizon == 1 ? period_word(rfm.unit, false) : unit);
  const std::string source =
      !payments ? "usage events"
                : "successful payments" + (rfm.currency.empty() ? std::string() : " in " + rfm.currency);

  if (o.format == report_format::json) {
    ordered deciles = ordered::array(), hist = ordered::array(), top = ordered::array();
    for (int k = 0; k <= 10; ++k)
      deciles.push_back({{"quantile", k / 10.0}, {"p_alive", number(quantile(sorted_alive, k / 10.0))}});
    for (int b = 0; b < bins; ++b)
      hist.push_back(
          {{"from", b / double(bins)}, {"to", (b + 1) / double(bins)}, {"customers", histogram[std::size_t(b)]}});
    for (const std::size_t i : order) {
      ordered row{{"account_id", data.account_ids()[rfm.account[i]]}, {"frequency", rfm.frequency[i]},
                  {"recency", rfm.recency[i]}, {"T", rfm.T[i]}};
      if (payments) row["monetary_value"] = rfm.monetary[i];
      row["p_alive"] = number(alive[i]);
      row["expected_purchases"] = number(purchases[i]);
      if (payments) row["expected_spend"] = number(spend[i]), row["expected_value"] = number(value[i]);
      top.push_back(row);
    }
    ordered doc{{"title", "Customer lifetime value"}, {"table", std::string(to_string(rfm.table))},
                {"currency", payments && !rfm.currency.empty() ? ordered(rfm.currency) : ordered(nullptr)},
                {"as_of", format_date(rfm.as_of)}, {"period", std::string(to_string(rfm.unit))},
                {"horizon", o.horizon}, {"customers", n}, {"repeat_customers", repeat},
                {"transactions", rfm.transactions},
                {"fit", fit_json(fit)}, {"spend", payments ? fit_json(gg) : ordered(nullptr)},
                {"p_alive", {{"mean", number(mean_alive)}, {"deciles", deciles}, {"histogram", hist}}}, {"top", top}};
    out << doc.dump(1) << '\n';
    return fit.converged() && (!payments || gg.converged());
  }

  const report_options shown{.format = o.format};
  const detail::report_context ctx{data, rfm.as_of, shown, out, nullptr};
  const std::string title =
      fmt::format("Customer lifetime value: {}, as of {}, in {}", source, format_date(rfm.as_of), unit);
  if (o.format == report_format::markdown)
    out << "# " << title << "\n\n";
  else
    out << title << "\n\n";
  ctx.heading("Customers");
  ctx.note(fmt::format("{} customers with {} before {} ({} {}); {} ({}) in more than one {}", n, source,
                       format_date(rfm.as_of), rfm.transactions, what, repeat,
                       detail::percent(double(repeat) / double(n)), period_word(rfm.unit, false)));
  fit_section(ctx, fmt::format("Transactions: {} ({})", model_label(o.model), to_string(o.model)), fit);
  if (payments) {
    fit_section(ctx, "Spend: Gamma-Gamma, on the repeat customers' mean payment", gg);
    if (!(gg.params[1] > 1))  // E[M] = p·γ/(q − 1)
      ctx.note("q <= 1: the expected spend is infinite, so there is no expected value (\"-\")");
  }

  text_table hist{{"P(alive)", "customers", "share"}, {}};
  for (int b = 0; b < bins; ++b)
    hist.rows.push_back({fmt::format("{:.1f} - {:.1f}", b / double(bins), (b + 1) / double(bins)),
                         detail::count(histogram[std::size_t(b)]),
                         detail::percent(double(histogram[std::size_t(b)]) / double(n))});
  text_table dec{{"decile"}, {{"P(alive)"}}};
  for (int k = 0; k <= 10; ++k) {
    dec.header.push_back(k == 0 ? "min" : k == 10 ? "max" : fmt::format("{}%", 10 * k));
    dec.rows[0].push_back(fixed(quantile(sorted_alive, k / 10.0), 3));
  }
  ctx.heading(fmt::format("P(alive) at {}", format_date(rfm.as_of)));
  ctx.table(hist);
  ctx.table(dec);
  ctx.note(fmt::format("mean {:.3f}", mean_alive));

  text_table t{{"account_id", "frequency", "recency", "T"}, {}};
  if (payments) t.header.push_back("monetary value");
  t.header.push_back("P(alive)");
  t.header.push_back(fmt::format("expected {}", what));
  if (payments) t.header.push_back("expected spend"), t.header.push_back("expected value");
  for (const std::size_t i : order) {
    std::vector<std::string> row{data.account_ids()[rfm.account[i]], fmt::format("{:g}", rfm.frequency[i]),
                                 fmt::format("{:g}", rfm.recency[i]), fmt::format("{:g}", rfm.T[i])};
    if (payments) row.push_back(fixed(rfm.monetary[i], 2));
    row.push_back(fixed(alive[i], 3));
    row.push_back(fixed(purchases[i], 3));
    if (payments) row.push_back(fixed(spend[i], 2)), row.push_back(fixed(value[i], 2));
    t.rows.push_back(std::move(row));
  }
  ctx.heading(fmt::format("Top {} customers by expected {} over the next {}", order.size(),
                          payments ? "value (expected payments x expected spend, undiscounted)" : "events",
                          horizon_text));
  ctx.table(t);
  return fit.converged() && (!payments || gg.converged());
}

}  // namespace custhealth
