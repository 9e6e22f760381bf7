#include "harness.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "axion/sdk/time.hpp"

namespace axion::crash {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

const char* plan_name(Plan p) {
  switch (p) {
    case Plan::Startup:
      return "startup";
    case Plan::Running:
      return "running";
    case Plan::Shutdown:
      return "shutdown";
    case Plan::KillAck:
      return "kill-ack";
    case Plan::KillInFlight:
      return "kill-in-flight";
    case Plan::Graceful:
      return "graceful";
    case Plan::Complete:
      return "complete";
  }
  return "?";
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The last `n` lines of a run's log, indented, for a violation's context.
std::string log_tail(const std::string& path, int n = 4) {
  std::string text = read_file(path);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  std::string out;
  for (std::size_t i = lines.size() > static_cast<std::size_t>(n) ? lines.size() - n : 0;
       i < lines.size(); ++i) {
    out += "\n      | " + lines[i];
  }
  return out;
}

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::int64_t wall_now_us() { return axion::sdk::time::system_now_us(); }

}  // namespace

std::optional<BrokerFaults> fault_preset(const std::string& name) {
  BrokerFaults f;
  // Latency stays below one bar: orders mature at the next bar, before the engine's timeout.
  const double tenth_of_a_bar_ms = kBarSeconds * 1000.0 / 10;
  if (name == "crash") {
    f.latency_ms = 60000;
    f.partial_fill_rate = 0.2;
    f.reject_rate = 0.1;
    f.timeout_rate = 0.1;
  } else if (name == "none") {
  } else if (name == "reject") {
    f.reject_rate = 0.1;
  } else if (name == "timeout") {
    f.timeout_rate = 0.1;
  } else if (name == "partial") {
    f.partial_fill_rate = 0.1;
  } else if (name == "ghost") {
    f.ghost_fill_rate = 0.1;
  } else if (name == "latency") {
    f.latency_ms = tenth_of_a_bar_ms;
  } else if (name == "all") {
    f = {tenth_of_a_bar_ms, 0.1, 0.1, 0.1, 0.1};
  } else {
    return std::nullopt;
  }
  return f;
}

Harness::Harness(Options o) : opt_(std::move(o)), rng_(opt_.seed) {
  faults_ = *fault_preset(opt_.faults);
  if (opt_.work_dir.empty()) {
    opt_.work_dir = (fs::temp_directory_path() / ("axion-crash-" + std::to_string(opt_.seed) + "-" +
                                                  std::to_string(::getpid())))
                        .string();
    remove_work_ = true;
  }
  work_ = fs::absolute(opt_.work_dir).string();
}

void Harness::say(const std::string& line) const {
  if (!opt_.quiet) std::cout << line << std::endl;
}

std::int64_t Harness::uniform(std::int64_t lo, std::int64_t hi) {
  if (hi <= lo) return lo;
  return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng_);
}

Plan Harness::pick_plan() {
  // Weights: most stops are crashes while trading; every kind of stop comes up often.
  static const std::pair<Plan, int> kWeights[] = {{Plan::Startup, 10},      {Plan::Running, 30},
                                                  {Plan::Shutdown, 20},     {Plan::KillAck, 15},
                                                  {Plan::KillInFlight, 15}, {Plan::Graceful, 10}};
  int total = 0;
  for (const auto& [p, w] : kWeights) total += w;
  auto x = uniform(0, total - 1);
  for (const auto& [p, w] : kWeights) {
    if (x < w) return p;
    x -= w;
  }
  return Plan::Running;
}

// Readiness, the check of an acknowledged kill and the resume, on a thread of their own so that
// the stop can come at any moment, before or after the engine is ready.
struct Harness::Probe {
  std::atomic<bool> stop{false}, listening{false}, ready{false}, done{false};
  double listen_ms = 0, ready_ms = 0;
  bool check_ack = false;
  std::optional<nlohmann::json> status;  // for check_ack: the status before the reset
  bool status_complete = false;          // the status call finished before the stop
  std::string resumed;
  std::thread thread;

  void start(Rest rest, int timeout_ms) {
    thread = std::thread([this, rest, timeout_ms] {
      const auto t0 = Clock::now();
      const auto until = t0 + milliseconds(timeout_ms);
      while (!stop && Clock::now() < until) {
        if (!listening && rest.listening()) {
          listen_ms = ms_since(t0);
          listening = true;
        }
        if (listening && rest.health_answers()) {
          ready_ms = ms_since(t0);
          ready = true;
          break;
        }
        std::this_thread::sleep_for(milliseconds(5));
      }
      if (ready && !stop) {
        if (check_ack) {
          status = rest.status();
          status_complete = !stop;
        }
        if (!stop) resumed = rest.reset_and_resume();
      }
      done = true;
    });
  }
  ~Probe() {
    stop = true;
    if (thread.joinable()) thread.join();
  }
};

