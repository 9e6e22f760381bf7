// broker/alpaca over TLS (live.md §6): the stand-in behind a self-signed certificate made in the
// test, whose CA the plugin trusts through `ca_file`. Without it the system store does not trust
// that CA, and neither the REST client nor the trade stream talks to the server at all.
// (http:// to a remote host being refused is in test_alpaca_broker.cpp.)
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

#include "self_signed.hpp"
#include "test_support.hpp"

using namespace alpaca_test;
using axion::testing::alpaca::make_test_pki;
using axion::testing::alpaca::StandInOptions;
using axion::testing::alpaca::TestPki;
namespace fs = std::filesystem;

namespace {

// A stand-in serving HTTPS and WSS with a fresh test PKI in its own folder, removed afterwards.
struct TlsStandIn {
  fs::path dir = fs::temp_directory_path() /
                 ("axion-alpaca-tls-" + std::to_string(::getpid()) + "-" + std::to_string(++count));
  TestPki pki = make_test_pki(dir);
  StandIn s{options()};

  ~TlsStandIn() {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }

 private:
  static inline int count = 0;
  StandInOptions options() const {
    StandInOptions o;
    o.tls_cert_file = pki.cert_file;
    o.tls_key_file = pki.key_file;
    return o;
  }
};

bool logged(FakeHost& host, const std::string& text) {
  std::lock_guard lock(host.logs_mu);
  for (const auto& [level, line] : host.logs) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("over TLS with the test CA as ca_file, an order is sent and its fill comes over wss") {
  TlsStandIn t;
  StandIn& s = t.s;
  REQUIRE(s.base_url().rfind("https://127.0.0.1:", 0) == 0);
  set_keys();
  // Held, then filled broker-side: the POST answer says "new", and with polls every ten minutes
  // only the wss stream can bring the fill.
  s.hold_fills(true);
  FakeHost host;
  {
    PluginHarness h(kSo, host,
                    config_for(s, {{"ca_file", t.pki.ca_file}, {"poll_interval_ms", 600000}}));
    CHECK(submit(h, market("AAPL", "buy", 15, "ax-tls-entry")).status == OrderStatus::Pending);
    REQUIRE(eventually([&] { return s.order_by_client_id("ax-tls-entry").has_value(); }));
    s.fill("ax-tls-entry", 15, 183.27);
    OrderResult r = final_state(h, "ax-tls-entry");
    CHECK(r.status == OrderStatus::Filled);
    CHECK(r.filled_qty == 15);
    CHECK(r.filled_price == Approx(183.27));
  }
  CHECK(s.submits_for("ax-tls-entry") == 1);
  for (const auto& req : s.requests()) {
    INFO(req.method << " " << req.target);
    CHECK(req.target.find("by_client_order_id") == std::string::npos);  // no poll brought it
  }
  no_secret_logged(host);
}

TEST_CASE("over TLS without ca_file the system store refuses the test CA: nothing is sent") {
  TlsStandIn t;
  StandIn& s = t.s;
  set_keys();
  s.set_price("AAPL", 183.27);
  FakeHost host;
  PluginHarness h(kSo, host, config_for(s));
  // The stream tried and failed on the certificate; it keeps trying and never listens.
  REQUIRE(eventually([&] { return logged(host, "TLS handshake"); }));
  OrderResult r = h.submit(market("AAPL", "buy", 1, "ax-untrusted-entry"));
  CHECK(r.status == OrderStatus::Rejected);
  CHECK_THAT(r.rejection_reason, Catch::Contains("not listening"));
  // REST verifies too: an unknown id asked on the calling thread gets no answer at all, so it is
  // an error, not the definite "not found" a verified server's 404 would give.
  auto* vt = static_cast<const axion_broker_vtable*>(h.manifest().vtable);
  axion_order_result out{};
  axion_error err{};
  CHECK(vt->query_order(h.instance(), axion::sdk::make_str("ax-never-entry"), &out, &err) ==
        AXION_ERR);
  CHECK_THAT(std::string(err.message), Catch::Contains("certificate"));
  CHECK(s.requests().empty());  // no request ever reached the server's API
  CHECK(s.stream_connections() == 0);
  CHECK(s.submits_for("ax-untrusted-entry") == 0);
  no_secret_logged(host);
}
