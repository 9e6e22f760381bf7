// The account's keys, from the environment only (live.md §1): never from a manifest, never
// logged. Both Alpaca plugins read them the same way.
#pragma once

#include <string>
#include <string_view>

namespace axion::alpaca {

struct Credentials {
  std::string key_id;      // AXION_ALPACA_API_KEY
  std::string secret_key;  // AXION_ALPACA_SECRET_KEY
};

// Throws sdk::Error "<plugin>: environment variable X is not set" for a missing or empty one.
Credentials credentials_from_env(std::string_view plugin);

}  // namespace axion::alpaca
