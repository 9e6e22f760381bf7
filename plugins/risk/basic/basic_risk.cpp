// risk/basic: the basic risk check (pipeline.md §5.2), stage `basic_risk_check`.
//
// A signal check over the typed context the engine passes (sdk Context, its effective limits in
// ctx.limits), in this order; the first failure rejects:
//   1. circuit breaker `open`;
//   2. open positions >= effective max_concurrent_positions;
//   3. single-stock exposure: Σ|market value| of positions whose underlying is the signal's
//      ticker / equity >= effective max_single_stock_exposure (skipped when equity <= 0);
//   4. total exposure: Σ|market value| / equity >= max_total_exposure (skipped when equity <= 0);
//   5. entries opened on the current trading date >= max_daily_trades (0 = no limit);
//   6. sector exposure (§5.1 step 9 with the fraction limit effective max_sector_exposure):
//      Σ|market value| of positions whose underlying is in the signal ticker's sector (§6.1
//      sector map; tickers without a sector are exempt) / equity >= the limit.
// Orders are not checked (kChecksOrders = false: the engine does not call check_order).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "axion/sdk/context.hpp"
#include "axion/sdk/market.hpp"
#include "axion/sdk/plugin.hpp"

namespace {

using axion::sdk::Config;
using axion::sdk::Context;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::kNoBound;
using axion::sdk::RiskOutputs;
using axion::sdk::Signal;
using axion::sdk::Verdict;

constexpr const char* kMaxTotalExposure = "max_total_exposure";
constexpr const char* kMaxDailyTrades = "max_daily_trades";

const KeySpec kKeys[] = {
    {kMaxTotalExposure, KeyType::Double, "1.0",
     "Total exposure limit as a fraction of equity (1.0 = 100 %): a signal is rejected when "
     "sum(|shares x current_price|) / equity >= this; must be > 0",
     0, kNoBound, "", /*min_exclusive=*/true},
    {kMaxDailyTrades, KeyType::Int, "50",
     "Maximum entries opened per trading date (ET); a signal is rejected once this many entries "
     "were opened today; 0 = no limit",
     0, kNoBound},
};

// The §6.1 sector map (the InstrumentRouter's table). Tickers not listed have no sector here:
// unlike ETF selection, which sends them to NASDAQ-100, the sector check exempts them (§5.1,
// step 9).
using axion::sdk::market::sector_of;

// `{x:.1%}` / `{x:.0%}`: × 100, fixed decimals, `%` appended (printf rounding, §0 Rounding).
std::string percent(double fraction, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f%%", decimals, fraction * 100.0);
  return buf;
}

// `{x:.1f}`.
std::string fixed1(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.1f", x);
  return buf;
}

// The validated configuration.
struct Settings {
  double max_total_exposure;
  std::int64_t max_daily_trades;  // 0 = no limit

  explicit Settings(const Config& c)
      : max_total_exposure(c.get_double(kMaxTotalExposure)),
        max_daily_trades(c.get_int(kMaxDailyTrades)) {}
};

class BasicRisk final : public axion::sdk::Risk {
 public:
  static constexpr const char* kStageLabel = "basic_risk_check";
  static constexpr bool kChecksOrders = false;

  BasicRisk(const Host& host, const Config& config) : Risk(host), settings_(config) {}

  // The effective limits (§1.7 [executor], overlaid by regime adaptation §10.1) come typed in
  // ctx.limits: max_concurrent_positions, max_single_stock_exposure, max_sector_exposure.
  Verdict check_signal(const Signal& signal, const Context& ctx, RiskOutputs& /*out*/) override {
    if (ctx.circuit_breaker_status == "open") return Verdict::reject("Circuit breaker is OPEN");

    const auto n_positions = ctx.positions.size();
    if (static_cast<long long>(n_positions) >=
        static_cast<long long>(ctx.limits.max_concurrent_positions)) {
      return Verdict::reject("Max positions reached: " + std::to_string(n_positions));
    }

    const double equity = ctx.account.equity;
    if (equity > 0) {
      double in_ticker = 0;
      double total = 0;
      for (const auto& p : ctx.positions) {
        const double mv = std::fabs(p.market_value());
        total += mv;
        if (p.underlying == signal.ticker) in_ticker += mv;
      }
      const double single_limit = ctx.limits.max_single_stock_exposure;
      const double single_pct = in_ticker / equity;
      if (single_pct >= single_limit) {
        return Verdict::reject("Single-stock exposure limit: " + signal.ticker + " at " +
                               percent(single_pct, 1) + " >= " + percent(single_limit, 0));
      }
      const double total_pct = total / equity;
      if (total_pct >= settings_.max_total_exposure) {
        return Verdict::reject("Total exposure " + percent(total_pct, 1) +
                               " >= " + percent(settings_.max_total_exposure, 0));
      }
    }

    if (settings_.max_daily_trades > 0 && ctx.entries_today >= settings_.max_daily_trades) {
      return Verdict::reject("Max daily trades reached: " + std::to_string(ctx.entries_today) +
                             "/" + std::to_string(settings_.max_daily_trades));
    }

    // Sector exposure, in percent as in §5.1 step 9; the limit is the effective fraction × 100.
    // Skipped when equity <= 0, like the other exposure checks (no meaningful ratio).
    const std::string_view sector = sector_of(signal.ticker);
    if (!sector.empty() && equity > 0) {
      double in_sector = 0;
      for (const auto& p : ctx.positions) {
        if (sector_of(p.underlying) == sector) in_sector += std::fabs(p.market_value());
      }
      const double pct = in_sector / equity * 100.0;
      const double limit = ctx.limits.max_sector_exposure * 100.0;
      if (pct >= limit) {
        return Verdict::reject(std::string(sector) + " exposure " + fixed1(pct) +
                               "% >= " + fixed1(limit) + "%");
      }
    }
    return Verdict::ok();
  }

 private:
  const Settings settings_;
};

}  // namespace

AXION_PLUGIN(BasicRisk, AXION_KIND_RISK, "basic", "1.0.0",
             "Basic risk check: circuit breaker, max positions, single-stock, total and sector "
             "exposure, max daily entries (pipeline.md 5.2)",
             kKeys)
