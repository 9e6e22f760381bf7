// The host services a plugin instance may use, as a small C++ object over axion_host_api.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "axion/plugin_api.h"
#include "axion/sdk/error.hpp"
#include "axion/sdk/types.hpp"

namespace axion::sdk {

class Host {
 public:
  explicit Host(const axion_host_api* api) : api_(api) {}

  void debug(std::string_view msg) const { log(AXION_LOG_DEBUG, msg); }
  void info(std::string_view msg) const { log(AXION_LOG_INFO, msg); }
  void warn(std::string_view msg) const { log(AXION_LOG_WARN, msg); }
  void error(std::string_view msg) const { log(AXION_LOG_ERROR, msg); }
  void log(int level, std::string_view msg) const {
    if (api_ && api_->log) api_->log(api_->ctx, level, make_str(msg));
  }

  // Engine clock (µs since epoch, UTC).
  std::int64_t now_us() const { return api_ && api_->now_us ? api_->now_us(api_->ctx) : 0; }
  std::int64_t wall_now_us() const {
    return api_ && api_->wall_now_us ? api_->wall_now_us(api_->ctx) : 0;
  }

  std::optional<double> last_price(std::string_view ticker) const {
    double p = 0;
    if (api_ && api_->last_price && api_->last_price(api_->ctx, make_str(ticker), &p) == 1) return p;
    return std::nullopt;
  }

  void publish(std::string_view event, const nlohmann::json& data) const {
    if (!api_ || !api_->publish) return;
    std::string text = data.dump();
    api_->publish(api_->ctx, make_str(event), make_str(text));
  }

  std::optional<nlohmann::json> load_state() const {
    if (!api_ || !api_->state_load) return std::nullopt;
    std::optional<nlohmann::json> out;
    auto cb = [](void* user, axion_str json) {
      auto* o = static_cast<std::optional<nlohmann::json>*>(user);
      auto v = nlohmann::json::parse(view(json), nullptr, false);
      if (!v.is_discarded()) *o = std::move(v);
    };
    if (api_->state_load(api_->ctx, cb, &out) != AXION_OK) {
      throw Error("host could not load plugin state");
    }
    return out;
  }

  void save_state(const nlohmann::json& state) const {
    if (!api_ || !api_->state_save) return;
    std::string text = state.dump();
    if (api_->state_save(api_->ctx, make_str(text)) != AXION_OK) {
      throw Error("host could not save plugin state");
    }
  }

  // Read-only engine query ("positions", "account", "state", "effective_config", "kill", ...).
  std::optional<nlohmann::json> query(std::string_view what,
                                      const nlohmann::json& args = nlohmann::json::object()) const {
    if (!api_ || !api_->query) return std::nullopt;
    std::optional<nlohmann::json> out;
    std::string a = args.dump();
    auto cb = [](void* user, axion_str json) {
      auto* o = static_cast<std::optional<nlohmann::json>*>(user);
      auto v = nlohmann::json::parse(view(json), nullptr, false);
      if (!v.is_discarded()) *o = std::move(v);
    };
    if (api_->query(api_->ctx, make_str(what), make_str(a), cb, &out) != AXION_OK) {
      return std::nullopt;
    }
    return out;
  }

  // A request to the engine (e.g. "activate_kill"); the answer, or nullopt when the host has
  // no such service (an older host) or refused it.
  std::optional<nlohmann::json> command(std::string_view what,
                                        const nlohmann::json& args = nlohmann::json::object()) const {
    if (!api_ || api_->size < offsetof(axion_host_api, command) + sizeof(api_->command) ||
        !api_->command) {
      return std::nullopt;
    }
    std::optional<nlohmann::json> out;
    std::string a = args.dump();
    auto cb = [](void* user, axion_str json) {
      auto* o = static_cast<std::optional<nlohmann::json>*>(user);
      auto v = nlohmann::json::parse(view(json), nullptr, false);
      if (!v.is_discarded()) *o = std::move(v);
    };
    if (api_->command(api_->ctx, make_str(what), make_str(a), cb, &out) != AXION_OK) {
      return std::nullopt;
    }
    if (!out) out = nlohmann::json::object();
    return out;
  }

  const axion_host_api* raw() const { return api_; }

 private:
  const axion_host_api* api_;
};

}  // namespace axion::sdk
