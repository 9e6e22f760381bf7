// Manifest text through toml++ and Axion's validation (core/src/manifest.cpp). Any input must
// give a manifest or a list of "file:line: message" errors: never a crash, a hang or an
// exception escaping parse_manifest_text.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "axion/core/config/manifest.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto parsed = axion::core::parse_manifest_text(text, "/fuzz/manifest.toml");
  const std::string prefix = "/fuzz/manifest.toml:";
  for (const auto& e : parsed.errors) {
    if (e.rfind(prefix, 0) != 0) std::abort();  // every error names file:line
  }
  if (parsed.ok()) {
    // What the engine does next with a valid manifest: walk every entry and name its lines.
    for (const auto* entry : parsed.manifest.plugins()) {
      (void)parsed.manifest.where(*entry);
      for (const auto& [key, value] : entry->config.items()) (void)parsed.manifest.where(*entry, key);
    }
  }
  return 0;
}
