// Embeds the engine in-process for pipeline scenarios: a manifest written to a temp folder, the
// built plugins plus the test fixtures on the search path, and helpers to inspect the outcome.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "axion/core/engine.hpp"

namespace axion::test {

class EngineFixture {
 public:
  explicit EngineFixture(const std::string& name);
  ~EngineFixture();

  // Writes `toml` (with {{DATA}} and {{STATE}} substituted) and builds an engine from it.
  core::Engine& start(const std::string& toml);
  // Feeds at least min_bars bars, then bar by bar until at least min_open positions are open
  // (bounded by the data). Returns the number of open positions.
  std::size_t run_until_open(std::uint64_t min_bars, std::size_t min_open = 2);
  // Destroys the engine without a graceful shutdown (like a crash: positions stay open).
  void crash();
  core::Engine& engine() { return *engine_; }
  const std::filesystem::path& state_dir() const { return state_; }

  // Results recorded by the engine, optionally only those at one pipeline_stage.
  std::vector<core::json> results(const std::string& stage = {}) const;
  std::vector<core::Event> events(const std::string& name) const;

 private:
  std::filesystem::path dir_;
  std::filesystem::path state_;
  std::unique_ptr<core::Engine> engine_;
  std::vector<core::Event> events_;
};

}  // namespace axion::test
