// A minimal third-party strategy: long when the close breaks above the highest high of the
// previous `lookback` bars, with a stop at the lowest low of that window.
// Build it against the installed SDK (see CMakeLists.txt) and point axion-host at the folder
// with [engine] plugin_dirs or --plugin-dir.
#include <axion/sdk/plugin.hpp>

#include <deque>
#include <map>
#include <string>

namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;

constexpr KeySpec kKeys[] = {
    {"lookback", KeyType::Int, "20", "bars in the breakout window", 2, 500},
    {"conviction", KeyType::Int, "60", "conviction of every signal", 0, 100},
};

class TemplateBreakout : public axion::sdk::Strategy {
 public:
  TemplateBreakout(const axion::sdk::Host& host, const axion::sdk::Config& cfg)
      : Strategy(host),
        lookback_(static_cast<std::size_t>(cfg.get_int("lookback"))),
        conviction_(static_cast<int>(cfg.get_int("conviction"))) {}

  void on_bar(const axion::sdk::BarView& bar, axion::sdk::SignalSink& sink) override {
    auto& w = windows_[std::string(bar.symbol)];
    if (w.highs.size() == lookback_) {
      double hi = w.highs.front(), lo = w.lows.front();
      for (double h : w.highs) hi = h > hi ? h : hi;
      for (double l : w.lows) lo = l < lo ? l : lo;
      if (bar.close > hi && lo < bar.close) {
        axion::sdk::Signal s;
        s.signal_type = "cloud_cross_bullish";
        s.direction = "long";
        s.ticker = std::string(bar.symbol);
        s.timeframe = std::string(bar.timeframe);
        s.conviction = conviction_;
        s.entry_price = bar.close;
        s.stop_loss = lo;
        s.target_price = bar.close + 2 * (bar.close - lo);
        s.ts_us = host().now_us();
        s.metadata = {{"strategy", "template_breakout"}};
        sink.emit(s);
      }
      w.highs.pop_front();
      w.lows.pop_front();
    }
    w.highs.push_back(bar.high);
    w.lows.push_back(bar.low);
  }

 private:
  struct Window {
    std::deque<double> highs, lows;
  };
  std::size_t lookback_;
  int conviction_;
  std::map<std::string, Window> windows_;
};

}  // namespace

AXION_PLUGIN(TemplateBreakout, AXION_KIND_STRATEGY, "template_breakout", "0.1.0",
             "Template: highest-high breakout (out-of-tree SDK example)", kKeys)
