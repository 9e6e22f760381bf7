// addon/ws: the /ws/bot WebSocket stream (control.md §4), built only on public host services
// like any third-party add-on: one engine event subscription fanned out to every client, and
// the host's "verify_token" query for authentication.
#include <algorithm>
#include <memory>
#include <mutex>

#include "axion/sdk/plugin.hpp"
#include "hub.hpp"
#include "server.hpp"

namespace axion::plugins::ws {
namespace {

using sdk::KeySpec;
using sdk::KeyType;

// The TOML keys, declared once (README.md mirrors this table).
constexpr KeySpec kKeys[] = {
    {"bind", KeyType::String, "\"127.0.0.1\"", "address to listen on (0.0.0.0 in a container)"},
    {"port", KeyType::Int, "8001", "TCP port of the WebSocket server", 1, 65535},
    {"path", KeyType::String, "\"/ws/bot\"", "URL path of the stream; other paths answer 404"},
    {"max_connections_per_user", KeyType::Int, "5",
     "open connections one user_id may hold across the process", 1, 100000},
    {"replay_buffer_events", KeyType::Int, "10000",
     "most recent events kept for resuming with ?since=N (0 = no resume)", 0, 10000000},
    {"max_queued_frames", KeyType::Int, "1000",
     "frames waiting to be sent to one client before it is closed with 4008", 1, 10000000},
    {"max_subscriptions_per_connection", KeyType::Int, "50", "channel subscriptions per connection", 1,
     100000},
    {"heartbeat_interval_seconds", KeyType::Int, "30",
     "how often heartbeat staleness (and token validity) is checked", 1, 86400},
    {"heartbeat_timeout_seconds", KeyType::Int, "90",
     "a client that sent no heartbeat for this long is closed with 4000", 1, 86400},
    {"message_rate_limit", KeyType::Int, "100", "client messages per second per connection", 1, 1000000},
    {"io_threads", KeyType::Int, "1", "threads serving the sockets", 1, 64},
    {"max_connections", KeyType::Int, "1024",
     "open sockets of all users (authenticated or not); more are answered HTTP 503", 1, 1000000},
    {"max_message_bytes", KeyType::Int, "65536",
     "largest client message once authenticated; a larger one closes the connection with 1009", 256,
     16777216},
    {"auth_timeout_seconds", KeyType::Int, "5",
     "time a connection without a token has to send {\"action\":\"auth\",\"token\":…}, else 4001", 1, 300},
};

bool has_read_scope(const nlohmann::json& scopes) {
  if (!scopes.is_array()) return false;
  return std::any_of(scopes.begin(), scopes.end(), [](const nlohmann::json& s) {
    return s == "read" || s == "write" || s == "admin";  // admin grants all, write implies read
  });
}

AuthResult refuse(std::uint16_t code, std::string reason) {
  AuthResult r;
  r.close_code = code;
  r.close_reason = std::move(reason);
  return r;
}

class WsAddon final : public sdk::Addon {
 public:
  WsAddon(const sdk::Host& host, const sdk::Config& cfg) : Addon(host) {
    options_.bind = cfg.get_string("bind");
    if (!Server::valid_address(options_.bind)) {
      throw sdk::Error("bind must be an IP address such as 127.0.0.1 or 0.0.0.0, got '" + options_.bind + "'",
                       "bind");
    }
    options_.port = static_cast<std::uint16_t>(cfg.get_int("port"));
    options_.path = cfg.get_string("path");
    if (options_.path.empty() || options_.path.front() != '/' ||
        options_.path.find_first_of("?# ") != std::string::npos) {
      throw sdk::Error("path must start with '/' and contain no '?', '#' or space, got '" + options_.path + "'",
                       "path");
    }
    options_.io_threads = static_cast<int>(cfg.get_int("io_threads"));
    options_.tick_interval = std::chrono::seconds(cfg.get_int("heartbeat_interval_seconds"));
    options_.max_connections = static_cast<std::size_t>(cfg.get_int("max_connections"));
    options_.max_message_bytes = static_cast<std::size_t>(cfg.get_int("max_message_bytes"));
    options_.auth_timeout = std::chrono::seconds(cfg.get_int("auth_timeout_seconds"));
    limits_.max_connections_per_user = static_cast<std::size_t>(cfg.get_int("max_connections_per_user"));
    limits_.replay_buffer_events = static_cast<std::size_t>(cfg.get_int("replay_buffer_events"));
    limits_.max_queued_frames = static_cast<std::size_t>(cfg.get_int("max_queued_frames"));
    limits_.max_subscriptions_per_connection =
        static_cast<std::size_t>(cfg.get_int("max_subscriptions_per_connection"));
    limits_.heartbeat_timeout = std::chrono::seconds(cfg.get_int("heartbeat_timeout_seconds"));
    limits_.message_rate_limit = static_cast<std::size_t>(cfg.get_int("message_rate_limit"));
  }

