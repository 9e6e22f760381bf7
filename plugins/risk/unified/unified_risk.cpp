// risk/unified: the unified risk assessment (pipeline.md §5.1), stage `risk_assessment`.
//
// A signal check: reads the typed context the engine passes (sdk Context) and the daily returns
// of the signal's ticker and of every held underlying (host().daily_returns), runs `assess` (the
// 12 steps of §5.1, in unified_risk.hpp) and rejects with the assessment's reason. A passing
// check hands later stages RiskOutputs: var_cap (dollars, only when the VaR sizer produced a cap)
// and assessment_json (UnifiedRiskAssessment.to_dict). Orders are not checked
// (kChecksOrders = false).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>

#include "axion/sdk/context.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/time.hpp"
#include "unified_risk.hpp"

namespace {

using axion::sdk::finite_limit;

using axion::sdk::Config;
using axion::sdk::Context;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::kNoBound;
using axion::sdk::RiskOutputs;
using axion::sdk::Signal;
using axion::sdk::Verdict;
namespace ur = axion::unified_risk;

const KeySpec kKeys[] = {
    {"max_daily_loss_pct", KeyType::Double, "10.0",
     "Daily loss limit in percent of starting equity: reject when daily_pnl < 0 and "
     "|daily_pnl| / starting_equity x 100 >= this",
     0, kNoBound, "", true},
    {"max_concurrent_positions", KeyType::Int, "10",
     "Open positions before the regime multiplier: reject when open positions >= "
     "max(1, int(this x max_positions_mult))",
     1, kNoBound},
    {"max_single_stock_pct", KeyType::Double, "15.0",
     "Single-stock limit in percent of equity (positions matched by underlying)", 0, kNoBound, "",
     true},
    {"max_sector_pct", KeyType::Double, "30.0",
     "Sector limit in percent of equity, before the regime sector_concentration_mult", 0,
     kNoBound, "", true},
    {"default_regime", KeyType::String, "\"sideways\"",
     "Regime used when the context names none (unknown regimes get the sideways multipliers)"},
    {"enable_correlation_guard", KeyType::Bool, "true", "Run the correlation guard (step 10)"},
    {"enable_var_sizing", KeyType::Bool, "true", "Run the VaR sizer (step 11)"},
    {"max_pairwise_correlation", KeyType::Double, "0.8",
     "Pairwise correlation limit before the regime correlation_threshold_mult", 0, 1, "", true},
    {"max_cluster_size", KeyType::Int, "4",
     "Largest allowed correlated cluster including the new ticker", 2, kNoBound},
    {"correlation_lookback_days", KeyType::Int, "60",
     "Returns window (most recent values) fed to the correlation guard", 2, kNoBound},
    {"min_data_points", KeyType::Int, "20",
     "Fewer aligned returns than this make a pair's correlation 0", 2, kNoBound},
    {"cluster_threshold", KeyType::Double, "0.7",
     "|correlation| with a cluster's seed at or above which a ticker joins it", 0, 1, "", true},
    {"var_confidence_level", KeyType::Double, "0.95", "VaR confidence level", 0, 1, "", true},
    {"max_portfolio_var_pct", KeyType::Double, "2.0",
     "Portfolio VaR budget in percent of equity", 0, kNoBound, "", true},
    {"max_position_var_pct", KeyType::Double, "0.5",
     "Largest one-day metric loss of a new position in percent of equity", 0, kNoBound, "", true},
    {"var_lookback_days", KeyType::Int, "252", "Returns window (most recent values) fed to VaR",
     10, kNoBound},
    {"use_cvar", KeyType::Bool, "true", "Size on CVaR (expected shortfall) instead of VaR"},
};

ur::RiskConfig make_config(const Config& c) {
  ur::RiskConfig r;
  r.max_daily_loss_pct = c.get_double("max_daily_loss_pct");
  r.max_concurrent_positions = static_cast<int>(c.get_int("max_concurrent_positions"));
  r.max_single_stock_pct = c.get_double("max_single_stock_pct");
  r.max_sector_pct = c.get_double("max_sector_pct");
  r.default_regime = c.get_string("default_regime");
  r.enable_correlation_guard = c.get_bool("enable_correlation_guard");
  r.enable_var_sizing = c.get_bool("enable_var_sizing");
  r.correlation.max_pairwise_correlation = c.get_double("max_pairwise_correlation");
  r.correlation.max_cluster_size = static_cast<int>(c.get_int("max_cluster_size"));
  r.correlation.lookback_days = static_cast<int>(c.get_int("correlation_lookback_days"));
  r.correlation.min_data_points = static_cast<int>(c.get_int("min_data_points"));
  r.correlation.cluster_threshold = c.get_double("cluster_threshold");
  r.var.confidence_level = c.get_double("var_confidence_level");
  r.var.max_portfolio_var_pct = c.get_double("max_portfolio_var_pct");
  r.var.max_position_var_pct = c.get_double("max_position_var_pct");
  r.var.lookback_days = static_cast<int>(c.get_int("var_lookback_days"));
  r.var.use_cvar = c.get_bool("use_cvar");
  return r;
}

constexpr double kDefaultEquity = 100000.0;


class UnifiedRisk final : public axion::sdk::Risk {
 public:
  static constexpr bool kChecksOrders = false;

