#include "cli.hpp"

#include <boost/program_options.hpp>

#include <iostream>

namespace axion::host {

namespace po = boost::program_options;

std::optional<int> parse_cli(int argc, char** argv, CliOptions& o) {
  po::options_description desc("axion-host options");
  desc.add_options()
      ("help,h", "show this help")
      ("pipeline", po::value(&o.pipeline), "TOML pipeline manifest (default: the embedded configs/paper.toml)")
      ("paper", po::bool_switch(&o.paper), "paper mode (default)")
      ("live", po::bool_switch(&o.live), "live mode: needs [live_broker] in the manifest")
      ("state-dir", po::value<std::string>(), "state directory (overrides [engine] state_dir; default .bot_state)")
      ("poll-interval", po::value<double>(), "seconds between iterations for polled feeds (default 30)")
      ("symbols", po::value<std::vector<std::string>>(&o.symbols)->multitoken(), "scan universe (default SPY QQQ AAPL MSFT NVDA)")
      ("log-level", po::value(&o.log_level), "debug | info | warning | error")
      ("check-config", po::bool_switch(&o.check_config), "validate the manifest and every plugin config, report every error, start nothing")
      ("list-plugins", po::bool_switch(&o.list_plugins), "list every plugin on the search path")
      ("describe", po::value(&o.describe), "print a plugin's TOML keys: --describe kind/name")
      ("plugin-dir", po::value<std::string>(), "extra plugin folder, searched before the built-in one")
      ("no-pace", po::bool_switch(&o.no_pace), "replay the embedded market as fast as possible")
      ("max-bars", po::value(&o.max_bars), "stop after this many bars (0 = no limit)")
      ("scan-out", po::value(&o.scan_out), "run the feed through strategies and signal assembly only (no orders) and write every signal to this CSV")
      ("create-key", po::value(&o.create_key), "create an API key with scope read | write | admin in --state-dir, print it and exit (no manifest, no engine)")
      ("key-name", po::value(&o.key_name), "name of the key made by --create-key (default cli)")
      ("version", po::bool_switch(&o.version), "print the version");
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "axion-host: " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (vm.count("state-dir")) o.state_dir = vm["state-dir"].as<std::string>();
  if (vm.count("poll-interval")) {
    o.poll_interval = vm["poll-interval"].as<double>();
    if (!(*o.poll_interval > 0)) {
      std::cerr << "axion-host: --poll-interval must be > 0\n";
      return 2;
    }
  }
  if (vm.count("plugin-dir")) o.plugin_dir = vm["plugin-dir"].as<std::string>();
  if (vm.count("create-key")) {
    if (o.create_key != "read" && o.create_key != "write" && o.create_key != "admin") {
      std::cerr << "axion-host: --create-key SCOPE must be read, write or admin (got '" << o.create_key
                << "')\n";
      return 2;
    }
    if (!o.state_dir) {
      std::cerr << "axion-host: --create-key needs --state-dir DIR (the key store is DIR/axion.db)\n";
      return 2;
    }
  }
  if (o.paper && o.live) {
    std::cerr << "axion-host: --paper and --live are exclusive\n";
    return 2;
  }
  return std::nullopt;
}

}  // namespace axion::host
