// The REST request path without sockets: method, path, query, headers and body through the
// real api::dispatch with the real v1 routes, auth, rate limit and validation, on a paper
// engine built once per process (feed/csv GOOG, ema_cloud, paper broker) whose engine thread is
// not running, so handlers run engine work inline and deterministically.
//
// Input: one selector byte, then an HTTP-like text:
//   selector  bits 0-1: the X-API-Key added when the text has none: 0 none, 1 read, 2 write,
//             3 admin; bit 2 (0x04): [api] auth = false; bit 6 (0x40): rate limiting on
//   "METHOD /path?query\n" then "Name: value\n" header lines, an empty line, then the body.
//
// Besides the sanitizers, a reply must be a real HTTP status, carry no CR/LF in any header
// (response splitting) and, when JSON, be valid JSON. AXION_FUZZ_ABORT_ON_500=1 also treats a
// 500 (an exception a handler did not turn into 4xx) as a finding.
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>

#include "api/http.hpp"
#include "api/v1/routes.hpp"
#include "axion/core/engine/engine.hpp"
#include "axion/sdk/time.hpp"

namespace {

namespace fs = std::filesystem;
using namespace axion;

// The engine's journal and the key store grow with every kill, key and reload the fuzzer sends:
// start over on a fresh state folder now and then, so memory and per-request cost stay flat.
constexpr int kRunsPerEngine = 20000;

const char* const kManifest = R"(
[engine]
mode = "paper"
state_dir = "@STATE@"
symbols = ["GOOG"]
retry_backoff_base = 0.0

[api]
auth = true

[signals]
min_conviction_to_signal = 0
min_conviction_to_execute = 0
enable_strategy_selection = false
macro_bias_filter = false

[feed]
plugin = "feed/csv"
files = [")" AXION_TEST_DATA_DIR R"(/goog_daily.csv"]

[[strategy]]
plugin = "strategy/ema_cloud"

[[guard]]
plugin = "guard/sanity"

[[risk]]
plugin = "risk/unified"

[broker]
plugin = "broker/paper"
)";

struct World {
  fs::path dir;
  std::unique_ptr<api::KeyStore> key_store;  // before the engine, as the host declares it
  std::unique_ptr<core::Engine> engine;
  std::unique_ptr<api::RevocationFeed> revocations;  // after the engine: gone before it
  // The REST rate limiter lives with the API (as in axion-host): one per world.
  api::RateLimiter limiter{[] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }};
  std::shared_ptr<api::Router> router;
  std::shared_ptr<api::ApiStats> stats;
  std::string keys[4];  // "", read, write, admin
  int runs = 0;
};

// Kept alive until exit and never destroyed there: no shutdown work after the last input.
World* g_world = nullptr;
int g_generation = 0;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "fuzz_rest: %s\n", why.c_str());
  std::abort();
}

void build_world() {
  if (g_world) {
    g_world->engine->shutdown();
    g_world->revocations.reset();
    g_world->engine.reset();
    g_world->key_store.reset();
    std::error_code ec;
    fs::remove_all(g_world->dir, ec);
    delete g_world;
  }
  auto* w = new World;
  w->dir = fs::temp_directory_path() /
           ("axion-fuzz-rest-" + std::to_string(::getpid()) + "-" + std::to_string(g_generation++));
  fs::remove_all(w->dir);
  fs::create_directories(w->dir);
  std::string text = kManifest;
  text.replace(text.find("@STATE@"), 7, (w->dir / "state").string());
  auto parsed = core::parse_manifest_text(text, w->dir / "manifest.toml");
  if (!parsed.ok()) die("manifest: " + parsed.errors.front());
  core::EngineOptions o;
  o.builtin_plugin_dir = AXION_BUILTIN_PLUGIN_DIR;
  o.pace = false;
  w->key_store = std::make_unique<api::KeyStore>(w->dir / "state" / "axion.db", sdk::time::system_now_us);
  o.verify_token = api::token_verifier(*w->key_store);
  w->engine = std::make_unique<core::Engine>(parsed.manifest, o);
  w->revocations = std::make_unique<api::RevocationFeed>(*w->key_store, *w->engine);
  w->stats = std::make_shared<api::ApiStats>();
  api::v1::Context ctx;
  ctx.engine = w->engine.get();
  ctx.keys = w->key_store.get();
  ctx.stats = w->stats;
  w->router = api::v1::build_router(ctx);
  const char* scopes[] = {"read", "write", "admin"};
  for (int i = 0; i < 3; ++i) {
    w->keys[i + 1] = w->key_store->create("fuzzer", "fuzz", {scopes[i]}, "enterprise", std::nullopt).raw;
  }
  g_world = w;
}

