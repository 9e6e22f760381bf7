// feed/csv on an arbitrary file: the input is written to a CSV file and the plugin, linked in
// and called through its C ABI entry as the host would, is created on it (every row is checked
// there) and drained. Any input must give bars or a clean creation error naming the file.
//
// Besides the sanitizers: bars come in non-decreasing time order with low <= open, close <= high.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "axion/sdk/testing/fakes.hpp"

extern "C" const axion_plugin_manifest* axion_plugin_v2(void);

namespace {

namespace fs = std::filesystem;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;

std::string g_file;

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "fuzz_csv: %s\n", why.c_str());
  std::abort();
}

void remove_file_at_exit() { std::remove(g_file.c_str()); }

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  g_file = (fs::temp_directory_path() / ("axion-fuzz-csv-" + std::to_string(::getpid()) + ".csv")).string();
  std::atexit(remove_file_at_exit);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  {
    std::ofstream out(g_file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!out) die("cannot write " + g_file);
  }
  FakeHost host;
  const nlohmann::json config = {{"files", {g_file}}, {"symbols", {"FZ"}}, {"warmup_bars", 2}};
  try {
    PluginHarness h(axion_plugin_v2, host, config);
    std::int64_t prev = INT64_MIN;
    while (auto bar = h.next_bar()) {
      if (bar->ts_us < prev) die("bars out of order");
      if (!(bar->low <= bar->open && bar->open <= bar->high && bar->low <= bar->close && bar->close <= bar->high)) {
        die("bar outside its range");
      }
      prev = bar->ts_us;
    }
  } catch (const PluginCallError& e) {
    if (std::string(e.what()).find(g_file) == std::string::npos) die(std::string("error without the file: ") + e.what());
  }
  return 0;
}
