// feed/csv through the real shared library and the SDK fakes.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "axion/sdk/testing/fakes.hpp"
#include "axion/sdk/time.hpp"

using axion::sdk::Bar;
using axion::sdk::testing::FakeHost;
using axion::sdk::testing::PluginCallError;
using axion::sdk::testing::PluginHarness;
using nlohmann::json;
namespace axt = axion::sdk::time;
namespace fs = std::filesystem;

namespace {

const char* const kSo = AXION_PLUGIN_SO;
const std::string kGoog = std::string(AXION_TEST_DATA_DIR) + "/goog_daily.csv";
const std::string kMsft = std::string(AXION_TEST_DATA_DIR) + "/msft_daily.csv";

constexpr std::int64_t kHour = 3600 * axt::kUsPerSec;

std::int64_t utc(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  return axt::days_from_civil(y, m, d) * axt::kUsPerDay +
         (hh * 3600LL + mm * 60LL + ss) * axt::kUsPerSec;
}

// A scratch folder removed at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "axion-csv-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string write(const std::string& name, const std::string& text) const {
    std::string p = (path_ / name).string();
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  std::string path(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::vector<Bar> drain(PluginHarness& h, std::vector<std::int64_t>* paces = nullptr) {
  std::vector<Bar> out;
  std::int64_t pace = 0;
  while (auto b = h.next_bar(&pace)) {
    out.push_back(*b);
    if (paces) paces->push_back(pace);
  }
  return out;
}

// The error a config produces: {key, message}; key "<none>" when the instance builds.
std::pair<std::string, std::string> create_error(const json& config) {
  FakeHost host;
  try {
    PluginHarness h(kSo, host, config);
  } catch (const PluginCallError& e) {
    return {e.key, e.what()};
  }
  return {"<none>", ""};
}

std::string error_for_file(const std::string& text, const std::string& name = "bad_file.csv") {
  TempDir dir;
  auto path = dir.write(name, text);
  auto [key, msg] = create_error({{"files", {path}}});
  CHECK(key == "files");
  return msg;
}

const std::string kHeader = "timestamp,open,high,low,close,volume\n";

std::vector<std::string> data_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

}  // namespace

TEST_CASE("manifest: a feed named csv with every key in the schema") {
  FakeHost host;
  PluginHarness h(kSo, host, {{"files", {kGoog}}});
  CHECK(h.manifest().kind == AXION_KIND_FEED);
  CHECK(std::string(h.manifest().name) == "csv");
  std::vector<std::string> keys;
  for (const auto& k : h.schema()) keys.push_back(k.at("key").get<std::string>());
  CHECK(keys ==
        std::vector<std::string>{"files", "symbols", "timeframe", "pace_ms", "warmup_bars"});
  CHECK(h.schema()[0].at("type") == "path list");
}

TEST_CASE("the GOOG file: 1,047 daily bars stamped at the 16:00 ET close") {
  FakeHost host;
  PluginHarness h(kSo, host, {{"files", {kGoog}}});
  std::vector<std::int64_t> paces;
  auto bars = drain(h, &paces);
  auto lines = data_lines(kGoog);
  REQUIRE(lines.size() == 1047);
  REQUIRE(bars.size() == lines.size());

  // 2004-08-19 16:00 EDT = 20:00 UTC.
  CHECK(bars.front().ts_us == utc(2004, 8, 19, 20, 0));
  CHECK(bars.back().ts_us == utc(2008, 10, 14, 20, 0));
  CHECK(axt::trading_date(bars.front().ts_us) == "2004-08-19");
  CHECK(axt::trading_date(bars.back().ts_us) == "2008-10-14");

  for (std::size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    CHECK(b.symbol == "GOOG");
    CHECK(b.timeframe == "1d");
    CHECK(paces[i] == 0);
    auto et = axt::to_eastern(b.ts_us);
    CHECK(et.hour == 16);
    CHECK(et.minute == 0);
    if (i > 0) CHECK(b.ts_us > bars[i - 1].ts_us);
    // The values are the file's, row for row.
    std::stringstream ss(lines[i]);
    std::string date, o, hi, lo, c, v;
    std::getline(ss, date, ',');
    std::getline(ss, o, ',');
    std::getline(ss, hi, ',');
    std::getline(ss, lo, ',');
    std::getline(ss, c, ',');
    std::getline(ss, v, ',');
    CHECK(axt::trading_date(b.ts_us) == date);
    CHECK(b.open == std::stod(o));
    CHECK(b.high == std::stod(hi));
    CHECK(b.low == std::stod(lo));
    CHECK(b.close == std::stod(c));
    CHECK(b.volume == std::stod(v));
  }
  // A winter date closes at 16:00 EST = 21:00 UTC.
  bool saw_winter = false;
  for (const auto& b : bars) {
    if (axt::trading_date(b.ts_us) == "2005-01-03") {
      CHECK(b.ts_us == utc(2005, 1, 3, 21, 0));
      saw_winter = true;
    }
  }
  CHECK(saw_winter);
  // The end stays the end.
  CHECK_FALSE(h.next_bar().has_value());
  CHECK_FALSE(h.next_bar().has_value());
}

TEST_CASE("several files merge in timestamp order; ties keep file order") {
  SECTION("GOOG and MSFT") {
    FakeHost host;
    PluginHarness h(kSo, host, {{"files", {kGoog, kMsft}}});
    auto bars = drain(h);
    CHECK(bars.size() == data_lines(kGoog).size() + data_lines(kMsft).size());
    std::size_t goog = 0, msft = 0;
    for (std::size_t i = 0; i < bars.size(); ++i) {
      if (i > 0) CHECK(bars[i].ts_us >= bars[i - 1].ts_us);
      goog += bars[i].symbol == "GOOG";
      msft += bars[i].symbol == "MSFT";
    }
    CHECK(goog == 1047);
    CHECK(msft == data_lines(kMsft).size());
    CHECK(bars.front().symbol == "MSFT");  // MSFT's file starts in 2003
  }
  SECTION("same timestamps") {
    TempDir dir;
    auto a = dir.write("spy_1m.csv", kHeader +
                                         "2026-02-09T14:31:00Z,10,11,9,10.5,100\n"
                                         "2026-02-09T14:32:00Z,10.5,11,10,10.8,100\n"
                                         "2026-02-09T14:34:00Z,10.8,11,10,10.9,100\n");
    auto b = dir.write("qqq_1m.csv", kHeader +
                                         "2026-02-09T14:31:00Z,20,21,19,20.5,200\n"
                                         "2026-02-09T14:33:00Z,20.5,21,20,20.8,200\n"
                                         "2026-02-09T14:34:00Z,20.8,21,20,20.9,200\n");
    FakeHost host;
    PluginHarness h(kSo, host, {{"files", {b, a}}, {"timeframe", "1m"}, {"pace_ms", 50.0}});
    std::vector<std::int64_t> paces;
    auto bars = drain(h, &paces);
    std::vector<std::string> order;
    for (const auto& x : bars) order.push_back(x.symbol + "@" + std::to_string(x.ts_us));
    auto t = [](int mm) { return std::to_string(utc(2026, 2, 9, 14, mm)); };
    CHECK(order == std::vector<std::string>{"QQQ@" + t(31), "SPY@" + t(31), "SPY@" + t(32),
                                            "QQQ@" + t(33), "QQQ@" + t(34), "SPY@" + t(34)});
    // Only the first bar of a timestamp carries the pace.
    CHECK(paces == std::vector<std::int64_t>{50000, 0, 50000, 50000, 50000, 0});
    CHECK(bars[0].timeframe == "1m");
  }
  SECTION("many files sharing every timestamp") {
    TempDir dir;
    std::vector<std::string> files;
    for (int f = 0; f < 4; ++f) {
      std::string text = kHeader;
      for (int m = 0; m < 60; ++m) {
        text += "2026-02-09T15:" + std::string(m < 10 ? "0" : "") + std::to_string(m) +
                ":00Z,10,11,9,10," + std::to_string(f + 1) + "\n";
      }
      files.push_back(dir.write("s" + std::to_string(f) + ".csv", text));
    }
    FakeHost host;
    PluginHarness h(kSo, host, {{"files", files}});
    auto bars = drain(h);
    REQUIRE(bars.size() == 240);
    for (std::size_t i = 0; i < bars.size(); ++i) {
      CHECK(bars[i].symbol == "S" + std::to_string(i % 4));
      CHECK(bars[i].ts_us == utc(2026, 2, 9, 15, static_cast<int>(i / 4)));
    }
  }
}

TEST_CASE("symbols: derived from the file names, or given one per file") {
  TempDir dir;
  const std::string row = "2026-02-09,10,11,9,10.5,100\n";
  auto f1 = dir.write("nvda_intraday_2026.csv", kHeader + row);
  auto f2 = dir.write("brk.b.csv", kHeader + row);
  SECTION("derived") {
    FakeHost host;
    PluginHarness h(kSo, host, {{"files", {f1, f2}}});
    auto bars = drain(h);
    REQUIRE(bars.size() == 2);
    CHECK(bars[0].symbol == "NVDA");
    CHECK(bars[1].symbol == "BRK.B");
  }
  SECTION("given") {
    FakeHost host;
    PluginHarness h(kSo, host, {{"files", {f1, f2}}, {"symbols", {"nv", "BRK-B"}}});
    auto bars = drain(h);
    CHECK(bars[0].symbol == "nv");
    CHECK(bars[1].symbol == "BRK-B");
  }
  SECTION("count mismatch names the key") {
    auto [key, msg] = create_error({{"files", {f1, f2}}, {"symbols", {"NVDA"}}});
    CHECK(key == "symbols");
    CHECK_THAT(msg, Catch::Contains("1 symbol(s) for 2 file(s)"));
  }
  SECTION("duplicates are refused") {
    auto f3 = dir.write("nvda_daily.csv", kHeader + row);
    CHECK(create_error({{"files", {f1, f3}}}).first == "files");
    CHECK(create_error({{"files", {f1, f2}}, {"symbols", {"X", "X"}}}).first == "symbols");
  }
}

TEST_CASE("timestamps: ISO with an offset, or a date alone") {
  TempDir dir;
  auto f = dir.write("x_1m.csv", kHeader +
                                     "2026-02-09T09:31:00-05:00,10,11,9,10,1\n"
                                     "2026-02-09T14:32:00Z,10,11,9,10,1\n"
                                     "2026-02-09 14:33:00.25+00:00,10,11,9,10,1\n"
                                     "2026-02-09T15:34:00.123456+0100,10,11,9,10,1\n"
                                     "2026-02-09T10:35-04,10,11,9,10,1\n"
                                     "2026-02-09T20:06:00+05:30,10,11,9,10,1\n"
                                     "2026-02-10,10,11,9,10,1\n"
                                     "2026-07-10,10,11,9,10,1\n");
  FakeHost host;
  PluginHarness h(kSo, host, {{"files", {f}}});
  auto bars = drain(h);
  REQUIRE(bars.size() == 8);
  CHECK(bars[0].ts_us == utc(2026, 2, 9, 14, 31));
  CHECK(bars[1].ts_us == utc(2026, 2, 9, 14, 32));
  CHECK(bars[2].ts_us == utc(2026, 2, 9, 14, 33) + 250000);
  CHECK(bars[3].ts_us == utc(2026, 2, 9, 14, 34) + 123456);
  CHECK(bars[4].ts_us == utc(2026, 2, 9, 14, 35));
  CHECK(bars[5].ts_us == utc(2026, 2, 9, 14, 36));
  CHECK(bars[6].ts_us == utc(2026, 2, 10, 21, 0));  // 16:00 EST
  CHECK(bars[7].ts_us == utc(2026, 7, 10, 20, 0));  // 16:00 EDT
  CHECK(bars[7].ts_us - bars[6].ts_us ==
        (axt::days_from_civil(2026, 7, 10) - axt::days_from_civil(2026, 2, 10)) * axt::kUsPerDay -
            kHour);
}

TEST_CASE("headers are matched by name: case, spaces, order, extra columns, BOM and CRLF") {
  TempDir dir;
  auto f = dir.write("aapl.csv",
                     "\xEF\xBB\xBF"
                     "Date,Close Price,Open,High,Low,Adj Close,Volume\r\n"
                     "2026-02-09,10.5,10,11,9,10.4,1000\r\n"
                     "\r\n"
                     "2026-02-10,10.7,10.5,11,10,10.6,2000\r\n");
  FakeHost host;
  PluginHarness h(kSo, host, {{"files", {f}}});
  auto bars = drain(h);
  REQUIRE(bars.size() == 2);
  CHECK(bars[0].symbol == "AAPL");
  CHECK(bars[0].open == 10.0);
  CHECK(bars[0].close == 10.5);
  CHECK(bars[0].high == 11.0);
  CHECK(bars[0].low == 9.0);
  CHECK(bars[0].volume == 1000.0);
  CHECK(bars[1].close == 10.7);
}

TEST_CASE("bad files fail at creation with file:line and the column") {
  SECTION("missing file") {
    auto [key, msg] = create_error({{"files", {"/nonexistent/dir/goog_daily.csv"}}});
    CHECK(key == "files");
    CHECK_THAT(msg, Catch::Contains("/nonexistent/dir/goog_daily.csv"));
  }
  SECTION("bad header") {
    auto msg = error_for_file("timestamp,open,high,low,close\n2026-02-09,1,1,1,1\n");
    CHECK_THAT(msg, Catch::Contains("bad_file.csv:1:"));
    CHECK_THAT(msg, Catch::Contains("'volume'"));
  }
  SECTION("empty file") { CHECK_THAT(error_for_file(""), Catch::Contains("bad_file.csv:1:")); }
  SECTION("header only") { CHECK_THAT(error_for_file(kHeader), Catch::Contains("no data rows")); }
  SECTION("unparsable number") {
    auto msg = error_for_file(kHeader + "2026-02-09,10,11,9,10,5\n2026-02-10,10,11,9,abc,5\n");
    CHECK_THAT(msg, Catch::Contains("bad_file.csv:3:"));
    CHECK_THAT(msg, Catch::Contains("column 'close'"));
    CHECK_THAT(msg, Catch::Contains("'abc'"));
  }
  SECTION("unparsable volume") {
    auto msg = error_for_file(kHeader + "2026-02-09,10,11,9,10,1e\n");
    CHECK_THAT(msg, Catch::Contains("bad_file.csv:2:"));
    CHECK_THAT(msg, Catch::Contains("column 'volume'"));
  }
  SECTION("non-positive price") {
    auto msg = error_for_file(kHeader + "2026-02-09,0,11,9,10,5\n");
    CHECK_THAT(msg, Catch::Contains("bad_file.csv:2:"));
    CHECK_THAT(msg, Catch::Contains("column 'open'"));
    CHECK_THAT(msg, Catch::Contains("positive"));
    CHECK_THAT(error_for_file(kHeader + "2026-02-09,10,11,-9,10,5\n"),
               Catch::Contains("column 'low'"));
  }
  SECTION("negative volume") {
    CHECK_THAT(error_for_file(kHeader + "2026-02-09,10,11,9,10,-5\n"),
               Catch::Contains("column 'volume'"));
  }
  SECTION("high below low") {
    auto msg = error_for_file(kHeader + "2026-02-09,10,11,9,10,5\n2026-02-10,10,9,11,10,5\n");
    CHECK_THAT(msg, Catch::Contains("bad_file.csv:3:"));
    CHECK_THAT(msg, Catch::Contains("column 'high'"));
    CHECK_THAT(msg, Catch::Contains("below low"));
  }
  SECTION("open or close outside the bar's range") {
    CHECK_THAT(error_for_file(kHeader + "2026-02-09,12,11,9,10,5\n"),
               Catch::Contains("column 'open'"));
    CHECK_THAT(error_for_file(kHeader + "2026-02-09,10,11,9,8,5\n"),
               Catch::Contains("column 'close'"));
  }
  SECTION("out-of-order and repeated timestamps") {
    auto msg = error_for_file(kHeader +
                              "2026-02-09,10,11,9,10,5\n"
                              "2026-02-11,10,11,9,10,5\n"
                              "2026-02-10,10,11,9,10,5\n");
    CHECK_THAT(msg, Catch::Contains("bad_file.csv:4:"));
    CHECK_THAT(msg, Catch::Contains("column 'timestamp'"));
    CHECK_THAT(msg, Catch::Contains("out of order"));
    CHECK_THAT(error_for_file(kHeader + "2026-02-09,10,11,9,10,5\n2026-02-09,10,11,9,10,5\n"),
               Catch::Contains("bad_file.csv:3:"));
  }
  SECTION("naive, malformed and impossible timestamps") {
    auto naive = error_for_file(kHeader + "2026-02-09T14:31:00,10,11,9,10,5\n");
    CHECK_THAT(naive, Catch::Contains("column 'timestamp'"));
    CHECK_THAT(naive, Catch::Contains("offset"));
    CHECK_THAT(error_for_file(kHeader + "2026-02-30,10,11,9,10,5\n"),
               Catch::Contains("column 'timestamp'"));
    CHECK_THAT(error_for_file(kHeader + "09/02/2026,10,11,9,10,5\n"),
               Catch::Contains("column 'timestamp'"));
    CHECK_THAT(error_for_file(kHeader + "2026-02-09T25:00:00Z,10,11,9,10,5\n"),
               Catch::Contains("column 'timestamp'"));
  }
  SECTION("too few fields") {
    CHECK_THAT(error_for_file(kHeader + "2026-02-09,10,11,9\n"),
               Catch::Contains("bad_file.csv:2:"));
  }
  SECTION("the second of two files is named") {
    TempDir dir;
    auto good = dir.write("good.csv", kHeader + "2026-02-09,10,11,9,10,5\n");
    auto bad = dir.write("worse.csv", kHeader + "2026-02-09,10,11,9,x,5\n");
    auto [key, msg] = create_error({{"files", {good, bad}}});
    CHECK(key == "files");
    CHECK_THAT(msg, Catch::Contains("worse.csv:2:"));
  }
}

TEST_CASE("pace_ms and warmup_bars") {
  FakeHost host;
  PluginHarness h(kSo, host, {{"files", {kGoog}}, {"pace_ms", 100.0}, {"warmup_bars", 3}});
  std::vector<std::int64_t> paces;
  auto bars = drain(h, &paces);
  REQUIRE(bars.size() == 1047);
  for (std::size_t i = 0; i < paces.size(); ++i) {
    CHECK(paces[i] == (i < 3 ? 0 : 100000));
  }
  FakeHost host2;
  PluginHarness all_warm(kSo, host2,
                         {{"files", {kGoog}}, {"pace_ms", 100.0}, {"warmup_bars", 5000}});
  std::vector<std::int64_t> paces2;
  drain(all_warm, &paces2);
  for (auto p : paces2) CHECK(p == 0);
}

TEST_CASE("config errors name the key") {
  CHECK(create_error(json::object()).first == "files");              // required
  CHECK(create_error({{"files", json::array()}}).first == "files");  // required non-empty
  CHECK(create_error({{"files", kGoog}}).first == "files");          // wrong type
  CHECK(create_error({{"files", {kGoog}}, {"file", {kGoog}}}).first == "file");  // unknown
  CHECK(create_error({{"files", {kGoog}}, {"pace_ms", "fast"}}).first == "pace_ms");
  CHECK(create_error({{"files", {kGoog}}, {"pace_ms", -1}}).first == "pace_ms");
  CHECK(create_error({{"files", {kGoog}}, {"warmup_bars", -1}}).first == "warmup_bars");
  CHECK(create_error({{"files", {kGoog}}, {"warmup_bars", 2.5}}).first == "warmup_bars");
  CHECK(create_error({{"files", {kGoog}}, {"timeframe", "2d"}}).first == "timeframe");
  CHECK(create_error({{"files", {kGoog}}, {"symbols", "GOOG"}}).first == "symbols");
  CHECK(create_error({{"files", {kGoog}}, {"timeframe", "1h"}}).first == "<none>");
}

TEST_CASE("replays are identical run to run") {
  FakeHost h1, h2;
  PluginHarness a(kSo, h1, {{"files", {kGoog, kMsft}}, {"pace_ms", 10.0}});
  PluginHarness b(kSo, h2, {{"files", {kGoog, kMsft}}, {"pace_ms", 10.0}});
  std::vector<std::int64_t> pa, pb;
  auto ba = drain(a, &pa), bb = drain(b, &pb);
  REQUIRE(ba.size() == bb.size());
  CHECK(pa == pb);
  for (std::size_t i = 0; i < ba.size(); ++i) {
    CHECK(ba[i].symbol == bb[i].symbol);
    CHECK(ba[i].ts_us == bb[i].ts_us);
    CHECK(ba[i].close == bb[i].close);
  }
}
