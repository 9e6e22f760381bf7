// feed/synthetic through the real shared library and the SDK fakes.
#include <catch2/catch.hpp>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/time.hpp"

using axion::sdk::Bar;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;
namespace axt = axion::sdk::time;

namespace {

const char* const kSo = AXION_PLUGIN_SO;

std::int64_t utc(int y, unsigned m, unsigned d, int hh, int mm) {
  return axt::days_from_civil(y, m, d) * axt::kUsPerDay +
         (hh * 3600LL + mm * 60LL) * axt::kUsPerSec;
}

std::vector<Bar> take(PluginHarness& h, std::size_t n, std::vector<std::int64_t>* paces = nullptr) {
  std::vector<Bar> out;
  std::int64_t pace = 0;
  while (out.size() < n) {
    auto b = h.next_bar(&pace);
    if (!b) break;
    out.push_back(*b);
    if (paces) paces->push_back(pace);
  }
  return out;
}

std::vector<Bar> run(const json& config, std::size_t n) {
  FakeHost host;
  PluginHarness h(kSo, host, config);
  return take(h, n);
}

std::string create_error_key(const json& config) {
  FakeHost host;
  try {
    PluginHarness h(kSo, host, config);
  } catch (const PluginCallError& e) {
    return e.key.empty() ? std::string("<no key>: ") + e.what() : e.key;
  }
  return "<none>";
}

std::vector<std::string> symbols_of_first_step(PluginHarness& h, std::size_t max) {
  std::vector<std::string> out;
  auto bars = take(h, max);
  for (const auto& b : bars) {
    if (b.ts_us != bars.front().ts_us) break;
    out.push_back(b.symbol);
  }
  return out;
}

}  // namespace

TEST_CASE("manifest: a feed named synthetic with every key in the schema") {
  FakeHost host;
  PluginHarness h(kSo, host);
  CHECK(h.manifest().kind == AXION_KIND_FEED);
  CHECK(std::string(h.manifest().name) == "synthetic");
  std::set<std::string> keys;
  for (const auto& k : h.schema()) keys.insert(k.at("key").get<std::string>());
  CHECK(keys == std::set<std::string>{"symbols", "start_date", "bar_seconds", "warmup_bars",
                                      "pace_ms", "max_bars", "seed", "start_price",
                                      "regime_switch_prob", "volatility_scale"});
}

TEST_CASE("symbols: configured, else the engine's, else the default five") {
  SECTION("configured wins over the engine") {
    FakeHost host;
    host.queries["engine"] = {{"symbols", {"IWM"}}};
    PluginHarness h(kSo, host, {{"symbols", {"TSLA", "AMD"}}});
    CHECK(symbols_of_first_step(h, 10) == std::vector<std::string>{"TSLA", "AMD"});
  }
  SECTION("the engine's") {
    FakeHost host;
    host.queries["engine"] = {{"symbols", {"IWM", "DIA", "GLD"}}, {"starting_equity", 1.0}};
    PluginHarness h(kSo, host);
    CHECK(symbols_of_first_step(h, 10) == std::vector<std::string>{"IWM", "DIA", "GLD"});
  }
  SECTION("the engine has none") {
    FakeHost host;
    host.queries["engine"] = {{"symbols", json::array()}};
    PluginHarness h(kSo, host);
    CHECK(symbols_of_first_step(h, 10) ==
          std::vector<std::string>{"SPY", "QQQ", "AAPL", "MSFT", "NVDA"});
  }
  SECTION("no engine answer") {
    FakeHost host;
    PluginHarness h(kSo, host);
    CHECK(symbols_of_first_step(h, 10) ==
          std::vector<std::string>{"SPY", "QQQ", "AAPL", "MSFT", "NVDA"});
  }
}

TEST_CASE("bars sit on the regular-session grid: Mon-Fri, 09:31..16:00 ET, one per symbol") {
  // 2026-02-13 is a Friday: the 391st timestamp is Monday's first bar.
  FakeHost host;
  PluginHarness h(kSo, host, {{"symbols", {"SPY", "QQQ"}}, {"start_date", "2026-02-13"}});
  auto bars = take(h, 2 * 390 * 3);
  REQUIRE(bars.size() == 2 * 390 * 3);
  CHECK(bars[0].ts_us == utc(2026, 2, 13, 14, 31));  // 09:31 EST
  CHECK(bars[0].timeframe == "1m");
  CHECK(bars[2 * 389].ts_us == utc(2026, 2, 13, 21, 0));   // 16:00 EST close
  CHECK(bars[2 * 390].ts_us == utc(2026, 2, 16, 14, 31));  // Monday
  for (std::size_t i = 0; i < bars.size(); i += 2) {
    CHECK(bars[i].symbol == "SPY");
    CHECK(bars[i + 1].symbol == "QQQ");
    CHECK(bars[i + 1].ts_us == bars[i].ts_us);  // consecutive per timestamp
    if (i > 0) CHECK(bars[i].ts_us > bars[i - 2].ts_us);
    auto et = axt::to_eastern(bars[i].ts_us);
    CHECK(et.weekday >= 1);
    CHECK(et.weekday <= 5);
    CHECK(et.minute_of_day() > 9 * 60 + 30);
    CHECK(et.minute_of_day() <= 16 * 60);
    CHECK(et.second == 0);
  }
}

