// API keys and scopes (control.md §2): the REST API's and the WS add-on's authentication, kept
// out of core (the engine only asks a verifier it is given, EngineOptions::verify_token).
// Keys: "ax_" + 48 lower-case hex; only SHA-256 hashes are stored, durably, in the state
// directory's axion.db (table api_keys). Thread-safe: REST and WebSocket threads call it
// concurrently.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "axion/core/domain/types.hpp"

struct sqlite3;

namespace axion::core {
class Engine;
}

namespace axion::api {

using core::json;

struct ApiKey {
  std::string key_id;  // 16 lower-case hex
  std::string user_id;
  std::string name;
  std::vector<std::string> scopes;  // subset of read, write, admin
  std::string tier = "free";        // free | pro | enterprise
  bool is_active = true;
  std::int64_t created_us = 0;
  std::optional<std::int64_t> expires_us;
  std::optional<std::int64_t> last_used_us;
  std::string key_preview;  // "ax_..." + the raw key's last 4 chars (stored: K2 lists it too)
  // admin grants everything; write satisfies read; otherwise the exact scope.
  bool has_scope(const std::string& required) const;
  // APIKeyResponse without the raw key (key: null); key_preview "ax_..." + last 4 chars.
  json to_json(const std::string& key_preview) const;
};

// The caller of a request: a validated key, or the `dev` identity when auth is disabled.
struct Principal {
  std::string key_id;  // empty when auth is disabled
  std::string user_id = "dev";
  std::string tier = "enterprise";
  std::vector<std::string> scopes = {"admin"};
  bool authenticated = false;
  bool has_scope(const std::string& required) const;
  std::string actor() const { return key_id.empty() ? user_id : key_id; }  // journaled actor
};

std::string sha256_hex(std::string_view text);
// Constant-time equality of two strings of equal length (false on different lengths).
bool constant_time_equal(std::string_view a, std::string_view b);

class KeyStore;

// EngineOptions::verify_token answering from `keys` (which must outlive the engine).
std::function<std::optional<core::TokenIdentity>(const std::string& token)> token_verifier(KeyStore& keys);

// While it lives, every revocation in `keys` becomes the engine's "api_key_revoked" event (the
// WS add-on closes that key's connections, control.md §4.2). Declared after the engine, so it
// is gone before the engine is: a later revocation then reaches no freed engine. (A revocation
// already running on a REST thread is not waited for: stop the server before the engine.)
class RevocationFeed {
 public:
  RevocationFeed(KeyStore& keys, core::Engine& engine);
  ~RevocationFeed();
  RevocationFeed(const RevocationFeed&) = delete;
  RevocationFeed& operator=(const RevocationFeed&) = delete;

 private:
  KeyStore& keys_;
  int id_;
};

class KeyStore {
 public:
  using Clock = std::function<std::int64_t()>;  // wall clock, µs UTC
  // Opens (creates) the api_keys table in db_path. Throws std::runtime_error naming the file.
  KeyStore(const std::filesystem::path& db_path, Clock now);
  ~KeyStore();
  KeyStore(const KeyStore&) = delete;
  KeyStore& operator=(const KeyStore&) = delete;

  struct Created {
    ApiKey key;
    std::string raw;  // shown once
  };
  // expires_in_days: nullopt or 0 = no expiry. Scopes/tier are validated by the caller.
  Created create(const std::string& user_id, const std::string& name, std::vector<std::string> scopes,
                 const std::string& tier, std::optional<int> expires_in_days);
  // nullopt: not "ax_…", unknown hash, revoked or expired. On success updates last_used (to
  // the minute). A key once validated is served from memory (no database, no store-wide lock)
  // for up to kCacheSeconds; a revocation in this process drops it from every store's memory
  // before revoke() returns. An edit of the table from outside the process takes effect within
  // kCacheSeconds.
  std::optional<ApiKey> validate(const std::string& raw);
  std::vector<ApiKey> list(const std::string& user_id);
  // False when the key does not exist or belongs to another user.
  bool revoke(const std::string& user_id, const std::string& key_id);
  // Revocation listeners (e.g. the WS add-on closing a revoked key's connections). The id
  // removes it again (off_revoke), before whatever the listener points to is gone.
  int on_revoke(std::function<void(const std::string& key_id)> fn);
  void off_revoke(int id);

 private:
  std::optional<ApiKey> validate_from_db(const std::string& hash, std::uint64_t generation);
  std::mutex mu_;
  sqlite3* db_ = nullptr;
  // Validated active keys by hash. A revocation anywhere in the process bumps revocations_;
  // a cache filled before it is dropped whole (revocations are rare, reads are not).
  std::shared_mutex cache_mu_;
  struct Cached {
    ApiKey key;
    std::chrono::steady_clock::time_point read_at;
  };
  static constexpr int kCacheSeconds = 1;
  std::unordered_map<std::string, Cached> cache_;
  std::uint64_t cache_generation_ = 0;
  static std::atomic<std::uint64_t> revocations_;
  Clock now_;
  std::vector<std::pair<int, std::function<void(const std::string&)>>> revoke_listeners_;
  int next_listener_ = 1;
};

}  // namespace axion::api
