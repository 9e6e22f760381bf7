#include "http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <stdexcept>

namespace axion::test {

namespace {
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

nlohmann::json HttpResponse::json() const { return nlohmann::json::parse(body); }

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? "" : it->second;
}

bool HttpResponse::has(const std::string& name) const { return headers.count(lower(name)) > 0; }

HttpConnection::HttpConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  timeval tv{30, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd_);
    throw std::runtime_error("connect failed on port " + std::to_string(port));
  }
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void HttpConnection::send_raw(const std::string& raw) {
  std::size_t off = 0;
  while (off < raw.size()) {
    auto n = ::send(fd_, raw.data() + off, raw.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may stop reading (413): what it answered is still readable
    off += static_cast<std::size_t>(n);
  }
}

HttpResponse HttpConnection::read_response() {
  auto fill = [&]() {
    char tmp[65536];
    auto n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  };
  std::size_t end;
  while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill()) throw std::runtime_error("connection closed before a response: '" + buf_ + "'");
  }
  HttpResponse r;
  std::string head = buf_.substr(0, end);
  buf_.erase(0, end + 4);
  std::size_t line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  r.status = std::stoi(status_line.substr(status_line.find(' ') + 1, 3));
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    auto line = head.substr(pos, e - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      auto value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      r.headers[lower(line.substr(0, colon))] = value;
    }
    pos = e + 2;
  }
  if (r.has("content-length")) {
    auto len = static_cast<std::size_t>(std::stoul(r.header("content-length")));
    while (buf_.size() < len) {
      if (!fill()) break;
    }
    r.body = buf_.substr(0, len);
    buf_.erase(0, std::min(len, buf_.size()));
  } else {
    while (fill()) {
    }
    r.body = buf_;
    buf_.clear();
  }
  return r;
}

HttpResponse HttpConnection::roundtrip(const std::string& raw) {
  send_raw(raw);
  return read_response();
}

bool HttpConnection::peer_closed() {
  char c;
  auto n = ::recv(fd_, &c, 1, 0);
  return n == 0;
}

std::string build_request(const std::string& method, const std::string& path, const std::optional<std::string>& body,
                          const Headers& headers, bool keep_alive) {
  std::string req = method + " " + path + " HTTP/1.1\r\n";
  bool has_host = false;
  for (const auto& [k, v] : headers) has_host = has_host || lower(k) == "host";
  if (!has_host) req += "Host: 127.0.0.1\r\n";
  if (!keep_alive) req += "Connection: close\r\n";
  for (const auto& [k, v] : headers) req += k + ": " + v + "\r\n";
  if (body) {
    req += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body->size()) + "\r\n";
  }
  req += "\r\n";
  if (body) req += *body;
  return req;
}

HttpResponse http(std::uint16_t port, const std::string& method, const std::string& path,
                  const std::optional<std::string>& body, const Headers& headers) {
  HttpConnection c(port);
  // As a browser or curl would send it: the Host names the port too (the cross-site guard checks it).
  Headers all = headers;
  bool has_host = false;
  for (const auto& [k, v] : headers) has_host = has_host || lower(k) == "host";
  if (!has_host) all.emplace_back("Host", "127.0.0.1:" + std::to_string(port));
  return c.roundtrip(build_request(method, path, body, all));
}

}  // namespace axion::test
