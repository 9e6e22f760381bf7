// EMA cloud engine, signal detector and conviction scorer (strategies.md §2.1, §3, §4, §5, §7).
//
// Incremental: one Series per (symbol, timeframe) holds the ten recursive EMAs (first-value seeded,
// over the full history it has been fed) and small fixed rings of the recent bars, EMA values and
// volumes the rules look back at. update(), cloud_states(), detect() and score() are O(1) per bar
// and never allocate. The rules are written here exactly as the spec writes them over arrays (bar
// t-k is `back = k`), so the results equal a direct recomputation over the whole history.
//
// Free of host and core dependencies: the plugin (ema_cloud.cpp) and its test both include it.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string_view>

namespace axion::ema_cloud {

// ---- layers and constants --------------------------------------------------------------------

inline constexpr std::size_t kLayers = 5;
inline constexpr std::size_t kEmaCount = 2 * kLayers;
inline constexpr std::size_t kFastLayer = 0;
inline constexpr std::size_t kMacroLayer = 3;  // "EMA50" = the macro layer's long EMA at t
// Literals, so each view's data() is also a NUL-terminated C string (CloudState::cloud_name).
inline constexpr std::array<std::string_view, kLayers> kCloudNames{"fast", "pullback", "trend", "macro",
                                                                   "long_term"};
// Short and long period of each layer, in layer order (§3.1).
inline constexpr std::array<int, kEmaCount> kDefaultPeriods{5, 12, 8, 9, 20, 21, 34, 50, 72, 89};

inline constexpr double kBounceUp = 1.002;    // 1 + BOUNCE_THRESHOLD (0.002)
inline constexpr double kBounceDown = 0.998;  // 1 - BOUNCE_THRESHOLD
inline constexpr int kExhaustionCandles = 3;  // EXHAUSTION_CANDLES
inline constexpr std::size_t kSlopeLookback = 5;
inline constexpr double kSlopeFlat = 0.001;
inline constexpr std::size_t kVolumeWindow = 20;  // scanner volume average: mean(V[t-19..t])
inline constexpr double kNearCloud = 0.002;       // candlestick near-cloud gate
inline constexpr double kMinRange = 1e-10;

struct Periods {
  std::array<int, kEmaCount> values = kDefaultPeriods;

  int short_period(std::size_t layer) const { return values[2 * layer]; }
  int long_period(std::size_t layer) const { return values[2 * layer + 1]; }
  // §3.1 defines max_period as long_term_long; with any configuration we take the largest period,
  // which is the same number whenever the layers keep their natural order.
  int max_period() const { return *std::max_element(values.begin(), values.end()); }
  // §4.1: the detector needs max_period + 2 bars.
  std::int64_t min_bars() const { return static_cast<std::int64_t>(max_period()) + 2; }
};

struct Ohlcv {
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
};

// Fixed-capacity history: back(0) is the newest value, back(k) the one k pushes earlier.
template <class T, std::size_t N>
class Ring {
 public:
  void push(const T& v) {
    head_ = (head_ + 1) % N;
    buf_[head_] = v;
    if (size_ < N) ++size_;
  }
  const T& back(std::size_t k = 0) const { return buf_[(head_ + N - k) % N]; }  // k < size()
  std::size_t size() const { return size_; }

 private:
  std::array<T, N> buf_{};
  std::size_t head_ = N - 1;
  std::size_t size_ = 0;
};

// ---- cloud state (§1.3, §3.3) ----------------------------------------------------------------

enum class SlopeDirection { Flat, Rising, Falling };

inline constexpr std::string_view to_string(SlopeDirection d) {
  switch (d) {
    case SlopeDirection::Rising: return "rising";
    case SlopeDirection::Falling: return "falling";
    case SlopeDirection::Flat: return "flat";
  }
  return "flat";
}

struct CloudState {
  const char* cloud_name = "";
  double short_ema = 0;
  double long_ema = 0;
  bool is_bullish = false;
  double thickness = 0;
  bool price_above = false;
  bool price_inside = false;
  bool price_below = false;
  double slope = 0;
  SlopeDirection slope_direction = SlopeDirection::Flat;

