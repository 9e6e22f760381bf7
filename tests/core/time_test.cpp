#include <catch2/catch.hpp>

#include "axion/sdk/time.hpp"

using namespace axion::sdk::time;

TEST_CASE("ISO timestamps carry microseconds and +00:00") {
  std::int64_t t = days_from_civil(2026, 2, 9) * kUsPerDay + (14 * 3600 + 30 * 60) * kUsPerSec + 123456;
  CHECK(to_iso(t) == "2026-02-09T14:30:00.123456+00:00");
}

TEST_CASE("US Eastern time follows the DST rules of each era") {
  // 2026: DST from 8 March to 1 November.
  CHECK(to_iso(eastern_to_utc(2026, 7, 1, 9, 30)) == "2026-07-01T13:30:00.000000+00:00");
  CHECK(to_iso(eastern_to_utc(2026, 1, 5, 9, 30)) == "2026-01-05T14:30:00.000000+00:00");
  CHECK(to_iso(eastern_to_utc(2026, 3, 9, 9, 30)) == "2026-03-09T13:30:00.000000+00:00");
  CHECK(to_iso(eastern_to_utc(2026, 3, 6, 9, 30)) == "2026-03-06T14:30:00.000000+00:00");
  // 2004 (old rules): DST from 4 April to 31 October. 2004-08-19 16:00 EDT = 20:00 UTC.
  CHECK(to_iso(eastern_to_utc(2004, 8, 19, 16, 0)) == "2004-08-19T20:00:00.000000+00:00");
  CHECK(to_iso(eastern_to_utc(2004, 4, 2, 16, 0)) == "2004-04-02T21:00:00.000000+00:00");
  CHECK(to_iso(eastern_to_utc(2004, 11, 1, 16, 0)) == "2004-11-01T21:00:00.000000+00:00");
}

TEST_CASE("The trading date is the ET calendar date") {
  // 03:00 UTC on 6 Jan is still 5 Jan in New York.
  std::int64_t t = days_from_civil(2026, 1, 6) * kUsPerDay + 3 * 3600 * kUsPerSec;
  CHECK(trading_date(t) == "2026-01-05");
  LocalTime et = to_eastern(t);
  CHECK(et.hour == 22);
  CHECK(et.weekday == 1);  // Monday
}

TEST_CASE("parse_date validates the calendar") {
  std::int64_t d = 0;
  CHECK(parse_date("2026-02-28", d));
  CHECK_FALSE(parse_date("2026-02-30", d));
  CHECK_FALSE(parse_date("2026-2-3x", d));
  CHECK_FALSE(parse_date("yesterday", d));
}
