// The stand-in behind a self-signed certificate made in the test (live.md §6): HTTPS and WSS on
// one port for a client that trusts the test CA; a client that does not trust it fails the
// handshake, and the server keeps serving the others.
//
// Boost 1.74 asio needs <utility> first under C++20 on g++ 12 (deps-notes P-17).
#include <utility>

#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <catch2/catch.hpp>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "self_signed.hpp"
#include "standin.hpp"

using namespace axion::testing::alpaca;
using nlohmann::json;
namespace fs = std::filesystem;
namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using SslStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

// A fresh folder for one test's certificates, removed afterwards.
struct TempDir {
  fs::path path;
  TempDir() {
    static int n = 0;
    path = fs::temp_directory_path() /
           ("axion-standin-tls-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::create_directories(path);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// Runs one asynchronous operation to its end. The TCP layer's expiry (set at connect) bounds
// every step, so a broken server fails the test instead of hanging it.
template <class Start>
beast::error_code step(net::io_context& ioc, Start start) {
  std::optional<beast::error_code> result;
  start([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.restart();
  ioc.run();
  return result.value_or(net::error::timed_out);
}

// Verifies the chain against `ca_file` (empty: an empty store, a client that lacks the test CA)
// and the name 127.0.0.1 against the certificate, as the plugin does.
ssl::context client_context(const std::string& ca_file) {
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_peer);
  if (!ca_file.empty()) ctx.load_verify_file(ca_file);
  return ctx;
}

beast::error_code connect_tls(net::io_context& ioc, SslStream& s, std::uint16_t port) {
  auto& tcp_layer = beast::get_lowest_layer(s);
  tcp_layer.expires_after(std::chrono::seconds(10));
  const tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
  if (auto ec = step(ioc, [&](auto h) { tcp_layer.async_connect(ep, std::move(h)); })) return ec;
  s.set_verify_callback(ssl::host_name_verification("127.0.0.1"));
  return step(ioc, [&](auto h) { s.async_handshake(ssl::stream_base::client, std::move(h)); });
}

struct Answer {
  beast::error_code ec;  // the first step that failed
  int status = 0;
  std::string body;
};

Answer https_get(std::uint16_t port, const std::string& ca_file, const std::string& target) {
  net::io_context ioc;
  ssl::context ctx = client_context(ca_file);
  SslStream s(ioc, ctx);
  Answer a;
  if ((a.ec = connect_tls(ioc, s, port))) return a;
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  req.set("APCA-API-KEY-ID", "PKTESTKEY");
  req.set("APCA-API-SECRET-KEY", "test-secret-value");
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  if ((a.ec = step(ioc, [&](auto h) { http::async_write(s, req, std::move(h)); }))) return a;
  if ((a.ec = step(ioc, [&](auto h) { http::async_read(s, buffer, res, std::move(h)); })))
    return a;
  a.status = static_cast<int>(res.result_int());
  a.body = res.body();
  return a;
}

// Opens wss://127.0.0.1:<port><path>, sends `message` and returns the first message read.
Answer wss_first_answer(std::uint16_t port, const std::string& ca_file, const std::string& message,
                        const std::string& path = "/stream") {
  net::io_context ioc;
  ssl::context ctx = client_context(ca_file);
  websocket::stream<SslStream> ws(ioc, ctx);
  Answer a;
  if ((a.ec = connect_tls(ioc, ws.next_layer(), port))) return a;
  if ((a.ec = step(ioc, [&](auto h) {
         ws.async_handshake("127.0.0.1:" + std::to_string(port), path, std::move(h));
       })))
    return a;
  if ((a.ec = step(ioc, [&](auto h) { ws.async_write(net::buffer(message), std::move(h)); })))
    return a;
  beast::flat_buffer buffer;
  if ((a.ec = step(ioc, [&](auto h) { ws.async_read(buffer, std::move(h)); }))) return a;
  a.body = beast::buffers_to_string(buffer.data());
  return a;
}

const std::string kAuth =
    json{{"action", "authenticate"},
         {"data", {{"key_id", "PKTESTKEY"}, {"secret_key", "test-secret-value"}}}}
        .dump();

}  // namespace

TEST_CASE("with a certificate the stand-in speaks HTTPS and WSS to a client that trusts its CA") {
  TempDir dir;
  const TestPki pki = make_test_pki(dir.path);
  StandInOptions options;
  options.tls_cert_file = pki.cert_file;
  options.tls_key_file = pki.key_file;
  StandIn s(options);
  const std::string port = std::to_string(s.port());
  CHECK(s.base_url() == "https://127.0.0.1:" + port);
  CHECK(s.stream_url() == "wss://127.0.0.1:" + port + "/stream");

  const Answer rest = https_get(s.port(), pki.ca_file, "/v2/account");
  INFO(rest.ec.message());
  REQUIRE_FALSE(rest.ec);
  CHECK(rest.status == 200);
  CHECK(json::parse(rest.body)["status"] == "ACTIVE");

  const Answer stream = wss_first_answer(s.port(), pki.ca_file, kAuth);
  INFO(stream.ec.message());
  REQUIRE_FALSE(stream.ec);
  CHECK(json::parse(stream.body)["data"]["status"] == "authorized");

  // Market data on the same port: HTTPS bars, and the WSS stream's greeting.
  CHECK(s.data_url() == "https://127.0.0.1:" + port);
  CHECK(s.data_stream_url() == "wss://127.0.0.1:" + port + "/v2/iex");
  s.add_history("1Min", {BarRecord{"AAPL", 1704292200000000, 185, 186, 184, 185.5, 1000}});
  const Answer bars =
      https_get(s.port(), pki.ca_file, "/v2/stocks/bars?symbols=AAPL&timeframe=1Min");
  INFO(bars.ec.message());
  REQUIRE_FALSE(bars.ec);
  CHECK(bars.status == 200);
  CHECK(json::parse(bars.body)["bars"]["AAPL"][0]["t"] == "2024-01-03T14:30:00Z");
  const Answer data = wss_first_answer(
      s.port(), pki.ca_file, R"({"action":"auth","key":"PKTESTKEY","secret":"test-secret-value"})",
      "/v2/iex");
  INFO(data.ec.message());
  REQUIRE_FALSE(data.ec);
  CHECK(json::parse(data.body) == json::parse(R"([{"T":"success","msg":"connected"}])"));
}

TEST_CASE("a client that does not trust the certificate fails the handshake, others are still served") {
  TempDir dir;
  const TestPki pki = make_test_pki(dir.path);
  StandInOptions options;
  options.tls_cert_file = pki.cert_file;
  options.tls_key_file = pki.key_file;
  StandIn s(options);

  for (int i = 0; i < 3; ++i) {  // several refusals in a row: the server survives each
    const Answer rest = https_get(s.port(), "", "/v2/account");
    CHECK(rest.ec.category() == net::error::get_ssl_category());
    CHECK_THAT(rest.ec.message(), Catch::Contains("certificate verify failed"));
    const Answer stream = wss_first_answer(s.port(), "", kAuth);
    CHECK_THAT(stream.ec.message(), Catch::Contains("certificate verify failed"));
  }
  // Another test CA (same names, other keys) is no better than none.
  TempDir other_dir;
  const TestPki other = make_test_pki(other_dir.path);
  CHECK_THAT(https_get(s.port(), other.ca_file, "/v2/account").ec.message(),
             Catch::Contains("certificate verify failed"));
  CHECK(s.requests().empty());  // no refused connection reached the API

  const Answer rest = https_get(s.port(), pki.ca_file, "/v2/clock");
  INFO(rest.ec.message());
  REQUIRE_FALSE(rest.ec);
  CHECK(rest.status == 200);
  const Answer stream = wss_first_answer(s.port(), pki.ca_file, kAuth);
  INFO(stream.ec.message());
  REQUIRE_FALSE(stream.ec);
  CHECK(json::parse(stream.body)["data"]["status"] == "authorized");
}
