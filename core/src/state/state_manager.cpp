#include "axion/core/state/state_manager.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

#include "axion/sdk/time.hpp"

namespace axion::core {

namespace {

// Written and fsynced before the rename: renaming a file whose data is not on disk over the
// state can leave an empty bot_state.json after a power loss.
void write_all(const std::filesystem::path& p, const std::string& text) {
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw StateSaveError("cannot open " + p.string() + ": " + std::strerror(errno));
  std::size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      ::close(fd);
      throw StateSaveError("cannot write " + p.string() + ": " + std::strerror(e));
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    int e = errno;
    ::close(fd);
    throw StateSaveError("cannot fsync " + p.string() + ": " + std::strerror(e));
  }
  ::close(fd);
}

void fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw StateSaveError("cannot open directory " + dir.string());
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw StateSaveError("cannot fsync directory " + dir.string());
}

}  // namespace

StateManager::StateManager(std::filesystem::path state_dir, Clock now_us)
    : dir_(std::move(state_dir)), file_(dir_ / "bot_state.json"), now_us_(std::move(now_us)) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw StateSaveError("cannot create state dir " + dir_.string() + ": " + ec.message());
  daily_date_ = today();
  load();
}

std::string StateManager::today() const { return sdk::time::trading_date(now_us_()); }

void StateManager::load() {
  if (!std::filesystem::exists(file_)) {
    save_or_throw();  // no file: defaults, written immediately (§4.1)
    return;
  }
  std::ifstream in(file_);
  std::stringstream ss;
  ss << in.rdbuf();
  auto j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    std::error_code ec;
    std::filesystem::rename(file_, dir_ / "bot_state.json.corrupt", ec);
    loaded_corrupt_ = true;
    kill_active_ = true;
    kill_reason_ = "State file unreadable";
    save_or_throw();
    return;
  }
  try {
    kill_active_ = j.value("kill_switch_active", false);
    if (j.contains("kill_switch_reason") && j["kill_switch_reason"].is_string()) {
      kill_reason_ = j["kill_switch_reason"].get<std::string>();
    }
    daily_pnl_ = j.value("daily_pnl", 0.0);
    daily_trade_count_ = j.value("daily_trade_count", 0);
    daily_date_ = j.value("daily_date", today());
    if (j.contains("consecutive_losses") && j["consecutive_losses"].is_array()) {
      consecutive_losses_ = j["consecutive_losses"].get<std::vector<double>>();
    }
    circuit_breaker_ = j.value("circuit_breaker_status", "closed");
    if (circuit_breaker_ != "closed" && circuit_breaker_ != "open" && circuit_breaker_ != "half_open") {
      circuit_breaker_ = "open";  // unknown value: fail closed
    }
    total_realized_pnl_ = j.value("total_realized_pnl", 0.0);
    if (j.contains("last_signal_time") && j["last_signal_time"].is_string()) {
      last_signal_time_ = j["last_signal_time"].get<std::string>();
    }
    if (j.contains("last_trade_time") && j["last_trade_time"].is_string()) {
      last_trade_time_ = j["last_trade_time"].get<std::string>();
    }
  } catch (const json::exception&) {
    // Wrongly typed fields: same as unreadable, fail closed.
    std::error_code ec;
    std::filesystem::rename(file_, dir_ / "bot_state.json.corrupt", ec);
    loaded_corrupt_ = true;
    kill_active_ = true;
    kill_reason_ = "State file unreadable";
    save_or_throw();
  }
}

json StateManager::snapshot() const {
  nlohmann::ordered_json j;
  j["kill_switch_active"] = kill_active_;
  j["kill_switch_reason"] = kill_reason_ ? json(*kill_reason_) : json(nullptr);
  j["daily_pnl"] = daily_pnl_;
  j["daily_trade_count"] = daily_trade_count_;
  j["daily_date"] = daily_date_;
  j["consecutive_losses"] = consecutive_losses_;
  j["circuit_breaker_status"] = circuit_breaker_;
  j["total_realized_pnl"] = total_realized_pnl_;
  j["last_signal_time"] = last_signal_time_ ? json(*last_signal_time_) : json(nullptr);
  j["last_trade_time"] = last_trade_time_ ? json(*last_trade_time_) : json(nullptr);
  return json::parse(j.dump());
}

void StateManager::save_or_throw() {
  nlohmann::ordered_json j;
  j["kill_switch_active"] = kill_active_;
  j["kill_switch_reason"] = kill_reason_ ? nlohmann::ordered_json(*kill_reason_) : nlohmann::ordered_json(nullptr);
  j["daily_pnl"] = daily_pnl_;
  j["daily_trade_count"] = daily_trade_count_;
  j["daily_date"] = daily_date_;
  j["consecutive_losses"] = consecutive_losses_;
  j["circuit_breaker_status"] = circuit_breaker_;
  j["total_realized_pnl"] = total_realized_pnl_;
  j["last_signal_time"] = last_signal_time_ ? nlohmann::ordered_json(*last_signal_time_) : nlohmann::ordered_json(nullptr);
  j["last_trade_time"] = last_trade_time_ ? nlohmann::ordered_json(*last_trade_time_) : nlohmann::ordered_json(nullptr);
  auto tmp = dir_ / "bot_state.json.tmp";
  write_all(tmp, j.dump(2) + "\n");
  std::error_code ec;
  std::filesystem::rename(tmp, file_, ec);
  if (ec) throw StateSaveError("cannot rename " + tmp.string() + ": " + ec.message());
  fsync_dir(dir_);
  dirty_ = false;
}

