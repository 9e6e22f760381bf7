#include "axion/core/plugins/plugin_loader.hpp"
#include "axion/core/domain/types.hpp"

#include <elf.h>

#include <boost/dll/shared_library.hpp>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

namespace axion::core {

namespace dll = boost::dll;

const char* kind_name(int kind) {
  switch (kind) {
    case AXION_KIND_FEED: return "feed";
    case AXION_KIND_STRATEGY: return "strategy";
    case AXION_KIND_GUARD: return "guard";
    case AXION_KIND_REGIME: return "regime";
    case AXION_KIND_RISK: return "risk";
    case AXION_KIND_ROUTING: return "routing";
    case AXION_KIND_SIZING: return "sizing";
    case AXION_KIND_BROKER: return "broker";
    case AXION_KIND_ADDON: return "addon";
  }
  return "unknown";
}

int kind_from_name(const std::string& n) {
  for (int k = AXION_KIND_FEED; k <= AXION_KIND_ADDON; ++k) {
    if (n == kind_name(k)) return k;
  }
  return 0;
}

namespace {

// Names of the symbols a 64-bit ELF shared object exports (its .dynsym), read from the file
// without loading it, so no plugin code runs before the ABI check (deps-notes P-9). Boost's
// library_info reads .symtab instead, which stripped libraries do not have.
std::optional<std::vector<std::string>> exported_symbols(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::vector<char> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.size() < sizeof(Elf64_Ehdr) || std::memcmp(data.data(), ELFMAG, SELFMAG) != 0 ||
      data[EI_CLASS] != ELFCLASS64) {
    return std::nullopt;
  }
  Elf64_Ehdr eh;
  std::memcpy(&eh, data.data(), sizeof eh);
  if (eh.e_type != ET_DYN || eh.e_shentsize != sizeof(Elf64_Shdr) ||
      eh.e_shoff + static_cast<std::uint64_t>(eh.e_shnum) * sizeof(Elf64_Shdr) > data.size()) {
    return std::nullopt;
  }
  auto section = [&](std::size_t i) {
    Elf64_Shdr sh;
    std::memcpy(&sh, data.data() + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof sh);
    return sh;
  };
  std::vector<std::string> names;
  for (std::size_t i = 0; i < eh.e_shnum; ++i) {
    Elf64_Shdr sh = section(i);
    if (sh.sh_type != SHT_DYNSYM || sh.sh_link >= eh.e_shnum) continue;
    Elf64_Shdr str = section(sh.sh_link);
    if (sh.sh_offset + sh.sh_size > data.size() || str.sh_offset + str.sh_size > data.size()) {
      return std::nullopt;
    }
    for (std::size_t off = 0; off + sizeof(Elf64_Sym) <= sh.sh_size; off += sizeof(Elf64_Sym)) {
      Elf64_Sym sym;
      std::memcpy(&sym, data.data() + sh.sh_offset + off, sizeof sym);
      bool global = ELF64_ST_BIND(sym.st_info) == STB_GLOBAL || ELF64_ST_BIND(sym.st_info) == STB_WEAK;
      if (!global || sym.st_shndx == SHN_UNDEF || sym.st_name >= str.sh_size) continue;
      const char* name = data.data() + str.sh_offset + sym.st_name;
      names.emplace_back(name, strnlen(name, str.sh_size - sym.st_name));
    }
  }
  return names;
}

}  // namespace

PluginLibrary::PluginLibrary(std::shared_ptr<dll::shared_library> lib,
                             const axion_plugin_manifest* manifest, std::filesystem::path path)
    : lib_(std::move(lib)), manifest_(manifest), path_(std::move(path)) {}

PluginLibrary::~PluginLibrary() = default;

std::string PluginLibrary::id() const {
  return std::string(kind_name(manifest_->kind)) + "/" + manifest_->name;
}

PluginLoader::PluginLoader(std::vector<std::filesystem::path> search_dirs)
    : dirs_(std::move(search_dirs)) {}

