// A third-party strategy in the SDK's current style: long when a bar closes above the highest
// high of the previous `lookback` bars of its (symbol, timeframe), with the stop at the lowest
// low of that window and the target at `reward_to_risk` times the risk.
//
// What it shows:
//  - keys declared once as data (kKeys): parsing, defaults, bounds, --describe and the README;
//  - the strategy kit: the `timeframes` filter, one incremental state per (symbol, timeframe)
//    (SeriesMap), bar validation before any state changes, signals with their protective sides
//    checked (make_strategy_signal, protective_sides_ok);
//  - warm-up: history bars (bar.warmup) fill the window but never emit;
//  - no allocation per bar once a series exists (fixed rings, no strings built unless it emits).
// Build it against the installed SDK (CMakeLists.txt) and point axion-host at the folder with
// [engine] plugin_dirs or --plugin-dir. test_template_breakout.cpp runs it against the SDK fakes.
#include <axion/sdk/indicators/ring.hpp>
#include <axion/sdk/plugin.hpp>
#include <axion/sdk/strategy_kit.hpp>

#include <algorithm>
#include <cstddef>

namespace {

using axion::sdk::BarView;
using axion::sdk::Config;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::SignalSink;

constexpr const char* kName = "template_breakout";

constexpr KeySpec kKeys[] = {
    {"timeframes", KeyType::StringList, "[]", "timeframes to trade (1m, 5m, 10m, 1h, 1d); [] = every one received"},
    {"lookback", KeyType::Int, "20", "bars in the breakout window", 2, 500},
    {"conviction", KeyType::Int, "60", "conviction of every signal", 0, 100},
    {"reward_to_risk", KeyType::Double, "2.0", "target distance as a multiple of the risk", 0.5, 10.0},
};

// The validated configuration (checked once, at create).
struct Settings {
  axion::sdk::TimeframeFilter timeframes;
  std::size_t lookback;
  int conviction;
  double reward_to_risk;
  explicit Settings(const Config& c)
      : timeframes(c),
        lookback(static_cast<std::size_t>(c.get_int("lookback"))),
        conviction(static_cast<int>(c.get_int("conviction"))),
        reward_to_risk(c.get_double("reward_to_risk")) {}
};

// One (symbol, timeframe): the highs and lows of the last `lookback` bars.
struct Window {
  explicit Window(std::size_t n) : highs(n), lows(n) {}
  axion::sdk::ind::Ring<double> highs, lows;
};

class TemplateBreakout final : public axion::sdk::Strategy {
 public:
  TemplateBreakout(const Host& host, const Config& config) : Strategy(host), s_(config) {}

  void on_bar(const BarView& bar, SignalSink& sink) override {
    if (!s_.timeframes.accepts(bar.timeframe)) return;
    axion::sdk::require_valid_bar(bar);  // throws before the window changes
    Window& w = series_.get(bar.symbol, bar.timeframe, [&] { return Window(s_.lookback); });
    if (w.highs.full() && !bar.warmup) maybe_emit(bar, w, sink);
    w.highs.push(bar.high);
    w.lows.push(bar.low);
  }

 private:
  void maybe_emit(const BarView& bar, const Window& w, SignalSink& sink) const {
    double hi = w.highs.back(), lo = w.lows.back();
    for (std::size_t i = 0; i < w.highs.size(); ++i) {
      hi = std::max(hi, w.highs.at(i));
      lo = std::min(lo, w.lows.at(i));
    }
    if (bar.close <= hi) return;
    const double target = bar.close + s_.reward_to_risk * (bar.close - lo);
    if (!axion::sdk::protective_sides_ok("long", bar.close, lo, target)) return;
    axion::sdk::Signal sig = axion::sdk::make_strategy_signal(kName, bar, "breakout_long", "long", bar.timeframe,
                                                              s_.conviction, bar.close, lo, target, host().now_us());
    // Metadata is typed: named numbers and text, no JSON (the host writes JSON for readers).
    sig.metadata.num("window_high", hi).integer("lookback", static_cast<std::int64_t>(w.highs.size()));
    sink.emit(sig);
  }

  const Settings s_;
  axion::sdk::SeriesMap<Window> series_;
};

}  // namespace

AXION_PLUGIN(TemplateBreakout, AXION_KIND_STRATEGY, kName, "0.2.0",
             "Template: highest-high breakout per symbol and timeframe (out-of-tree SDK example)", kKeys)