TEST_CASE("start_date: a weekend start moves to Monday; DST is followed") {
  SECTION("Saturday") {
    auto bars = run({{"symbols", {"SPY"}}, {"start_date", "2026-02-14"}}, 1);
    CHECK(bars[0].ts_us == utc(2026, 2, 16, 14, 31));
  }
  SECTION("across the 2026 switch to daylight time (March 8)") {
    auto bars = run({{"symbols", {"SPY"}}, {"start_date", "2026-03-06"}}, 391);
    CHECK(bars[0].ts_us == utc(2026, 3, 6, 14, 31));    // EST
    CHECK(bars[390].ts_us == utc(2026, 3, 9, 13, 31));  // EDT
  }
}

TEST_CASE("bar_seconds sets the grid and the timeframe") {
  auto bars = run({{"symbols", {"SPY"}}, {"bar_seconds", 300}}, 79);
  REQUIRE(bars.size() == 79);
  CHECK(bars[0].timeframe == "5m");
  CHECK(bars[0].ts_us == utc(2026, 2, 9, 14, 35));
  CHECK(bars[77].ts_us == utc(2026, 2, 9, 21, 0));
  CHECK(bars[78].ts_us == utc(2026, 2, 10, 14, 35));
}

TEST_CASE("OHLC is consistent, prices positive and realistic, volume positive") {
  FakeHost host;
  PluginHarness h(kSo, host, {{"max_bars", 390 * 20}, {"regime_switch_prob", 0.01}});
  std::map<std::string, double> first_open;
  std::map<std::string, double> prev_close;
  std::size_t n = 0;
  while (auto b = h.next_bar()) {
    ++n;
    CHECK(b->low > 0);
    CHECK(b->low <= std::min(b->open, b->close));
    CHECK(b->high >= std::max(b->open, b->close));
    CHECK(b->volume >= 1);
    CHECK(b->volume == std::floor(b->volume));
    CHECK(std::fabs(b->close * 100 - std::nearbyint(b->close * 100)) < 1e-6);  // cents
    if (!first_open.count(b->symbol)) first_open[b->symbol] = b->open;
    double start = first_open[b->symbol];
    CHECK(b->close > start / 3);
    CHECK(b->close < start * 3);
    if (prev_close.count(b->symbol)) {
      CHECK(std::fabs(std::log(b->open / prev_close[b->symbol])) < 0.1);  // gaps stay sane
    }
    CHECK(std::fabs(std::log(b->close / b->open)) < 0.1);
    prev_close[b->symbol] = b->close;
  }
  CHECK(n == 5u * 390 * 20);
}

TEST_CASE("start_price: every symbol starts there; else a price derived from the name") {
  auto bars = run({{"symbols", {"AAA", "BBB"}}, {"start_price", 123.45}}, 2);
  CHECK(bars[0].open == 123.45);
  CHECK(bars[1].open == 123.45);
  // Derived: fixed by the name, independent of the seed and of the other symbols.
  auto a = run({{"symbols", {"AAA", "BBB"}}, {"seed", 1}}, 2);
  auto b = run({{"symbols", {"ZZZ", "AAA"}}, {"seed", 2}}, 2);
  CHECK(a[0].open == b[1].open);
  CHECK(a[0].open != a[1].open);
  for (const auto& bar : a) {
    CHECK(bar.open >= 20.0);
    CHECK(bar.open <= 500.0);
  }
}

TEST_CASE("pacing: warm-up timestamps at once, then the first bar of each timestamp waits") {
  FakeHost host;
  PluginHarness h(kSo, host,
                  {{"symbols", {"SPY", "QQQ", "AAPL"}}, {"warmup_bars", 4}, {"pace_ms", 250.0}});
  std::vector<std::int64_t> paces;
  auto bars = take(h, 3 * 10, &paces);
  for (std::size_t i = 0; i < bars.size(); ++i) {
    std::size_t step = i / 3;
    bool first_of_step = i % 3 == 0;
    CHECK(paces[i] == (step >= 4 && first_of_step ? 250000 : 0));
  }
  FakeHost host2;
  PluginHarness fast(kSo, host2, {{"symbols", {"SPY"}}, {"warmup_bars", 0}, {"pace_ms", 0}});
  std::vector<std::int64_t> p2;
  take(fast, 50, &p2);
  for (auto p : p2) CHECK(p == 0);
}

TEST_CASE("defaults: 200 warm-up timestamps, then 250 ms per timestamp") {
  FakeHost host;
  PluginHarness h(kSo, host, {{"symbols", {"SPY"}}});
  std::vector<std::int64_t> paces;
  take(h, 210, &paces);
  for (std::size_t i = 0; i < paces.size(); ++i) CHECK(paces[i] == (i < 200 ? 0 : 250000));
}

