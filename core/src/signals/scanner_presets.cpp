#include "axion/core/signals/scanner_presets.hpp"

#include <algorithm>
#include <cmath>

#include "axion/sdk/time.hpp"

namespace axion::core {
namespace {

// The detector needs this many daily bars before its cloud states exist (91 with the defaults).
constexpr std::size_t kBiasMinBars = 91;

}  // namespace

std::optional<double> ScanFields::get(const std::string& f) const {
  if (f == "price") return price;
  if (f == "volume") return volume;
  if (f == "change_pct") return change_pct;
  if (f == "gap_pct") return gap_pct;
  if (f == "relative_volume") return relative_volume;
  if (f == "adx") return adx;
  if (f == "rsi") return rsi;
  if (f == "dist_sma_200") return dist_sma_200;
  if (f == "adr_pct") return adr_pct;
  return std::nullopt;
}

json ScanFields::to_json() const {
  json j = json::object();
  auto put = [&](const char* k, const std::optional<double>& v) { j[k] = v ? json(*v) : json(nullptr); };
  put("price", price), put("volume", volume), put("change_pct", change_pct), put("gap_pct", gap_pct);
  put("relative_volume", relative_volume), put("adx", adx), put("rsi", rsi);
  put("dist_sma_200", dist_sma_200), put("adr_pct", adr_pct);
  return j;
}

const std::vector<ScannerPreset>& qullamaggie_presets() {
  static const std::vector<ScannerPreset> p{
      {"qullamaggie_ep", "Qullamaggie EP",
       {{"gap_pct", ">=", 10.0}, {"relative_volume", ">=", 2.0}, {"price", ">=", 5.0}, {"volume", ">", 500000}},
       "Episodic Pivot: gap >=10%, volume >=2x, prior flat base"},
      {"qullamaggie_breakout", "Qullamaggie Breakout",
       {{"change_pct", ">", 2.0}, {"adx", ">=", 25.0}, {"relative_volume", ">=", 1.5}, {"price", ">=", 5.0}},
       "Flag breakout: 1m gain >=30%, ADX >=25, volume expanding"},
      {"qullamaggie_htf", "Qullamaggie HTF",
       {{"change_pct", ">", 3.0}, {"relative_volume", ">=", 1.0}, {"price", ">=", 5.0}, {"volume", ">", 300000}},
       "High Tight Flag: 1m gain >=80%, pullback <=25%, volume dry-up"},
      {"qullamaggie_momentum_leaders", "Qullamaggie Momentum Leaders",
       {{"change_pct", ">", 1.0}, {"dist_sma_200", ">", 0.0}, {"price", ">=", 5.0}, {"volume", ">", 500000}},
       "Top gainers above 200 SMA with ADR >=5%"},
      {"qullamaggie_parabolic", "Qullamaggie Parabolic Short",
       {{"rsi", ">=", 80.0}, {"change_pct", ">", 5.0}, {"relative_volume", ">=", 1.5}},
       "Parabolic runners: RSI >=80, 3+ green days, extended from MAs"}};
  return p;
}

const ScannerPreset* find_preset(const std::string& key) {
  for (const auto& p : qullamaggie_presets()) {
    if (p.key == key) return &p;
  }
  return nullptr;
}

bool preset_matches(const ScannerPreset& p, const ScanFields& f) {
  if (!f.price || *f.price < 1.0 || !f.volume || *f.volume < 100000) return false;
  for (const auto& c : p.criteria) {
    auto v = f.get(c.field);
    if (!v) return false;
    if (c.op == ">=" ? !(*v >= c.value) : !(*v > c.value)) return false;
  }
  return true;
}

double signal_strength(const ScanFields& f) {
  double s = 50;
  if (f.relative_volume && *f.relative_volume > 2) s += std::min(20.0, 10 * (*f.relative_volume - 1));
  if (f.change_pct && std::fabs(*f.change_pct) > 3) s += std::min(15.0, 2 * std::fabs(*f.change_pct));
  return std::min(s, 100.0);
}

DailyContext::DailyContext() = default;

bool DailyContext::on_bar(std::string_view timeframe, std::int64_t ts_us, double o, double h, double l, double c,
                          double v) {
  // One source per symbol, or volumes would count twice: the feed's daily bars when it has
  // them, else the first intraday timeframe seen.
  if (timeframe == "1d") {
    if (source_ != "1d") source_ = "1d", forming_.reset();
  } else if (source_.empty()) {
    source_ = std::string(timeframe);
  }
  if (timeframe != source_) return false;
  const std::int64_t day = sdk::time::to_eastern(ts_us).day_number;
  if (timeframe == "1d") {
    complete({day, o, h, l, c, v});
    return true;
  }
  // Intraday bars build the ET day; a day is complete when the next day's first bar arrives.
  bool completed = false;
  if (forming_ && forming_->day != day) {
    complete(*forming_);
    forming_.reset();
    completed = true;
  }
  if (!forming_) {
    forming_ = DailyBar{day, o, h, l, c, v};
  } else {
    forming_->high = std::max(forming_->high, h);
    forming_->low = std::min(forming_->low, l);
    forming_->close = c;
    forming_->volume += v;
  }
  return completed;
}

void DailyContext::complete(const DailyBar& b) {
  e20_.update(b.close), e21_.update(b.close), e34_.update(b.close), e50_.update(b.close);
  adx_.update(b.high, b.low, b.close);
  rsi_.update(b.close);
  adr_.update(b.high, b.low);
  ScanFields f;
  f.price = b.close;
  f.volume = b.volume;
  if (count_ > 0 && prev_close_ > 0) {
    f.change_pct = (b.close / prev_close_ - 1) * 100;
    f.gap_pct = (b.open - prev_close_) / prev_close_ * 100;
  }
  if (volumes_.size() >= 20) {
    f.relative_volume = b.volume / std::max(sdk::ind::mean_last(volumes_, 20), 1.0);
  }
  closes_.push(b.close);
  volumes_.push(b.volume);
  ++count_;
  if (count_ >= 29) f.adx = adx_.value();
  if (count_ >= 15) f.rsi = rsi_.value();
  if (count_ >= 20) f.adr_pct = adr_.value();
  if (closes_.size() >= 200) {
    const double sma = sdk::ind::mean_last(closes_, 200);
    if (sma > 0) f.dist_sma_200 = (b.close / sma - 1) * 100;
  }
  fields_ = f;
  prev_close_ = b.close;
}

const char* DailyContext::macro_bias() const {
  if (count_ < kBiasMinBars) return "neutral";
  const bool trend_bull = e20_.value() > e21_.value();
  const bool macro_bull = e34_.value() > e50_.value();
  if (trend_bull && macro_bull) return "bullish";
  if (!trend_bull && !macro_bull) return "bearish";
  return "neutral";
}

bool passes_bias(const Signal& s, const std::string& bias, int high_conviction) {
  if (bias == "bullish") return !(s.direction == "short" && s.conviction < high_conviction);
  if (bias == "bearish") return !(s.direction == "long" && s.conviction < high_conviction);
  return true;
}

}  // namespace axion::core