  UnifiedRisk(const Host& host, const Config& config) : Risk(host), cfg_(make_config(config)) {}

  Verdict check_signal(const Signal& signal, const Context& ctx, RiskOutputs& out) override {
    ur::AssessInput in;
    in.ticker = signal.ticker;
    in.direction = signal.direction;
    in.equity = ctx.account.equity > 0 ? ctx.account.equity : kDefaultEquity;
    in.starting_equity = ctx.account.starting_equity;
    in.daily_pnl = ctx.daily_pnl;
    in.min_account_equity = finite_limit(ctx.limits.min_account_equity, "min_account_equity");
    // "" = no regime stage ran: assess() then uses default_regime ("sideways" by default, the
    // regime the engine named before ABI v2 when no regime stage ran).
    in.regime = ctx.limits.regime;
    in.kill_switch_active = ctx.kill_switch_active;
    in.circuit_breaker_status = ctx.circuit_breaker_status;
    in.timestamp = axion::sdk::time::to_iso(host().now_us());

    // Positions as {symbol: underlying, market_value, side: underlying direction}; the
    // underlying direction of an inverse ETF is the reverse of its traded direction (§1.4).
    for (const auto& p : ctx.positions) {
      std::string side = p.direction;
      if (p.is_inverse) side = side == "long" ? "short" : "long";
      in.positions.push_back({p.underlying, p.market_value(), side});
    }

    in.returns_by_ticker = read_returns(signal.ticker, in.positions);

    ur::Assessment a = ur::assess(in, cfg_);
    if (!a.approved) return Verdict::reject(a.rejection_reason);
    out.var_cap = a.var_cap;
    out.assessment_json = a.to_dict().dump();
    return Verdict::ok();
  }

 private:
  // Daily returns of the signal's ticker and of each held underlying, one host().daily_returns
  // per ticker (enough values for the longer of the two enabled windows). Tickers without data
  // are left out.
  ur::ReturnsMap read_returns(const std::string& ticker,
                              const std::vector<ur::HeldPosition>& positions) {
    ur::ReturnsMap out;
    int n = 0;
    if (cfg_.enable_correlation_guard) n = std::max(n, cfg_.correlation.lookback_days);
    if (cfg_.enable_var_sizing) n = std::max(n, cfg_.var.lookback_days);
    if (n == 0) return out;
    std::set<std::string> tickers{ticker};
    for (const auto& p : positions) tickers.insert(p.symbol);
    for (const auto& t : tickers) {
      host().daily_returns(t, static_cast<std::size_t>(n), buffer_);
      if (!buffer_.empty()) out[t] = ur::last_n(buffer_, n);
    }
    return out;
  }

  const ur::RiskConfig cfg_;
  ur::Series buffer_;  // daily_returns scratch, reused across tickers and calls
};

}  // namespace

AXION_PLUGIN(UnifiedRisk, AXION_KIND_RISK, "unified", "1.0.0",
             "Unified risk assessment: kill switch, breaker, daily loss, min equity, regime-scaled "
             "positions and sector limits, conflicting direction, single-stock, correlation guard, "
             "VaR sizing (pipeline.md 5.1)",
             kKeys)
