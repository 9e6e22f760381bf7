// feed/synthetic: a seeded, regime-switching market of regular-session intraday bars, so a paper
// run works offline and at any hour (ARCHITECTURE §7).
//
// One market-wide regime (bull, bear, sideways, crisis) sets drift and volatility and switches
// with a per-bar probability. Each symbol's log return is beta x the market's return plus its own
// noise, with a weak pull back towards its start price so long runs stay realistic. Bars close on
// the regular session grid (Mon-Fri 09:30-16:00 ET, ts = bar close), weekends skipped; the first
// `warmup_bars` timestamps are history (pace 0), then every timestamp carries `pace_ms`.
//
// Determinism: splitmix64 generators (one for the market, one per symbol, seeded from `seed` and
// the symbol's name) and Box-Muller normals, no std distributions, so the same seed gives the
// same bars with any standard library; adding a symbol does not change the others' paths.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "axion/sdk/plugin.hpp"
#include "axion/sdk/time.hpp"

namespace {

using axion::sdk::Bar;
using axion::sdk::BarView;
using axion::sdk::Config;
using axion::sdk::Error;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::kNoBound;
namespace axt = axion::sdk::time;

constexpr int kSessionSeconds = 390 * 60;  // 09:30-16:00 ET

const KeySpec kKeys[] = {
    {"symbols", KeyType::StringList, "[]",
     "Symbols to generate; [] = the engine's symbols, else SPY QQQ AAPL MSFT NVDA"},
    {"start_date", KeyType::String, "\"2026-02-09\"",
     "First session (YYYY-MM-DD, ET); a weekend moves to the next Monday; warm-up starts here"},
    {"bar_seconds", KeyType::Int, "60",
     "Bar length in seconds: a whole number of minutes dividing the 390-minute session (60, 300, "
     "600, 900, 1800, ...)",
     60, kSessionSeconds},
    {"warmup_bars", KeyType::Int, "200",
     "History timestamps per symbol delivered first, without pacing", 0, kNoBound},
    {"pace_ms", KeyType::Double, "250.0",
     "Wall-clock wait per bar timestamp after the warm-up (all symbols of a timestamp arrive "
     "together); 0 = as fast as possible",
     0, 86400000},
    {"max_bars", KeyType::Int, "0",
     "Timestamps per symbol after which the feed ends, warm-up included; 0 = unlimited", 0,
     kNoBound},
    {"seed", KeyType::Int, "42", "Seed of the generator: the same seed gives the same bars", 0,
     kNoBound},
    {"start_price", KeyType::Double, "0.0",
     "Start price of every symbol; 0 = derived from each symbol's name (20..500)", 0, 1000000},
    {"regime_switch_prob", KeyType::Double, "0.002",
     "Per-bar probability that the market regime changes (crisis ends 4x faster)", 0, 1},
    {"volatility_scale", KeyType::Double, "1.0", "Multiplier of every regime's volatility", 0.01,
     10},
};

const std::vector<std::string> kDefaultSymbols = {"SPY", "QQQ", "AAPL", "MSFT", "NVDA"};

// Per-session drift and volatility (fractions of price over 390 minutes), scaled to the bar.
struct RegimeSpec {
  const char* name;
  double drift_per_session;
  double vol_per_session;
  double volume_mult;
  double switch_mult;  // how much likelier than the base probability it ends
  double weight;       // how likely it is chosen as the next regime
};

constexpr RegimeSpec kRegimes[] = {
    {"bull", 0.004, 0.010, 1.0, 1.0, 0.40},
    {"bear", -0.005, 0.016, 1.3, 1.0, 0.25},
    {"sideways", 0.0, 0.007, 0.8, 1.0, 0.30},
    {"crisis", -0.020, 0.040, 2.5, 4.0, 0.05},
};
constexpr int kNumRegimes = 4;

// Pull of the log price back to its start, per minute of bar time (half-life ~ 18 sessions).
constexpr double kReversionPerMinute = 1e-4;

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double normal() {               // Box-Muller, one value per call
    double u1 = 1.0 - uniform();  // (0, 1]
    double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::uint64_t state_;
};

std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

double round_cents(double x) { return std::max(0.01, std::nearbyint(x * 100.0) / 100.0); }

// The validated configuration, read once.
struct Settings {
  std::vector<std::string> symbols;
  std::int64_t start_day = 0;  // days since epoch, a weekday
  int bar_seconds = 60;
  std::string timeframe;
  std::int64_t warmup_bars = 0;
  std::int64_t pace_us = 0;
  std::int64_t max_bars = 0;
  std::uint64_t seed = 42;
  double start_price = 0;
  double switch_prob = 0;
  double vol_scale = 1;
};

Settings read_settings(const Host& host, const Config& c) {
  Settings s;
  s.symbols = c.get_strings("symbols");
  const bool from_config = !s.symbols.empty();
  if (!from_config) s.symbols = host.engine_symbols();
  if (s.symbols.empty()) s.symbols = kDefaultSymbols;
  std::set<std::string> seen;
  for (const auto& sym : s.symbols) {
    if (sym.empty()) throw Error("key 'symbols': an entry is empty", "symbols");
    if (!seen.insert(sym).second) {
      throw Error("key 'symbols': " + sym + " is listed twice", from_config ? "symbols" : "");
    }
  }

  std::string date = c.get_string("start_date");
  if (!axt::parse_date(date, s.start_day)) {
    throw Error("key 'start_date': '" + date + "' is not a date (YYYY-MM-DD)", "start_date");
  }
  while (axt::weekday_from_days(s.start_day) == 0 || axt::weekday_from_days(s.start_day) == 6) {
    ++s.start_day;
  }

  auto bar = c.get_int("bar_seconds");
  if (bar % 60 != 0 || kSessionSeconds % bar != 0) {
    throw Error("key 'bar_seconds': " + std::to_string(bar) +
                    " is not a whole number of minutes dividing the 390-minute session",
                "bar_seconds");
  }
  s.bar_seconds = static_cast<int>(bar);
  s.timeframe = std::to_string(bar / 60) + "m";
  s.warmup_bars = c.get_int("warmup_bars");
  s.pace_us = std::llround(c.get_double("pace_ms") * 1000.0);
  s.max_bars = c.get_int("max_bars");
  s.seed = static_cast<std::uint64_t>(c.get_int("seed"));
  s.start_price = c.get_double("start_price");
  s.switch_prob = c.get_double("regime_switch_prob");
  s.vol_scale = c.get_double("volatility_scale");
  return s;
}

struct SymbolState {
  std::string symbol;
  Rng rng;
  double beta = 1;
  double base_volume = 0;  // per minute
  double log_anchor = 0;   // log of the start price
  double price = 0;        // last close
};

class SyntheticFeed final : public axion::sdk::Feed {
 public:
  SyntheticFeed(const Host& h, const Config& config)
      : Feed(h), cfg_(read_settings(h, config)), market_(cfg_.seed) {
    for (const auto& sym : cfg_.symbols) {
      const std::uint64_t hash = fnv1a(sym);
      SymbolState st;
      st.symbol = sym;
      st.rng = Rng(cfg_.seed * 0x9E3779B97F4A7C15ull ^ hash);
      Rng traits(hash);  // traits depend on the name only, not on the seed
      double derived_price = 20.0 + 480.0 * traits.uniform();
      st.beta = 0.7 + 0.9 * traits.uniform();
      st.base_volume = 20000.0 + 480000.0 * traits.uniform();
      st.price = round_cents(cfg_.start_price > 0 ? cfg_.start_price : derived_price);
      st.log_anchor = std::log(st.price);
      symbols_.push_back(std::move(st));
    }
    regime_ = pick_regime(-1);
    minutes_per_bar_ = cfg_.bar_seconds / 60.0;
    bars_per_session_ = kSessionSeconds / cfg_.bar_seconds;
    day_ = cfg_.start_day;
    auto c = axt::civil_from_days(day_);
    session_open_us_ = axt::eastern_to_utc(c.year, c.month, c.day, 9, 30);
    batch_.resize(symbols_.size());
    std::string names;
    for (const auto& st : symbols_) names += (names.empty() ? "" : " ") + st.symbol;
    host().info("synthetic market: " + names + ", " + cfg_.timeframe + " bars from " +
                axt::trading_date(session_open_us_) + ", seed " + std::to_string(cfg_.seed) +
                ", regime " + kRegimes[regime_].name);
  }

