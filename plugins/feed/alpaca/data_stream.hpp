// Alpaca's real-time market-data stream (live.md §4) on its own thread: connected, auth,
// subscribe to the symbols' bars, then minute bars to the feed. Lost connections come back with
// backoff (WsConnection); after each, the feed is told once the subscription is confirmed, so it
// can backfill the gap. Failed authentication (402), the account's one connection already taken
// (406; after a reconnection, a few retries first: it may be our own lost socket) and a plan
// without the feed (409) are not retried: they need the user.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "axion/sdk/host.hpp"
#include "bar_aggregator.hpp"
#include "ws_connection.hpp"

namespace axion::alpaca {

struct DataStreamSettings {
  std::string url;  // wss://stream.data.alpaca.markets/v2/iex
  std::string key_id;
  std::string secret_key;
  std::string ca_file;
  std::int64_t idle_timeout_ms = 20000;
  std::vector<std::string> symbols;
};

class DataStream {
 public:
  struct Callbacks {
    std::function<void(std::vector<MinuteBar>&&)> on_bars;
    std::function<void()> on_subscribed;                 // after every (re)connection
    std::function<void(const std::string&)> on_down;     // a subscribed connection was lost
    std::function<void(const std::string&)> on_fatal;    // given up: the text says what to fix
  };
  DataStream(const sdk::Host& host, DataStreamSettings settings, Callbacks callbacks);
  ~DataStream();
  DataStream(const DataStream&) = delete;
  DataStream& operator=(const DataStream&) = delete;

  bool subscribed() const { return subscribed_.load(); }
  std::uint64_t sessions() const { return sessions_.load(); }  // connections that got subscribed

 private:
  enum class Phase { Connected, Auth, Subscribe, Live };
  void on_open();
  void on_message(const std::string& text);
  void on_item(const nlohmann::json& item, std::vector<MinuteBar>& bars);
  void on_error(int code, const std::string& msg);
  void on_closed(const std::string& why);

  const sdk::Host host_;
  const DataStreamSettings settings_;
  const Callbacks callbacks_;
  Phase phase_ = Phase::Connected;  // the connection's thread only
  static constexpr int kRetries406 = 5;
  int refused_406_ = 0;  // 406s in a row after a subscribed connection (the connection's thread)
  std::atomic<bool> subscribed_{false};
  std::atomic<std::uint64_t> sessions_{0};
  std::unique_ptr<WsConnection> ws_;  // last: its thread calls the members above
};

}  // namespace axion::alpaca
