// sdk::json_text writes what nlohmann::json reads back exactly.
#include <catch2/catch.hpp>

#include <cmath>
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
