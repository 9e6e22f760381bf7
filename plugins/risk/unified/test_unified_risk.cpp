// risk/unified: the math of unified_risk.hpp on constructed series, and the plugin through the
// built shared library (AXION_PLUGIN_SO) with the SDK fakes.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/testing/signals.hpp"
#include "unified_risk.hpp"

using axion::sdk::Context;
using axion::sdk::ContextPosition;
using axion::sdk::RiskOutputs;
using axion::sdk::Signal;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::make_signal;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;
namespace ur = axion::unified_risk;

namespace {

// Deterministic pseudo-random returns in about [-2 %, 2 %].
ur::Series noise(std::uint64_t seed, std::size_t n) {
  ur::Series out;
  std::uint64_t s = seed * 6364136223846793005ULL + 1442695040888963407ULL;
  for (std::size_t i = 0; i < n; ++i) {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    const double u = static_cast<double>(s >> 11) / static_cast<double>(1ULL << 53);
    out.push_back((u - 0.5) * 0.04);
  }
  return out;
}

// n returns: the two worst are `worst` and `second`, the rest small gains.
ur::Series with_tail(std::size_t n, double worst, double second) {
  ur::Series out(n, 0.001);
  out[n / 2] = worst;
  out[n / 3] = second;
  return out;
}

ur::Series scaled(const ur::Series& s, double k, double shift = 0.0) {
  ur::Series out;
  for (double v : s) out.push_back(k * v + shift);
  return out;
}

// A FakeHost that also records which tickers the plugin asked daily returns for, and how many
// values it asked for (FakeHost answers from `returns`, per ticker).
class TickerHost : public FakeHost {
 public:
  TickerHost() {
    auto* api = const_cast<axion_host_api*>(this->api());
    fake_daily_returns_ = api->daily_returns;
    api->daily_returns = [](void* ctx, axion_str t, double* out,
                            std::uint32_t max) -> std::uint32_t {
      auto* self = static_cast<TickerHost*>(static_cast<FakeHost*>(ctx));
      self->asked.emplace_back(axion::sdk::view(t));
      self->asked_n = static_cast<int>(max);
      return self->fake_daily_returns_(ctx, t, out, max);
    };
  }
  std::vector<std::string> asked;
  int asked_n = 0;

 private:
  decltype(axion_host_api::daily_returns) fake_daily_returns_ = nullptr;
};

// The same daily returns for every ticker (correlation 1.0 between any two).
void same_returns(FakeHost& host, const ur::Series& s, const std::vector<std::string>& tickers) {
  for (const auto& t : tickers) host.returns[t] = s;
}

ContextPosition position(const std::string& ticker, std::int64_t shares, double price,
                         const std::string& underlying = "", const std::string& direction = "long",
                         bool is_inverse = false) {
  ContextPosition p;
  p.ticker = ticker;
  p.underlying = underlying.empty() ? ticker : underlying;
  p.direction = direction;
  p.entry_price = price;
  p.current_price = price;
  p.shares = shares;
  p.strategy = "ema_cloud";
  p.is_inverse = is_inverse;
  return p;
}

Context make_context(double equity = 100000.0, const std::string& regime = "sideways") {
  Context c;
  c.account = {equity, equity, equity, equity};
  c.circuit_breaker_status = "closed";
  c.limits.regime = regime;
  c.limits.regime_confidence = 0.5;
  c.limits.min_account_equity = 25000.0;
  return c;
}

// The assessment a passing check recorded (RiskOutputs::assessment_json), parsed.
json assessment(const RiskOutputs& out) {
  auto a = json::parse(out.assessment_json, nullptr, false);
  REQUIRE_FALSE(a.is_discarded());
  REQUIRE(a.is_object());
  return a;
}

std::string config_error_key(const json& config) {
  return axion::sdk::testing::config_error_key(AXION_PLUGIN_SO, config);
}

ur::CorrelationMatrix matrix_of(const std::vector<std::string>& tickers,
                                const std::vector<std::vector<double>>& m, double threshold = 0.7) {
  ur::CorrelationMatrix cm;
  cm.tickers = tickers;
  cm.matrix = m;
  cm.clusters = ur::find_clusters(tickers, m, threshold);
  return cm;
}

}  // namespace

// ---- pure computation -----------------------------------------------------------------------

TEST_CASE("pearson: perfect, inverse, constant and short series") {
  const auto x = noise(1, 30);
  CHECK(ur::pearson(x, x) == Approx(1.0));
  CHECK(ur::pearson(x, scaled(x, 3.0, 0.01)) == Approx(1.0));
  CHECK(ur::pearson(x, scaled(x, -2.0)) == Approx(-1.0));
  CHECK(ur::pearson(x, ur::Series(30, 0.01)) == 0.0);  // zero variance
  const auto x19 = ur::Series(x.begin(), x.begin() + 19);
  CHECK(ur::pearson(x19, x19) == 0.0);  // n < 20
  const auto x20 = ur::Series(x.begin(), x.begin() + 20);
  CHECK(ur::pearson(x20, x20) == Approx(1.0));
  CHECK(ur::pearson(x19, x19, 10) == Approx(1.0));  // min_data_points honoured
}

