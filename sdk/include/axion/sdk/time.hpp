// Time helpers shared by host and plugins: UTC ISO-8601 strings and US Eastern time.
// ET follows the US daylight-saving rules in force for each year (1987–2006 and 2007 onward), so
// historical bars (GOOG 2004–2008) land in the right session without a tz database.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <cctype>
#include <algorithm>
#include <string>

namespace axion::sdk::time {

inline constexpr std::int64_t kUsPerSec = 1'000'000;

// The system (wall) clock, µs since the Unix epoch, UTC.
inline std::int64_t system_now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}
inline constexpr std::int64_t kUsPerDay = 86'400 * kUsPerSec;

// Days since 1970-01-01 for a proleptic Gregorian date (H. Hinnant's algorithm).
constexpr std::int64_t days_from_civil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
  int year;
  unsigned month, day;
};

constexpr Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp + (mp < 10 ? 3 : -9);
  return {static_cast<int>(y + (m <= 2)), m, d};
}

// 0 = Sunday … 6 = Saturday.
constexpr unsigned weekday_from_days(std::int64_t z) {
  return static_cast<unsigned>(z >= -4 ? (z + 4) % 7 : (z + 5) % 7 + 6);
}

inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// Day number of the n-th (1-based) given weekday of a month; n = -1 means the last one.
inline std::int64_t nth_weekday(int y, unsigned m, unsigned wd, int n) {
  if (n > 0) {
    std::int64_t first = days_from_civil(y, m, 1);
    unsigned w = weekday_from_days(first);
    return first + (wd + 7 - w) % 7 + 7 * (n - 1);
  }
  std::int64_t next_first = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, m + 1, 1);
  std::int64_t last = next_first - 1;
  unsigned w = weekday_from_days(last);
  return last - (w + 7 - wd) % 7;
}

// Whether US Eastern daylight time is in force at a UTC instant.
inline bool us_eastern_dst(std::int64_t utc_us) {
  std::int64_t days = floor_div(utc_us, kUsPerDay);
  int y = civil_from_days(days).year;
  std::int64_t start_day, end_day;
  if (y >= 2007) {
    start_day = nth_weekday(y, 3, 0, 2);
    end_day = nth_weekday(y, 11, 0, 1);
  } else {
    start_day = nth_weekday(y, 4, 0, 1);
    end_day = nth_weekday(y, 10, 0, -1);
  }
  // 02:00 local standard time = 07:00 UTC at the start; 02:00 local daylight = 06:00 UTC at the end.
  std::int64_t start = start_day * kUsPerDay + 7 * 3600 * kUsPerSec;
  std::int64_t end = end_day * kUsPerDay + 6 * 3600 * kUsPerSec;
  return utc_us >= start && utc_us < end;
}

inline std::int64_t et_offset_us(std::int64_t utc_us) {
  return (us_eastern_dst(utc_us) ? -4 : -5) * 3600 * kUsPerSec;
}

struct LocalTime {
  int year;
  unsigned month, day, hour, minute, second, weekday;  // weekday 0 = Sunday
  std::int64_t micros;
  std::int64_t day_number;  // days since epoch of the local date
  unsigned minute_of_day() const { return hour * 60 + minute; }
};

inline LocalTime breakdown(std::int64_t us) {
  std::int64_t days = floor_div(us, kUsPerDay);
  std::int64_t rem = us - days * kUsPerDay;
  Civil c = civil_from_days(days);
  std::int64_t secs = rem / kUsPerSec;
  return {c.year,
          c.month,
          c.day,
          static_cast<unsigned>(secs / 3600),
          static_cast<unsigned>((secs / 60) % 60),
          static_cast<unsigned>(secs % 60),
          weekday_from_days(days),
          rem % kUsPerSec,
          days};
}

inline LocalTime to_eastern(std::int64_t utc_us) { return breakdown(utc_us + et_offset_us(utc_us)); }

// UTC instant of an Eastern wall-clock time.
inline std::int64_t eastern_to_utc(int y, unsigned m, unsigned d, unsigned hh, unsigned mm) {
  std::int64_t local = days_from_civil(y, m, d) * kUsPerDay + (hh * 3600LL + mm * 60LL) * kUsPerSec;
  std::int64_t guess = local + 5 * 3600 * kUsPerSec;  // assume EST first
  return local - et_offset_us(guess);
}

