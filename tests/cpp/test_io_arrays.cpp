// Tests of custhealth/io/arrays.hpp: columns in memory load as read_csv loads a file — the same
// rows accepted, the same reasons for the rejected ones — numeric columns are read in place, and a
// whole portfolio survives the round trip through arrays.

#include "custhealth/io/arrays.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "arrays_of.hpp"
#include "custhealth/io/csv.hpp"
#include "custhealth/synth/generate.hpp"

using namespace custhealth;
using ::testing::HasSubstr;

namespace {

using test::detail_arrays::values;

std::string error_of(const std::map<table_id, array_table>& tables) {
  try {
    read_arrays(tables);
  } catch (const invalid_input& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST(Arrays, AGeneratedPortfolioSurvivesTheRoundTrip) {
  generate_options o;
  o.n_accounts = 60;
  o.days = 120;
  const dataset d = generate(o).data;
  const auto input = test::as_arrays(d);
  ASSERT_EQ(input.tables.size(), 6u);
  const dataset e = read_arrays(input.tables);
  EXPECT_EQ(test::difference(d, e), std::nullopt);
  for (const auto& t : e.report().tables) EXPECT_EQ(t.rejected, 0) << t.table;
  // The usage rows were sorted already: the loader kept the caller's numbers and times in place.
  EXPECT_EQ(e.usage().value.data(), d.usage().value.data());
  EXPECT_EQ(e.usage().time.data(), d.usage().time.data());
}

TEST(Arrays, RejectTheRowsReadCsvRejectsForTheSameReasons) {
  // The same six survey rows as a file and as columns: an empty id, an unknown kind, NPS 11, an
  // unparsable and an implausible time, and one good row.
  const auto dir = std::filesystem::temp_directory_path() / "custhealth_arrays_parity";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "surveys.csv") << "account_id,timestamp,kind,score\n"
                                        ",2024-01-01,nps,9\n"
                                        "a,2024-01-01,wow,9\n"
                                        "a,2024-01-01,nps,11\n"
                                        "a,2024-13-01,nps,9\n"
                                        "a,1850-01-01,nps,9\n"
                                        "a,2024-01-02,csat,4\n";
  csv_files files;
  files.surveys = dir / "surveys.csv";
  load_options lenient;
  lenient.strict = false;
  const dataset from_file = read_csv(files, lenient);
  std::filesystem::remove_all(dir);

  std::vector<std::int64_t> account{-1, 0, 0, 0, 0, 0}, time{0, 0, 0, 1, 2, 3}, kind{0, 2, 0, 0, 0, 1};
  std::vector<double> score{9, 9, 11, 9, 9, 4};
  std::map<table_id, array_table> input;
  input[table_id::surveys] = {
      {"account_id", array_column::strings(account, values({"a"}))},
      {"timestamp", array_column::strings(time, values({"2024-01-01", "2024-13-01", "1850-01-01", "2024-01-02"}))},
      {"kind", array_column::strings(kind, values({"nps", "csat", "wow"}))},
      {"score", array_column::numbers(score)}};
  const dataset from_arrays = read_arrays(input, lenient);

  const auto* a = from_arrays.report().find("surveys");
  const auto* f = from_file.report().find("surveys");
  ASSERT_TRUE(a && f);
  EXPECT_EQ(a->reasons, f->reasons);
  EXPECT_EQ(a->reasons.size(), 5u);
  EXPECT_EQ(a->read, 6);
  EXPECT_EQ(a->accepted, 1);
  ASSERT_EQ(from_arrays.surveys().size(), 1u);
  EXPECT_EQ(from_arrays.surveys().score[0], 4.0);
  EXPECT_THAT(a->examples[0], HasSubstr("surveys[0]: column 'account_id': is empty"));
}

TEST(Arrays, StrictModeNamesTheRowAndRenamedColumns) {
  std::vector<std::int64_t> account{0, 0}, month{1704067200, 1705000000};
  std::vector<double> mrr{5, 6};
  load_options o;
  o.columns = {{"month", "period"}};
  std::map<table_id, array_table> input;
  input[table_id::mrr] = {{"account_id", array_column::strings(account, values({"a"}))},
                          {"period", array_column::times(month)},
                          {"mrr", array_column::numbers(mrr)}};
  EXPECT_THAT([&] { read_arrays(input, o); },
              ::testing::ThrowsMessage<invalid_input>(
                  HasSubstr("mrr[1]: column 'period': account already has a row for this month: \"2024-01\"")));
}

TEST(Arrays, BadShapesAreClearErrors) {
  std::vector<std::int64_t> account{0, 0}, time{1704067200, 1704153600}, short_time{1704067200}, code_past{0, 5};
  std::vector<double> value{1, 2};
  auto usage = [&](array_table extra) {
    array_table t{{"account_id", array_column::strings(account, values({"a"}))},
                  {"timestamp", array_column::times(time)},
                  {"event", array_column::strings(account, values({"login"}))}};
    for (auto& [k, v] : extra) t.insert_or_assign(k, v);
    return std::map<table_id, array_table>{{table_id::usage, t}};
  };
  EXPECT_THAT(error_of({{table_id::usage, {{"account_id", array_column::strings(account, values({"a"}))}}}}),
              HasSubstr("usage: missing required column 'timestamp'"));
  EXPECT_THAT(error_of({{table_id::usage, {}}}), HasSubstr("usage: missing required column 'account_id'"));
  EXPECT_THAT(error_of(usage({{"timestamp", array_column::times(short_time)}})),
              HasSubstr("usage: column 'timestamp' has 1 rows, account_id has 2"));
  EXPECT_THAT(error_of(usage({{"value", array_column::strings(account, values({"1"}))}})),
              HasSubstr("usage: column 'value' must hold float64 numbers"));
  EXPECT_THAT(error_of(usage({{"timestamp", array_column::numbers(value)}})),
              HasSubstr("usage: column 'timestamp' must hold int64 epoch seconds or strings"));
  EXPECT_THAT(error_of(usage({{"event", array_column::numbers(value)}})), HasSubstr("usage: column 'event' must hold strings"));
  EXPECT_THAT(error_of(usage({{"event", array_column::strings(code_past, values({"login"}))}})),
              HasSubstr("usage: column 'event' has a code past its values"));
  EXPECT_EQ(error_of(usage({{"value", array_column::numbers(value)}})), "(no error)");
}

TEST(Arrays, RowsAreNamedByTheInputsOwnLabelsWhenGiven) {
  std::vector<std::int64_t> account{0, 0}, time{1704067200, 1704153600};
  std::vector<double> value{1, std::numeric_limits<double>::infinity()};
  std::map<table_id, array_table> input;
  input[table_id::usage] = {{"account_id", array_column::strings(account, values({"a"}))},
                            {"timestamp", array_column::times(time)},
                            {"event", array_column::strings(account, values({"login"}))},
                            {"value", array_column::numbers(value)}};
  std::vector<std::size_t> asked;
  const std::map<table_id, row_namer> labels{{table_id::usage, [&](std::size_t r) {
                                                asked.push_back(r);
                                                return "row-" + std::to_string(10 * r);
                                              }}};
  EXPECT_THAT([&] { read_arrays(input, {}, labels); },
              ::testing::ThrowsMessage<invalid_input>(HasSubstr("usage[label row-10]: column 'value': must be a finite number")));
  EXPECT_EQ(asked, (std::vector<std::size_t>{1}));  // only the rejected row's label is looked up
}
