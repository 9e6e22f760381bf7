// guard/dedup: duplicate-signal window (pipeline.md §3.3).
//
// Key = (ticker, signal_type, direction); timeframe, conviction, prices and metadata are not part
// of it. On each check, on a monotonic reading of the engine clock:
//   1. evict every entry with now - held_at >= window;
//   2. a key still present is a duplicate (its time is not refreshed);
//   3. otherwise hold key -> now for this signal.
// On the signal's final outcome, `completed` keeps the entry and a rejection at a later stage
// releases it, so a legitimate retry is not blocked. Only the signal that created the entry can
// release it: each entry remembers a fingerprint of that signal (every field but metadata), and a
// guard-stage outcome is matched against the last signal this guard checked (see on_outcome).
#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

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

constexpr const char* kWindow = "window_seconds";

const KeySpec kKeys[] = {
    {kWindow, KeyType::Double, "300.0",
     "Dedup window in seconds: a signal with the same (ticker, signal_type, direction) as one "
     "held less than this long ago is a duplicate; must be > 0",
     0, kNoBound, "", /*min_exclusive=*/true},
};

// The validated configuration.
struct Settings {
  double window_seconds = 300.0;
  double window_us = 300e6;
  std::string reason;  // precomputed rejection text

  explicit Settings(const Config& c) : window_seconds(c.get_double(kWindow)) {
    window_us = window_seconds * 1e6;
    reason = "Duplicate signal within " + axion::sdk::format::shortest_float(window_seconds) + "s window";
  }
};

using Key = std::tuple<std::string, std::string, std::string>;  // ticker, type, direction
using KeyView = std::tuple<std::string_view, std::string_view, std::string_view>;

// Looked up as views: a duplicate (the common answer under a burst) builds no key.
KeyView key_of(const Signal& s) { return {s.ticker, s.signal_type, s.direction}; }
KeyView view_of(const Key& k) { return {std::get<0>(k), std::get<1>(k), std::get<2>(k)}; }
const KeyView& view_of(const KeyView& k) { return k; }

// Orders keys and views alike (compared as views: clang 14 cannot compare a tuple of strings
// with a tuple of views directly).
struct KeyLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return view_of(a) < view_of(b);
  }
};

Key owned(const KeyView& k) {
  return {std::string(std::get<0>(k)), std::string(std::get<1>(k)), std::string(std::get<2>(k))};
}

// The signal's identity, so an outcome can be matched to the signal that held an entry: every
// field the pipeline treats as the signal's own. Metadata is left out on purpose, since later
// stages may annotate it (ids, attribution) before the outcome is reported.
// Written into `fp` (a reused buffer).
void fingerprint(const Signal& s, std::string& fp) {
  char nums[160];
  std::snprintf(nums, sizeof nums, "%" PRId64 "|%d|%d|%a|%a|%a", s.ts_us, s.conviction,
                s.has_timezone ? 1 : 0, s.entry_price, s.stop_loss, s.target_price);
  fp.clear();
  for (std::string_view part : {std::string_view(s.ticker), std::string_view(s.signal_type),
                                std::string_view(s.direction), std::string_view(s.timeframe)}) {
    fp += std::to_string(part.size());
    fp += ':';
    fp += part;
    fp += '|';
  }
  fp += nums;
}

bool is_guard_stage(std::string_view stage) {
  return stage == "signal_guard" || stage == "signal_guard_error";
}

class DedupGuard final : public axion::sdk::Guard {
 public:
  DedupGuard(const Host& host, const Config& config) : Guard(host), settings_(config) {}

  Verdict check(const Signal& s) override {
    const std::int64_t now = monotonic_now();
    evict(now);
    const KeyView key = key_of(s);
    fingerprint(s, last_check_.fingerprint);
    last_check_.valid = true;
    last_check_.held = false;
    // No debug line here: the engine logs the rejection, and building one per duplicate cost
    // more than the check (a plugin cannot ask whether debug logging is on).
    if (entries_.find(key) != entries_.end()) return Verdict::reject_kept(settings_.reason);
    order_.emplace_back(now, owned(key));
    entries_.emplace(owned(key), Entry{now, last_check_.fingerprint, false});
    last_check_.held = true;
    return Verdict::ok();
  }

  // The signal's final outcome: "completed" or the rejecting pipeline stage.
  //
  // Only the signal that created an entry may release it, and only while it has not completed:
  //  * "kill_switch" comes before the guards: this guard never saw the signal; ignored.
  //  * "signal_guard" / "signal_guard_error" is this guard's own duplicate rejection, an earlier
  //    guard's rejection (never seen here), or a later guard's rejection of a signal this guard
  //    just held. The guard chain runs synchronously on the engine thread, so the last case is
  //    always the signal checked last: it releases only when that check held the key.
  //  * "completed" marks the entry completed; it then lives until the window evicts it.
  //  * any later stage releases the entry when the entry's fingerprint is this signal's.
  void on_outcome(const Signal& s, std::string_view stage) override {
    if (stage == "kill_switch") return;
    fingerprint(s, fp_);
    const std::string& fp = fp_;
    const bool last_checked = last_check_.valid && last_check_.fingerprint == fp;
    const bool held_by_last_check = last_checked && last_check_.held;
    if (last_checked) last_check_.valid = false;  // its outcome has arrived
    if (is_guard_stage(stage) && !held_by_last_check) return;
    auto it = entries_.find(key_of(s));
    if (it == entries_.end() || it->second.fingerprint != fp || it->second.completed) return;
    if (stage == "completed") {
      it->second.completed = true;
      return;
    }
    host().debug("released " + describe(it->first) + " after rejection at " + std::string(stage));
    entries_.erase(it);
  }

 private:
  struct Entry {
    std::int64_t held_at_us;
    std::string fingerprint;  // of the signal that created the entry
    bool completed;
  };
  struct LastCheck {
    std::string fingerprint;  // kept, with its capacity, from check to check
    bool held = false;        // this check created an entry
    bool valid = false;       // its outcome has not arrived yet
  };

  // The engine clock never goes backwards as seen from here ("Monotonic seconds").
  std::int64_t monotonic_now() {
    last_now_us_ = std::max(last_now_us_, host().now_us());
    return last_now_us_;
  }

  // Entries are held in time order (the clock is monotonic here), so eviction pops the queue's
  // front: amortized O(1) per check instead of a scan of every entry. A queue item whose entry
  // was released (or released and held again later) no longer matches and is just dropped.
  void evict(std::int64_t now) {
    while (!order_.empty() &&
           static_cast<double>(now - order_.front().first) >= settings_.window_us) {
      auto it = entries_.find(order_.front().second);
      if (it != entries_.end() && it->second.held_at_us == order_.front().first) entries_.erase(it);
      order_.pop_front();
    }
  }

  static std::string describe(const Key& k) {
    return "(" + std::get<0>(k) + ", " + std::get<1>(k) + ", " + std::get<2>(k) + ")";
  }

  const Settings settings_;
  std::map<Key, Entry, KeyLess> entries_;
  std::deque<std::pair<std::int64_t, Key>> order_;  // (held_at, key), oldest first
  LastCheck last_check_;
  std::string fp_;  // on_outcome's fingerprint buffer
  std::int64_t last_now_us_ = std::numeric_limits<std::int64_t>::min();
};

}  // namespace

AXION_PLUGIN(DedupGuard, AXION_KIND_GUARD, "dedup", "1.0.0",
             "Rejects a signal whose (ticker, signal_type, direction) was seen within "
             "window_seconds; a signal rejected at a later stage does not block its retry "
             "(pipeline.md 3.3)",
             kKeys)
