// axion-bench-signals: replays a CSV of signals through the configured pipeline as fast as
// possible (journal on) and prints throughput, latency percentiles and counts per stage
// (pipeline.md §11 "Signal replay bench").
#include <boost/program_options.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "bench_common.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace axion;

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string pipeline, signals_csv, state_dir;
  std::size_t max_open = 0;
  po::options_description desc("axion-bench-signals");
  desc.add_options()("help,h", "help")
      ("pipeline", po::value(&pipeline)->required(), "manifest")
      ("signals", po::value(&signals_csv)->required(), "CSV of signals")
      ("state-dir", po::value(&state_dir), "state dir (default: a fresh temporary one)")
      ("max-open", po::value(&max_open), "close the oldest position whenever more are open");
  po::variables_map vm;
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    if (vm.count("help")) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    std::cerr << "axion-bench-signals: " << e.what() << "\n" << desc << "\n";
    return 2;
  }

  std::ifstream in(signals_csv);
  if (!in) {
    std::cerr << "axion-bench-signals: cannot open " << signals_csv << "\n";
    return 1;
  }
  std::string line;
  std::getline(in, line);
  auto header = split_csv(line);
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  for (const char* need : {"ticker", "signal_type", "direction", "timeframe", "conviction",
                           "entry_price", "stop_loss", "target_price"}) {
    if (!col.count(need)) {
      std::cerr << signals_csv << ":1: missing column '" << need << "'\n";
      return 1;
    }
  }
  std::vector<sdk::Signal> rows;
  int lineno = 1;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    auto f = split_csv(line);
    try {
      sdk::Signal s;
      s.ticker = f.at(col["ticker"]);
      s.signal_type = f.at(col["signal_type"]);
      s.direction = f.at(col["direction"]);
      s.timeframe = f.at(col["timeframe"]);
      s.conviction = std::stoi(f.at(col["conviction"]));
      s.entry_price = std::stod(f.at(col["entry_price"]));
      s.stop_loss = std::stod(f.at(col["stop_loss"]));
      const auto& t = f.at(col["target_price"]);
      s.target_price = t.empty() ? 0.0 : std::stod(t);
      rows.push_back(std::move(s));
    } catch (const std::exception& e) {
      std::cerr << signals_csv << ":" << lineno << ": bad row (" << e.what() << ")\n";
      return 1;
    }
  }

  fs::path dir = state_dir.empty()
                     ? fs::temp_directory_path() / ("axion-bench-" + std::to_string(::getpid()))
                     : fs::path(state_dir);
  if (state_dir.empty()) fs::remove_all(dir);
  std::unique_ptr<core::Engine> engine;
  try {
    engine = bench::make_engine(pipeline, dir);
  } catch (const std::exception& e) {
    std::cerr << "axion-bench-signals: " << e.what() << "\n";
    return 1;
  }
  std::map<std::string, std::uint64_t> by_stage;
  std::vector<double> lat;
  lat.reserve(rows.size());
  auto t0 = std::chrono::steady_clock::now();
  for (auto& s : rows) {
    s.ts_us = engine->now_us();
    auto a = std::chrono::steady_clock::now();
    auto r = engine->process_signal(s);
    auto b = std::chrono::steady_clock::now();
    lat.push_back(std::chrono::duration<double, std::micro>(b - a).count());
    by_stage[r ? std::string(r->pipeline_stage()) : std::string("parked")]++;
    if (max_open) bench::trim_positions(*engine, max_open);
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // The journal's writer commits behind the engine thread; the rate until everything handed to
  // it is committed is what a stream this long sustains.
  engine->journal().sync();
  double drained = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("signals_per_sec=%.1f p50_us=%.1f p99_us=%.1f p999_us=%.1f committed_per_sec=%.1f\n",
              static_cast<double>(rows.size()) / secs, bench::percentile(lat, 50),
              bench::percentile(lat, 99), bench::percentile(lat, 99.9),
              static_cast<double>(rows.size()) / drained);
  for (const auto& [stage, n] : by_stage) std::printf("%s %llu\n", stage.c_str(), static_cast<unsigned long long>(n));
  engine.reset();
  if (state_dir.empty()) fs::remove_all(dir);
  return 0;
}
