#include "bench_common.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace axion::bench {

std::unique_ptr<core::Engine> make_engine(const std::filesystem::path& manifest,
                                          const std::filesystem::path& state_dir) {
  auto parsed = core::parse_manifest(manifest);
  if (!parsed.ok()) {
    std::string all;
    for (const auto& e : parsed.errors) all += e + "\n";
    throw std::runtime_error(all);
  }
  parsed.manifest.engine.state_dir = state_dir.string();
  core::EngineOptions o;
  o.builtin_plugin_dir = AXION_BUILTIN_PLUGIN_DIR;
  o.start_feed = false;
  o.wall_clock = true;
  spdlog::set_level(spdlog::level::warn);
  return std::make_unique<core::Engine>(parsed.manifest, o);
}

void trim_positions(core::Engine& e, std::size_t max_open) {
  auto& o = e.orchestrator();
  while (o.positions().size() > max_open) {
    auto p = o.positions().front();
    if (!o.close_position(p.ticker, "bench_trim", 0.0, 0, p.signal_id)) break;
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  double idx = p / 100.0 * static_cast<double>(v.size() - 1);
  return v[static_cast<std::size_t>(std::llround(idx))];
}

}  // namespace axion::bench
