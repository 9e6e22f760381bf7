// axion-crash-harness: kill -9 the engine at random moments, restart it on the same state dir,
// and check what it left behind (tests/crash/README.md).
#include <cstdlib>
#include <iostream>
#include <string>

#include "harness.hpp"

namespace {

constexpr const char* kUsage =
    "usage: axion-crash-harness [--seed N] [--crashes N] [--segments N] [--episodes N] [--faults "
    "NAME]\n"
    "                           [--host PATH] [--plugin-dir DIR] [--work-dir DIR]\n"
    "                           [--bars MIN:MAX] [--ready-timeout-ms N] [--quiet]\n"
    "  --seed N          seed of every random choice (default 1)\n"
    "  --crashes N       SIGKILLs of a running engine to deliver (default 20)\n"
    "  --segments N      extra runs to the end of their feed, stopped gracefully (default 0)\n"
    "  --episodes N      the whole sequence N times, each on a fresh state dir (default 1)\n"
    "  --faults NAME     paper broker faults: crash (default: latency, partial fills, rejects,\n"
    "                    timeouts), none, reject, timeout, partial, ghost, latency, all\n"
    "  --host PATH       axion-host to run (default: the one built beside this program)\n"
    "  --plugin-dir DIR  passed to axion-host --plugin-dir\n"
    "  --work-dir DIR    state dir, logs and manifests (default: a temporary folder, removed\n"
    "                    when no violation is found)\n"
    "  --bars MIN:MAX    bars per run after the warm-up (default 60:400)\n"
    "  --ready-timeout-ms N  deadline for /health to answer after a start (default 30000)\n"
    "  --quiet           print only the violations and the summary line\n";

bool parse_int(const std::string& s, long long& out) {
  char* end = nullptr;
  out = std::strtoll(s.c_str(), &end, 10);
  return !s.empty() && end && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  axion::crash::Options o;
  o.host = AXION_HOST_EXE;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "axion-crash-harness: " << a << " needs a value\n" << kUsage;
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&](long long lo) {
      std::string v = value();
      long long n = 0;
      if (!parse_int(v, n) || n < lo) {
        std::cerr << "axion-crash-harness: " << a << " expects an integer >= " << lo << ", got '"
                  << v << "'\n";
        std::exit(2);
      }
      return n;
    };
    if (a == "--seed") {
      o.seed = static_cast<std::uint64_t>(number(0));
    } else if (a == "--crashes") {
      o.crashes = static_cast<int>(number(0));
    } else if (a == "--segments") {
      o.segments = static_cast<int>(number(0));
    } else if (a == "--episodes") {
      o.episodes = static_cast<int>(number(1));
    } else if (a == "--faults") {
      o.faults = value();
      if (!axion::crash::fault_preset(o.faults)) {
        std::cerr << "axion-crash-harness: unknown --faults '" << o.faults << "'\n" << kUsage;
        return 2;
      }
    } else if (a == "--host") {
      o.host = value();
    } else if (a == "--plugin-dir") {
      o.plugin_dir = value();
    } else if (a == "--work-dir") {
      o.work_dir = value();
    } else if (a == "--bars") {
      std::string v = value();
      auto colon = v.find(':');
      long long lo = 0, hi = 0;
      if (colon == std::string::npos || !parse_int(v.substr(0, colon), lo) ||
          !parse_int(v.substr(colon + 1), hi) || lo < 1 || hi < lo || hi > 2000) {
        std::cerr
            << "axion-crash-harness: --bars expects MIN:MAX with 1 <= MIN <= MAX <= 2000, got '"
            << v << "'\n";
        return 2;
      }
      o.min_bars = static_cast<int>(lo);
      o.max_bars = static_cast<int>(hi);
    } else if (a == "--ready-timeout-ms") {
      o.ready_timeout_ms = static_cast<int>(number(100));
    } else if (a == "--quiet") {
      o.quiet = true;
    } else if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else {
      std::cerr << "axion-crash-harness: unknown option '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  try {
    return axion::crash::Harness(o).run();
  } catch (const std::exception& e) {
    std::cerr << "axion-crash-harness: " << e.what() << "\n";
    return 2;
  }
}
