// strategy/ema_cloud — the EMA cloud signal detector (strategies.md §3–§4), scored as the universe
// scanner scores it (§5, §7), one (symbol, timeframe) series at a time.
//
// Per bar: update the series (O(1), no allocation) → detect → score → [MTF confluence, §6: not
// yet] → min_conviction filter → emit. Only bars that fire build Signal objects.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "axion/sdk/plugin.hpp"
#include "ema_cloud_engine.hpp"

namespace axion::plugins::ema_cloud {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace engine = axion::ema_cloud;

constexpr double kMaxPeriod = 10000;

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"fast_short", KeyType::Int, "5", "fast cloud short EMA period", 1, kMaxPeriod},
    {"fast_long", KeyType::Int, "12", "fast cloud long EMA period", 1, kMaxPeriod},
    {"pullback_short", KeyType::Int, "8", "pullback cloud short EMA period", 1, kMaxPeriod},
    {"pullback_long", KeyType::Int, "9", "pullback cloud long EMA period", 1, kMaxPeriod},
    {"trend_short", KeyType::Int, "20", "trend cloud short EMA period", 1, kMaxPeriod},
    {"trend_long", KeyType::Int, "21", "trend cloud long EMA period", 1, kMaxPeriod},
    {"macro_short", KeyType::Int, "34", "macro cloud short EMA period", 1, kMaxPeriod},
    {"macro_long", KeyType::Int, "50",
     "macro cloud long EMA period (the 'EMA50' that anchors rule stops)", 1, kMaxPeriod},
    {"long_term_short", KeyType::Int, "72", "long-term cloud short EMA period", 1, kMaxPeriod},
    {"long_term_long", KeyType::Int, "89",
     "long-term cloud long EMA period; the detector needs (largest period + 2) bars", 1,
     kMaxPeriod},
    {"unusual_volume_threshold", KeyType::Double, "2.0",
     "volume ratio V[t]/mean(V[t-19..t]) that earns the top volume score (15 points)", 1.5, 100},
    {"min_conviction", KeyType::Int, "0",
     "signals whose scored conviction is below this are not emitted (0 = emit all)", 0, 100},
    {"timeframes", KeyType::StringList, "[]",
     "timeframes to run on (1m, 5m, 10m, 1h, 1d); empty = every timeframe received"},
};

constexpr const char* kTimeframes[] = {"1m", "5m", "10m", "1h", "1d"};

// The validated, immutable configuration.
struct Settings {
  engine::Periods periods;
  double unusual_volume_threshold = 2.0;
  int min_conviction = 0;
  std::vector<std::string> timeframes;  // empty = all

  static Settings from(const axion::sdk::Config& config) {
    Settings s;
    for (std::size_t layer = 0; layer < engine::kLayers; ++layer) {
      const std::string name = engine::kCloudNames[layer];
      const std::string short_key = name + "_short";
      const std::string long_key = name + "_long";
      const auto short_p = config.get_int(short_key);
      const auto long_p = config.get_int(long_key);
      if (short_p >= long_p) {
        throw axion::sdk::Error(short_key + " (" + std::to_string(short_p) +
                                    ") must be less than " + long_key + " (" +
                                    std::to_string(long_p) + ")",
                                short_key);
      }
      s.periods.values[2 * layer] = static_cast<int>(short_p);
      s.periods.values[2 * layer + 1] = static_cast<int>(long_p);
    }
    s.unusual_volume_threshold = config.get_double("unusual_volume_threshold");
    s.min_conviction = static_cast<int>(config.get_int("min_conviction"));
    s.timeframes = config.get_strings("timeframes");
    for (const auto& tf : s.timeframes) {
      bool known = false;
      for (const char* k : kTimeframes) known = known || tf == k;
      if (!known) {
        throw axion::sdk::Error("timeframes: '" + tf + "' is not one of 1m, 5m, 10m, 1h, 1d",
                                "timeframes");
      }
    }
    return s;
  }

  bool runs_on(std::string_view timeframe) const {
    if (timeframes.empty()) return true;
    for (const auto& tf : timeframes) {
      if (tf == timeframe) return true;
    }
    return false;
  }
};

bool finite_bar(const axion::sdk::BarView& b) {
  return std::isfinite(b.open) && std::isfinite(b.high) && std::isfinite(b.low) &&
         std::isfinite(b.close) && std::isfinite(b.volume);
}

// CloudState.to_dict (§1.3): EMAs to 4 dp, thickness and slope to 6 dp.
nlohmann::json cloud_states_json(const engine::CloudStates& states) {
  auto arr = nlohmann::json::array();
  for (const auto& s : states) {
    arr.push_back({{"cloud_name", s.cloud_name},
                   {"short_ema", engine::round_dp(s.short_ema, 1e4)},
                   {"long_ema", engine::round_dp(s.long_ema, 1e4)},
                   {"is_bullish", s.is_bullish},
                   {"thickness", engine::round_dp(s.thickness, 1e6)},
                   {"price_above", s.price_above},
                   {"price_inside", s.price_inside},
                   {"price_below", s.price_below},
                   {"slope", engine::round_dp(s.slope, 1e6)},
                   {"slope_direction", engine::to_string(s.slope_direction)}});
  }
  return arr;
}

