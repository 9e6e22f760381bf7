// The Qullamaggie scanner presets (strategies.md §12) and the per-symbol daily context signal
// assembly needs: completed daily bars (the feed's 1d bars, or intraday bars aggregated by ET
// trading day), the scan fields of §12 and the daily macro bias of §6.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "axion/core/domain/types.hpp"
#include "axion/sdk/indicators.hpp"

namespace axion::core {

// Field values at the latest completed daily bar; a field without enough bars is missing.
struct ScanFields {
  std::optional<double> price, volume, change_pct, gap_pct, relative_volume, adx, rsi, dist_sma_200, adr_pct;
  std::optional<double> get(const std::string& field) const;
  json to_json() const;
};

struct Criterion {
  std::string field, op;  // op: ">=", ">"
  double value = 0;
};

struct ScannerPreset {
  std::string key, name;
  std::vector<Criterion> criteria;
  std::string description;
  std::string category = "momentum";
};

const std::vector<ScannerPreset>& qullamaggie_presets();
const ScannerPreset* find_preset(const std::string& key);
// Engine pre-filters (price ≥ 1, volume ≥ 100,000) and every criterion (ANDed; missing = false).
bool preset_matches(const ScannerPreset& p, const ScanFields& f);
// 50 + relative-volume and |change| terms, capped at 100.
double signal_strength(const ScanFields& f);

struct DailyBar {
  std::int64_t day = 0;  // ET trading day number
  double open = 0, high = 0, low = 0, close = 0, volume = 0;
};

// One symbol's daily view, fed every bar the engine sees for it.
class DailyContext {
 public:
  DailyContext();
  // Returns true when a daily bar completed (and the fields and bias moved).
  bool on_bar(std::string_view timeframe, std::int64_t ts_us, double o, double h, double l, double c, double v);
  const ScanFields& fields() const { return fields_; }
  // "bullish" | "bearish" | "neutral": the daily trend (20/21) and macro (34/50) clouds.
  const char* macro_bias() const;
  std::size_t daily_bars() const { return count_; }

 private:
  void complete(const DailyBar& b);

  std::string source_;  // the timeframe the daily bars come from
  std::optional<DailyBar> forming_;
  std::size_t count_ = 0;
  double prev_close_ = 0;
  sdk::ind::Ema e20_{20}, e21_{21}, e34_{34}, e50_{50};
  sdk::ind::WilderAdx adx_{14};
  sdk::ind::CutlerRsi rsi_{14};
  sdk::ind::AdrPercent adr_{20};
  sdk::ind::Ring<double> closes_{200};
  sdk::ind::Ring<double> volumes_{21};
  ScanFields fields_;
};

// strategies.md §6: with a bullish bias, shorts below 75 are dropped; bearish drops longs.
bool passes_bias(const Signal& s, const std::string& bias, int high_conviction = 75);

}  // namespace axion::core
