// sizing/leveraged_etf: LeveragedETFSizer (pipeline.md §6.3), for leveraged-ETF routes.
//
// P = the route's reference price (the ETF's latest quote, §6.1), L = the route's leverage.
//   1. risk_amount = equity × max_risk_per_trade
//   2. stop_distance = |entry_s − stop_s| / entry_s × stop_loss_mult (underlying prices);
//      < 0.001 ⇒ 0.02
//   3. lev_stop = stop_distance / L; < 0.003 ⇒ 0.003
//   4. raw = risk_amount / (P × lev_stop)
//   5. conviction multiplier, order type and scale-in as §6.2; shares = int(raw × mult × psm)
//   6. caps int((equity × max_single_stock_exposure / L) / P), VaR int((V / L) / P), buying power
//      int(buying_power / P); a cap of 0 ⇒ reject (`Position size is zero after caps`); floor 1
//   7. notional = round(shares × P, 2)
//
// Every limit comes from the signal's effective limits (context.limits, regime-adapted), P and L
// from the routing decision (context.route); the plugin has no keys of its own.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <string>

#include "axion/sdk/context.hpp"
#include "axion/sdk/format.hpp"
#include "axion/sdk/plugin.hpp"

namespace {

using axion::sdk::finite_limit;

using axion::sdk::Config;
using axion::sdk::Context;
using axion::sdk::Error;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::Limits;
using axion::sdk::PositionSize;
using axion::sdk::Signal;
using axion::sdk::Verdict;
using axion::sdk::format::trunc_int;

// {x} rounded to 2 decimals (pipeline.md §0), for notional and risk amounts.
double round_dp2(double x) { return axion::sdk::format::round_dp(x, 2); }

const std::array<KeySpec, 0> kKeys{};

const std::string kZeroAfterCaps = "Position size is zero after caps";

// ---- the effective limits and the route, checked ---------------------------------------------


const std::string& effective_order_type(const std::string& v, const char* key) {
  if (v != "market" && v != "limit") {
    throw Error("effective config '" + std::string(key) + "' must be \"market\" or \"limit\"");
  }
  return v;
}

double decision_number(double v, const char* key) {
  if (!std::isfinite(v)) {
    throw Error("routing decision '" + std::string(key) + "' is not a finite number");
  }
  return v;
}

// Step 5 (§6.2 steps 4-5): conviction multiplier and order type.
struct Conviction {
  double mult;
  std::string order_type;
};

Conviction conviction_of(const Limits& l, int conviction) {
  Conviction c =
      conviction >= 75
          ? Conviction{1.0, effective_order_type(l.high_conviction_order_type,
                                                 "high_conviction_order_type")}
          : Conviction{0.5, effective_order_type(l.medium_conviction_order_type,
                                                 "medium_conviction_order_type")};
  if (c.order_type == "limit" && l.scale_in_enabled) {
    c.mult *= finite_limit(l.scale_in_initial_pct, "scale_in_initial_pct");
  }
  return c;
}

class LeveragedEtfSizer final : public axion::sdk::Sizing {
 public:
  static constexpr const char* kInstrumentType = "leveraged_etf";

  LeveragedEtfSizer(const Host& host, const Config&) : Sizing(host) {}

  Verdict size(const Signal& s, const Context& ctx, PositionSize& out) override {
    const double entry = s.entry_price;
    if (!std::isfinite(entry) || entry <= 0 || !std::isfinite(s.stop_loss)) {
      throw Error("signal entry_price must be > 0 and stop_loss finite");
    }
    const Limits& lim = ctx.limits;
    const double equity = ctx.account.equity;
    const double price = decision_number(ctx.route.reference_price, "reference_price");  // P
    const double leverage = decision_number(ctx.route.leverage, "leverage");              // L
    if (leverage <= 0) throw Error("routing decision leverage must be > 0");
    // Step 6's caps are 0 when the ETF price is not positive: a rejection, whatever else.
    if (price <= 0) {
      host().debug("sizing " + s.ticker + ": no positive ETF price, every cap is zero");
      return Verdict::reject(kZeroAfterCaps);
    }

    // 1-4
    const double risk_amount = equity * finite_limit(lim.max_risk_per_trade, "max_risk_per_trade");
    double stop_distance = std::fabs(entry - s.stop_loss) / entry *
                           finite_limit(lim.stop_loss_mult, "stop_loss_mult");
    if (stop_distance < 0.001) stop_distance = 0.02;
    double lev_stop = stop_distance / leverage;
    if (lev_stop < 0.003) lev_stop = 0.003;
    const double raw = risk_amount / (price * lev_stop);

    // 5
    const Conviction conv = conviction_of(lim, s.conviction);
    std::int64_t shares = trunc_int(
        raw * conv.mult * finite_limit(lim.position_size_multiplier, "position_size_multiplier"));

    // 6
    const double mse = finite_limit(lim.max_single_stock_exposure, "max_single_stock_exposure");
    bool zero_cap = false;
    auto cap = [&](double shares_cap) {
      std::int64_t c = trunc_int(shares_cap);
      if (c <= 0) zero_cap = true;
      shares = std::min(shares, c);
    };
    cap((equity * mse / leverage) / price);
    if (ctx.var_cap) cap((*ctx.var_cap / leverage) / price);
    cap(ctx.account.buying_power / price);
    if (zero_cap) {
      host().debug("sizing " + s.ticker + ": a cap is zero (ETF price " +
                   axion::sdk::format::shortest_float(price) + ", leverage " +
                   axion::sdk::format::shortest_float(leverage) + ", equity " +
                   axion::sdk::format::shortest_float(equity) + ")");
      return Verdict::reject(kZeroAfterCaps);
    }
    shares = std::max<std::int64_t>(shares, 1);

    // 7
    out.shares = shares;
    out.notional_value = round_dp2(static_cast<double>(shares) * price);
    out.risk_amount = round_dp2(risk_amount);
    out.conviction_multiplier = conv.mult;
    out.order_type = conv.order_type;
    return Verdict::ok();
  }
};

}  // namespace

AXION_PLUGIN(LeveragedEtfSizer, AXION_KIND_SIZING, "leveraged_etf", "1.0.0",
             "Leverage-adjusted position size of a leveraged-ETF route at the ETF's quote, capped "
             "by exposure / leverage, the VaR cap and buying power (pipeline.md 6.3)",
             kKeys)
