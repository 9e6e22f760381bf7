#include "axion/core/state/journal.hpp"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <thread>
#include <variant>

#include "axion/core/state/event_bus.hpp"
#include "wal_checkpointer.hpp"

namespace axion::core {

struct Journal::Stmt {
  sqlite3_stmt* s = nullptr;
  sqlite3* db = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
  Stmt& bind(int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s, i, v);
    return *this;
  }
  void run() {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
      throw JournalError(std::string("journal write failed: ") + sqlite3_errmsg(db));
    }
  }
  bool step() {
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW) return true;
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    if (rc != SQLITE_DONE) throw JournalError(std::string("journal read failed: ") + sqlite3_errmsg(db));
    return false;
  }
  std::string text(int col) {
    auto* p = sqlite3_column_text(s, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  std::int64_t integer(int col) { return sqlite3_column_int64(s, col); }
};

namespace {
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (signal_id TEXT PRIMARY KEY, ts_us INTEGER, signal TEXT);
CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY, ts_us INTEGER,
  stage TEXT, success INTEGER, result TEXT);
CREATE TABLE IF NOT EXISTS order_intents (client_order_id TEXT PRIMARY KEY, signal_id TEXT,
  purpose TEXT, order_json TEXT, created_us INTEGER, status TEXT, result TEXT);
CREATE TABLE IF NOT EXISTS positions (signal_id TEXT PRIMARY KEY, position TEXT);
CREATE TABLE IF NOT EXISTS executions (execution_id TEXT PRIMARY KEY, ts_us INTEGER, data TEXT);
CREATE TABLE IF NOT EXISTS trades (id INTEGER PRIMARY KEY, ts_us INTEGER, data TEXT);
CREATE TABLE IF NOT EXISTS events (sequence INTEGER PRIMARY KEY, ts_us INTEGER, channel TEXT,
  event TEXT, data TEXT);
CREATE TABLE IF NOT EXISTS kills (scope TEXT, target TEXT, level TEXT, reason TEXT, actor TEXT,
  activated_us INTEGER, active INTEGER, closed_us INTEGER, PRIMARY KEY (scope, target));
CREATE TABLE IF NOT EXISTS plugin_state (plugin TEXT PRIMARY KEY, state TEXT);
-- A position's close ids continue from its journaled closes (close_intent_count): without this
-- index each close scanned every intent ever recorded.
CREATE INDEX IF NOT EXISTS order_intents_by_signal ON order_intents (signal_id);
)sql";
}  // namespace

// ---- the records the engine hands to the writer ---------------------------------------------