TEST_CASE("pearson aligns the most recent end of series of different lengths") {
  const auto recent = noise(7, 25);
  ur::Series longer = scaled(noise(99, 15), -1.0);  // 15 unrelated older values
  longer.insert(longer.end(), recent.begin(), recent.end());
  REQUIRE(longer.size() == 40);
  CHECK(ur::pearson(longer, recent) == Approx(1.0));
  CHECK(ur::pearson(recent, longer) == Approx(1.0));
  // The first-n alignment would compare unrelated values: make sure it would differ.
  ur::Series first25(longer.begin(), longer.begin() + 25);
  CHECK(std::fabs(ur::pearson(first25, recent)) < 0.9);
}

TEST_CASE("correlation matrix: sorted, symmetric, unit diagonal, signed max") {
  const auto base = noise(3, 40);
  ur::ReturnsMap r;
  r["MSFT"] = base;
  r["AAPL"] = scaled(base, -1.0);
  r["XOM"] = noise(11, 40);
  auto cm = ur::compute_correlation_matrix(r, {}, "ts");
  REQUIRE(cm.tickers == std::vector<std::string>{"AAPL", "MSFT", "XOM"});
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(cm.matrix[i][i] == 1.0);
    for (std::size_t j = 0; j < 3; ++j) CHECK(cm.matrix[i][j] == cm.matrix[j][i]);
  }
  CHECK(cm.corr("AAPL", "MSFT") == Approx(-1.0));
  CHECK(cm.max_correlation == Approx(-1.0));  // sign kept
  CHECK(cm.computed_at == "ts");
  REQUIRE(cm.clusters.size() == 1);
  CHECK(cm.clusters[0] == std::vector<std::string>{"AAPL", "MSFT"});

  auto empty = ur::compute_correlation_matrix({}, {});
  CHECK(empty.tickers.empty());
  CHECK(empty.matrix.empty());
  CHECK(empty.max_correlation == 0.0);
}

TEST_CASE("clusters are greedy against the seed only, and singletons are dropped") {
  // A~B 0.75, B~C 0.75, A~C 0.3, D alone: A seeds {A, B}; C is then alone.
  const std::vector<std::string> t{"A", "B", "C", "D"};
  const std::vector<std::vector<double>> m{{1.0, 0.75, 0.3, 0.0},
                                           {0.75, 1.0, 0.75, 0.0},
                                           {0.3, 0.75, 1.0, 0.0},
                                           {0.0, 0.0, 0.0, 1.0}};
  auto c = ur::find_clusters(t, m, 0.7);
  REQUIRE(c.size() == 1);
  CHECK(c[0] == std::vector<std::string>{"A", "B"});
  // Exactly at the threshold joins; negative correlation counts by magnitude.
  const std::vector<std::vector<double>> m2{{1.0, -0.7, 0.69, 0.0},
                                            {-0.7, 1.0, 0.0, 0.0},
                                            {0.69, 0.0, 1.0, 0.9},
                                            {0.0, 0.0, 0.9, 1.0}};
  c = ur::find_clusters(t, m2, 0.7);
  REQUIRE(c.size() == 2);
  CHECK(c[0] == std::vector<std::string>{"A", "B"});
  CHECK(c[1] == std::vector<std::string>{"C", "D"});
}

TEST_CASE("check_new_trade: approvals") {
  auto cm = matrix_of({"AAPL", "MSFT"}, {{1.0, 0.9}, {0.9, 1.0}});
  CHECK_FALSE(ur::check_new_trade("AAPL", cm, {}, 0.8, 4));
  CHECK_FALSE(ur::check_new_trade("AAPL", cm, {"AAPL", "AAPL"}, 0.8, 4));  // same ticker ignored
  CHECK_FALSE(ur::check_new_trade("NVDA", cm, {"MSFT"}, 0.8, 4));          // not in the matrix
  auto at_limit = matrix_of({"AAPL", "MSFT"}, {{1.0, 0.8}, {0.8, 1.0}});
  CHECK_FALSE(ur::check_new_trade("AAPL", at_limit, {"MSFT"}, 0.8, 4));  // strict >
}

TEST_CASE("check_new_trade: pairwise message with U+2194 and the shortest limit") {
  auto cm = matrix_of({"AAPL", "MSFT"}, {{1.0, 0.8049}, {0.8049, 1.0}});
  auto msg = ur::check_new_trade("AAPL", cm, {"MSFT"}, 0.8, 4);
  REQUIRE(msg);
  CHECK(*msg == "Correlation AAPL\xE2\x86\x94MSFT = 0.80 exceeds limit 0.8");
  auto neg = matrix_of({"AAPL", "SQQQ"}, {{1.0, -0.7}, {-0.7, 1.0}});
  msg = ur::check_new_trade("SQQQ", neg, {"AAPL"}, 0.68, 4);
  REQUIRE(msg);
  CHECK(*msg == "Correlation SQQQ\xE2\x86\x94" "AAPL = -0.70 exceeds limit 0.68");
}

