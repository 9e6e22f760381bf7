// Multi-timeframe pieces of strategy/ema_cloud (strategies.md §6): the confluence rule as a pure
// function over one ticker's current signals, and the clock-time bar aggregator that builds the
// higher timeframes from a received bar stream.
//
// Neither allocates: compute_confluence writes into caller-provided spans and a fixed result, the
// aggregator is a handful of numbers. Free of host and core dependencies (sdk/time.hpp is
// header-only arithmetic), so the plugin and its test both include it.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "axion/sdk/time.hpp"
#include "ema_cloud_engine.hpp"

namespace axion::ema_cloud {

// ---- timeframes (§6) ---------------------------------------------------------------------------

inline constexpr std::array<std::string_view, 5> kTimeframeOrder{"1m", "5m", "10m", "1h", "1d"};
inline constexpr int kTotalTimeframes = 5;

// Index in TIMEFRAMES, or -1 for a label that is not one of them.
inline int timeframe_index(std::string_view tf) {
  for (std::size_t i = 0; i < kTimeframeOrder.size(); ++i) {
    if (kTimeframeOrder[i] == tf) return static_cast<int>(i);
  }
  return -1;
}

// §6 base selection: the TIMEFRAMES index, unknown = 0.
inline int timeframe_rank(std::string_view tf) { return std::max(0, timeframe_index(tf)); }

// CONFLUENCE_BOOST = {1: 0, 2: 10, 3: 20, 4: 25, 5: 25}, other counts → 25 (k is at least 1).
inline int confluence_boost(std::size_t k) {
  switch (k) {
    case 0:
    case 1: return 0;
    case 2: return 10;
    case 3: return 20;
    default: return 25;
  }
}

// ---- compute_confluence (§6) -------------------------------------------------------------------

// One signal of one ticker, in insertion order (timeframe order, then signal order).
struct ConfluenceInput {
  std::string_view timeframe;
  Direction direction = Direction::Long;
  int conviction = 0;  // as scored (before any boost)
};

// A (ticker, direction) group. Groups are numbered by first appearance.
struct ConfluenceGroup {
  Direction direction = Direction::Long;
  std::size_t members = 0;  // group size (`source_signals`)
  int confirming = 0;       // k = distinct timeframes
  int boost = 0;            // CONFLUENCE_BOOST[k]
  std::size_t base = 0;     // input index of the member with the highest TIMEFRAMES index
  bool mtf() const { return confirming >= 3; }  // one MTF_CONFLUENCE signal
};

struct ConfluenceResult {
  std::array<ConfluenceGroup, 2> groups{};  // one ticker: at most one group per direction
  std::size_t group_count = 0;
};

// §6 over one ticker's signals: `boosted[i]` = min(100, conviction + boost of i's group) and
// `group_of[i]` its group; each group's k, boost, size and MTF base. The boost is applied once.
// `boosted` and `group_of` must be at least as long as `in`.
inline ConfluenceResult compute_confluence(std::span<const ConfluenceInput> in,
                                           std::span<int> boosted,
                                           std::span<std::size_t> group_of) {
  ConfluenceResult r;
  for (std::size_t i = 0; i < in.size(); ++i) {
    std::size_t g = 0;
    while (g < r.group_count && r.groups[g].direction != in[i].direction) ++g;
    if (g == r.group_count) {
      r.groups[g] = ConfluenceGroup{};
      r.groups[g].direction = in[i].direction;
      r.groups[g].base = i;
      ++r.group_count;
    }
    ConfluenceGroup& grp = r.groups[g];
    group_of[i] = g;
    ++grp.members;
    // A timeframe counts once: is this the first member of its group with this label?
    bool seen = false;
    for (std::size_t j = 0; j < i && !seen; ++j) {
      seen = group_of[j] == g && in[j].timeframe == in[i].timeframe;
    }
    if (!seen) ++grp.confirming;
    // First maximum wins.
    if (timeframe_rank(in[i].timeframe) > timeframe_rank(in[grp.base].timeframe)) grp.base = i;
  }
  for (std::size_t g = 0; g < r.group_count; ++g) {
    r.groups[g].boost = confluence_boost(static_cast<std::size_t>(r.groups[g].confirming));
  }
  for (std::size_t i = 0; i < in.size(); ++i) {
    boosted[i] = std::min(100, in[i].conviction + r.groups[group_of[i]].boost);
  }
  return r;
}

// `confirmed_tfs`: the group's distinct timeframes, sorted (as strings, like Python's sorted()).
// Views into the inputs' labels; no allocation. A group holds at most one label per slot of a
// symbol, far fewer than the capacity.
struct TimeframeList {
  static constexpr std::size_t kCapacity = 16;
  std::array<std::string_view, kCapacity> items{};
  std::size_t size = 0;
  auto begin() const { return items.begin(); }
  auto end() const { return items.begin() + static_cast<std::ptrdiff_t>(size); }
  std::vector<std::string> to_vector() const { return {begin(), end()}; }
};

inline TimeframeList confirmed_timeframes(std::span<const ConfluenceInput> in,
                                          std::span<const std::size_t> group_of, std::size_t group) {
  TimeframeList out;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (group_of[i] != group || out.size == TimeframeList::kCapacity) continue;
    if (std::find(out.begin(), out.end(), in[i].timeframe) == out.end()) out.items[out.size++] = in[i].timeframe;
  }
  std::sort(out.items.begin(), out.items.begin() + static_cast<std::ptrdiff_t>(out.size));
  return out;
}

