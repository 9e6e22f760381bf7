// The REST calls the harness makes on a running engine (control.md §1): readiness, the kill
// switch, its reset and resume. Each call is one loopback connection; none throws.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace axion::crash {

class Rest {
 public:
  Rest(std::uint16_t port, std::string key) : port_(port), key_(std::move(key)) {}

  // The REST port accepts connections.
  bool listening() const;
  // GET /health answers, whatever its status (readiness).
  bool health_answers() const;

  // GET /api/v1/bot/status; nullopt when it does not answer 200 with JSON.
  std::optional<nlohmann::json> status() const;
  // POST /api/v1/bot/kill (global flatten); the HTTP status, 0 when no answer arrived.
  int kill(const std::string& reason) const;
  // Ends the global kill (if any) and resumes trading; returns what it did, for the log.
  std::string reset_and_resume() const;

 private:
  int post(const std::string& path, const std::string& body) const;
  std::uint16_t port_;
  std::string key_;
};

}  // namespace axion::crash
