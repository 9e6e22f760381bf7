// The REST API on a real engine for the API tests: a manifest on feed/csv GOOG written to a
// temp folder, the engine built from it, the v1 router served on a free loopback port, keys
// created directly in the fixture's key store (wired to the engine as axion-host wires it). Two modes: the engine thread not running (REST
// handlers then run engine work inline while the test thread waits for the reply: deterministic)
// or running (Engine::run on a background thread, the feed paper trading).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/server.hpp"
#include "api/v1/routes.hpp"
#include "http_client.hpp"

namespace axion::test {

class ApiFixture {
 public:
  // `api_toml`: the [api] table body (auth, rate_limit, …); `symbols`: [engine] symbols (the
  // feed replays GOOG whatever the list).
  explicit ApiFixture(const std::string& name, std::string api_toml = "auth = true\n",
                      std::vector<std::string> symbols = {"GOOG"});
  ~ApiFixture();

  core::Engine& engine() { return *engine_; }
  api::KeyStore& keys() { return *keys_; }
  std::uint16_t port() const { return server_->port(); }
  const std::filesystem::path& state_dir() const { return state_; }

  // Engine::run on a background thread (feed and engine thread); stop() joins it.
  void run_engine();
  // Stops the server and the engine (graceful), then builds both again on the same state dir.
  void restart();
  void stop();

  std::string key(std::vector<std::string> scopes, const std::string& tier = "enterprise",
                  const std::string& user = "tester");

  HttpResponse get(const std::string& path, const std::string& key = "");
  HttpResponse post(const std::string& path, const std::string& key = "",
                    const std::optional<std::string>& body = std::nullopt);
  HttpResponse put(const std::string& path, const std::string& key = "",
                   const std::optional<std::string>& body = std::nullopt);
  HttpResponse del(const std::string& path, const std::string& key = "");
  HttpResponse call(const std::string& method, const std::string& path, const std::string& key,
                    const std::optional<std::string>& body, const Headers& extra = {});

 private:
  void build();
  std::filesystem::path dir_, state_;
  std::string api_toml_;
  std::vector<std::string> symbols_;
  std::unique_ptr<api::KeyStore> keys_;  // before the engine, whose add-ons ask it
  std::unique_ptr<core::Engine> engine_;
  std::unique_ptr<api::RevocationFeed> revocations_;  // after the engine: gone before it
  std::unique_ptr<api::RateLimiter> rate_limiter_;  // before the server, which points to it
  std::unique_ptr<api::Server> server_;
  std::thread runner_;
};

// A signal for the pipeline (GOOG daily bars' price range).
core::Signal test_signal(core::Engine& e, const std::string& ticker, double entry, double stop, int conviction = 80);

}  // namespace axion::test
