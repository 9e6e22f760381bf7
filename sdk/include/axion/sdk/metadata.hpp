// A signal's metadata as typed, named fields (plugin_api.h axion_field), its EMA cloud states, and
// their JSON form for the places a person reads them (journal, REST, WS).
#pragma once

#include <cstdint>
#include <array>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "axion/plugin_api.h"

namespace axion::sdk {

enum class FieldKind {
  Number = AXION_FIELD_NUMBER,
  Integer = AXION_FIELD_INTEGER,
  Bool = AXION_FIELD_BOOL,
  Text = AXION_FIELD_TEXT,
  TextItem = AXION_FIELD_TEXT_ITEM,  // one item of the text list `name`
};

struct Field {
  std::string name;  // "a.b": field b of the object a
  FieldKind kind = FieldKind::Number;
  double number = 0;
  std::string text;
};

// Named values in emission order. Setting a name again replaces its value (list items append).
class Metadata {
 public:
  Metadata& num(std::string_view name, double v) { return put(name, FieldKind::Number, v, {}); }
  Metadata& integer(std::string_view name, std::int64_t v) {
    return put(name, FieldKind::Integer, static_cast<double>(v), {});
  }
  Metadata& boolean(std::string_view name, bool v) { return put(name, FieldKind::Bool, v ? 1.0 : 0.0, {}); }
  Metadata& text(std::string_view name, std::string_view v) { return put(name, FieldKind::Text, 0, v); }
  Metadata& text_item(std::string_view name, std::string_view v) {
    fields_.push_back({std::string(name), FieldKind::TextItem, 0, std::string(v)});
    return *this;
  }
  // Appends a field as it arrived over the ABI (an unknown kind is kept as text).
  void add(const axion_field& f) {
    fields_.emplace_back();
    set_from(fields_.back(), f);
  }
  // Becomes exactly these fields, reusing the strings it already holds: a stage plugin's signal
  // is converted on every call, and this keeps that free of allocation once warm.
  void assign(const axion_field* fields, std::size_t n) {
    if (!fields) n = 0;
    fields_.resize(n);
    for (std::size_t i = 0; i < n; ++i) set_from(fields_[i], fields[i]);
  }

  const Field* find(std::string_view name) const {
    for (const auto& f : fields_) {
      if (f.name == name) return &f;
    }
    return nullptr;
  }
  std::optional<double> number_of(std::string_view name) const {
    const Field* f = find(name);
    if (!f || f->kind == FieldKind::Text || f->kind == FieldKind::TextItem) return std::nullopt;
    return f->number;
  }
  std::optional<std::string_view> text_of(std::string_view name) const {
    const Field* f = find(name);
    if (!f || f->kind != FieldKind::Text) return std::nullopt;
    return std::string_view(f->text);
  }