TEST_CASE("check_new_trade: cluster overlap of max_cluster_size - 1 rejects") {
  // A B C D all 0.75 to each other (below the pairwise limit 0.8, above the cluster threshold).
  const std::vector<std::string> t{"A", "B", "C", "D"};
  std::vector<std::vector<double>> m(4, std::vector<double>(4, 0.75));
  for (int i = 0; i < 4; ++i) m[static_cast<std::size_t>(i)][static_cast<std::size_t>(i)] = 1.0;
  auto cm = matrix_of(t, m);
  REQUIRE(cm.clusters.size() == 1);
  CHECK_FALSE(ur::check_new_trade("D", cm, {"A", "B"}, 0.8, 4));  // overlap 2
  CHECK_FALSE(ur::check_new_trade("D", cm, {"A", "B", "B", "A", "D"}, 0.8, 4));  // no inflation
  auto msg = ur::check_new_trade("D", cm, {"C", "A", "B"}, 0.8, 4);
  REQUIRE(msg);
  CHECK(*msg == "Adding D would create cluster of 4 (limit 4): A, B, C");
  msg = ur::check_new_trade("C", cm, {"A"}, 0.8, 2);
  REQUIRE(msg);
  CHECK(*msg == "Adding C would create cluster of 2 (limit 2): A");
}

TEST_CASE("effective correlation limit per regime") {
  ur::CorrelationConfig cfg;
  CHECK(ur::effective_correlation_limit(cfg, ur::regime_limits("bull")) == 0.8);
  CHECK(ur::effective_correlation_limit(cfg, ur::regime_limits("bear")) == 0.68);
  CHECK(ur::effective_correlation_limit(cfg, ur::regime_limits("sideways")) == 0.8);
  CHECK(ur::effective_correlation_limit(cfg, ur::regime_limits("crisis")) == 0.56);
  CHECK(axion::sdk::format::shortest_float(
            ur::effective_correlation_limit(cfg, ur::regime_limits("bear"))) == "0.68");
}

TEST_CASE("concentration score") {
  auto cm = matrix_of({"A", "B", "C"}, {{1.0, 0.9, -0.6}, {0.9, 1.0, 0.3}, {-0.6, 0.3, 1.0}});
  CHECK(ur::concentration_score(cm, {"A"}) == 0.0);
  CHECK(ur::concentration_score(cm, {"A", "A"}) == 0.0);
  CHECK(ur::concentration_score(cm, {"A", "B"}) == Approx(90.0));
  CHECK(ur::concentration_score(cm, {"A", "B", "C"}) == Approx((0.9 + 0.6 + 0.3) / 3 * 100));
  CHECK(ur::concentration_score(cm, {"A", "B", "Z"}) == Approx(90.0));  // pairs with Z skipped
  CHECK(ur::concentration_score(cm, {"A", "Z"}) == 0.0);                // no valid pair
}

TEST_CASE("regime limits: lower-cased lookup, unknown is sideways") {
  CHECK(ur::regime_limits("BEAR").max_positions_mult == 0.6);
  CHECK(ur::regime_limits("Bull").sector_concentration_mult == 1.1);
  CHECK(ur::regime_limits("crisis").correlation_threshold_mult == 0.7);
  auto u = ur::regime_limits("choppy");
  CHECK(u.regime == "sideways");
  CHECK(u.position_size_mult == 0.8);
  CHECK(u.stop_loss_mult == 0.9);
}

TEST_CASE("VaR index examples") {
  CHECK(ur::var_index(20, 0.95) == 1);
  CHECK(ur::var_index(100, 0.95) == 5);
  CHECK(ur::var_index(252, 0.95) == 12);
  CHECK(ur::var_index(10, 0.95) == 0);
  CHECK(ur::var_index(10, 0.0) == 9);  // clamped to n - 1
}

TEST_CASE("compute_var: VaR, CVaR over the tail, budget and size") {
  ur::VaRConfig cfg;
  auto r = with_tail(20, -0.015, -0.01);  // sorted[0] = -1.5 %, sorted[1] = -1 %
  auto v = ur::compute_var(r, cfg, 100000.0);
  CHECK(v.data_points == 20);
  CHECK(v.var_pct == Approx(1.0));
  CHECK(v.cvar_pct == Approx(1.25));
  CHECK(v.risk_budget_remaining == Approx(0.75));
  CHECK(v.max_position_size == Approx(750.0));
  cfg.use_cvar = false;
  v = ur::compute_var(r, cfg, 100000.0);
  CHECK(v.risk_budget_remaining == Approx(1.0));
  CHECK(v.max_position_size == Approx(1000.0));
  cfg.use_cvar = true;
  v = ur::compute_var(with_tail(20, -0.05, -0.03), cfg, 100000.0);
  CHECK(v.cvar_pct == Approx(4.0));
  CHECK(v.risk_budget_remaining == 0.0);  // clamped at 0
  auto few = ur::compute_var(ur::Series(9, -0.01), cfg, 100000.0);
  CHECK(few.data_points == 9);
  CHECK(few.var_pct == 0.0);
  CHECK(few.cvar_pct == 0.0);
  CHECK(few.max_position_size == 0.0);
  // n = 100: idx 5, tail = the 6 worst.
  ur::Series hundred(100, 0.002);
  for (int i = 0; i < 6; ++i) hundred[static_cast<std::size_t>(10 * i)] = -0.01 * (i + 1);
  v = ur::compute_var(hundred, cfg, 100000.0);
  CHECK(v.var_pct == Approx(1.0));
  CHECK(v.cvar_pct == Approx(3.5));
}

