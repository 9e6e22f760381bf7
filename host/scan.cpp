#include "scan.hpp"

#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <system_error>

#include "axion/sdk/format.hpp"
#include "axion/sdk/time.hpp"

namespace axion::host {
namespace {

std::string price(double x) { return sdk::format::shortest_float(sdk::format::round_dp(x, 4)); }

// CSV field: quoted only when it needs to be.
std::string field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Removes the private state directory whatever happens.
struct TempDir {
  std::filesystem::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

int run_scan(core::Manifest manifest, core::EngineOptions options, const std::string& out_path) {
  auto log = spdlog::get("axion.bot");
  std::ofstream out(out_path, std::ios::trunc);
  if (!out) {
    log->error("--scan-out: cannot write '{}'", out_path);
    return 1;
  }
  out << "timestamp,symbol,strategy,signal_type,direction,conviction,entry,stop,target\n";

  TempDir state;
  std::string tmpl = (std::filesystem::temp_directory_path() / "axion-scan-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) {
    log->error("--scan-out: cannot create a temporary state directory");
    return 1;
  }
  state.path = tmpl;
  manifest.engine.state_dir = state.path.string();

  std::map<std::string, std::uint64_t> per_strategy;
  std::uint64_t rows = 0;
  options.scan_mode = true;
  options.pace = false;
  options.scan_sink = [&](const core::Signal& s) {
    const std::string strategy = core::strategy_of(s);
    out << sdk::time::to_iso(s.ts_us) << ',' << field(s.ticker) << ',' << field(strategy) << ','
        << s.signal_type << ',' << s.direction << ',' << s.conviction << ',' << price(s.entry_price)
        << ',' << price(s.stop_loss) << ',' << (s.target_price > 0 ? price(s.target_price) : "") << '\n';
    ++per_strategy[strategy];
    ++rows;
  };
  try {
    core::Engine engine(std::move(manifest), options);
    engine.run_feed_to_end();
    log->info("Scan: {} bars, {} signals written to {}", engine.counters().bars, rows, out_path);
  } catch (const std::exception& e) {
    log->error("scan failed: {}", e.what());
    return 1;
  }
  for (const auto& [name, n] : per_strategy) log->info("  {}: {}", name, n);
  out.flush();
  if (!out) {
    log->error("--scan-out: write to '{}' failed", out_path);
    return 1;
  }
  return 0;
}

}  // namespace axion::host