StateSnapshot Harness::after_stop(const std::string& when) {
  ep_.log.read_more(ep_.submit_log, runs_);
  const std::size_t before = findings_.violations.size();
  StateSnapshot s = read_state(ep_.state, ep_.last_sequence);
  for (auto& e : s.events) {
    e.run = runs_;
    ep_.last_sequence = std::max(ep_.last_sequence, e.sequence);
    ep_.events.push_back(e);
  }
  check_files(s, when, findings_);
  check_intents(ep_.log, s, when, ep_.intents_reported, findings_);
  std::set<std::string> ignore;
  if (faults_.ghost_fill_rate > 0) ignore = ghost_tickers(ep_.log);
  check_consistent(s, surviving_orders(ep_.log, s.book), when, ignore, ep_.inconsistent, findings_);
  if (findings_.violations.size() > before && ep_.state_copies < 3) {
    // The state as this stop left it, for a post-mortem (later runs change the state dir).
    ++ep_.state_copies;
    std::error_code ec;
    fs::copy(ep_.state, ep_.dir + "/state-after-run-" + std::to_string(runs_),
             fs::copy_options::recursive, ec);
  }
  return s;
}

bool Harness::judge_acknowledged_kill(const Probe& probe, int ack_run) {
  if (!probe.check_ack || !probe.status_complete) return false;  // stopped before it was seen
  const std::string what = ep_.prefix + "run " + std::to_string(runs_) +
                           ": the kill acknowledged in run " + std::to_string(ack_run) +
                           " before its SIGKILL";
  if (!probe.status) {
    findings_.add(what + " cannot be checked: GET /api/v1/bot/status does not answer");
    return true;
  }
  const auto& s = *probe.status;
  bool flatten = false;
  for (const auto& k : s.value("kill", nlohmann::json::array())) {
    flatten = flatten || (k.value("scope", "") == "global" && k.value("level", "") == "flatten");
  }
  if (!s.value("kill_switch_active", false) || !flatten) {
    findings_.add(what + " is not active after the restart (kill_switch_active " +
                  s.value("kill_switch_active", nlohmann::json(nullptr)).dump() + ", kill " +
                  s.value("kill", nlohmann::json(nullptr)).dump() + ")");
  }
  return true;
}