  ~WsAddon() override { stop(); }

  void start() override {
    std::lock_guard lock(lifecycle_mu_);
    if (server_) return;
    hub_ = std::make_unique<Hub>(limits_);
    Hub* hub = hub_.get();
    // since = 0: the host first replays what it still buffers, so a client resuming right after
    // this add-on (re)started is served too; then the live stream. The handler runs on the
    // publishing thread and only appends to bounded queues.
    subscription_ = host().subscribe_events(
        0, [hub](std::int64_t seq, std::string_view channel, std::string_view envelope) {
          hub->on_event(seq, channel, envelope);
        });
    if (!subscription_.valid()) {
      hub_.reset();
      throw sdk::Error("addon/ws: the host offers no event stream (subscribe_events refused)");
    }
    auto server = std::make_unique<Server>(
        options_, *hub_, [this](const ConnectParams& p) { return authenticate(p); },
        [this] { on_tick(); });
    try {
      server->start();
    } catch (...) {
      subscription_.reset();
      hub_.reset();
      throw;
    }
    server_ = std::move(server);
    host().info("addon/ws listening on ws://" + options_.bind + ":" + std::to_string(options_.port) +
                options_.path);
  }

  void stop() override {
    std::lock_guard lock(lifecycle_mu_);
    if (!server_) return;
    subscription_.reset();  // first: after this the engine never calls into the hub again
    server_->stop();        // joins the I/O threads; every connection is dropped
    server_.reset();
    hub_.reset();
  }

 private:
  // On an I/O thread, once per connect (§4.2), and again when a first-message token arrives.
  AuthResult authenticate(const ConnectParams& p) {
    nlohmann::json args = nlohmann::json::object();
    if (p.token) args["token"] = *p.token;
    const auto answer = host().query("verify_token", args);
    if (!answer || !answer->is_object()) {
      // No answer: refuse rather than let anyone in (fail closed).
      warn_once("addon/ws: the host answered no verify_token query; refusing connections");
      return refuse(kCloseAuth, "Invalid or expired token");
    }
    if (answer->value("auth", true) == false) {
      AuthResult r;
      r.ok = true;
      r.user_id = p.user_id && !p.user_id->empty() ? *p.user_id : "anonymous";
      return r;
    }
    if (!p.token || p.token->empty()) {
      // Not yet a refusal: the first message may bring the token (a URL's ends up in logs).
      AuthResult r = refuse(kCloseAuth, "Missing authentication token");
      r.pending = true;
      return r;
    }
    if (answer->value("ok", false) != true) return refuse(kCloseAuth, "Invalid or expired token");
    if (!has_read_scope(answer->value("scopes", nlohmann::json::array()))) {
      return refuse(kCloseScope, "Insufficient scope \u2014 requires 'read'");
    }
    AuthResult r;
    r.ok = true;
    r.user_id = answer->value("user_id", "");
    r.key_id = answer->value("key_id", "");
    r.token = *p.token;
    return r;
  }

  // On an I/O thread every heartbeat_interval_seconds: stale heartbeats, and keys that expired
  // or were revoked without an api_key_revoked event reaching us.
  void on_tick() {
    hub_->sweep_heartbeats(std::chrono::steady_clock::now());
    for (const auto& token : hub_->open_tokens()) {
      const auto answer = host().query("verify_token", {{"token", token}});
      if (!answer || !answer->is_object()) continue;  // no answer now: keep the connection
      if (answer->value("auth", true) == false) continue;
      if (answer->value("ok", false) != true || !has_read_scope(answer->value("scopes", nlohmann::json()))) {
        hub_->close_token(token, kCloseAuth, "Invalid or expired token");
      }
    }
  }

  void warn_once(const std::string& msg) {
    std::call_once(warned_, [&] { host().warn(msg); });
  }

  ServerOptions options_;
  Limits limits_;
  std::mutex lifecycle_mu_;
  std::unique_ptr<Hub> hub_;
  sdk::Host::EventSubscription subscription_;
  std::unique_ptr<Server> server_;
  std::once_flag warned_;
};

}  // namespace
}  // namespace axion::plugins::ws

AXION_PLUGIN(axion::plugins::ws::WsAddon, AXION_KIND_ADDON, "ws", "1.0.0",
             "the /ws/bot WebSocket event stream (control.md \u00a74)", axion::plugins::ws::kKeys)
