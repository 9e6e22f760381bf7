#include "host_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <thread>

namespace axion::crash {

namespace {

// In the child: output to the log, die with the harness, exec. Never returns.
[[noreturn]] void exec_child(const std::string& exe, const std::vector<std::string>& args,
                             int out_fd, int err_fd) {
  ::prctl(PR_SET_PDEATHSIG,
          SIGKILL);  // a harness killed by CTest's timeout leaves no engine behind
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(err_fd, STDERR_FILENO);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(exe.c_str()));
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(exe.c_str(), argv.data());
  std::fprintf(stderr, "axion-crash-harness: cannot exec %s\n", exe.c_str());
  ::_exit(127);
}

int open_log(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error("cannot open " + path);
  return fd;
}

}  // namespace

HostProcess::HostProcess(const std::string& exe, const std::vector<std::string>& args,
                         const std::string& log_path) {
  int fd = open_log(log_path);
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(fd);
    throw std::runtime_error("fork failed");
  }
  if (pid_ == 0) exec_child(exe, args, fd, fd);
  ::close(fd);
}

HostProcess::~HostProcess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    reap(true);
  }
}

bool HostProcess::reap(bool block) {
  if (reaped_) return true;
  pid_t r = ::waitpid(pid_, &status_, block ? 0 : WNOHANG);
  if (r == pid_) reaped_ = true;
  return reaped_;
}

bool HostProcess::alive() { return !reap(false); }

void HostProcess::interrupt() {
  if (!reaped_) ::kill(pid_, SIGINT);
}

bool HostProcess::kill_now() {
  if (reap(false)) return false;
  // Not reaped, so the pid is still ours (a zombie at worst): the signal cannot hit a stranger.
  ::kill(pid_, SIGKILL);
  reap(true);
  return killed_by_sigkill();
}

bool HostProcess::wait_for(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

std::string HostProcess::how_it_ended() const {
  if (!reaped_) return "running";
  if (WIFEXITED(status_)) return "exit " + std::to_string(WEXITSTATUS(status_));
  if (WIFSIGNALED(status_)) return "signal " + std::to_string(WTERMSIG(status_));
  return "status " + std::to_string(status_);
}

std::optional<std::string> run_capture(const std::string& exe, const std::vector<std::string>& args,
                                       const std::string& log_path) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  int err = open_log(log_path);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) exec_child(exe, args, pipefd[1], err);
  ::close(pipefd[1]);
  ::close(err);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(pipefd[0], buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return std::nullopt;
  return out;
}

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace axion::crash
