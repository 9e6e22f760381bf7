// feed/csv: replays OHLCV CSV files (`timestamp,open,high,low,close,volume`), several symbols
// merged in timestamp order (ties keep file order). Every file is read and checked when the
// instance is created, so a bad file stops the host at start-up with file:line and the column,
// never in the middle of a run.
//
// Timestamps: ISO-8601 with an explicit offset (`2026-02-09T14:31:00+00:00`, `...Z`,
// `...-05:00`, optional fraction), or a date alone, which is that trading date's bar stamped at
// its 16:00 ET close (strategies.md §8).
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "axion/sdk/format.hpp"
#include "axion/sdk/plugin.hpp"
#include "axion/sdk/time.hpp"

namespace {

using axion::sdk::BarView;
using axion::sdk::Config;
using axion::sdk::Error;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::kNoBound;
namespace axt = axion::sdk::time;

const KeySpec kKeys[] = {
    {"files", KeyType::PathList, "[]",
     "CSV files to replay (header timestamp,open,high,low,close,volume); relative paths resolve "
     "against the manifest's folder; at least one"},
    {"symbols", KeyType::StringList, "[]",
     "Symbol of each file, in file order; [] = from each file name: the name up to the first "
     "'_' (or the extension), upper-cased (goog_daily.csv -> GOOG)"},
    {"timeframe", KeyType::String, "\"1d\"", "Timeframe stamped on every bar", kNoBound, kNoBound,
     "1m|5m|10m|1h|1d"},
    {"pace_ms", KeyType::Double, "0.0",
     "Wall-clock wait before each new timestamp when the host paces the feed; 0 = as fast as "
     "possible",
     0, 86400000},
    {"warmup_bars", KeyType::Int, "0",
     "The first N bars of the merged stream are history, delivered without pacing", 0, kNoBound},
};

// The validated configuration, read once.
struct Settings {
  std::vector<std::string> files;
  std::vector<std::string> symbols;  // one per file, resolved
  std::string timeframe;
  std::int64_t pace_us = 0;
  std::int64_t warmup_bars = 0;
};

std::string derive_symbol(const std::string& path) {
  std::string stem = std::filesystem::path(path).stem().string();
  std::string sym = stem.substr(0, stem.find('_'));
  for (char& c : sym) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return sym;
}

Settings read_settings(const Config& c) {
  Settings s;
  s.files = c.get_strings("files");
  if (s.files.empty()) throw Error("key 'files': at least one CSV file is required", "files");
  for (const auto& f : s.files) {
    if (f.empty()) throw Error("key 'files': an entry is empty", "files");
  }
  auto given = c.get_strings("symbols");
  if (!given.empty()) {
    if (given.size() != s.files.size()) {
      throw Error("key 'symbols': " + std::to_string(given.size()) + " symbol(s) for " +
                      std::to_string(s.files.size()) + " file(s); give one per file or none",
                  "symbols");
    }
    for (const auto& sym : given) {
      if (sym.empty()) throw Error("key 'symbols': an entry is empty", "symbols");
    }
    s.symbols = given;
  } else {
    for (const auto& f : s.files) {
      std::string sym = derive_symbol(f);
      if (sym.empty()) {
        throw Error(
            "key 'files': cannot derive a symbol from the file name '" + f + "'; set 'symbols'",
            "files");
      }
      s.symbols.push_back(sym);
    }
  }
  std::set<std::string> seen;
  for (std::size_t i = 0; i < s.symbols.size(); ++i) {
    if (!seen.insert(s.symbols[i]).second) {
      const char* key = given.empty() ? "files" : "symbols";
      throw Error("key '" + std::string(key) + "': symbol " + s.symbols[i] +
                      " is given to more than one file (" + s.files[i] + ")",
                  key);
    }
  }
  s.timeframe = c.get_string("timeframe");
  s.pace_us = std::llround(c.get_double("pace_ms") * 1000.0);
  s.warmup_bars = c.get_int("warmup_bars");
  return s;
}

// ---- parsing ----------------------------------------------------------------------------------

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return s;
}

std::vector<std::string_view> split(std::string_view line) {
  std::vector<std::string_view> out;
  for (;;) {
    auto comma = line.find(',');
    out.push_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) return out;
    line.remove_prefix(comma + 1);
  }
}

// Reads exactly n digits at s[pos]; advances pos.
bool digits(std::string_view s, std::size_t& pos, int n, int& out) {
  if (pos + static_cast<std::size_t>(n) > s.size()) return false;
  out = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + static_cast<std::size_t>(i)];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(n);
  return true;
}

