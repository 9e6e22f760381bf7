#include "rest_ops.hpp"

#include "http_client.hpp"

namespace axion::crash {

using axion::test::http;
using nlohmann::json;

bool Rest::listening() const {
  try {
    axion::test::HttpConnection c(port_);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

bool Rest::health_answers() const {
  try {
    return http(port_, "GET", "/health").status > 0;
  } catch (const std::exception&) {
    return false;
  }
}

std::optional<json> Rest::status() const {
  try {
    auto r = http(port_, "GET", "/api/v1/bot/status", std::nullopt, {{"X-API-Key", key_}});
    if (r.status != 200) return std::nullopt;
    auto j = json::parse(r.body, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

int Rest::post(const std::string& path, const std::string& body) const {
  try {
    return http(port_, "POST", path, body, {{"X-API-Key", key_}}).status;
  } catch (const std::exception&) {
    return 0;
  }
}

int Rest::kill(const std::string& reason) const {
  json body = {{"reason", reason}, {"level", "flatten"}, {"scope", "global"}};
  return post("/api/v1/bot/kill", body.dump());
}

std::string Rest::reset_and_resume() const {
  auto s = status();
  if (!s) return "status unavailable";
  std::string did;
  if (s->value("kill_switch_active", false)) {
    // Resume at once: a kill that persists (a mismatch) may come back before a second look.
    did = "reset " + std::to_string(post("/api/v1/bot/kill/reset", "{}")) + ", resume " +
          std::to_string(post("/api/v1/bot/resume", "{}"));
  } else if (s->value("status", "") == "paused") {
    did = "resume " + std::to_string(post("/api/v1/bot/resume", "{}"));
  }
  return did;
}

}  // namespace axion::crash