  double upper() const { return std::max(short_ema, long_ema); }
  double lower() const { return std::min(short_ema, long_ema); }
};

using CloudStates = std::array<CloudState, kLayers>;

// ---- detections (§1.1, §4) -------------------------------------------------------------------

enum class SignalType {
  CloudCrossBullish,
  CloudCrossBearish,
  CloudFlipBullish,
  CloudFlipBearish,
  CloudBounceLong,
  CloudBounceShort,
  TrendAlignedLong,
  TrendAlignedShort,
  MomentumExhaustion,
  MtfConfluence,
  CandlestickBullish,
  CandlestickBearish,
};

inline constexpr std::string_view to_string(SignalType t) {
  switch (t) {
    case SignalType::CloudCrossBullish: return "cloud_cross_bullish";
    case SignalType::CloudCrossBearish: return "cloud_cross_bearish";
    case SignalType::CloudFlipBullish: return "cloud_flip_bullish";
    case SignalType::CloudFlipBearish: return "cloud_flip_bearish";
    case SignalType::CloudBounceLong: return "cloud_bounce_long";
    case SignalType::CloudBounceShort: return "cloud_bounce_short";
    case SignalType::TrendAlignedLong: return "trend_aligned_long";
    case SignalType::TrendAlignedShort: return "trend_aligned_short";
    case SignalType::MomentumExhaustion: return "momentum_exhaustion";
    case SignalType::MtfConfluence: return "mtf_confluence";
    case SignalType::CandlestickBullish: return "candlestick_bullish";
    case SignalType::CandlestickBearish: return "candlestick_bearish";
  }
  return "";
}

enum class Direction { Long, Short };

inline constexpr std::string_view to_string(Direction d) { return d == Direction::Long ? "long" : "short"; }

// Where a detection's stop came from. §4.2: a rule stop on the wrong side of entry is replaced by
// the nearest cloud level on the protective side, else by the bar extreme (L·0.998 / H·1.002).
enum class StopBasis { Rule, CloudLevel, BarExtreme };

inline constexpr std::string_view to_string(StopBasis b) {
  switch (b) {
    case StopBasis::Rule: return "rule";
    case StopBasis::CloudLevel: return "cloud_level";
    case StopBasis::BarExtreme: return "bar_extreme";
  }
  return "rule";
}

struct Detection {
  SignalType type = SignalType::CloudCrossBullish;
  Direction direction = Direction::Long;
  double entry = 0;
  double stop = 0;       // protective (after replacement)
  double rule_stop = 0;  // what the rule said
  StopBasis stop_basis = StopBasis::Rule;
  int cloud = -1;                         // layer index for per-cloud rules, else -1
  const char* trigger = nullptr;          // per-cloud rules, trend alignment, exhaustion
  const char* pattern = nullptr;          // candlesticks
  const char* exhaustion_side = nullptr;  // "above" | "below"
  double pattern_body_ratio = 0;          // candlesticks: body/range of the bar
};

// Per cloud: cross, flip, bounce (≤ 3 × 5); trend alignment (≤ 1); exhaustion (≤ 1); candles (≤ 6).
inline constexpr std::size_t kMaxDetections = 3 * kLayers + 1 + 1 + 6;

class DetectionList {
 public:
  void clear() { size_ = 0; }
  void push(const Detection& d) { items_[size_++] = d; }  // capacity is the rule count
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const Detection& operator[](std::size_t i) const { return items_[i]; }
  Detection& operator[](std::size_t i) { return items_[i]; }
  const Detection* begin() const { return items_.data(); }
  const Detection* end() const { return items_.data() + size_; }
  Detection* begin() { return items_.data(); }
  Detection* end() { return items_.data() + size_; }

