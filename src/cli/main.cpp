// src/cli/main.cpp — the `custhealth` command line: generate a portfolio, summarise a data set,
// render the portfolio health report, score a card. With no data arguments it reads the bundled sample.

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

#include "custhealth/io/csv.hpp"
#include "custhealth/parallel.hpp"
#include "custhealth/report.hpp"
#include "custhealth/scorecard/scorecard.hpp"
#include "custhealth/synth/generate.hpp"
#include "track.hpp"

namespace fs = std::filesystem;
using namespace custhealth;

namespace {

/// `--threads N` of the commands that walk accounts or rows; 0 until given, then CUSTHEALTH_NUM_THREADS or 1.
struct thread_argument {
  std::int32_t n = 0;
  void add_to(CLI::App& app) {
    app.add_option("--threads", n, "Threads (default: CUSTHEALTH_NUM_THREADS, else 1; the output is the same)")
        ->check(CLI::Range(1, 4096));
  }
  std::int32_t count() const { return n > 0 ? n : default_threads(); }
};

/// Where the data comes from: a folder, one file per table, or (neither) the bundled sample.
struct data_arguments {
  std::string dir;
  std::array<std::string, enum_size<table_id>> paths;  // --usage, --accounts, ... by table_id
  std::string columns;                                  // --columns FILE.json
  bool lenient = false;

  void add_to(CLI::App& app) {
    app.add_option("--data", dir, "Folder of usage.csv, accounts.csv, surveys.csv, tickets.csv, mrr.csv, payments.csv");
    for (const auto t : enum_values<table_id>()) {
      const std::string name(to_string(t));
      app.add_option("--" + name, paths[std::size_t(t)], name + " table (CSV)")->check(CLI::ExistingFile);
    }
    app.add_option("--columns", columns,
                   "JSON file of column names that differ from the defaults: {\"usage\": {\"timestamp\": \"event_time\"}, "
                   "\"*\": {\"account_id\": \"customer\"}}")
        ->check(CLI::ExistingFile);
    app.add_flag("--lenient", lenient, "Count and skip bad rows instead of stopping at the first one");
  }

  dataset load() const {
    csv_files f;
    if (!dir.empty()) f = csv_files::in_directory(dir);
    bool any = false;
    for (const auto t : enum_values<table_id>()) {
      if (!paths[std::size_t(t)].empty()) f[t] = paths[std::size_t(t)];
      any = any || f[t];
    }
    if (!any) f = csv_files::in_directory(sample_dir());
    load_options options;
    options.strict = !lenient;
    if (!columns.empty()) add_column_names(options, columns);
    return read_csv(f, options);
  }

  /// A model file by path, or a shipped one by name: the source tree's models/ or the installed
  /// share/custhealth/models.
  static scorecard model(const std::string& name_or_path) {
    auto parse = [](const fs::path& path) {
      std::ifstream in(path);
      std::stringstream text;
      text << in.rdbuf();
      return scorecard::parse(text.str(), path.filename().string());
    };
    if (fs::is_regular_file(name_or_path)) return parse(name_or_path);
    std::stringstream dirs(CUSTHEALTH_MODEL_DIRS);
    for (std::string d; std::getline(dirs, d, ':');)
      if (const fs::path p = fs::path(d) / (name_or_path + ".json"); fs::is_regular_file(p)) return parse(p);
    throw invalid_input("no model \"" + name_or_path + "\": not a file, and not shipped (looked in " +
                        std::string(CUSTHEALTH_MODEL_DIRS) + ")");
  }

  static fs::path sample_dir() {
    if (const char* env = std::getenv("CUSTHEALTH_SAMPLE_DATA"); env && *env) return env;
    std::stringstream dirs(CUSTHEALTH_SAMPLE_DIRS);
    for (std::string d; std::getline(dirs, d, ':');)
      if (fs::is_regular_file(fs::path(d) / "accounts.csv")) return d;
    throw invalid_input("no data given and no bundled sample portfolio found (set CUSTHEALTH_SAMPLE_DATA)");
  }
};

report_format parse_format(const std::string& s) {
  return s == "markdown" ? report_format::markdown : s == "json" ? report_format::json : report_format::text;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"custhealth — customer-health analytics: churn risk, adoption, CSAT/NPS, retention"};
  app.set_version_flag("--version", "custhealth " CUSTHEALTH_VERSION);
  app.require_subcommand(1);

