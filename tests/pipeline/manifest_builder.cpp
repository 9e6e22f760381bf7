#include "manifest_builder.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace axion::test {

namespace {

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string quoted(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string list_of(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + quoted(s);
  return "[" + out + "]";
}

}  // namespace

ManifestBuilder::Value::Value(const char* s) : text(quoted(s)) {}
ManifestBuilder::Value::Value(const std::string& s) : text(quoted(s)) {}
ManifestBuilder::Value::Value(int i) : text(std::to_string(i)) {}
ManifestBuilder::Value::Value(bool b) : text(b ? "true" : "false") {}
ManifestBuilder::Value::Value(std::initializer_list<std::string> list) : text(list_of(list)) {}
ManifestBuilder::Value::Value(const std::vector<std::string>& list) : text(list_of(list)) {}

ManifestBuilder::Value::Value(double d) {
  if (!std::isfinite(d)) throw std::invalid_argument("ManifestBuilder: a TOML value must be a finite number");
  char buf[32];
  text.assign(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
  if (text.find_first_of(".e") == std::string::npos) text += ".0";
}

ManifestBuilder::ManifestBuilder() {
  set("engine", "mode", "backtest");
  set("engine", "state_dir", "{{STATE}}");
  set("engine", "symbols", {"GOOG"});
  set("engine", "retry_backoff_base", 0.0);
  set("signals", "min_conviction_to_signal", 0);
  set("signals", "min_conviction_to_execute", 0);
  // The scenarios exercise the pipeline: every detector signal goes to it.
  set("signals", "enable_strategy_selection", false);
  set("signals", "macro_bias_filter", false);
  add("feed/csv", {{"files", {"{{DATA}}/goog_daily.csv"}}});
  add("strategy/ema_cloud");
  // risk/unified rejects a signal against an open position in the same ticker
  // (conflicting_direction); without it a long and a short in GOOG net out at the broker and the
  // reconciler halts trading.
  add("risk/unified");
  add("broker/paper");
}

ManifestBuilder& ManifestBuilder::set(const std::string& table, const std::string& key,
                                      Value value) {
  const bool by_plugin = table.find('/') != std::string::npos;
  auto t = std::find_if(tables_.begin(), tables_.end(),
                        [&](const Table& x) { return (by_plugin ? x.plugin : x.name) == table; });
  if (t == tables_.end()) {
    if (by_plugin) throw std::logic_error("ManifestBuilder: no table of plugin " + table);
    t = tables_.insert(tables_.end(), Table{table, false, "", {}});
  }
  auto k =
      std::find_if(t->keys.begin(), t->keys.end(), [&](const auto& kv) { return kv.first == key; });
  if (k != t->keys.end()) {
    k->second = std::move(value);
  } else {
    t->keys.emplace_back(key, std::move(value));
  }
  return *this;
}

ManifestBuilder& ManifestBuilder::add(const std::string& plugin, Keys keys) {
  const std::string kind = plugin.substr(0, plugin.find('/'));
  const bool list = kind == "strategy" || kind == "guard" || kind == "risk" || kind == "sizing" ||
                    kind == "addon";
  Table t{kind, list, plugin, std::move(keys)};
  auto same =
      std::find_if(tables_.begin(), tables_.end(), [&](const Table& x) { return x.name == kind; });
  if (!list && same != tables_.end()) {
    *same = std::move(t);
  } else {
    tables_.push_back(std::move(t));
  }
  return *this;
}

ManifestBuilder& ManifestBuilder::remove(const std::string& table) {
  std::erase_if(tables_, [&](const Table& x) { return x.name == table || x.plugin == table; });
  return *this;
}

ManifestBuilder& ManifestBuilder::raw(const std::string& toml) {
  raw_ += toml;
  return *this;
}

std::string ManifestBuilder::toml() const {
  std::string out;
  for (const auto& t : tables_) {
    out += t.list ? "[[" + t.name + "]]\n" : "[" + t.name + "]\n";
    if (!t.plugin.empty()) out += "plugin = " + quoted(t.plugin) + "\n";
    for (const auto& [key, value] : t.keys) out += key + " = " + value.text + "\n";
    out += "\n";
  }
  return out + raw_;
}

}  // namespace axion::test
