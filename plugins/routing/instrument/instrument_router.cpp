// routing/instrument: InstrumentRouter (pipeline.md §6.1).
//
// trade_type from the signal's timeframe (§1.1), then the effective `instrument_mode` picks the
// instrument:
//
//   mode            scalp (1m/5m)   day (10m)          swing (other)
//   options         option          stock              stock
//   leveraged_etf   ETF or stock    ETF or stock       ETF or stock
//   both            option          ETF or stock       stock
//
// An option route needs a broker that can trade options; without one `option_fallback` rejects
// or falls back to a stock route marked `fallback_from = "option"` (logged as a warning). An ETF
// route needs a catalog ETF for the ticker's sector and direction and the ETF's latest quote;
// without either it is a stock route. Every limit comes from the signal's effective limits
// (context.limits), never from defaults of our own. The decision is built whole (every field of
// the Route set here), whatever route arrived.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "axion/sdk/context.hpp"
#include "axion/sdk/market.hpp"
#include "axion/sdk/plugin.hpp"

namespace {

using axion::sdk::finite_limit;

using axion::sdk::Config;
using axion::sdk::Context;
using axion::sdk::Error;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::kNoBound;
using axion::sdk::Limits;
using axion::sdk::Route;
using axion::sdk::Signal;
using axion::sdk::Verdict;

constexpr const char* kOptionFallback = "option_fallback";
constexpr const char* kEtfVolumes = "etf_daily_volumes";

const KeySpec kKeys[] = {
    {kOptionFallback, KeyType::String, "\"reject\"",
     "What an option route does when the broker cannot trade options: \"reject\" rejects the "
     "signal at routing; \"stock\" routes it to the underlying stock with fallback_from = "
     "\"option\" and a warning log line",
     kNoBound, kNoBound, "reject|stock"},
    {kEtfVolumes, KeyType::StringList, "[]",
     "Known average daily volumes of catalog ETFs, as \"TICKER=VOLUME\" entries (e.g. "
     "\"TQQQ=65000000\"). A candidate whose volume is known and below the effective "
     "min_etf_daily_volume is dropped; unlisted ETFs have unknown volume and are never dropped"},
};

const std::string kOptionUnavailable = "Option route unavailable: broker cannot trade options";

// ---- the ETF catalog and the sector table (§6.1) -------------------------------------------

struct CatalogEtf {
  const char* ticker;
  const char* tracks;
  double leverage;
  bool inverse;  // inverse <=> bear; non-inverse <=> bull
};

// In the spec's order; the selection's stable sort keeps it for equal leverage.
constexpr CatalogEtf kCatalog[] = {
    {"TQQQ", "NASDAQ-100", 3.0, false},     {"SQQQ", "NASDAQ-100", 3.0, true},
    {"QLD", "NASDAQ-100", 2.0, false},      {"QID", "NASDAQ-100", 2.0, true},
    {"SPXL", "S&P 500", 3.0, false},        {"SPXS", "S&P 500", 3.0, true},
    {"SSO", "S&P 500", 2.0, false},         {"SDS", "S&P 500", 2.0, true},
    {"SOXL", "Semiconductors", 3.0, false}, {"SOXS", "Semiconductors", 3.0, true},
    {"TECL", "Technology", 3.0, false},     {"TECS", "Technology", 3.0, true},
    {"FAS", "Financials", 3.0, false},      {"FAZ", "Financials", 3.0, true},
    {"ERX", "Energy", 2.0, false},          {"ERY", "Energy", 2.0, true},
    {"TNA", "Russell 2000", 3.0, false},    {"TZA", "Russell 2000", 3.0, true},
    {"LABU", "Biotech", 3.0, false},        {"LABD", "Biotech", 3.0, true},
};

constexpr const char* kDefaultSector = "NASDAQ-100";

// Step 1: the signal ticker's sector (the §6.1 table, sdk/market.hpp). Index tickers keep their
// index; without sector mapping every other ticker tracks the NASDAQ-100.
std::string sector_of(const std::string& ticker, bool sector_mapping) {
  if (auto s = axion::sdk::market::index_sector(ticker); !s.empty()) return std::string(s);
  if (sector_mapping) {
    if (auto s = axion::sdk::market::sector_of(ticker); !s.empty()) return std::string(s);
  }
  return kDefaultSector;
}

const CatalogEtf* catalog_find(std::string_view ticker) {
  for (const auto& e : kCatalog) {
    if (ticker == e.ticker) return &e;
  }
  return nullptr;
}

// ---- configuration ---------------------------------------------------------------------------

// One "TICKER=VOLUME" entry of etf_daily_volumes; throws naming the key.
std::pair<std::string, double> parse_volume(const std::string& entry) {
  auto bad = [&](const std::string& why) {
    return Error("key '" + std::string(kEtfVolumes) + "': entry '" + entry + "' " + why,
                 kEtfVolumes);
  };
  auto eq = entry.find('=');
  if (eq == std::string::npos) throw bad("is not TICKER=VOLUME");
  std::string ticker = entry.substr(0, eq);
  std::string number = entry.substr(eq + 1);
  if (!catalog_find(ticker)) throw bad("names no catalog ETF");
  errno = 0;
  char* end = nullptr;
  double volume = number.empty() ? 0.0 : std::strtod(number.c_str(), &end);
  if (number.empty() || end != number.c_str() + number.size() || errno != 0 ||
      !std::isfinite(volume) || volume < 0) {
    throw bad("has no valid volume (a number >= 0)");
  }
  return {ticker, volume};
}

// The validated configuration.
struct Settings {
  bool fallback_to_stock = false;
  std::map<std::string, double> volumes;  // ETF -> known average daily volume

