// guard/sanity: signal validity (pipeline.md §3.1).
//
// Rejects signals no later stage could handle: a naive timestamp, an unknown direction,
// non-positive or non-finite prices, a stop on the wrong side of entry, a target on the wrong side
// of entry. The rows are checked in the spec's order and the first match wins; every reason starts
// with "Invalid signal: ". Stateless; no config keys.
#include <cmath>
#include <string>

#include "axion/sdk/format.hpp"
#include "axion/sdk/plugin.hpp"

namespace {

using axion::sdk::Config;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::Signal;
using axion::sdk::Verdict;
using axion::sdk::format::fixed2;

// No keys: the table is empty, so any key in the [[guard]] table is rejected as unknown.
const std::span<const KeySpec> kKeys{};

constexpr const char* kPrefix = "Invalid signal: ";

Verdict invalid(const std::string& why) { return Verdict::reject(kPrefix + why); }

class SanityGuard final : public axion::sdk::Guard {
 public:
  SanityGuard(const Host& host, const Config& /*config*/) : Guard(host) {}

  Verdict check(const Signal& s) override {
    if (!s.has_timezone) return invalid("timestamp has no time zone");
    const bool is_long = s.direction == "long";
    const bool is_short = s.direction == "short";
    if (!is_long && !is_short) return invalid("unknown direction '" + s.direction + "'");
    // `!(x > 0)` is true for NaN as well as for x <= 0.
    if (!(s.entry_price > 0) || !std::isfinite(s.entry_price)) {
      return invalid("entry_price must be > 0");
    }
    if (!(s.stop_loss > 0) || !std::isfinite(s.stop_loss)) return invalid("stop_loss must be > 0");
    const double entry = s.entry_price;
    const double stop = s.stop_loss;
    if (is_long && stop >= entry) {
      return invalid("stop " + fixed2(stop) + " is not below entry " + fixed2(entry));
    }
    if (is_short && stop <= entry) {
      return invalid("stop " + fixed2(stop) + " is not above entry " + fixed2(entry));
    }
    // target <= 0 means "no target". A non-finite target (NaN, +-inf) is never a usable level:
    // it is rejected with the target row's reason (spec silent; documented in the README).
    const double target = s.target_price;
    const bool wrong_side = target > 0 && (is_long ? target <= entry : target >= entry);
    if (!std::isfinite(target) || wrong_side) {
      return invalid("target " + fixed2(target) + " is on the wrong side of entry " +
                     fixed2(entry));
    }
    return Verdict::ok();
  }
};

}  // namespace

AXION_PLUGIN(SanityGuard, AXION_KIND_GUARD, "sanity", "1.0.0",
             "Signal validity: time zone, direction, positive finite prices, stop and target "
             "on the correct side of entry (pipeline.md 3.1)",
             kKeys)
