// The durable store (state_dir/axion.db, SQLite WAL): signal audit, pipeline results, order
// intents written before the broker call, broker acks and fills, open positions, executions,
// closed trades, events with their sequence numbers, kill records and plugin state.
//
// Writes are records handed to a writer thread (ARCHITECTURE §5): the engine thread never waits
// on the disk for ordinary records. What the engine writes between two checkpoints is one unit;
// the writer commits whole units, in order, several to a transaction when it falls behind. A
// crash therefore loses at most a suffix of units, never part of one. Waiting is explicit:
// make_durable() (an intent before an order leaves the process), save_kill()/close_kill()
// (synchronous=FULL) and sync() (reads and tests). A commit that fails is told to the engine on
// its own thread (on_commit_failure) at its next journal call. WAL checkpoints run on a thread
// of their own (WalCheckpointer).
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "axion/core/domain/kill.hpp"
#include "axion/core/domain/types.hpp"

namespace axion::core {

struct Event;

// A record's JSON tree built on the writer thread from what the producer captured (by value
// only), for records without a typed form; the engine's order records go as typed values and
// are written as text.
using JsonProducer = std::function<json()>;

struct JournalError : std::runtime_error {
  using std::runtime_error::runtime_error;
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

  // The signal as JSON text (append_dict_text: valid UTF-8, one object).
  void record_signal(std::string signal_id, std::int64_t ts_us, std::string signal_text);
  void record_result(std::int64_t ts_us, Stage stage, bool success, const json& result);
  // A result as JSON text the caller keeps too (the orchestrator's history): shared, not copied.
  void record_result(std::int64_t ts_us, Stage stage, bool success,
                     std::shared_ptr<const std::string> result_text);
  // The intent leaves with the unit; make_durable() before an order leaves the process.
  void record_intent(std::string client_order_id, std::string signal_id, std::string purpose,
                     json order, std::int64_t ts_us);
  void record_intent(std::string client_order_id, std::string signal_id, std::string purpose,
                     JsonProducer order, std::int64_t ts_us);
  // The order and its details as values: the writer thread writes intent_record's text.
  void record_intent(std::string client_order_id, std::string signal_id, std::string purpose,
                     Order order, IntentDetails details, std::int64_t ts_us);
  void record_order_update(std::string client_order_id, std::string status, json result);
  void record_order_update(std::string client_order_id, std::string status, JsonProducer result);
  // The broker's answer as a value: the writer thread writes its text (order_result_to_dict).
  void record_order_update(std::string client_order_id, std::string status, const OrderResult& result);
  // Intents without a final broker answer; rows that cannot be read go to `damaged`.
  std::vector<OrderIntent> unresolved_intents(std::vector<DamagedRow>* damaged = nullptr);
  // How many close intents this position has had: the next close id is past them, so ids stay
  // unique across restarts (a broker refuses or replays a reused client_order_id).
  int close_intent_count(const std::string& signal_id);
  // Records that the order went to another broker than the primary (durable before the send).
  void set_intent_broker(std::string client_order_id, std::string broker);

  void upsert_position(const Position& p);
  void delete_position(std::string signal_id);
  // The positions table becomes exactly `open` (after a lost batch: no stale or missing row).
  void rewrite_positions(const std::vector<Position>& open);
  std::vector<Position> load_positions(std::vector<DamagedRow>* damaged = nullptr);

  void record_execution(std::string execution_id, std::int64_t ts_us, Execution data);
  void record_trade(std::int64_t ts_us, json trade);
  // Serialized on the writer thread.
  void record_closed_trade(std::int64_t ts_us, ClosedTrade trade);
  std::vector<json> trades(int limit);

  // The bus's own event, shared rather than copied (EventBus recorder).
  void record_event(std::shared_ptr<const Event> event);
  std::int64_t last_event_sequence();

  // Kill records are committed with synchronous=FULL before anyone is told (pipeline.md §4.7):
  // these two wait for the writer and throw JournalError when the record is not durable.
  void save_kill(const KillRecord& k);
  void close_kill(KillScope scope, const std::string& target, std::int64_t ts_us);
  std::vector<KillRecord> active_kills(std::vector<DamagedRow>* damaged = nullptr);
  // When a kill of `scope` was last reset (engine clock, µs); 0 when never.
  std::int64_t last_kill_reset_us(KillScope scope);

  std::optional<std::string> plugin_state(const std::string& plugin);
  // Copies the text into a buffer the writer has finished with: a broker saves its book after
  // every order, and a fresh multi-kilobyte buffer each time (freed on the writer thread) had
  // the engine thread faulting in new pages.
  void save_plugin_state(std::string_view plugin, std::string_view json_text);

  // History of pipeline results, newest first. outcome: "executed" | "rejected" | "all".
  std::vector<json> results(int limit, int offset, const std::string& outcome);
  std::int64_t result_count(const std::string& outcome);

  // Groups writes into one unit while a Batch lives (nested batches join the outer one); the
  // unit is handed to the writer when the outermost batch ends. Outside a batch every write is
  // a unit of its own.
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
  // Ends the current unit here (what follows starts a new one) without waiting.
  void checkpoint();
  // Ends the current unit and waits until it and everything before it is committed. Throws
  // JournalError (after on_commit_failure) when that commit failed: nothing of it is durable.
  void make_durable();
  // Waits until every write so far is committed (or failed), then tells failures. For reads
  // and tests; the reads of this class call it themselves.
  void sync();
  // Waits until every unit handed over so far is committed or failed. Unlike sync() it may be
  // called from any thread (a test looking at the database while the engine runs).
  void drain();

  // Told on the engine thread (at its next journal call, outside any batch) whenever a commit
  // failed; the writer rolled that transaction back, and later units commit again. The engine
  // alerts and blocks new entries. Must not throw.
  std::function<void(const std::string& error)> on_commit_failure;
  std::uint64_t commit_failures() const { return commit_failures_.load(); }
  // Units and transactions the writer committed (group commit: units >= transactions).
  std::uint64_t committed_units() const;
  std::uint64_t committed_transactions() const;
  // Checkpoint passes the WAL checkpointer thread has made (tests).
  std::uint64_t background_checkpoints() const;
  // Fault injection for tests: after the writes so far are committed, the next `n` commits
  // fail as a full disk's would.
  void fail_next_commits(int n);

 private:
  struct Stmt;
  struct Writer;
  friend struct Writer;
  Stmt& prepare(const char* key, const char* sql);
  void exec(const char* sql);
  void enter();
  void leave();
  template <class Op>
  void write(Op&& op);
  // Hands the pending unit to the writer; with `wait`, blocks until it is committed and returns
  // the commit error ("" when durable). `full` commits it alone with synchronous=FULL.
  std::string publish(bool wait, bool full = false);
  void deliver_failures();
  // Waits for the writer, then holds the connection for a read of what was written.
  std::unique_lock<std::mutex> caught_up();
  static int commit_hook(void* self);
  int batch_depth_ = 0;
  std::atomic<int> fail_commits_{0};
  std::atomic<std::uint64_t> commit_failures_{0};

  sqlite3* db_ = nullptr;
  std::map<std::string, std::unique_ptr<Stmt>> stmts_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<class WalCheckpointer> checkpointer_;
};

}  // namespace axion::core
