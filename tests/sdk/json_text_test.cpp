// sdk::json_text writes what nlohmann::json reads back exactly.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <limits>
#include <nlohmann/json.hpp>

#include "axion/sdk/json_text.hpp"

namespace jt = axion::sdk::json_text;
using nlohmann::json;

TEST_CASE("json_text strings escape quotes, backslashes and control characters", "[json_text]") {
  const std::string nasty = std::string("a\"b\\c\n\t\r") + '\x01' + '\x1f' + "é/end";
  std::string out;
  jt::append_string(out, nasty);
  REQUIRE(out.find('\n') == std::string::npos);
  REQUIRE(json::parse(out).get<std::string>() == nasty);
  out.clear();
  jt::append_string(out, "");
  REQUIRE(out == "\"\"");
}

TEST_CASE("json_text numbers round-trip exactly; non-finite ones are null", "[json_text]") {
  for (double x : {0.0, -0.0, 0.1, 1.0 / 3.0, 123456.789, 1e-300, 1.7976931348623157e308, -2.5e-7}) {
    std::string out;
    jt::append_number(out, x);
    REQUIRE(json::parse(out).get<double>() == x);
  }
  for (double x : {std::nan(""), std::numeric_limits<double>::infinity()}) {
    std::string out;
    jt::append_number(out, x);
    REQUIRE(out == "null");
  }
  std::string out;
  jt::append_int(out, std::numeric_limits<std::int64_t>::min());
  out += ',';
  jt::append_uint(out, std::numeric_limits<std::uint64_t>::max());
  out += ',';
  jt::append_bool(out, false);
  auto j = json::parse("[" + out + "]");
  REQUIRE(j[0].get<std::int64_t>() == std::numeric_limits<std::int64_t>::min());
  REQUIRE(j[1].get<std::uint64_t>() == std::numeric_limits<std::uint64_t>::max());
  REQUIRE(j[2] == false);
}

TEST_CASE("json_text builds an object nlohmann parses", "[json_text]") {
  std::string out = "{";
  jt::append_key(out, "symbol");
  jt::append_string(out, "BRK.B");
  out += ',';
  jt::append_key(out, "qty");
  jt::append_int(out, -7);
  out += '}';
  REQUIRE(json::parse(out) == json{{"symbol", "BRK.B"}, {"qty", -7}});
}

TEST_CASE("json_text fields take a comma except after the object's opening brace", "[json_text]") {
  std::string out = "[{";
  jt::append_field(out, "a");
  jt::append_int(out, 1);
  jt::append_field(out, "b");
  out += '{';
  jt::append_field(out, "c");
  jt::append_bool(out, true);
  out += "}}]";
  REQUIRE(out == R"([{"a":1,"b":{"c":true}}])");
}

TEST_CASE("json_text typed fields write each kind as nlohmann reads it", "[json_text]") {
  std::string out = "{";
  jt::append_field(out, "text", std::string("a\"b"));
  jt::append_field(out, "view", std::string_view("v"));
  jt::append_field(out, "int", -3);
  jt::append_field(out, "u64", std::uint64_t{18446744073709551615ull});
  jt::append_field(out, "num", 0.1);
  jt::append_field(out, "flag", true);
  out += '}';
  REQUIRE(json::parse(out) == json{{"text", "a\"b"}, {"view", "v"}, {"int", -3},
                                   {"u64", 18446744073709551615ull}, {"num", 0.1}, {"flag", true}});
}

TEST_CASE("json_text numbers are laid out as nlohmann::json dumps them", "[json_text]") {
  for (double x : {0.0, -0.0, 1.0, 150.0, 100.1234, 0.1, 0.0001, 0.00012345, 1.5e-05, 1e-05,
                   123456789012345.0, 1e15, 1.5e15, 1e16, 1.2345e16, 9.87654321e-100, 1e300,
                   -42.125, 187.12345678901234, 5e-324, 1.7976931348623157e308}) {
    std::string out;
    jt::append_number(out, x);
    CHECK(out == json(x).dump());
  }
}

namespace {
std::string nlohmann_text(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}
std::string text_of(std::string_view s) {
  std::string out;
  jt::append_string(out, s);
  return out;
}
}  // namespace

TEST_CASE("json_text strings are nlohmann's bytes: every ASCII byte, valid and invalid UTF-8", "[json_text]") {
  for (int c = 0; c < 0x80; ++c) {
    const std::string one(1, static_cast<char>(c));
    CHECK(text_of(one) == nlohmann_text(one));
  }
  const std::string valid = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x88";  // é € 📈
  CHECK(text_of(valid) == "\"" + valid + "\"");
  for (const std::string& bad :
       {std::string("BAD\xff\xfe"), std::string("\xc3"), std::string("\xe2\x82"), std::string("\xe2\x82" "A"),
        std::string("\xc0\xaf"), std::string("\xed\xa0\x80"), std::string("\xf4\x90\x80\x80"),
        std::string("\xe0\x80\x80"), std::string("\xf0\x9f\x93" "x\xf0\x9f\x93\x88"), std::string("\x80\x80")}) {
    CHECK(text_of(bad) == nlohmann_text(bad));
    CHECK(json::parse(text_of(bad)).get<std::string>().find("\xef\xbf\xbd") != std::string::npos);
  }
  // Random bytes, biased toward UTF-8 lead and continuation bytes.
  std::mt19937_64 rng(3);
  const unsigned char pool[] = {'a', '"', '\\', '\n', 0x01, 0x7f, 0x80, 0xbf, 0xc2, 0xc3, 0xe0, 0xe2, 0xed,
                                0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f};
  for (int n = 0; n < 20000; ++n) {
    std::string str;
    const auto len = rng() % 12;
    for (std::size_t k = 0; k < len; ++k) str += static_cast<char>(pool[rng() % sizeof pool]);
    REQUIRE(text_of(str) == nlohmann_text(str));
  }
}

TEST_CASE("json_text numbers are nlohmann's bytes over random bit patterns", "[json_text]") {
  std::mt19937_64 rng(5);
  for (int n = 0; n < 200000; ++n) {
    double x;
    const std::uint64_t bits = rng();
    std::memcpy(&x, &bits, sizeof x);
    std::string out;
    jt::append_number(out, x);
    REQUIRE(out == json(x).dump());
  }
}

// format::round_dp (sdk/format.hpp) rounds with to_chars; it must agree with printf's "%.*f".
#include <cstdio>
#include <random>

#include "axion/sdk/format.hpp"

TEST_CASE("round_dp agrees with printf rounding, ties and large values included", "[format]") {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> price(-5000.0, 5000.0);
  std::vector<double> xs = {0.125, 0.375, 2.5, -2.5, 1.0005, 187.12345, 1e20, -1e-9, 0.0, 123.456789};
  for (int i = 0; i < 20000; ++i) xs.push_back(price(rng));
  for (double x : xs) {
    for (int n : {0, 2, 4, 6}) {
      char buf[512];
      std::snprintf(buf, sizeof buf, "%.*f", n, x);
      REQUIRE(axion::sdk::format::round_dp(x, n) == std::strtod(buf, nullptr));
    }
  }
}