 private:
  std::array<Detection, kMaxDetections> items_{};
  std::size_t size_ = 0;
};

// ---- conviction scorer (§5) ------------------------------------------------------------------

struct VolumeData {
  double current = 0;
  double avg = 1;
};

struct ScoreInputs {
  Direction direction = Direction::Long;
  std::span<const CloudState> states;
  std::optional<VolumeData> volume;        // none: no volume data
  std::optional<double> body_ratio;        // metadata body_ratio; none: 0.5
  int confirming_timeframes = 1;           // metadata confirming_timeframes
  std::optional<double> factor_composite;  // none: no factor scores
  double unusual_volume_threshold = 2.0;
};

struct ConvictionScore {
  // Components, rounded to 2 dp.
  double cloud_alignment = 0;
  double mtf_confluence = 0;
  double volume_confirmation = 0;
  double cloud_thickness = 0;
  double cloud_slope = 0;
  double candle_quality = 0;
  double factor_score = 0;
  int total = 0;
  const char* level = "none";
  // Breakdown.
  int aligned_clouds = 0;  // colour matches direction, price ignored
  int total_clouds = 0;
  double volume_ratio = 0;  // current / max(avg, 1); 0 without data
  int slope_rising = 0;
  int slope_falling = 0;
};

inline double round_dp(double x, double scale) { return std::round(x * scale) / scale; }

inline ConvictionScore score(const ScoreInputs& in) {
  ConvictionScore out;
  const bool is_long = in.direction == Direction::Long;
  const auto n_states = static_cast<double>(in.states.size());

  double alignment = 0;
  double thickness_sum = 0;
  for (const auto& s : in.states) {
    if (is_long && s.is_bullish && s.price_above) {
      alignment += 1.0;
    } else if (!is_long && !s.is_bullish && s.price_below) {
      alignment += 1.0;
    } else if (is_long && s.is_bullish) {
      alignment += 0.5;
    } else if (!is_long && !s.is_bullish) {
      alignment += 0.5;
    }
    if (s.is_bullish == is_long) ++out.aligned_clouds;
    if (s.slope_direction == SlopeDirection::Rising) ++out.slope_rising;
    if (s.slope_direction == SlopeDirection::Falling) ++out.slope_falling;
    thickness_sum += s.thickness;
  }
  out.total_clouds = static_cast<int>(in.states.size());

  const double c_align = in.states.empty() ? 0.0 : (alignment / n_states) * 25.0;

  const int k = in.confirming_timeframes;
  const double c_mtf = k >= 4 ? 25.0 : k >= 3 ? 20.0 : k >= 2 ? 12.5 : 5.0;

  double c_volume = 4.5;
  if (in.volume) {
    const VolumeData& v = *in.volume;
    if (v.avg <= 0) {
      c_volume = 0.0;
    } else {
      const double r = v.current / v.avg;
      c_volume = r >= in.unusual_volume_threshold ? 15.0 : r >= 1.5 ? 12.0 : r >= 1.0 ? 7.5 : 3.0;
    }
    out.volume_ratio = v.current / std::max(v.avg, 1.0);
  }

  double c_thick = 0.0;
  if (!in.states.empty()) {
    const double mean = thickness_sum / n_states;
    c_thick = mean >= 0.01 ? 5.0 : mean >= 0.005 ? 3.5 : mean >= 0.002 ? 2.0 : 0.5;
  }

  const double c_slope =
      in.states.empty()
          ? 0.0
          : (static_cast<double>(std::max(out.slope_rising, out.slope_falling)) / n_states) * 5.0;

  const double b = in.body_ratio.value_or(0.5);
  const double c_candle = b >= 0.7 ? 10.0 : b >= 0.5 ? 7.0 : b >= 0.3 ? 4.0 : 1.0;

  const double c_factor = in.factor_composite ? *in.factor_composite * 15.0 : 4.5;

  // Summed in the order of §5, then truncated (37.5 -> 37). Conviction is 0–100 (§0).
  double sum = c_align;
  sum += c_mtf;
  sum += c_volume;
  sum += c_thick;
  sum += c_slope;
  sum += c_candle;
  sum += c_factor;
  out.total = std::max(0, static_cast<int>(std::min(100.0, sum)));
  out.level = out.total >= 75   ? "high"
              : out.total >= 50 ? "medium"
              : out.total >= 25 ? "low"
                                : "none";

  out.cloud_alignment = round_dp(c_align, 100);
  out.mtf_confluence = round_dp(c_mtf, 100);
  out.volume_confirmation = round_dp(c_volume, 100);
  out.cloud_thickness = round_dp(c_thick, 100);
  out.cloud_slope = round_dp(c_slope, 100);
  out.candle_quality = round_dp(c_candle, 100);
  out.factor_score = round_dp(c_factor, 100);
  return out;
}

// ---- one (symbol, timeframe) series ------------------------------------------------------------

class Series {
 public:
  explicit Series(const Periods& periods) : min_bars_(periods.min_bars()) {
    for (std::size_t i = 0; i < kEmaCount; ++i) {
      alpha_[i] = 2.0 / (static_cast<double>(periods.values[i]) + 1.0);
    }
  }

