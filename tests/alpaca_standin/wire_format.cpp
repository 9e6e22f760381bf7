#include "wire_format.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>

namespace axion::testing::alpaca {

namespace chr = std::chrono;

std::string decimal(double v) {
  if (std::fabs(v) < 5e-10) return "0";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9f", v);
  std::string s(buf);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::optional<double> parse_decimal(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  const auto [end, ec] =
      std::from_chars(s.data(), s.data() + s.size(), v, std::chars_format::fixed);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

namespace {

std::string format(SysTime t, chr::minutes offset, bool with_micros) {
  const auto local = chr::floor<chr::microseconds>(t) + offset;
  const auto day = chr::floor<chr::days>(local);
  const chr::year_month_day ymd(day);
  const chr::hh_mm_ss hms(local - day);
  char buf[64];
  int n =
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                    static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                    static_cast<int>(hms.seconds().count()));
  if (with_micros) {
    n += std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), ".%06ld",
                       static_cast<long>(hms.subseconds().count()));
  }
  if (offset.count() == 0) {
    std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), "Z");
  } else {
    const long m = std::labs(offset.count());
    std::snprintf(buf + n, sizeof buf - static_cast<std::size_t>(n), "%c%02ld:%02ld",
                  offset.count() < 0 ? '-' : '+', m / 60, m % 60);
  }
  return buf;
}

// US Eastern daylight time: from 2:00 local on the second Sunday of March (07:00 UTC) to 2:00
// local on the first Sunday of November (06:00 UTC).
chr::minutes new_york_offset(SysTime t) {
  const chr::year y = chr::year_month_day(chr::floor<chr::days>(t)).year();
  const SysTime starts = chr::sys_days(y / chr::March / chr::Sunday[2]) + chr::hours(7);
  const SysTime ends = chr::sys_days(y / chr::November / chr::Sunday[1]) + chr::hours(6);
  return (t >= starts && t < ends) ? chr::hours(-4) : chr::hours(-5);
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
  if (at + n > s.size()) return false;
  out = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    out = out * 10 + (s[i] - '0');
  }
  return true;
}

}  // namespace

std::string rfc3339_utc(SysTime t) { return format(t, chr::minutes(0), true); }

std::string rfc3339_new_york(SysTime t, bool with_micros) {
  return format(t, new_york_offset(t), with_micros);
}

std::string rfc3339_utc_bar(SysTime t) {
  const bool fraction = chr::floor<chr::microseconds>(t) != chr::floor<chr::seconds>(t);
  return format(t, chr::minutes(0), fraction);
}

SysTime from_epoch_us(std::int64_t us) {
  return SysTime(chr::duration_cast<SysTime::duration>(chr::microseconds(us)));
}

std::int64_t epoch_us(SysTime t) {
  return chr::floor<chr::microseconds>(t.time_since_epoch()).count();
}

std::optional<SysTime> parse_rfc3339(std::string_view s) {
  int y = 0, mo = 0, d = 0;
  if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d)) {
    return std::nullopt;
  }
  const chr::year_month_day ymd{chr::year(y), chr::month(static_cast<unsigned>(mo)),
                                chr::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return std::nullopt;
  SysTime t = chr::sys_days(ymd);
  if (s.size() == 10) return t;
  int h = 0, mi = 0, se = 0;
  if (s[10] != 'T' || !digits(s, 11, 2, h) || s.size() < 19 || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se) || h > 23 || mi > 59 ||
      se > 60) {
    return std::nullopt;
  }
  t += chr::hours(h) + chr::minutes(mi) + chr::seconds(se);
  std::size_t i = 19;
  if (i < s.size() && s[i] == '.') {
    std::int64_t nanos = 0;
    int scale = 0;
    for (++i; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
      if (scale < 9) {
        nanos = nanos * 10 + (s[i] - '0');
        ++scale;
      }
    }
    if (scale == 0) return std::nullopt;
    for (; scale < 9; ++scale) nanos *= 10;
    t += chr::duration_cast<SysTime::duration>(chr::nanoseconds(nanos));
  }
  if (i < s.size() && s[i] == 'Z' && i + 1 == s.size()) return t;
  int oh = 0, om = 0;
  if (i + 6 == s.size() && (s[i] == '+' || s[i] == '-') && digits(s, i + 1, 2, oh) &&
      s[i + 3] == ':' && digits(s, i + 4, 2, om)) {
    const auto offset = chr::hours(oh) + chr::minutes(om);
    return s[i] == '+' ? t - offset : t + offset;
  }
  return std::nullopt;
}

namespace {

std::string uuid_text(std::uint64_t hi, std::uint64_t lo) {
  hi = (hi & ~0xF000ULL) | 0x4000ULL;                  // version 4
  lo = (lo & ~(0xC000ULL << 48)) | (0x8000ULL << 48);  // RFC 4122 variant
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-%04llx-%04llx-%04llx-%012llx",
                static_cast<unsigned long long>(hi >> 32),
                static_cast<unsigned long long>((hi >> 16) & 0xFFFF),
                static_cast<unsigned long long>(hi & 0xFFFF),
                static_cast<unsigned long long>(lo >> 48),
                static_cast<unsigned long long>(lo & 0xFFFFFFFFFFFFULL));
  return buf;
}

std::uint64_t fnv1a(std::string_view s, std::uint64_t h) {
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

}  // namespace

namespace {

constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string base64url(std::string_view bytes) {
  std::string out;
  std::uint32_t bits = 0;
  int have = 0;
  for (unsigned char ch : bytes) {
    bits = (bits << 8) | ch;
    for (have += 8; have >= 6; have -= 6) out += kBase64Url[(bits >> (have - 6)) & 0x3F];
  }
  if (have > 0) out += kBase64Url[(bits << (6 - have)) & 0x3F];
  return out;
}

std::optional<std::string> from_base64url(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;  // no byte count leaves one character
  std::string out;
  std::uint32_t bits = 0;
  int have = 0;
  for (char ch : text) {
    const auto at = kBase64Url.find(ch);
    if (at == std::string_view::npos) return std::nullopt;
    bits = (bits << 6) | static_cast<std::uint32_t>(at);
    have += 6;
    if (have >= 8) {
      have -= 8;
      out += static_cast<char>((bits >> have) & 0xFF);
    }
  }
  return out;
}

std::string new_uuid() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::uint64_t hi = rng();
  return uuid_text(hi, rng());
}

std::string stable_uuid(std::string_view seed) {
  return uuid_text(fnv1a(seed, 0xcbf29ce484222325ULL), fnv1a(seed, 0x84222325cbf29ce4ULL));
}

}  // namespace axion::testing::alpaca
