// strategy/ema_cloud — the EMA cloud signal detector (strategies.md §3–§4), scored as the universe
// scanner scores it (§5, §7), one (symbol, timeframe) series at a time.
//
// Per received bar: aggregate it into the configured higher timeframes (`mtf_timeframes`) →
// update every series that completed a bar (O(1), no allocation) → detect → score → keep those
// scored signals as that timeframe's current ones → MTF confluence over the symbol's current
// signals (§6) → min_conviction filter → emit the signals of the timeframes that completed at
// this bar, plus the MTF_CONFLUENCE signals. Only bars that fire build Signal objects.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>


#include "axion/sdk/plugin.hpp"
#include "ema_cloud_engine.hpp"
#include "ema_cloud_mtf.hpp"

namespace axion::plugins::ema_cloud {
namespace {

using axion::sdk::KeySpec;
using axion::sdk::KeyType;
namespace engine = axion::ema_cloud;

constexpr std::string_view kName = "ema_cloud";
// A signal's metadata: 14 detection fields at most, 2 confluence counts and its timeframes.
using Fields = axion::sdk::FieldArray<16 + engine::TimeframeList::kCapacity>;

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
    {"mtf_timeframes", KeyType::StringList, "[]",
     "higher timeframes (5m, 10m, 1h, 1d) built by aggregating each received stream by clock "
     "time, for multi-timeframe confluence; empty = none"},
};

constexpr const char* kTimeframes[] = {"1m", "5m", "10m", "1h", "1d"};

// The validated, immutable configuration.
struct Settings {
  engine::Periods periods;
  double unusual_volume_threshold = 2.0;
  int min_conviction = 0;
  std::vector<std::string> timeframes;  // empty = all
  std::vector<std::string> mtf_timeframes;  // aggregation targets, TIMEFRAMES order, no repeats