  // Feed the next completed bar (§2.1: EMA[0] = x[0]; EMA[i] = α·x[i] + (1−α)·EMA[i−1]).
  void update(const Ohlcv& bar) {
    std::array<double, kEmaCount> next;
    if (count_ == 0) {
      next.fill(bar.close);
    } else {
      const auto& prev = emas_.back(0);
      for (std::size_t i = 0; i < kEmaCount; ++i) {
        next[i] = alpha_[i] * bar.close + (1.0 - alpha_[i]) * prev[i];
      }
    }
    emas_.push(next);
    bars_.push(bar);
    volumes_.push(bar.volume);
    ++count_;
  }

  std::int64_t bar_count() const { return count_; }
  std::int64_t min_bars() const { return min_bars_; }
  bool ready() const { return count_ >= min_bars_; }

  // Lookbacks: back = k means bar t−k; k ≤ 5 for EMAs, ≤ 3 for bars (and < bar_count()).
  double ema(std::size_t index, std::size_t back = 0) const { return emas_.back(back)[index]; }
  double short_ema(std::size_t layer, std::size_t back = 0) const { return ema(2 * layer, back); }
  double long_ema(std::size_t layer, std::size_t back = 0) const {
    return ema(2 * layer + 1, back);
  }
  double upper(std::size_t layer, std::size_t back = 0) const {
    return std::max(short_ema(layer, back), long_ema(layer, back));
  }
  double lower(std::size_t layer, std::size_t back = 0) const {
    return std::min(short_ema(layer, back), long_ema(layer, back));
  }
  const Ohlcv& bar(std::size_t back = 0) const { return bars_.back(back); }
  double close(std::size_t back = 0) const { return bars_.back(back).close; }

  // §3.3, at the latest bar.
  CloudState cloud_state(std::size_t layer) const {
    CloudState s;
    s.cloud_name = kCloudNames[layer].data();
    s.short_ema = short_ema(layer);
    s.long_ema = long_ema(layer);
    const double price = close();
    const double up = s.upper();
    const double lo = s.lower();
    s.is_bullish = s.short_ema > s.long_ema;
    s.thickness = price > 0 ? std::fabs(s.short_ema - s.long_ema) / price : 0.0;
    s.price_above = price > up;
    s.price_inside = lo <= price && price <= up;
    s.price_below = price < lo;
    if (count_ > static_cast<std::int64_t>(kSlopeLookback)) {
      const double m_now = (s.short_ema + s.long_ema) / 2.0;
      const double m_then =
          (short_ema(layer, kSlopeLookback) + long_ema(layer, kSlopeLookback)) / 2.0;
      s.slope =
          m_then > 0 ? (m_now - m_then) / (static_cast<double>(kSlopeLookback) * m_then) : 0.0;
      s.slope_direction = s.slope > kSlopeFlat    ? SlopeDirection::Rising
                          : s.slope < -kSlopeFlat ? SlopeDirection::Falling
                                                  : SlopeDirection::Flat;
    }
    return s;
  }

  CloudStates cloud_states() const {
    CloudStates out;
    for (std::size_t layer = 0; layer < kLayers; ++layer) out[layer] = cloud_state(layer);
    return out;
  }

  // §7: {V[t], mean(V[t−19..t])} with ≥ 20 bars, else none.
  std::optional<VolumeData> volume_data() const {
    if (count_ < static_cast<std::int64_t>(kVolumeWindow)) return std::nullopt;
    double sum = 0;
    for (std::size_t k = kVolumeWindow; k-- > 0;) sum += volumes_.back(k);  // oldest first
    return VolumeData{volumes_.back(0), sum / static_cast<double>(kVolumeWindow)};
  }

  // §7: |C−O|/(H−L) of the latest bar, 0 if H−L ≤ 0.
  double body_ratio() const {
    const Ohlcv& b = bar();
    const double range = b.high - b.low;
    return range > 0 ? std::fabs(b.close - b.open) / range : 0.0;
  }