namespace {
struct SignalRec { std::string id; std::int64_t ts; std::string text; };
struct ResultRec { std::int64_t ts; Stage stage; bool success; std::shared_ptr<const std::string> text; };
struct IntentText { Order order; IntentDetails details; };
void append_dict_text(std::string& out, const std::unique_ptr<const IntentText>& i) {
  append_intent_text(out, i->order, i->details);
}
// The positions table keeps every field (append_storage_text), not the API's dict.
void append_dict_text(std::string& out, const Position& p) { append_storage_text(out, p); }
// The order and its details are boxed: at ~1.1 KB they would make every record that size.
struct IntentRec {
  std::string cid, signal_id, purpose;
  std::variant<JsonProducer, std::unique_ptr<const IntentText>> order;
  std::int64_t ts;
};
struct OrderUpdateRec { std::string cid, status; std::variant<JsonProducer, OrderResult> result; };
struct IntentBrokerRec { std::string cid, broker; };
struct PositionRec { Position p; };
struct PositionDeleteRec { std::string signal_id; };
struct PositionsClearRec {};
struct ExecutionRec { std::string id; std::int64_t ts; Execution data; };
struct TradeRec { std::int64_t ts; std::variant<json, ClosedTrade> trade; };
struct EventRec { std::shared_ptr<const Event> ev; };
struct KillSaveRec { KillRecord k; };
struct KillCloseRec { KillScope scope; std::string target; std::int64_t ts; };
struct PluginStateRec { std::string plugin, text; };

using Op = std::variant<SignalRec, ResultRec, IntentRec, OrderUpdateRec, IntentBrokerRec, PositionRec,
                        PositionDeleteRec, PositionsClearRec, ExecutionRec, TradeRec, EventRec,
                        KillSaveRec, KillCloseRec, PluginStateRec>;

struct Unit {
  std::vector<Op> ops;
  std::uint64_t seq = 0;
  bool full = false;  // a kill record: committed alone with synchronous=FULL
};

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;  // clang before 17 has no aggregate deduction

// A record's JSON text. Text a plugin passed that is not UTF-8 is stored with replacement
// characters: on the writer thread a throw would roll back everyone's group, not one record.
std::string stored(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// A record the engine handed over unserialized. A producer that throws (out of memory) fails
// its whole unit like a full disk: rolled back, told to the engine (a block_new kill), and an
// intent waited for with make_durable() throws, so its order is never sent.
std::string stored(const JsonProducer& make) {
  try {
    return stored(make());
  } catch (const std::exception& e) {
    throw JournalError(std::string("a record could not be serialized: ") + e.what());
  } catch (...) {
    throw JournalError("a record could not be serialized");
  }
}

// Moves a finished tree into a producer (for the callers that still build one); it is called
// once, on the writer thread (a failed unit is not retried).
JsonProducer holding(json j) {
  return [j = std::move(j)]() mutable { return std::move(j); };
}

// The engine may run ahead of the disk by this many records; past it, it waits (a disk that
// cannot keep up must slow trading down, not grow memory without bound).
constexpr std::size_t kMaxQueuedOps = 1 << 18;
constexpr std::size_t kFailureMemory = 64;
constexpr std::size_t kSpareTexts = 64;  // a group can hold many saves: all of them come back
constexpr std::size_t kSpareOpLists = 64;
constexpr std::size_t kMaxSpareOps = 256;  // a record is up to a few hundred bytes
constexpr std::size_t kMinSpareOps = 8;
// A unit started while the writer holds every list (it is behind): room for a signal's records
// at once, instead of growing 1, 2, 4, 8, 16 with a move of every record each time.
constexpr std::size_t kFreshOps = 16;

constexpr std::size_t kMaxSpareText = 1 << 20;
}  // namespace

struct Journal::Writer {
  explicit Writer(Journal& owner) : j(owner) {
    thread = std::thread([this] {
      pthread_setname_np(pthread_self(), "axion-journal");  // named in top -H and perf
      run();
    });
  }
  ~Writer() {
    {
      std::lock_guard lock(mu);
      stop = true;
    }
    work_cv.notify_one();
    thread.join();  // after the queue is drained: what was handed over is committed
  }

  struct FailedRange {
    std::uint64_t first, last;
    std::string error;
  };

  Journal& j;
  // Engine thread only: the unit being written.
  std::vector<Op> pending;
  bool delivering = false;

  std::mutex mu;  // the queue and the counters below
  std::condition_variable work_cv, done_cv;
  std::vector<Unit> queue;
  std::size_t queued_ops = 0;
  std::uint64_t published = 0;  // sequence of the last unit handed over
  std::uint64_t finished = 0;   // every unit up to this one is committed or failed
  std::uint64_t units = 0, transactions = 0;
  std::vector<std::string> spare_texts;  // plugin-state buffers written, for the next save
  // Committed units' op lists, for the next units, oldest first: reused in the order they came
  // back, so the records each still holds (released when it is reused) never stay pinned.
  std::deque<std::vector<Op>> spare_op_lists;
  std::deque<FailedRange> failed;        // recent failed groups, for waiters
  std::vector<std::string> undelivered;  // failures the engine has not been told of yet
  std::atomic<bool> has_undelivered{false};
  bool stop = false;

  std::mutex db_mu;  // the connection: the writer's transaction or a read
  std::string text;  // writer thread: the record being bound
  std::thread thread;

  std::string failure_of(std::uint64_t seq) const {
    for (const auto& f : failed) {
      if (seq >= f.first && seq <= f.last) return f.error;
    }
    return {};
  }

