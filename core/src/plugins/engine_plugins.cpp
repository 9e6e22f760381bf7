// The engine's plugin control plane (control.md §1.8, §1.5 analyze): the list of loaded
// plugins, hot reload of one plugin's library in place, and analysis on a fresh strategy
// instance. All of it runs on the engine thread (REST handlers reach it through Engine::call).
#include <spdlog/spdlog.h>
#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "axion/core/engine/engine.hpp"
#include "axion/sdk/time.hpp"

namespace axion::core {

namespace fs = std::filesystem;

namespace {

// A temporary folder removed with everything in it when the guard goes.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "axion-reload-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
      throw LoadError("cannot create a temporary folder for the reload: " +
                      std::error_code(errno, std::generic_category()).message());
    }
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size())) {
    s.replace(pos, from.size(), to);
  }
}

// Loads kind/name's library anew from its file on the search path, through a private copy.
// dlopen of a path (or inode) that is already open returns the handle it has, i.e. the old code
// and its old statics; the copy is a new inode, so the current file is really mapped a second
// time while the old version keeps serving. The copy is deleted once mapped (the mapping keeps
// the inode alive), so nothing accumulates on disk. Errors name the original file.
std::shared_ptr<PluginLibrary> load_fresh(const PluginLoader& loader, const std::string& kind,
                                          const std::string& name) {
  const fs::path original = loader.find(kind, name);
  if (original.empty()) {
    std::string where;
    for (const auto& d : loader.search_dirs()) where += (where.empty() ? "" : ", ") + d.string();
    throw LoadError("plugin " + kind + "/" + name + " not found (looked for axion-" + kind + "-" +
                    name + ".so in: " + where + ")");
  }
  TempDir tmp;
  const fs::path copy = tmp.path() / original.filename();
  std::error_code ec;
  fs::copy_file(original, copy, ec);
  if (ec) throw LoadError("cannot read " + original.string() + ": " + ec.message());
  std::shared_ptr<PluginLibrary> lib;
  try {
    lib = loader.load_file(copy);
  } catch (const LoadError& e) {
    std::string msg = e.what();
    replace_all(msg, copy.string(), original.string());
    throw LoadError(msg);
  }
  if (kind_name(lib->manifest().kind) != kind || name != lib->manifest().name) {
    throw LoadError(original.string() + " declares " + lib->id() + ", expected " + kind + "/" + name);
  }
  return lib;
}

// Host services of an analysis instance: the engine's clocks, prices, queries and logger, but
// no persisted state (it neither restores nor overwrites the running instance's), no events
// and no commands, so analysis cannot disturb the engine.
class SandboxServices : public HostServices {
 public:
  explicit SandboxServices(HostServices& engine) : e_(engine) {}
  void plugin_log(const std::string& logger, int level, std::string_view msg) override {
    e_.plugin_log(logger, level, msg);
  }
  std::int64_t now_us() override { return e_.now_us(); }
  std::int64_t wall_now_us() override { return e_.wall_now_us(); }
  std::optional<double> last_price(std::string_view ticker) override { return e_.last_price(ticker); }
  void plugin_publish(const std::string&, std::string_view, std::string_view) override {}
  std::optional<std::string> load_plugin_state(const std::string&) override { return std::nullopt; }
  bool save_plugin_state(const std::string&, std::string_view) override { return true; }
  std::optional<json> query(std::string_view what, const json& args) override {
    return e_.query(what, args);
  }

 private:
  HostServices& e_;
};

// The instance config of an entry: its table with paths resolved as at start-up.
json instance_config(const PluginEntry& e, const PluginLibrary& lib, const fs::path& manifest_dir) {
  json config = e.config.is_null() ? json::object() : e.config;
  auto schema = json::parse(lib.manifest().config_schema_json ? lib.manifest().config_schema_json : "[]",
                            nullptr, false);
  resolve_paths(config, schema, manifest_dir);
  return config;
}

}  // namespace

// ---- the loaded plugins --------------------------------------------------------------------

