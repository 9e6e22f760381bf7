#include "wal_checkpointer.hpp"

#include <pthread.h>
#include <sqlite3.h>

#include <chrono>
#include <string>

#include "axion/core/state/journal.hpp"

namespace axion::core {

WalCheckpointer::WalCheckpointer(const std::filesystem::path& db_path, int interval_ms) {
  int rc = sqlite3_open_v2(db_path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw JournalError("cannot open journal " + db_path.string() + " for checkpoints: " + msg);
  }
  sqlite3_busy_timeout(db_, 0);  // a busy database is checkpointed next time, never waited for
  thread_ = std::thread([this, interval_ms] {
    pthread_setname_np(pthread_self(), "axion-walckpt");
    run(interval_ms);
  });
}

WalCheckpointer::~WalCheckpointer() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (db_) sqlite3_close(db_);
}

std::uint64_t WalCheckpointer::checkpoints() const {
  std::lock_guard lock(mu_);
  return checkpoints_;
}

void WalCheckpointer::run(int interval_ms) {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, std::chrono::milliseconds(interval_ms), [this] { return stop_; })) {
    lock.unlock();
    int log_frames = 0, done_frames = 0;
    // Errors (SQLITE_BUSY while another checkpoint runs, a locked file) are retried next time.
    (void)sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &log_frames, &done_frames);
    lock.lock();
    ++checkpoints_;
  }
}

}  // namespace axion::core