  void run() {
    std::vector<Unit> work;
    for (;;) {
      {
        std::unique_lock lock(mu);
        work_cv.wait(lock, [&] { return stop || !queue.empty(); });
        if (queue.empty()) return;  // stop, and nothing is left
        work.swap(queue);
        queued_ops = 0;
      }
      done_cv.notify_all();  // a producer held back by kMaxQueuedOps may go on
      // Ordinary units commit together; a kill record commits alone, in its place.
      for (std::size_t i = 0; i < work.size();) {
        std::size_t end = i + 1;
        if (!work[i].full) {
          while (end < work.size() && !work[end].full) ++end;
        }
        std::string error = commit(work, i, end);
        std::vector<std::string> spare = written_texts(work, i, end);
        // The group's op lists are back before it counts as finished, for whoever waited.
        std::vector<std::vector<Op>> lists = returned_op_lists(work, i, end);
        {
          std::lock_guard lock(mu);
          for (auto& t : spare) {
            if (spare_texts.size() < kSpareTexts) spare_texts.push_back(std::move(t));
          }
          for (auto& l : lists) {
            if (spare_op_lists.size() < kSpareOpLists) spare_op_lists.push_back(std::move(l));
          }
          finished = work[end - 1].seq;
          if (error.empty()) {
            units += end - i;
            ++transactions;
          } else {
            failed.push_back({work[i].seq, work[end - 1].seq, error});
            if (failed.size() > kFailureMemory) failed.pop_front();
            // A kill's own failure is its waiter's to report; a lost group is the engine's.
            if (!work[i].full) {
              j.commit_failures_.fetch_add(1);
              undelivered.push_back(error);
              has_undelivered.store(true);
            }
          }
        }
        done_cv.notify_all();
        i = end;
      }
      work.clear();
    }
  }

  // Units first..last's op lists, for the engine thread to fill again with their capacity (a
  // fresh list per unit was one or two allocations per signal there). Their records go with
  // them and are destroyed there when a list is reused: events and result texts are released
  // on the thread that recycles them, so their pools' locks never bounce between threads.
  static std::vector<std::vector<Op>> returned_op_lists(std::vector<Unit>& work, std::size_t first,
                                                        std::size_t last) {
    std::vector<std::vector<Op>> lists;
    for (std::size_t u = first; u < last; ++u) {
      const std::size_t cap = work[u].ops.capacity();
      if (cap == 0 || cap > kMaxSpareOps || lists.size() >= kSpareOpLists) continue;
      // Grown here, not on the engine thread: a signal's unit is a few records.
      if (cap < kMinSpareOps) work[u].ops.reserve(kMinSpareOps);
      lists.push_back(std::move(work[u].ops));
    }
    return lists;
  }

  // The plugin-state buffers of units first..last, moved out for reuse (small ones only: a
  // huge one would pin its memory).
  static std::vector<std::string> written_texts(std::vector<Unit>& work, std::size_t first,
                                                std::size_t last) {
    std::vector<std::string> out;
    for (std::size_t u = first; u < last && out.size() < kSpareTexts; ++u) {
      for (auto& op : work[u].ops) {
        auto* r = std::get_if<PluginStateRec>(&op);
        if (r && r->text.capacity() <= kMaxSpareText) out.push_back(std::move(r->text));
        if (out.size() == kSpareTexts) break;
      }
    }
    return out;
  }

  // Each plugin's last state save within units first..last. The units commit in one
  // transaction, so only that text can ever be read back: a broker saves its book after every
  // order, and a writer that fell behind wrote every one of them.
  using NewestStates = std::vector<std::pair<std::string_view, const Op*>>;
  static NewestStates newest_states(const std::vector<Unit>& work, std::size_t first, std::size_t last) {
    NewestStates newest;  // a handful of plugins: a flat list
    for (std::size_t u = first; u < last; ++u) {
      for (const auto& op : work[u].ops) {
        const auto* r = std::get_if<PluginStateRec>(&op);
        if (!r) continue;
        auto it = std::find_if(newest.begin(), newest.end(), [&](const auto& n) { return n.first == r->plugin; });
        if (it == newest.end()) {
          newest.emplace_back(r->plugin, &op);
        } else {
          it->second = &op;
        }
      }
    }
    return newest;
  }
  static const Op* newest_of(const NewestStates& newest, std::string_view plugin) {
    for (const auto& [name, op] : newest) {
      if (name == plugin) return op;
    }
    return nullptr;
  }