class EmaCloudStrategy final : public axion::sdk::Strategy {
 public:
  EmaCloudStrategy(const axion::sdk::Host& host, const axion::sdk::Config& config)
      : Strategy(host), settings_(Settings::from(config)) {}

  void on_bar(const axion::sdk::BarView& bar, axion::sdk::SignalSink& sink) override {
    if (!settings_.runs_on(bar.timeframe)) return;
    // Fail fast on bars that would corrupt the series (STYLE 12); the series is left untouched.
    if (!finite_bar(bar) || bar.high < bar.low || bar.low <= 0 || bar.open <= 0 || bar.close <= 0 ||
        bar.volume < 0) {
      throw axion::sdk::Error("invalid bar for " + std::string(bar.symbol) + " " +
                              std::string(bar.timeframe));
    }

    Entry& entry = series_for(bar.symbol, bar.timeframe);
    if (entry.series.bar_count() > 0 && bar.ts_us < entry.last_ts_us) {
      throw axion::sdk::Error("out-of-order bar for " + std::string(bar.symbol) + " " +
                              std::string(bar.timeframe));
    }
    entry.last_ts_us = bar.ts_us;
    engine::Series& series = entry.series;
    series.update({bar.open, bar.high, bar.low, bar.close, bar.volume});
    if (!series.ready()) return;

    const engine::CloudStates states = series.cloud_states();
    series.detect(states, detections_);
    if (detections_.empty()) return;

    // Scanner inputs (§7): the window's volume data and the latest bar's body ratio.
    const auto volume = series.volume_data();
    const double body_ratio = series.body_ratio();
    const std::int64_t now = host().now_us();
    nlohmann::json states_json;  // built once per firing bar

    for (const engine::Detection& d : detections_) {
      engine::ScoreInputs in;
      in.direction = d.direction;
      in.states = states;
      in.volume = volume;
      in.body_ratio = body_ratio;
      in.unusual_volume_threshold = settings_.unusual_volume_threshold;
      const engine::ConvictionScore score = engine::score(in);
      // MTF confluence (§6) goes here once the plugin keeps cross-timeframe state: it boosts
      // conviction and may add an mtf_confluence signal, before the min_conviction filter.
      if (score.total < settings_.min_conviction) continue;
      if (states_json.is_null()) states_json = cloud_states_json(states);
      sink.emit(make_signal(bar, d, score, body_ratio, now, states_json));
    }
  }

 private:
  struct Entry {
    explicit Entry(const engine::Periods& p) : series(p) {}
    engine::Series series;
    std::int64_t last_ts_us = 0;
  };

  // Lookup reuses key_ (no allocation once its capacity suffices); a new series allocates once.
  Entry& series_for(std::string_view symbol, std::string_view timeframe) {
    key_.assign(symbol);
    key_.push_back('\0');
    key_.append(timeframe);
    auto it = series_.find(key_);
    if (it == series_.end()) it = series_.emplace(key_, Entry(settings_.periods)).first;
    return it->second;
  }

  static axion::sdk::Signal make_signal(const axion::sdk::BarView& bar, const engine::Detection& d,
                                        const engine::ConvictionScore& score, double body_ratio,
                                        std::int64_t now, const nlohmann::json& states_json) {
    axion::sdk::Signal s;
    s.signal_type = engine::to_string(d.type);
    s.direction = engine::to_string(d.direction);
    s.ticker = std::string(bar.symbol);
    s.timeframe = std::string(bar.timeframe);
    s.conviction = score.total;
    s.entry_price = d.entry;
    s.stop_loss = d.stop;
    s.target_price = 0;  // the detector sets no target
    s.ts_us = now;

    auto& m = s.metadata;
    m["strategy"] = "ema_cloud";
    if (d.cloud >= 0) m["cloud"] = engine::kCloudNames[static_cast<std::size_t>(d.cloud)];
    if (d.trigger) m["trigger"] = d.trigger;
    if (d.type == engine::SignalType::TrendAlignedLong) m["all_bullish"] = true;
    if (d.type == engine::SignalType::TrendAlignedShort) m["all_bullish"] = false;
    if (d.exhaustion_side) {
      m["exhaustion_side"] = d.exhaustion_side;
      m["consecutive_bars"] = engine::kExhaustionCandles;
    }
    if (d.pattern) m["pattern"] = d.pattern;
    if (d.stop_basis != engine::StopBasis::Rule) {
      m["stop_replaced"] = engine::to_string(d.stop_basis);
      m["rule_stop"] = d.rule_stop;
    }
    // §7: the scanner overwrites the detector's 3-dp body_ratio with the bar's unrounded one.
    m["body_ratio"] = body_ratio;
    m["conviction_breakdown"] = {{"cloud_alignment", score.cloud_alignment},
                                 {"volume", score.volume_confirmation},
                                 {"thickness", score.cloud_thickness},
                                 {"candle", score.candle_quality},
                                 {"factor", score.factor_score}};
    m["cloud_states"] = states_json;
    return s;
  }

  const Settings settings_;
  std::unordered_map<std::string, Entry> series_;
  std::string key_;
  engine::DetectionList detections_;
};

}  // namespace
}  // namespace axion::plugins::ema_cloud

AXION_PLUGIN(axion::plugins::ema_cloud::EmaCloudStrategy, AXION_KIND_STRATEGY, "ema_cloud", "1.0.0",
             "EMA cloud signals", axion::plugins::ema_cloud::kKeys)
