// The manifest of the engine tests, built from one default so that each test shows only what it
// changes: ManifestBuilder().set("broker", "reject_rate", 1.0).add("guard/sanity").toml().
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace axion::test {

class ManifestBuilder {
 public:
  // A TOML value: a string (quoted), an integer, a float (always written with a '.', so a float
  // key never sees an integer), a bool or a list of strings.
  struct Value {
    Value(const char* s);
    Value(const std::string& s);
    Value(int i);
    Value(double d);
    Value(bool b);
    Value(std::initializer_list<std::string> list);
    Value(const std::vector<std::string>& list);
    std::string text;
  };
  using Keys = std::vector<std::pair<std::string, Value>>;

  // The GOOG daily replay of the pipeline scenarios: backtest on {{STATE}} (no retry backoff),
  // every detector signal to the pipeline, feed/csv on {{DATA}}/goog_daily.csv,
  // strategy/ema_cloud, risk/unified and broker/paper.
  ManifestBuilder();

  // A table is named by its header ("engine", "executor") or, a plugin's, by its plugin
  // ("broker/paper", "strategy/ema_cloud"; the first such table).
  // Sets `key` in `table`, replacing its value; a missing [table] is added.
  ManifestBuilder& set(const std::string& table, const std::string& key, Value value);
  // Adds a plugin's table: [[kind]] for the listed kinds (strategy, guard, risk, sizing, addon),
  // else [kind] in place of the one there (feed, regime, routing, broker).
  ManifestBuilder& add(const std::string& plugin, Keys keys = {});
  // Removes every table named `table` (every [[guard]] for "guard").
  ManifestBuilder& remove(const std::string& table);
  // Appended as it is, for what the builder has no word for.
  ManifestBuilder& raw(const std::string& toml);

  // The text EngineFixture::start takes ({{DATA}} and {{STATE}} still to substitute).
  std::string toml() const;

 private:
  struct Table {
    std::string name;   // the header's name: "engine", "guard"
    bool list = false;  // [[name]]
    std::string plugin;
    Keys keys;
  };
  std::vector<Table> tables_;
  std::string raw_;
};

}  // namespace axion::test
