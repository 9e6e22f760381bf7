#include "journal_view.hpp"

#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

namespace axion::crash {

namespace {

class Db {
 public:
  explicit Db(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
      error_ = db_ ? sqlite3_errmsg(db_) : "out of memory";
    } else {
      sqlite3_busy_timeout(db_, 5000);
    }
  }
  ~Db() { sqlite3_close(db_); }
  const std::string& error() const { return error_; }

  // Runs `sql`, calling `row` per result row; returns an error text, empty on success.
  std::string each(const char* sql, const std::function<void(sqlite3_stmt*)>& row) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) return sqlite3_errmsg(db_);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) row(st);
    std::string err = rc == SQLITE_DONE ? "" : sqlite3_errmsg(db_);
    sqlite3_finalize(st);
    return err;
  }

 private:
  sqlite3* db_ = nullptr;
  std::string error_;
};

std::string text(sqlite3_stmt* st, int col) {
  auto* p = sqlite3_column_text(st, col);
  return p ? reinterpret_cast<const char*>(p) : "";
}

void read_book(const std::string& state_text, StateSnapshot& s) {
  json j = json::parse(state_text, nullptr, false);
  if (!j.is_object()) {
    s.problems.push_back("broker/paper state is not a JSON object");
    return;
  }
  try {
    s.book.present = true;
    s.book.next_seq = j.at("next_seq").get<std::uint64_t>();
    for (const auto& p : j.at("positions")) {
      s.book.positions[p.at("symbol").get<std::string>()] += p.at("qty").get<std::int64_t>();
    }
    for (const auto& o : j.at("orders")) s.book.orders[o.at("seq").get<std::uint64_t>()] = o;
  } catch (const json::exception& e) {
    s.problems.push_back(std::string("broker/paper state unreadable: ") + e.what());
  }
}

}  // namespace

StateSnapshot read_state(const std::string& state_dir, std::int64_t since_sequence) {
  namespace fs = std::filesystem;
  StateSnapshot s;
  const fs::path dir(state_dir);

  // bot_state.json is written atomically (temp + rename): whenever it exists it must parse.
  if (fs::exists(dir / "bot_state.json")) {
    std::ifstream in(dir / "bot_state.json");
    std::stringstream buf;
    buf << in.rdbuf();
    if (!json::parse(buf.str(), nullptr, false).is_object()) {
      s.problems.push_back("bot_state.json does not parse as a JSON object (" +
                           std::to_string(buf.str().size()) + " bytes)");
    }
  }

  Db db((dir / "axion.db").string());
  if (!db.error().empty()) {
    s.problems.push_back("axion.db does not open: " + db.error());
    return s;
  }
  std::string integrity;
  auto err = db.each("PRAGMA integrity_check", [&](sqlite3_stmt* st) { integrity += text(st, 0); });
  if (!err.empty() || integrity != "ok") {
    s.problems.push_back("axion.db integrity_check: " + (err.empty() ? integrity : err));
    return s;
  }
  auto note = [&](const std::string& what, const std::string& e) {
    if (!e.empty()) s.problems.push_back("axion.db " + what + ": " + e);
  };
  note("order_intents",
       db.each("SELECT client_order_id, status FROM order_intents",
               [&](sqlite3_stmt* st) { s.intent_status[text(st, 0)] = text(st, 1); }));
  note("order_intents (unwinds)",
       db.each("SELECT client_order_id, signal_id, order_json FROM order_intents "
               "WHERE purpose = 'unwind' AND status IN ('intent', 'pending')",
               [&](sqlite3_stmt* st) {
                 json o = json::parse(text(st, 2), nullptr, false);
                 if (!o.is_object()) return;
                 UnresolvedUnwind u{text(st, 0), text(st, 1), o.value("ticker", ""), o.value("qty", std::int64_t{0})};
                 if (o.value("side", "") == "buy") u.held = -u.held;  // buying back a short
                 s.unwinds.push_back(u);
               }));
  note("positions", db.each("SELECT signal_id, position FROM positions", [&](sqlite3_stmt* st) {
    json p = json::parse(text(st, 1), nullptr, false);
    JournalPosition jp;
    jp.signal_id = text(st, 0);
    if (p.is_object()) {
      jp.ticker = p.value("ticker", "");
      jp.direction = p.value("direction", "long");
      jp.shares = p.value("shares", std::int64_t{0});
    } else {
      s.problems.push_back("positions row " + jp.signal_id + " is not JSON");
    }
    s.positions.push_back(jp);
  }));
  std::string since = std::to_string(since_sequence);
  std::string events_sql = "SELECT sequence, ts_us, event, data FROM events WHERE sequence > " +
                           since + " AND event IN ('kill_switch', 'error') ORDER BY sequence";
  note("events", db.each(events_sql.c_str(), [&](sqlite3_stmt* st) {
    JournalEvent e;
    e.sequence = sqlite3_column_int64(st, 0);
    e.ts_us = sqlite3_column_int64(st, 1);
    e.event = text(st, 2);
    e.data = json::parse(text(st, 3), nullptr, false);
    s.events.push_back(std::move(e));
  }));
  note("plugin_state", db.each("SELECT state FROM plugin_state WHERE plugin = 'broker/paper'",
                               [&](sqlite3_stmt* st) { read_book(text(st, 0), s); }));
  return s;
}

}  // namespace axion::crash
