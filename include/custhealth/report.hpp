// custhealth/report.hpp — the portfolio reports of the command line: a dataset summary and the
// health report, rendered as aligned text, Markdown or JSON.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "custhealth/btyd/rfm.hpp"
#include "custhealth/dataset.hpp"

namespace custhealth {

struct scorecard;

/// Aligned text, Markdown tables, or one JSON document (sections of notes and tables of cell texts).
enum class report_format { text, markdown, json };

struct report_options {
  timestamp as_of = no_time;  // default: the end of the data
  report_format format = report_format::text;
  int months = 12;            // how many months the monthly sections show
  const scorecard* adoption = nullptr;  // the adoption model (models/adoption_v1.json); none: section skipped
  const scorecard* health = nullptr;    // the health card (models/saas_health_v1.json); none: section skipped
  std::int32_t n_threads = 1;           // signals, scores, alerts, cohorts, feedback and payments (same bits)
};

/// A small table of already-formatted cells, rendered aligned (text) or as a Markdown table.
struct text_table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::size_t> text_columns{};  // left-aligned like the first (a label); the rest are numbers

  void render(std::ostream& out, report_format format) const;
};

/// Ingest and validation summary: rows per table, rejected rows by reason, accounts, time range.
void write_summary(const dataset& data, std::ostream& out, report_format format = report_format::text);

enum class score_format { csv, json };

/// Every account's health as of T by a card (`custhealth score`): account_id, score, band, trend,
/// override, computed_score, top_factors ("measure:points;…", largest first), then each measure's
/// score. Numbers are written in their shortest round-trip form: the same bits as C++ and Python.
void write_scores(const scorecard& card, const dataset& data, timestamp as_of, score_format format, std::ostream& out,
                  std::int32_t n_threads = 1);

/// The card's alerts active at T (`custhealth score --alerts`): account_id, kind, severity, time,
/// owner, message.
void write_alerts(const scorecard& card, const dataset& data, timestamp as_of, score_format format, std::ostream& out,
                  std::int32_t n_threads = 1);

/// `custhealth clv`: the RFM summary of the payments (or usage) table, a BTYD fit to it, and for payments a
/// Gamma-Gamma fit to the repeat customers' spend.
struct clv_options {
  btyd::rfm_options rfm;
  btyd_model model = btyd_model::bg_nbd;  ///< bg_nbd, mbg_nbd or pareto_nbd
  double horizon = 13.0;                  ///< periods of rfm.unit for the expected purchases, > 0
  std::size_t top = 10;                   ///< customers listed
  int max_iter = 500;                     ///< the fits' iteration limit (btyd::fit_options)
  report_format format = report_format::text;
  std::int32_t n_threads = 1;             ///< for P(alive) and the expected purchases (the same bits)
};

/// Prints the fit (parameters, standard errors, log-likelihood, status, customers), the P(alive) distribution
/// and the top customers by expected value: expected purchases over the horizon × the Gamma-Gamma expected
/// spend for payments, expected events for usage. JSON is one document of numbers in shortest round-trip form.
/// Returns false when a fit did not converge (it is printed, with its status). Throws invalid_input for bad
/// options and data (btyd::rfm_summary's errors; no repeat purchase at all).
bool write_clv(const dataset& data, const clv_options& options, std::ostream& out);

/// The portfolio health report: the summary's headline numbers, monthly activity and the
/// analytics sections.
void write_report(const dataset& data, const report_options& options, std::ostream& out);

}  // namespace custhealth