std::vector<Engine::PluginSlot> Engine::plugin_slots() const {
  std::vector<PluginSlot> out;
  auto add = [&](const PluginEntry& e, PluginInstance* p) {
    if (p) out.push_back({e, p});
  };
  if (manifest_.feed) add(*manifest_.feed, feed_);
  for (const auto& e : manifest_.strategies) {
    const StrategyInfo* info = registry_strat_.find(e.name);
    add(e, info ? info->instance : nullptr);
  }
  for (std::size_t i = 0; i < manifest_.guards.size() && i < stages_.guards.size(); ++i) {
    add(manifest_.guards[i], stages_.guards[i]);
  }
  if (manifest_.regime) add(*manifest_.regime, stages_.regime);
  for (std::size_t i = 0; i < manifest_.risks.size() && i < stages_.risks.size(); ++i) {
    add(manifest_.risks[i], stages_.risks[i]);
  }
  if (manifest_.routing) add(*manifest_.routing, stages_.routing);
  for (std::size_t i = 0; i < manifest_.sizings.size() && i < stages_.sizings.size(); ++i) {
    add(manifest_.sizings[i], stages_.sizings[i]);
  }
  const bool live = manifest_.engine.mode == Mode::Live;
  const std::optional<PluginEntry>& broker = live ? manifest_.live_broker : manifest_.broker;
  if (broker) {
    add(*broker, stages_.broker);
  } else if (stages_.broker) {
    PluginEntry def;  // no [broker]: the paper broker with its defaults (as the constructor)
    def.kind = "broker";
    def.name = "paper";
    def.table = "[broker] (default)";
    def.config = json::object();
    def.line = 1;
    add(def, stages_.broker);
  }
  if (live && manifest_.fallback_broker) add(*manifest_.fallback_broker, stages_.fallback_broker);
  // Add-ons are only known through instances_: pair each [[addon]] with the next unclaimed one.
  std::vector<const PluginInstance*> claimed;
  for (const auto& e : manifest_.addons) {
    for (const auto& i : instances_) {
      if (i->kind() == AXION_KIND_ADDON && e.name == i->manifest().name &&
          std::find(claimed.begin(), claimed.end(), i.get()) == claimed.end()) {
        claimed.push_back(i.get());
        add(e, i.get());
        break;
      }
    }
  }
  return out;
}

json Engine::plugins_json() {
  json arr = json::array();
  for (const auto& s : plugin_slots()) {
    const bool disabled = s.entry.kind == "strategy" && registry_strat_.find(s.entry.name) &&
                          !registry_strat_.is_enabled(s.entry.name);
    const char* version = s.instance->manifest().version;
    arr.push_back({{"kind", s.entry.kind},
                   {"name", s.entry.name},
                   {"version", version ? version : ""},
                   {"state", disabled ? "disabled" : "active"}});
  }
  return arr;
}

// ---- hot reload ----------------------------------------------------------------------------

void Engine::swap_instance(PluginInstance* from, std::unique_ptr<PluginInstance> to,
                           std::vector<std::unique_ptr<PluginInstance>>& retired) {
  PluginInstance* p = to.get();
  for (const auto& info : registry_strat_.all()) {
    if (info.instance != from) continue;
    // Re-registering resets the info: keep the enable flag and the registration time.
    const StrategyInfo keep = info;
    registry_strat_.add(p, keep.name, keep.description, keep.category, keep.registered_at_us);
    registry_strat_.set_enabled(keep.name, keep.enabled);
    break;
  }
  stages_.replace(from, p);
  if (feed_ == from) feed_ = p;
  if (orch_) orch_->replace_stage(from, p);
  for (auto& owned : instances_) {
    if (owned.get() == from) {
      retired.push_back(std::move(owned));
      owned = std::move(to);
      return;
    }
  }
  instances_.push_back(std::move(to));  // not owned here before (cannot happen): keep it alive
}

ControlResult Engine::reload_plugin(const std::string& kind, const std::string& name,
                                    const std::string& actor) {
  return reload_plugin_versioned(kind, name, actor).result;
}

