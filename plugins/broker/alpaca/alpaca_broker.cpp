// broker/alpaca: Alpaca's Trading API v2 (live.md §2, §3, §5). Orders go through the OrderDesk's
// own thread, so the engine thread never waits on HTTP: submit answers `pending` and the engine
// watches the order through query_order, which reads the desk's latest view, kept current by the
// trade_updates stream. Keys come from the
// environment only (AXION_ALPACA_API_KEY, AXION_ALPACA_SECRET_KEY) and never appear in a log,
// an error or the plugin's state.
#include <memory>
#include <string>

#include "axion/sdk/plugin.hpp"
#include "credentials.hpp"
#include "order_desk.hpp"

namespace {

using axion::sdk::Account;
using axion::sdk::BrokerPosition;
using axion::sdk::Config;
using axion::sdk::Error;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::kNoBound;
using axion::sdk::Order;
using axion::sdk::OrderResult;

const KeySpec kKeys[] = {
    {"base_url", KeyType::String, "\"https://paper-api.alpaca.markets\"",
     "Trading API base URL: Alpaca's paper environment by default; https://api.alpaca.markets "
     "trades real money. http:// only for a loopback stand-in"},
    {"timeout_ms", KeyType::Int, "10000", "Whole-request timeout in milliseconds", 100, 120000},
    {"connect_timeout_ms", KeyType::Int, "5000", "Connection timeout in milliseconds", 100, 60000},
    {"ca_file", KeyType::Path, "\"\"", "CA bundle to verify TLS against; empty = the system store"},
    {"stream_url", KeyType::String, "\"\"",
     "trade_updates stream URL; empty = base_url's host with wss:// and /stream. ws:// only for a "
     "loopback stand-in"},
    {"stream_idle_timeout_ms", KeyType::Int, "20000",
     "A quiet stream is pinged after half of this; one silent for all of it is dropped and "
     "reconnected (a half-open socket would hold the account's only stream)",
     200, 600000},
    {"poll_interval_ms", KeyType::Int, "10000",
     "How often a working order is asked for its state besides the stream (a safety net)", 10,
     600000},
    {"snapshot_interval_ms", KeyType::Int, "15000",
     "How often positions and account are read in the background (and after every fill)", 100, 600000},
    {"rate_budget", KeyType::String, "\"alpaca\"",
     "Name of the request budget shared with the other plugins of this account (the feed)"},
    {"rate_limit_per_minute", KeyType::Int, "200", "Requests the account may make per minute", 1, 100000},
};

axion::alpaca::DeskSettings settings_from(const Config& c) {
  axion::alpaca::DeskSettings s;
  s.rest.base_url = c.get_string("base_url");
  if (auto why = axion::alpaca::check_base_url(s.rest.base_url); !why.empty()) {
    throw Error("base_url " + why, "base_url");
  }
  s.rest.timeout_ms = static_cast<long>(c.get_int("timeout_ms"));
  s.rest.connect_timeout_ms = static_cast<long>(c.get_int("connect_timeout_ms"));
  s.rest.ca_file = c.get_string("ca_file");
  const auto keys = axion::alpaca::credentials_from_env("broker/alpaca");
  s.rest.key_id = keys.key_id;
  s.rest.secret_key = keys.secret_key;
  s.stream.url = c.get_string("stream_url");
  if (s.stream.url.empty()) s.stream.url = axion::alpaca::stream_url_for(s.rest.base_url);
  if (auto why = axion::alpaca::check_ws_url(s.stream.url); !why.empty()) {
    throw Error("stream_url " + why, "stream_url");
  }
  s.stream.key_id = s.rest.key_id;
  s.stream.secret_key = s.rest.secret_key;
  s.stream.ca_file = s.rest.ca_file;
  s.stream.idle_timeout_ms = c.get_int("stream_idle_timeout_ms");
  s.poll_interval_us = c.get_int("poll_interval_ms") * 1000;
  s.refresh_interval_us = c.get_int("snapshot_interval_ms") * 1000;
  s.budget = c.get_string("rate_budget");
  if (s.budget.empty()) throw Error("rate_budget must name a budget", "rate_budget");
  return s;
}

class AlpacaBroker final : public axion::sdk::Broker {
 public:
  static constexpr bool kCanTradeOptions = false;
  static constexpr bool kBrokerSideActions = true;

  AlpacaBroker(const Host& h, const Config& config) : Broker(h) {
    auto settings = settings_from(config);
    host().declare_rate_budget(settings.budget, static_cast<std::uint32_t>(config.get_int("rate_limit_per_minute")),
                               60'000'000);
    if (host().check_only()) return;  // validated; no connection for --check-config
    host().info("Alpaca broker on " + settings.rest.base_url + ", trade stream " + settings.stream.url);
    desk_ = std::make_unique<axion::alpaca::OrderDesk>(host(), std::move(settings));
  }

  OrderResult submit(const Order& order) override { return desk().submit(order); }
  std::optional<OrderResult> query_order(const std::string& cid) override { return desk().query(cid); }
  bool cancel_order(const std::string& cid) override { return desk().cancel(cid); }
  std::vector<BrokerPosition> positions() override { return desk().positions(); }
  Account account() override { return desk().account(); }
  void cancel_all() override { desk().cancel_all(); }
  void close_all() override { desk().close_all(); }
  nlohmann::json status() const override { return desk_ ? desk_->status() : nlohmann::json{{"ready", false}}; }

 private:
  axion::alpaca::OrderDesk& desk() const {
    if (!desk_) throw Error("broker/alpaca was built only to check its configuration");
    return *desk_;
  }

  std::unique_ptr<axion::alpaca::OrderDesk> desk_;
};

}  // namespace

AXION_PLUGIN(AlpacaBroker, AXION_KIND_BROKER, "alpaca", "0.1.0",
             "Alpaca Trading API v2 broker: orders sent and watched off the engine thread, never "
             "retried blindly, on the account's shared rate budget (live.md 2, 5)",
             kKeys)