bool Harness::wait_feed_end(HostProcess& p, const std::string& log_path, milliseconds deadline) {
  auto until = Clock::now() + deadline;
  while (Clock::now() < until) {
    if (read_file(log_path).find("reached the end of its data") != std::string::npos) return true;
    if (!p.alive()) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return false;
}

// Waits for the probe (readiness, kill check, resume); false, with a violation, when the engine
// does not become ready: it ended on its own or /health did not answer in time.
bool Harness::wait_probe(HostProcess& p, Probe& probe, const std::string& label,
                         const std::string& log_path) {
  while (!probe.done) {
    if (!p.alive()) break;
    std::this_thread::sleep_for(milliseconds(5));
  }
  if (probe.ready) {
    while (!probe.done) std::this_thread::sleep_for(milliseconds(5));
    return true;
  }
  findings_.add(label + ": the engine did not become ready (" +
                (p.alive()
                     ? "no /health answer within " + std::to_string(opt_.ready_timeout_ms) + " ms"
                     : p.how_it_ended()) +
                ")" + log_tail(log_path));
  return false;
}

void Harness::act(HostProcess& p, Rest& rest, Probe& probe, Plan plan, milliseconds delay,
                  const std::string& log_path, int bars_total, RunResult& out, std::string& note) {
  const std::string run =
      ep_.prefix + "run " + std::to_string(runs_) + " (" + plan_name(plan) + ")";
  const auto at = "+" + std::to_string(delay.count()) + " ms";
  auto sigkill = [&] {
    out.crashed = p.kill_now();
    if (!out.crashed) {
      findings_.add(run + ": the engine ended on its own (" + p.how_it_ended() +
                    ") before the harness stopped it" + log_tail(log_path));
    }
  };
  // axion-host blocks SIGINT first thing in main and logs its banner after that, so a SIGINT
  // that ended it with nothing logged arrived while the program was still being loaded: it
  // never started, nothing was touched.
  auto stopped_before_main = [&] {
    std::error_code ec;
    return p.killed_by(SIGINT) && std::filesystem::file_size(log_path, ec) == 0 && !ec;
  };
  auto graceful_end = [&] {
    if (!p.wait_for(milliseconds(120000))) {
      findings_.add(run + ": graceful shutdown did not finish within 120 s" + log_tail(log_path));
      p.kill_now();
    } else if (stopped_before_main()) {
      note += " (SIGINT before main)";
    } else if (!p.exited_cleanly()) {
      findings_.add(run + ": graceful shutdown ended with " + p.how_it_ended() +
                    log_tail(log_path));
    }
  };
  switch (plan) {
    case Plan::Startup:
    case Plan::Running:
      std::this_thread::sleep_for(delay);
      note = "SIGKILL at " + at;
      probe.stop = true;
      sigkill();
      break;
    case Plan::Shutdown: {
      std::this_thread::sleep_for(delay);
      probe.stop = true;  // a status call the stop cuts off is not an unanswered one
      p.interrupt();
      auto after = std::chrono::microseconds(uniform(0, 30000));
      std::this_thread::sleep_for(after);
      note = "SIGINT at " + at + ", SIGKILL " + std::to_string(after.count() / 1000) + " ms later";
      out.crashed = p.kill_now();  // the shutdown may have finished first: then not a crash
      if (!out.crashed && stopped_before_main()) {
        note += " (SIGINT before main)";
      } else if (!out.crashed && !p.exited_cleanly()) {
        findings_.add(run + ": graceful shutdown ended with " + p.how_it_ended() +
                      log_tail(log_path));
      }
      break;
    }
    case Plan::KillAck:
    case Plan::KillInFlight: {
      std::this_thread::sleep_for(delay);
      if (!wait_probe(p, probe, run,
                      log_path)) {  // the kill needs REST, and must follow the resume
        p.kill_now();
        note = "not ready";
        break;
      }
      const std::string reason = "crash harness run " + std::to_string(runs_);
      int code = 0;
      if (plan == Plan::KillAck) {
        code = rest.kill(reason);
        note = "kill at " + at + " answered " + std::to_string(code) + ", then SIGKILL";
        sigkill();
      } else {
        std::thread request([&] { code = rest.kill(reason + " (in flight)"); });
        auto after = std::chrono::microseconds(uniform(0, 3000));
        std::this_thread::sleep_for(after);
        sigkill();
        request.join();
        note = "kill at " + at + ", SIGKILL " + std::to_string(after.count()) +
               " us later; answer " + std::to_string(code);
      }
      // An answer that arrived is an acknowledgement, even one that raced the SIGKILL.
      if (code >= 200 && code < 300) ep_.pending_ack = runs_;
      break;
    }
    case Plan::Graceful:
      std::this_thread::sleep_for(delay);
      note = "SIGINT at " + at;
      probe.stop = true;
      p.interrupt();
      graceful_end();
      break;
    case Plan::Complete: {
      note = "ran to the end of the feed";
      if (!wait_probe(p, probe, run, log_path)) {
        p.kill_now();
        break;
      }
      const auto t0 = Clock::now();
      // Without crashes (the fault matrix) the feed is paced, so REST answers while it runs: the
      // kills the faults cause are reset as they come, and trading goes on to meet more faults.
      std::atomic<bool> fed{false};
      std::thread resetter;
      if (opt_.crashes == 0) {
        resetter = std::thread([&] {
          while (!fed) {
            rest.reset_and_resume();
            std::this_thread::sleep_for(milliseconds(100));
          }
        });
      }
      const bool reached = wait_feed_end(p, log_path, milliseconds(300000));
      if (reached) rest.status();  // answered after every queued bar: the engine is idle
      fed = true;
      if (resetter.joinable()) resetter.join();
      if (!reached) {
        findings_.add(run + ": the feed did not reach its end (" + p.how_it_ended() + ")" +
                      log_tail(log_path));
      } else {
        const double per_bar = (ms_since(t0) + probe.ready_ms - probe.listen_ms) / bars_total;
        bar_ms_ = 0.5 * bar_ms_ + 0.5 * per_bar;
      }
      p.interrupt();
      graceful_end();
      break;
    }
  }
}

Harness::RunResult Harness::run_once(Plan plan, bool close_on_shutdown) {
  ++runs_;
  RunResult out;
  RunManifest m;
  m.feed_seed = rng_() % 1000000007;
  m.broker_seed = opt_.seed * 1000 + static_cast<std::uint64_t>(episode_);
  m.start_date = start_date_;
  start_date_ = add_days(start_date_, 14);  // at most 8 sessions of bars: the clock only moves on
  m.bars = static_cast<int>(uniform(opt_.min_bars, opt_.max_bars));
  m.close_on_shutdown = close_on_shutdown;
  m.faults = faults_;
  m.submit_log = ep_.submit_log;
  if (opt_.crashes == 0) {
    m.pace_ms = 10;
    // A persistent mismatch re-journals its kill at every reconcile: every 3 bars is enough,
    // except with ghosts, which must be caught at the reconcile of their bar.
    if (faults_.ghost_fill_rate == 0) m.reconcile_interval_seconds = 3 * kBarSeconds;
  }
  const int bars_total = m.warmup_bars + m.bars;
  // The stop comes at a seeded moment over the time the run is expected to take: its start-up
  // (to REST listening), then its bars.
  const auto startup_ms = static_cast<std::int64_t>(listen_ms_ * 1.2);
  const auto delay = milliseconds(
      plan == Plan::Startup
          ? uniform(0, startup_ms)
          : uniform(0, startup_ms + static_cast<std::int64_t>(bar_ms_ * bars_total * 1.3)));
  const std::string label =
      ep_.prefix + "run " + std::to_string(runs_) + " (" + plan_name(plan) + ")";
  const std::string log_path = ep_.logs + "/run-" + std::to_string(runs_) + ".log";
  std::string note, readiness;

  for (int attempt = 0;; ++attempt) {
    m.port = free_port();
    const std::string manifest = ep_.manifests + "/run-" + std::to_string(runs_) + ".toml";
    std::ofstream(manifest) << m.toml();
    std::vector<std::string> args = {"--pipeline", manifest, "--state-dir", ep_.state};
    if (m.pace_ms == 0) args.push_back("--no-pace");
    if (!opt_.plugin_dir.empty()) {
      args.push_back("--plugin-dir");
      args.push_back(opt_.plugin_dir);
    }
    HostProcess p(opt_.host, args, log_path);
    Rest rest(m.port, ep_.key);
    Probe probe;
    const std::optional<int> ack_run = ep_.pending_ack;
    probe.check_ack = ack_run.has_value();
    probe.start(rest, opt_.ready_timeout_ms);
    const std::size_t findings_before = findings_.violations.size();
    act(p, rest, probe, plan, delay, log_path, bars_total, out, note);
    probe.stop = true;
    if (probe.thread.joinable()) probe.thread.join();
    // Someone else took the port between free_port() and the bind: not the engine's fault.
    if (!probe.listening &&
        read_file(log_path).find("cannot use [api] port") != std::string::npos && attempt < 3) {
      findings_.violations.resize(findings_before);
      out = RunResult{};
      continue;
    }
    if (probe.listening) listen_ms_ = 0.7 * listen_ms_ + 0.3 * probe.listen_ms;
    if (probe.ready) {
      // /health may answer only once the queued bars are done: evidence of slower bars.
      const double per_bar = (probe.ready_ms - probe.listen_ms) / bars_total;
      if (per_bar > bar_ms_) bar_ms_ = 0.5 * (bar_ms_ + per_bar);
    }
    readiness = probe.ready ? "ready in " + std::to_string(static_cast<int>(probe.ready_ms)) + " ms"
                            : "stopped before ready";
    if (!probe.resumed.empty()) readiness += " (" + probe.resumed + ")";
    if (ack_run && judge_acknowledged_kill(probe, *ack_run)) {
      readiness += ", kill of run " + std::to_string(*ack_run) + " checked";
      if (ep_.pending_ack == ack_run) ep_.pending_ack.reset();
    }
    break;
  }
  if (out.crashed) ++crashes_;
  say(label + ": " + std::to_string(m.bars) + " bars from " + m.start_date + ", " + readiness +
      ", " + note + (out.crashed ? " [crash " + std::to_string(crashes_) + "]" : ""));
  out.after = after_stop(label);
  return out;
}

bool Harness::run_episode(int n) {
  ep_ = Episode{};
  episode_ = n;
  runs_ = 0;
  ep_.dir = opt_.episodes == 1 ? work_ : work_ + "/episode-" + std::to_string(n);
  ep_.prefix = opt_.episodes == 1 ? "" : "episode " + std::to_string(n) + " ";
  ep_.state = ep_.dir + "/state";
  ep_.logs = ep_.dir + "/logs";
  ep_.manifests = ep_.dir + "/manifests";
  ep_.submit_log = ep_.dir + "/submit.jsonl";
  // A fresh start in a reused folder: only what the harness itself writes there.
  for (const auto& p : {ep_.state, ep_.logs, ep_.manifests, ep_.submit_log}) fs::remove_all(p);
  for (const auto& p : {ep_.state, ep_.logs, ep_.manifests}) fs::create_directories(p);
  std::vector<fs::path> stale;
  for (const auto& d : fs::directory_iterator(ep_.dir)) {
    if (d.path().filename().string().rfind("state-after-run-", 0) == 0) stale.push_back(d.path());
  }
  for (const auto& d : stale) fs::remove_all(d);
  auto key = run_capture(
      opt_.host, {"--state-dir", ep_.state, "--create-key", "admin", "--key-name", "crash-harness"},
      ep_.logs + "/create-key.log");
  if (!key || key->size() < 4) {
    std::cerr << "axion-crash-harness: axion-host --create-key failed (see " << ep_.logs
              << "/create-key.log)\n";
    return false;
  }
  ep_.key = key->substr(0, key->find_first_of("\r\n"));

  run_once(Plan::Complete, true);  // a first clean run: positions to crash with, and the pace
  for (int i = 0; i < opt_.segments; ++i) run_once(Plan::Complete, true);
  const int crashes_before = crashes_;
  const int max_runs = runs_ + 4 * opt_.crashes + 10;
  while (crashes_ - crashes_before < opt_.crashes && runs_ < max_runs) run_once(pick_plan(), true);
  // The final clean runs: one that closes on shutdown, one that keeps its positions, so the last
  // reconcile compares open positions too.
  run_once(Plan::Complete, true);
  RunResult last = run_once(Plan::Complete, false);

  const std::string final_label = ep_.prefix + "final";
  Findings end;
  std::set<std::string> ignore;
  if (faults_.ghost_fill_rate > 0) {
    ignore = ghost_tickers(ep_.log);
    const std::int64_t bar_time_limit = wall_now_us() - 365LL * 86400 * 1000000;
    check_ghosts_caught(ep_.log, ep_.events, kBarSeconds * 1000000LL, bar_time_limit, end);
  }
  check_unique_ids(ep_.log, end);
  auto surviving = surviving_orders(ep_.log, last.after.book);
  check_books(surviving, last.after, ignore, end);
  if (ep_.log.unreadable > 0) {
    end.add("the submit log has " + std::to_string(ep_.log.unreadable) + " unreadable line(s)");
  }
  for (auto& v : end.violations) findings_.add(ep_.prefix + v);
  orders_ += ep_.log.created.size();
  for (const auto& o : ep_.log.lines) {
    if (o.status == "rejected" || o.status == "partial" || o.status == "pending")
      ++faults_seen_[o.status];
    if (o.ghost && o.filled_qty > 0) ++faults_seen_["ghost"];
  }
  for (const auto& o : surviving) fills_ += o.filled_qty > 0;
  return true;
}

int Harness::run() {
  say("axion-crash-harness: seed " + std::to_string(opt_.seed) + ", " +
      std::to_string(opt_.crashes) + " crashes, " + std::to_string(opt_.segments) + " segments, " +
      std::to_string(opt_.episodes) + " episode(s), faults " + opt_.faults + ", work dir " + work_);
  for (int n = 1; n <= opt_.episodes; ++n) {
    if (!run_episode(n)) return 2;
  }
  // A fault that never happened was not tested: say so rather than pass.
  const std::pair<double, const char*> wanted[] = {{faults_.reject_rate, "rejected"},
                                                   {faults_.partial_fill_rate, "partial"},
                                                   {faults_.latency_ms, "pending"},
                                                   {faults_.ghost_fill_rate, "ghost"}};
  for (const auto& [rate, what] : wanted) {
    if (rate > 0 && faults_seen_[what] == 0) {
      findings_.add(std::string("no ") + what +
                    " order in the submit log: the fault was not exercised");
    }
  }
  std::string seen;
  for (const auto& [what, n] : faults_seen_) seen += " " + what + "=" + std::to_string(n);
  say("submit log:" + (seen.empty() ? std::string(" no faults seen") : seen));
  for (const auto& v : findings_.violations) std::cout << "violation: " << v << "\n";
  if (findings_.violations.empty() && remove_work_) {
    std::error_code ec;
    fs::remove_all(work_, ec);
  } else {
    std::cout << "work dir kept: " << work_ << "\n";
  }
  std::cout << "crashes=" << crashes_ << " orders=" << orders_ << " fills=" << fills_
            << " violations=" << findings_.violations.size() << std::endl;
  return findings_.violations.empty() ? 0 : 1;
}

}  // namespace axion::crash
