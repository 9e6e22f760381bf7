// Unauthenticated probes (control.md §1.7, §0.1): GET /health for the container healthcheck
// (200 only when every component is healthy; a killed bot is degraded, 503) and GET /metrics in
// the Prometheus text format. Anyone may call them, so neither waits for the engine thread:
// they read the published snapshot and the journal's read-only connection (issue 9 #14).
#include <sstream>
#include <string>

#include "api/v1/routes.hpp"
#include "axion/sdk/time.hpp"

namespace axion::api::v1 {

using core::json;

namespace {

struct MetricsText {
  std::string text;
  int families = 0;
};

class Prom {
 public:
  void family(const std::string& name, const char* type, const std::string& help) {
    out_ << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n";
    ++families_;
  }
  template <class T>
  void sample(const std::string& name, const T& value, const std::string& labels = "") {
    out_ << name << (labels.empty() ? "" : "{" + labels + "}") << " " << value << "\n";
  }
  void one(const std::string& name, const char* type, const std::string& help, double value) {
    family(name, type, help);
    sample(name, core::float_text(value));
  }
  MetricsText done() { return {out_.str(), families_}; }

 private:
  std::ostringstream out_;
  int families_ = 0;
};

std::string label_value(std::string s) {
  std::string out;
  for (char ch : s) {
    if (ch == '\\' || ch == '"') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}

MetricsText metrics(const core::ReadSnapshot& s, const ApiStats* stats) {
  const json& st = s.status;
  Prom p;
  p.one("axion_up", "gauge", "1 while the engine serves requests", 1);
  p.family("axion_bot_status", "gauge", "Bot status (1 for the current one)");
  for (const char* x : {"paper", "live", "paused", "stopped", "killed"}) {
    p.sample("axion_bot_status", st.value("status", "") == x ? 1 : 0, std::string("status=\"") + x + "\"");
  }
  p.one("axion_uptime_seconds", "gauge", "Seconds since engine start or the last start", st.value("uptime_seconds", 0.0));
  p.one("axion_account_equity", "gauge", "Account equity", st.value("account_equity", 0.0));
  p.one("axion_daily_pnl", "gauge", "Realized P&L today", st.value("daily_pnl", 0.0));
  p.one("axion_open_positions", "gauge", "Open positions", st.value("open_positions", 0.0));
  p.one("axion_kill_switch_active", "gauge", "1 when the persistent kill switch is active",
        st.value("kill_switch_active", false) ? 1 : 0);
  p.one("axion_bars_total", "counter", "Bars processed", static_cast<double>(s.bars));
  p.one("axion_signals_processed_total", "counter", "Signals through the pipeline", st.value("signals_processed", 0.0));
  p.one("axion_signals_executed_total", "counter", "Signals executed", st.value("signals_executed", 0.0));
  p.family("axion_rejections_total", "counter", "Pipeline rejections by stage");
  if (st.contains("rejections_by_stage") && st["rejections_by_stage"].is_object()) {
    for (auto it = st["rejections_by_stage"].begin(); it != st["rejections_by_stage"].end(); ++it) {
      p.sample("axion_rejections_total", it.value().dump(), "stage=\"" + label_value(it.key()) + "\"");
    }
  }
  p.one("axion_position_closes_total", "counter", "Positions closed", static_cast<double>(s.closes));
  if (st.contains("last_bar_time") && st["last_bar_time"].is_string()) {
    if (auto t = sdk::time::parse_iso(st["last_bar_time"].get<std::string>())) {
      p.one("axion_last_bar_timestamp_seconds", "gauge", "Close time of the newest bar (Unix seconds)",
            static_cast<double>(*t) / 1e6);
    }
  }
  // Live mode (live.md §5 "Health"): the broker's fill stream, the feed's stream, the budget.
  const json live = st.value("live", json::object());
  if (live.contains("broker") && live["broker"].is_object()) {
    const json& b = live["broker"];
    p.one("axion_broker_ready", "gauge", "1 while the live broker takes orders (its fill stream listens)",
          b.value("ready", false) ? 1 : 0);
    if (b.contains("rate_budget_remaining") && b["rate_budget_remaining"].is_number()) {
      p.family("axion_rate_budget_remaining", "gauge", "Requests left in the broker account's rolling window");
      p.sample("axion_rate_budget_remaining", b["rate_budget_remaining"].dump(),
               "budget=\"" + label_value(b.value("rate_budget", std::string())) + "\"");
    }
  }
  if (live.contains("feed") && live["feed"].is_object() && live["feed"].contains("stream")) {
    p.one("axion_feed_stream_up", "gauge", "1 while the market-data stream is subscribed",
          live["feed"].value("stream", "") == "subscribed" ? 1 : 0);
  }
  if (stats) {
    p.family("axion_http_requests_total", "counter", "REST replies by status class");
    p.sample("axion_http_requests_total", stats->status_2xx.load(), "class=\"2xx\"");
    p.sample("axion_http_requests_total", stats->status_3xx.load(), "class=\"3xx\"");
    p.sample("axion_http_requests_total", stats->status_4xx.load(), "class=\"4xx\"");
    p.sample("axion_http_requests_total", stats->status_5xx.load(), "class=\"5xx\"");
    p.one("axion_http_rate_limited_total", "counter", "REST requests refused with 429",
          static_cast<double>(stats->rate_limited.load()));
    p.one("axion_http_auth_failures_total", "counter", "REST requests refused with 401 or 403",
          static_cast<double>(stats->auth_failures.load()));
  }
  return p.done();
}

}  // namespace

void add_health_routes(Router& r, const Context& c) {
  core::Engine* e = c.engine;
  auto stats = c.stats;
  auto journal = c.journal;
  const std::string version = c.version;

  r.add({"GET", "/health", "", false,
         [e, stats, journal, version](const Request&, const Principal&) {
           ojson comp = ojson::object();
           const std::string db_error = journal ? journal->probe() : "no journal reader";
           comp["database"] = db_error.empty() ? "ok" : "error: " + db_error;
           std::shared_ptr<const core::ReadSnapshot> snap;
           try {
             snap = snapshot(e);
           } catch (const std::exception&) {
           }
           comp["bot"] = !snap ? "unavailable" : snap->status.value("kill_switch_active", false) ? "killed" : "ready";
           comp["metrics"] = snap ? "ok (" + std::to_string(metrics(*snap, stats.get()).families) + " metrics)"
                                  : "unavailable";
           bool ok = comp["database"] == "ok" && comp["bot"] == "ready" &&
                     comp["metrics"].get<std::string>().rfind("ok (", 0) == 0;
           // Live: the broker's fill stream and the feed's stream (live.md §5 "Health").
           if (snap && snap->status.contains("live") && snap->status["live"].is_object()) {
             const json& live = snap->status["live"];
             if (live.contains("broker") && live["broker"].is_object()) {
               const json& b = live["broker"];
               const bool ready = b.value("ready", false);
               comp["broker"] = ready ? "ready" : "not ready (trade stream " + b.value("trade_stream", std::string("unknown")) + ")";
               ok = ok && ready;
             }
             if (live.contains("feed") && live["feed"].is_object() && live["feed"].contains("stream")) {
               const std::string stream = live["feed"].value("stream", "");
               comp["feed"] = stream == "subscribed" ? "ok" : "stream " + stream;
               ok = ok && stream == "subscribed";
             }
           }
           ojson out = ojson::object();
           out["status"] = ok ? "ok" : "degraded";
           out["version"] = version;
           out["components"] = comp;
           return ojson_reply(ok ? 200 : 503, out);
         },
         "Health of the database, the bot (kill switch) and metrics; 503 when degraded", nullptr, {200, 503}});
  r.add({"GET", "/metrics", "", false,
         [e, stats](const Request&, const Principal&) {
           Reply reply;
           reply.body = metrics(*snapshot(e), stats.get()).text;
           reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
           return reply;
         },
         "Prometheus metrics (text format)", nullptr, {200}});
}

}  // namespace axion::api::v1