  generate_options gen;
  std::string out_dir;
  bool no_payments = false;
  auto* generate_cmd = app.add_subcommand("generate", "Write a synthetic portfolio (with ground truth) as CSV files");
  generate_cmd->add_option("--accounts", gen.n_accounts, "Number of accounts")->capture_default_str();
  generate_cmd->add_option("--days", gen.days, "Days of history")->capture_default_str();
  generate_cmd->add_option("--seed", gen.seed, "Random seed")->capture_default_str();
  generate_cmd->add_option("--out", out_dir, "Output folder")->required();
  generate_cmd->add_flag("--no-payments", no_payments, "Leave out the payments table");

  data_arguments summary_data, report_data;
  std::string summary_format = "text", report_format_name = "text", as_of;
  auto* summary_cmd = app.add_subcommand("summary", "Ingest, validate and describe a data set");
  summary_data.add_to(*summary_cmd);
  summary_cmd->add_option("--format", summary_format, "text, markdown or json")->check(CLI::IsMember({"text", "markdown", "json"}));

  report_options report;
  auto* report_cmd = app.add_subcommand("report", "The portfolio health report");
  report_data.add_to(*report_cmd);
  report_cmd->add_option("--format", report_format_name, "text, markdown or json")->check(CLI::IsMember({"text", "markdown", "json"}));
  report_cmd->add_option("--as-of", as_of, "Report as of this date (default: the end of the data)");
  report_cmd->add_option("--months", report.months, "Months in the monthly sections")->capture_default_str()->check(CLI::Range(1, 120));
  std::string report_card = "saas_health_v1";
  report_cmd->add_option("--card", report_card, "Health card: a shipped name or a JSON file")->capture_default_str();
  thread_argument report_threads, score_threads, clv_threads;
  report_threads.add_to(*report_cmd);

  data_arguments score_data;
  std::string score_card_name = "saas_health_v1", score_format_name = "csv", score_as_of;
  bool score_alerts = false;
  auto* score_cmd = app.add_subcommand("score", "Every account's health score, band, trend and reasons (or the alerts)");
  score_data.add_to(*score_cmd);
  score_cmd->add_option("--card", score_card_name, "A shipped card name or a JSON file")->capture_default_str();
  score_cmd->add_option("--format", score_format_name, "csv or json")->check(CLI::IsMember({"csv", "json"}))->capture_default_str();
  score_cmd->add_option("--as-of", score_as_of, "Score as of this date (default: the end of the data)");
  score_cmd->add_flag("--alerts", score_alerts, "Write the alerts active at --as-of instead of the scores");
  score_threads.add_to(*score_cmd);

  data_arguments clv_data;
  clv_options clv;
  std::string clv_table = "payments", clv_period = "W", clv_model = "bg_nbd", clv_format = "text", clv_as_of;
  auto* clv_cmd = app.add_subcommand("clv", "Buy-till-you-die: P(alive) and expected value per customer of the payments or usage table");
  clv_data.add_to(*clv_cmd);
  clv_cmd->add_option("--table", clv_table, "payments (successful payments, amount as value) or usage (events)")
      ->check(CLI::IsMember({"payments", "usage"}))->capture_default_str();
  clv_cmd->add_option("--currency", clv.rfm.currency, "The payments' currency to summarise (required when there are several)");
  clv_cmd->add_option("--as-of", clv_as_of, "Rows before this moment count (default: the end of the table's data)");
  clv_cmd->add_option("--period", clv_period, "The time unit of recency, T and the horizon: D or W")
      ->check(CLI::IsMember({"D", "W"}))->capture_default_str();
  clv_cmd->add_option("--model", clv_model, "bg_nbd, mbg_nbd or pareto_nbd")
      ->check(CLI::IsMember({"bg_nbd", "mbg_nbd", "pareto_nbd"}))->capture_default_str();
  auto* clv_horizon = clv_cmd->add_option("--horizon", clv.horizon, "Periods ahead for the expected purchases (default: 13 weeks, 90 days)")
                          ->check(CLI::PositiveNumber);
  clv_cmd->add_option("--top", clv.top, "Customers listed")->capture_default_str();
  clv_cmd->add_option("--max-iter", clv.max_iter, "The fits' iteration limit")->capture_default_str()->check(CLI::Range(1, 100000));
  clv_cmd->add_option("--format", clv_format, "text, markdown or json")->check(CLI::IsMember({"text", "markdown", "json"}))->capture_default_str();
  clv_threads.add_to(*clv_cmd);