  std::optional<BarView> next(std::int64_t& pace_us) override {
    if (pos_ == batch_.size() || steps_ == 0) {
      if (cfg_.max_bars > 0 && steps_ >= cfg_.max_bars) return std::nullopt;
      generate_step();
      pos_ = 0;
    }
    const bool first = pos_ == 0;
    const bool warmup = steps_ <= cfg_.warmup_bars;  // steps_ counts the current step
    pace_us = (first && !warmup) ? cfg_.pace_us : 0;
    BarView v = batch_[pos_++].as_view();
    v.warmup = warmup;
    return v;
  }

 private:
  // Next regime by weight among the others (any, when `current` is -1).
  int pick_regime(int current) {
    double total = 0;
    for (int i = 0; i < kNumRegimes; ++i) total += i == current ? 0 : kRegimes[i].weight;
    double u = market_.uniform() * total;
    int last = 0;
    for (int i = 0; i < kNumRegimes; ++i) {
      if (i == current) continue;
      last = i;
      if (u < kRegimes[i].weight) return i;
      u -= kRegimes[i].weight;
    }
    return last;
  }

  void generate_step() {
    // Bar close time on the session grid.
    if (bar_in_session_ == bars_per_session_) {
      do {
        ++day_;
      } while (axt::weekday_from_days(day_) == 0 || axt::weekday_from_days(day_) == 6);
      auto c = axt::civil_from_days(day_);
      session_open_us_ = axt::eastern_to_utc(c.year, c.month, c.day, 9, 30);
      bar_in_session_ = 0;
    }
    const bool session_start = bar_in_session_ == 0 && steps_ > 0;
    ++bar_in_session_;
    const std::int64_t ts = session_open_us_ + static_cast<std::int64_t>(bar_in_session_) *
                                                   cfg_.bar_seconds * axt::kUsPerSec;

    // Market: a regime switch (fixed draw count per step), then its return.
    const double u_switch = market_.uniform();
    const double p_switch = std::min(1.0, cfg_.switch_prob * kRegimes[regime_].switch_mult);
    if (steps_ > 0 && u_switch < p_switch) {
      int from = regime_;
      regime_ = pick_regime(regime_);
      host().debug(std::string("regime ") + kRegimes[from].name + " -> " + kRegimes[regime_].name +
                   " at " + axt::to_iso(ts));
    }
    const RegimeSpec& rg = kRegimes[regime_];
    const double frac = minutes_per_bar_ / 390.0;
    const double drift = rg.drift_per_session * frac;
    const double vol = rg.vol_per_session * std::sqrt(frac) * cfg_.vol_scale;
    const double market_ret = drift + vol * market_.normal();
    const double gap_vol = rg.vol_per_session * 0.3 * cfg_.vol_scale;
    const double market_gap = session_start ? gap_vol * market_.normal() : 0.0;

    // Intraday volume smile: heavier at the open and the close.
    const double x = (bar_in_session_ - 0.5) / bars_per_session_;
    const double smile = 1.0 + 1.5 * (2.0 * x - 1.0) * (2.0 * x - 1.0);

    for (std::size_t i = 0; i < symbols_.size(); ++i) {
      SymbolState& st = symbols_[i];
      const double z = st.rng.normal();
      const double z_gap = st.rng.normal();
      const double wick_up = std::fabs(st.rng.normal());
      const double wick_down = std::fabs(st.rng.normal());
      const double z_volume = st.rng.normal();

      double open = st.price;
      if (session_start) {
        open = round_cents(st.price * std::exp(st.beta * market_gap + 0.5 * gap_vol * z_gap));
      }
      const double pull =
          -kReversionPerMinute * minutes_per_bar_ * (std::log(open) - st.log_anchor);
      const double ret = st.beta * market_ret + 0.8 * vol * z + pull;
      const double close = round_cents(open * std::exp(ret));
      double high = round_cents(std::max(open, close) * std::exp(0.6 * vol * wick_up));
      double low = round_cents(std::min(open, close) * std::exp(-0.6 * vol * wick_down));
      high = std::max(high, std::max(open, close));
      low = std::min(low, std::min(open, close));
      const double activity = 0.6 + 0.4 * std::fabs(ret) / std::max(vol, 1e-12);
      const double volume =
          std::max(1.0, std::nearbyint(st.base_volume * minutes_per_bar_ * smile * rg.volume_mult *
                                       std::min(activity, 4.0) * std::exp(0.3 * z_volume)));

      Bar& b = batch_[i];
      b.symbol = st.symbol;
      b.timeframe = cfg_.timeframe;
      b.ts_us = ts;
      b.open = open;
      b.high = high;
      b.low = low;
      b.close = close;
      b.volume = volume;
      st.price = close;
    }
    ++steps_;
  }

  const Settings cfg_;
  Rng market_;
  std::vector<SymbolState> symbols_;
  int regime_ = 0;
  double minutes_per_bar_ = 1;
  int bars_per_session_ = 390;
  std::int64_t day_ = 0;
  std::int64_t session_open_us_ = 0;
  int bar_in_session_ = 0;
  std::int64_t steps_ = 0;  // timestamps generated
  std::vector<Bar> batch_;  // the bars of the current timestamp, one per symbol
  std::size_t pos_ = 0;
};

}  // namespace

AXION_PLUGIN(SyntheticFeed, AXION_KIND_FEED, "synthetic", "1.0.0",
             "Synthetic market: seeded regime-switching regular-session intraday bars", kKeys)
