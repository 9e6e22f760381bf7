// sizing/standard: PositionSizer (pipeline.md §6.2), for every instrument type.
//
//   1. risk_amount = equity × max_risk_per_trade
//   2. stop_distance = |entry − stop| / entry × stop_loss_mult; < 0.001 ⇒ 0.02
//   3. raw = risk_amount / (entry × stop_distance)
//   4. conviction ≥ 75: mult 1.0, high_conviction_order_type;
//      else 0.5, medium_conviction_order_type
//   5. scale_in_enabled and type limit: mult ×= scale_in_initial_pct
//   6. shares = int(raw × mult × position_size_multiplier)
//   7. caps: int(equity × max_single_stock_exposure / entry) (0 if entry ≤ 0);
//      VaR cap int(V / entry)
//   8. buying power: int(buying_power / entry)
//   9. a cap of 0 ⇒ reject (`Position size is zero after caps`); else floor 1
//  10. notional = round(shares × entry, 2)
//
// Every limit comes from the signal's effective limits (context.limits, regime-adapted); the
// plugin has no keys of its own. "entry" is the signal's entry price, except on a leveraged-ETF
// route (sized here only when no sizing/leveraged_etf is configured), where the order is for ETF
// shares and the price is the route's reference price, the ETF quote.
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

// ---- the effective limits, checked ----------------------------------------------------------


const std::string& effective_order_type(const std::string& v, const char* key) {
  if (v != "market" && v != "limit") {
    throw Error("effective config '" + std::string(key) + "' must be \"market\" or \"limit\"");
  }
  return v;
}

// Steps 4-5: conviction multiplier and order type.
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

class StandardSizer final : public axion::sdk::Sizing {
 public:
  static constexpr const char* kInstrumentType = "";  // sizes every type

  StandardSizer(const Host& host, const Config&) : Sizing(host) {}

  Verdict size(const Signal& s, const Context& ctx, PositionSize& out) override {
    if (!std::isfinite(s.entry_price) || !std::isfinite(s.stop_loss)) {
      throw Error("signal entry_price and stop_loss must be finite");
    }
    const Limits& lim = ctx.limits;
    const double equity = ctx.account.equity;
    const double entry = s.entry_price;
    const double price = price_of(s, ctx);

    // Step 7's exposure cap is 0 when the price is not positive: a rejection, whatever else.
    if (!(entry > 0) || !(price > 0)) {
      host().debug("sizing " + s.ticker + ": no positive price, every cap is zero");
      return Verdict::reject(kZeroAfterCaps);
    }

    // 1-3
    const double risk_amount = equity * finite_limit(lim.max_risk_per_trade, "max_risk_per_trade");
    double stop_distance = std::fabs(entry - s.stop_loss) / entry *
                           finite_limit(lim.stop_loss_mult, "stop_loss_mult");
    if (stop_distance < 0.001) stop_distance = 0.02;
    const double raw = risk_amount / (price * stop_distance);

    // 4-6
    const Conviction conv = conviction_of(lim, s.conviction);
    std::int64_t shares = trunc_int(
        raw * conv.mult * finite_limit(lim.position_size_multiplier, "position_size_multiplier"));

    // 7-9
    const double mse = finite_limit(lim.max_single_stock_exposure, "max_single_stock_exposure");
    bool zero_cap = false;
    auto cap = [&](double dollars) {
      std::int64_t c = trunc_int(dollars / price);
      if (c <= 0) zero_cap = true;
      shares = std::min(shares, c);
    };
    cap(equity * mse);
    if (ctx.var_cap) cap(*ctx.var_cap);
    cap(ctx.account.buying_power);
    if (zero_cap) {
      host().debug("sizing " + s.ticker + ": a cap is zero (price " +
                   axion::sdk::format::shortest_float(price) + ", equity " +
                   axion::sdk::format::shortest_float(equity) + ")");
      return Verdict::reject(kZeroAfterCaps);
    }
    shares = std::max<std::int64_t>(shares, 1);

    // 10
    out.shares = shares;
    out.notional_value = round_dp2(static_cast<double>(shares) * price);
    out.risk_amount = round_dp2(risk_amount);
    out.conviction_multiplier = conv.mult;
    out.order_type = conv.order_type;
    return Verdict::ok();
  }

 private:
  // The price the shares are bought at: the signal's entry, or the ETF quote on an ETF route.
  static double price_of(const Signal& s, const Context& ctx) {
    if (ctx.route.instrument_type != "leveraged_etf") return s.entry_price;
    if (!std::isfinite(ctx.route.reference_price)) {
      throw Error("leveraged_etf route reference_price is not a finite number");
    }
    return ctx.route.reference_price;
  }
};

}  // namespace

AXION_PLUGIN(StandardSizer, AXION_KIND_SIZING, "standard", "1.0.0",
             "Risk-based position size from the effective config, capped by single-stock "
             "exposure, the VaR cap and buying power (pipeline.md 6.2)",
             kKeys)
