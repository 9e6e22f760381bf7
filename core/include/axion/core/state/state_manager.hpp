// PersistentStateManager (pipeline.md §1.11, §4): the kill switch and daily figures in
// state_dir/bot_state.json, exactly the 10 documented keys, saved atomically
// (temp file + fsync + rename + directory fsync) on every mutation.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "axion/core/domain/types.hpp"

namespace axion::core {

struct StateSaveError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class StateManager {
 public:
  using Clock = std::function<std::int64_t()>;

  StateManager(std::filesystem::path state_dir, Clock now_us);

  // Called with the error text whenever a save fails (the engine raises an `error` alert).
  std::function<void(const std::string&)> on_save_error;

  // The file's copy of the global kill switch. The engine's kill state is the Orchestrator's
  // (its kills, journaled); these are read at start-up (recovery) and written by it.
  bool kill_switch_active() const { return kill_active_; }
  const std::optional<std::string>& kill_switch_reason() const { return kill_reason_; }
  // Durable before they return; throw StateSaveError when the file could not be written (then
  // nothing changed).
  void activate_kill_switch(const std::string& reason);
  void deactivate_kill_switch();

  double daily_pnl();           // rollover-aware
  int daily_trade_count();      // rollover-aware
  double total_realized_pnl() const { return total_realized_pnl_; }
  const std::vector<double>& consecutive_losses() const { return consecutive_losses_; }
  const std::string& circuit_breaker_status() const { return circuit_breaker_; }
  const std::string& daily_date() const { return daily_date_; }

  // Counters: in memory at once (the loss limits read them), written with the next save or at
  // most every 5 s (ARCHITECTURE §5: never once per trade). The journal's trades are their
  // durable record; the engine rebuilds them from it at every start (rebuild_from_trades).
  void record_trade_pnl(double pnl);
  // The day's P&L and trade count, the lifetime P&L and the loss streak from the journal's
  // closed trades (oldest first; "pnl", "exit_time"); the streak counts only trades after
  // `streak_since_us` (the last reset of the global kill, which clears it). Saved. Returns
  // whether any figure differed from what was loaded (the file was behind the journal).
  bool rebuild_from_trades(const std::vector<json>& trades, std::int64_t streak_since_us = 0);
  void reset_daily();
  // The last signal/trade times are informational: they are written with the next save, or at
  // most every 5 s on their own, so a busy pipeline does not rewrite the file per signal.
  void record_signal_time();
  void record_trade_time();
  void flush();  // writes pending counter and timestamp changes now
  void set_circuit_breaker(const std::string& status);

  // True when the file existed but could not be read: it was moved aside and the kill switch
  // was activated (fail closed, §4.1).
  bool loaded_corrupt() const { return loaded_corrupt_; }
  json snapshot() const;
  const std::filesystem::path& path() const { return file_; }

 private:
  void load();
  bool rollover();
  // Every mutation rewrites the file atomically and durably (temp + fsync + rename + directory
  // fsync). The signal/trade timestamps alone are written at most every 5 s.
  void save();  // reports failures through on_save_error, does not throw
  void save_or_throw();
  std::string today() const;

  std::filesystem::path dir_;
  std::filesystem::path file_;
  Clock now_us_;
  bool kill_active_ = false;
  std::optional<std::string> kill_reason_;
  double daily_pnl_ = 0;
  int daily_trade_count_ = 0;
  std::string daily_date_;
  std::vector<double> consecutive_losses_;
  std::string circuit_breaker_ = "closed";
  double total_realized_pnl_ = 0;
  std::optional<std::string> last_signal_time_;
  std::optional<std::string> last_trade_time_;
  bool loaded_corrupt_ = false;
  bool dirty_ = false;  // counters or timestamps not yet written
  std::int64_t last_throttled_save_ns_ = 0;
  void save_throttled();

 public:
  ~StateManager();
};

}  // namespace axion::core
