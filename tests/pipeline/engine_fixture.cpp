#include "engine_fixture.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <fstream>

namespace axion::test {

namespace fs = std::filesystem;

EngineFixture::EngineFixture(const std::string& name) {
  dir_ = fs::temp_directory_path() / ("axion-pipeline-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  state_ = dir_ / "state";
  spdlog::set_level(spdlog::level::warn);
}

EngineFixture::~EngineFixture() {
  engine_.reset();
  fs::remove_all(dir_);
}

static void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

core::Engine& EngineFixture::start(const std::string& toml) {
  engine_.reset();
  std::string text = toml;
  replace_all(text, "{{DATA}}", AXION_TEST_DATA_DIR);
  replace_all(text, "{{STATE}}", state_.string());
  auto file = dir_ / "manifest.toml";
  std::ofstream(file) << text;
  auto parsed = core::parse_manifest(file);
  if (!parsed.ok()) {
    std::string all;
    for (auto& e : parsed.errors) all += e + "\n";
    throw std::runtime_error(all);
  }
  core::EngineOptions o;
  o.builtin_plugin_dir = AXION_BUILTIN_PLUGIN_DIR;
  o.extra_plugin_dirs.emplace_back(AXION_FIXTURE_DIR);
  engine_ = std::make_unique<core::Engine>(parsed.manifest, o);
  events_.clear();
  engine_->bus().subscribe([this](const core::Event& e) { events_.push_back(e); });
  return *engine_;
}

void EngineFixture::crash() { engine_.reset(); }

std::size_t EngineFixture::run_until_open(std::uint64_t min_bars, std::size_t min_open) {
  engine_->run_feed_to_end(min_bars);
  for (int i = 0; i < 2000 && engine_->orchestrator().positions().size() < min_open; ++i) {
    auto before = engine_->counters().bars;
    engine_->run_feed_to_end(1);
    if (engine_->counters().bars == before) break;  // end of data
  }
  return engine_->orchestrator().positions().size();
}

std::vector<core::json> EngineFixture::results(const std::string& stage) const {
  std::vector<core::json> out;
  for (const auto& r : engine_->orchestrator().history()) {
    if (stage.empty() || r["pipeline_stage"] == stage) out.push_back(r);
  }
  return out;
}

std::vector<core::Event> EngineFixture::events(const std::string& name) const {
  std::vector<core::Event> out;
  for (const auto& e : events_) {
    if (e.event == name) out.push_back(e);
  }
  return out;
}

}  // namespace axion::test
