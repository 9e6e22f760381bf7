// Typed plugin configuration. Each plugin declares its keys once, as data (KeySpec table); the
// same table drives parsing, defaults, range checks, `axion-host --describe` and the README.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "axion/sdk/error.hpp"

namespace axion::sdk {

// Path / PathList are strings the host resolves against the manifest's folder before the
// plugin sees them.
enum class KeyType { Bool, Int, Double, String, StringList, Path, PathList };

inline const char* to_string(KeyType t) {
  switch (t) {
    case KeyType::Bool: return "bool";
    case KeyType::Int: return "int";
    case KeyType::Double: return "double";
    case KeyType::String: return "string";
    case KeyType::StringList: return "string list";
    case KeyType::Path: return "path";
    case KeyType::PathList: return "path list";
  }
  return "?";
}

inline constexpr double kNoBound = std::numeric_limits<double>::quiet_NaN();

struct KeySpec {
  const char* key;
  KeyType type;
  const char* default_json;  // JSON literal: "10.0", "true", "\"paced\"", "[]"
  const char* help;
  double min = kNoBound;     // inclusive bounds for Int/Double; NaN = unbounded
  double max = kNoBound;
  const char* choices = "";  // String: allowed values separated by '|'; "" = any
  bool min_exclusive = false;  // true: the value must be strictly greater than `min`
};

namespace detail {
inline std::vector<std::string> split_choices(std::string_view c) {
  std::vector<std::string> out;
  while (!c.empty()) {
    auto bar = c.find('|');
    out.emplace_back(c.substr(0, bar));
    if (bar == std::string_view::npos) break;
    c.remove_prefix(bar + 1);
  }
  return out;
}

inline std::string json_type_name(const nlohmann::json& v) {
  if (v.is_boolean()) return "bool";
  if (v.is_number_integer()) return "int";
  if (v.is_number()) return "double";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  if (v.is_object()) return "table";
  return "null";
}

inline std::string format_bound(double b) {
  if (b == std::floor(b) && std::fabs(b) < 1e15) return std::to_string(static_cast<long long>(b));
  std::string s = std::to_string(b);
  while (s.size() > 1 && s.back() == '0') s.pop_back();
  return s;
}
}  // namespace detail

// The schema as JSON: what --describe prints and what the manifest exports.
inline nlohmann::json schema_json(std::span<const KeySpec> keys) {
  auto arr = nlohmann::json::array();
  for (const auto& k : keys) {
    nlohmann::json e{{"key", k.key}, {"type", to_string(k.type)},
                     {"default", nlohmann::json::parse(k.default_json)}, {"help", k.help}};
    if (!std::isnan(k.min)) e["min"] = k.min;
    if (k.min_exclusive) e["min_exclusive"] = true;
    if (!std::isnan(k.max)) e["max"] = k.max;
    if (k.choices && *k.choices) e["choices"] = detail::split_choices(k.choices);
    arr.push_back(std::move(e));
  }
  return arr;
}

// A validated, defaults-filled configuration. Construction rejects unknown keys, wrong types,
// out-of-range values and values outside `choices`, naming the key.
class Config {
 public:
  Config(std::span<const KeySpec> keys, const nlohmann::json& table) {
    if (!table.is_null() && !table.is_object()) throw Error("plugin config must be a table");
    for (const auto& k : keys) specs_[k.key] = &k;
    if (table.is_object()) {
      for (const auto& [name, value] : table.items()) {
        auto it = specs_.find(name);
        if (it == specs_.end()) throw Error("unknown key '" + name + "'", name);
        values_[name] = validate(*it->second, value);
      }
    }
    for (const auto& k : keys) {
      if (!values_.count(k.key)) values_[k.key] = nlohmann::json::parse(k.default_json);
    }
  }

  bool get_bool(const std::string& key) const { return at(key).get<bool>(); }
  std::int64_t get_int(const std::string& key) const { return at(key).get<std::int64_t>(); }
  double get_double(const std::string& key) const { return at(key).get<double>(); }
  std::string get_string(const std::string& key) const { return at(key).get<std::string>(); }
  std::vector<std::string> get_strings(const std::string& key) const {
    return at(key).get<std::vector<std::string>>();
  }
  // True when the user wrote the key (as opposed to the default applying).
  bool was_set(const std::string& key) const { return set_.count(key) > 0; }

 private:
  const nlohmann::json& at(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end()) throw Error("config key '" + key + "' is not declared", key);
    return it->second;
  }

  nlohmann::json validate(const KeySpec& k, const nlohmann::json& v) {
    const std::string name = k.key;
    set_[name] = true;
    auto wrong = [&]() -> Error {
      return Error("key '" + name + "': expected " + to_string(k.type) + ", got " +
                       detail::json_type_name(v),
                   name);
    };
    switch (k.type) {
      case KeyType::Bool:
        if (!v.is_boolean()) throw wrong();
        return v;
      case KeyType::Int:
        if (!v.is_number_integer()) throw wrong();
        check_range(k, static_cast<double>(v.get<std::int64_t>()));
        return v;
      case KeyType::Double:
        if (!v.is_number()) throw wrong();
        check_range(k, v.get<double>());
        return nlohmann::json(v.get<double>());
      case KeyType::Path:
        if (!v.is_string()) throw wrong();
        return v;
      case KeyType::String: {
        if (!v.is_string()) throw wrong();
        if (k.choices && *k.choices) {
          auto choices = detail::split_choices(k.choices);
          bool ok = false;
          for (const auto& c : choices) ok = ok || c == v.get<std::string>();
          if (!ok) {
            throw Error("key '" + name + "': '" + v.get<std::string>() + "' is not one of " +
                            k.choices,
                        name);
          }
        }
        return v;
      }
      case KeyType::StringList:
      case KeyType::PathList:
        if (!v.is_array()) throw wrong();
        for (const auto& item : v) {
          if (!item.is_string()) {
            throw Error("key '" + name + "': every item must be a string", name);
          }
        }
        return v;
    }
    throw wrong();
  }

  static void check_range(const KeySpec& k, double x) {
    bool below = !std::isnan(k.min) && (k.min_exclusive ? x <= k.min : x < k.min);
    bool above = !std::isnan(k.max) && x > k.max;
    if (below || above || !std::isfinite(x)) {
      std::string lo = std::isnan(k.min) ? "-inf" : detail::format_bound(k.min);
      std::string hi = std::isnan(k.max) ? "inf" : detail::format_bound(k.max);
      throw Error("key '" + std::string(k.key) + "': " + detail::format_bound(x) +
                      " is out of range " + (k.min_exclusive ? "(" : "[") + lo + ", " + hi + "]",
                  k.key);
    }
  }

  std::map<std::string, const KeySpec*> specs_;
  std::map<std::string, nlohmann::json> values_;
  std::map<std::string, bool> set_;
};

}  // namespace axion::sdk
