// Alpaca's trade_updates stream (live.md §3): authenticate, listen, then hand each update to the
// broker, on the stream's own thread (WsConnection: reconnects with backoff, pings, drops a
// half-open socket). After every (re)connection that reaches `listening` the broker is told, so
// it can ask for what it missed.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "alpaca_json.hpp"
#include "axion/sdk/host.hpp"
#include "ws_connection.hpp"

namespace axion::alpaca {

struct StreamSettings {
  std::string url;  // wss://host/stream; ws:// only for a loopback host (a stand-in)
  std::string key_id;
  std::string secret_key;
  std::string ca_file;                   // "" = the system store
  std::int64_t idle_timeout_ms = 20000;  // a ping after half of it without a frame; none by the end: dropped
  std::int64_t first_backoff_ms = 1000;
  std::int64_t max_backoff_ms = 30000;
};

// The stream of a Trading API base URL: https://paper-api.alpaca.markets ->
// wss://paper-api.alpaca.markets/stream (http:// -> ws://).
std::string stream_url_for(std::string_view base_url);

class TradeStream {
 public:
  struct Callbacks {
    std::function<void(const TradeUpdate&)> on_update;
    std::function<void()> on_listening;                 // after every (re)connection
    std::function<void(const std::string&)> on_down;    // a listening connection was lost
  };
  TradeStream(const sdk::Host& host, StreamSettings settings, Callbacks callbacks);
  ~TradeStream();  // closes the connection and joins the thread
  TradeStream(const TradeStream&) = delete;
  TradeStream& operator=(const TradeStream&) = delete;

  bool listening() const { return listening_.load(); }
  std::uint64_t sessions() const { return sessions_.load(); }  // connections that reached listening

 private:
  enum class Phase { Auth, Listen, Live };
  void on_open();
  void on_message(const std::string& text);
  void on_closed(const std::string& why);

  const sdk::Host host_;
  const StreamSettings settings_;
  const Callbacks callbacks_;
  Phase phase_ = Phase::Auth;  // the connection's thread only
  std::atomic<bool> listening_{false};
  std::atomic<std::uint64_t> sessions_{0};
  std::unique_ptr<WsConnection> ws_;  // last: its thread calls the members above
};

}  // namespace axion::alpaca
