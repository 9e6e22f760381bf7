// API keys (control.md §2.2–2.4, §1.6). Only SHA-256 hashes of raw keys are
// stored (table api_keys of the state directory's axion.db, our own connection beside the
// engine's Journal); the raw key is returned once by create().
#include "key_store.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>

#include "axion/core/engine/engine.hpp"
#include "axion/sdk/time.hpp"

namespace axion::api {

using core::random_hex;

namespace {

constexpr std::int64_t kUsPerSec = 1'000'000;
constexpr std::int64_t kUsPerDay = 86'400 * kUsPerSec;

bool scope_satisfies(const std::vector<std::string>& scopes, const std::string& required) {
  for (const auto& s : scopes) {
    if (s == "admin" || s == required || (s == "write" && required == "read")) return true;
  }
  return false;
}

json iso_or_null(const std::optional<std::int64_t>& us) {
  return us ? json(sdk::time::to_iso(*us)) : json(nullptr);
}

// A prepared statement that finalizes itself.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) {
    if (sqlite3_prepare_v2(db, sql, -1, &s, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("api_keys: ") + sqlite3_errmsg(db));
    }
  }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  void text(int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  }
  void integer(int i, std::int64_t v) { sqlite3_bind_int64(s, i, v); }
  void opt_integer(int i, const std::optional<std::int64_t>& v) {
    if (v) {
      sqlite3_bind_int64(s, i, *v);
    } else {
      sqlite3_bind_null(s, i);
    }
  }
  std::string col_text(int c) {
    auto* p = sqlite3_column_text(s, c);
    return p ? reinterpret_cast<const char*>(p) : "";
  }
  std::optional<std::int64_t> col_opt(int c) {
    if (sqlite3_column_type(s, c) == SQLITE_NULL) return std::nullopt;
    return sqlite3_column_int64(s, c);
  }
};

constexpr const char* kColumns =
    "key_id, user_id, name, scopes, tier, is_active, created_us, expires_us, last_used_us, "
    "key_preview, key_hash";

ApiKey row_to_key(Stmt& st) {
  ApiKey k;
  k.key_id = st.col_text(0);
  k.user_id = st.col_text(1);
  k.name = st.col_text(2);
  auto scopes = json::parse(st.col_text(3), nullptr, false);
  if (scopes.is_array()) {
    for (const auto& s : scopes) {
      if (s.is_string()) k.scopes.push_back(s.get<std::string>());
    }
  }
  k.tier = st.col_text(4);
  k.is_active = sqlite3_column_int(st.s, 5) != 0;
  k.created_us = sqlite3_column_int64(st.s, 6);
  k.expires_us = st.col_opt(7);
  k.last_used_us = st.col_opt(8);
  k.key_preview = st.col_text(9);
  return k;
}

}  // namespace

// ---- scopes and serialisation ----------------------------------------------------------------

bool ApiKey::has_scope(const std::string& required) const { return scope_satisfies(scopes, required); }
bool Principal::has_scope(const std::string& required) const { return scope_satisfies(scopes, required); }

json ApiKey::to_json(const std::string& preview) const {
  json j = json::object();
  j["key_id"] = key_id;
  j["name"] = name;
  j["key"] = nullptr;
  j["key_preview"] = preview;
  j["scopes"] = scopes;
  j["tier"] = tier;
  j["is_active"] = is_active;
  j["created_at"] = sdk::time::to_iso(created_us);
  j["expires_at"] = iso_or_null(expires_us);
  j["last_used"] = iso_or_null(last_used_us);
  return j;
}

// ---- crypto helpers ------------------------------------------------------------------------------