TEST_CASE("size_position: metric 2.5 percent, limit 0.5 gives 20,000 at 100,000") {
  ur::VaRConfig cfg;
  auto r = with_tail(20, -0.03, -0.02);  // CVaR 2.5 %
  REQUIRE(ur::compute_var(r, cfg, 100000.0).cvar_pct == Approx(2.5));
  auto s = ur::size_position(r, 1.0, 0.0, cfg, 100000.0);
  REQUIRE(s);
  CHECK(*s == Approx(20000.0));
  s = ur::size_position(r, 1.0, 1.8, cfg, 100000.0);  // budget 0.2 < 0.5
  REQUIRE(s);
  CHECK(*s == Approx(8000.0));
  s = ur::size_position(r, 1.0, 2.0, cfg, 100000.0);  // budget exhausted
  REQUIRE(s);
  CHECK(*s == 0.0);
  CHECK(*ur::size_position(r, 0.0, 0.0, cfg, 100000.0) == 0.0);
  CHECK(*ur::size_position(r, 1.0, 0.0, cfg, 0.0) == 0.0);
  CHECK_FALSE(ur::size_position(ur::Series(9, -0.01), 1.0, 0.0, cfg, 100000.0));
  CHECK_FALSE(ur::size_position(ur::Series(30, 0.0), 1.0, 0.0, cfg, 100000.0));  // metric 0
  cfg.use_cvar = false;  // VaR 2 %: 0.5 / 2 × 100,000
  s = ur::size_position(r, 1.0, 0.0, cfg, 100000.0);
  REQUIRE(s);
  CHECK(*s == Approx(25000.0));
}

TEST_CASE("compute_portfolio_var: weighted sum truncated to the shortest, recent end aligned") {
  ur::Series a, b;
  for (int i = 0; i < 15; ++i) a.push_back(0.001 * i);
  for (int i = 0; i < 12; ++i) b.push_back(-0.01 * i);
  auto p = ur::compute_portfolio_var({a, b}, {0.5, 2.0});
  REQUIRE(p.size() == 12);
  for (std::size_t i = 0; i < 12; ++i) CHECK(p[i] == Approx(0.5 * a[i + 3] + 2.0 * b[i]));
  CHECK(ur::compute_portfolio_var({a, ur::Series(9, 0.01)}, {1.0, 1.0}).empty());
  CHECK(ur::compute_portfolio_var({}, {}).empty());
}

TEST_CASE("formats: thousands and rounding") {
  CHECK(ur::thousands0(20000.0) == "20,000");
  CHECK(ur::thousands0(1234567.5) == "1,234,568");
  CHECK(ur::thousands0(999.0) == "999");
  CHECK(ur::thousands0(-1234.0) == "-1,234");
  CHECK(ur::round_to(0.8 * 0.85, 4) == 0.68);
  CHECK(ur::round_to(2.675, 2) == 2.67);  // the binary double is below the tie
}

TEST_CASE("assess: every step in order on an approved signal, and the size multipliers") {
  ur::RiskConfig cfg;
  ur::AssessInput in;
  in.ticker = "AAPL";
  in.direction = "long";
  in.equity = 50000.0;
  in.starting_equity = 40000.0;
  in.daily_pnl = -1000.0;
  in.regime = "bull";
  in.returns_by_ticker["AAPL"] = with_tail(30, -0.03, -0.02);
  auto a = ur::assess(in, cfg);
  REQUIRE(a.approved);
  CHECK(a.checks_run ==
        std::vector<std::string>{"kill_switch", "circuit_breaker", "daily_loss_limit", "min_equity", "max_positions",
                                 "conflicting_direction", "single_stock_concentration",
                                 "sector_concentration", "correlation_guard", "var_sizing"});
  CHECK(a.daily_pnl_pct == Approx(2.5));
  REQUIRE(a.var_cap);
  // CVaR 2.5 % ⇒ 0.5 / 2.5 × 50,000 = 10,000; × bull 1.2.
  CHECK(*a.var_cap == Approx(12000.0));
  CHECK(a.max_position_size == Approx(12000.0));
  in.circuit_breaker_status = "half_open";
  a = ur::assess(in, cfg);
  CHECK(a.max_position_size == Approx(6000.0));
  in.returns_by_ticker.clear();
  a = ur::assess(in, cfg);
  CHECK_FALSE(a.var_cap);
  CHECK(a.max_position_size == Approx(0.15 * 50000 * 1.2 * 0.5));
  CHECK(a.checks_run.back() == "sector_concentration");
}

