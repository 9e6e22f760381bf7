// Errors a plugin raises; the entry shim turns them into an axion_error for the host.
#pragma once

#include <stdexcept>
#include <string>

namespace axion::sdk {

// `key` names the config key at fault, so the host can point at its manifest line.
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message, std::string key = {})
      : std::runtime_error(message), key_(std::move(key)) {}
  const std::string& key() const noexcept { return key_; }

 private:
  std::string key_;
};

}  // namespace axion::sdk
