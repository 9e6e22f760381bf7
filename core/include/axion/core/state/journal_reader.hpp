// Read-only access to the journal's pipeline history for the REST side (GET /bot/history,
// /health): its own SQLite connection, opened read-only, so a reader never takes the engine's
// connection or waits for the engine thread (WAL lets readers run beside the writer). Counts
// are kept incrementally: each request counts only the rows added since the previous one.
// Thread-safe (one mutex; requests on this connection are serialized).
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "axion/core/domain/types.hpp"

struct sqlite3;

namespace axion::core {

class JournalReader {
 public:
  // Opens lazily, on first use: a missing or locked file is a request error, not a start-up one.
  explicit JournalReader(std::filesystem::path db_path);
  ~JournalReader();
  JournalReader(const JournalReader&) = delete;
  JournalReader& operator=(const JournalReader&) = delete;

  // Pipeline results, newest first (outcome "executed" | "rejected" | "all"), as the journal
  // stored them. Throws std::runtime_error naming the file when the journal cannot be read.
  std::vector<json> results(int limit, std::int64_t offset, const std::string& outcome);
  // How many results match `outcome`.
  std::int64_t result_count(const std::string& outcome);
  // A cheap query on the connection: "" when the journal answers, else the error.
  std::string probe();

 private:
  sqlite3* db_locked();  // opens on first use; mu_ held
  void catch_up_locked();

  std::filesystem::path path_;
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  std::int64_t counted_up_to_ = 0;  // highest results.id included in the counts
  std::int64_t all_ = 0, executed_ = 0;
};

}  // namespace axion::core