std::shared_ptr<PluginLibrary> PluginLoader::load_file(const std::filesystem::path& path) const {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw LoadError("plugin file not found: " + path.string());

  // Read the exported symbols without running any plugin code (deps-notes P-9): the ABI major
  // is part of the entry symbol's name.
  auto exported = exported_symbols(path);
  if (!exported) throw LoadError("not a shared library: " + path.string());
  const std::vector<std::string>& symbols = *exported;
  bool has_entry = std::find(symbols.begin(), symbols.end(), AXION_ENTRY_SYMBOL) != symbols.end();
  if (!has_entry) {
    const std::string prefix = "axion_plugin_v";
    for (const auto& s : symbols) {
      if (s.rfind(prefix, 0) == 0 && s.size() > prefix.size()) {
        throw LoadError("ABI mismatch in " + path.string() + ": got " + s.substr(prefix.size()) +
                        ", expected " + std::to_string(AXION_ABI_VERSION));
      }
    }
    throw LoadError("missing entry symbol " AXION_ENTRY_SYMBOL " in " + path.string() +
                    " (not an Axion plugin)");
  }

  auto lib = std::make_shared<dll::shared_library>();
  try {
    lib->load(path, dll::load_mode::rtld_now | dll::load_mode::rtld_local);
  } catch (const std::exception& e) {
    throw LoadError("cannot load " + path.string() + ": " + e.what());
  }
  auto entry = lib->get<const axion_plugin_manifest*()>(AXION_ENTRY_SYMBOL);
  const axion_plugin_manifest* manifest = nullptr;
  try {
    manifest = entry();
  } catch (const std::exception& e) {
    throw LoadError("entry " AXION_ENTRY_SYMBOL " of " + path.string() + " threw: " + e.what());
  } catch (...) {
    throw LoadError("entry " AXION_ENTRY_SYMBOL " of " + path.string() + " threw");
  }
  if (!manifest) {
    throw LoadError("entry " AXION_ENTRY_SYMBOL " of " + path.string() +
                    " failed (returned no manifest)");
  }
  if (manifest->abi_version != AXION_ABI_VERSION) {
    throw LoadError("ABI mismatch in " + path.string() + ": got " +
                    std::to_string(manifest->abi_version) + ", expected " +
                    std::to_string(AXION_ABI_VERSION));
  }
  if (manifest->size < sizeof(axion_plugin_manifest) || !manifest->name || !manifest->create ||
      !manifest->destroy || !manifest->vtable || kind_from_name(kind_name(manifest->kind)) == 0) {
    throw LoadError("malformed plugin manifest in " + path.string());
  }
  // Stage plugins name the stage they report under; the host knows the pipeline's stages.
  const int k = manifest->kind;
  if (k == AXION_KIND_GUARD || k == AXION_KIND_REGIME || k == AXION_KIND_RISK ||
      k == AXION_KIND_ROUTING || k == AXION_KIND_SIZING) {
    const std::string label = manifest->stage_label ? manifest->stage_label : "";
    if (!parse_plugin_stage(label)) {
      throw LoadError("unknown stage label '" + label + "' in " + path.string() + " (one of " +
                      plugin_stage_list() + ")");
    }
  }
  return std::make_shared<PluginLibrary>(std::move(lib), manifest, path);
}

std::filesystem::path PluginLoader::find(const std::string& kind, const std::string& name) const {
  const std::string file = "axion-" + kind + "-" + name + ".so";
  for (const auto& d : dirs_) {
    auto p = d / file;
    std::error_code ec;
    if (std::filesystem::exists(p, ec)) return p;
  }
  return {};
}

std::shared_ptr<PluginLibrary> PluginLoader::load(const std::string& kind,
                                                  const std::string& name) const {
  if (kind_from_name(kind) == 0) throw LoadError("unknown plugin kind '" + kind + "'");
  auto p = find(kind, name);
  if (p.empty()) {
    std::string where;
    for (const auto& d : dirs_) where += (where.empty() ? "" : ", ") + d.string();
    throw LoadError("plugin " + kind + "/" + name + " not found (looked for axion-" + kind + "-" +
                    name + ".so in: " + where + ")");
  }
  auto lib = load_file(p);
  if (kind_name(lib->manifest().kind) != kind || name != lib->manifest().name) {
    throw LoadError(p.string() + " declares " + lib->id() + ", expected " + kind + "/" + name);
  }
  return lib;
}

std::vector<std::filesystem::path> PluginLoader::list() const {
  std::vector<std::filesystem::path> out;
  std::set<std::string> seen;
  for (const auto& d : dirs_) {
    std::error_code ec;
    std::vector<std::filesystem::path> here;
    for (const auto& e : std::filesystem::directory_iterator(d, ec)) {
      auto fn = e.path().filename().string();
      if (fn.rfind("axion-", 0) == 0 && e.path().extension() == ".so") here.push_back(e.path());
    }
    std::sort(here.begin(), here.end());
    for (auto& p : here) {
      if (seen.insert(p.filename().string()).second) out.push_back(p);
    }
  }
  return out;
}

void PluginRegistry::add(std::shared_ptr<PluginLibrary> lib) {
  std::pair<std::string, std::string> key{kind_name(lib->manifest().kind), lib->manifest().name};
  auto it = libs_.find(key);
  if (it != libs_.end()) {
    throw LoadError("duplicate plugin " + lib->id() + ": " + it->second->path().string() + " and " +
                    lib->path().string());
  }
  libs_.emplace(key, std::move(lib));
}

void PluginRegistry::replace(std::shared_ptr<PluginLibrary> lib) {
  libs_[{kind_name(lib->manifest().kind), lib->manifest().name}] = std::move(lib);
}

std::shared_ptr<PluginLibrary> PluginRegistry::get(const std::string& kind,
                                                   const std::string& name) const {
  auto it = libs_.find({kind, name});
  return it == libs_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<PluginLibrary>> PluginRegistry::all() const {
  std::vector<std::shared_ptr<PluginLibrary>> out;
  for (const auto& [k, v] : libs_) out.push_back(v);
  return out;
}

}  // namespace axion::core
