// The market data stream's protocol and state (live.md §4), without any networking: the
// "connected" greeting, authentication with its timeout, the one-connection-per-key slot, bar
// subscriptions, the bars the stand-in pushes, and the scripted auth failures. Every message
// either way is a JSON array in a text frame. The connections and their queues are WsHub's; the
// websocket session (stream_session.cpp) serves /v2/iex and /v2/sip against it.
#pragma once

#include <chrono>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "standin.hpp"
#include "ws_hub.hpp"

namespace axion::testing::alpaca {

// The feeds, each a path /v2/<feed> on the stand-in's port (Alpaca:
// wss://stream.data.alpaca.markets/v2/iex and …/v2/sip). Both serve the same bars.
inline constexpr std::string_view kDataFeeds[] = {"iex", "sip"};
inline constexpr std::string_view kDataPathPrefix = "/v2/";

class DataHub : public WsHub {
 public:
  DataHub(std::string key_id, std::string secret_key, std::chrono::milliseconds auth_timeout);

  // The stand-in (under its lock): one frame per connection subscribed to some of `bars`.
  void publish_bars(const std::vector<BarRecord>& bars);

  // Scripting and inspection (any thread). drop_all, connections and received are WsHub's.
  void fail_next_auth(int code);
  std::vector<std::string> subscriptions() const;

 private:
  struct Conn;  // a WsConn with its subscriptions and auth deadline

  WsConnPtr make_conn() override;
  void on_open(WsConn& c, Clock::time_point now) override;
  void handle(WsConn& c, const std::string& text) override;
  std::optional<Clock::time_point> on_tick(WsConn& c, Clock::time_point now) override;
  void send(WsConn& c, std::string payload);
  // [{"T":"error","code":code,"msg":…}], then a close when `then_close`.
  void error(WsConn& c, int code, bool then_close);

  const std::chrono::milliseconds auth_timeout_;
  std::deque<int> fail_auth_;
};

}  // namespace axion::testing::alpaca
