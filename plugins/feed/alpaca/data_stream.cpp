#include "data_stream.hpp"

#include <algorithm>
#include <set>

#include "market_data.hpp"

namespace axion::alpaca {

using nlohmann::json;

DataStream::DataStream(const sdk::Host& host, DataStreamSettings settings, Callbacks callbacks)
    : host_(host), settings_(std::move(settings)), callbacks_(std::move(callbacks)) {
  WsSettings ws;
  ws.name = "Alpaca market-data stream";
  ws.url = settings_.url;
  ws.ca_file = settings_.ca_file;
  ws.idle_timeout_ms = settings_.idle_timeout_ms;
  ws_ = std::make_unique<WsConnection>(
      host_, std::move(ws),
      WsConnection::Handlers{[this] { on_open(); }, [this](const std::string& m) { on_message(m); },
                             [this](const std::string& why) { on_closed(why); }});
  ws_->start();  // only now: the handlers use ws_
}

DataStream::~DataStream() {
  ws_->stop();  // no handler runs after this, while ws_ is still set
  ws_.reset();
}

void DataStream::on_open() { phase_ = Phase::Connected; }  // the server speaks first

void DataStream::on_message(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    host_.warn("Alpaca market-data stream: a frame that is not JSON was ignored");
    return;
  }
  if (!j.is_array()) j = json::array({j});
  std::vector<MinuteBar> bars;
  for (const auto& item : j) {
    if (!item.is_object()) continue;
    on_item(item, bars);
    if (ws_->given_up()) return;
  }
  if (!bars.empty() && callbacks_.on_bars) callbacks_.on_bars(std::move(bars));
}

void DataStream::on_item(const json& item, std::vector<MinuteBar>& bars) {
  const std::string type = item.value("T", "");
  if (type == "error") {
    return on_error(item.value("code", 0), item.value("msg", std::string("no message")));
  }
  if (type == "success") {
    const std::string msg = item.value("msg", "");
    if (msg == "connected" && phase_ == Phase::Connected) {
      phase_ = Phase::Auth;
      // The keys travel in this message only; it is never logged.
      ws_->send(json{{"action", "auth"}, {"key", settings_.key_id}, {"secret", settings_.secret_key}}.dump());
    } else if (msg == "authenticated" && phase_ == Phase::Auth) {
      phase_ = Phase::Subscribe;
      ws_->send(json{{"action", "subscribe"}, {"bars", settings_.symbols}}.dump());
    }
    return;
  }
  if (type == "subscription") {
    if (phase_ != Phase::Subscribe) return;
    std::set<std::string> got;
    for (const auto& s : item.value("bars", json::array())) {
      if (s.is_string()) got.insert(s.get<std::string>());
    }
    for (const auto& s : settings_.symbols) {
      if (!got.count(s) && !got.count("*")) {
        return ws_->reconnect("Alpaca did not confirm the bars of " + s + ": " + item.dump());
      }
    }
    phase_ = Phase::Live;
    refused_406_ = 0;
    ws_->reset_backoff();
    subscribed_ = true;
    ++sessions_;
    host_.info("Alpaca market-data stream subscribed to the bars of " + std::to_string(settings_.symbols.size()) +
               " symbol(s)");
    if (callbacks_.on_subscribed) callbacks_.on_subscribed();
    return;
  }
  if (type == "b" && phase_ == Phase::Live) {
    try {
      MinuteBar b = parse_bar(item, item.value("S", ""));
      if (b.symbol.empty()) throw std::invalid_argument("bar without 'S'");
      if (!plausible(b)) throw std::invalid_argument("bar of " + b.symbol + " is not plausible: " + item.dump());
      bars.push_back(std::move(b));
    } catch (const std::exception& e) {
      host_.warn(std::string("Alpaca market-data bar ignored: ") + e.what());
    }
  }
  // Trades, quotes, updated ("u") and daily ("d") bars are not subscribed or not used.
}

void DataStream::on_error(int code, const std::string& msg) {
  const std::string what = "error " + std::to_string(code) + " (" + msg + ")";
  auto fatal = [&](const std::string& text) {
    ws_->give_up(what);
    if (callbacks_.on_fatal) callbacks_.on_fatal(text);
  };
  switch (code) {
    case 402:  // auth failed
      return fatal("Alpaca refused the market-data keys, " + what +
                   ": check AXION_ALPACA_API_KEY / AXION_ALPACA_SECRET_KEY");
    case 406:  // connection limit exceeded
      // After a reconnection it is most likely our own lost socket, still holding the slot
      // until Alpaca notices: asked again with backoff, a few times.
      if (sessions_.load() > 0 && ++refused_406_ <= kRetries406) {
        host_.warn("Alpaca market-data stream: " + what + "; our previous connection may still hold the slot");
        return ws_->reconnect(what);
      }
      return fatal("Alpaca refused a second market-data connection, " + what +
                   ": an account has one; stop the other process using these keys");
    case 409:  // insufficient subscription
      return fatal("Alpaca refused the market-data feed, " + what +
                   ": the account's plan does not include it (use data_feed = \"iex\")");
    case 404:  // auth timeout
    case 407:  // slow client
      return ws_->reconnect(what);
    default:
      host_.warn("Alpaca market-data stream: " + what);
      if (phase_ != Phase::Live) ws_->reconnect(what);
  }
}

void DataStream::on_closed(const std::string& why) {
  if (!subscribed_.exchange(false)) return;
  host_.warn("Alpaca market-data stream lost (" + why + "); reconnecting, the gap will be backfilled");
  if (callbacks_.on_down) callbacks_.on_down(why);
}

}  // namespace axion::alpaca