std::string sha256_hex(std::string_view text) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 failed");
  }
  return core::hex_text(md, len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::function<std::optional<core::TokenIdentity>(const std::string& token)> token_verifier(KeyStore& keys) {
  return [&keys](const std::string& token) -> std::optional<core::TokenIdentity> {
    auto key = keys.validate(token);
    if (!key) return std::nullopt;
    return core::TokenIdentity{key->key_id, key->user_id, key->tier, key->scopes};
  };
}

// ---- KeyStore ----------------------------------------------------------------------------------

KeyStore::KeyStore(const std::filesystem::path& db_path, Clock now) : now_(std::move(now)) {
  if (!now_) throw std::invalid_argument("KeyStore needs a clock");
  std::error_code ec;
  if (db_path.has_parent_path()) std::filesystem::create_directories(db_path.parent_path(), ec);
  int rc = sqlite3_open_v2(db_path.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  auto fail = [&](const std::string& what) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    db_ = nullptr;
    throw std::runtime_error("cannot open key store " + db_path.string() + ": " + what + msg);
  };
  if (rc != SQLITE_OK) fail("");
  // The engine's Journal writes the same file: wait for its transactions instead of failing.
  sqlite3_busy_timeout(db_, 5000);
  const char* schema =
      "PRAGMA journal_mode=WAL;"
      "CREATE TABLE IF NOT EXISTS api_keys ("
      " key_hash TEXT PRIMARY KEY, key_id TEXT UNIQUE NOT NULL, user_id TEXT NOT NULL,"
      " name TEXT NOT NULL, scopes TEXT NOT NULL, tier TEXT NOT NULL, is_active INTEGER NOT NULL,"
      " created_us INTEGER NOT NULL, expires_us INTEGER, last_used_us INTEGER,"
      " key_preview TEXT NOT NULL);";
  char* err = nullptr;
  if (sqlite3_exec(db_, schema, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string e = err ? err : "";
    sqlite3_free(err);
    fail(e + " ");
  }
}

KeyStore::~KeyStore() {
  if (db_) sqlite3_close(db_);
}

KeyStore::Created KeyStore::create(const std::string& user_id, const std::string& name,
                                   std::vector<std::string> scopes, const std::string& tier,
                                   std::optional<int> expires_in_days) {
  if (scopes.empty()) scopes = {"read"};
  Created c;
  c.raw = "ax_" + random_hex(24);
  c.key.key_id = random_hex(8);
  c.key.user_id = user_id;
  c.key.name = name;
  c.key.scopes = std::move(scopes);
  c.key.tier = tier.empty() ? "free" : tier;
  c.key.is_active = true;
  c.key.created_us = now_();
  if (expires_in_days && *expires_in_days > 0) {
    c.key.expires_us = c.key.created_us + static_cast<std::int64_t>(*expires_in_days) * kUsPerDay;
  }
  c.key.key_preview = "ax_..." + c.raw.substr(c.raw.size() - 4);
  std::lock_guard lock(mu_);
  Stmt st(db_,
          "INSERT INTO api_keys (key_hash, key_id, user_id, name, scopes, tier, is_active, created_us,"
          " expires_us, last_used_us, key_preview) VALUES (?,?,?,?,?,?,1,?,?,NULL,?)");
  st.text(1, sha256_hex(c.raw));
  st.text(2, c.key.key_id);
  st.text(3, c.key.user_id);
  st.text(4, c.key.name);
  st.text(5, json(c.key.scopes).dump());
  st.text(6, c.key.tier);
  st.integer(7, c.key.created_us);
  st.opt_integer(8, c.key.expires_us);
  st.text(9, c.key.key_preview);
  if (sqlite3_step(st.s) != SQLITE_DONE) {
    throw std::runtime_error(std::string("api key not stored: ") + sqlite3_errmsg(db_));
  }
  return c;
}

namespace {
constexpr std::int64_t kLastUsedResolutionUs = 60'000'000;
}  // namespace

std::atomic<std::uint64_t> KeyStore::revocations_{0};

std::optional<ApiKey> KeyStore::validate(const std::string& raw) {
  // Order of control.md §2.2: prefix, known hash, active, not expired.
  if (raw.size() < 4 || raw.compare(0, 3, "ax_") != 0) return std::nullopt;
  const std::string hash = sha256_hex(raw);
  const std::uint64_t generation = revocations_.load();
  std::optional<ApiKey> k;
  {
    std::shared_lock lock(cache_mu_);
    if (cache_generation_ == generation) {
      auto it = cache_.find(hash);
      if (it != cache_.end() &&
          std::chrono::steady_clock::now() - it->second.read_at < std::chrono::seconds(kCacheSeconds)) {
        k = it->second.key;
      }
    }
  }
  if (!k) return validate_from_db(hash, generation);
  const std::int64_t now = now_();
  if (k->expires_us && *k->expires_us < now) return std::nullopt;
  // last_used is durable to the minute: a write per request would cap authenticated
  // throughput at the database's commit rate. Best effort: a busy database must not turn a
  // valid key into a 401.
  if (!k->last_used_us || now - *k->last_used_us >= kLastUsedResolutionUs) {
    {
      std::lock_guard lock(mu_);
      Stmt up(db_, "UPDATE api_keys SET last_used_us = ? WHERE key_id = ?");
      up.integer(1, now);
      up.text(2, k->key_id);
      sqlite3_step(up.s);
    }
    std::unique_lock lock(cache_mu_);
    if (auto it = cache_.find(hash); it != cache_.end()) it->second.key.last_used_us = now;
  }
  k->last_used_us = now;
  return k;
}

std::optional<ApiKey> KeyStore::validate_from_db(const std::string& hash, std::uint64_t generation) {
  std::optional<ApiKey> out;
  {
    std::lock_guard lock(mu_);
    Stmt st(db_, (std::string("SELECT ") + kColumns + " FROM api_keys WHERE key_hash = ?").c_str());
    st.text(1, hash);
    if (sqlite3_step(st.s) != SQLITE_ROW) return std::nullopt;
    if (!constant_time_equal(st.col_text(10), hash)) return std::nullopt;
    ApiKey k = row_to_key(st);
    if (!k.is_active) return std::nullopt;
    const std::int64_t now = now_();
    if (k.expires_us && *k.expires_us < now) return std::nullopt;
    const bool stale = !k.last_used_us || now - *k.last_used_us >= kLastUsedResolutionUs;
    k.last_used_us = now;
    if (stale) {
      Stmt up(db_, "UPDATE api_keys SET last_used_us = ? WHERE key_id = ?");
      up.integer(1, now);
      up.text(2, k.key_id);
      sqlite3_step(up.s);
    }
    out = std::move(k);
  }
  std::unique_lock lock(cache_mu_);
  // A revocation since this read began may concern this very key: remember nothing then.
  if (revocations_.load() != generation) return out;
  if (cache_generation_ != generation) {
    cache_.clear();
    cache_generation_ = generation;
  }
  cache_[hash] = Cached{*out, std::chrono::steady_clock::now()};
  return out;
}

std::vector<ApiKey> KeyStore::list(const std::string& user_id) {
  std::lock_guard lock(mu_);
  Stmt st(db_, (std::string("SELECT ") + kColumns +
                " FROM api_keys WHERE user_id = ? ORDER BY created_us, rowid")
                   .c_str());
  st.text(1, user_id);
  std::vector<ApiKey> out;
  while (sqlite3_step(st.s) == SQLITE_ROW) out.push_back(row_to_key(st));
  return out;
}

bool KeyStore::revoke(const std::string& user_id, const std::string& key_id) {
  decltype(revoke_listeners_) listeners;
  {
    std::lock_guard lock(mu_);
    Stmt st(db_, "UPDATE api_keys SET is_active = 0 WHERE key_id = ? AND user_id = ?");
    st.text(1, key_id);
    st.text(2, user_id);
    if (sqlite3_step(st.s) != SQLITE_DONE) {
      throw std::runtime_error(std::string("api key not revoked: ") + sqlite3_errmsg(db_));
    }
    if (sqlite3_changes(db_) == 0) return false;
    // Before revoke() returns, no store in this process serves the key from memory.
    revocations_.fetch_add(1);
    listeners = revoke_listeners_;
  }
  // Outside the lock: a listener may call back into the store.
  for (auto& [id, fn] : listeners) fn(key_id);
  return true;
}

int KeyStore::on_revoke(std::function<void(const std::string& key_id)> fn) {
  std::lock_guard lock(mu_);
  const int id = next_listener_++;
  revoke_listeners_.emplace_back(id, std::move(fn));
  return id;
}

void KeyStore::off_revoke(int id) {
  std::lock_guard lock(mu_);
  std::erase_if(revoke_listeners_, [id](const auto& l) { return l.first == id; });
}

RevocationFeed::RevocationFeed(KeyStore& keys, core::Engine& engine)
    : keys_(keys), id_(keys.on_revoke([&engine](const std::string& key_id) {
        engine.publish_event("api_key_revoked", {{"key_id", key_id}});
      })) {}

RevocationFeed::~RevocationFeed() { keys_.off_revoke(id_); }

}  // namespace axion::api