void remove_state_at_exit() {
  if (g_world) {
    std::error_code ec;
    fs::remove_all(g_world->dir, ec);
  }
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Next line of `in` without its "\n" or "\r\n"; false at the end.
bool next_line(std::string_view& in, std::string_view& line) {
  if (in.empty()) return false;
  auto nl = in.find('\n');
  line = in.substr(0, nl);
  in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return true;
}

// Request line, headers and body as the server's to_request() would hand them to dispatch().
api::Request to_request(std::string_view in) {
  api::Request r;
  std::string_view line;
  if (next_line(in, line)) {
    auto sp = line.find(' ');
    r.method = std::string(line.substr(0, sp));
    std::string_view target = sp == std::string_view::npos ? std::string_view() : line.substr(sp + 1);
    if (auto sp2 = target.find(' '); sp2 != std::string_view::npos) target = target.substr(0, sp2);  // " HTTP/1.1"
    auto q = target.find('?');
    r.path = std::string(target.substr(0, q));
    std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
    while (!query.empty()) {
      auto amp = query.find('&');
      auto item = query.substr(0, amp);
      query.remove_prefix(amp == std::string_view::npos ? query.size() : amp + 1);
      auto eq = item.find('=');
      auto name = item.substr(0, eq);
      auto value = eq == std::string_view::npos ? std::string_view() : item.substr(eq + 1);
      r.query.emplace(api::url_decode(name, true), api::url_decode(value, true));
    }
  }
  while (next_line(in, line) && !line.empty()) {
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    r.headers[lower(std::string(line.substr(0, colon)))] = trim(line.substr(colon + 1));
  }
  r.body = std::string(in);
  return r;
}

bool has_crlf(const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  build_world();
  std::atexit(remove_state_at_exit);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (++g_world->runs > kRunsPerEngine) build_world();
  World& w = *g_world;
  const std::uint8_t selector = data[0];
  api::Request req = to_request(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  const auto& key = w.keys[selector & 3];
  if (!key.empty() && !req.headers.count("x-api-key")) req.headers["x-api-key"] = key;

  api::Security sec{(selector & 0x04) == 0, (selector & 0x40) != 0, w.key_store.get(), &w.limiter};
  // As the server sets it for its bind: with auth off, a write from Host 127.0.0.1:8000 (or
  // localhost) with a JSON body reaches its handler, and any other is refused with 403.
  sec.same_origin = api::SameOrigin::for_bind("127.0.0.1", 8000, {});
  api::Reply reply = api::dispatch(*w.router, sec, req, w.stats.get());

  if (reply.status < 100 || reply.status > 599) die("status " + std::to_string(reply.status));
  for (const auto& [name, value] : reply.headers) {
    if (has_crlf(name) || has_crlf(value)) die("CR/LF in reply header " + name + ": " + value);
  }
  if (reply.content_type == "application/json" && !reply.body.empty() &&
      !core::json::accept(reply.body)) {
    die("invalid JSON body for " + req.method + " " + req.path + ": " + reply.body.substr(0, 200));
  }
  if (reply.status == 500 && std::getenv("AXION_FUZZ_ABORT_ON_500")) {
    die("500 for " + req.method + " " + req.path + ": " + reply.body);
  }
  return 0;
}
