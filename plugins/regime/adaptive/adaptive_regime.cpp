// regime/adaptive: the RegimeBridge and its regime profiles (pipeline.md §10.1; stage 0.5 of
// §2.2), with the rule-based RegimeDetector (strategies.md §14.2) as its regime source.
//
// on_bar feeds the detector from the benchmark symbol's bars (plus the optional VIX and universe
// symbols) and updates the state (regime, confidence); a change publishes `regime_update`.
// evaluate blends the current regime's profile with sideways at the current confidence, rejects
// avoided signal types and low conviction, and fills the effective limits: adapt_config(base,
// profile), i.e. the user's base limits (which `effective` arrives as a copy of) with exactly the
// §10.1 fields replaced, plus the stage-0.5 figures the later stages read
// (position_size_multiplier, min_conviction, stop_loss_mult, regime, ...).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "axion/sdk/format.hpp"
#include "axion/sdk/plugin.hpp"
#include "regime_detector.hpp"

namespace {

using axion::sdk::BarView;
using axion::sdk::Config;
using axion::sdk::Error;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::Limits;
using axion::sdk::Signal;
using axion::sdk::Verdict;
using nlohmann::json;

constexpr const char* kSymbol = "symbol";
constexpr const char* kTimeframe = "timeframe";
constexpr const char* kInitialRegime = "initial_regime";
constexpr const char* kFixedRegime = "fixed_regime";
constexpr const char* kFixedConfidence = "fixed_confidence";
constexpr const char* kVixSymbol = "vix_symbol";
constexpr const char* kUniverse = "universe";

const KeySpec kKeys[] = {
    {kSymbol, KeyType::String, "\"SPY\"",
     "benchmark symbol whose bars feed the regime detector (the market frame's column)"},
    {kTimeframe, KeyType::String, "\"\"",
     "timeframe of the bars the detector reads; \"\" = for each input symbol, the timeframe of its "
     "first bar"},
    {kInitialRegime, KeyType::String, "\"sideways\"",
     "regime (confidence 0.5) until the detector has 5 benchmark bars", axion::sdk::kNoBound,
     axion::sdk::kNoBound, "bull|bear|sideways|crisis"},
    {kFixedRegime, KeyType::String, "\"\"",
     "pin the regime and switch detection off (\"\" = detect); unknown names get sideways values"},
    {kFixedConfidence, KeyType::Double, "0.5", "confidence of fixed_regime", 0.0, 1.0},
    {kVixSymbol, KeyType::String, "\"\"",
     "symbol whose closes are the detector's VIX (\"\" = none: VIX 20.0)"},
    {kUniverse, KeyType::StringList, "[]",
     "universe symbols for breadth and the correlation spike ([] = none: breadth 0.5, no spike)"},
};

// ---- profiles (pipeline.md §10.1) --------------------------------------------------------------

struct Profile {
  std::string name;
  double max_risk_per_trade;
  int max_concurrent_positions;
  double daily_loss_limit;
  double max_single_stock_exposure;
  double max_sector_exposure;
  double reward_to_risk_target;
  int time_stop_minutes;
  std::string trailing_stop_cloud;
  bool scale_in_enabled;
  int consecutive_loss_threshold;
  double position_size_multiplier;
  int min_conviction;
  std::vector<std::string> preferred;  // upper-case signal types
  std::vector<std::string> avoid;
};

const Profile kBull{
    .name = "bull",
    .max_risk_per_trade = 0.06,
    .max_concurrent_positions = 12,
    .daily_loss_limit = 0.12,
    .max_single_stock_exposure = 0.15,
    .max_sector_exposure = 0.30,
    .reward_to_risk_target = 1.8,
    .time_stop_minutes = 180,
    .trailing_stop_cloud = "pullback",
    .scale_in_enabled = true,
    .consecutive_loss_threshold = 3,
    .position_size_multiplier = 1.2,
    .min_conviction = 50,
    .preferred = {"CLOUD_CROSS_BULLISH", "TREND_ALIGNED_LONG", "CLOUD_BOUNCE_LONG"},
    .avoid = {"CLOUD_CROSS_BEARISH", "CLOUD_BOUNCE_SHORT"},
};
const Profile kBear{
    .name = "bear",
    .max_risk_per_trade = 0.03,
    .max_concurrent_positions = 5,
    .daily_loss_limit = 0.06,
    .max_single_stock_exposure = 0.15,
    .max_sector_exposure = 0.30,
    .reward_to_risk_target = 2.5,
    .time_stop_minutes = 90,
    .trailing_stop_cloud = "fast",
    .scale_in_enabled = false,
    .consecutive_loss_threshold = 2,
    .position_size_multiplier = 0.6,
    .min_conviction = 70,
    .preferred = {"CLOUD_CROSS_BEARISH", "TREND_ALIGNED_SHORT"},
    .avoid = {"CLOUD_BOUNCE_LONG", "TREND_ALIGNED_LONG"},
};
const Profile kSideways{
    .name = "sideways",
    .max_risk_per_trade = 0.04,
    .max_concurrent_positions = 8,
    .daily_loss_limit = 0.08,
    .max_single_stock_exposure = 0.15,
    .max_sector_exposure = 0.30,
    .reward_to_risk_target = 2.0,
    .time_stop_minutes = 120,
    .trailing_stop_cloud = "pullback",
    .scale_in_enabled = true,
    .consecutive_loss_threshold = 3,
    .position_size_multiplier = 0.8,
    .min_conviction = 60,
    .preferred = {"CLOUD_BOUNCE_LONG", "CLOUD_BOUNCE_SHORT", "MOMENTUM_EXHAUSTION"},
    .avoid = {"TREND_ALIGNED_LONG", "TREND_ALIGNED_SHORT"},
};
const Profile kCrisis{
    .name = "crisis",
    .max_risk_per_trade = 0.02,
    .max_concurrent_positions = 3,
    .daily_loss_limit = 0.04,
    .max_single_stock_exposure = 0.15,
    .max_sector_exposure = 0.30,
    .reward_to_risk_target = 3.0,
    .time_stop_minutes = 60,
    .trailing_stop_cloud = "fast",
    .scale_in_enabled = false,
    .consecutive_loss_threshold = 1,
    .position_size_multiplier = 0.3,
    .min_conviction = 80,
    .preferred = {"CLOUD_CROSS_BEARISH"},
    .avoid = {"CLOUD_CROSS_BULLISH", "CLOUD_BOUNCE_LONG", "TREND_ALIGNED_LONG", "MTF_CONFLUENCE"},
};

// RegimeLimits stop_loss_mult (§5.1); the other four multipliers are applied by risk/unified.
double stop_loss_mult(std::string_view regime_lc) {
  if (regime_lc == "bull") return 1.2;
  if (regime_lc == "bear") return 0.8;
  if (regime_lc == "crisis") return 0.5;
  return 0.9;  // sideways, and unknown names (sideways multipliers)
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

// The target profile of a regime name, looked up lower-cased; nullptr when unknown.
const Profile* find_profile(std::string_view regime_lc) {
  for (const Profile* p : {&kBull, &kBear, &kSideways, &kCrisis}) {
    if (p->name == regime_lc) return p;
  }
  return nullptr;
}

// get_blended_profile(regime, confidence): confidence >= 0.7 gives the pure target; below, every
// numeric field is f x target + (1 - f) x sideways with f = max(0.5, confidence), the integer ones
// rounded half-to-even (nearbyint under the default rounding mode).
Profile blended_profile(std::string_view regime_lc, double confidence) {
  const Profile* found = find_profile(regime_lc);
  const Profile& t = found ? *found : kSideways;
  if (confidence >= 0.7) return t;
  const Profile& s = kSideways;
  const double f = std::max(0.5, confidence);
  auto num = [f](double target, double side) { return f * target + (1 - f) * side; };
  auto integer = [&num](int target, int side) {
    return static_cast<int>(std::nearbyint(num(target, side)));
  };
  Profile p;
  p.name = "blended_" + std::string(regime_lc) + "_" + axion::sdk::format::fixed2(confidence);
  p.max_risk_per_trade = num(t.max_risk_per_trade, s.max_risk_per_trade);
  p.max_concurrent_positions = integer(t.max_concurrent_positions, s.max_concurrent_positions);
  p.daily_loss_limit = num(t.daily_loss_limit, s.daily_loss_limit);
  p.max_single_stock_exposure = num(t.max_single_stock_exposure, s.max_single_stock_exposure);
  p.max_sector_exposure = num(t.max_sector_exposure, s.max_sector_exposure);
  p.reward_to_risk_target = num(t.reward_to_risk_target, s.reward_to_risk_target);
  p.time_stop_minutes = integer(t.time_stop_minutes, s.time_stop_minutes);
  p.position_size_multiplier = num(t.position_size_multiplier, s.position_size_multiplier);
  p.min_conviction = integer(t.min_conviction, s.min_conviction);
  p.consecutive_loss_threshold =
      integer(t.consecutive_loss_threshold, s.consecutive_loss_threshold);
  p.scale_in_enabled = t.scale_in_enabled && s.scale_in_enabled;
  p.trailing_stop_cloud = t.trailing_stop_cloud == "fast" || s.trailing_stop_cloud == "fast"
                              ? "fast"
                              : t.trailing_stop_cloud;
  std::set<std::string> avoid(t.avoid.begin(), t.avoid.end());
  avoid.insert(s.avoid.begin(), s.avoid.end());
  std::set<std::string> preferred(t.preferred.begin(), t.preferred.end());
  preferred.insert(s.preferred.begin(), s.preferred.end());
  p.avoid.assign(avoid.begin(), avoid.end());  // sorted union
  for (const auto& x : preferred) {
    if (!avoid.count(x)) p.preferred.push_back(x);  // union minus avoids, sorted
  }
  return p;
}

// ---- settings ----------------------------------------------------------------------------------

struct Settings {
  std::string symbol;
  std::string timeframe;  // "" = each input symbol's first timeframe
  std::string initial_regime;
  std::string fixed_regime;  // "" = detect
  double fixed_confidence = 0.5;
  std::string vix_symbol;
  std::vector<std::string> universe;

  explicit Settings(const Config& c)
      : symbol(c.get_string(kSymbol)),
        timeframe(c.get_string(kTimeframe)),
        initial_regime(c.get_string(kInitialRegime)),
        fixed_regime(c.get_string(kFixedRegime)),
        fixed_confidence(c.get_double(kFixedConfidence)),
        vix_symbol(c.get_string(kVixSymbol)),
        universe(c.get_strings(kUniverse)) {
    if (symbol.empty()) {
      throw Error("key 'symbol': the benchmark symbol must not be empty", kSymbol);
    }
    if (c.was_set(kFixedConfidence) && fixed_regime.empty()) {
      throw Error("key 'fixed_confidence' applies only with a fixed_regime", kFixedConfidence);
    }
    if (vix_symbol == symbol) {
      throw Error("key 'vix_symbol': '" + vix_symbol + "' is the benchmark symbol", kVixSymbol);
    }
    std::set<std::string> seen;
    for (const auto& u : universe) {
      if (u.empty()) throw Error("key 'universe': empty symbol", kUniverse);
      if (!seen.insert(u).second) {
        throw Error("key 'universe': '" + u + "' is listed twice", kUniverse);
      }
    }
  }
};

// ---- the plugin --------------------------------------------------------------------------------

class AdaptiveRegime final : public axion::sdk::Regime {
 public:
  AdaptiveRegime(const Host& host, const Config& config)
      : Regime(host), settings_(config), detector_(settings_.universe.size()) {
    for (std::size_t i = 0; i < settings_.universe.size(); ++i) {
      universe_index_.emplace(settings_.universe[i], i);
    }
    if (fixed()) {
      set_state(settings_.fixed_regime, settings_.fixed_confidence, /*publish=*/false);
      host.info("regime fixed at " + regime_ + " (confidence " +
                axion::sdk::format::fixed2(confidence_) + "); detection off");
    } else {
      set_state(settings_.initial_regime, 0.5, /*publish=*/false);
      host.info("regime " + regime_ + " (confidence 0.50) until " + settings_.symbol +
                " has delivered " + std::to_string(axion::regime::RegimeDetector::kMinRows) +
                " bars");
    }
  }

  void on_bar(const BarView& bar) override {
    if (fixed()) return;
    const bool is_market = bar.symbol == settings_.symbol;
    const bool is_vix = !settings_.vix_symbol.empty() && bar.symbol == settings_.vix_symbol;
    const auto uni = universe_index_.find(bar.symbol);
    const bool is_universe = uni != universe_index_.end();
    if (!is_market && !is_vix && !is_universe) return;
    if (!timeframe_matches(bar)) return;
    if (!std::isfinite(bar.close) || bar.close <= 0.0) {
      host().debug("ignored " + std::string(bar.symbol) + " bar with close " +
                   axion::sdk::format::shortest_float(bar.close));
      return;
    }
    if (is_vix) detector_.set_vix(bar.ts_us, bar.close);
    if (is_universe) detector_.add_universe(uni->second, bar.ts_us, bar.close);
    if (!is_market || !detector_.add_market(bar.ts_us, bar.close)) return;
    // With fewer than 5 rows the detector has no classification (its "sideways 0.0"); the state
    // keeps initial_regime until it has one.
    if (detector_.market_rows() < axion::regime::RegimeDetector::kMinRows) return;
    const auto c = detector_.classify();
    set_state(c.regime, c.confidence, /*publish=*/true);
  }

  // `effective` arrives as a copy of the base limits; only the adapted fields are written.
  Verdict evaluate(const Signal& signal, const Limits& /*base*/, Limits& effective) override {
    const Profile& p = profile_;
    const std::string type = ascii_upper(signal.signal_type);
    if (std::find(p.avoid.begin(), p.avoid.end(), type) != p.avoid.end()) {
      return Verdict::reject("Signal type " + signal.signal_type + " avoided in " + regime_ +
                             " regime");
    }
    if (signal.conviction < p.min_conviction) {
      return Verdict::reject("Conviction " + std::to_string(signal.conviction) +
                             " below regime minimum " + std::to_string(p.min_conviction));
    }
    adapt_config(p, effective);
    effective.position_size_multiplier = p.position_size_multiplier;
    effective.min_conviction = p.min_conviction;
    effective.stop_loss_mult = stop_loss_mult_;
    effective.regime = regime_;
    effective.regime_confidence = confidence_;
    effective.avoid_signal_types = p.avoid;
    effective.preferred_signal_types = p.preferred;
    return Verdict::ok();
  }

 private:
  bool fixed() const { return !settings_.fixed_regime.empty(); }

  // adapt_config(base, profile) in place: `limits` (a copy of the base) gets exactly the §10.1
  // fields replaced; every other field keeps the user's value (max_sector_exposure included: it is
  // blended but not applied).
  static void adapt_config(const Profile& p, Limits& limits) {
    limits.max_risk_per_trade = p.max_risk_per_trade;
    limits.max_concurrent_positions = p.max_concurrent_positions;
    limits.daily_loss_limit = p.daily_loss_limit;
    limits.max_single_stock_exposure = p.max_single_stock_exposure;
    limits.reward_to_risk_target = p.reward_to_risk_target;
    limits.time_stop_minutes = p.time_stop_minutes;
    limits.consecutive_loss_threshold = p.consecutive_loss_threshold;
    limits.scale_in_enabled = p.scale_in_enabled;
    limits.trailing_stop_cloud = p.trailing_stop_cloud;
  }

  // "" accepts, per input symbol, the timeframe of the first bar it arrives in.
  bool timeframe_matches(const BarView& bar) {
    if (!settings_.timeframe.empty()) return bar.timeframe == settings_.timeframe;
    auto it = timeframe_lock_.find(bar.symbol);
    if (it == timeframe_lock_.end()) {
      timeframe_lock_.emplace(std::string(bar.symbol), std::string(bar.timeframe));
      host().info("regime input " + std::string(bar.symbol) + " uses timeframe '" +
                  std::string(bar.timeframe) + "'");
      return true;
    }
    return it->second == bar.timeframe;
  }

  // update_regime(regime, confidence): clamp the confidence to [0, 1] (NaN reads 0), replace the
  // state, and on a change of either publish regime_update with the blended figures.
  void set_state(const std::string& regime, double confidence, bool publish) {
    const double conf = std::isnan(confidence) ? 0.0 : std::clamp(confidence, 0.0, 1.0);
    if (has_state_ && regime == regime_ && conf == confidence_) return;
    const bool regime_changed = !has_state_ || regime != regime_;
    const std::string lc = axion::sdk::format::ascii_lower(regime);
    if (regime_changed && !find_profile(lc)) {
      host().warn("unknown regime '" + regime + "': using sideways values");
    }
    const std::string before =
        has_state_ ? regime_ + " (" + axion::sdk::format::fixed2(confidence_) + ")" : "";
    regime_ = regime;
    confidence_ = conf;
    has_state_ = true;
    profile_ = blended_profile(lc, conf);
    stop_loss_mult_ = stop_loss_mult(find_profile(lc) ? lc : std::string("sideways"));
    if (!publish) return;
    const std::string now = regime_ + " (" + axion::sdk::format::fixed2(confidence_) + ")";
    if (regime_changed) {
      host().info("regime " + before + " -> " + now + ", profile " + profile_.name);
    } else {
      host().debug("regime confidence " + before + " -> " + now);
    }
    host().publish("regime_update",
                   json{{"regime", regime_},
                        {"confidence", confidence_},
                        {"effective",
                         {{"max_concurrent_positions", profile_.max_concurrent_positions},
                          {"position_size_multiplier", profile_.position_size_multiplier},
                          {"min_conviction", profile_.min_conviction}}}});
  }

  const Settings settings_;
  axion::regime::RegimeDetector detector_;
  std::map<std::string, std::size_t, std::less<>> universe_index_;
  std::map<std::string, std::string, std::less<>> timeframe_lock_;

  bool has_state_ = false;
  std::string regime_;  // as given (reported as given; looked up lower-cased)
  double confidence_ = 0.5;
  Profile profile_ = kSideways;
  double stop_loss_mult_ = 0.9;
};

}  // namespace

AXION_PLUGIN(AdaptiveRegime, AXION_KIND_REGIME, "adaptive", "1.0.0",
             "Regime adaptation (pipeline.md 10.1): a rule-based regime detector on a benchmark "
             "symbol's bars (strategies.md 14.2), blended regime profiles, avoid-list and "
             "minimum-conviction rejection, and the effective limits of each signal",
             kKeys)
