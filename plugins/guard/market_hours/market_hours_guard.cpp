// guard/market_hours: trade only in session (pipeline.md §3.5).
//
// Judged at the engine clock's now (not the signal's timestamp) in US Eastern time: the regular
// session is Monday-Friday [09:30, 16:00), [04:00, 20:00) with `extended_hours`; a date listed in
// `holidays` (ET calendar date) is closed all day. With `allow_daily`, `1d` signals pass outside
// the session, on weekends and on holidays (a daily bar's signal is not tied to the intraday
// session, as RiskGate in §5.4). ET comes from the SDK's US daylight-saving rules.
#include <cstdint>
#include <cstdio>
#include <set>
#include <string>

#include "axion/sdk/plugin.hpp"
#include "axion/sdk/time.hpp"

namespace {

using axion::sdk::Config;
using axion::sdk::Error;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::Signal;
using axion::sdk::Verdict;
namespace axtime = axion::sdk::time;

constexpr const char* kHolidays = "holidays";
constexpr const char* kExtended = "extended_hours";
constexpr const char* kAllowDaily = "allow_daily";

const KeySpec kKeys[] = {
    {kHolidays, KeyType::StringList, "[]",
     "ET calendar dates (YYYY-MM-DD) on which the market is closed all day"},
    {kExtended, KeyType::Bool, "false",
     "Widen the session from [09:30, 16:00) to [04:00, 20:00) ET, Monday-Friday"},
    {kAllowDaily, KeyType::Bool, "true",
     "Let signals with timeframe 1d pass outside the session (nights, weekends, holidays)"},
};

constexpr unsigned kRegularOpen = 9 * 60 + 30;  // minutes after ET midnight
constexpr unsigned kRegularClose = 16 * 60;
constexpr unsigned kExtendedOpen = 4 * 60;
constexpr unsigned kExtendedClose = 20 * 60;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Strict YYYY-MM-DD (ten characters, a real calendar date) into days since the epoch.
bool parse_holiday(const std::string& s, std::int64_t& days) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!is_digit(s[i])) return false;
  }
  return axtime::parse_date(s, days);
}

// The validated configuration.
struct Settings {
  std::set<std::int64_t> holidays;  // ET dates as days since 1970-01-01
  unsigned open_minute = kRegularOpen;
  unsigned close_minute = kRegularClose;
  bool allow_daily = true;

  explicit Settings(const Config& c) : allow_daily(c.get_bool(kAllowDaily)) {
    for (const auto& date : c.get_strings(kHolidays)) {
      std::int64_t days = 0;
      if (!parse_holiday(date, days)) {
        throw Error(
            std::string("key '") + kHolidays + "': '" + date + "' is not a valid YYYY-MM-DD date",
            kHolidays);
      }
      holidays.insert(days);
    }
    if (c.get_bool(kExtended)) {
      open_minute = kExtendedOpen;
      close_minute = kExtendedClose;
    }
  }
};

std::string format_date(const axtime::LocalTime& t) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", t.year, t.month, t.day);
  return buf;
}

std::string format_minute(const axtime::LocalTime& t) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02u:%02u", t.hour, t.minute);
  return buf;
}

class MarketHoursGuard final : public axion::sdk::Guard {
 public:
  MarketHoursGuard(const Host& host, const Config& config) : Guard(host), settings_(config) {}

  Verdict check(const Signal& s) override {
    if (settings_.allow_daily && s.timeframe == "1d") return Verdict::ok();
    const axtime::LocalTime et = axtime::to_eastern(host().now_us());
    if (settings_.holidays.count(et.day_number)) {
      return Verdict::reject("Market holiday: " + format_date(et));
    }
    const bool weekday = et.weekday >= 1 && et.weekday <= 5;
    const unsigned minute = et.minute_of_day();
    if (!weekday || minute < settings_.open_minute || minute >= settings_.close_minute) {
      return Verdict::reject("Market closed: " + format_date(et) + " " + format_minute(et) + " ET");
    }
    return Verdict::ok();
  }

 private:
  const Settings settings_;
};

}  // namespace

AXION_PLUGIN(MarketHoursGuard, AXION_KIND_GUARD, "market_hours", "1.0.0",
             "Rejects signals outside the US equity session in ET, on weekends and on listed "
             "holidays; daily signals may pass (pipeline.md 3.5)",
             kKeys)
