// axion-host: reads a pipeline manifest, loads one plugin per stage and runs the engine until
// SIGINT/SIGTERM (pipeline.md §11).
#include <signal.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <thread>

#include "api/key_store.hpp"
#include "axion/core/engine/engine.hpp"
#include "axion/core/config/manifest.hpp"
#include "axion/sdk/time.hpp"
#include "axion/core/plugins/plugin_loader.hpp"
#include "api/server.hpp"
#include "api/v1/routes.hpp"
#include "cli.hpp"
#include "scan.hpp"
#include "embedded_manifest.hpp"
#include "logging.hpp"

namespace fs = std::filesystem;
using namespace axion;

namespace {

fs::path exe_dir() {
  std::error_code ec;
  auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::current_path() : p.parent_path();
}

fs::path builtin_plugin_dir() { return exe_dir() / ".." / "lib" / "axion" / "plugins"; }

core::ManifestParse load_manifest(const host::CliOptions& o) {
  if (o.pipeline.empty()) {
    return core::parse_manifest_text(host::kEmbeddedPaperManifest,
                                     fs::current_path() / "configs/paper.toml (embedded)");
  }
  return core::parse_manifest(o.pipeline);
}

void apply_overrides(core::Manifest& m, const host::CliOptions& o) {
  if (o.live) m.engine.mode = core::Mode::Live;
  if (o.paper) m.engine.mode = core::Mode::Paper;
  if (o.state_dir) m.engine.state_dir = *o.state_dir;
  if (o.poll_interval) m.engine.poll_interval_seconds = *o.poll_interval;
  if (!o.symbols.empty()) m.engine.symbols = o.symbols;
}

int list_plugins(const core::EngineOptions& eo, const core::Manifest& m) {
  core::PluginLoader loader(core::plugin_search_path(m, eo));
  int bad = 0;
  for (const auto& p : loader.list()) {
    try {
      auto lib = loader.load_file(p);
      const auto& man = lib->manifest();
      std::printf("%-32s %-8s %s\n    %s\n", lib->id().c_str(), man.version, man.description,
                  p.string().c_str());
    } catch (const std::exception& e) {
      ++bad;
      std::printf("%-32s ERROR %s\n", p.filename().string().c_str(), e.what());
    }
  }
  return bad == 0 ? 0 : 1;
}

int describe(const core::EngineOptions& eo, const core::Manifest& m, const std::string& id) {
  auto slash = id.find('/');
  if (slash == std::string::npos) {
    std::cerr << "axion-host: --describe takes kind/name, e.g. broker/paper\n";
    return 2;
  }
  core::PluginLoader loader(core::plugin_search_path(m, eo));
  try {
    auto lib = loader.load(id.substr(0, slash), id.substr(slash + 1));
    const auto& man = lib->manifest();
    std::printf("%s %s — %s\nbuild: %s\nfile: %s\n\nkeys:\n", lib->id().c_str(), man.version,
                man.description, man.build_id, lib->path().string().c_str());
    auto schema = core::json::parse(man.config_schema_json, nullptr, false);
    if (!schema.is_array() || schema.empty()) std::printf("  (none)\n");
    for (const auto& k : schema) {
      std::string range;
      if (k.contains("min") || k.contains("max")) {
        range = " [" + (k.contains("min") ? core::float_text(k["min"].get<double>()) : "-inf") +
                ", " + (k.contains("max") ? core::float_text(k["max"].get<double>()) : "inf") + "]";
      }
      if (k.contains("choices")) range = " one of " + k["choices"].dump();
      std::printf("  %-28s %-12s default %s%s\n      %s\n", k.value("key", "").c_str(),
                  k.value("type", "").c_str(), k["default"].dump().c_str(), range.c_str(),
                  k.value("help", "").c_str());
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "axion-host: " << e.what() << "\n";
    return 1;
  }
}

// Wall clock, µs UTC: API keys' times and rate-limit windows.
std::int64_t wall_us() { return sdk::time::system_now_us(); }

// --create-key (control.md §1.6): offline bootstrap of the first key. Only the raw key goes to
// stdout, so scripts can capture it; the store keeps its hash in DIR/axion.db.
int create_key(const host::CliOptions& o) {
  try {
    api::KeyStore ks(fs::path(*o.state_dir) / "axion.db", wall_us);
    auto c = ks.create("local", o.key_name, {o.create_key}, "enterprise", std::nullopt);
    std::printf("%s\n", c.raw.c_str());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "axion-host: " << e.what() << "\n";
    return 1;
  }
}

void banner(const core::Manifest& m, const host::CliOptions& o) {
  auto log = spdlog::get("axion.bot");
  std::string line(60, '=');
  std::string symbols;
  for (const auto& s : m.engine.symbols) symbols += (symbols.empty() ? "" : " ") + s;
  log->info("{}", line);
  log->info("Axion trading engine {} — mode {}", AXION_VERSION,
            m.engine.mode == core::Mode::Live ? "LIVE" : m.engine.mode == core::Mode::Backtest ? "BACKTEST" : "PAPER");
  log->info("State dir: {}", m.engine.state_dir);
  log->info("Poll interval: {}s", m.engine.poll_interval_seconds);
  log->info("Symbols: {}", symbols);
  log->info("Config: {}", o.pipeline.empty() ? "configs/paper.toml (embedded)" : o.pipeline);
  log->info("{}", line);
}

}  // namespace

int main(int argc, char** argv) {
  // SIGINT/SIGTERM are blocked before anything else, so a stop that arrives during start-up
  // waits for the engine and becomes a graceful shutdown instead of killing a half-started
  // process; one thread waits for them once the engine exists (deps-notes). The one-shot
  // commands below end soon anyway; the scan, which can run long, takes them back.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  host::CliOptions opt;
  if (auto rc = host::parse_cli(argc, argv, opt)) return *rc;
  if (opt.version) {
    std::printf("axion-host %s (plugin ABI v%u)\n", AXION_VERSION, AXION_ABI_VERSION);
    return 0;
  }
  if (!opt.create_key.empty()) return create_key(opt);
  if (!host::setup_logging(opt.log_level)) {
    std::cerr << "axion-host: --log-level must be debug, info, warning or error\n";
    return 2;
  }

  auto parsed = load_manifest(opt);
  core::EngineOptions eo;
  eo.builtin_plugin_dir = builtin_plugin_dir().lexically_normal();
  if (opt.plugin_dir) eo.extra_plugin_dirs.emplace_back(*opt.plugin_dir);
  if (opt.no_pace) eo.pace = false;

  if (opt.list_plugins) return list_plugins(eo, parsed.manifest);
  if (!opt.describe.empty()) return describe(eo, parsed.manifest, opt.describe);

  apply_overrides(parsed.manifest, opt);
  if (opt.check_config) {
    // Report every error: the manifest's own, then each plugin's (plugin tables are checked
    // even when a core table is wrong).
    auto errors = parsed.errors;
    auto more = core::check_plugins(parsed.manifest, eo);
    errors.insert(errors.end(), more.begin(), more.end());
    for (const auto& e : errors) std::cerr << "error: " << e << "\n";
    if (!errors.empty()) {
      std::cerr << errors.size() << " error(s) in " << parsed.manifest.file.string() << "\n";
      return 1;
    }
    std::cout << parsed.manifest.file.string() << ": OK (" << parsed.manifest.plugins().size()
              << " plugins)\n";
    return 0;
  }
  if (!parsed.ok()) {
    for (const auto& e : parsed.errors) std::cerr << "error: " << e << "\n";
    return 1;
  }
  if (!opt.scan_out.empty()) {
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    return host::run_scan(parsed.manifest, eo, opt.scan_out);
  }
  if (parsed.manifest.engine.mode == core::Mode::Live && !parsed.manifest.live_broker) {
    spdlog::get("axion.bot")->error("Live broker not configured");
    return 1;
  }

  banner(parsed.manifest, opt);
  // API keys (REST and the WS add-on's tokens) live in the state directory's axion.db beside
  // the journal. Declared before the engine: its add-ons ask the store until it is destroyed.
  std::unique_ptr<api::KeyStore> keys;
  std::unique_ptr<core::Engine> engine;
  std::unique_ptr<api::RevocationFeed> revocations;  // after the engine: gone before it
  try {
    keys = std::make_unique<api::KeyStore>(fs::path(parsed.manifest.engine.state_dir) / "axion.db", wall_us);
    eo.verify_token = api::token_verifier(*keys);
    engine = std::make_unique<core::Engine>(parsed.manifest, eo);
    revocations = std::make_unique<api::RevocationFeed>(*keys, *engine);
  } catch (const std::exception& e) {
    spdlog::get("axion.bot")->error("start-up failed:\n{}", e.what());
    return 1;
  }

  // The REST API (control.md §1) serves while the engine thread runs: not with --max-bars (the
  // feed runs on this thread) and not in backtest mode (the engine shuts down at the end of the
  // data on its own, and REST must stop before the engine shuts down).
  // Declared before the server, which holds a pointer to it: destroyed after it.
  auto rate_limiter = std::make_unique<api::RateLimiter>(wall_us);
  std::unique_ptr<api::Server> rest;
  const auto& api_cfg = parsed.manifest.api;
  if (api_cfg.enabled && opt.max_bars == 0 && parsed.manifest.engine.mode != core::Mode::Backtest) {
    auto log = spdlog::get("axion.bot");
    if (!api_cfg.auth) log->warn("API authentication is DISABLED ([api] auth = false)");
    if (!api_cfg.rate_limit) log->warn("API rate limiting is DISABLED ([api] rate_limit = false)");
    api::v1::Context ctx;
    ctx.engine = engine.get();
    ctx.keys = keys.get();
    ctx.stats = std::make_shared<api::ApiStats>();
    api::Security sec;
    sec.auth = api_cfg.auth;
    sec.rate_limit = api_cfg.rate_limit;
    sec.keys = keys.get();
    sec.limiter = rate_limiter.get();
    api::ServerOptions so;
    so.bind = api_cfg.bind;
    so.port = api_cfg.port;
    so.max_request_bytes = static_cast<std::size_t>(api_cfg.max_request_bytes);
    so.read_environment();
    rest = std::make_unique<api::Server>(so, api::v1::build_router(ctx), sec, ctx.stats);
    try {
      rest->start();
    } catch (const std::exception& e) {
      log->error("start-up failed: the REST API cannot use [api] port {} on {}: {}", api_cfg.port, api_cfg.bind,
                 e.what());
      return 1;
    }
    log->info("REST API listening on http://{}:{}/api/v1 (auth {}, rate limit {})", api_cfg.bind, rest->port(),
              api_cfg.auth ? "on" : "off", api_cfg.rate_limit ? "on" : "off");
  }

  std::atomic<bool> done{false};
  std::thread waiter([&] {
    timespec ts{0, 200'000'000};
    while (!done.load()) {
      int sig = sigtimedwait(&set, nullptr, &ts);
      if (sig == SIGINT || sig == SIGTERM) {
        spdlog::get("axion.bot")->info("Received {} \u2014 initiating graceful shutdown",
                                       sig == SIGINT ? "SIGINT" : "SIGTERM");
        if (rest) rest->stop();  // no REST call may reach the engine once it shuts down
        engine->request_stop();
        return;
      }
    }
  });

  if (opt.max_bars > 0) {
    engine->run_feed_to_end(opt.max_bars);
    engine->shutdown();
  } else {
    engine->run();
  }
  done.store(true);
  waiter.join();
  if (rest) rest->stop();
  revocations.reset();
  engine.reset();
  spdlog::shutdown();
  return 0;
}
