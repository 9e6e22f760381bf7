// Loads plugin libraries with Boost.DLL and keeps them in a registry keyed by (kind, name).
// Each failure has its own message: missing file, not a shared library, missing entry symbol,
// ABI mismatch ("got X, expected Y"), entry that throws or returns nothing, duplicate (kind, name).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "axion/plugin_api.h"

namespace boost::dll {
class shared_library;
}

namespace axion::core {

struct LoadError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const char* kind_name(int kind);
int kind_from_name(const std::string& name);  // 0 when unknown

// One loaded library. Instances created from it hold a shared_ptr to it, so the code stays
// mapped until the last object it made is gone (deps-notes P-7).
class PluginLibrary {
 public:
  PluginLibrary(std::shared_ptr<boost::dll::shared_library> lib,
                const axion_plugin_manifest* manifest, std::filesystem::path path);
  ~PluginLibrary();
  const axion_plugin_manifest& manifest() const { return *manifest_; }
  const std::filesystem::path& path() const { return path_; }
  std::string id() const;  // "<kind>/<name>"

 private:
  std::shared_ptr<boost::dll::shared_library> lib_;
  const axion_plugin_manifest* manifest_;
  std::filesystem::path path_;
};

class PluginLoader {
 public:
  explicit PluginLoader(std::vector<std::filesystem::path> search_dirs);

  // Loads one file; throws LoadError.
  std::shared_ptr<PluginLibrary> load_file(const std::filesystem::path& path) const;
  // Finds axion-<kind>-<name>.so on the search path and loads it; throws LoadError.
  std::shared_ptr<PluginLibrary> load(const std::string& kind, const std::string& name) const;
  std::filesystem::path find(const std::string& kind, const std::string& name) const;
  // Every axion-*.so on the search path (first occurrence of each file name wins).
  std::vector<std::filesystem::path> list() const;
  const std::vector<std::filesystem::path>& search_dirs() const { return dirs_; }

 private:
  std::vector<std::filesystem::path> dirs_;
};

// (kind, name) → library; sorted listing, loud duplicates, test injection allowed.
class PluginRegistry {
 public:
  void add(std::shared_ptr<PluginLibrary> lib);  // throws LoadError on a duplicate
  std::shared_ptr<PluginLibrary> get(const std::string& kind, const std::string& name) const;
  std::vector<std::shared_ptr<PluginLibrary>> all() const;
  void replace(std::shared_ptr<PluginLibrary> lib);

 private:
  std::map<std::pair<std::string, std::string>, std::shared_ptr<PluginLibrary>> libs_;
};

}  // namespace axion::core