TEST_CASE("max_bars ends the feed after that many timestamps per symbol") {
  FakeHost host;
  PluginHarness h(kSo, host, {{"symbols", {"SPY", "QQQ"}}, {"max_bars", 7}});
  auto bars = take(h, 1000);
  CHECK(bars.size() == 14);
  CHECK_FALSE(h.next_bar().has_value());
  CHECK(bars.back().symbol == "QQQ");
}

TEST_CASE("deterministic per seed") {
  const json base = {{"symbols", {"SPY", "QQQ", "NVDA"}}, {"regime_switch_prob", 0.01}};
  json other = base;
  other["seed"] = 43;
  auto a = run(base, 3000), b = run(base, 3000), c = run(other, 3000);
  REQUIRE(a.size() == b.size());
  std::size_t differ = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    CHECK(a[i].symbol == b[i].symbol);
    CHECK(a[i].ts_us == b[i].ts_us);
    CHECK(a[i].open == b[i].open);
    CHECK(a[i].high == b[i].high);
    CHECK(a[i].low == b[i].low);
    CHECK(a[i].close == b[i].close);
    CHECK(a[i].volume == b[i].volume);
    differ += a[i].close != c[i].close;
  }
  CHECK(differ > a.size() / 2);
  // A symbol's path does not depend on which other symbols are generated.
  json alone = {{"symbols", {"QQQ"}}, {"regime_switch_prob", 0.01}};
  auto q = run(alone, 1000);
  for (std::size_t i = 0; i < q.size(); ++i) CHECK(q[i].close == a[3 * i + 1].close);
}

TEST_CASE("regimes switch with regime_switch_prob and visit bull, bear, sideways and crisis") {
  auto switches = [](double p, std::size_t steps) {
    FakeHost host;
    PluginHarness h(kSo, host, {{"symbols", {"SPY"}}, {"regime_switch_prob", p}});
    take(h, steps);
    std::vector<std::string> out;
    for (const auto& [level, msg] : host.logs) {
      if (msg.rfind("regime ", 0) == 0) out.push_back(msg);
    }
    return out;
  };
  CHECK(switches(0.0, 5000).empty());
  auto s = switches(0.02, 5000);
  CHECK(s.size() > 40);
  CHECK(s.size() < 300);
  std::set<std::string> seen;
  for (const auto& msg : s) {
    for (const char* name : {"bull", "bear", "sideways", "crisis"}) {
      if (msg.find(std::string("-> ") + name + " ") != std::string::npos) seen.insert(name);
    }
  }
  CHECK(seen == std::set<std::string>{"bull", "bear", "sideways", "crisis"});
}

TEST_CASE("volatility_scale widens the bars") {
  auto mean_abs_ret = [](double scale) {
    auto bars = run({{"symbols", {"SPY"}},
                     {"volatility_scale", scale},
                     {"start_price", 100.0},
                     {"regime_switch_prob", 0.0}},
                    2000);
    double sum = 0;
    for (const auto& b : bars) sum += std::fabs(std::log(b.close / b.open));
    return sum / static_cast<double>(bars.size());
  };
  CHECK(mean_abs_ret(4.0) > 3.0 * mean_abs_ret(0.5));
}

TEST_CASE("config errors name the key") {
  CHECK(create_error_key({{"symbol", {"SPY"}}}) == "symbol");                      // unknown
  CHECK(create_error_key({{"seed", "forty-two"}}) == "seed");                      // wrong type
  CHECK(create_error_key({{"symbols", "SPY"}}) == "symbols");                      // wrong type
  CHECK(create_error_key({{"regime_switch_prob", 1.5}}) == "regime_switch_prob");  // range
  CHECK(create_error_key({{"volatility_scale", 0}}) == "volatility_scale");
  CHECK(create_error_key({{"pace_ms", -1}}) == "pace_ms");
  CHECK(create_error_key({{"warmup_bars", -1}}) == "warmup_bars");
  CHECK(create_error_key({{"max_bars", -1}}) == "max_bars");
  CHECK(create_error_key({{"start_date", "2026-13-01"}}) == "start_date");
  CHECK(create_error_key({{"start_date", "Feb 9"}}) == "start_date");
  CHECK(create_error_key({{"bar_seconds", 90}}) == "bar_seconds");   // not whole minutes
  CHECK(create_error_key({{"bar_seconds", 420}}) == "bar_seconds");  // 7 min does not divide 390
  CHECK(create_error_key({{"bar_seconds", 30}}) == "bar_seconds");   // below the minimum
  CHECK(create_error_key({{"symbols", {"SPY", "SPY"}}}) == "symbols");
  CHECK(create_error_key({{"symbols", {"SPY", ""}}}) == "symbols");
  CHECK(create_error_key({{"bar_seconds", 600}, {"seed", 0}}) == "<none>");
}