TEST_CASE("assess: existing holdings' VaR shrinks the budget") {
  ur::RiskConfig cfg;
  ur::AssessInput in;
  in.ticker = "XOM";
  in.direction = "long";
  in.regime = "sideways";
  const auto mine = with_tail(30, -0.03, -0.02);  // CVaR 2.5 %
  // Holdings: 100,000 of a series whose VaR (sorted[1]) is 1.8 % ⇒ budget 0.2.
  auto held = with_tail(30, -0.025, -0.018);
  in.returns_by_ticker["XOM"] = mine;
  in.returns_by_ticker["PFE"] = held;
  in.positions.push_back({"PFE", 10000.0, "long"});
  in.equity = 10000.0;
  in.min_account_equity = 0;
  cfg.max_single_stock_pct = 1000;
  cfg.enable_correlation_guard = false;
  auto a = ur::assess(in, cfg);
  REQUIRE(a.approved);
  REQUIRE(a.var_cap);
  // existing = 1.8 ⇒ limit 0.2 ⇒ 0.2 / 2.5 × 10,000 = 800; × 0.8 sideways.
  CHECK(*a.var_cap == Approx(800.0 * 0.8));
  REQUIRE(a.portfolio_var);
  CHECK(a.portfolio_var->cvar_pct == Approx(2.5));
  CHECK(std::find(a.checks_run.begin(), a.checks_run.end(), "correlation_guard") ==
        a.checks_run.end());
}

// ---- the plugin through the shared library ------------------------------------------------------

TEST_CASE("manifest and schema") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  CHECK(r.manifest().kind == AXION_KIND_RISK);
  CHECK(std::string(r.manifest().name) == "unified");
  REQUIRE(r.manifest().stage_label != nullptr);
  CHECK(std::string(r.manifest().stage_label) == "risk_assessment");
  // A signal check only: the engine does not call an order check.
  const auto* vt = static_cast<const axion_risk_vtable*>(r.manifest().vtable);
  CHECK(vt->check_signal != nullptr);
  CHECK(vt->check_order == nullptr);
  auto schema = r.schema();
  REQUIRE(schema.size() == 17);
  std::map<std::string, json> d;
  for (const auto& k : schema) d[k["key"].get<std::string>()] = k["default"];
  CHECK(d["max_daily_loss_pct"] == 10.0);
  CHECK(d["max_concurrent_positions"] == 10);
  CHECK(d["max_single_stock_pct"] == 15.0);
  CHECK(d["max_sector_pct"] == 30.0);
  CHECK(d["default_regime"] == "sideways");
  CHECK(d["enable_correlation_guard"] == true);
  CHECK(d["enable_var_sizing"] == true);
  CHECK(d["max_pairwise_correlation"] == 0.8);
  CHECK(d["max_cluster_size"] == 4);
  CHECK(d["correlation_lookback_days"] == 60);
  CHECK(d["min_data_points"] == 20);
  CHECK(d["cluster_threshold"] == 0.7);
  CHECK(d["var_confidence_level"] == 0.95);
  CHECK(d["max_portfolio_var_pct"] == 2.0);
  CHECK(d["max_position_var_pct"] == 0.5);
  CHECK(d["var_lookback_days"] == 252);
  CHECK(d["use_cvar"] == true);
}

TEST_CASE("an empty book passes and reports the assessment without a VaR cap") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  RiskOutputs out;
  auto v = r.risk_check_signal(make_signal(), make_context(), &out);
  CHECK(v.pass);
  CHECK(v.reason.empty());
  CHECK_FALSE(out.var_cap);
  const json a = assessment(out);
  CHECK(a["approved"] == true);
  CHECK(a["rejection_reason"].is_null());
  CHECK(a["regime"] == "sideways");
  CHECK(a["max_position_size"].get<double>() == Approx(12000.0));  // 0.15 × 100,000 × 0.8
  CHECK(a["checks_run"] == json::array({"kill_switch", "circuit_breaker", "daily_loss_limit",
                                        "min_equity", "max_positions", "conflicting_direction",
                                        "single_stock_concentration", "sector_concentration"}));
  CHECK(a["timestamp"] == "2026-02-09T14:30:00.000000+00:00");
  CHECK_FALSE(a.contains("correlation_matrix"));
  CHECK(a["portfolio_var"].is_null());
  CHECK(a["regime_limits"]["max_positions_mult"] == 0.9);
}

TEST_CASE("kill switch rejects first") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.kill_switch_active = true;
  cx.circuit_breaker_status = "open";
  cx.daily_pnl = -50000.0;
  RiskOutputs out;
  auto v = r.risk_check_signal(make_signal(), cx, &out);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Kill switch is active");
  CHECK_FALSE(out.var_cap);  // nothing after a rejection
  CHECK(out.assessment_json.empty());
}

TEST_CASE("circuit breaker open rejects, half_open halves the size") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.circuit_breaker_status = "open";
  cx.daily_pnl = -50000.0;
  CHECK(r.risk_check_signal(make_signal(), cx).reason == "Circuit breaker is OPEN");
  cx.circuit_breaker_status = "half_open";
  cx.daily_pnl = 0.0;
  RiskOutputs out;
  REQUIRE(r.risk_check_signal(make_signal(), cx, &out).pass);
  CHECK(assessment(out)["max_position_size"].get<double>() == Approx(6000.0));
}

