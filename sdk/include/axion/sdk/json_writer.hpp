// A minimal JSON object writer for hot paths (a strategy emitting signals on every bar): appends
// members straight into one string, without building a JSON tree. Doubles print in shortest
// round-trip form; a non-finite double becomes null (JSON has no NaN or infinity).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "axion/sdk/format.hpp"

namespace axion::sdk {

class JsonWriter {
 public:
  JsonWriter() { out_.reserve(512), out_.push_back('{'); }

  JsonWriter& str(std::string_view key, std::string_view v) { return member(key).quoted(v); }
  JsonWriter& num(std::string_view key, double v) { return member(key).number(v); }
  JsonWriter& integer(std::string_view key, std::int64_t v) {
    member(key).out_.append(std::to_string(v));
    return *this;
  }
  JsonWriter& boolean(std::string_view key, bool v) {
    member(key).out_.append(v ? "true" : "false");
    return *this;
  }
  // `json` must already be valid JSON (an object, array, number…).
  JsonWriter& raw(std::string_view key, std::string_view json) {
    member(key).out_.append(json);
    return *this;
  }
  JsonWriter& str_array(std::string_view key, const auto& values) {
    member(key).out_.push_back('[');
    bool first = true;
    for (const auto& v : values) {
      if (!first) out_.push_back(',');
      first = false;
      quoted(v);
    }
    out_.push_back(']');
    return *this;
  }
  // The finished object; the writer may not be used afterwards.
  std::string take() {
    out_.push_back('}');
    return std::move(out_);
  }

 private:
  JsonWriter& member(std::string_view key) {
    if (out_.size() > 1) out_.push_back(',');
    return quoted(key), out_.push_back(':'), *this;
  }
  JsonWriter& quoted(std::string_view s) {
    out_.push_back('"');
    for (char c : s) {
      if (c == '"' || c == '\\') out_.push_back('\\'), out_.push_back(c);
      else if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out_.append(buf);
      } else out_.push_back(c);
    }
    out_.push_back('"');
    return *this;
  }
  JsonWriter& number(double v) {
    out_.append(std::isfinite(v) ? format::shortest_float(v) : std::string("null"));
    return *this;
  }
  std::string out_;
};

}  // namespace axion::sdk
