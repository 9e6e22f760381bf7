// Loader errors, each from a deliberately broken fixture plugin, asserted word for word.
#include <catch2/catch.hpp>

#include <filesystem>

#include "axion/core/plugins/plugin_instance.hpp"
#include "axion/core/plugins/plugin_loader.hpp"

namespace fs = std::filesystem;
using namespace axion::core;

namespace {
const fs::path kFixtures = AXION_FIXTURE_DIR;

std::string load_error(const fs::path& p) {
  PluginLoader loader({kFixtures});
  try {
    loader.load_file(p);
  } catch (const LoadError& e) {
    return e.what();
  }
  return "loaded";
}

struct NullServices : HostServices {
  void plugin_log(const std::string&, int, std::string_view) override {}
  std::int64_t now_us() override { return 0; }
  std::int64_t wall_now_us() override { return 0; }
  std::optional<double> last_price(std::string_view) override { return std::nullopt; }
  void plugin_publish(const std::string&, std::string_view, std::string_view) override {}
  std::optional<std::string> load_plugin_state(const std::string&) override { return std::nullopt; }
  bool save_plugin_state(const std::string&, std::string_view) override { return true; }
  std::optional<json> query(std::string_view, const json&) override { return std::nullopt; }
};
}  // namespace

TEST_CASE("loader: missing file") {
  auto p = kFixtures / "axion-guard-absent.so";
  CHECK(load_error(p) == "plugin file not found: " + p.string());
}

TEST_CASE("loader: not a shared library") {
  auto p = kFixtures / "axion-guard-not_elf.so";
  CHECK(load_error(p) == "not a shared library: " + p.string());
}

TEST_CASE("loader: missing entry symbol") {
  auto p = kFixtures / "axion-guard-no_entry.so";
  CHECK(load_error(p) == "missing entry symbol axion_plugin_v2 in " + p.string() +
                             " (not an Axion plugin)");
}

TEST_CASE("loader: a v1 plugin is refused by its entry symbol name before any of its code runs") {
  auto p = kFixtures / "axion-guard-abi_v1.so";
  CHECK(load_error(p) == "ABI mismatch in " + p.string() + ": got 1, expected 2");
}

TEST_CASE("loader: a stage plugin must report under a stage the pipeline has") {
  auto p = kFixtures / "axion-guard-bad_stage_label.so";
  CHECK(load_error(p) == "unknown stage label 'the_moon' in " + p.string() +
                             " (one of signal_guard, regime, risk_assessment, basic_risk_check, "
                             "routing, sizing, pretrade)");
}

TEST_CASE("loader: ABI mismatch from the manifest") {
  auto p = kFixtures / "axion-guard-wrong_version.so";
  CHECK(load_error(p) == "ABI mismatch in " + p.string() + ": got 7, expected 2");
}

TEST_CASE("loader: entry that throws") {
  auto p = kFixtures / "axion-guard-entry_throws.so";
  CHECK(load_error(p) == "entry axion_plugin_v2 of " + p.string() + " threw: boom from entry");
}

TEST_CASE("loader: duplicate (kind, name)") {
  PluginLoader loader({kFixtures});
  PluginRegistry reg;
  auto a = loader.load_file(kFixtures / "axion-guard-fixture.so");
  auto b = loader.load_file(kFixtures / "axion-guard-dupe.so");  // also declares guard/fixture
  reg.add(a);
  CHECK_THROWS_WITH(reg.add(b), "duplicate plugin guard/fixture: " +
                                    (kFixtures / "axion-guard-fixture.so").string() + " and " +
                                    (kFixtures / "axion-guard-dupe.so").string());
  CHECK(reg.all().size() == 1);
}

TEST_CASE("loader: plugin not on the search path names where it looked") {
  PluginLoader loader({kFixtures});
  CHECK_THROWS_WITH(loader.load("guard", "nowhere"),
                    "plugin guard/nowhere not found (looked for axion-guard-nowhere.so in: " +
                        kFixtures.string() + ")");
  CHECK_THROWS_WITH(loader.load("gaurd", "x"), "unknown plugin kind 'gaurd'");
}

TEST_CASE("loader: a good plugin loads, reports its manifest, and refuses a bad config by key") {
  PluginLoader loader({kFixtures});
  auto lib = loader.load("guard", "fixture");
  CHECK(lib->id() == "guard/fixture");
  CHECK(std::string(lib->manifest().version) == "0.0.1");
  CHECK(std::string(lib->manifest().build_id).find("cxx11abi=") != std::string::npos);
  CHECK(std::string(lib->manifest().stage_label) == "signal_guard");
  NullServices svc;
  try {
    PluginInstance bad(lib, svc, {{"blok", json::array()}});
    FAIL("accepted an unknown key");
  } catch (const PluginCallError& e) {
    CHECK(std::string(e.what()) == "unknown key 'blok'");
    CHECK(e.key == "blok");
  }
  PluginInstance ok(lib, svc, {{"block", {"GME"}}});
  axion::sdk::Signal s;
  s.ticker = "GME";
  CHECK(ok.guard_check(s).reason == "Fixture blocks GME");
  s.ticker = "AAPL";
  CHECK(ok.guard_check(s).pass);
  PluginInstance boom(lib, svc, {{"fail", true}});
  CHECK_THROWS_WITH(boom.guard_check(s), "fixture guard exploded");
}

TEST_CASE("loader: --list-plugins sees every axion-*.so once, first directory first") {
  PluginLoader loader({kFixtures, kFixtures});
  auto all = loader.list();
  CHECK(all.size() == 9);  // 7 guard fixtures, the not-ELF file and routing/garbage
  CHECK(all.front().filename() == "axion-guard-abi_v1.so");
}

TEST_CASE("loader: built plugins have no STB_GNU_UNIQUE symbols and export only the entry") {
  // A reloadable library must not contain UNIQUE symbols (deps-notes P-6).
  fs::path dir = AXION_BUILTIN_PLUGIN_DIR;
  PluginLoader loader({dir});
  auto libs = loader.list();
  REQUIRE_FALSE(libs.empty());
  for (const auto& p : libs) {
    std::string cmd = "readelf -Ws --dyn-syms " + p.string() + " | grep -c UNIQUE";
    FILE* f = popen(cmd.c_str(), "r");
    REQUIRE(f);
    char buf[32] = {0};
    fgets(buf, sizeof buf, f);
    pclose(f);
    INFO(p.string());
    CHECK(std::atoi(buf) == 0);
  }
}
