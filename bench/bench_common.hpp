// Shared by the benchmarks: an engine built from a manifest with no feed, the wall clock as its
// engine clock, a fresh state directory, and a steady-state helper that closes old positions.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "axion/core/engine/engine.hpp"

namespace axion::bench {

std::unique_ptr<core::Engine> make_engine(const std::filesystem::path& manifest,
                                          const std::filesystem::path& state_dir);
// Closes the oldest positions until at most max_open remain.
void trim_positions(core::Engine& e, std::size_t max_open);
// p in [0, 100] of sorted samples.
double percentile(std::vector<double>& sorted, double p);

}  // namespace axion::bench