TEST_CASE("daily loss at the limit rejects with the exact text") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.daily_pnl = -9999.0;
  RiskOutputs out;
  CHECK(r.risk_check_signal(make_signal(), cx, &out).pass);
  CHECK(assessment(out)["daily_pnl_pct"].get<double>() == Approx(10.0));
  cx.daily_pnl = -10000.0;
  auto v = r.risk_check_signal(make_signal(), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Daily loss 10.0% >= limit 10.0%");
  cx.daily_pnl = 20000.0;  // a gain never trips it
  CHECK(r.risk_check_signal(make_signal(), cx).pass);

  // Starting equity 0 ⇒ the equity; a configured limit prints in shortest form.
  PluginHarness tight(AXION_PLUGIN_SO, host, json{{"max_daily_loss_pct", 2.5}});
  cx = make_context(80000.0);
  cx.account.starting_equity = 0.0;
  cx.daily_pnl = -2100.0;
  CHECK(tight.risk_check_signal(make_signal(), cx).reason == "Daily loss 2.6% >= limit 2.5%");
}

TEST_CASE("minimum equity from the effective limits") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context(20000.0);
  auto v = r.risk_check_signal(make_signal(), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Equity $20,000 below minimum $25,000");
  cx.limits.min_account_equity = 15000.0;
  CHECK(r.risk_check_signal(make_signal(), cx).pass);
  cx.limits.min_account_equity = 50000.0;
  CHECK(r.risk_check_signal(make_signal(), cx).reason == "Equity $20,000 below minimum $50,000");
  // A non-finite limit is a contract violation: an error, never a silent pass.
  cx.limits.min_account_equity = std::numeric_limits<double>::quiet_NaN();
  CHECK_THROWS_WITH(r.risk_check_signal(make_signal(), cx),
                    "effective config 'min_account_equity' is not a finite number");
  cx.limits.min_account_equity = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(r.risk_check_signal(make_signal(), cx),
                    "effective config 'min_account_equity' is not a finite number");
  // Unknown equity (<= 0) is taken as 100,000.
  CHECK(r.risk_check_signal(make_signal(), make_context(0.0)).pass);
}

TEST_CASE("max positions per regime, bear gives 6 (acceptance example 5)") {
  struct Case {
    const char* regime;
    int limit;
  };
  const Case cases[] = {{"bull", 12}, {"bear", 6}, {"sideways", 9}, {"crisis", 3},
                        {"BEAR", 6},  {"choppy", 9}};
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  for (const auto& c : cases) {
    CAPTURE(c.regime);
    Context cx = make_context(100000.0, c.regime);
    for (int i = 0; i < c.limit - 1; ++i) {
      cx.positions.push_back(position("T" + std::to_string(i), 1, 1.0));
    }
    CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);
    cx.positions.push_back(position("TX", 1, 1.0));
    auto v = r.risk_check_signal(make_signal({.ticker = "PFE"}), cx);
    CHECK_FALSE(v.pass);
    CHECK(v.reason == "Max positions reached: " + std::to_string(c.limit) + "/" +
                          std::to_string(c.limit) + " (regime=" + c.regime + ")");
  }
  // A configured base: 5 × 0.3 = 1.5 ⇒ 1 in crisis; 1 × 0.3 ⇒ max(1, 0) = 1.
  PluginHarness five(AXION_PLUGIN_SO, host, json{{"max_concurrent_positions", 1}});
  Context cx = make_context(100000.0, "crisis");
  cx.positions.push_back(position("T0", 1, 1.0));
  CHECK(five.risk_check_signal(make_signal({.ticker = "PFE"}), cx).reason ==
        "Max positions reached: 1/1 (regime=crisis)");
}

TEST_CASE("the default regime applies when the context names none") {
  // limits.regime "" = no regime stage ran: the configured default_regime applies.
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host, json{{"default_regime", "crisis"}});
  Context cx = make_context();
  cx.limits.regime = "";
  for (int i = 0; i < 3; ++i) cx.positions.push_back(position("T" + std::to_string(i), 1, 1.0));
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).reason ==
        "Max positions reached: 3/3 (regime=crisis)");
  // With the default key that is sideways, as before ABI v2 (the engine then sent "sideways").
  PluginHarness plain(AXION_PLUGIN_SO, host);
  for (int i = 3; i < 9; ++i) cx.positions.push_back(position("T" + std::to_string(i), 1, 1.0));
  CHECK(plain.risk_check_signal(make_signal({.ticker = "PFE"}), cx).reason ==
        "Max positions reached: 9/9 (regime=sideways)");
  RiskOutputs out;
  cx.positions.clear();
  REQUIRE(plain.risk_check_signal(make_signal({.ticker = "PFE"}), cx, &out).pass);
  CHECK(assessment(out)["regime"] == "sideways");
}

TEST_CASE("conflicting direction by underlying, inverse ETFs reversed") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.positions = {position("AAPL", 10, 100.0)};
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL", .direction = "long"}), cx).pass);
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL", .direction = "short"}), cx).reason ==
        "Conflicting signal: existing long vs new short for AAPL");
  // SQQQ held long for a short QQQ signal: the underlying direction is short.
  cx.positions = {position("SQQQ", 10, 30.0, "QQQ", "long", true)};
  CHECK(r.risk_check_signal(make_signal({.ticker = "QQQ", .direction = "short"}), cx).pass);
  CHECK(r.risk_check_signal(make_signal({.ticker = "QQQ", .direction = "long"}), cx).reason ==
        "Conflicting signal: existing short vs new long for QQQ");
}

TEST_CASE("single-stock concentration by underlying") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.positions = {position("AAPL", 50, 100.0), position("TECL", 100, 99.99, "AAPL")};
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).pass);  // 14.999 %
  cx.positions[1] = position("TECL", 100, 100.0, "AAPL");  // 15 %
  auto v = r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "AAPL exposure 15.0% >= 15.0%");
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);
}

