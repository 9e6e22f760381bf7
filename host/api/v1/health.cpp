// Unauthenticated probes (control.md §1.7, §0.1): GET /health for the container healthcheck
// (200 only when every component is healthy; a killed bot is degraded, 503) and GET /metrics in
// the Prometheus text format.
#include <sstream>
#include <string>

#include "api/v1/routes.hpp"

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

MetricsText metrics(core::Engine* e, const ApiStats* stats) {
  struct Snap {
    json status;
    core::EngineCounters counters;
  };
  auto s = e->call([&] { return Snap{e->status_json(), e->counters()}; });
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
  p.one("axion_bars_total", "counter", "Bars processed", static_cast<double>(s.counters.bars));
  p.one("axion_signals_processed_total", "counter", "Signals through the pipeline", st.value("signals_processed", 0.0));
  p.one("axion_signals_executed_total", "counter", "Signals executed", st.value("signals_executed", 0.0));
  p.family("axion_rejections_total", "counter", "Pipeline rejections by stage");
  if (st.contains("rejections_by_stage") && st["rejections_by_stage"].is_object()) {
    for (auto it = st["rejections_by_stage"].begin(); it != st["rejections_by_stage"].end(); ++it) {
      p.sample("axion_rejections_total", it.value().dump(), "stage=\"" + label_value(it.key()) + "\"");
    }
  }
  p.one("axion_position_closes_total", "counter", "Positions closed", static_cast<double>(s.counters.closes));
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
  const std::string version = c.version;

  r.add({"GET", "/health", "", false,
         [e, stats, version](const Request&, const core::Principal&) {
           ojson comp = ojson::object();
           try {
             e->call([&] { return e->journal().result_count("all"); });
             comp["database"] = "ok";
           } catch (const std::exception& ex) {
             comp["database"] = std::string("error: ") + ex.what();
           }
           try {
             comp["bot"] = e->call([&] { return e->state().kill_switch_active(); }) ? "killed" : "ready";
           } catch (const std::exception&) {
             comp["bot"] = "unavailable";
           }
           try {
             comp["metrics"] = "ok (" + std::to_string(metrics(e, stats.get()).families) + " metrics)";
           } catch (const std::exception&) {
             comp["metrics"] = "unavailable";
           }
           bool ok = comp["database"] == "ok" && comp["bot"] == "ready" &&
                     comp["metrics"].get<std::string>().rfind("ok (", 0) == 0;
           ojson out = ojson::object();
           out["status"] = ok ? "ok" : "degraded";
           out["version"] = version;
           out["components"] = comp;
           return ojson_reply(ok ? 200 : 503, out);
         },
         "Health of the database, the bot (kill switch) and metrics; 503 when degraded", nullptr, {200, 503}});
  r.add({"GET", "/metrics", "", false,
         [e, stats](const Request&, const core::Principal&) {
           Reply reply;
           reply.body = metrics(e, stats.get()).text;
           reply.content_type = "text/plain; version=0.0.4; charset=utf-8";
           return reply;
         },
         "Prometheus metrics (text format)", nullptr, {200}});
}

}  // namespace axion::api::v1
