// One HTTP connection to Alpaca's REST API on libcurl (keep-alive, timeouts, proxy settings from
// the standard environment, TLS verified against the system store or a given CA file). Not
// thread-safe: each thread that talks to Alpaca owns its own client.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace axion::alpaca {

struct RestSettings {
  std::string base_url;  // e.g. "https://paper-api.alpaca.markets" (no trailing slash needed)
  std::string key_id;
  std::string secret_key;
  long timeout_ms = 10000;
  long connect_timeout_ms = 5000;
  std::string ca_file;  // "" = the system store
};

// "" when `url` may be used: https:// anywhere, http:// only for a loopback host (a stand-in).
std::string check_base_url(std::string_view url);
// The rule behind it (and behind ws:// for the stream): localhost, 127.x.x.x, ::1.
bool is_loopback_host(std::string_view host);
std::string lower(std::string_view s);  // ASCII

struct RestResponse {
  // What went wrong below HTTP: nothing reached an answer. `Timeout` and `Connection` mean the
  // request may or may not have been acted upon; `Refused` means it never left.
  enum class Transport { Ok, Timeout, Connection, Refused, Other };
  Transport transport = Transport::Ok;
  std::string transport_error;  // libcurl's text, when transport != Ok
  long status = 0;              // HTTP status when transport == Ok
  std::string body;
  // Rate-limit headers, -1 when absent.
  std::int64_t ratelimit_remaining = -1;
  std::int64_t ratelimit_reset_epoch_s = -1;

  bool ok() const { return transport == Transport::Ok && status >= 200 && status < 300; }
  // Alpaca's {"code","message"} error text, else the body, else the transport error.
  std::string message() const;
};

class RestClient {
 public:
  explicit RestClient(RestSettings settings);  // throws std::invalid_argument on a bad URL
  ~RestClient();
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  // `path` starts with "/" and may carry a query string.
  RestResponse get(std::string_view path) { return request("GET", path, {}); }
  RestResponse post(std::string_view path, std::string_view json_body) { return request("POST", path, json_body); }
  RestResponse del(std::string_view path) { return request("DELETE", path, {}); }
  RestResponse request(std::string_view method, std::string_view path, std::string_view body);

  const std::string& base_url() const { return settings_.base_url; }
  // While *flag is true every transfer ends at once (Transport::Other): a stopping plugin does
  // not wait out a request's timeout. An aborted POST is as ambiguous as a timeout.
  void abort_when(const std::atomic<bool>* flag) { abort_ = flag; }
  // Replaces every occurrence of the keys in `text`.
  void redact(std::string& text) const;

 private:
  struct Curl;
  RestSettings settings_;
  std::unique_ptr<Curl> curl_;
  const std::atomic<bool>* abort_ = nullptr;
};

}  // namespace axion::alpaca