// Parses a timestamp to µs since the epoch (UTC); on failure returns nullopt and says why.
std::optional<std::int64_t> parse_timestamp(std::string_view s, std::string& why) {
  std::size_t pos = 0;
  int y, mo, d;
  bool date_ok = digits(s, pos, 4, y) && pos < s.size() && s[pos++] == '-' &&
                 digits(s, pos, 2, mo) && pos < s.size() && s[pos++] == '-' && digits(s, pos, 2, d);
  std::int64_t days = 0;
  if (date_ok) {
    date_ok = mo >= 1 && mo <= 12 && d >= 1 && d <= 31;
    if (date_ok) {
      days = axt::days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
      date_ok = axt::civil_from_days(days).day == static_cast<unsigned>(d);
    }
  }
  if (!date_ok) {
    why = "'" + std::string(s) + "' is not a date (YYYY-MM-DD) or an ISO timestamp with offset";
    return std::nullopt;
  }
  if (pos == s.size()) {  // date only: the 16:00 ET close of that trading date
    return axt::eastern_to_utc(y, static_cast<unsigned>(mo), static_cast<unsigned>(d), 16, 0);
  }
  auto bad = [&](const char* what) {
    why = "'" + std::string(s) + "': " + what;
    return std::nullopt;
  };
  if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return bad("expected 'T' after the date");
  ++pos;
  int hh, mm, ss = 0;
  if (!digits(s, pos, 2, hh) || pos >= s.size() || s[pos++] != ':' || !digits(s, pos, 2, mm)) {
    return bad("expected HH:MM after the date");
  }
  if (pos < s.size() && s[pos] == ':') {
    ++pos;
    if (!digits(s, pos, 2, ss)) return bad("expected seconds after HH:MM:");
  }
  std::int64_t micros = 0;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    int n = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (n < 6) micros = micros * 10 + (s[pos] - '0');
      ++n;
      ++pos;
    }
    if (n == 0) return bad("empty fraction of a second");
    for (int i = n; i < 6; ++i) micros *= 10;
  }
  if (hh > 23 || mm > 59 || ss > 59) return bad("time of day out of range");
  if (pos == s.size()) {
    return bad("no UTC offset (naive timestamps are refused; add Z or +HH:MM)");
  }
  std::int64_t offset_s = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int sign = s[pos++] == '-' ? -1 : 1;
    int oh, om = 0;
    if (!digits(s, pos, 2, oh)) return bad("malformed UTC offset");
    if (pos < s.size()) {
      if (s[pos] == ':') ++pos;
      if (!digits(s, pos, 2, om)) return bad("malformed UTC offset");
    }
    if (oh > 23 || om > 59) return bad("UTC offset out of range");
    offset_s = sign * (oh * 3600 + om * 60);
  } else {
    return bad("malformed UTC offset");
  }
  if (pos != s.size()) return bad("unexpected text after the UTC offset");
  std::int64_t local_s = days * 86400 + hh * 3600 + mm * 60 + ss;
  return (local_s - offset_s) * axt::kUsPerSec + micros;
}

std::optional<double> parse_number(std::string_view s) {
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v) || s.empty()) {
    return std::nullopt;
  }
  return v;
}

using axion::sdk::format::shortest_float;

struct Row {
  std::int64_t ts_us;
  std::uint32_t symbol;
  double open, high, low, close, volume;
};

enum Col { kTs, kOpen, kHigh, kLow, kClose, kVolume, kNumCols };
const char* const kColNames[kNumCols] = {"timestamp", "open", "high", "low", "close", "volume"};