  static Settings from(const axion::sdk::Config& config) {
    Settings s;
    for (std::size_t layer = 0; layer < engine::kLayers; ++layer) {
      const std::string name(engine::kCloudNames[layer]);
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
    for (const auto& tf : config.get_strings("mtf_timeframes")) {
      const int index = engine::timeframe_index(tf);
      if (index <= 0) {
        throw axion::sdk::Error("mtf_timeframes: '" + tf + "' is not one of 5m, 10m, 1h, 1d",
                                "mtf_timeframes");
      }
    }
    for (std::string_view tf : engine::kTimeframeOrder) {
      const auto wanted = config.get_strings("mtf_timeframes");
      if (std::find(wanted.begin(), wanted.end(), tf) != wanted.end()) {
        s.mtf_timeframes.emplace_back(tf);
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

// CloudState (§1.3) as the C records a signal carries, at full precision (the host rounds
// when it writes them out).
using CloudRecords = std::array<axion_cloud_state, engine::kLayers>;

axion_str str(std::string_view v) { return {v.data(), v.size()}; }

void fill_cloud_records(const engine::CloudStates& states, CloudRecords& out) {
  for (std::size_t i = 0; i < states.size(); ++i) {
    const auto& s = states[i];
    out[i] = axion_cloud_state{str(engine::kCloudNames[i]),
                               s.short_ema,
                               s.long_ema,
                               s.thickness,
                               s.slope,
                               (s.is_bullish ? AXION_CLOUD_BULLISH : 0u) | (s.price_above ? AXION_CLOUD_PRICE_ABOVE : 0u) |
                                   (s.price_inside ? AXION_CLOUD_PRICE_INSIDE : 0u) |
                                   (s.price_below ? AXION_CLOUD_PRICE_BELOW : 0u),
                               str(engine::to_string(s.slope_direction))};
  }
}

// The scored signals of one completed bar of one timeframe (fixed capacity: no allocation).
struct FiredBar {
  std::array<engine::Detection, engine::kMaxDetections> detections{};
  std::array<engine::ConvictionScore, engine::kMaxDetections> scores{};
  std::size_t size = 0;
  engine::CloudStates states{};
  double body_ratio = 0;
};

// One timeframe of one symbol: received directly, or built from a received stream.
struct Slot {
  Slot(std::string_view tf, const engine::Periods& periods)
      : timeframe(tf), rank(engine::timeframe_rank(tf)), series(periods), aggregator(tf) {}
  std::string timeframe;
  int rank;  // TIMEFRAMES index (unknown = 0): the confluence order
  engine::Series series;
  std::int64_t last_ts_us = 0;
  bool direct = false;  // bars of this timeframe are received for the symbol: never aggregated
  engine::BarAggregator aggregator;
  std::string agg_source;  // the received timeframe aggregated into this one ("" = none yet)
  FiredBar current;        // the scored signals of its most recent completed bar (§6)
  bool completed_now = false;
};

struct Symbol {
  std::vector<Slot> slots;
  std::vector<std::size_t> order;  // slot indices by rank (stable)
};

// Where a confluence input came from.
struct InputRef {
  std::size_t slot = 0;
  std::size_t item = 0;
};

class EmaCloudStrategy final : public axion::sdk::Strategy {
 public:
  EmaCloudStrategy(const axion::sdk::Host& host, const axion::sdk::Config& config)
      : Strategy(host), settings_(Settings::from(config)) {
    const std::size_t cap = (engine::kTimeframeOrder.size() + 1) * engine::kMaxDetections;
    inputs_.reserve(cap);
    refs_.reserve(cap);
    boosted_.reserve(cap);
    group_of_.reserve(cap);
  }

  void on_bar(const axion::sdk::BarView& bar, axion::sdk::SignalSink& sink) override {
    if (!settings_.runs_on(bar.timeframe)) return;
    // Fail fast on bars that would corrupt the series (STYLE 12); the series is left untouched.
    if (!finite_bar(bar) || bar.high < bar.low || bar.low <= 0 || bar.open <= 0 || bar.close <= 0 ||
        bar.volume < 0) {
      throw axion::sdk::Error("invalid bar for " + std::string(bar.symbol) + " " +
                              std::string(bar.timeframe));
    }

    Symbol& sym = symbol_for(bar.symbol);
    const std::size_t own_index = slot_index(sym, bar.timeframe);  // creates it once
    Slot& own = sym.slots[own_index];
    if (own.series.bar_count() > 0 && bar.ts_us < own.last_ts_us) {
      throw axion::sdk::Error("out-of-order bar for " + std::string(bar.symbol) + " " +
                              std::string(bar.timeframe));
    }
    own.direct = true;
    own.last_ts_us = bar.ts_us;
    const engine::Ohlcv ohlcv{bar.open, bar.high, bar.low, bar.close, bar.volume};

    // Phase 1: higher-timeframe buckets whose last bar never came complete "before" this bar.
    // Phase 2: this bar, and the buckets it closes.
    engine::BarAggregator::Output agg[engine::kTimeframeOrder.size()];
    std::size_t agg_slot[engine::kTimeframeOrder.size()];
    std::size_t agg_count = 0;
    if (bar.ts_us > 0) {
      for (const std::string& target : settings_.mtf_timeframes) {
        const std::size_t ti = find_slot(sym, target);
        Slot& t = sym.slots[ti];
        if (t.direct || !t.aggregator.accepts_source(bar.timeframe)) continue;
        if (t.agg_source.empty()) t.agg_source = std::string(bar.timeframe);
        if (t.agg_source != bar.timeframe) continue;  // one source stream per target
        agg_slot[agg_count] = ti;
        agg[agg_count++] = t.aggregator.add(bar.ts_us, ohlcv);
      }
    }

    begin_round(sym);
    for (std::size_t i = 0; i < agg_count; ++i) {
      if (agg[i].has_previous) complete(sym.slots[agg_slot[i]], agg[i].previous);
    }
    if (!bar.warmup) emit(sym, bar.symbol, sink);

    begin_round(sym);
    for (std::size_t i = 0; i < agg_count; ++i) {
      if (agg[i].has_closed) complete(sym.slots[agg_slot[i]], agg[i].closed);
    }
    complete(own, {ohlcv, bar.ts_us});
    if (!bar.warmup) emit(sym, bar.symbol, sink);
  }

 private:
  // Lookup reuses key_ (no allocation once its capacity suffices); a new symbol allocates once,
  // with a slot for each `mtf_timeframes` target.
  Symbol& symbol_for(std::string_view symbol) {
    key_.assign(symbol);
    auto it = symbols_.find(key_);
    if (it == symbols_.end()) {
      it = symbols_.emplace(key_, Symbol{}).first;
      for (const std::string& tf : settings_.mtf_timeframes) slot_index(it->second, tf);
    }
    return it->second;
  }

  static std::size_t find_slot(const Symbol& sym, std::string_view timeframe) {
    for (std::size_t i = 0; i < sym.slots.size(); ++i) {
      if (sym.slots[i].timeframe == timeframe) return i;
    }
    return sym.slots.size();
  }

  std::size_t slot_index(Symbol& sym, std::string_view timeframe) {
    std::size_t i = find_slot(sym, timeframe);
    if (i < sym.slots.size()) return i;
    sym.slots.emplace_back(timeframe, settings_.periods);
    auto pos = sym.order.begin();
    while (pos != sym.order.end() && sym.slots[*pos].rank <= sym.slots[i].rank) ++pos;
    sym.order.insert(pos, i);
    return i;
  }

  static void begin_round(Symbol& sym) {
    for (Slot& s : sym.slots) s.completed_now = false;
  }

  // A completed bar of one timeframe: update its series, detect, score; the result replaces the
  // timeframe's current signals (cleared when nothing fires).
  void complete(Slot& slot, const engine::BarAggregator::Completed& c) {
    slot.last_ts_us = std::max(slot.last_ts_us, c.ts_us);
    engine::Series& series = slot.series;
    series.update(c.bar);
    slot.completed_now = true;
    FiredBar& fired = slot.current;
    fired.size = 0;
    if (!series.ready()) return;

    fired.states = series.cloud_states();
    series.detect(fired.states, detections_);
    if (detections_.empty()) return;

    // Scanner inputs (§7): the window's volume data and the latest bar's body ratio.
    const auto volume = series.volume_data();
    fired.body_ratio = series.body_ratio();
    for (const engine::Detection& d : detections_) {
      engine::ScoreInputs in;
      in.direction = d.direction;
      in.states = fired.states;
      in.volume = volume;
      in.body_ratio = fired.body_ratio;
      in.unusual_volume_threshold = settings_.unusual_volume_threshold;
      fired.detections[fired.size] = d;
      fired.scores[fired.size] = engine::score(in);  // MTF component scored with k = 1 (§5)
      ++fired.size;
    }
  }

  // Emits the signals of the timeframes that completed in this round. With `mtf_timeframes`
  // set, they are boosted by confluence (§6) over the symbol's current signals of every
  // timeframe, and each direction group confirmed by ≥ 3 timeframes adds an MTF_CONFLUENCE
  // signal; min_conviction applies after confluence.
  void emit(const Symbol& sym, std::string_view symbol, axion::sdk::SignalSink& sink) {
    bool fired = false;
    for (const Slot& s : sym.slots) fired = fired || (s.completed_now && s.current.size > 0);
    if (!fired) return;

    const bool mtf = !settings_.mtf_timeframes.empty();
    inputs_.clear();
    refs_.clear();
    for (std::size_t idx : sym.order) {
      const Slot& s = sym.slots[idx];
      if (!mtf && !s.completed_now) continue;  // without MTF each timeframe stands alone
      for (std::size_t i = 0; i < s.current.size; ++i) {
        inputs_.push_back(
            {s.timeframe, s.current.detections[i].direction, s.current.scores[i].total});
        refs_.push_back({idx, i});
      }
    }
    boosted_.resize(inputs_.size());
    group_of_.resize(inputs_.size());
    engine::ConfluenceResult groups;
    if (mtf) {
      groups = engine::compute_confluence(inputs_, boosted_, group_of_);
    } else {
      for (std::size_t k = 0; k < inputs_.size(); ++k) boosted_[k] = inputs_[k].conviction;
    }

    const std::int64_t now = host().now_us();
    std::size_t states_slot = sym.slots.size();
    std::array<bool, 2> confirmed_built{};  // confirmed_[g] is built on first use

    auto confluence_meta = [&](Fields& f, std::size_t g) {
      if (!confirmed_built[g]) confirmed_[g] = engine::confirmed_timeframes(inputs_, group_of_, g);
      confirmed_built[g] = true;
      f.integer("confirming_timeframes", groups.groups[g].confirming);
      f.integer("total_timeframes", engine::kTotalTimeframes);
      for (std::string_view tf : confirmed_[g]) f.text_item("confirmed_tfs", tf);
    };

    for (std::size_t k = 0; k < inputs_.size(); ++k) {
      const Slot& s = sym.slots[refs_[k].slot];
      if (!s.completed_now || boosted_[k] < settings_.min_conviction) continue;
      if (states_slot != refs_[k].slot) {
        fill_cloud_records(s.current.states, clouds_);
        states_slot = refs_[k].slot;
      }
      const std::size_t i = refs_[k].item;
      const engine::Detection& d = s.current.detections[i];
      axion_signal& sig = make_signal(symbol, s.timeframe, d, now);
      sig.conviction = boosted_[k];
      fields_.clear();
      detection_meta(fields_, d, s.current.scores[i], s.current.body_ratio);
      if (mtf) confluence_meta(fields_, group_of_[k]);
      fields_.attach(sig);
      sig.cloud_states = clouds_.data();
      sig.cloud_state_count = clouds_.size();
      sink.emit(sig);
    }
    if (!mtf) return;

    for (std::size_t g = 0; g < groups.group_count; ++g) {
      const engine::ConfluenceGroup& grp = groups.groups[g];
      if (!grp.mtf()) continue;
      // Only when a member is new at this bar: an unchanged group was emitted already.
      bool fresh = false;
      for (std::size_t k = 0; k < inputs_.size(); ++k) {
        fresh = fresh || (group_of_[k] == g && sym.slots[refs_[k].slot].completed_now);
      }
      if (!fresh || boosted_[grp.base] < settings_.min_conviction) continue;
      const Slot& base = sym.slots[refs_[grp.base].slot];
      const engine::Detection& d = base.current.detections[refs_[grp.base].item];
      axion_signal& sig = make_signal(symbol, "mtf", d, now);
      sig.signal_type = str(engine::to_string(engine::SignalType::MtfConfluence));
      sig.direction = str(engine::to_string(grp.direction));
      sig.conviction = boosted_[grp.base];
      fields_.clear();
      fields_.text("trigger", "mtf_confluence");
      confluence_meta(fields_, g);
      fields_.integer("source_signals", static_cast<std::int64_t>(grp.members));
      fields_.attach(sig);
      fill_cloud_records(base.current.states, clouds_);
      states_slot = sym.slots.size();
      sig.cloud_states = clouds_.data();
      sig.cloud_state_count = clouds_.size();
      sink.emit(sig);
    }
  }

  // The detector's signal as the C record (a member, reused: every field is set here or by the
  // caller); entry = close, no target (the detector sets none).
  axion_signal& make_signal(std::string_view symbol, std::string_view timeframe, const engine::Detection& d,
                            std::int64_t now) {
    axion_signal& s = signal_;
    s.size = sizeof s;
    s.signal_type = str(engine::to_string(d.type));
    s.direction = str(engine::to_string(d.direction));
    s.ticker = str(symbol);
    s.timeframe = str(timeframe);
    s.conviction = 0;
    s.has_timezone = 1;
    s.entry_price = d.entry;
    s.stop_loss = d.stop;
    s.target_price = 0;
    s.ts_us = now;
    s.strategy = str(kName);
    s.source = {};
    s.fields = nullptr;
    s.field_count = 0;
    s.cloud_states = nullptr;
    s.cloud_state_count = 0;
    return s;
  }

  static void detection_meta(Fields& f, const engine::Detection& d, const engine::ConvictionScore& score,
                             double body_ratio) {
    if (d.cloud >= 0) f.text("cloud", engine::kCloudNames[static_cast<std::size_t>(d.cloud)]);
    if (d.trigger) f.text("trigger", d.trigger);
    if (d.type == engine::SignalType::TrendAlignedLong) f.boolean("all_bullish", true);
    if (d.type == engine::SignalType::TrendAlignedShort) f.boolean("all_bullish", false);
    if (d.exhaustion_side) {
      f.text("exhaustion_side", d.exhaustion_side);
      f.integer("consecutive_bars", engine::kExhaustionCandles);
    }
    if (d.pattern) f.text("pattern", d.pattern);
    if (d.stop_basis != engine::StopBasis::Rule) {
      f.text("stop_replaced", engine::to_string(d.stop_basis));
      f.num("rule_stop", d.rule_stop);
    }
    // §7: the scanner overwrites the detector's 3-dp body_ratio with the bar's unrounded one.
    f.num("body_ratio", body_ratio);
    f.num("conviction_breakdown.cloud_alignment", score.cloud_alignment)
        .num("conviction_breakdown.volume", score.volume_confirmation)
        .num("conviction_breakdown.thickness", score.cloud_thickness)
        .num("conviction_breakdown.candle", score.candle_quality)
        .num("conviction_breakdown.factor", score.factor_score);
  }


  const Settings settings_;
  std::unordered_map<std::string, Symbol> symbols_;
  std::string key_;
  engine::DetectionList detections_;
  // Confluence scratch, reserved at construction (grows only past 6 timeframes per symbol).
  std::vector<engine::ConfluenceInput> inputs_;
  std::vector<InputRef> refs_;
  std::vector<int> boosted_;
  std::vector<std::size_t> group_of_;
  // The C records of the signal being emitted (no allocation per signal).
  axion_signal signal_{};
  Fields fields_;
  CloudRecords clouds_{};
  std::array<engine::TimeframeList, 2> confirmed_{};
};

}  // namespace
}  // namespace axion::plugins::ema_cloud

AXION_PLUGIN(axion::plugins::ema_cloud::EmaCloudStrategy, AXION_KIND_STRATEGY, "ema_cloud", "1.0.0",
             "EMA cloud signals", axion::plugins::ema_cloud::kKeys)