TEST_CASE("sector concentration with the regime multiplier") {
  FakeHost host;
  PluginHarness r(AXION_PLUGIN_SO, host);
  // Technology 24 %: passes sideways (30.0), rejects bear (24.0).
  Context cx = make_context();
  cx.positions = {position("MSFT", 120, 100.0), position("GOOGL", 120, 100.0)};
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).pass);
  cx.limits.regime = "bear";
  auto v = r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Technology exposure 24.0% >= 24.0%");
  CHECK(r.risk_check_signal(make_signal({.ticker = "NVDA"}), cx).pass);  // another sector
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);   // no sector: exempt
  // Crisis 15.0; bull 33.0 (a held ETF counts by its underlying).
  cx.limits.regime = "crisis";
  cx.positions = {position("TECL", 150, 100.0, "META")};
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).reason ==
        "Technology exposure 15.0% >= 15.0%");
  cx.limits.regime = "bull";
  cx.positions = {position("MSFT", 140, 100.0), position("META", 140, 100.0),
                  position("ORCL", 49, 100.0)};
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).pass);  // 32.9 % < 30 × 1.1
  cx.positions[2] = position("ORCL", 50, 100.0);
  CHECK(r.risk_check_signal(make_signal({.ticker = "AAPL"}), cx).reason ==
        "Technology exposure 33.0% >= 33.0%");
}

TEST_CASE("correlation guard rejects a correlated add, tighter in bear") {
  FakeHost host;  // the same series for every ticker: correlation 1.0
  same_returns(host, noise(5, 60), {"PFE", "XOM"});
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.positions = {position("XOM", 10, 100.0)};
  auto v = r.risk_check_signal(make_signal({.ticker = "PFE"}), cx);
  CHECK_FALSE(v.pass);
  CHECK(v.reason == "Correlation PFE\xE2\x86\x94XOM = 1.00 exceeds limit 0.8");
  cx.limits.regime = "bear";
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).reason ==
        "Correlation PFE\xE2\x86\x94XOM = 1.00 exceeds limit 0.68");
  // An add-on to the same ticker is not a correlation problem.
  CHECK(r.risk_check_signal(make_signal({.ticker = "XOM"}), cx).pass);
  // Disabled guard: passes.
  PluginHarness off(AXION_PLUGIN_SO, host, json{{"enable_correlation_guard", false}});
  CHECK(off.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);
}

TEST_CASE("correlation guard with per-ticker returns: bear threshold and the cluster rule") {
  TickerHost host;
  const auto base = noise(21, 60);
  host.returns["PFE"] = base;
  // 0.75-ish correlation with PFE: base plus independent noise.
  ur::Series partner;
  const auto extra = noise(77, 60);
  for (std::size_t i = 0; i < 60; ++i) partner.push_back(base[i] + 0.9 * extra[i]);
  host.returns["JNJ"] = partner;
  const double c = ur::pearson(base, partner);
  REQUIRE(c >= 0.7);  // above the cluster threshold and the bear limit 0.68
  REQUIRE(c < 0.8);
  PluginHarness r(AXION_PLUGIN_SO, host);
  Context cx = make_context();
  cx.positions = {position("JNJ", 10, 100.0)};
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);  // sideways limit 0.8
  CHECK(host.asked == std::vector<std::string>{"JNJ", "PFE"});
  CHECK(host.asked_n == 252);
  cx.limits.regime = "bear";
  CHECK(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx).reason ==
        "Correlation PFE\xE2\x86\x94JNJ = " + ur::fixed(c, 2) + " exceeds limit 0.68");

  // Cluster: with max_cluster_size 2 one correlated holding (>= 0.70) is already too many.
  PluginHarness small(AXION_PLUGIN_SO, host, json{{"max_cluster_size", 2}});
  cx.limits.regime = "sideways";
  CHECK(small.risk_check_signal(make_signal({.ticker = "PFE"}), cx).reason ==
        "Adding PFE would create cluster of 2 (limit 2): JNJ");
  PluginHarness lax(AXION_PLUGIN_SO, host,
                    json{{"max_cluster_size", 2}, {"cluster_threshold", 0.95}});
  cx.limits.regime = "sideways";
  CHECK(lax.risk_check_signal(make_signal({.ticker = "PFE"}), cx).pass);
}

TEST_CASE("uncorrelated holdings pass with a low concentration score, correlated ones warn") {
  TickerHost host;
  host.returns["PFE"] = noise(1, 60);
  host.returns["JNJ"] = noise(2, 60);
  host.returns["KO"] = noise(3, 60);
  PluginHarness r(AXION_PLUGIN_SO, host, json{{"enable_var_sizing", false}});
  Context cx = make_context();
  cx.positions = {position("JNJ", 10, 100.0), position("KO", 10, 100.0)};
  RiskOutputs out;
  REQUIRE(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx, &out).pass);
  auto a = assessment(out);
  CHECK(a["checks_run"].back() == "correlation_guard");
  CHECK(a["concentration_score"].get<double>() < 75.0);
  CHECK(a["warnings"].empty());
  // Three holdings nearly identical to each other (but the new ticker is not held): warning.
  PluginHarness lax(AXION_PLUGIN_SO, host,
                    json{{"max_pairwise_correlation", 1.0}, {"max_cluster_size", 10},
                         {"enable_var_sizing", false}});
  const auto s = noise(9, 60);
  host.returns["JNJ"] = s;
  host.returns["KO"] = scaled(s, 2.0);
  host.returns["PFE"] = scaled(s, 0.5, 0.001);
  REQUIRE(lax.risk_check_signal(make_signal({.ticker = "PFE"}), cx, &out).pass);
  a = assessment(out);
  CHECK(a["concentration_score"].get<double>() == Approx(100.0));
  CHECK(a["warnings"] == json::array({"High portfolio concentration: 100/100"}));
}

