// The bar history GET /v2/stocks/bars serves (live.md §4): per timeframe and symbol, bars by
// start time, and the paged query over several symbols. Not thread-safe: the stand-in calls it
// under its one lock.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "standin.hpp"

namespace axion::testing::alpaca {

// Alpaca's timeframe in its long spelling: "5T" and "5Min" are "5Min", "1H" "1Hour", "1D"
// "1Day", "1W" "1Week", "3M" "3Month". Nullopt for what Alpaca refuses (minutes 1..59, hours
// 1..23, one day or week, months 1, 2, 3, 4, 6 or 12).
std::optional<std::string> canonical_timeframe(std::string_view timeframe);

// Where a page starts: the first bar not returned yet.
struct BarCursor {
  std::string symbol;
  std::int64_t t_us = 0;
};

struct BarQuery {
  std::string timeframe;                         // canonical
  std::vector<std::string> symbols;              // sorted, unique
  std::optional<std::int64_t> start_us, end_us;  // both inclusive
  std::size_t limit = 1000;                      // bars across all symbols
  std::optional<BarCursor> from;                 // a page token
};

struct BarPage {
  std::vector<BarRecord> bars;    // by symbol, then time ascending
  std::optional<BarCursor> next;  // set only when more bars match
};

class BarStore {
 public:
  // `timeframe` canonical. A bar at the same (symbol, t) replaces the one there.
  void add(const std::string& timeframe, const std::vector<BarRecord>& bars);
  BarPage query(const BarQuery& q) const;

 private:
  using Series = std::map<std::int64_t, BarRecord>;            // by start time
  std::map<std::string, std::map<std::string, Series>> bars_;  // timeframe -> symbol -> series
};

}  // namespace axion::testing::alpaca