// Runs between two bars on the engine thread, which is the drain: no plugin call is in flight.
// Order: load the new library (a private copy, see load_fresh) → create one new instance per
// manifest entry of kind/name from the same table → swap every pointer the engine holds →
// destroy the old instances → drop the old library (its last reference goes with its last
// instance, deps-notes P-7). Any failure before the swap leaves the previous version serving.
// Positions, orders, the journal and kills live in the core and are untouched; a reloaded
// plugin starts from what it persists through the host (the paper broker restores its book and
// cash), so a reloaded strategy starts with fresh indicator state and rebuilds it from the
// bars that follow. Refused (Conflict): a feed (its own thread calls it, and a fresh instance would
// replay its data from the start) and a broker while order flows are parked (they are resumed
// against the broker that holds their orders; retry once they complete).
Engine::PluginReload Engine::reload_plugin_versioned(const std::string& kind, const std::string& name,
                                                     const std::string& actor) {
  const std::string id = kind + "/" + name;
  auto log = spdlog::get("axion.bot");
  std::vector<PluginSlot> targets;
  for (auto& s : plugin_slots()) {
    if (s.entry.kind == kind && s.entry.name == name) targets.push_back(std::move(s));
  }
  if (targets.empty()) return {{ControlOutcome::NotFound, "Plugin '" + id + "' not found"}, ""};

  auto fail = [&](const std::string& why) -> PluginReload {
    if (log) log->error("Reload of {} by {} failed: {}", id, actor, why);
    if (orch_) orch_->alert_error("plugin_reload", id + " (actor " + actor + "): " + why);
    return {{ControlOutcome::Conflict, "Reload failed: " + why}, ""};
  };
  if (kind == "feed") {
    return fail(id + " cannot be reloaded while the engine runs: the feed thread drives it and a "
                     "fresh instance would replay its data from the start");
  }
  if (kind == "broker" && orch_ && orch_->parked_count() > 0) {
    return fail(std::to_string(orch_->parked_count()) + " order flow(s) are parked on the broker; "
                "retry once they complete");
  }

  std::shared_ptr<PluginLibrary> lib;
  try {
    lib = load_fresh(loader_, kind, name);
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  std::vector<std::unique_ptr<PluginInstance>> fresh;
  for (const auto& t : targets) {
    try {
      fresh.push_back(std::make_unique<PluginInstance>(lib, *this, instance_config(t.entry, *lib, manifest_.dir)));
    } catch (const PluginCallError& e) {
      return fail(manifest_.where(t.entry, e.key) + t.entry.table + " " + id + ": " + e.what());
    } catch (const std::exception& e) {
      return fail(manifest_.where(t.entry) + t.entry.table + " " + id + ": " + e.what());
    }
  }
  if (kind == "addon") {
    // An add-on runs between start and stop: stop the old one, start the new; if that fails,
    // the old one is started again and keeps serving.
    for (std::size_t i = 0; i < targets.size(); ++i) {
      targets[i].instance->addon_stop();
      try {
        fresh[i]->addon_start();
      } catch (const std::exception& e) {
        for (std::size_t j = 0; j < i; ++j) fresh[j]->addon_stop();
        for (std::size_t j = 0; j <= i; ++j) {
          try {
            targets[j].instance->addon_start();
          } catch (const std::exception& again) {
            if (log) log->error("add-on {} did not restart: {}", id, again.what());
          }
        }
        return fail(id + ": start failed: " + e.what());
      }
    }
  }

  std::vector<std::unique_ptr<PluginInstance>> retired;
  for (std::size_t i = 0; i < targets.size(); ++i) {
    swap_instance(targets[i].instance, std::move(fresh[i]), retired);
  }
  registry_.replace(lib);
  retired.clear();  // the old instances, and with the last of them the old library

  const std::string version = lib->manifest().version ? lib->manifest().version : "";
  bus_.publish("plugin_reloaded", {{"kind", kind}, {"name", name}, {"version", version}, {"actor", actor}},
               now_us());
  if (log) log->info("Plugin {} reloaded by {} (version {})", id, actor, version);
  return {{ControlOutcome::Done, "Plugin '" + id + "' reloaded"}, version};
}

// ---- analyze -------------------------------------------------------------------------------

// A fresh instance of the strategy's current library with its manifest table, in a sandbox
// (SandboxServices), fed the arrays bar by bar: symbol = ticker, timeframe = the first of the
// table's `timeframes` or "5m", ts_us from the timestamps or 0 (compatibility mode). The
// running instance is not touched; the strategy need not be enabled.
std::optional<json> Engine::analyze_strategy(const std::string& name, const AnalyzeInput& in) {
  const StrategyInfo* info = registry_strat_.find(name);
  if (!info || !info->instance) return std::nullopt;
  const std::size_t n = in.closes.size();
  if (in.opens.size() != n || in.highs.size() != n || in.lows.size() != n || in.volumes.size() != n ||
      (!in.timestamps_us.empty() && in.timestamps_us.size() != n)) {
    throw std::runtime_error("analyze: the arrays must have the same length");
  }
  PluginEntry entry;
  entry.kind = "strategy";
  entry.name = name;
  entry.config = json::object();
  for (const auto& e : manifest_.strategies) {
    if (e.name == name) {
      entry = e;
      break;
    }
  }
  std::string timeframe = "5m";
  if (entry.config.is_object()) {
    auto it = entry.config.find("timeframes");
    if (it != entry.config.end() && it->is_array() && !it->empty() && (*it)[0].is_string()) {
      timeframe = (*it)[0].get<std::string>();
    }
  }

  SandboxServices sandbox(*this);
  const std::shared_ptr<PluginLibrary>& lib = info->instance->library();
  std::unique_ptr<PluginInstance> inst;
  try {
    inst = std::make_unique<PluginInstance>(lib, sandbox, instance_config(entry, *lib, manifest_.dir));
  } catch (const std::exception& e) {
    throw std::runtime_error("strategy/" + name + ": " + e.what());
  }
  std::vector<Signal> signals;
  for (std::size_t i = 0; i < n; ++i) {
    axion_bar bar{};
    bar.size = sizeof bar;
    bar.symbol = sdk::make_str(in.ticker);
    bar.timeframe = sdk::make_str(timeframe);
    bar.ts_us = in.timestamps_us.empty() ? 0 : in.timestamps_us[i];
    bar.open = in.opens[i];
    bar.high = in.highs[i];
    bar.low = in.lows[i];
    bar.close = in.closes[i];
    bar.volume = in.volumes[i];
    signals.clear();
    try {
      inst->on_bar(bar, signals);
    } catch (const std::exception& e) {
      throw std::runtime_error("strategy/" + name + " failed on bar " + std::to_string(i) + ": " + e.what());
    }
  }
  if (signals.empty()) return json(nullptr);
  Signal& s = signals.front();
  if (s.strategy.empty()) s.strategy = name;
  return signal_to_dict(s);
}

}  // namespace axion::core
