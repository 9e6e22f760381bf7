#include "run_manifest.hpp"

#include <chrono>
#include <cstdio>
#include <sstream>
#include <stdexcept>

namespace axion::crash {

namespace {

// A TOML float (always with a '.' so a double key never sees an integer).
std::string num(double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", x);
  std::string s = buf;
  if (s.find_first_of(".eE") == std::string::npos) s += ".0";
  return s;
}

}  // namespace

std::string RunManifest::toml() const {
  std::ostringstream t;
  t << "# Written by axion-crash-harness for one run of the engine.\n"
    << "[engine]\nmode = \"paper\"\nsymbols = [\"SPY\", \"AAPL\", \"NVDA\"]\n"
    << "starting_equity = 100000.0\nreconcile_interval_seconds = "
    << num(reconcile_interval_seconds) << "\n\n"
    << "[api]\nbind = \"127.0.0.1\"\nport = " << port << "\nrate_limit = false\n\n"
    << "[lifecycle]\nclose_on_shutdown = " << (close_on_shutdown ? "true" : "false") << "\n\n"
    << "[signals]\nmin_conviction_to_signal = 0\nmin_conviction_to_execute = 0\n\n"
    << "[feed]\nplugin = \"feed/synthetic\"\nseed = " << feed_seed << "\nstart_date = \""
    << start_date << "\"\nbar_seconds = " << kBarSeconds << "\nwarmup_bars = " << warmup_bars
    << "\nmax_bars = " << warmup_bars + bars << "\npace_ms = " << num(pace_ms) << "\n\n"
    << "[[strategy]]\nplugin = \"strategy/ema_cloud\"\n\n"
    // Only its conflicting-direction rule matters: the paper broker nets a symbol, so a long and
    // a short of one ticker cannot both be held there (the reconciler would call it a mismatch).
    << "[[risk]]\nplugin = \"risk/unified\"\nmax_daily_loss_pct = 100.0\nmax_concurrent_positions "
       "= 1000\n"
    << "max_single_stock_pct = 1000.0\nmax_sector_pct = 1000.0\nenable_correlation_guard = false\n"
    << "enable_var_sizing = false\n\n"
    << "[[sizing]]\nplugin = \"sizing/standard\"\n\n"
    << "[broker]\nplugin = \"broker/paper\"\nseed = " << broker_seed
    << "\nlatency_ms = " << num(faults.latency_ms)
    << "\npartial_fill_rate = " << num(faults.partial_fill_rate)
    << "\nreject_rate = " << num(faults.reject_rate)
    << "\ntimeout_rate = " << num(faults.timeout_rate)
    << "\nghost_fill_rate = " << num(faults.ghost_fill_rate) << "\nsubmit_log = \"" << submit_log
    << "\"\n";
  return t.str();
}

std::string add_days(const std::string& date, int days) {
  int y = 0, m = 0, d = 0;
  if (std::sscanf(date.c_str(), "%d-%d-%d", &y, &m, &d) != 3)
    throw std::invalid_argument("bad date " + date);
  using namespace std::chrono;
  sys_days t = sys_days(year{y} / month{static_cast<unsigned>(m)} / day{static_cast<unsigned>(d)}) +
               std::chrono::days{days};
  year_month_day ymd{t};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

}  // namespace axion::crash
