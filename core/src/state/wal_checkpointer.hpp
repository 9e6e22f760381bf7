// Checkpoints a SQLite WAL database from its own connection and thread, so the writer's commits
// never wait for the checkpoint's fsync (ARCHITECTURE §5: the engine thread does not wait on
// the disk for ordinary records). PASSIVE checkpoints never block the writer; the writer's own
// connection runs with wal_autocheckpoint = 0. Durability is unchanged: with synchronous=NORMAL
// a commit is in the WAL when it returns; the checkpoint only moves pages into the database.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <thread>

struct sqlite3;

namespace axion::core {

class WalCheckpointer {
 public:
  // Starts checkpointing `db_path` every `interval_ms`. Throws JournalError when the database
  // cannot be opened.
  WalCheckpointer(const std::filesystem::path& db_path, int interval_ms = 200);
  ~WalCheckpointer();  // stops the thread (after at most one checkpoint in progress)
  WalCheckpointer(const WalCheckpointer&) = delete;
  WalCheckpointer& operator=(const WalCheckpointer&) = delete;

  std::uint64_t checkpoints() const;  // completed checkpoint calls, for tests

 private:
  void run(int interval_ms);

  sqlite3* db_ = nullptr;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::uint64_t checkpoints_ = 0;
  std::thread thread_;
};

}  // namespace axion::core
