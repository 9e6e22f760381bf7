// The crash harness: runs axion-host again and again on one state dir, stops each run in a
// seeded random way (mostly SIGKILL), and checks from outside what every stop left behind.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "host_process.hpp"
#include "invariants.hpp"
#include "journal_view.hpp"
#include "rest_ops.hpp"
#include "run_manifest.hpp"
#include "submit_log.hpp"

namespace axion::crash {

struct Options {
  std::uint64_t seed = 1;
  int crashes = 20;
  int segments = 0;  // runs to the end of their feed, stopped gracefully (fault matrix)
  int episodes = 1;  // the whole sequence again on a fresh state dir
  std::string host;
  std::string plugin_dir;
  std::string work_dir;  // empty: a temporary folder, removed when no violation was found
  std::string faults = "crash";
  int min_bars = 60, max_bars = 400;
  int ready_timeout_ms = 30000;
  bool quiet = false;
};

// The broker faults of a preset: crash (latency, partial fills, rejects, timeouts), none, or one
// fault at 10% (reject, timeout, partial, ghost, latency = 10% of a bar) or all of them.
std::optional<BrokerFaults> fault_preset(const std::string& name);

// How a run ends.
enum class Plan {
  Startup,       // SIGKILL before the engine is ready
  Running,       // SIGKILL while it trades (or idles after its feed)
  Shutdown,      // SIGINT, then SIGKILL during the graceful shutdown
  KillAck,       // POST /bot/kill, SIGKILL right after its answer
  KillInFlight,  // POST /bot/kill, SIGKILL while the request is in flight
  Graceful,      // SIGINT at a random moment, the shutdown runs to its end
  Complete,      // the feed runs to its end, then SIGINT (not a crash)
};

class Harness {
 public:
  explicit Harness(Options o);
  // Runs everything and prints the violations and the summary line; returns the exit code.
  int run();

 private:
  struct RunResult {
    bool crashed = false;
    StateSnapshot after;
  };
  struct Probe;
  RunResult run_once(Plan plan, bool close_on_shutdown);
  void act(HostProcess& p, Rest& rest, Probe& probe, Plan plan, std::chrono::milliseconds delay,
           const std::string& log_path, int bars_total, RunResult& out, std::string& note);
  bool wait_probe(HostProcess& p, Probe& probe, const std::string& label,
                  const std::string& log_path);
  // One fresh state dir and everything read from it.
  struct Episode {
    std::string dir, state, logs, manifests, submit_log, key, prefix;
    SubmitLog log;
    std::vector<JournalEvent> events;
    std::int64_t last_sequence = 0;
    std::set<std::string> inconsistent, intents_reported;
    std::optional<int> pending_ack;  // the run whose acknowledged kill must survive the restart
    int state_copies = 0;            // state dirs kept after a stop that broke an invariant
  };
  // Runs one episode; false on a set-up error. Adds its orders and fills to the totals.
  bool run_episode(int n);
  StateSnapshot after_stop(const std::string& when);
  // Judges the kill acknowledged in `ack_run` on the status the probe read after the restart;
  // false when the run stopped before the probe could read it (judged at a later start).
  bool judge_acknowledged_kill(const Probe& probe, int ack_run);
  bool wait_feed_end(HostProcess& p, const std::string& log_path,
                     std::chrono::milliseconds deadline);
  Plan pick_plan();
  std::int64_t uniform(std::int64_t lo, std::int64_t hi);
  void say(const std::string& line) const;

  Options opt_;
  BrokerFaults faults_;
  std::mt19937_64 rng_;
  std::string work_;
  Episode ep_;
  Findings findings_;
  int episode_ = 0, runs_ = 0, crashes_ = 0;  // runs of the episode, crashes of all
  std::size_t orders_ = 0, fills_ = 0;
  std::map<std::string, std::size_t> faults_seen_;  // in the submit log: rejected, partial, ...
  std::string start_date_ = "2001-01-08";
  // Estimates refined as runs go: exec to REST listening, and wall time per bar.
  double listen_ms_ = 300, bar_ms_ = 1.0;
  bool remove_work_ = false;
};

}  // namespace axion::crash