  explicit Settings(const Config& c) : fallback_to_stock(c.get_string(kOptionFallback) == "stock") {
    for (const auto& entry : c.get_strings(kEtfVolumes)) {
      auto [ticker, volume] = parse_volume(entry);
      if (!volumes.emplace(ticker, volume).second) {
        throw Error("key '" + std::string(kEtfVolumes) + "': " + ticker + " is listed twice",
                    kEtfVolumes);
      }
    }
  }
};

// ---- the effective limits ---------------------------------------------------------------------


// ---- routing ---------------------------------------------------------------------------------

enum class Instrument { Stock, Option, Etf };

// §1.1: 1m/5m => scalp; 10m => day; anything else => swing.
std::string trade_type_of(const std::string& timeframe) {
  if (timeframe == "1m" || timeframe == "5m") return "scalp";
  if (timeframe == "10m") return "day";
  return "swing";
}

// The routing table of §6.1.
Instrument table(const std::string& mode, const std::string& trade_type) {
  if (mode == "options") return trade_type == "scalp" ? Instrument::Option : Instrument::Stock;
  if (mode == "leveraged_etf") return Instrument::Etf;
  if (mode == "both") {
    if (trade_type == "scalp") return Instrument::Option;
    return trade_type == "day" ? Instrument::Etf : Instrument::Stock;
  }
  throw Error("effective config 'instrument_mode' is '" + mode +
              "', not one of options|leveraged_etf|both");
}

class InstrumentRouter final : public axion::sdk::Routing {
 public:
  InstrumentRouter(const Host& host, const Config& config) : Routing(host), settings_(config) {}