  // §4: every signal of the latest bar, in emission order (§4.1); empty before min_bars().
  void detect(const CloudStates& states, DetectionList& out) const {
    out.clear();
    if (!ready()) return;
    const double c0 = close(0);
    const double c1 = close(1);
    const double c2 = close(2);
    const double ema50 = long_ema(kMacroLayer);
    const double cloud_long_stop = ema50 * 0.995;
    const double cloud_short_stop = ema50 * 1.005;

    auto add = [&](SignalType type, Direction dir, double rule_stop) -> Detection& {
      Detection d;
      d.type = type;
      d.direction = dir;
      d.entry = c0;
      d.rule_stop = rule_stop;
      out.push(d);
      return out[out.size() - 1];
    };
    auto add_cloud = [&](SignalType type, Direction dir, double stop, std::size_t layer,
                         const char* trigger) {
      Detection& d = add(type, dir, stop);
      d.cloud = static_cast<int>(layer);
      d.trigger = trigger;
    };

    for (std::size_t layer = 0; layer < kLayers; ++layer) {
      const double u0 = upper(layer, 0), u1 = upper(layer, 1), u2 = upper(layer, 2);
      const double l0 = lower(layer, 0), l1 = lower(layer, 1), l2 = lower(layer, 2);

      if (c1 <= u1 && c0 > u0) {
        add_cloud(SignalType::CloudCrossBullish, Direction::Long, cloud_long_stop, layer,
                  "cross_above");
      } else if (c1 >= l1 && c0 < l0) {
        add_cloud(SignalType::CloudCrossBearish, Direction::Short, cloud_short_stop, layer,
                  "cross_below");
      }

      const double s0 = short_ema(layer, 0), s1 = short_ema(layer, 1);
      const double g0 = long_ema(layer, 0), g1 = long_ema(layer, 1);
      if (s1 <= g1 && s0 > g0) {
        add_cloud(SignalType::CloudFlipBullish, Direction::Long, cloud_long_stop, layer,
                  "flip_bullish");
      } else if (s1 >= g1 && s0 < g0) {
        add_cloud(SignalType::CloudFlipBearish, Direction::Short, cloud_short_stop, layer,
                  "flip_bearish");
      }

      const Ohlcv& b1 = bar(1);
      if (b1.low <= u1 * kBounceUp && c1 >= l1 && c0 > u0 && c2 > u2) {
        add_cloud(SignalType::CloudBounceLong, Direction::Long, cloud_long_stop, layer,
                  "bounce_long");
      } else if (b1.high >= l1 * kBounceDown && c1 <= u1 && c0 < l0 && c2 < l2) {
        add_cloud(SignalType::CloudBounceShort, Direction::Short, cloud_short_stop, layer,
                  "bounce_short");
      }
    }

    bool all_bull_above = true;
    bool all_bear_below = true;
    for (const auto& s : states) {
      all_bull_above = all_bull_above && s.is_bullish && s.price_above;
      all_bear_below = all_bear_below && !s.is_bullish && s.price_below;
    }
    if (all_bull_above) {
      add(SignalType::TrendAlignedLong, Direction::Long, ema50 * 0.99).trigger = "trend_alignment";
    } else if (all_bear_below) {
      add(SignalType::TrendAlignedShort, Direction::Short, ema50 * 1.01).trigger =
          "trend_alignment";
    }

    detect_exhaustion(add, ema50);
    detect_candlesticks(states, add);

    for (Detection& d : out) protect_stop(d);
  }

 private:
  // §4.2 momentum exhaustion on the fast cloud: the last EXHAUSTION_CANDLES closes beyond the
  // cloud and the close before them not.
  template <class Add>
  void detect_exhaustion(Add& add, double ema50) const {
    constexpr auto n = static_cast<std::size_t>(kExhaustionCandles);
    if (count_ < static_cast<std::int64_t>(n + 1)) return;
    bool above = close(n) <= upper(kFastLayer, n);
    bool below = close(n) >= lower(kFastLayer, n);
    for (std::size_t k = 0; k < n; ++k) {
      above = above && close(k) > upper(kFastLayer, k);
      below = below && close(k) < lower(kFastLayer, k);
    }
    if (above) {
      Detection& d = add(SignalType::MomentumExhaustion, Direction::Short, ema50 * 1.01);
      d.trigger = "momentum_exhaustion";
      d.exhaustion_side = "above";
    } else if (below) {
      Detection& d = add(SignalType::MomentumExhaustion, Direction::Long, ema50 * 0.99);
      d.trigger = "momentum_exhaustion";
      d.exhaustion_side = "below";
    }
  }

