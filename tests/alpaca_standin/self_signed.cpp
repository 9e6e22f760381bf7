// make_test_pki with OpenSSL 3's C API. Each call makes a fresh CA (random serials), so tests
// never trust each other's certificates by accident.
#include "self_signed.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <random>
#include <stdexcept>

namespace axion::testing::alpaca {

namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;
using File = std::unique_ptr<std::FILE, Free>;

constexpr long kBackdate = 3600;  // a client whose clock is a little behind still accepts it
constexpr long kLifetime = 24 * 3600;

void check(bool ok, const std::string& what) {
  if (!ok) throw std::runtime_error("make_test_pki: " + what + " failed");
}

Key new_key() {
  Key k(EVP_EC_gen("P-256"));
  check(k != nullptr, "EC P-256 key generation");
  return k;
}

// `issuer` null: the certificate is self-signed (the CA), its own issuer for the extensions.
void add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(ext != nullptr, std::string("extension ") + value);
  const int added = X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
  check(added == 1, std::string("adding extension ") + value);
}

Cert new_cert(EVP_PKEY* key, const char* common_name, X509* issuer) {
  Cert c(X509_new());
  check(c != nullptr, "X509_new");
  X509* x = c.get();
  std::random_device rd;
  const long serial = static_cast<long>(((std::uint64_t{rd()} << 31) ^ rd()) & 0x7fffffffffffULL);
  check(X509_set_version(x, 2) == 1, "version");  // 2 = v3, which extensions need
  check(ASN1_INTEGER_set(X509_get_serialNumber(x), serial + 1) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(x), -kBackdate) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(x), kLifetime - kBackdate) != nullptr, "notAfter");
  X509_NAME* name = X509_get_subject_name(x);
  check(X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("Axion tests"), -1, -1,
                                   0) == 1,
        "subject O");
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                                   0) == 1,
        "subject CN");
  check(X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) == 1, "issuer");
  check(X509_set_pubkey(x, key) == 1, "public key");
  return c;
}

void sign(X509* cert, EVP_PKEY* issuer_key) {
  check(X509_sign(cert, issuer_key, EVP_sha256()) > 0, "signing");
}

File open_for_write(const std::filesystem::path& p) {
  File f(std::fopen(p.c_str(), "wb"));
  check(f != nullptr, "opening " + p.string());
  return f;
}

void write_cert(const std::filesystem::path& p, X509* cert) {
  File f = open_for_write(p);
  check(PEM_write_X509(f.get(), cert) == 1, "writing " + p.string());
}

}  // namespace

TestPki make_test_pki(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);

  Key ca_key = new_key();
  Cert ca = new_cert(ca_key.get(), "Axion test CA", nullptr);
  add_ext(ca.get(), nullptr, NID_basic_constraints, "critical,CA:TRUE");
  add_ext(ca.get(), nullptr, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_ext(ca.get(), nullptr, NID_subject_key_identifier, "hash");
  sign(ca.get(), ca_key.get());

  Key key = new_key();
  Cert server = new_cert(key.get(), "127.0.0.1", ca.get());
  add_ext(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(server.get(), ca.get(), NID_key_usage, "critical,digitalSignature");
  add_ext(server.get(), ca.get(), NID_ext_key_usage, "serverAuth");
  // Clients match the host against the SAN, not the CN: the IP for 127.0.0.1 URLs.
  add_ext(server.get(), ca.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  add_ext(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always");
  sign(server.get(), ca_key.get());

  TestPki pki{(dir / "ca.pem").string(), (dir / "server.pem").string(),
              (dir / "server.key").string()};
  write_cert(pki.ca_file, ca.get());
  write_cert(pki.cert_file, server.get());
  File f = open_for_write(pki.key_file);
  check(PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "writing " + pki.key_file);
  return pki;
}

}  // namespace axion::testing::alpaca