// "2026-02-09T14:30:00.123456+00:00"
// Written digit by digit: every event and record carries one, and snprintf was a quarter of a
// rejected signal's cost.
inline void append_iso(std::string& out, std::int64_t utc_us) {
  LocalTime t = breakdown(utc_us);
  if (t.year < 0 || t.year > 9999) {  // outside what four digits hold: printf's layout
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02u:%02u:%02u.%06lld+00:00", t.year, t.month, t.day,
                  t.hour, t.minute, t.second, static_cast<long long>(t.micros));
    out += buf;
    return;
  }
  char buf[33] = "0000-00-00T00:00:00.000000+00:00";
  auto put = [&](int at, std::uint64_t v, int width) {
    for (int i = at + width - 1; i >= at; --i, v /= 10) buf[i] = static_cast<char>('0' + v % 10);
  };
  put(0, static_cast<std::uint64_t>(t.year), 4);
  put(5, t.month, 2);
  put(8, t.day, 2);
  put(11, t.hour, 2);
  put(14, t.minute, 2);
  put(17, t.second, 2);
  put(20, static_cast<std::uint64_t>(t.micros), 6);
  out.append(buf, 32);
}

inline std::string to_iso(std::int64_t utc_us) {
  std::string out;
  append_iso(out, utc_us);
  return out;
}

// ISO-8601 date or date-time (strategies.md §0): "YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z|±HH:MM]";
// no offset means UTC. Returns µs since the epoch; nullopt when malformed. The inverse of to_iso.
inline std::optional<std::int64_t> parse_iso(const std::string& s) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0, n = 0;
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10) return std::nullopt;
  std::size_t i = 10;
  std::int64_t micros = 0, offset_s = 0;
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
    int used = 0;
    if (std::sscanf(s.c_str() + i + 1, "%2d:%2d%n", &h, &mi, &used) != 2 || used != 5) return std::nullopt;
    i += 1 + 5;
    if (i < s.size() && s[i] == ':') {
      if (std::sscanf(s.c_str() + i + 1, "%2d%n", &sec, &used) != 1 || used != 2) return std::nullopt;
      i += 3;
      if (i < s.size() && s[i] == '.') {
        ++i;
        int digits = 0;
        while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
          if (digits < 6) micros = micros * 10 + (s[i] - '0');
          ++digits;
          ++i;
        }
        if (digits == 0) return std::nullopt;
        for (int k = std::min(digits, 6); k < 6; ++k) micros *= 10;
      }
    }
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
      ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
      int oh = 0, om = 0;
      if (std::sscanf(s.c_str() + i + 1, "%2d:%2d%n", &oh, &om, &used) != 2 || used != 5) return std::nullopt;
      offset_s = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
      i += 6;
    }
  }
  if (i != s.size() || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  // The day must exist in its month (no 31 February).
  const std::int64_t first_next = mo == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, static_cast<unsigned>(mo) + 1, 1);
  if (d > first_next - days_from_civil(y, static_cast<unsigned>(mo), 1)) return std::nullopt;
  std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
  return (days * 86400 + h * 3600 + mi * 60 + sec - offset_s) * 1'000'000 + micros;
}


// The ET trading date "YYYY-MM-DD". Called several times per signal, so the last answer is
// kept per thread for its UTC hour: ET is a whole number of hours from UTC and DST moves at a
// whole hour, so the ET date never changes inside an aligned UTC hour.
inline std::string trading_date(std::int64_t utc_us) {
  constexpr std::int64_t kHourUs = 3'600'000'000;
  const std::int64_t hour = utc_us >= 0 ? utc_us / kHourUs : -((-utc_us - 1) / kHourUs) - 1;  // floor
  thread_local std::int64_t cached_hour = INT64_MIN;
  thread_local std::string cached;
  if (hour != cached_hour) {
    LocalTime t = to_eastern(utc_us);
    char buf[24];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", t.year, t.month, t.day);
    cached = buf;
    cached_hour = hour;
  }
  return cached;
}

// Parses "YYYY-MM-DD" into days since epoch; returns false on malformed input.
inline bool parse_date(const std::string& s, std::int64_t& days) {
  int y;
  unsigned m, d;
  char tail;
  if (std::sscanf(s.c_str(), "%4d-%2u-%2u%c", &y, &m, &d, &tail) != 3) return false;
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  days = days_from_civil(y, m, d);
  return civil_from_days(days).day == d;
}

}  // namespace axion::sdk::time
