// Appending JSON values to a string the caller reuses: for state and records written on a hot
// path, where building an nlohmann::json tree (a node and a map entry per field) costs more
// than the rest of the work. Strings and numbers come out byte for byte as nlohmann::json's
// dump(-1, ' ', false, error_handler_t::replace) writes them, so text written here and text
// dumped from a tree never differ.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

namespace axion::sdk::json_text {

// How many bytes at s[i] (a byte >= 0x80) form a valid UTF-8 sequence (`valid`), or, when they
// do not, how many bytes nlohmann's decoder consumes before it rejects: the lead byte alone when
// the lead or the second byte is wrong, else the lead and the continuation bytes that fitted.
// The byte that caused the rejection is read again as the start of what follows.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i, bool& valid) {
  const auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char c = b(i);
  std::size_t n = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the second byte's range (excludes overlongs, surrogates)
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    valid = false;
    return 1;
  }
  std::size_t k = 1;
  for (; k < n && i + k < s.size(); ++k) {
    const unsigned char low = k == 1 ? lo : 0x80, high = k == 1 ? hi : 0xBF;
    if (b(i + k) < low || b(i + k) > high) break;
  }
  valid = k == n;
  return k;
}

// A JSON string literal: quotes, backslashes and control characters escaped as nlohmann writes
// them (\b \f \n \r \t by name, others as \u00xx), valid UTF-8 kept, and each invalid
// sequence replaced by one U+FFFD, so the text always parses.
inline void append_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    // The common case, a run of printable ASCII, goes in one append.
    std::size_t run = i;
    while (run < s.size()) {
      const auto c = static_cast<unsigned char>(s[run]);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') break;
      ++run;
    }
    out.append(s.data() + i, run - i);
    i = run;
    if (i == s.size()) break;
    const char ch = s[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      bool valid = false;
      const std::size_t n = utf8_sequence(s, i, valid);
      if (valid) {
        out.append(s.data() + i, n);
      } else {
        out += "\xEF\xBF\xBD";  // U+FFFD, as raw UTF-8 (nlohmann with ensure_ascii off)
      }
      i += n;
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else {
      switch (c) {
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
      }
    }
    ++i;
  }
  out += '"';
}

// A double as nlohmann::json dumps it: its own Grisu2 digits and layout ("150.0", "0.0001",
// "1e+16"), through the same function its serializer calls; null for NaN and infinities (JSON
// has no such numbers).
inline void append_number(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  char buf[64];  // the serializer's own buffer size
  char* end = nlohmann::detail::to_chars(buf, buf + sizeof buf, x);
  out.append(buf, static_cast<std::size_t>(end - buf));
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
