// guard/symbols: allow and restricted symbol lists (pipeline.md §3.4).
//
// The signal's ticker (the underlying) is matched case-insensitively. With a non-empty `allow`
// list a ticker outside it is rejected; a ticker in `restricted` is rejected. `allow` is checked
// first, so a ticker both missing from `allow` and restricted gets the allow-list reason.
#include <set>
#include <string>
#include <vector>

#include "axion/sdk/format.hpp"
#include "axion/sdk/plugin.hpp"

namespace {

using axion::sdk::Config;
using axion::sdk::Error;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::Signal;
using axion::sdk::Verdict;

constexpr const char* kAllow = "allow";
constexpr const char* kRestricted = "restricted";

const KeySpec kKeys[] = {
    {kAllow, KeyType::StringList, "[]",
     "Symbols that may trade, case-insensitive; empty = every symbol"},
    {kRestricted, KeyType::StringList, "[]",
     "Symbols that may never trade, case-insensitive; empty = none"},
};

// A list read into lower-case symbols. An entry that could never match a ticker (empty or with
// white space) is a config error, not a silent no-op.
std::set<std::string> symbol_set(const Config& c, const char* key) {
  std::set<std::string> out;
  for (const auto& sym : c.get_strings(key)) {
    if (sym.empty() || sym.find_first_of(" \t\r\n\f\v") != std::string::npos) {
      throw Error(std::string("key '") + key + "': '" + sym + "' is not a symbol", key);
    }
    out.insert(axion::sdk::format::ascii_lower(sym));
  }
  return out;
}

// The validated configuration.
struct Settings {
  std::set<std::string> allow;       // lower case; empty = every symbol
  std::set<std::string> restricted;  // lower case

  explicit Settings(const Config& c)
      : allow(symbol_set(c, kAllow)), restricted(symbol_set(c, kRestricted)) {}
};

class SymbolsGuard final : public axion::sdk::Guard {
 public:
  SymbolsGuard(const Host& host, const Config& config) : Guard(host), settings_(config) {}

  Verdict check(const Signal& s) override {
    const std::string sym = axion::sdk::format::ascii_lower(s.ticker);
    if (!settings_.allow.empty() && !settings_.allow.count(sym)) {
      return Verdict::reject("Symbol " + s.ticker + " not in allow list");
    }
    if (settings_.restricted.count(sym)) {
      return Verdict::reject("Symbol " + s.ticker + " is restricted");
    }
    return Verdict::ok();
  }

 private:
  const Settings settings_;
};

}  // namespace

AXION_PLUGIN(SymbolsGuard, AXION_KIND_GUARD, "symbols", "1.0.0",
             "Allow and restricted symbol lists, case-insensitive (pipeline.md 3.4)", kKeys)
