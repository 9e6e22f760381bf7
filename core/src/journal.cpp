#include "axion/core/journal.hpp"
#include "wal_checkpointer.hpp"

namespace axion::core {

struct Journal::Stmt {
  sqlite3_stmt* s = nullptr;
  sqlite3* db = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
  Stmt& bind(int i, const std::string& v) {
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
CREATE TABLE IF NOT EXISTS results (id INTEGER PRIMARY KEY AUTOINCREMENT, ts_us INTEGER,
  stage TEXT, success INTEGER, result TEXT);
CREATE TABLE IF NOT EXISTS order_intents (client_order_id TEXT PRIMARY KEY, signal_id TEXT,
  purpose TEXT, order_json TEXT, created_us INTEGER, status TEXT, result TEXT);
CREATE TABLE IF NOT EXISTS positions (signal_id TEXT PRIMARY KEY, position TEXT);
CREATE TABLE IF NOT EXISTS executions (execution_id TEXT PRIMARY KEY, ts_us INTEGER, data TEXT);
CREATE TABLE IF NOT EXISTS trades (id INTEGER PRIMARY KEY AUTOINCREMENT, ts_us INTEGER, data TEXT);
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
  exec(kSchema);
  sqlite3_commit_hook(db_, &Journal::commit_hook, this);
  // Checkpoints (the fsyncs of a WAL database) run on their own thread, never in a commit of
  // the engine thread's.
  exec("PRAGMA wal_autocheckpoint=0");
  checkpointer_ = std::make_unique<WalCheckpointer>(db_path);
}

int Journal::commit_hook(void* self) {
  auto* j = static_cast<Journal*>(self);
  if (j->fail_commits_ <= 0) return 0;
  --j->fail_commits_;
  return 1;  // SQLite turns the COMMIT into a ROLLBACK and reports an error
}

std::uint64_t Journal::background_checkpoints() const { return checkpointer_ ? checkpointer_->checkpoints() : 0; }

Journal::~Journal() {
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

void Journal::enter() {
  if (batch_depth_++ == 0) exec("BEGIN");
}

void Journal::leave() {
  if (--batch_depth_ == 0) {
    try {
      exec("COMMIT");
    } catch (const JournalError& e) {
      recover_failed_commit(e.what());
    }
  }
}

// Some failures (a full disk, SQLITE_BUSY) leave the transaction open: roll it back, or every
// later BEGIN fails and each bar aborts. Then the owner hears of it.
void Journal::recover_failed_commit(const std::string& error) {
  if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  ++commit_failures_;
  if (on_commit_failure) {
    try {
      on_commit_failure(error);
    } catch (...) {
    }
  }
}

// A commit inside a batch failed: no transaction is open now. on_commit_failure may write (a
// kill), so while it runs the batch must not look open.
void Journal::report_lost_batch(const std::string& error) {
  const int depth = batch_depth_;
  batch_depth_ = 0;
  recover_failed_commit(error);
  batch_depth_ = depth;
}

void Journal::checkpoint() {
  if (batch_depth_ == 0) return;  // autocommit: every write is already committed
  try {
    exec("COMMIT");
  } catch (const JournalError& e) {
    // The batch goes on in a fresh transaction; the caller learns that its writes were lost.
    report_lost_batch(e.what());
    exec("BEGIN");
    throw;
  }
  exec("BEGIN");
}

void Journal::record_signal(const std::string& id, std::int64_t ts, const json& signal) {
  prepare("audit", "INSERT OR REPLACE INTO audit VALUES (?,?,?)")
      .bind(1, id).bind(2, ts).bind(3, signal.dump()).run();
}

void Journal::record_result(std::int64_t ts, const std::string& stage, bool success,
                            const json& result) {
  prepare("result", "INSERT INTO results (ts_us, stage, success, result) VALUES (?,?,?,?)")
      .bind(1, ts).bind(2, stage).bind(3, std::int64_t{success ? 1 : 0}).bind(4, result.dump()).run();
}

void Journal::record_intent(const std::string& cid, const std::string& signal_id,
                            const std::string& purpose, const json& order, std::int64_t ts) {
  prepare("intent",
          "INSERT INTO order_intents VALUES (?,?,?,?,?,'intent',NULL) "
          "ON CONFLICT(client_order_id) DO NOTHING")
      .bind(1, cid).bind(2, signal_id).bind(3, purpose).bind(4, order.dump()).bind(5, ts).run();
}

void Journal::record_order_update(const std::string& cid, const std::string& status,
                                  const json& result) {
  prepare("order_update", "UPDATE order_intents SET status = ?, result = ? WHERE client_order_id = ?")
      .bind(1, status).bind(2, result.dump()).bind(3, cid).run();
}

std::vector<OrderIntent> Journal::unresolved_intents(std::vector<DamagedRow>* damaged) {
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
  auto& st = prepare("close_count",
                     "SELECT COUNT(*) FROM order_intents WHERE signal_id = ? AND purpose LIKE 'close%'");
  st.bind(1, signal_id);
  std::int64_t n = 0;
  while (st.step()) n = st.integer(0);
  return static_cast<int>(n);
}

void Journal::set_intent_broker(const std::string& cid, const std::string& broker) {
  prepare("intent_broker",
          "UPDATE order_intents SET order_json = json_set(order_json, '$.broker', ?) "
          "WHERE client_order_id = ?")
      .bind(1, broker).bind(2, cid).run();
}

void Journal::upsert_position(const Position& p) {
  prepare("pos_upsert", "INSERT OR REPLACE INTO positions VALUES (?,?)")
      .bind(1, p.signal_id).bind(2, to_storage(p).dump()).run();
}

void Journal::delete_position(const std::string& signal_id) {
  prepare("pos_delete", "DELETE FROM positions WHERE signal_id = ?").bind(1, signal_id).run();
}

void Journal::rewrite_positions(const std::vector<Position>& open) {
  prepare("pos_clear", "DELETE FROM positions").run();
  for (const auto& p : open) upsert_position(p);
}

std::vector<Position> Journal::load_positions(std::vector<DamagedRow>* damaged) {
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
        if (p.ticker.empty() || p.signal_id.empty() || p.shares <= 0 ||
            (p.direction != "long" && p.direction != "short")) {
          error = "missing or invalid ticker, signal_id, shares or direction";
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

void Journal::record_execution(const std::string& id, std::int64_t ts, const json& data) {
  prepare("execution", "INSERT OR REPLACE INTO executions VALUES (?,?,?)")
      .bind(1, id).bind(2, ts).bind(3, data.dump()).run();
}

void Journal::record_trade(std::int64_t ts, const json& trade) {
  prepare("trade", "INSERT INTO trades (ts_us, data) VALUES (?,?)").bind(1, ts).bind(2, trade.dump()).run();
}

std::vector<json> Journal::trades(int limit) {
  auto& st = prepare("trades_list", "SELECT data FROM trades ORDER BY id DESC LIMIT ?");
  st.bind(1, std::int64_t{limit});
  std::vector<json> out;
  while (st.step()) out.push_back(json::parse(st.text(0), nullptr, false));
  return out;
}

void Journal::record_event(std::int64_t seq, std::int64_t ts, const std::string& channel,
                           const std::string& event, const std::string& data) {
  prepare("event", "INSERT OR REPLACE INTO events VALUES (?,?,?,?,?)")
      .bind(1, seq).bind(2, ts).bind(3, channel).bind(4, event).bind(5, data).run();
}

std::int64_t Journal::last_event_sequence() {
  auto& st = prepare("last_seq", "SELECT COALESCE(MAX(sequence), 0) FROM events");
  std::int64_t v = 0;
  if (st.step()) {
    v = st.integer(0);
    while (st.step()) {
    }
  }
  return v;
}

// Kill records are committed on their own with synchronous=FULL (the pragma cannot change
// inside a transaction): pending batch writes are committed first, the batch resumes after.
template <class Fn>
void Journal::write_fully_synchronous(Fn&& write) {
  bool in_batch = batch_depth_ > 0;
  if (in_batch) {
    try {
      exec("COMMIT");
    } catch (const JournalError& e) {
      report_lost_batch(e.what());  // the kill record is still attempted on its own
    }
  }
  exec("PRAGMA synchronous=FULL");
  try {
    write();
  } catch (...) {
    exec("PRAGMA synchronous=NORMAL");
    if (in_batch) exec("BEGIN");
    throw;
  }
  exec("PRAGMA synchronous=NORMAL");
  if (in_batch) exec("BEGIN");
}

void Journal::save_kill(const KillRecord& k) {
  write_fully_synchronous([&] {
    prepare("kill_save", "INSERT OR REPLACE INTO kills VALUES (?,?,?,?,?,?,1,NULL)")
        .bind(1, k.scope).bind(2, k.target).bind(3, k.level).bind(4, k.reason).bind(5, k.actor)
        .bind(6, k.activated_at_us).run();
  });
}

void Journal::close_kill(const std::string& scope, const std::string& target, std::int64_t ts) {
  write_fully_synchronous([&] {
    prepare("kill_close", "UPDATE kills SET active = 0, closed_us = ? WHERE scope = ? AND target = ?")
        .bind(1, ts).bind(2, scope).bind(3, target).run();
  });
}

std::int64_t Journal::last_kill_reset_us(const std::string& scope) {
  auto& st = prepare("kill_last_reset",
                     "SELECT COALESCE(MAX(closed_us), 0) FROM kills WHERE scope = ? AND active = 0");
  st.bind(1, scope);
  std::int64_t at = 0;
  while (st.step()) at = st.integer(0);
  return at;
}

std::vector<KillRecord> Journal::active_kills(std::vector<DamagedRow>* damaged) {
  auto& st = prepare("kills_active",
                     "SELECT level, scope, target, reason, actor, activated_us, rowid FROM kills "
                     "WHERE active = 1");
  std::vector<KillRecord> out;
  while (st.step()) {
    KillRecord k{st.text(0), st.text(1), st.text(2), st.text(3), st.text(4), st.integer(5)};
    const bool level_ok = k.level == "block_new" || k.level == "reduce_only" ||
                          k.level == "cancel_all" || k.level == "flatten";
    const bool scope_ok = k.scope == "global" || k.scope == "strategy" || k.scope == "symbol";
    if (!level_ok || !scope_ok) {
      if (damaged) {
        damaged->push_back({"kills", st.integer(6), "unknown level '" + k.level + "' or scope '" + k.scope + "'"});
      }
      // Still a kill: kept, at the level that blocks entries without touching positions.
      if (!level_ok) k.level = "block_new";
      if (!scope_ok) {
        k.scope = "global";
        k.target.clear();
      }
    }
    out.push_back(std::move(k));
  }
  return out;
}

std::optional<std::string> Journal::plugin_state(const std::string& plugin) {
  auto& st = prepare("pstate_get", "SELECT state FROM plugin_state WHERE plugin = ?");
  st.bind(1, plugin);
  std::optional<std::string> out;
  while (st.step()) out = st.text(0);
  return out;
}

void Journal::save_plugin_state(const std::string& plugin, const std::string& text) {
  prepare("pstate_set", "INSERT OR REPLACE INTO plugin_state VALUES (?,?)").bind(1, plugin).bind(2, text).run();
}

static const char* outcome_filter(const std::string& outcome) {
  if (outcome == "executed") return " WHERE success = 1";
  if (outcome == "rejected") return " WHERE success = 0";
  return "";
}

std::vector<json> Journal::results(int limit, int offset, const std::string& outcome) {
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
  std::string sql = std::string("SELECT COUNT(*) FROM results") + outcome_filter(outcome);
  std::string key = "count_" + outcome;
  auto& st = prepare(key.c_str(), sql.c_str());
  std::int64_t n = 0;
  while (st.step()) n = st.integer(0);
  return n;
}

}  // namespace axion::core
