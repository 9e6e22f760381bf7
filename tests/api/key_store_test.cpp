// KeyStore, scopes and hashing (control.md §2.2, §2.3, §1.6); the rate limiter is rate_limit_test.
#include <catch2/catch.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "api/key_store.hpp"
#include "axion/core/state/journal.hpp"

namespace fs = std::filesystem;
using namespace axion::api;
using axion::core::random_hex;

namespace {

struct TempDb {
  fs::path dir;
  TempDb() {
    static int n = 0;
    dir = fs::temp_directory_path() / ("axion-auth-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  ~TempDb() { fs::remove_all(dir); }
  fs::path db() const { return dir / "axion.db"; }
};

constexpr std::int64_t kSec = 1'000'000;
constexpr std::int64_t kDay = 86'400 * kSec;
// 2026-02-09T14:30:00Z
constexpr std::int64_t kT0 = 20493 * kDay + (14 * 3600 + 30 * 60) * kSec;

// Every row of api_keys as text, to prove no raw key is stored.
std::string dump_table(const fs::path& db) {
  sqlite3* h = nullptr;
  sqlite3_open(db.c_str(), &h);
  std::string all;
  sqlite3_exec(
      h, "SELECT * FROM api_keys",
      [](void* out, int n, char** vals, char**) {
        for (int i = 0; i < n; ++i) *static_cast<std::string*>(out) += (vals[i] ? vals[i] : "NULL") + std::string("|");
        return 0;
      },
      &all, nullptr);
  sqlite3_close(h);
  return all;
}

}  // namespace

TEST_CASE("sha256_hex, random_hex and constant_time_equal") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto r = random_hex(24);
  CHECK(std::regex_match(r, std::regex("[0-9a-f]{48}")));
  CHECK(random_hex(24) != r);
  CHECK(constant_time_equal("abcd", "abcd"));
  CHECK_FALSE(constant_time_equal("abcd", "abce"));
  CHECK_FALSE(constant_time_equal("abc", "abcd"));
  CHECK(constant_time_equal("", ""));
}

TEST_CASE("Scopes: admin grants everything, write satisfies read, otherwise exact") {
  ApiKey k;
  k.scopes = {"admin"};
  CHECK(k.has_scope("read"));
  CHECK(k.has_scope("write"));
  CHECK(k.has_scope("admin"));
  k.scopes = {"write"};
  CHECK(k.has_scope("read"));
  CHECK(k.has_scope("write"));
  CHECK_FALSE(k.has_scope("admin"));
  k.scopes = {"read"};
  CHECK(k.has_scope("read"));
  CHECK_FALSE(k.has_scope("write"));
  k.scopes = {"something"};
  CHECK_FALSE(k.has_scope("read"));
  CHECK(k.has_scope("something"));
  Principal dev;
  CHECK(dev.has_scope("admin"));
  CHECK(dev.actor() == "dev");
  CHECK_FALSE(dev.authenticated);
  CHECK(dev.tier == "enterprise");
}

TEST_CASE("KeyStore create: raw key format, key id, only the hash is stored, durable") {
  TempDb t;
  std::int64_t now = kT0;
  std::string raw, id;
  {
    KeyStore ks(t.db(), [&] { return now; });
    auto c = ks.create("alice", "ci", {"read", "write"}, "pro", std::nullopt);
    raw = c.raw;
    id = c.key.key_id;
    CHECK(std::regex_match(c.raw, std::regex("ax_[0-9a-f]{48}")));
    CHECK(c.raw.size() == 51);
    CHECK(std::regex_match(c.key.key_id, std::regex("[0-9a-f]{16}")));
    CHECK(c.key.user_id == "alice");
    CHECK(c.key.tier == "pro");
    CHECK(c.key.is_active);
    CHECK_FALSE(c.key.expires_us);
    CHECK(c.key.key_preview == "ax_..." + c.raw.substr(47));
    auto j = c.key.to_json(c.key.key_preview);
    CHECK(j["key"].is_null());
    CHECK(j["created_at"] == "2026-02-09T14:30:00.000000+00:00");
    CHECK(j["expires_at"].is_null());
    CHECK(j["last_used"].is_null());
    CHECK(j["scopes"] == json({"read", "write"}));
    CHECK(j["is_active"] == true);
  }
  const std::string table = dump_table(t.db());
  CHECK(table.find(raw) == std::string::npos);
  CHECK(table.find(raw.substr(3)) == std::string::npos);
  CHECK(table.find(sha256_hex(raw)) != std::string::npos);
  // A new store on the same file (a restart) still knows the key.
  KeyStore again(t.db(), [&] { return now; });
  auto v = again.validate(raw);
  REQUIRE(v);
  CHECK(v->key_id == id);
  CHECK(v->scopes == std::vector<std::string>{"read", "write"});
}

TEST_CASE("KeyStore create: empty scopes default to read, expires_in_days 0 means no expiry") {
  TempDb t;
  KeyStore ks(t.db(), [] { return kT0; });
  auto c = ks.create("u", "n", {}, "free", 0);
  CHECK(c.key.scopes == std::vector<std::string>{"read"});
  CHECK_FALSE(c.key.expires_us);
  auto e = ks.create("u", "n", {"read"}, "free", 2);
  REQUIRE(e.key.expires_us);
  CHECK(*e.key.expires_us == kT0 + 2 * kDay);
}

TEST_CASE("KeyStore validate: prefix, unknown hash, revoked, expired, last_used updated") {
  TempDb t;
  std::int64_t now = kT0;
  KeyStore ks(t.db(), [&] { return now; });
  auto c = ks.create("alice", "k", {"read"}, "free", 1);
  CHECK_FALSE(ks.validate(""));
  CHECK_FALSE(ks.validate(c.raw.substr(3)));                  // no prefix
  CHECK_FALSE(ks.validate("bx_" + c.raw.substr(3)));           // wrong prefix
  CHECK_FALSE(ks.validate("ax_" + std::string(48, '0')));     // unknown hash
  now += 10 * kSec;
  auto v = ks.validate(c.raw);
  REQUIRE(v);
  REQUIRE(v->last_used_us);
  CHECK(*v->last_used_us == now);
  auto listed = ks.list("alice");
  REQUIRE(listed.size() == 1);
  REQUIRE(listed[0].last_used_us);
  CHECK(*listed[0].last_used_us == now);
  // Exactly at expiry it is still valid (expires_at ≥ now); a microsecond later it is not.
  now = kT0 + kDay;
  CHECK(ks.validate(c.raw));
  now += 1;
  CHECK_FALSE(ks.validate(c.raw));
  now = kT0;
  CHECK(ks.revoke("alice", c.key.key_id));
  CHECK_FALSE(ks.validate(c.raw));
}

TEST_CASE("KeyStore list and revoke are per owner, revoke listeners hear the key id") {
  TempDb t;
  std::int64_t now = kT0;
  KeyStore ks(t.db(), [&] { return now; });
  auto a1 = ks.create("alice", "a1", {"admin"}, "enterprise", std::nullopt);
  now += kSec;
  auto a2 = ks.create("alice", "a2", {"read"}, "free", std::nullopt);
  auto b1 = ks.create("bob", "b1", {"read"}, "free", std::nullopt);
  std::vector<std::string> heard;
  ks.on_revoke([&](const std::string& id) { heard.push_back(id); });

  auto mine = ks.list("alice");
  REQUIRE(mine.size() == 2);
  CHECK(mine[0].key_id == a1.key.key_id);
  CHECK(mine[1].key_id == a2.key.key_id);
  CHECK(mine[0].key_preview == a1.key.key_preview);

  CHECK_FALSE(ks.revoke("alice", b1.key.key_id));  // another user's key: not found
  CHECK_FALSE(ks.revoke("alice", "0123456789abcdef"));
  CHECK(ks.validate(b1.raw));
  CHECK(heard.empty());
  CHECK(ks.revoke("alice", a2.key.key_id));
  CHECK(heard == std::vector<std::string>{a2.key.key_id});
  mine = ks.list("alice");
  REQUIRE(mine.size() == 2);  // revoked keys are still listed
  CHECK(mine[1].is_active == false);
  CHECK(mine[1].to_json(mine[1].key_preview)["is_active"] == false);
  CHECK(ks.list("carol").empty());
}

TEST_CASE("KeyStore serves validated keys from memory; a revocation through any store takes effect at once") {
  TempDb t;
  std::int64_t now = kT0;
  KeyStore a(t.db(), [&] { return now; });
  KeyStore b(t.db(), [&] { return now; });  // e.g. the REST server's and an add-on's
  auto k1 = a.create("alice", "k1", {"read"}, "free", std::nullopt);
  auto k2 = a.create("alice", "k2", {"read"}, "free", std::nullopt);
  REQUIRE(a.validate(k1.raw));
  REQUIRE(b.validate(k1.raw));
  REQUIRE(b.validate(k2.raw));
  // Served from memory, last_used is still written to the minute.
  now += 30 * kSec;
  REQUIRE(b.validate(k1.raw));
  CHECK(*a.list("alice")[0].last_used_us == kT0);
  now += 31 * kSec;
  REQUIRE(b.validate(k1.raw));
  CHECK(*a.list("alice")[0].last_used_us == now);
  CHECK(a.revoke("alice", k1.key.key_id));
  CHECK_FALSE(b.validate(k1.raw));
  CHECK_FALSE(a.validate(k1.raw));
  CHECK(b.validate(k2.raw));  // the others stay valid
}

TEST_CASE("KeyStore shares axion.db with the engine journal") {
  TempDb t;
  axion::core::Journal j(t.db());
  KeyStore ks(t.db(), [] { return kT0; });
  auto c = ks.create("local", "cli", {"admin"}, "enterprise", std::nullopt);
  j.save_plugin_state("x", "{}");
  CHECK(ks.validate(c.raw));
  CHECK(j.plugin_state("x") == std::optional<std::string>("{}"));
}

TEST_CASE("A revocation listener removed with off_revoke hears nothing more") {
  TempDb t;
  KeyStore ks(t.db(), [] { return kT0; });
  std::vector<std::string> heard;
  const int id = ks.on_revoke([&](const std::string& key_id) { heard.push_back(key_id); });
  auto a = ks.create("alice", "a", {"read"}, "free", std::nullopt);
  auto b = ks.create("alice", "b", {"read"}, "free", std::nullopt);
  REQUIRE(ks.revoke("alice", a.key.key_id));
  ks.off_revoke(id);
  REQUIRE(ks.revoke("alice", b.key.key_id));
  CHECK(heard == std::vector<std::string>{a.key.key_id});
}
