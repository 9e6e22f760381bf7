#include "axion/core/state/journal_reader.hpp"

#include <sqlite3.h>

#include <stdexcept>

namespace axion::core {

namespace {

// One prepared statement, finalized on every path.
class Query {
 public:
  Query(sqlite3* db, const std::string& sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s_, nullptr) != SQLITE_OK) fail();
  }
  ~Query() { sqlite3_finalize(s_); }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  bool step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) fail();
    return false;
  }
  std::int64_t integer(int col) { return sqlite3_column_int64(s_, col); }
  std::string text(int col) {
    auto* p = sqlite3_column_text(s_, col);
    return p ? reinterpret_cast<const char*>(p) : "";
  }

 private:
  [[noreturn]] void fail() { throw std::runtime_error(std::string("journal read failed: ") + sqlite3_errmsg(db_)); }
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

const char* outcome_filter(const std::string& outcome) {
  if (outcome == "executed") return " WHERE success = 1";
  if (outcome == "rejected") return " WHERE success = 0";
  return "";
}

}  // namespace

JournalReader::JournalReader(std::filesystem::path db_path) : path_(std::move(db_path)) {}

JournalReader::~JournalReader() {
  if (db_) sqlite3_close(db_);
}

sqlite3* JournalReader::db_locked() {
  if (db_) return db_;
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open journal " + path_.string() + " read-only: " + msg);
  }
  // WAL readers do not wait for the writer; this only covers a checkpoint's brief lock.
  sqlite3_busy_timeout(db, 2000);
  db_ = db;
  return db_;
}

void JournalReader::catch_up_locked() {
  // The engine only appends results and never deletes one (so each new rowid is the largest
  // plus one), so the rows past the last one counted are exactly the new ones: a range scan on
  // the primary key, never COUNT(*) of all.
  Query q(db_locked(), "SELECT COUNT(*), COALESCE(SUM(success = 1), 0), COALESCE(MAX(id), 0) FROM results WHERE id > ?");
  q.bind(1, counted_up_to_);
  if (!q.step()) return;
  const std::int64_t n = q.integer(0);
  if (n == 0) return;
  all_ += n;
  executed_ += q.integer(1);
  counted_up_to_ = q.integer(2);
}

std::vector<json> JournalReader::results(int limit, std::int64_t offset, const std::string& outcome) {
  std::lock_guard lock(mu_);
  Query q(db_locked(), std::string("SELECT result FROM results") + outcome_filter(outcome) +
                           " ORDER BY id DESC LIMIT ? OFFSET ?");
  q.bind(1, limit).bind(2, offset);
  std::vector<json> out;
  while (q.step()) out.push_back(json::parse(q.text(0), nullptr, false));
  return out;
}

std::int64_t JournalReader::result_count(const std::string& outcome) {
  std::lock_guard lock(mu_);
  catch_up_locked();
  if (outcome == "executed") return executed_;
  if (outcome == "rejected") return all_ - executed_;
  return all_;
}

std::string JournalReader::probe() {
  std::lock_guard lock(mu_);
  try {
    Query q(db_locked(), "SELECT MAX(id) FROM results");
    q.step();
    return "";
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace axion::core
