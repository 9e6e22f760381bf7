#include "trade_stream.hpp"

#include <algorithm>

#include "rest_client.hpp"

namespace axion::alpaca {

using nlohmann::json;

std::string stream_url_for(std::string_view base_url) {
  std::string url(base_url);
  while (!url.empty() && url.back() == '/') url.pop_back();
  const std::string l = lower(url);
  if (l.rfind("https://", 0) == 0) return "wss://" + url.substr(8) + "/stream";
  if (l.rfind("http://", 0) == 0) return "ws://" + url.substr(7) + "/stream";
  return url + "/stream";
}

TradeStream::TradeStream(const sdk::Host& host, StreamSettings settings, Callbacks callbacks)
    : host_(host), settings_(std::move(settings)), callbacks_(std::move(callbacks)) {
  WsSettings ws;
  ws.name = "Alpaca trade stream";
  ws.url = settings_.url;
  ws.ca_file = settings_.ca_file;
  ws.idle_timeout_ms = settings_.idle_timeout_ms;
  ws.first_backoff_ms = settings_.first_backoff_ms;
  ws.max_backoff_ms = settings_.max_backoff_ms;
  ws_ = std::make_unique<WsConnection>(
      host_, std::move(ws),
      WsConnection::Handlers{[this] { on_open(); }, [this](const std::string& m) { on_message(m); },
                             [this](const std::string& why) { on_closed(why); }});
  ws_->start();  // only now: the handlers use ws_
}

TradeStream::~TradeStream() {
  ws_->stop();  // no handler runs after this, while ws_ is still set
  ws_.reset();
}

void TradeStream::on_open() {
  phase_ = Phase::Auth;
  // The keys travel in this message only; it is never logged.
  ws_->send(json{{"action", "authenticate"},
                 {"data", {{"key_id", settings_.key_id}, {"secret_key", settings_.secret_key}}}}
                .dump());
}

void TradeStream::on_message(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_object()) {
    host_.warn("Alpaca trade stream: a message that is not a JSON object was ignored");
    return;
  }
  const std::string stream = j.value("stream", "");
  const json data = j.value("data", json::object());
  switch (phase_) {
    case Phase::Auth: {
      if (stream != "authorization" || data.value("status", "") != "authorized") {
        const std::string why = data.value("message", data.value("status", std::string("no answer")));
        host_.error("Alpaca trade stream refused the connection (" + why +
                    "): check AXION_ALPACA_API_KEY / AXION_ALPACA_SECRET_KEY, and that no other "
                    "process holds the account's stream");
        return ws_->reconnect("not authorized: " + why);
      }
      phase_ = Phase::Listen;
      ws_->send(json{{"action", "listen"}, {"data", {{"streams", {"trade_updates"}}}}}.dump());
      return;
    }
    case Phase::Listen: {
      if (stream == "authorization") return;  // a repeat of the answer above
      const json streams = data.value("streams", json::array());
      if (stream != "listening" || !streams.is_array() ||
          std::find(streams.begin(), streams.end(), json("trade_updates")) == streams.end()) {
        return ws_->reconnect("Alpaca did not confirm listening to trade_updates: " + j.dump());
      }
      phase_ = Phase::Live;
      ws_->reset_backoff();
      listening_ = true;
      ++sessions_;
      host_.info("Alpaca trade stream listening");
      if (callbacks_.on_listening) callbacks_.on_listening();
      return;
    }
    case Phase::Live: {
      if (stream != "trade_updates") return;
      TradeUpdate u;
      try {
        u = parse_trade_update(data);
      } catch (const std::exception& e) {
        host_.warn(std::string("Alpaca trade update ignored: ") + e.what());
        return;
      }
      if (callbacks_.on_update) callbacks_.on_update(u);
      return;
    }
  }
}

void TradeStream::on_closed(const std::string& why) {
  if (!listening_.exchange(false)) return;
  host_.warn("Alpaca trade stream lost (" + why + "); reconnecting");
  if (callbacks_.on_down) callbacks_.on_down(why);
}

}  // namespace axion::alpaca