// ---- higher timeframes from a received stream --------------------------------------------------

// Bars are stamped at their END (feed/synthetic: the first 1-minute bar of a day is 09:31 ET,
// the last 16:00 ET; daily bars 16:00 ET), so a bar stamped ts covers (ts − duration, ts].
//
// * 5m, 10m, 1h: clock buckets (k·D − D, k·D] — aligned to the ET clock (ET offsets are whole
//   hours, so aligning in UTC is the same). The bucket of a bar ends at ceil(ts / D)·D.
// * 1d: the regular session of the ET trading day: bars whose end lies in (09:30, 16:00] ET; other
//   bars do not enter the daily bar (but a bar of a later day still completes it).
//
// A bucket is complete — and returned, stamped at its end — as soon as a bar stamped exactly at
// the bucket's end arrives (its last constituent); otherwise (that bar is missing, e.g. a gap or
// an early close) when the first bar of a later bucket arrives, before that bar is added. O =
// first open, H = max, L = min, C = last close, V = sum.
class BarAggregator {
 public:
  static constexpr std::int64_t kUsPerMinute = 60 * axion::sdk::time::kUsPerSec;

  struct Completed {
    Ohlcv bar;
    std::int64_t ts_us = 0;  // the bucket's end
  };
  // What one source bar completes: `previous` = the bucket before it, whose last bar never came
  // (it completes "before" this bar); `closed` = the bar's own bucket, when the bar is its last.
  struct Output {
    bool has_previous = false;
    Completed previous;
    bool has_closed = false;
    Completed closed;
  };

  // Minutes of a label (1d = a day); 0 for a label that is not a known timeframe.
  static std::int64_t minutes(std::string_view tf) {
    if (tf == "1m") return 1;
    if (tf == "5m") return 5;
    if (tf == "10m") return 10;
    if (tf == "1h") return 60;
    if (tf == "1d") return 24 * 60;
    return 0;
  }

  BarAggregator() = default;
  explicit BarAggregator(std::string_view target)
      : daily_(target == "1d"), duration_us_(minutes(target) * kUsPerMinute) {}

  // True when bars of `source` can be aggregated into this target (strictly finer).
  bool accepts_source(std::string_view source) const {
    const std::int64_t m = minutes(source);
    return m > 0 && m * kUsPerMinute < duration_us_;
  }

  // Adds one completed source bar stamped ts_us > 0 (non-decreasing).
  Output add(std::int64_t ts_us, const Ohlcv& b) {
    Output out;
    std::int64_t key = 0, end = 0;
    bool include = true;
    if (daily_) {
      const axion::sdk::time::LocalTime et = axion::sdk::time::to_eastern(ts_us);
      const std::int64_t tod = (static_cast<std::int64_t>(et.hour) * 3600 + et.minute * 60 +
                                et.second) * axion::sdk::time::kUsPerSec + et.micros;
      const std::int64_t open = (9 * 60 + 30) * kUsPerMinute, close = 16 * 60 * kUsPerMinute;
      key = et.day_number;
      end = ts_us + (close - tod);  // 16:00 ET of that day
      include = tod > open && tod <= close;
    } else {
      key = ((ts_us - 1) / duration_us_ + 1) * duration_us_;
      end = key;
    }
    if (open_ && key != key_) {  // a later bucket: the open one is over
      out.has_previous = true;
      out.previous = {bar_, end_};
      open_ = false;
    }
    if (!include || (done_ && key <= done_key_)) return out;  // outside / already complete
    if (!open_) {
      open_ = true;
      key_ = key;
      end_ = end;
      bar_ = b;
    } else {
      bar_.high = std::max(bar_.high, b.high);
      bar_.low = std::min(bar_.low, b.low);
      bar_.close = b.close;
      bar_.volume += b.volume;
    }
    if (ts_us == end_) {  // its last constituent
      out.has_closed = true;
      out.closed = {bar_, end_};
      open_ = false;
      done_ = true;
      done_key_ = key_;
    }
    return out;
  }

 private:
  bool daily_ = false;
  std::int64_t duration_us_ = 0;
  bool open_ = false;
  std::int64_t key_ = 0, end_ = 0;
  bool done_ = false;
  std::int64_t done_key_ = 0;
  Ohlcv bar_{};
};

}  // namespace axion::ema_cloud
