#include "engine_fixture.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>

#include "axion/sdk/time.hpp"

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
  revocations_.reset();
  engine_.reset();
  keys_.reset();
  fs::remove_all(dir_);
}

static void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

core::Engine& EngineFixture::start(const std::string& toml, bool capture_events) {
  revocations_.reset();
  engine_.reset();
  keys_.reset();
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
  keys_ = std::make_unique<api::KeyStore>(fs::path(parsed.manifest.engine.state_dir) / "axion.db",
                                          [] { return sdk::time::system_now_us(); });
  o.verify_token = api::token_verifier(*keys_);
  engine_ = std::make_unique<core::Engine>(parsed.manifest, o);
  revocations_ = std::make_unique<api::RevocationFeed>(*keys_, *engine_);
  events_.clear();
  if (capture_events) engine_->bus().subscribe([this](const core::Event& e) { events_.push_back(e); });
  return *engine_;
}

void EngineFixture::crash() {
  revocations_.reset();
  engine_.reset();
  keys_.reset();
}

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
    auto j = core::json::parse(*r);
    if (stage.empty() || j["pipeline_stage"] == stage) out.push_back(std::move(j));
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

std::vector<std::vector<std::string>> EngineFixture::sql(const std::string& query) const {
  if (engine_) engine_->journal().drain();  // what the engine handed to its journal writer
  sqlite3* db = nullptr;
  auto path = state_ / "axion.db";
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    throw std::runtime_error("cannot open " + path.string());
  }
  sqlite3_busy_timeout(db, 5000);
  std::vector<std::vector<std::string>> rows;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, query.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    std::string err = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw std::runtime_error("sql: " + err);
  }
  while (sqlite3_step(st) == SQLITE_ROW) {
    std::vector<std::string> row;
    for (int c = 0; c < sqlite3_column_count(st); ++c) {
      auto* t = sqlite3_column_text(st, c);
      row.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
    }
    rows.push_back(std::move(row));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

}  // namespace axion::test