std::string normalise(std::string_view name) {
  std::string out;
  for (char c : name) {
    out += c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

// Column index per required column: an exact name first, else one starting with it
// (strategies.md §8); the timestamp column may also be called date, datetime or time.
std::vector<std::size_t> map_header(const std::string& file, std::string_view line) {
  std::vector<std::string> names;
  for (auto f : split(line)) names.push_back(normalise(f));
  std::vector<std::size_t> idx(kNumCols);
  for (int c = 0; c < kNumCols; ++c) {
    std::vector<std::string> wanted{kColNames[c]};
    if (c == kTs) wanted = {"timestamp", "date", "datetime", "time"};
    std::optional<std::size_t> found;
    for (const auto& w : wanted) {
      for (std::size_t i = 0; i < names.size() && !found; ++i) {
        if (names[i] == w) found = i;
      }
    }
    for (const auto& w : wanted) {
      for (std::size_t i = 0; i < names.size() && !found; ++i) {
        if (names[i].rfind(w, 0) == 0) found = i;
      }
    }
    if (!found) {
      std::string got;
      for (const auto& n : names) got += (got.empty() ? "" : ",") + n;
      throw Error(file + ":1: bad header: no '" + kColNames[c] + "' column (header: " + got +
                      "; expected timestamp,open,high,low,close,volume)",
                  "files");
    }
    idx[static_cast<std::size_t>(c)] = *found;
  }
  return idx;
}

// Reads and checks one file, appending its rows.
void load_file(const std::string& file, std::uint32_t symbol, std::vector<Row>& rows) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) {
    throw Error(file + ": no such CSV file", "files");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw Error(file + ": cannot open", "files");

  std::string line;
  std::size_t line_no = 0;
  std::vector<std::size_t> idx;
  std::size_t needed = 0;
  std::size_t count = 0;
  std::int64_t prev_ts = 0;
  std::size_t prev_line = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view text = line;
    if (line_no == 1 && text.rfind("\xEF\xBB\xBF", 0) == 0) text.remove_prefix(3);  // BOM
    if (trim(text).empty()) continue;
    if (idx.empty()) {
      idx = map_header(file, text);
      needed = *std::max_element(idx.begin(), idx.end()) + 1;
      continue;
    }
    const std::string where = file + ":" + std::to_string(line_no) + ": ";
    auto fields = split(text);
    if (fields.size() < needed) {
      throw Error(where + "expected at least " + std::to_string(needed) + " fields, got " +
                      std::to_string(fields.size()),
                  "files");
    }
    auto field = [&](Col c) { return fields[idx[static_cast<std::size_t>(c)]]; };
    auto fail = [&](Col c, const std::string& what) {
      return Error(where + "column '" + kColNames[c] + "': " + what, "files");
    };

    std::string why;
    auto ts = parse_timestamp(field(kTs), why);
    if (!ts) throw fail(kTs, why);
    if (count > 0 && *ts <= prev_ts) {
      throw fail(kTs, "out of order: " + std::string(field(kTs)) + " is not after line " +
                          std::to_string(prev_line) + " (" + axt::to_iso(prev_ts) + ")");
    }
    double v[kNumCols] = {};
    for (int c = kOpen; c < kNumCols; ++c) {
      auto x = parse_number(field(static_cast<Col>(c)));
      if (!x) {
        throw fail(static_cast<Col>(c),
                   "cannot parse '" + std::string(field(static_cast<Col>(c))) + "' as a number");
      }
      v[c] = *x;
      if (c != kVolume && !(*x > 0)) {
        throw fail(static_cast<Col>(c), "price must be positive, got " + shortest_float(*x));
      }
    }
    if (v[kVolume] < 0) throw fail(kVolume, "volume must not be negative, got " + shortest_float(v[kVolume]));
    if (v[kHigh] < v[kLow]) {
      throw fail(kHigh, "high " + shortest_float(v[kHigh]) + " is below low " + shortest_float(v[kLow]));
    }
    for (Col c : {kOpen, kClose}) {
      if (v[c] > v[kHigh] || v[c] < v[kLow]) {
        throw fail(c, shortest_float(v[c]) + " is outside the bar's range [low " + shortest_float(v[kLow]) + ", high " +
                          shortest_float(v[kHigh]) + "]");
      }
    }
    rows.push_back({*ts, symbol, v[kOpen], v[kHigh], v[kLow], v[kClose], v[kVolume]});
    prev_ts = *ts;
    prev_line = line_no;
    ++count;
  }
  if (in.bad()) throw Error(file + ": read error", "files");
  if (idx.empty()) {
    throw Error(file +
                    ":1: bad header: the file is empty (expected "
                    "timestamp,open,high,low,close,volume)",
                "files");
  }
  if (count == 0) throw Error(file + ": no data rows after the header", "files");
}

class CsvFeed final : public axion::sdk::Feed {
 public:
  CsvFeed(const Host& h, const Config& config) : Feed(h), cfg_(read_settings(config)) {
    for (std::size_t i = 0; i < cfg_.files.size(); ++i) {
      load_file(cfg_.files[i], static_cast<std::uint32_t>(i), rows_);
    }
    // Files are appended in order and each is strictly increasing, so a stable sort by time
    // keeps ties in file order.
    std::stable_sort(rows_.begin(), rows_.end(),
                     [](const Row& a, const Row& b) { return a.ts_us < b.ts_us; });
    host().info("loaded " + std::to_string(rows_.size()) + " bars from " +
                std::to_string(cfg_.files.size()) + " file(s), " +
                axt::to_iso(rows_.front().ts_us) + " .. " + axt::to_iso(rows_.back().ts_us));
  }

  std::optional<BarView> next(std::int64_t& pace_us) override {
    if (pos_ >= rows_.size()) return std::nullopt;
    const Row& r = rows_[pos_];
    // Pacing is per timestamp: bars of several symbols that share one arrive together.
    bool new_time = pos_ == 0 || rows_[pos_ - 1].ts_us != r.ts_us;
    bool warmup = static_cast<std::int64_t>(pos_) < cfg_.warmup_bars;
    pace_us = (new_time && !warmup) ? cfg_.pace_us : 0;
    ++pos_;
    return BarView{cfg_.symbols[r.symbol], cfg_.timeframe, r.ts_us, r.open, r.high, r.low,
                   r.close, r.volume, warmup};
  }

 private:
  const Settings cfg_;
  std::vector<Row> rows_;
  std::size_t pos_ = 0;
};

}  // namespace

AXION_PLUGIN(CsvFeed, AXION_KIND_FEED, "csv", "1.0.0",
             "CSV replay feed: OHLCV files merged in timestamp order, checked at start-up", kKeys)
