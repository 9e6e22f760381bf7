// One websocket to Alpaca (the trade_updates stream, the market-data stream) on its own thread,
// Boost.Beast over plain TCP (loopback stand-ins only) or Asio SSL (chain and host name
// verified). It reconnects after every loss with backoff, 1 s doubling to 30 s (live.md §3),
// until its owner gives up. A connection that goes quiet is pinged; one that does not answer
// within the idle timeout is dropped: a half-open socket would otherwise hold the account's only
// slot. The protocol (what to send, what a message means) is the owner's, through Handlers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "axion/sdk/host.hpp"

namespace axion::alpaca {

struct WsSettings {
  std::string name;  // for logs, e.g. "Alpaca trade stream"
  std::string url;   // wss://host/path; ws:// only for a loopback host (a stand-in)
  std::string ca_file;                   // "" = the system store
  std::int64_t idle_timeout_ms = 20000;  // a ping after half of it without a frame; none by the end: dropped
  std::int64_t first_backoff_ms = 1000;
  std::int64_t max_backoff_ms = 30000;
};

// "" when `url` may be used, else why: wss:// anywhere, ws:// only for a loopback host.
std::string check_ws_url(std::string_view url);

class WsConnection {
 public:
  // Every handler runs on the connection's thread; one that throws is logged and ignored.
  struct Handlers {
    std::function<void()> on_open;                          // the websocket is up: say hello
    std::function<void(const std::string&)> on_message;     // one frame, text or binary
    std::function<void(const std::string& why)> on_closed;  // an opened connection ended
  };
  WsConnection(const sdk::Host& host, WsSettings settings, Handlers handlers);  // throws on a bad URL
  // Starts the thread and the first connection. Apart from the constructor: the handlers may
  // reach this object through the owner's pointer, which must be set before they run.
  void start();
  ~WsConnection();  // stop()
  // Closes the connection and joins the thread: no handler runs after it returns. Owners call
  // it first in their destructor, while everything the handlers use is still alive.
  void stop();
  WsConnection(const WsConnection&) = delete;
  WsConnection& operator=(const WsConnection&) = delete;

  // From a handler only (the connection's thread):
  void send(std::string text);            // written in order, as a text frame
  void reconnect(const std::string& why);  // drop this connection, try again after the backoff
  void give_up(const std::string& why);    // drop it and never try again (logged as an error)
  void reset_backoff();                    // the protocol reached its working state

  // From any thread.
  bool given_up() const;

 private:
  struct Session;
  std::unique_ptr<Session> session_;
};

}  // namespace axion::alpaca