TEST_CASE("var_cap output from the VaR sizer") {
  FakeHost host;
  host.returns["PFE"] = with_tail(30, -0.03, -0.02);  // CVaR 2.5 %
  PluginHarness r(AXION_PLUGIN_SO, host);
  RiskOutputs out;
  REQUIRE(r.risk_check_signal(make_signal({.ticker = "PFE"}), make_context(), &out).pass);
  REQUIRE(out.var_cap);
  CHECK(*out.var_cap == Approx(20000.0 * 0.8));  // sideways
  json a = assessment(out);
  CHECK(a["max_position_size"].get<double>() == Approx(16000.0));
  CHECK(a["portfolio_var"]["cvar_pct"].get<double>() == Approx(2.5));
  CHECK(a["checks_run"].back() == "var_sizing");

  Context cx = make_context(200000.0, "bull");
  REQUIRE(r.risk_check_signal(make_signal({.ticker = "PFE"}), cx, &out).pass);
  REQUIRE(out.var_cap);
  CHECK(*out.var_cap == Approx(40000.0 * 1.2));

  PluginHarness var_off(AXION_PLUGIN_SO, host, json{{"enable_var_sizing", false}});
  REQUIRE(var_off.risk_check_signal(make_signal({.ticker = "PFE"}), make_context(), &out).pass);
  CHECK_FALSE(out.var_cap);
  CHECK(assessment(out)["max_position_size"].get<double>() == Approx(12000.0));

  PluginHarness var_only(AXION_PLUGIN_SO, host,
                         json{{"use_cvar", false}, {"max_position_var_pct", 0.4}});
  REQUIRE(var_only.risk_check_signal(make_signal({.ticker = "PFE"}), make_context(), &out).pass);
  // VaR 2 %: 0.4 / 2 × 100,000 × 0.8.
  REQUIRE(out.var_cap);
  CHECK(*out.var_cap == Approx(16000.0));
}

TEST_CASE("too few returns give no VaR cap") {
  FakeHost host;
  host.returns["PFE"] = ur::Series(9, -0.01);
  PluginHarness r(AXION_PLUGIN_SO, host);
  RiskOutputs out;
  REQUIRE(r.risk_check_signal(make_signal({.ticker = "PFE"}), make_context(), &out).pass);
  CHECK_FALSE(out.var_cap);
  const json a = assessment(out);
  CHECK(a["portfolio_var"]["data_points"] == 9);
  CHECK(a["max_position_size"].get<double>() == Approx(12000.0));
}

TEST_CASE("VaR window: only the last var_lookback_days returns are used") {
  TickerHost host;
  // 40 returns: an old crash, then 30 calm ones with a CVaR of 2.5 %.
  ur::Series s(10, -0.2);
  const auto calm = with_tail(30, -0.03, -0.02);
  s.insert(s.end(), calm.begin(), calm.end());
  host.returns["PFE"] = s;
  PluginHarness r(AXION_PLUGIN_SO, host, json{{"var_lookback_days", 30}});
  RiskOutputs out;
  REQUIRE(r.risk_check_signal(make_signal({.ticker = "PFE"}), make_context(), &out).pass);
  REQUIRE(out.var_cap);
  CHECK(*out.var_cap == Approx(16000.0));
  CHECK(host.asked_n == 60);  // the longer of the two windows
}

TEST_CASE("config errors name the key") {
  CHECK(config_error_key(json{{"max_daily_loss_pct", 0}}) == "max_daily_loss_pct");
  CHECK(config_error_key(json{{"max_concurrent_positions", 0}}) == "max_concurrent_positions");
  CHECK(config_error_key(json{{"max_concurrent_positions", 2.5}}) == "max_concurrent_positions");
  CHECK(config_error_key(json{{"max_pairwise_correlation", 1.5}}) == "max_pairwise_correlation");
  CHECK(config_error_key(json{{"max_cluster_size", 1}}) == "max_cluster_size");
  CHECK(config_error_key(json{{"var_confidence_level", 0}}) == "var_confidence_level");
  CHECK(config_error_key(json{{"use_cvar", "yes"}}) == "use_cvar");
  CHECK(config_error_key(json{{"default_regime", 3}}) == "default_regime");
  CHECK(config_error_key(json{{"max_total_exposure", 1.0}}) == "max_total_exposure");
  CHECK(config_error_key(json{{"max_sector_pct", 25.0}, {"var_lookback_days", 100}}) ==
        "<accepted>");
}
