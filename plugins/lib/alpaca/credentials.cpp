#include "credentials.hpp"

#include <cstdlib>

#include "axion/sdk/error.hpp"

namespace axion::alpaca {

namespace {
std::string required(std::string_view plugin, const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) throw sdk::Error(std::string(plugin) + ": environment variable " + name + " is not set");
  return v;
}
}  // namespace

Credentials credentials_from_env(std::string_view plugin) {
  return {required(plugin, "AXION_ALPACA_API_KEY"), required(plugin, "AXION_ALPACA_SECRET_KEY")};
}

}  // namespace axion::alpaca