  bool empty() const { return fields_.empty(); }
  std::size_t size() const { return fields_.size(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }
  void clear() { fields_.clear(); }

 private:
  Metadata& put(std::string_view name, FieldKind kind, double number, std::string_view text) {
    for (auto& f : fields_) {
      if (f.name == name && f.kind != FieldKind::TextItem) {
        f.kind = kind, f.number = number, f.text.assign(text);
        return *this;
      }
    }
    fields_.push_back({std::string(name), kind, number, std::string(text)});
    return *this;
  }

  static void set_from(Field& to, const axion_field& f) {
    const bool known = f.kind >= AXION_FIELD_NUMBER && f.kind <= AXION_FIELD_TEXT_ITEM;
    to.name.assign(f.name.data ? f.name.data : "", f.name.size);
    to.kind = known ? static_cast<FieldKind>(f.kind) : FieldKind::Text;
    to.number = f.number;
    to.text.assign(f.text.data ? f.text.data : "", f.text.size);
  }

  std::vector<Field> fields_;
};

// strategies.md §5 CloudState.
struct CloudState {
  std::string cloud_name;
  double short_ema = 0;
  double long_ema = 0;
  bool is_bullish = false;
  double thickness = 0;
  bool price_above = false;
  bool price_inside = false;
  bool price_below = false;
  double slope = 0;
  std::string slope_direction = "flat";
};

// Into an existing record, reusing its strings.
inline void from_c(const axion_cloud_state& c, CloudState& s) {
  s.cloud_name.assign(c.cloud_name.data ? c.cloud_name.data : "", c.cloud_name.size);
  s.short_ema = c.short_ema;
  s.long_ema = c.long_ema;
  s.is_bullish = (c.flags & AXION_CLOUD_BULLISH) != 0;
  s.thickness = c.thickness;
  s.price_above = (c.flags & AXION_CLOUD_PRICE_ABOVE) != 0;
  s.price_inside = (c.flags & AXION_CLOUD_PRICE_INSIDE) != 0;
  s.price_below = (c.flags & AXION_CLOUD_PRICE_BELOW) != 0;
  s.slope = c.slope;
  s.slope_direction.assign(c.slope_direction.data ? c.slope_direction.data : "", c.slope_direction.size);
}

inline CloudState from_c(const axion_cloud_state& c) {
  CloudState s;
  from_c(c, s);
  return s;
}

inline axion_cloud_state to_c(const CloudState& s) {
  axion_cloud_state c{};
  c.cloud_name = {s.cloud_name.data(), s.cloud_name.size()};
  c.short_ema = s.short_ema;
  c.long_ema = s.long_ema;
  c.thickness = s.thickness;
  c.slope = s.slope;
  c.flags = (s.is_bullish ? AXION_CLOUD_BULLISH : 0u) | (s.price_above ? AXION_CLOUD_PRICE_ABOVE : 0u) |
            (s.price_inside ? AXION_CLOUD_PRICE_INSIDE : 0u) | (s.price_below ? AXION_CLOUD_PRICE_BELOW : 0u);
  c.slope_direction = {s.slope_direction.data(), s.slope_direction.size()};
  return c;
}

// CloudState.to_dict (strategies.md §1.3): EMAs rounded to 4 dp, thickness and slope to 6 dp
// (halves away from zero). Producers send full precision; rounding is for the reader.
inline nlohmann::json to_json(const CloudState& s) {
  auto dp = [](double x, double scale) { return std::round(x * scale) / scale; };
  return {{"cloud_name", s.cloud_name},
          {"short_ema", dp(s.short_ema, 1e4)},
          {"long_ema", dp(s.long_ema, 1e4)},
          {"is_bullish", s.is_bullish},
          {"thickness", dp(s.thickness, 1e6)},
          {"price_above", s.price_above},
          {"price_inside", s.price_inside},
          {"price_below", s.price_below},
          {"slope", dp(s.slope, 1e6)},
          {"slope_direction", s.slope_direction}};
}

// Writes the fields into `out` (an object): "a.b" nests, text items gather into lists.
inline void append_json(const Metadata& m, nlohmann::json& out) {
  for (const Field& f : m) {
    nlohmann::json* obj = &out;
    std::string_view name = f.name;
    if (auto dot = name.find('.'); dot != std::string_view::npos && dot > 0 && dot + 1 < name.size()) {
      nlohmann::json& inner = (*obj)[std::string(name.substr(0, dot))];
      if (!inner.is_object()) inner = nlohmann::json::object();
      obj = &inner;
      name = name.substr(dot + 1);
    }
    nlohmann::json& slot = (*obj)[std::string(name)];
    switch (f.kind) {
      case FieldKind::Number: slot = f.number; break;
      case FieldKind::Integer: slot = static_cast<std::int64_t>(f.number); break;
      case FieldKind::Bool: slot = f.number != 0; break;
      case FieldKind::Text: slot = f.text; break;
      case FieldKind::TextItem:
        if (!slot.is_array()) slot = nlohmann::json::array();
        slot.push_back(f.text);
        break;
    }
  }
}

inline nlohmann::json to_json(const Metadata& m) {
  nlohmann::json out = nlohmann::json::object();
  append_json(m, out);
  return out;
}

// A signal's fields in a fixed array, for strategies that emit on most bars (sdk::SignalSink's
// emit(const axion_signal&)): names and texts are views that must outlive the emit — literals or
// the strategy's own strings. Nothing is allocated; more than N fields is a programming error.
template <std::size_t N>
class FieldArray {
 public:
  FieldArray& num(std::string_view name, double v) { return put(name, AXION_FIELD_NUMBER, v, {}); }
  FieldArray& integer(std::string_view name, std::int64_t v) {
    return put(name, AXION_FIELD_INTEGER, static_cast<double>(v), {});
  }
  FieldArray& boolean(std::string_view name, bool v) { return put(name, AXION_FIELD_BOOL, v ? 1.0 : 0.0, {}); }
  FieldArray& text(std::string_view name, std::string_view v) { return put(name, AXION_FIELD_TEXT, 0, v); }
  FieldArray& text_item(std::string_view name, std::string_view v) {
    return put(name, AXION_FIELD_TEXT_ITEM, 0, v);
  }
  void clear() { n_ = 0; }
  std::size_t size() const { return n_; }
  // Points the signal's fields at this array.
  void attach(axion_signal& s) const {
    s.fields = fields_.data();
    s.field_count = n_;
  }

 private:
  FieldArray& put(std::string_view name, std::int32_t kind, double number, std::string_view text) {
    if (n_ == N) throw std::length_error("FieldArray: more fields than its capacity");
    fields_[n_++] = axion_field{{name.data(), name.size()}, kind, number, {text.data(), text.size()}};
    return *this;
  }

  std::array<axion_field, N> fields_{};
  std::size_t n_ = 0;
};

}  // namespace axion::sdk
