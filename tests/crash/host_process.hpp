// One axion-host child process of the crash harness: spawned with fork/exec, its output appended
// to a log file, stopped with SIGINT (graceful) or SIGKILL (crash), reaped by pid.
#pragma once

#include <sys/types.h>
#include <sys/wait.h>

#include <chrono>
#include <csignal>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace axion::crash {

class HostProcess {
 public:
  // Starts `exe args...`; stdout and stderr go to `log_path` (appended). Throws when fork fails.
  HostProcess(const std::string& exe, const std::vector<std::string>& args,
              const std::string& log_path);
  ~HostProcess();  // SIGKILLs and reaps a child still running (never leaves one behind)
  HostProcess(const HostProcess&) = delete;
  HostProcess& operator=(const HostProcess&) = delete;

  pid_t pid() const { return pid_; }
  // True while the child has not exited; reaps it (and records how it ended) once it has.
  bool alive();
  void interrupt();  // SIGINT: graceful shutdown
  // SIGKILL; true when the child was still running when the signal was sent.
  bool kill_now();
  // Waits up to `timeout` for the child to end; false when it is still running.
  bool wait_for(std::chrono::milliseconds timeout);
  // How it ended, once reaped: "exit 0", "exit 1", "signal 9".
  std::string how_it_ended() const;
  bool exited_cleanly() const { return reaped_ && WIFEXITED(status_) && WEXITSTATUS(status_) == 0; }
  bool killed_by(int sig) const { return reaped_ && WIFSIGNALED(status_) && WTERMSIG(status_) == sig; }
  bool killed_by_sigkill() const {
    return reaped_ && WIFSIGNALED(status_) && WTERMSIG(status_) == SIGKILL;
  }

 private:
  bool reap(bool block);
  pid_t pid_ = -1;
  bool reaped_ = false;
  int status_ = 0;
};

// Runs `exe args...` to completion and returns its stdout (stderr to `log_path`); nullopt when it
// does not exit 0.
std::optional<std::string> run_capture(const std::string& exe, const std::vector<std::string>& args,
                                       const std::string& log_path);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to 0, read, closed).
std::uint16_t free_port();

}  // namespace axion::crash