  std::string commit(std::vector<Unit>& work, std::size_t first, std::size_t last) {
    std::lock_guard lock(db_mu);
    const bool full = work[first].full;
    std::string error;
    try {
      if (full) j.exec("PRAGMA synchronous=FULL");
      j.exec("BEGIN");
      const auto newest = newest_states(work, first, last);
      for (std::size_t u = first; u < last; ++u) {
        for (auto& op : work[u].ops) {
          if (const auto* r = std::get_if<PluginStateRec>(&op); r && newest_of(newest, r->plugin) != &op) {
            continue;  // a later save in this transaction replaces it
          }
          apply(op);
        }
      }
      j.exec("COMMIT");
    } catch (const std::exception& e) {
      error = e.what();
      // Some failures (a full disk, SQLITE_BUSY) leave the transaction open: roll it back, or
      // every later BEGIN fails.
      if (!sqlite3_get_autocommit(j.db_)) sqlite3_exec(j.db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    if (full) sqlite3_exec(j.db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
    return error;
  }

  // A record's text, written into `text` (reused: sqlite copies what is bound).
  template <class Write>
  std::string_view written(Write&& write) {
    text.clear();
    write(text);
    return text;
  }
  // Records the engine handed over as values become text here; trees (rare paths) are dumped.
  template <class... Ts>
  std::string_view text_of(const std::variant<Ts...>& record) {
    return std::visit(Overloaded{[&](const json& j) -> std::string_view { return text.assign(stored(j)); },
                                 [&](const JsonProducer& make) -> std::string_view { return text.assign(stored(make)); },
                                 [&](const auto& value) { return text_of(value); }},
                      record);
  }
  // A typed record's text. A failure (out of memory) fails its unit as a producer's would.
  template <class T>
  std::string_view text_of(const T& value) {
    try {
      return written([&](std::string& t) { append_dict_text(t, value); });
    } catch (const std::exception& e) {
      throw JournalError(std::string("a record could not be serialized: ") + e.what());
    }
  }

  void apply(Op& op) {
    std::visit(
        Overloaded{
            [&](SignalRec& r) {
              j.prepare("audit", "INSERT OR REPLACE INTO audit VALUES (?,?,?)")
                  .bind(1, r.id).bind(2, r.ts).bind(3, r.text).run();
            },
            [&](ResultRec& r) {
              j.prepare("result", "INSERT INTO results (ts_us, stage, success, result) VALUES (?,?,?,?)")
                  .bind(1, r.ts).bind(2, to_string(r.stage)).bind(3, std::int64_t{r.success ? 1 : 0})
                  .bind(4, *r.text).run();
            },
            [&](IntentRec& r) {
              j.prepare("intent",
                        "INSERT INTO order_intents VALUES (?,?,?,?,?,'intent',NULL) "
                        "ON CONFLICT(client_order_id) DO NOTHING")
                  .bind(1, r.cid).bind(2, r.signal_id).bind(3, r.purpose).bind(4, text_of(r.order))
                  .bind(5, r.ts).run();
            },
            [&](OrderUpdateRec& r) {
              j.prepare("order_update",
                        "UPDATE order_intents SET status = ?, result = ? WHERE client_order_id = ?")
                  .bind(1, r.status).bind(2, text_of(r.result)).bind(3, r.cid).run();
            },
            [&](IntentBrokerRec& r) {
              j.prepare("intent_broker",
                        "UPDATE order_intents SET order_json = json_set(order_json, '$.broker', ?) "
                        "WHERE client_order_id = ?")
                  .bind(1, r.broker).bind(2, r.cid).run();
            },
            [&](PositionRec& r) {
              j.prepare("pos_upsert", "INSERT OR REPLACE INTO positions VALUES (?,?)")
                  .bind(1, r.p.signal_id).bind(2, text_of(r.p)).run();
            },
            [&](PositionDeleteRec& r) {
              j.prepare("pos_delete", "DELETE FROM positions WHERE signal_id = ?").bind(1, r.signal_id).run();
            },
            [&](PositionsClearRec&) { j.prepare("pos_clear", "DELETE FROM positions").run(); },
            [&](ExecutionRec& r) {
              j.prepare("execution", "INSERT OR REPLACE INTO executions VALUES (?,?,?)")
                  .bind(1, r.id).bind(2, r.ts).bind(3, text_of(r.data)).run();
            },
            [&](TradeRec& r) {
              j.prepare("trade", "INSERT INTO trades (ts_us, data) VALUES (?,?)")
                  .bind(1, r.ts)
                  .bind(2, text_of(r.trade))
                  .run();
            },
            [&](EventRec& r) {
              j.prepare("event", "INSERT OR REPLACE INTO events VALUES (?,?,?,?,?)")
                  .bind(1, r.ev->sequence).bind(2, r.ev->ts_us).bind(3, r.ev->channel)
                  .bind(4, r.ev->event).bind(5, r.ev->data()).run();
            },
            [&](KillSaveRec& r) {
              const auto& k = r.k;
              j.prepare("kill_save", "INSERT OR REPLACE INTO kills VALUES (?,?,?,?,?,?,1,NULL)")
                  .bind(1, std::string(to_string(k.scope))).bind(2, k.target)
                  .bind(3, std::string(to_string(k.level))).bind(4, k.reason)
                  .bind(5, k.actor).bind(6, k.activated_at_us).run();
            },
            [&](KillCloseRec& r) {
              j.prepare("kill_close",
                        "UPDATE kills SET active = 0, closed_us = ? WHERE scope = ? AND target = ?")
                  .bind(1, r.ts).bind(2, std::string(to_string(r.scope))).bind(3, r.target).run();
            },
            [&](PluginStateRec& r) {
              j.prepare("pstate_set", "INSERT OR REPLACE INTO plugin_state VALUES (?,?)")
                  .bind(1, r.plugin).bind(2, r.text).run();
            },
        },
        op);
  }
};

Journal::Journal(const std::filesystem::path& db_path) {
  std::error_code ec;
  std::filesystem::create_directories(db_path.parent_path(), ec);
  int rc = sqlite3_open_v2(db_path.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw JournalError("cannot open journal " + db_path.string() + ": " + msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=NORMAL");
  // A writer that fell behind commits thousands of records at once; with the default 2 MB page
  // cache SQLite spilled dirty pages to the WAL in mid-transaction (a sixth of the writer's time).
  exec("PRAGMA cache_size=-32768");
  exec(kSchema);
  sqlite3_commit_hook(db_, &Journal::commit_hook, this);
  // Checkpoints (the fsyncs of a WAL database) run on their own thread, never in a commit of
  // the writer's.
  exec("PRAGMA wal_autocheckpoint=0");
  checkpointer_ = std::make_unique<WalCheckpointer>(db_path);
  writer_ = std::make_unique<Writer>(*this);
}

int Journal::commit_hook(void* self) {
  auto* j = static_cast<Journal*>(self);
  int n = j->fail_commits_.load();
  while (n > 0 && !j->fail_commits_.compare_exchange_weak(n, n - 1)) {
  }
  return n > 0 ? 1 : 0;  // non-zero: SQLite turns the COMMIT into a ROLLBACK and reports an error
}

std::uint64_t Journal::background_checkpoints() const { return checkpointer_ ? checkpointer_->checkpoints() : 0; }

std::uint64_t Journal::committed_units() const {
  std::lock_guard lock(writer_->mu);
  return writer_->units;
}

std::uint64_t Journal::committed_transactions() const {
  std::lock_guard lock(writer_->mu);
  return writer_->transactions;
}

Journal::~Journal() {
  if (writer_) {
    try {
      publish(false);
    } catch (...) {
    }
    writer_.reset();  // drains the queue
  }
  checkpointer_.reset();  // before the last connection closes (which checkpoints what is left)
  stmts_.clear();
  if (db_) sqlite3_close(db_);
}

void Journal::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    throw JournalError("journal: " + msg);
  }
}

Journal::Stmt& Journal::prepare(const char* key, const char* sql) {
  auto it = stmts_.find(key);
  if (it != stmts_.end()) return *it->second;
  auto st = std::make_unique<Stmt>();
  st->db = db_;
  if (sqlite3_prepare_v2(db_, sql, -1, &st->s, nullptr) != SQLITE_OK) {
    throw JournalError(std::string("journal prepare failed: ") + sqlite3_errmsg(db_));
  }
  return *stmts_.emplace(key, std::move(st)).first->second;
}

// ---- units: handing over, waiting, failures --------------------------------------------------

template <class Op>
void Journal::write(Op&& op) {
  auto& pending = writer_->pending;
  if (pending.capacity() == 0) pending.reserve(kFreshOps);
  pending.emplace_back(std::forward<Op>(op));
  if (batch_depth_ == 0) publish(false);
}

std::string Journal::publish(bool wait, bool full) {
  auto& w = *writer_;
  std::vector<Op> reuse;  // a committed unit's list as the writer gave it back, records and all
  std::string failure;
  {
    std::unique_lock lock(w.mu);
    std::uint64_t seq = w.published;
    if (!w.pending.empty()) {
      if (w.queued_ops > kMaxQueuedOps) {
        w.done_cv.wait(lock, [&] { return w.queued_ops <= kMaxQueuedOps; });
      }
      seq = ++w.published;
      w.queued_ops += w.pending.capacity();  // slots, not records: the bound is on memory
      w.queue.push_back(Unit{std::move(w.pending), seq, full});
      w.pending.clear();
      lock.unlock();
      w.work_cv.notify_one();
      lock.lock();
    }
    // The next unit's list: one the writer gave back, if there is one now (also after a unit
    // handed over while none was: a wait here is when they come back).
    auto take_spare = [&] {
      if (w.pending.capacity() == 0 && reuse.capacity() == 0 && !w.spare_op_lists.empty()) {
        reuse = std::move(w.spare_op_lists.front());
        w.spare_op_lists.pop_front();
      }
    };
    take_spare();
    if (wait) {
      w.done_cv.wait(lock, [&] { return w.finished >= seq; });
      take_spare();
      failure = w.failure_of(seq);
    }
  }
  if (reuse.capacity() != 0) {
    // Its records end here, on the engine thread, outside the writer's lock: what they share
    // with the engine (events, result texts) goes back to its pools without crossing threads.
    reuse.clear();
    w.pending = std::move(reuse);
  }
  return failure;
}

void Journal::deliver_failures() {
  auto& w = *writer_;
  if (!w.has_undelivered.load() || w.delivering || batch_depth_ > 0) return;
  std::vector<std::string> errors;
  {
    std::lock_guard lock(w.mu);
    errors.swap(w.undelivered);
    w.has_undelivered.store(false);
  }
  w.delivering = true;
  for (const auto& e : errors) {
    if (!on_commit_failure) continue;
    try {
      on_commit_failure(e);
    } catch (...) {
    }
  }
  w.delivering = false;
}

void Journal::enter() {
  if (batch_depth_ == 0) deliver_failures();
  ++batch_depth_;
}

void Journal::leave() {
  if (--batch_depth_ == 0) publish(false);
}

void Journal::checkpoint() { publish(false); }

void Journal::make_durable() {
  std::string error = publish(true);
  if (error.empty()) return;
  // The batch goes on in a new unit; the caller learns that its writes were lost.
  const int depth = batch_depth_;
  batch_depth_ = 0;
  deliver_failures();
  batch_depth_ = depth;
  throw JournalError(error);
}

void Journal::sync() {
  publish(true);
  deliver_failures();
}

void Journal::drain() {
  auto& w = *writer_;
  std::unique_lock lock(w.mu);
  const std::uint64_t seq = w.published;
  w.done_cv.wait(lock, [&] { return w.finished >= seq; });
}

std::unique_lock<std::mutex> Journal::caught_up() {
  publish(true);
  return std::unique_lock(writer_->db_mu);
}

void Journal::fail_next_commits(int n) {
  publish(true);
  fail_commits_.store(n);
}

// ---- writes ----------------------------------------------------------------------------------

void Journal::record_signal(std::string id, std::int64_t ts, std::string signal_text) {
  write(SignalRec{std::move(id), ts, std::move(signal_text)});
}

void Journal::record_result(std::int64_t ts, Stage stage, bool success, const json& result) {
  record_result(ts, stage, success, std::make_shared<const std::string>(stored(result)));
}

void Journal::record_result(std::int64_t ts, Stage stage, bool success,
                            std::shared_ptr<const std::string> result_text) {
  write(ResultRec{ts, stage, success, std::move(result_text)});
}

void Journal::record_intent(std::string cid, std::string signal_id, std::string purpose, json order,
                            std::int64_t ts) {
  record_intent(std::move(cid), std::move(signal_id), std::move(purpose), holding(std::move(order)), ts);
}

void Journal::record_intent(std::string cid, std::string signal_id, std::string purpose,
                            JsonProducer order, std::int64_t ts) {
  write(IntentRec{std::move(cid), std::move(signal_id), std::move(purpose), std::move(order), ts});
}

void Journal::record_intent(std::string cid, std::string signal_id, std::string purpose, Order order,
                            IntentDetails details, std::int64_t ts) {
  write(IntentRec{std::move(cid), std::move(signal_id), std::move(purpose),
                  std::make_unique<const IntentText>(IntentText{std::move(order), std::move(details)}), ts});
}

void Journal::record_order_update(std::string cid, std::string status, json result) {
  record_order_update(std::move(cid), std::move(status), holding(std::move(result)));
}

void Journal::record_order_update(std::string cid, std::string status, JsonProducer result) {
  write(OrderUpdateRec{std::move(cid), std::move(status), std::move(result)});
}

void Journal::record_order_update(std::string cid, std::string status, const OrderResult& result) {
  write(OrderUpdateRec{std::move(cid), std::move(status), result});
}

void Journal::set_intent_broker(std::string cid, std::string broker) {
  write(IntentBrokerRec{std::move(cid), std::move(broker)});
}

void Journal::upsert_position(const Position& p) { write(PositionRec{p}); }

void Journal::delete_position(std::string signal_id) { write(PositionDeleteRec{std::move(signal_id)}); }

void Journal::rewrite_positions(const std::vector<Position>& open) {
  auto batch = this->batch();  // one unit: the table is never seen half rewritten
  write(PositionsClearRec{});
  for (const auto& p : open) write(PositionRec{p});
}

void Journal::record_execution(std::string id, std::int64_t ts, Execution data) {
  write(ExecutionRec{std::move(id), ts, std::move(data)});
}

void Journal::record_trade(std::int64_t ts, json trade) { write(TradeRec{ts, std::move(trade)}); }

void Journal::record_closed_trade(std::int64_t ts, ClosedTrade trade) { write(TradeRec{ts, std::move(trade)}); }

void Journal::record_event(std::shared_ptr<const Event> event) { write(EventRec{std::move(event)}); }

void Journal::save_plugin_state(std::string_view plugin, std::string_view text) {
  std::string buffer;
  {
    auto& w = *writer_;
    std::lock_guard lock(w.mu);
    if (!w.spare_texts.empty()) {
      buffer = std::move(w.spare_texts.back());
      w.spare_texts.pop_back();
    }
  }
  buffer.assign(text);
  write(PluginStateRec{std::string(plugin), std::move(buffer)});
}

// Kill records are committed on their own with synchronous=FULL (the pragma cannot change
// inside a transaction): the pending unit goes first, the batch resumes after.
void Journal::save_kill(const KillRecord& k) {
  publish(false);
  writer_->pending.emplace_back(KillSaveRec{k});
  if (auto error = publish(true, true); !error.empty()) throw JournalError(error);
}

void Journal::close_kill(KillScope scope, const std::string& target, std::int64_t ts) {
  publish(false);
  writer_->pending.emplace_back(KillCloseRec{scope, target, ts});
  if (auto error = publish(true, true); !error.empty()) throw JournalError(error);
}

// ---- reads: after the writer caught up, on the same connection -------------------------------

std::vector<OrderIntent> Journal::unresolved_intents(std::vector<DamagedRow>* damaged) {
  auto lock = caught_up();
  auto& st = prepare("unresolved",
                     "SELECT client_order_id, signal_id, purpose, order_json, status, rowid FROM "
                     "order_intents WHERE status IN ('intent','pending') ORDER BY created_us");
  std::vector<OrderIntent> out;
  while (st.step()) {
    OrderIntent i{st.text(0), st.text(1), st.text(2), json::parse(st.text(3), nullptr, false),
                  st.text(4), st.integer(5)};
    if (i.client_order_id.empty() || !i.order.is_object()) {
      if (damaged) damaged->push_back({"order_intents", i.rowid, "unreadable order"});
      continue;
    }
    out.push_back(std::move(i));
  }
  return out;
}

int Journal::close_intent_count(const std::string& signal_id) {
  auto lock = caught_up();
  auto& st = prepare("close_count",
                     "SELECT COUNT(*) FROM order_intents WHERE signal_id = ? AND purpose LIKE 'close%'");
  st.bind(1, signal_id);
  std::int64_t n = 0;
  while (st.step()) n = st.integer(0);
  return static_cast<int>(n);
}

std::vector<Position> Journal::load_positions(std::vector<DamagedRow>* damaged) {
  auto lock = caught_up();
  auto& st = prepare("pos_load", "SELECT rowid, position FROM positions ORDER BY rowid");
  std::vector<Position> out;
  while (st.step()) {
    const std::int64_t rowid = st.integer(0);
    auto j = json::parse(st.text(1), nullptr, false);
    std::string error;
    if (j.is_discarded() || !j.is_object()) {
      error = "not a JSON object";
    } else {
      try {
        Position p = position_from_storage(j);
        if (p.ticker.empty() || p.signal_id.empty() || p.shares <= 0) {
          error = "missing or invalid ticker, signal_id or shares";
        } else {
          out.push_back(std::move(p));
        }
      } catch (const std::exception& e) {
        error = e.what();
      }
    }
    // Never dropped silently: the row stays in the table and the engine starts killed.
    if (!error.empty() && damaged) damaged->push_back({"positions", rowid, error});
  }
  std::stable_sort(out.begin(), out.end(), [](const Position& a, const Position& b) {
    return a.entry_time_us < b.entry_time_us;
  });
  return out;
}

std::vector<json> Journal::trades(int limit) {
  auto lock = caught_up();
  auto& st = prepare("trades_list", "SELECT data FROM trades ORDER BY id DESC LIMIT ?");
  st.bind(1, std::int64_t{limit});
  std::vector<json> out;
  while (st.step()) out.push_back(json::parse(st.text(0), nullptr, false));
  return out;
}

std::int64_t Journal::last_event_sequence() {
  auto lock = caught_up();
  auto& st = prepare("last_seq", "SELECT COALESCE(MAX(sequence), 0) FROM events");
  std::int64_t v = 0;
  if (st.step()) {
    v = st.integer(0);
    while (st.step()) {
    }
  }
  return v;
}

std::int64_t Journal::last_kill_reset_us(KillScope scope) {
  auto lock = caught_up();
  auto& st = prepare("kill_last_reset",
                     "SELECT COALESCE(MAX(closed_us), 0) FROM kills WHERE scope = ? AND active = 0");
  st.bind(1, std::string(to_string(scope)));
  std::int64_t at = 0;
  while (st.step()) at = st.integer(0);
  return at;
}

std::vector<KillRecord> Journal::active_kills(std::vector<DamagedRow>* damaged) {
  auto lock = caught_up();
  auto& st = prepare("kills_active",
                     "SELECT level, scope, target, reason, actor, activated_us, rowid FROM kills "
                     "WHERE active = 1");
  std::vector<KillRecord> out;
  while (st.step()) {
    const std::string level_text = st.text(0), scope_text = st.text(1);
    const auto level = parse_kill_level(level_text);
    const auto scope = parse_kill_scope(scope_text);
    // Still a kill when unreadable: kept, at the level that blocks entries without touching
    // positions, and global.
    KillRecord k{level.value_or(KillLevel::BlockNew), scope.value_or(KillScope::Global),
                 scope ? st.text(2) : std::string(), st.text(3), st.text(4), st.integer(5)};
    if ((!level || !scope) && damaged) {
      damaged->push_back({"kills", st.integer(6),
                          "unknown level '" + level_text + "' or scope '" + scope_text + "'"});
    }
    out.push_back(std::move(k));
  }
  return out;
}

std::optional<std::string> Journal::plugin_state(const std::string& plugin) {
  auto lock = caught_up();
  auto& st = prepare("pstate_get", "SELECT state FROM plugin_state WHERE plugin = ?");
  st.bind(1, plugin);
  std::optional<std::string> out;
  while (st.step()) out = st.text(0);
  return out;
}

static const char* outcome_filter(const std::string& outcome) {
  if (outcome == "executed") return " WHERE success = 1";
  if (outcome == "rejected") return " WHERE success = 0";
  return "";
}

std::vector<json> Journal::results(int limit, int offset, const std::string& outcome) {
  auto lock = caught_up();
  std::string sql = std::string("SELECT result FROM results") + outcome_filter(outcome) +
                    " ORDER BY id DESC LIMIT ? OFFSET ?";
  std::string key = "results_" + outcome;
  auto& st = prepare(key.c_str(), sql.c_str());
  st.bind(1, std::int64_t{limit}).bind(2, std::int64_t{offset});
  std::vector<json> out;
  while (st.step()) out.push_back(json::parse(st.text(0), nullptr, false));
  return out;
}

std::int64_t Journal::result_count(const std::string& outcome) {
  auto lock = caught_up();
  std::string sql = std::string("SELECT COUNT(*) FROM results") + outcome_filter(outcome);
  std::string key = "count_" + outcome;
  auto& st = prepare(key.c_str(), sql.c_str());
  std::int64_t n = 0;
  while (st.step()) n = st.integer(0);
  return n;
}

}  // namespace axion::core
