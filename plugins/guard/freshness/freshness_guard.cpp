// guard/freshness: signal age (pipeline.md §3.2).
//
// age = engine-clock now - signal timestamp, in seconds. Stale iff age > max_age_seconds (strict:
// exactly max_age passes); a future-dated signal (negative age) passes.
#include <cstdint>
#include <string>

#include "axion/sdk/format.hpp"
#include "axion/sdk/plugin.hpp"

namespace {

using axion::sdk::Config;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::kNoBound;
using axion::sdk::Signal;
using axion::sdk::Verdict;

constexpr const char* kMaxAge = "max_age_seconds";

const KeySpec kKeys[] = {
    {kMaxAge, KeyType::Double, "120.0",
     "Largest accepted signal age in seconds (engine clock now - signal timestamp); must be > 0. "
     "Stale iff age > max_age_seconds",
     0, kNoBound, "", /*min_exclusive=*/true},
};

// The validated configuration.
struct Settings {
  double max_age_seconds = 120.0;
  std::string reason;  // precomputed rejection text

  explicit Settings(const Config& c) : max_age_seconds(c.get_double(kMaxAge)) {
    reason = "Stale signal: age exceeds " + axion::sdk::format::shortest_float(max_age_seconds) + "s";
  }
};

class FreshnessGuard final : public axion::sdk::Guard {
 public:
  FreshnessGuard(const Host& host, const Config& config) : Guard(host), settings_(config) {}

  Verdict check(const Signal& s) override {
    const std::int64_t age_us = host().now_us() - s.ts_us;
    const double age_seconds = static_cast<double>(age_us) / 1e6;
    if (age_seconds > settings_.max_age_seconds) return Verdict::reject(settings_.reason);
    return Verdict::ok();
  }

 private:
  const Settings settings_;
};

}  // namespace

AXION_PLUGIN(FreshnessGuard, AXION_KIND_GUARD, "freshness", "1.0.0",
             "Rejects signals older than max_age_seconds on the engine clock (pipeline.md 3.2)",
             kKeys)
