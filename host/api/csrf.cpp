#include "api/csrf.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

#include "api/http.hpp"

namespace axion::api {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

bool is_ipv4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}

bool is_ipv6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

// "name:port" or "[v6]:port" ⇒ (lower-case name as a Host writes it, port); nullopt when the
// port is missing or not a number.
struct HostPort {
  std::string name;
  int port = 0;
};

std::optional<HostPort> split_host(const std::string& raw) {
  const std::string s = lower(trim(raw));
  std::size_t colon;
  if (!s.empty() && s.front() == '[') {
    auto close = s.find(']');
    if (close == std::string::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
    colon = close + 1;
  } else {
    colon = s.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
  }
  HostPort hp;
  hp.name = s.substr(0, colon);
  const char* first = s.data() + colon + 1;
  const char* last = s.data() + s.size();
  auto [p, ec] = std::from_chars(first, last, hp.port);
  if (ec != std::errc() || p != last || first == last || hp.name.empty()) return std::nullopt;
  return hp;
}

bool name_allowed(const std::string& name, const SameOrigin& so) {
  if (std::find(so.hosts.begin(), so.hosts.end(), name) != so.hosts.end()) return true;
  if (!so.any_ip_literal) return false;
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') return is_ipv6(name.substr(1, name.size() - 2));
  return is_ipv4(name);
}

bool host_allowed(const std::string& host, const SameOrigin& so) {
  auto hp = split_host(host);
  return hp && hp->port == so.port && name_allowed(hp->name, so);
}

bool origin_allowed(const std::string& origin, const SameOrigin& so) {
  const std::string o = trim(origin);
  if (std::find(so.origins.begin(), so.origins.end(), o) != so.origins.end() && o != "*") return true;
  const std::string l = lower(o);
  for (const char* scheme : {"http://", "https://"}) {
    const std::string sch = scheme;
    if (l.rfind(sch, 0) != 0) continue;
    std::string rest = l.substr(sch.size());
    if (rest.find('/') != std::string::npos) return false;  // an Origin is scheme://host[:port] only
    // A default port is omitted from an Origin.
    if (!split_host(rest)) rest += sch == "http://" ? ":80" : ":443";
    return host_allowed(rest, so);
  }
  return false;  // "null" (sandboxed frames, file://) and anything else
}

}  // namespace

SameOrigin SameOrigin::for_bind(const std::string& bind, int port, const std::vector<std::string>& cors_origins) {
  SameOrigin so;
  so.port = port;
  so.origins = cors_origins;
  const std::string b = lower(trim(bind));
  if (b.empty() || b == "0.0.0.0" || b == "::") {
    so.any_ip_literal = true;
    so.hosts = {"localhost"};
  } else if (is_ipv6(b)) {
    so.hosts = {"[" + b + "]"};
    if (b == "::1") so.hosts.push_back("localhost");
  } else {
    so.hosts = {b};
    if (b.rfind("127.", 0) == 0) so.hosts.push_back("localhost");
  }
  return so;
}

bool is_state_changing(const std::string& method) {
  return method == "POST" || method == "PUT" || method == "DELETE" || method == "PATCH";
}

std::optional<std::string> same_origin_refusal(const Request& r, const SameOrigin& so) {
  const std::string prefix = "Cross-site request refused \u2014 with API auth disabled, ";
  auto type = r.header("content-type").value_or("");
  auto semi = type.find(';');
  if (lower(trim(type.substr(0, semi))) != "application/json") {
    return prefix + "state-changing requests need Content-Type: application/json";
  }
  auto host = r.header("host");
  if (!host || !host_allowed(*host, so)) {
    const std::string example = so.hosts.empty() ? "127.0.0.1" : so.hosts.front();
    return prefix + "the Host header must name this server (" + example + ":" + std::to_string(so.port) + ")";
  }
  if (auto origin = r.header("origin"); origin && !origin_allowed(*origin, so)) {
    return prefix + "the Origin header must be this server or a configured CORS origin";
  }
  return std::nullopt;
}

}  // namespace axion::api