  Verdict route(const Signal& s, const Context& ctx, Route& decision) override {
    if (s.direction != "long" && s.direction != "short") {
      throw Error("signal direction must be long or short, got '" + s.direction + "'");
    }
    const std::string trade_type = trade_type_of(s.timeframe);
    const Instrument instrument = table(ctx.limits.instrument_mode, trade_type);

    if (instrument == Instrument::Option) {
      if (ctx.broker_can_trade_options) {
        decision = option_route(s);
        return Verdict::ok();
      }
      if (!settings_.fallback_to_stock) return Verdict::reject(kOptionUnavailable);
      host().warn("Option route unavailable for " + s.ticker +
                  ": broker cannot trade options; routing to stock (option_fallback = stock)");
      decision = stock_route(s);
      decision.fallback_from = "option";
      return Verdict::ok();
    }

    if (instrument == Instrument::Etf) {
      if (const CatalogEtf* etf = select_etf(s, ctx.limits)) {
        auto quote = host().last_price(etf->ticker);
        if (quote && std::isfinite(*quote) && *quote > 0) {
          decision = etf_route(s, *etf, *quote);
          return Verdict::ok();
        }
        host().info("No quote for " + std::string(etf->ticker) + " (ETF for " + s.ticker +
                    "); routing to stock");
      } else {
        host().debug("No leveraged ETF for " + s.ticker + " " + s.direction + "; routing to stock");
      }
    }
    decision = stock_route(s);
    return Verdict::ok();
  }

 private:
  // A fresh route: every field is set, none is left over from the route that arrived.
  // Stock: the signal's ticker at its entry, leverage 1, not inverse.
  static Route stock_route(const Signal& s) { return Route::stock(s); }

  // The contract (strike, expiry) is the options-capable broker's choice; the route only
  // describes the instrument. The underlying is original_signal_ticker, priced at the entry.
  static Route option_route(const Signal& s) {
    Route r = Route::stock(s);
    r.instrument_type = "option";
    r.option_right = s.direction == "long" ? "call" : "put";
    return r;
  }

  Route etf_route(const Signal& s, const CatalogEtf& etf, double quote) const {
    Route r = Route::stock(s);
    r.instrument_type = "leveraged_etf";
    r.ticker = etf.ticker;
    r.leverage = etf.leverage;
    r.is_inverse = etf.inverse;
    r.reference_price = quote;
    r.etf_tracks = etf.tracks;
    r.etf_avg_daily_volume = known_volume(etf.ticker).value_or(0.0);  // 0 = unknown
    return r;
  }

  std::optional<double> known_volume(const std::string& ticker) const {
    auto it = settings_.volumes.find(ticker);
    if (it == settings_.volumes.end()) return std::nullopt;
    return it->second;
  }

  // ETF selection, steps 1-5 of §6.1. nullptr: no candidate (a stock route).
  const CatalogEtf* select_etf(const Signal& s, const Limits& limits) const {
    const std::string sector = sector_of(s.ticker, limits.etf_sector_mapping);
    const bool want_inverse = s.direction == "short";  // bear ETFs are the inverse ones
    std::vector<const CatalogEtf*> candidates;
    std::optional<double> min_volume;
    for (const auto& e : kCatalog) {
      if (sector != e.tracks || e.inverse != want_inverse) continue;
      if (auto v = known_volume(e.ticker)) {
        if (!min_volume) {
          min_volume = finite_limit(limits.min_etf_daily_volume, "min_etf_daily_volume");
        }
        if (*v < *min_volume) continue;
      }
      candidates.push_back(&e);
    }
    if (limits.prefer_3x_for_day_trades) {
      auto is_3x = [](const CatalogEtf* e) { return e->leverage == 3.0; };
      if (std::any_of(candidates.begin(), candidates.end(), is_3x)) {
        std::erase_if(candidates, [&](const CatalogEtf* e) { return !is_3x(e); });
      }
    }
    std::stable_sort(
        candidates.begin(), candidates.end(),
        [](const CatalogEtf* a, const CatalogEtf* b) { return a->leverage > b->leverage; });
    return candidates.empty() ? nullptr : candidates.front();
  }

  const Settings settings_;
};

}  // namespace

AXION_PLUGIN(InstrumentRouter, AXION_KIND_ROUTING, "instrument", "1.0.0",
             "Routes a signal to stock, option or leveraged ETF by the effective instrument_mode "
             "and the timeframe's trade type; ETF routes are priced at the ETF's latest quote "
             "(pipeline.md 6.1)",
             kKeys)
