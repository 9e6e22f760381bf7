// The durable store (state_dir/axion.db, SQLite WAL): signal audit, pipeline results, order
// intents written before the broker call, broker acks and fills, open positions, executions,
// closed trades, events with their sequence numbers, kill records and plugin state.
// Owned by the engine thread; the only lock is SQLite's own. WAL checkpoints run on a thread
// of their own (WalCheckpointer).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "axion/core/types.hpp"

namespace axion::core {

struct JournalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct KillRecord {
  std::string level = "flatten";  // block_new | reduce_only | cancel_all | flatten
  std::string scope = "global";   // global | strategy | symbol
  std::string target;             // "" for global
  std::string reason;
  std::string actor = "engine";
  std::int64_t activated_at_us = 0;
};

// A row that could not be read at start-up: the engine fails closed and names it.
struct DamagedRow {
  std::string table;
  std::int64_t rowid = 0;
  std::string error;
  std::string describe() const {
    return "journal table '" + table + "' row " + std::to_string(rowid) + ": " + error;
  }
};

struct OrderIntent {
  std::string client_order_id;
  std::string signal_id;
  std::string purpose;  // "entry" | "close-N" | "unwind"
  json order;
  std::string status;  // "intent" | broker status
  std::int64_t rowid = 0;
};

class Journal {
 public:
  explicit Journal(const std::filesystem::path& db_path);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  void record_signal(const std::string& signal_id, std::int64_t ts_us, const json& signal);
  void record_result(std::int64_t ts_us, const std::string& stage, bool success,
                     const json& result);
  // Throws JournalError when the intent cannot be made durable: no order may then be sent.
  void record_intent(const std::string& client_order_id, const std::string& signal_id,
                     const std::string& purpose, const json& order, std::int64_t ts_us);
  void record_order_update(const std::string& client_order_id, const std::string& status,
                           const json& result);
  // Intents without a final broker answer; rows that cannot be read go to `damaged`.
  std::vector<OrderIntent> unresolved_intents(std::vector<DamagedRow>* damaged = nullptr);
  // How many close intents this position has had: the next close id is past them, so ids stay
  // unique across restarts (a broker refuses or replays a reused client_order_id).
  int close_intent_count(const std::string& signal_id);
  // Records that the order went to another broker than the primary (durable before the send).
  void set_intent_broker(const std::string& client_order_id, const std::string& broker);

  void upsert_position(const Position& p);
  void delete_position(const std::string& signal_id);
  // The positions table becomes exactly `open` (after a lost batch: no stale or missing row).
  void rewrite_positions(const std::vector<Position>& open);
  std::vector<Position> load_positions(std::vector<DamagedRow>* damaged = nullptr);

  void record_execution(const std::string& execution_id, std::int64_t ts_us, const json& data);
  void record_trade(std::int64_t ts_us, const json& trade);
  std::vector<json> trades(int limit);

  void record_event(std::int64_t sequence, std::int64_t ts_us, const std::string& channel,
                    const std::string& event, const std::string& data);
  std::int64_t last_event_sequence();

  // Kill records are committed with synchronous=FULL before anyone is told (pipeline.md §4.7).
  void save_kill(const KillRecord& k);
  void close_kill(const std::string& scope, const std::string& target, std::int64_t ts_us);
  std::vector<KillRecord> active_kills(std::vector<DamagedRow>* damaged = nullptr);
  // When a kill of `scope` was last reset (engine clock, µs); 0 when never.
  std::int64_t last_kill_reset_us(const std::string& scope);

  std::optional<std::string> plugin_state(const std::string& plugin);
  void save_plugin_state(const std::string& plugin, const std::string& json_text);

  // History of pipeline results, newest first. outcome: "executed" | "rejected" | "all".
  std::vector<json> results(int limit, int offset, const std::string& outcome);
  std::int64_t result_count(const std::string& outcome);

  // Groups writes into one transaction while a Batch lives (nested batches join the outer
  // one). checkpoint() commits what is pending at once: the order intent must be durable
  // before the broker hears of the order.
  class Batch {
   public:
    explicit Batch(Journal& j) : j_(j) { j_.enter(); }
    ~Batch() { j_.leave(); }
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;

   private:
    Journal& j_;
  };
  Batch batch() { return Batch(*this); }
  // Throws JournalError when the commit fails (after rolling the transaction back and telling
  // on_commit_failure): what was pending is then not durable.
  void checkpoint();

  // Told (on the engine thread, outside any transaction of the caller's) whenever a commit
  // failed; the transaction was rolled back so later batches work again. The engine alerts
  // and blocks new entries. Must not throw.
  std::function<void(const std::string& error)> on_commit_failure;
  std::uint64_t commit_failures() const { return commit_failures_; }
  // Checkpoint passes the WAL checkpointer thread has made (tests).
  std::uint64_t background_checkpoints() const;
  // Fault injection for tests: the next `n` commits fail as a full disk's would.
  void fail_next_commits(int n) { fail_commits_ = n; }

 private:
  struct Stmt;
  Stmt& prepare(const char* key, const char* sql);
  void exec(const char* sql);
  void enter();
  void leave();
  void recover_failed_commit(const std::string& error);
  void report_lost_batch(const std::string& error);
  static int commit_hook(void* self);
  template <class Fn>
  void write_fully_synchronous(Fn&& write);
  int batch_depth_ = 0;
  int fail_commits_ = 0;
  std::uint64_t commit_failures_ = 0;

  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Stmt>> stmts_;
  std::unique_ptr<class WalCheckpointer> checkpointer_;
};

}  // namespace axion::core
