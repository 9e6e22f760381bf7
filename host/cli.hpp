// Command-line handling of axion-host (pipeline.md §11, ARCHITECTURE §4).
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace axion::host {

struct CliOptions {
  std::string pipeline;  // empty: the embedded configs/paper.toml
  bool paper = false;
  bool live = false;
  std::optional<std::string> state_dir;
  std::optional<double> poll_interval;
  std::vector<std::string> symbols;
  std::string log_level = "info";
  bool check_config = false;
  bool list_plugins = false;
  std::string describe;
  bool version = false;
  std::optional<std::string> plugin_dir;
  bool no_pace = false;
  unsigned long long max_bars = 0;
  std::string scan_out;  // non-empty: scan mode (strategies.md §15.1)
  std::string create_key;  // non-empty: create an API key with this scope offline (control.md §1.6)
  std::string key_name = "cli";
};

// Parses argv; prints help or usage errors itself. Returns the exit code to use when the
// program should stop right away (help, bad usage), or nullopt to continue.
std::optional<int> parse_cli(int argc, char** argv, CliOptions& out);

}  // namespace axion::host
