#include "load_http.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

namespace axion::bench::load {

namespace {

std::string errno_kind(int err, const char* what) {
  switch (err) {
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ETIMEDOUT:
      return "timeout";
    case ECONNRESET:
      return "reset";
    case EPIPE:
      return "closed_by_server";
    case ECONNREFUSED:
      return "connect_refused";
    default:
      return std::string(what) + "_failed(" + std::strerror(err) + ")";
  }
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The value of one header in a response head (names compared case-insensitively), or "".
std::string header_value(std::string_view head, std::string_view name) {
  std::size_t pos = head.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < head.size()) {
    pos += 2;
    auto end = head.find("\r\n", pos);
    auto line = head.substr(pos, end == std::string_view::npos ? head.size() - pos : end - pos);
    auto colon = line.find(':');
    if (colon != std::string_view::npos && lower(line.substr(0, colon)) == name) {
      auto v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
      return lower(v);
    }
    pos = end;
  }
  return "";
}

}  // namespace

KeepAliveClient::KeepAliveClient(std::uint16_t port, std::string api_key, std::chrono::milliseconds timeout)
    : port_(port), api_key_(std::move(api_key)), timeout_(timeout) {}

KeepAliveClient::~KeepAliveClient() { drop(); }

void KeepAliveClient::drop() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buf_.clear();
}

std::string KeepAliveClient::connect() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return errno_kind(errno, "socket");
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout_.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout_.count() % 1000) * 1000);
  ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);  // also bounds connect()
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port_);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    const int err = errno;
    drop();
    return err == ECONNREFUSED ? "connect_refused" : "connect_" + errno_kind(err, "connect");
  }
  ++connects_;
  return "";
}

std::string KeepAliveClient::fill() {
  char tmp[65536];
  const auto n = ::recv(fd_, tmp, sizeof tmp, 0);
  if (n == 0) return "closed_by_server";
  if (n < 0) return errno_kind(errno, "recv");
  buf_.append(tmp, static_cast<std::size_t>(n));
  return "";
}

HttpResult KeepAliveClient::get(const std::string& target) {
  HttpResult r;
  if (fd_ < 0) {
    if (auto e = connect(); !e.empty()) {
      r.error = e;
      return r;
    }
  }
  std::string req = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  if (!api_key_.empty()) req += "X-API-Key: " + api_key_ + "\r\n";
  req += "\r\n";
  std::size_t off = 0;
  while (off < req.size()) {
    const auto n = ::send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) {
      r.error = errno_kind(errno, "send");
      drop();
      return r;
    }
    off += static_cast<std::size_t>(n);
  }
  auto fail = [&](std::string kind) {
    r.error = std::move(kind);
    r.status = 0;
    drop();
    return r;
  };
  std::size_t head_end;
  while ((head_end = buf_.find("\r\n\r\n")) == std::string::npos) {
    if (auto e = fill(); !e.empty()) return fail(e);
  }
  const std::string head = buf_.substr(0, head_end);
  buf_.erase(0, head_end + 4);
  // "HTTP/1.1 200 OK"
  const auto sp = head.find(' ');
  if (sp == std::string::npos || head.size() < sp + 4 ||
      std::from_chars(head.data() + sp + 1, head.data() + sp + 4, r.status).ec != std::errc()) {
    return fail("bad_status_line");
  }
  const std::string length = header_value(head, "content-length");
  const bool chunked = header_value(head, "transfer-encoding").find("chunked") != std::string::npos;
  const bool close_after = header_value(head, "connection") == "close";
  if (chunked) {
    // <hex size>\r\n<data>\r\n … 0\r\n\r\n
    for (;;) {
      std::size_t eol;
      while ((eol = buf_.find("\r\n")) == std::string::npos) {
        if (auto e = fill(); !e.empty()) return fail(e);
      }
      std::size_t size = 0;
      if (std::from_chars(buf_.data(), buf_.data() + eol, size, 16).ec != std::errc()) return fail("bad_chunk");
      while (buf_.size() < eol + 2 + size + 2) {
        if (auto e = fill(); !e.empty()) return fail(e);
      }
      r.body.append(buf_, eol + 2, size);
      buf_.erase(0, eol + 2 + size + 2);
      if (size == 0) break;
    }
  } else if (!length.empty()) {
    std::size_t len = 0;
    if (std::from_chars(length.data(), length.data() + length.size(), len).ec != std::errc()) {
      return fail("bad_content_length");
    }
    while (buf_.size() < len) {
      if (auto e = fill(); !e.empty()) return fail(e);
    }
    r.body = buf_.substr(0, len);
    buf_.erase(0, len);
  } else {
    // No framing: the body runs to the end of the stream.
    for (;;) {
      auto e = fill();
      if (e == "closed_by_server") break;
      if (!e.empty()) return fail(e);
    }
    r.body.swap(buf_);
    drop();
    return r;
  }
  if (close_after) drop();
  return r;
}

}  // namespace axion::bench::load
