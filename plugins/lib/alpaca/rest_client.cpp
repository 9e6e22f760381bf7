#include "rest_client.hpp"

#include <curl/curl.h>

#include <cctype>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace axion::alpaca {

namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::int64_t to_int(std::string_view v) {
  std::int64_t n = 0;
  bool any = false;
  for (char c : v) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    if (c < '0' || c > '9') return -1;
    n = n * 10 + (c - '0');
    any = true;
  }
  return any ? n : -1;
}

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* r = static_cast<RestResponse*>(user);
  std::string_view line(data, size * n);
  const auto colon = line.find(':');
  if (colon != std::string_view::npos) {
    const std::string name = lower(line.substr(0, colon));
    const std::string_view value = line.substr(colon + 1);
    if (name == "x-ratelimit-remaining") r->ratelimit_remaining = to_int(value);
    if (name == "x-ratelimit-reset") r->ratelimit_reset_epoch_s = to_int(value);
  }
  return size * n;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* flag = static_cast<const std::atomic<bool>*>(user);
  return flag && flag->load() ? 1 : 0;  // non-zero ends the transfer
}

RestResponse::Transport classify(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return RestResponse::Transport::Timeout;
    // Nothing was sent: the connection was never made.
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY: return RestResponse::Transport::Refused;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE: return RestResponse::Transport::Connection;
    default: return RestResponse::Transport::Other;
  }
}

}  // namespace

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_loopback_host(std::string_view host) {
  const std::string h = lower(host);
  if (h == "localhost" || h == "[::1]" || h == "::1") return true;
  return h.substr(0, 4) == "127.";
}

std::string check_base_url(std::string_view url) {
  const auto sep = url.find("://");
  if (sep == std::string_view::npos) return "'" + std::string(url) + "' is not a URL (no scheme)";
  const std::string scheme = lower(url.substr(0, sep));
  std::string_view rest = url.substr(sep + 3);
  std::string_view host = rest.substr(0, rest.find('/'));
  if (host.empty()) return "'" + std::string(url) + "' has no host";
  if (host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (scheme == "https") return "";
  if (scheme == "http") {
    if (is_loopback_host(host)) return "";
    return "'" + std::string(url) + "': http:// is allowed only for a loopback host; use https://";
  }
  return "'" + std::string(url) + "': the scheme must be https:// (or http:// on loopback)";
}

std::string RestResponse::message() const {
  if (transport != Transport::Ok) return transport_error;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("message") && j["message"].is_string()) {
    return j["message"].get<std::string>();
  }
  return body.empty() ? "HTTP " + std::to_string(status) : body.substr(0, 300);
}

struct RestClient::Curl {
  CURL* handle = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* json_headers = nullptr;
  ~Curl() {
    if (handle) curl_easy_cleanup(handle);
    curl_slist_free_all(headers);
    curl_slist_free_all(json_headers);
  }
};

RestClient::RestClient(RestSettings settings) : settings_(std::move(settings)), curl_(std::make_unique<Curl>()) {
  if (auto why = check_base_url(settings_.base_url); !why.empty()) throw std::invalid_argument(why);
  while (!settings_.base_url.empty() && settings_.base_url.back() == '/') settings_.base_url.pop_back();
  global_init();
  curl_->handle = curl_easy_init();
  if (!curl_->handle) throw std::runtime_error("libcurl could not create a handle");
  const std::string id = "APCA-API-KEY-ID: " + settings_.key_id;
  const std::string secret = "APCA-API-SECRET-KEY: " + settings_.secret_key;
  for (curl_slist** list : {&curl_->headers, &curl_->json_headers}) {
    *list = curl_slist_append(*list, id.c_str());
    *list = curl_slist_append(*list, secret.c_str());
    *list = curl_slist_append(*list, "Accept: application/json");
  }
  curl_->json_headers = curl_slist_append(curl_->json_headers, "Content-Type: application/json");
}

RestClient::~RestClient() = default;

void RestClient::redact(std::string& text) const {
  for (const std::string* key : {&settings_.secret_key, &settings_.key_id}) {
    if (key->empty()) continue;
    for (auto at = text.find(*key); at != std::string::npos; at = text.find(*key, at + 10)) {
      text.replace(at, key->size(), "[redacted]");
    }
  }
}

RestResponse RestClient::request(std::string_view method, std::string_view path, std::string_view body) {
  RestResponse r;
  CURL* h = curl_->handle;
  curl_easy_reset(h);  // options only: the connection cache (keep-alive) survives
  const std::string url = settings_.base_url + std::string(path);
  const std::string verb(method);
  const std::string payload(body);
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);  // called from plugin threads
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, settings_.timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, settings_.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!settings_.ca_file.empty()) curl_easy_setopt(h, CURLOPT_CAINFO, settings_.ca_file.c_str());
  curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
  if (verb == "POST") {
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, curl_->json_headers);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload.c_str());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  } else {
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, curl_->headers);
    if (verb != "GET") curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, verb.c_str());
  }
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &r);
  if (abort_) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(abort_));
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
  const CURLcode code = curl_easy_perform(h);
  if (code != CURLE_OK) {
    r.transport = classify(code);
    r.transport_error = std::string(verb) + " " + std::string(path) + ": " + curl_easy_strerror(code);
    r.body.clear();
    return r;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  // The body reaches logs and rejection reasons (message()): never with a key in it, whatever
  // a proxy or an error page echoes back.
  redact(r.body);
  return r;
}

}  // namespace axion::alpaca