  cli::track_arguments track;
  std::string track_card = "saas_health_v1", track_columns;
  bool track_lenient = false;
  auto* track_cmd = app.add_subcommand("track", "The streaming tracker: usage CSV rows (header first) on standard input, "
                                                "snapshots every N rows and at exit, the signals at the end as CSV");
  track_cmd->add_option("--snapshot", track.snapshot, "Snapshot file, written atomically every --every rows and at exit")->required();
  track_cmd->add_option("--every", track.every, "Rows between snapshots")->capture_default_str()
      ->check(CLI::Range(std::int64_t(1), std::numeric_limits<std::int64_t>::max()));
  track_cmd->add_option("--restore", track.restore, "Resume from this snapshot: the rows it holds are skipped")->check(CLI::ExistingFile);
  track_cmd->add_option("--lateness", track.lateness_seconds, "Rows this many seconds before the latest time of an earlier batch are late (rejected, counted)")
      ->capture_default_str()->check(CLI::Range(std::int64_t(0), std::numeric_limits<std::int64_t>::max()));
  track_cmd->add_option("--card", track_card, "Health card: a shipped name or a JSON file")->capture_default_str();
  track_cmd->add_option("--as-of", track.as_of, "The signals' as-of date (default: the end of the usage data)");
  track_cmd->add_option("--out", track.out, "Write the signals CSV here instead of standard output");
  track_cmd->add_option("--columns", track_columns, "JSON file of column names that differ from the defaults")->check(CLI::ExistingFile);
  track_cmd->add_flag("--lenient", track_lenient, "Count and skip bad rows instead of stopping at the first one");

  CLI11_PARSE(app, argc, argv);
  try {
    if (generate_cmd->parsed()) {
      gen.payments = !no_payments;
      const auto portfolio = generate(gen);
      write_csv(portfolio.data, out_dir);
      write_truth_csv(portfolio.truth, portfolio.data, out_dir);
      std::cout << fmt::format("wrote {} accounts, {} usage events to {}\n", portfolio.data.n_accounts(),
                               portfolio.data.usage().size(), out_dir);
    } else if (summary_cmd->parsed()) {
      write_summary(summary_data.load(), std::cout, parse_format(summary_format));
    } else if (report_cmd->parsed()) {
      if (!as_of.empty()) report.as_of = parse_time_or_throw(as_of);
      report.format = parse_format(report_format_name);
      const dataset data = report_data.load();
      if (report.as_of != no_time && (data.time_range().begin == data.time_range().end || report.as_of <= data.time_range().begin))
        std::cerr << "custhealth: warning: --as-of " << format_date(report.as_of) << " is not after the first data ("
                  << (data.time_range().begin == data.time_range().end ? std::string("none") : format_date(data.time_range().begin))
                  << "): every section is empty\n";
      const scorecard adoption = data_arguments::model("adoption_v1"), health = data_arguments::model(report_card);
      report.adoption = &adoption;
      report.health = &health;
      report.n_threads = report_threads.count();
      write_report(data, report, std::cout);
    } else if (score_cmd->parsed()) {
      const scorecard card = data_arguments::model(score_card_name);
      const dataset data = score_data.load();
      // The default T of ch.Scorecard.score: the earliest end of the event tables (none read past its end).
      timestamp at = score_as_of.empty()
                         ? data.data_end({table_id::usage, table_id::surveys, table_id::tickets, table_id::mrr, table_id::payments})
                         : parse_time_or_throw(score_as_of);
      if (at == no_time) at = data.time_range().end;  // no event rows at all
      const score_format format = score_format_name == "json" ? score_format::json : score_format::csv;
      if (score_alerts)
        write_alerts(card, data, at, format, std::cout, score_threads.count());
      else
        write_scores(card, data, at, format, std::cout, score_threads.count());
    } else if (track_cmd->parsed()) {
      track.load.strict = !track_lenient;
      if (!track_columns.empty()) add_column_names(track.load, track_columns);
      return cli::run_track(track, data_arguments::model(track_card));
    } else if (clv_cmd->parsed()) {
      clv.rfm.table = parse_enum<table_id>("table", clv_table);
      clv.rfm.unit = parse_period(clv_period);
      clv.model = parse_enum<btyd_model>("model", clv_model);
      if (!clv_as_of.empty()) clv.rfm.as_of = parse_time_or_throw(clv_as_of);
      if (clv_horizon->count() == 0) clv.horizon = clv.rfm.unit == period::day ? 90.0 : 13.0;
      clv.format = parse_format(clv_format);
      clv.n_threads = clv_threads.count();
      if (!write_clv(clv_data.load(), clv, std::cout))
        std::cerr << "custhealth: warning: a fit did not converge (its status is printed); try --max-iter or another --model\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "custhealth: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