void StateManager::save() {
  try {
    save_or_throw();
  } catch (const std::exception& e) {
    if (on_save_error) on_save_error(e.what());
  }
}

bool StateManager::rollover() {
  auto t = today();
  if (daily_date_ == t) return false;
  daily_pnl_ = 0;
  daily_trade_count_ = 0;
  daily_date_ = t;
  return true;
}

void StateManager::activate_kill_switch(const std::string& reason) {
  kill_active_ = true;
  kill_reason_ = reason;
  save_or_throw();  // the caller must know when the kill is not durable
}

void StateManager::deactivate_kill_switch() {
  const bool was_active = kill_active_;
  auto reason = kill_reason_;
  auto losses = consecutive_losses_;
  kill_active_ = false;
  kill_reason_.reset();
  consecutive_losses_.clear();
  try {
    save_or_throw();
  } catch (...) {
    // Not written: the file and this copy keep saying killed (a reset that did not stick).
    kill_active_ = was_active;
    kill_reason_ = std::move(reason);
    consecutive_losses_ = std::move(losses);
    throw;
  }
}

double StateManager::daily_pnl() {
  if (rollover()) save();
  return daily_pnl_;
}

int StateManager::daily_trade_count() {
  if (rollover()) save();
  return daily_trade_count_;
}

void StateManager::record_trade_pnl(double pnl) {
  rollover();
  daily_pnl_ += pnl;
  daily_trade_count_ += 1;
  total_realized_pnl_ += pnl;
  if (pnl < 0) {
    consecutive_losses_.push_back(pnl);
  } else {
    consecutive_losses_.clear();
  }
  save_throttled();
}

bool StateManager::rebuild_from_trades(const std::vector<json>& trades, std::int64_t streak_since_us) {
  const std::string date_before = daily_date_;
  const double daily_before = daily_pnl_, total_before = total_realized_pnl_;
  const int count_before = daily_trade_count_;
  const std::vector<double> streak_before = consecutive_losses_;
  daily_date_ = today();
  daily_pnl_ = 0;
  daily_trade_count_ = 0;
  total_realized_pnl_ = 0;
  consecutive_losses_.clear();
  for (const auto& t : trades) {
    if (!t.is_object() || !t.contains("pnl") || !t["pnl"].is_number()) continue;
    const double pnl = t["pnl"].get<double>();
    total_realized_pnl_ += pnl;
    std::optional<std::int64_t> at;
    if (t.contains("exit_time") && t["exit_time"].is_string()) at = sdk::time::parse_iso(t["exit_time"].get<std::string>());
    // The streak runs across days, as record_trade_pnl keeps it, from the last reset on.
    if (!at || *at > streak_since_us) {
      if (pnl < 0) {
        consecutive_losses_.push_back(pnl);
      } else {
        consecutive_losses_.clear();
      }
    }
    if (at && sdk::time::trading_date(*at) == daily_date_) {
      daily_pnl_ += pnl;
      daily_trade_count_ += 1;
    }
  }
  // Sums in another order differ in the last bits: compare to the cent.
  auto differs = [](double a, double b) { return std::fabs(a - b) > 0.005; };
  const bool changed = date_before != daily_date_ || differs(daily_before, daily_pnl_) ||
                       differs(total_before, total_realized_pnl_) ||
                       count_before != daily_trade_count_ ||
                       streak_before.size() != consecutive_losses_.size();
  save();
  return changed;
}

void StateManager::reset_daily() {
  daily_pnl_ = 0;
  daily_trade_count_ = 0;
  daily_date_ = today();
  save();
}

void StateManager::save_throttled() {
  dirty_ = true;
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  if (now - last_throttled_save_ns_ >= 5'000'000'000) {
    last_throttled_save_ns_ = now;
    save();
  }
}

void StateManager::record_signal_time() {
  last_signal_time_ = sdk::time::to_iso(now_us_());
  save_throttled();
}

void StateManager::record_trade_time() {
  last_trade_time_ = sdk::time::to_iso(now_us_());
  save_throttled();
}

void StateManager::flush() {
  if (dirty_) save();
}

StateManager::~StateManager() {
  // Last resort only: owners flush while they are alive (Engine::shutdown). Whoever set
  // on_save_error may already be gone, so a failure here is not reported through it.
  on_save_error = nullptr;
  flush();
}

void StateManager::set_circuit_breaker(const std::string& status) {
  if (status != "closed" && status != "open" && status != "half_open") {
    throw std::invalid_argument("circuit_breaker_status must be closed, open or half_open");
  }
  circuit_breaker_ = status;
  save();
}

}  // namespace axion::core
