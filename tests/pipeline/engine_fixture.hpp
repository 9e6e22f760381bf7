// Embeds the engine in-process for pipeline scenarios: a manifest written to a temp folder, the
// built plugins plus the test fixtures on the search path, and helpers to inspect the outcome.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "api/key_store.hpp"
#include "axion/core/engine/engine.hpp"
#include "manifest_builder.hpp"

namespace axion::test {

class EngineFixture {
 public:
  explicit EngineFixture(const std::string& name);
  ~EngineFixture();

  // Writes `toml` (a ManifestBuilder's text; {{DATA}} and {{STATE}} substituted) and builds an
  // engine from it.
  // capture_events = false: events() stays empty (no copy of each event on the engine thread,
  // for tests that count the engine's own allocations).
  core::Engine& start(const std::string& toml, bool capture_events = true);
  // Feeds at least min_bars bars, then bar by bar until at least min_open positions are open
  // (bounded by the data). Returns the number of open positions.
  std::size_t run_until_open(std::uint64_t min_bars, std::size_t min_open = 2);
  // Destroys the engine without a graceful shutdown (like a crash: positions stay open).
  void crash();
  core::Engine& engine() { return *engine_; }
  // The state directory's API keys, wired as the host wires them (verify_token, revocations).
  api::KeyStore& keys() { return *keys_; }
  const std::filesystem::path& state_dir() const { return state_; }

  // Results recorded by the engine, optionally only those at one pipeline_stage.
  std::vector<core::json> results(const std::string& stage = {}) const;
  std::vector<core::Event> events(const std::string& name) const;
  // Rows of a query on the journal (state_dir/axion.db) through a connection of the test's
  // own, every column as text ("" for NULL).
  std::vector<std::vector<std::string>> sql(const std::string& query) const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path state_;
  std::unique_ptr<api::KeyStore> keys_;  // before the engine, whose add-ons ask it
  std::unique_ptr<core::Engine> engine_;
  std::unique_ptr<api::RevocationFeed> revocations_;  // after the engine: gone before it
  std::vector<core::Event> events_;
};

}  // namespace axion::test
