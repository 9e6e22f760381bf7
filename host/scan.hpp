// `axion-host --scan-out FILE` (strategies.md §15.1): the manifest's feed, as fast as possible,
// through its strategies and signal assembly only; every assembled signal becomes a CSV row.
#pragma once

#include <string>

#include "axion/core/engine/engine.hpp"

namespace axion::host {

// Returns the process exit code. Nothing is written to the manifest's state directory: the
// engine runs on a private temporary one, removed afterwards.
int run_scan(core::Manifest manifest, core::EngineOptions options, const std::string& out_path);

}  // namespace axion::host
