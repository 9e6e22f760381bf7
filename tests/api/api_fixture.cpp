#include "api_fixture.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>

#include "axion/sdk/testing/signals.hpp"
#include "axion/sdk/time.hpp"
#include "eventually.hpp"
#include "manifest_builder.hpp"

namespace axion::test {

namespace fs = std::filesystem;

namespace {

std::atomic<int> g_counter{0};

std::string manifest(const std::string& state, const std::string& api_toml, const std::vector<std::string>& symbols) {
  return ManifestBuilder()
      .set("engine", "mode", "paper")
      .set("engine", "state_dir", state)
      .set("engine", "symbols", symbols)
      .set("feed", "files", {std::string(AXION_TEST_DATA_DIR) + "/goog_daily.csv"})
      .add("guard/sanity")
      .raw("[api]\n" + api_toml)
      .toml();
}

}  // namespace

ApiFixture::ApiFixture(const std::string& name, std::string api_toml, std::vector<std::string> symbols)
    : api_toml_(std::move(api_toml)), symbols_(std::move(symbols)) {
  dir_ = fs::temp_directory_path() /
         ("axion-api-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(g_counter++));
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  state_ = dir_ / "state";
  spdlog::set_level(spdlog::level::warn);
  build();
}

ApiFixture::~ApiFixture() {
  stop();
  revocations_.reset();
  engine_.reset();
  fs::remove_all(dir_);
}

void ApiFixture::build() {
  auto file = dir_ / "manifest.toml";
  std::ofstream(file) << manifest(state_.string(), api_toml_, symbols_);
  auto parsed = core::parse_manifest(file);
  if (!parsed.ok()) {
    std::string all;
    for (auto& e : parsed.errors) all += e + "\n";
    throw std::runtime_error(all);
  }
  core::EngineOptions o;
  o.builtin_plugin_dir = AXION_BUILTIN_PLUGIN_DIR;
  o.extra_plugin_dirs.emplace_back(AXION_FIXTURE_DIR);
  o.pace = false;
  keys_ = std::make_unique<api::KeyStore>(state_ / "axion.db", axion::sdk::time::system_now_us);
  o.verify_token = api::token_verifier(*keys_);
  engine_ = std::make_unique<core::Engine>(parsed.manifest, o);
  revocations_ = std::make_unique<api::RevocationFeed>(*keys_, *engine_);

  api::v1::Context ctx;
  ctx.engine = engine_.get();
  ctx.keys = keys_.get();
  ctx.stats = std::make_shared<api::ApiStats>();
  rate_limiter_ = std::make_unique<api::RateLimiter>(axion::sdk::time::system_now_us);
  api::Security sec{parsed.manifest.api.auth, parsed.manifest.api.rate_limit, keys_.get(),
                    rate_limiter_.get()};
  api::ServerOptions so;
  so.port = 0;
  so.max_request_bytes = static_cast<std::size_t>(parsed.manifest.api.max_request_bytes);
  server_ = std::make_unique<api::Server>(so, api::v1::build_router(ctx), sec, ctx.stats);
  server_->start();
}

void ApiFixture::run_engine() {
  runner_ = std::thread([this] { engine_->run(); });
  // Engine::call runs inline until the engine thread is up: wait for it.
  const bool up = test::eventually(
      [&] { return engine_->call([] { return std::this_thread::get_id(); }) != std::this_thread::get_id(); },
      std::chrono::seconds(5));
  if (!up) throw std::runtime_error("engine thread did not start");
}

void ApiFixture::stop() {
  if (server_) server_->stop();  // first: no REST call may reach a stopping engine
  server_.reset();
  if (runner_.joinable()) {
    engine_->request_stop();
    runner_.join();
  } else if (engine_) {
    engine_->shutdown();
  }
}

void ApiFixture::restart() {
  stop();
  revocations_.reset();
  engine_.reset();
  build();
}

std::string ApiFixture::key(std::vector<std::string> scopes, const std::string& tier, const std::string& user) {
  return keys_->create(user, "test", std::move(scopes), tier, std::nullopt).raw;
}

HttpResponse ApiFixture::call(const std::string& method, const std::string& path, const std::string& key,
                              const std::optional<std::string>& body, const Headers& extra) {
  Headers h = extra;
  if (!key.empty()) h.emplace_back("X-API-Key", key);
  return http(port(), method, path, body, h);
}

HttpResponse ApiFixture::get(const std::string& path, const std::string& key) { return call("GET", path, key, std::nullopt); }
HttpResponse ApiFixture::post(const std::string& path, const std::string& key, const std::optional<std::string>& body) {
  return call("POST", path, key, body);
}
HttpResponse ApiFixture::put(const std::string& path, const std::string& key, const std::optional<std::string>& body) {
  return call("PUT", path, key, body);
}
HttpResponse ApiFixture::del(const std::string& path, const std::string& key) { return call("DELETE", path, key, std::nullopt); }

core::Signal test_signal(core::Engine& e, const std::string& ticker, double entry, double stop, int conviction) {
  return sdk::testing::make_signal({.ticker = ticker,
                                    .signal_type = "cloud_cross_bullish",
                                    .timeframe = "1d",
                                    .conviction = conviction,
                                    .entry_price = entry,
                                    .stop_loss = stop,
                                    .ts_us = e.now_us(),
                                    .strategy = "ema_cloud"});
}

}  // namespace axion::test
