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

// Length of the valid UTF-8 sequence at s[i] (lead byte >= 0x80), or 0 when it is not one.
inline std::size_t utf8_sequence(std::string_view s, std::size_t i) {
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
    return 0;
  }
  if (i + n > s.size() || b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return n;
}

// A JSON string literal: quotes, backslashes and control characters escaped, valid UTF-8 kept,
// each invalid byte replaced by U+FFFD (as nlohmann's error_handler_t::replace does), so the
// text always parses.
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
      if (std::size_t n = utf8_sequence(s, i)) {
        out.append(s.data() + i, n);
        i += n;
        continue;
      }
      out += "\\ufffd";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else {
      switch (c) {
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

// The shortest digits that parse back to the same double, laid out as nlohmann::json's dump
// does: fixed notation while the point is within 15 digits ("150.0", "0.0001"), else an
// exponent ("1e+16", "1.5e-05"); null for NaN and infinities (JSON has no such numbers).
inline void append_number(std::string& out, double x) {
  if (!std::isfinite(x)) {
    out += "null";
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<std::size_t>(r.ptr - buf));
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const std::size_t e = sci.find('e');
  int exp10 = 0;
  std::from_chars(sci.data() + e + (sci[e + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp10);
  char digits[24];
  std::size_t len = 0;
  for (std::size_t i = 0; i < e; ++i) {
    if (sci[i] != '.') digits[len++] = sci[i];
  }
  const std::string_view d(digits, len);
  const int n = exp10 + 1;  // digits before the point
  const int k = static_cast<int>(len);
  if (k <= n && n <= 15) {
    out += d;
    out.append(static_cast<std::size_t>(n - k), '0');
    out += ".0";
  } else if (0 < n && n <= 15) {
    out += d.substr(0, static_cast<std::size_t>(n));
    out += '.';
    out += d.substr(static_cast<std::size_t>(n));
  } else if (-4 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += d;
  } else {
    out += d.substr(0, 1);
    if (k > 1) {
      out += '.';
      out += d.substr(1);
    }
    out += exp10 < 0 ? "e-" : "e+";
    const int mag = exp10 < 0 ? -exp10 : exp10;
    if (mag < 10) out += '0';
    char eb[8];
    auto er = std::to_chars(eb, eb + sizeof eb, mag);
    out.append(eb, static_cast<std::size_t>(er.ptr - eb));
  }
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
