// Minute bars (Alpaca's real-time and historical 1Min bars) aggregated by the clock into the
// manifest's timeframe, per symbol: a 5m bar holds the minutes starting 10:30..10:34 and closes at
// 10:35. Each minute is used at most once and bars leave in time order: a minute already seen is
// a duplicate (a backfill overlapping the stream), one for a bar already delivered is late. No
// networking and no clock of its own, so the rules are tested alone.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace axion::alpaca {

enum class Timeframe { M1, M5, M10, H1, D1 };
// "1m" "5m" "10m" "1h" "1d"; throws std::invalid_argument otherwise.
Timeframe parse_timeframe(std::string_view tf);
std::int64_t timeframe_us(Timeframe tf);  // D1: one day

struct MinuteBar {
  std::string symbol;
  std::int64_t start_us = 0;  // the minute's start, UTC (Alpaca's "t")
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
};

struct OutBar {
  std::string symbol;
  std::int64_t close_us = 0;  // the bar's close time, UTC (axion_bar.ts_us)
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
};

// 09:30 <= ET time < 16:00 on a weekday (holidays have no bars).
bool in_regular_hours(std::int64_t minute_start_us);
// The close of the ET trading date holding `utc_us`: 16:00 ET.
std::int64_t session_close_us(std::int64_t utc_us);

class BarAggregator {
 public:
  BarAggregator(Timeframe tf, bool regular_hours_only) : tf_(tf), regular_hours_only_(regular_hours_only) {}

  enum class Added { Used, Duplicate, Late, OutsideHours };
  // Adds one minute; a bar it completes is appended to `out`. Minutes of one symbol must come
  // in time order (older ones are duplicates or late).
  Added add(const MinuteBar& m, std::vector<OutBar>& out);
  // Delivers the bars whose close + grace has passed by `now_us` (their last minutes had no
  // trades, so no later minute will close them), oldest first.
  void flush(std::int64_t now_us, std::int64_t grace_us, std::vector<OutBar>& out);
  // Everything of `symbol` closing at or before `close_us` counts as delivered (history came
  // another way, or a start that skips the bar in progress).
  void delivered_until(const std::string& symbol, std::int64_t close_us);
  // Where a backfill of `symbol` must start: after the last minute used, else at the end of
  // what was delivered; `fallback` when nothing is known.
  std::int64_t resume_from(const std::string& symbol, std::int64_t fallback) const;
  // The close of the last bar delivered of `symbol`, or INT64_MIN.
  std::int64_t last_delivered(const std::string& symbol) const;

  // The bar a minute belongs to: [start, end) with end its close time.
  std::int64_t bucket_start(std::int64_t minute_start_us) const;
  std::int64_t bucket_end(std::int64_t bucket_start_us) const;

 private:
  struct State {
    std::int64_t last_minute = INT64_MIN;    // start of the last minute used
    std::int64_t emitted_until = INT64_MIN;  // close of the last bar delivered
    bool open = false;                       // a bar is being built
    std::int64_t start = 0, end = 0;
    double o = 0, h = 0, l = 0, c = 0, v = 0;
  };
  void emit(const std::string& symbol, State& s, std::vector<OutBar>& out);

  Timeframe tf_;
  bool regular_hours_only_;
  std::map<std::string, State, std::less<>> state_;
};

}  // namespace axion::alpaca
