// Appending JSON values to a string the caller reuses: for state and records written on a hot
// path, where building an nlohmann::json tree (a node and a map entry per field) costs more
// than the rest of the work. Output is valid JSON that nlohmann::json parses back exactly.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

namespace axion::sdk::json_text {

// A JSON string literal: quotes, backslashes and control characters escaped (UTF-8 passes).
inline void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
      }
    } else {
      out += ch;
    }
  }
  out += '"';
}

// The shortest text that parses back to the same double; null for NaN and infinities, as
// nlohmann::json writes them (JSON has no such numbers).
inline void append_number(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

inline void append_int(std::string& out, std::int64_t x) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

inline void append_uint(std::string& out, std::uint64_t x) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, static_cast<std::size_t>(r.ptr - buf));
}

inline void append_bool(std::string& out, bool b) { out += b ? "true" : "false"; }

// `"key":` — keys are the writer's own identifiers, never user text.
inline void append_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

// `,"key":`, without the comma for an object's first member (right after its `{`).
inline void append_field(std::string& out, std::string_view key) {
  if (!out.empty() && out.back() != '{') out += ',';
  append_key(out, key);
}

// `,"key":value` for a bool, integer, floating-point number or text.
template <class T>
void append_field(std::string& out, std::string_view key, const T& value) {
  append_field(out, key);
  if constexpr (std::is_same_v<T, bool>) {
    append_bool(out, value);
  } else if constexpr (std::is_integral_v<T> && std::is_signed_v<T>) {
    append_int(out, value);
  } else if constexpr (std::is_integral_v<T>) {
    append_uint(out, value);
  } else if constexpr (std::is_floating_point_v<T>) {
    append_number(out, value);
  } else {
    append_string(out, std::string_view(value));
  }
}

}  // namespace axion::sdk::json_text
