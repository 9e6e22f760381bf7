// Number and text formats of the spec, shared by the host and every plugin.
//
// The spec's formats (pipeline.md §0 "Formats"):
//   * a bare `{x}` float prints in shortest round-trip form with at least one decimal
//     (120 -> "120.0", 90.5 -> "90.5", 0.1 -> "0.1");
//   * `{x:.2f}` prints two fixed decimals, correctly rounded, ties to even (printf "%.2f").
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace axion::sdk::format {

// Shortest round-trip decimal with at least one decimal. Fixed notation for decimal exponents in
// [-4, 16), scientific outside (1e+16, 1.5e-05), the same switch points as Python's repr; "nan",
// "inf" and "-inf" for non-finite values.
inline std::string shortest_float(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  // The shortest digits in scientific form tell the decimal exponent.
  auto sci = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::scientific);
  std::string_view s(buf, static_cast<std::size_t>(sci.ptr - buf));
  auto e = s.find('e');
  int exp = std::atoi(std::string(s.substr(e + 1)).c_str());
  if (x != 0.0 && (exp < -4 || exp >= 16)) return std::string(s);
  auto fix = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed);
  std::string out(buf, static_cast<std::size_t>(fix.ptr - buf));
  if (out.find('.') == std::string::npos) out += ".0";
  return out;
}

// `{x:.2f}`.
inline std::string fixed2(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", x);
  return buf;
}

// "Rounded to n decimals": the correctly rounded decimal of the double, ties to even — what
// printf("%.nf") prints, read back.
inline double round_dp(double x, int n) {
  if (!std::isfinite(x)) return x;
  // to_chars with a precision rounds as printf's "%.*f" does, from the exact binary value.
  char buf[400];  // the longest fixed text of a double, with up to 60 decimals
  auto r = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed, n);
  if (r.ec != std::errc{}) return x;
  double out = x;
  std::from_chars(buf, r.ptr, out);
  return out;
}

// int(x) of the spec: truncation toward zero, saturating instead of overflowing; NaN => 0.
inline std::int64_t trunc_int(double x) {
  if (std::isnan(x)) return 0;
  constexpr double kLimit = 9.2e18;  // inside the int64 range
  if (x >= kLimit) return std::numeric_limits<std::int64_t>::max();
  if (x <= -kLimit) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(x);
}

// ASCII lower case (tickers are ASCII).
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace axion::sdk::format
