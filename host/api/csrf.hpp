// Cross-site request guard for `[api] auth = false` (issue 9 #16). Without a key, a web page the
// operator visits could otherwise POST a kill or a start to 127.0.0.1 (CSRF), or reach it under
// its own DNS name (DNS rebinding). A state-changing request (POST, PUT, DELETE, PATCH) then
// needs `Content-Type: application/json` (which a cross-site page can only send after a CORS
// preflight this server refuses), a Host header naming this server, and an Origin, when sent,
// that is this server or one of the configured CORS origins. With auth on the key is the guard.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace axion::api {

struct Request;

struct SameOrigin {
  int port = 0;                      // the bound port; 0 = unknown: every state-changing request is refused
  std::vector<std::string> hosts;    // lower-case names a Host may use ("127.0.0.1", "localhost", "[::1]")
  bool any_ip_literal = false;       // wildcard bind: any IP literal, never a DNS name (rebinding)
  std::vector<std::string> origins;  // trusted cross-origin callers: the CORS allow-list, exact match

  // The names reachable through `bind` ("127.0.0.1" ⇒ 127.0.0.1 and localhost; "0.0.0.0" or "::"
  // ⇒ any IP literal and localhost; another address ⇒ itself).
  static SameOrigin for_bind(const std::string& bind, int port, const std::vector<std::string>& cors_origins);
};

bool is_state_changing(const std::string& method);

// nullopt when `r` may proceed, else the 403 detail. Only meaningful while auth is disabled.
std::optional<std::string> same_origin_refusal(const Request& r, const SameOrigin& so);

}  // namespace axion::api
