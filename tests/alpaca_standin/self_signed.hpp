// Certificates for the TLS tests (live.md §6), made in the test with the OpenSSL C API (no
// openssl CLI): a self-signed CA, and a server certificate it signs for 127.0.0.1, so a client
// that trusts the CA file verifies the stand-in by chain and by host name, and one that uses the
// system store does not.
#pragma once

#include <filesystem>
#include <string>

namespace axion::testing::alpaca {

struct TestPki {
  std::string ca_file;    // PEM: the CA certificate (what a client trusts)
  std::string cert_file;  // PEM: the server certificate, CN=127.0.0.1, SAN IP:127.0.0.1 DNS:localhost
  std::string key_file;   // PEM: the server's private key (unencrypted)
};

// Writes ca.pem, server.pem and server.key into `dir` (created if missing), EC P-256 keys,
// valid from an hour ago for one day. Throws std::runtime_error on failure.
TestPki make_test_pki(const std::filesystem::path& dir);

}  // namespace axion::testing::alpaca
