#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <tuple>
#include <random>
#include <vector>

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

TEST_CASE("The kept trading date is never stale: every minute around midnights and DST changes") {
  auto direct = [](std::int64_t utc_us) {
    LocalTime t = to_eastern(utc_us);
    char buf[24];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", t.year, t.month, t.day);
    return std::string(buf);
  };
  std::vector<std::int64_t> times;
  // Two days around each 2026 DST change and an ordinary midnight, and one in 1969 (negative
  // microseconds), minute by minute, then the same shuffled.
  for (auto [y, m, d] : {std::tuple{2026, 3u, 7u}, {2026, 10u, 31u}, {2026, 6u, 14u}, {1969, 12u, 31u}}) {
    const std::int64_t start = days_from_civil(y, m, d) * kUsPerDay;
    for (std::int64_t minute = 0; minute < 3 * 24 * 60; ++minute) times.push_back(start + minute * 60 * kUsPerSec - 1);
  }
  for (auto t : times) REQUIRE(trading_date(t) == direct(t));
  std::shuffle(times.begin(), times.end(), std::mt19937(7));
  for (auto t : times) REQUIRE(trading_date(t) == direct(t));
}

TEST_CASE("parse_date validates the calendar") {
  std::int64_t d = 0;
  CHECK(parse_date("2026-02-28", d));
  CHECK_FALSE(parse_date("2026-02-30", d));
  CHECK_FALSE(parse_date("2026-2-3x", d));
  CHECK_FALSE(parse_date("yesterday", d));
}

TEST_CASE("to_iso writes what printf's layout writes, before 1970 and at the ends of days too") {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<std::int64_t> instant(-2'000'000'000'000'000, 4'000'000'000'000'000);
  std::vector<std::int64_t> xs = {0, -1, 1, 86'400'000'000 - 1, 1'700'000'000'123'456, 253'402'300'799'999'999};
  for (int i = 0; i < 20000; ++i) xs.push_back(instant(rng));
  for (auto us : xs) {
    LocalTime t = breakdown(us);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u.%06lld+00:00", t.year, t.month, t.day,
                  t.hour, t.minute, t.second, static_cast<long long>(t.micros));
    REQUIRE(to_iso(us) == buf);
  }
}
