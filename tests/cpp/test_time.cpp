// Tests of custhealth/time.hpp: parsing, calendar arithmetic and periods, against dates computed
// by hand or with GNU date (`date -u -d 2024-03-01T11:30:00Z +%s` → 1709292600).

#include "custhealth/time.hpp"

#include <gtest/gtest.h>

using namespace custhealth;

TEST(Time, CivilRoundTripAcrossFourHundredYears) {
  for (std::int64_t day = days_from_civil(1900, 1, 1); day < days_from_civil(2300, 1, 1); ++day) {
    const auto c = civil_from_days(day);
    ASSERT_EQ(days_from_civil(c.year, c.month, c.day), day);
  }
}

TEST(Time, KnownEpochValues) {
  EXPECT_EQ(from_civil(1970, 1, 1), 0);
  EXPECT_EQ(from_civil(2000, 3, 1), 951868800);   // date -u -d 2000-03-01 +%s
  EXPECT_EQ(from_civil(2024, 2, 29), 1709164800);  // a leap day
  EXPECT_EQ(from_civil(1969, 12, 31, 23, 59, 59), -1);
}

TEST(Time, ParsesIsoDatesAndDateTimes) {
  EXPECT_EQ(parse_time("2024-03-01"), 1709251200);
  EXPECT_EQ(parse_time("2024-03-01T11:30:00Z"), 1709292600);
  EXPECT_EQ(parse_time("2024-03-01 11:30:00"), 1709292600);
  EXPECT_EQ(parse_time("2024-03-01T11:30"), 1709292600);
  EXPECT_EQ(parse_time("2024-03-01T11:30:00.250Z"), 1709292600);  // fractions truncated
  EXPECT_EQ(parse_time("2024-03-01T12:30:00+01:00"), 1709292600);
  EXPECT_EQ(parse_time("2024-03-01T06:00:00-0530"), 1709292600);
  EXPECT_EQ(parse_time("1709292600"), 1709292600);
  EXPECT_EQ(parse_time("-86400"), -86400);
}

TEST(Time, RejectsImpossibleOrMalformedTimes) {
  for (const char* s : {"2024-13-01", "2024-00-10", "2023-02-29", "2024-04-31", "2024-03-01T24:00:00",
                        "2024-03-01T11:60", "2024-03-01X11:30", "2024-3-1", "01/03/2024", "", "12a", "2024-03-01T11:30:00+25:00",
                        "2024-03-01T11:30:00Zjunk", "nan"})
    EXPECT_FALSE(parse_time(s).has_value()) << s;
  EXPECT_THROW(parse_time_or_throw("2024-13-01"), invalid_input);
}

TEST(Time, ParsesMonths) {
  EXPECT_EQ(parse_month("2024-03"), from_civil(2024, 3, 1));
  EXPECT_EQ(parse_month("2024-03-17T10:00:00Z"), from_civil(2024, 3, 1));
  EXPECT_FALSE(parse_month("2024-13").has_value());
}

TEST(Time, IsoWeeksStartOnMonday) {
  // 2024-01-01 is a Monday; 2023-01-01 a Sunday, in the week that began Monday 2022-12-26.
  const auto week = [](timestamp t) { return period_start(period_index(t, period::week), period::week); };
  EXPECT_EQ(week(from_civil(2024, 1, 1, 0, 0, 0)), from_civil(2024, 1, 1));
  EXPECT_EQ(week(from_civil(2024, 1, 7, 23, 59, 59)), from_civil(2024, 1, 1));
  EXPECT_EQ(week(from_civil(2023, 1, 1, 12)), from_civil(2022, 12, 26));
  EXPECT_EQ(week(from_civil(1969, 12, 31)), from_civil(1969, 12, 29));
  EXPECT_EQ(period_index(from_civil(2024, 1, 8), period::week) - period_index(from_civil(2024, 1, 7), period::week), 1);
}

TEST(Time, MonthsAndQuartersAreConsecutive) {
  EXPECT_EQ(period_index(from_civil(2024, 1, 1), period::month) - period_index(from_civil(2023, 12, 31), period::month), 1);
  EXPECT_EQ(period_start(period_index(from_civil(2024, 5, 20), period::quarter), period::quarter), from_civil(2024, 4, 1));
  EXPECT_EQ(period_start(period_index(from_civil(1969, 11, 2), period::quarter), period::quarter), from_civil(1969, 10, 1));
  EXPECT_EQ(period_start(period_index(from_civil(2024, 12, 31, 23), period::month), period::month), from_civil(2024, 12, 1));
  EXPECT_EQ(period_start(period_index(-1, period::day), period::day), -86400);
}

TEST(Time, ParsesPeriodNames) {
  EXPECT_EQ(parse_period("W"), period::week);
  EXPECT_EQ(to_string(period::quarter), "Q");
  EXPECT_THROW(parse_period("Y"), invalid_input);
}

TEST(Time, TrailingWindowIsHalfOpen) {
  const auto w = trailing_window(from_civil(2024, 3, 31), 30);
  EXPECT_EQ(w.begin, from_civil(2024, 3, 1));
  EXPECT_TRUE(w.contains(from_civil(2024, 3, 1)));
  EXPECT_FALSE(w.contains(from_civil(2024, 3, 31)));  // "as of T" uses only rows before T
}

TEST(Time, FormatsDates) {
  EXPECT_EQ(format_date(1709292600), "2024-03-01");
  EXPECT_EQ(format_date(-1), "1969-12-31");
  EXPECT_EQ(format_date(from_civil(12345, 6, 7)), "12345-06-07");
  EXPECT_EQ(format_date(from_civil(-44, 3, 15)), "-0044-03-15");
}