  // §4.3 candlesticks at cloud levels.
  template <class Add>
  void detect_candlesticks(const CloudStates& states, Add& add) const {
    if (count_ < 3) return;
    const Ohlcv& cur = bar(0);
    const Ohlcv& prev = bar(1);
    const double o = cur.open, h = cur.high, l = cur.low, c = cur.close;
    const double po = prev.open, ph = prev.high, pl = prev.low, pc = prev.close;
    const double range = h - l;
    if (range < kMinRange) return;
    const double body = std::fabs(c - o);
    const double body_ratio = body / range;
    const double upper_wick = h - std::max(o, c);
    const double lower_wick = std::min(o, c) - l;
    const double prev_body = std::fabs(pc - po);

    const double d = std::max(c, 0.01);
    bool near = false;
    for (const auto& s : states) {
      const double up = s.upper();
      const double lo = s.lower();
      near = near || std::fabs(c - up) / d <= kNearCloud || std::fabs(c - lo) / d <= kNearCloud ||
             std::fabs(l - up) / d <= kNearCloud || std::fabs(h - lo) / d <= kNearCloud;
    }
    if (!near) return;

    auto emit = [&](SignalType type, Direction dir, double stop, const char* pattern) {
      Detection& det = add(type, dir, stop);
      det.pattern = pattern;
      det.pattern_body_ratio = body_ratio;
    };
    if (body_ratio < 0.35 && lower_wick >= 2 * body && c > o) {
      emit(SignalType::CandlestickBullish, Direction::Long, l * 0.998, "hammer");
    }
    if (body_ratio < 0.35 && upper_wick >= 2 * body && c > o) {
      emit(SignalType::CandlestickBullish, Direction::Long, l * 0.998, "inverted_hammer");
    }
    if (c > o && pc < po && c > po && o < pc && body > prev_body) {
      emit(SignalType::CandlestickBullish, Direction::Long, std::min(l, pl) * 0.998,
           "bullish_engulfing");
    }
    if (c < o && pc > po && o > pc && c < po && body > prev_body) {
      emit(SignalType::CandlestickBearish, Direction::Short, std::max(h, ph) * 1.002,
           "bearish_engulfing");
    }
    if (lower_wick > 0.6 * range && body_ratio < 0.3) {
      emit(SignalType::CandlestickBullish, Direction::Long, l * 0.998, "pin_bar_bullish");
    }
    if (upper_wick > 0.6 * range && body_ratio < 0.3) {
      emit(SignalType::CandlestickBearish, Direction::Short, h * 1.002, "pin_bar_bearish");
    }
  }

  // §4.2 wrong-side stop replacement: the nearest of the ten cloud EMA values at t on the
  // protective side, else the bar extreme. Applied to every detection; only the EMA50-anchored
  // rules can actually land on the wrong side with positive prices.
  void protect_stop(Detection& d) const {
    d.stop = d.rule_stop;
    d.stop_basis = StopBasis::Rule;
    const bool is_long = d.direction == Direction::Long;
    if (is_long ? d.rule_stop < d.entry : d.rule_stop > d.entry) return;

    bool found = false;
    double best = 0;
    for (std::size_t i = 0; i < kEmaCount; ++i) {
      const double e = ema(i);
      if (is_long && e < d.entry && (!found || e > best)) {
        best = e;
        found = true;
      } else if (!is_long && e > d.entry && (!found || e < best)) {
        best = e;
        found = true;
      }
    }
    if (found) {
      d.stop = best;
      d.stop_basis = StopBasis::CloudLevel;
    } else {
      d.stop = is_long ? bar().low * 0.998 : bar().high * 1.002;
      d.stop_basis = StopBasis::BarExtreme;
    }
  }

  std::array<double, kEmaCount> alpha_{};
  std::int64_t min_bars_;
  std::int64_t count_ = 0;
  Ring<std::array<double, kEmaCount>, kSlopeLookback + 1> emas_;  // t .. t−5
  Ring<Ohlcv, kExhaustionCandles + 1> bars_;                      // t .. t−3
  Ring<double, kVolumeWindow> volumes_;                           // t .. t−19
};

}  // namespace axion::ema_cloud
