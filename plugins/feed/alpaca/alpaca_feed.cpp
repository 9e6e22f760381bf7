// feed/alpaca: Alpaca Market Data v2 (live.md §4, §5 "Feed"). Warm-up history from the bars
// endpoint (paginated), then real-time minute bars from the market-data stream, aggregated by
// the clock to the manifest's timeframe. After every (re)connection the gap since the last
// minute used is backfilled from the bars endpoint before any newer bar is delivered, so
// strategies see each bar exactly once and in order.
//
// The engine's feed thread calls next(); it makes at most one HTTP request per call and waits at
// most 200 ms for the stream, answering "nothing yet" (Feed::kIdle) so the host can stop. The
// stream runs on its own thread. Keys come from the environment only, as for broker/alpaca.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "axion/sdk/plugin.hpp"
#include "credentials.hpp"
#include "bar_aggregator.hpp"
#include "data_stream.hpp"
#include "market_data.hpp"
#include "rest_client.hpp"

namespace {

using axion::sdk::BarView;
using axion::sdk::Config;
using axion::sdk::Error;
using axion::sdk::Host;
using axion::sdk::KeySpec;
using axion::sdk::KeyType;
using axion::sdk::kNoBound;
namespace alp = axion::alpaca;

constexpr const char* kAlpacaDataUrl = "https://data.alpaca.markets";

const KeySpec kKeys[] = {
    {"symbols", KeyType::StringList, "[]",
     "Symbols to stream (upper case, e.g. [\"AAPL\", \"MSFT\"]); [] = the engine's symbols"},
    {"timeframe", KeyType::String, "\"1m\"",
     "Bar size delivered: minute bars aggregated by the clock (a 5m bar holds 10:30-10:34 and "
     "closes at 10:35); 1d is the regular session, closing at 16:00 ET",
     kNoBound, kNoBound, "1m|5m|10m|1h|1d"},
    {"data_url", KeyType::String, "\"https://data.alpaca.markets\"",
     "Market Data API base URL. http:// only for a loopback stand-in"},
    {"stream_url", KeyType::String, "\"\"",
     "Real-time stream URL; empty = wss://stream.data.alpaca.markets/v2/<data_feed> for Alpaca's "
     "data_url, else data_url's host with wss:// (ws:// for http://) and /v2/<data_feed>"},
    {"data_feed", KeyType::String, "\"iex\"",
     "Alpaca data feed: iex (every plan) or sip (all exchanges; a paid plan)", kNoBound, kNoBound, "iex|sip"},
    {"adjustment", KeyType::String, "\"split\"",
     "Corporate-action adjustment of the warm-up history: split keeps it continuous with today's "
     "prices", kNoBound, kNoBound, "raw|split|dividend|all"},
    {"warmup_bars", KeyType::Int, "200",
     "Bars of history per symbol delivered first (flagged warm-up: indicators warm, no trades); "
     "0 = none, start with the bar in progress",
     0, 10000},
    {"regular_hours_only", KeyType::Bool, "true",
     "Use only minutes of the regular session (09:30-16:00 ET); 1d bars always do"},
    {"close_grace_ms", KeyType::Int, "25000",
     "A bar whose last minute had no trade is delivered this long after its close (Alpaca sends a "
     "minute bar only when the minute traded); longer than stream_idle_timeout_ms, so a silently "
     "dead stream is noticed first",
     0, 600000},
    {"backfill_delay_ms", KeyType::Int, "2000",
     "After a (re)connection, wait this long before asking for the missed minutes, so the ones "
     "that closed during the reconnection are in the history",
     0, 60000},
    {"history_page_limit", KeyType::Int, "10000",
     "Bars per history request (Alpaca's limit, at most 10000); more come in further pages", 1, 10000},
    {"timeout_ms", KeyType::Int, "10000", "Whole-request timeout in milliseconds", 100, 120000},
    {"connect_timeout_ms", KeyType::Int, "5000", "Connection timeout in milliseconds", 100, 60000},
    {"ca_file", KeyType::Path, "\"\"", "CA bundle to verify TLS against; empty = the system store"},
    {"stream_idle_timeout_ms", KeyType::Int, "20000",
     "A quiet stream is pinged after half of this; one silent for all of it is dropped and "
     "reconnected",
     200, 600000},
    {"rate_budget", KeyType::String, "\"alpaca\"",
     "Name of the request budget shared with the other plugins of this account (the broker)"},
    {"rate_limit_per_minute", KeyType::Int, "200", "Requests the account may make per minute", 1, 100000},
};

struct Settings {
  std::vector<std::string> symbols;
  std::string timeframe;
  alp::Timeframe tf = alp::Timeframe::M1;
  alp::RestSettings rest;
  alp::DataStreamSettings stream;
  std::string data_feed, adjustment;
  std::int64_t warmup_bars = 0;
  int page_limit = 10000;
  bool regular_hours_only = true;
  std::int64_t grace_us = 0, backfill_delay_us = 0;
  std::string budget;
  std::uint32_t rate_limit = 200;
};

std::string default_stream_url(const std::string& data_url, const std::string& feed) {
  std::string url = data_url;
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (alp::lower(url) == kAlpacaDataUrl) return "wss://stream.data.alpaca.markets/v2/" + feed;
  const std::string l = alp::lower(url);
  if (l.rfind("https://", 0) == 0) return "wss://" + url.substr(8) + "/v2/" + feed;
  if (l.rfind("http://", 0) == 0) return "ws://" + url.substr(7) + "/v2/" + feed;
  return url + "/v2/" + feed;
}

Settings settings_from(const Host& host, const Config& c) {
  Settings s;
  s.symbols = c.get_strings("symbols");
  if (s.symbols.empty()) s.symbols = host.engine_symbols();
  if (s.symbols.empty()) throw Error("key 'symbols': no symbols given, and the engine has none", "symbols");
  std::set<std::string> seen;
  for (const auto& sym : s.symbols) {
    const bool ok = !sym.empty() && sym.size() <= 12 &&
                    std::all_of(sym.begin(), sym.end(), [](char ch) {
                      return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.';
                    });
    if (!ok) throw Error("key 'symbols': '" + sym + "' is not an upper-case ticker", "symbols");
    if (!seen.insert(sym).second) throw Error("key 'symbols': " + sym + " is given twice", "symbols");
  }
  s.timeframe = c.get_string("timeframe");
  s.tf = alp::parse_timeframe(s.timeframe);
  s.rest.base_url = c.get_string("data_url");
  if (auto why = alp::check_base_url(s.rest.base_url); !why.empty()) throw Error("data_url " + why, "data_url");
  s.rest.timeout_ms = static_cast<long>(c.get_int("timeout_ms"));
  s.rest.connect_timeout_ms = static_cast<long>(c.get_int("connect_timeout_ms"));
  s.rest.ca_file = c.get_string("ca_file");
  const auto keys = axion::alpaca::credentials_from_env("feed/alpaca");
  s.rest.key_id = keys.key_id;
  s.rest.secret_key = keys.secret_key;
  s.data_feed = c.get_string("data_feed");
  s.adjustment = c.get_string("adjustment");
  s.stream.url = c.get_string("stream_url");
  if (s.stream.url.empty()) s.stream.url = default_stream_url(s.rest.base_url, s.data_feed);
  if (auto why = alp::check_ws_url(s.stream.url); !why.empty()) throw Error("stream_url " + why, "stream_url");
  s.stream.key_id = s.rest.key_id;
  s.stream.secret_key = s.rest.secret_key;
  s.stream.ca_file = s.rest.ca_file;
  s.stream.idle_timeout_ms = c.get_int("stream_idle_timeout_ms");
  s.stream.symbols = s.symbols;
  s.warmup_bars = c.get_int("warmup_bars");
  s.page_limit = static_cast<int>(c.get_int("history_page_limit"));
  s.regular_hours_only = c.get_bool("regular_hours_only");
  s.grace_us = c.get_int("close_grace_ms") * 1000;
  s.backfill_delay_us = c.get_int("backfill_delay_ms") * 1000;
  s.budget = c.get_string("rate_budget");
  if (s.budget.empty()) throw Error("key 'rate_budget' must name a budget", "rate_budget");
  s.rate_limit = static_cast<std::uint32_t>(c.get_int("rate_limit_per_minute"));
  return s;
}

constexpr std::int64_t kMinuteUs = 60'000'000;
constexpr std::int64_t kDayUs = 86'400'000'000;
constexpr std::int64_t kIdleWaitUs = 200'000;

bool by_close(const alp::OutBar& a, const alp::OutBar& b) { return a.close_us < b.close_us; }

// The `end` of a history request: the last second of the last whole minute (Alpaca's `end`
// is inclusive on a bar's start, so the minute in progress is left to the stream).
std::int64_t last_whole_minute_end(std::int64_t now) { return now - now % kMinuteUs - 1'000'000; }

class AlpacaFeed final : public axion::sdk::Feed {
 public:
  AlpacaFeed(const Host& h, const Config& config)
      : Feed(h), s_(settings_from(h, config)), rest_(s_.rest), agg_(s_.tf, s_.regular_hours_only) {
    host().declare_rate_budget(s_.budget, s_.rate_limit, 60'000'000);
    if (host().check_only()) return;  // validated; no connection for --check-config
    host().info("Alpaca market data from " + s_.rest.base_url + ", stream " + s_.stream.url + ", " +
                std::to_string(s_.symbols.size()) + " symbol(s) at " + s_.timeframe);
    alp::DataStream::Callbacks cb;
    cb.on_bars = [this](std::vector<alp::MinuteBar>&& bars) {
      std::lock_guard lock(mu_);
      for (auto& b : bars) incoming_.push_back(std::move(b));
      cv_.notify_all();
    };
    cb.on_subscribed = [this] {
      std::lock_guard lock(mu_);
      ++subscribed_session_;
      cv_.notify_all();
    };
    cb.on_fatal = [this](const std::string& why) {
      std::lock_guard lock(mu_);
      fatal_ = why;
      cv_.notify_all();
    };
    stream_ = std::make_unique<alp::DataStream>(host(), s_.stream, std::move(cb));
  }

  ~AlpacaFeed() override { stream_.reset(); }

  nlohmann::json status() const override {
    nlohmann::json j = {{"stream", stream_ && stream_->subscribed() ? "subscribed" : "down"},
                        {"stream_sessions", stream_ ? stream_->sessions() : 0},
                        {"rate_budget", s_.budget}};
    if (const std::int64_t t = last_bar_us_.load(); t > 0) j["last_bar_us"] = t;
    if (auto left = host().rate_remaining(s_.budget)) j["rate_budget_remaining"] = *left;
    return j;
  }

  std::optional<BarView> next(std::int64_t& pace_us) override {
    pace_us = 0;
    if (!stream_) throw Error("feed/alpaca was built only to check its configuration");
    {
      std::lock_guard lock(mu_);
      if (!fatal_.empty()) throw Error("feed/alpaca: " + fatal_);
    }
    if (ready_.empty()) step();
    if (ready_.empty()) {
      pace_us = kIdle;
      return std::nullopt;
    }
    current_ = std::move(ready_.front());
    ready_.pop_front();
    last_bar_us_ = current_.bar.close_us;
    BarView v{current_.bar.symbol, s_.timeframe, current_.bar.close_us, current_.bar.open, current_.bar.high,
              current_.bar.low, current_.bar.close, current_.bar.volume, current_.warmup};
    return v;
  }

 private:
  struct Ready {
    alp::OutBar bar;
    bool warmup = false;
  };

  // One unit of work: a page of history, a page of backfill, or the stream's new minutes.
  void step() {
    const std::int64_t now = host().wall_now_us();
    if (now < retry_at_us_) return wait_for(std::min(kIdleWaitUs, retry_at_us_ - now));
    if (!warmed_up_) return warm_up_page(now);
    std::uint64_t session = 0;
    {
      std::lock_guard lock(mu_);
      session = subscribed_session_;
    }
    // No time passes for the bars while the stream is down: a bar closed without its last
    // minutes would be wrong, and the backfill brings them.
    if (session == 0 || !stream_->subscribed()) return wait_for(kIdleWaitUs);
    if (session != backfilled_session_) {
      if (session != seen_session_) {  // the host's clock is read on this thread only
        seen_session_ = session;
        seen_at_us_ = now;
      }
      const std::int64_t due = seen_at_us_ + s_.backfill_delay_us;
      if (now < due) return wait_for(std::min(kIdleWaitUs, due - now));
      // A backfill begun for an earlier connection stops where that one was: start again, up
      // to now (what it delivered already counts).
      if (fill_.active && fill_.session != session) fill_.active = false;
      return backfill_page(session, now);
    }
    take_stream_minutes();
  }

  // Sleeps until `us` passed, the stream (re)subscribed or failed: never returns at once for
  // minutes that wait in the queue (the feed thread would spin).
  void wait_for(std::int64_t us) {
    std::unique_lock lock(mu_);
    const std::uint64_t session = subscribed_session_;
    cv_.wait_for(lock, std::chrono::microseconds(us),
                 [&] { return !fatal_.empty() || subscribed_session_ != session; });
  }

  // ---- warm-up ----

  void warm_up_page(std::int64_t now) {
    if (s_.warmup_bars == 0) return start_without_history(now);
    if (!warm_.started) {
      warm_.started = true;
      warm_.horizon = now;
      const double per_day = s_.tf == alp::Timeframe::D1 ? 1.0 : 390.0 / static_cast<double>(alp::timeframe_us(s_.tf) / kMinuteUs);
      // Calendar days holding warmup_bars bars: five trading days a week, and a margin for holidays.
      const auto days = static_cast<std::int64_t>(std::ceil(static_cast<double>(s_.warmup_bars) / per_day * 7.0 / 5.0)) + 5;
      warm_.query.symbols = s_.symbols;
      warm_.query.timeframe = s_.tf == alp::Timeframe::D1 ? "1Day" : "1Min";
      warm_.query.start_us = now - days * kDayUs;
      warm_.query.end_us = s_.tf == alp::Timeframe::D1 ? now : last_whole_minute_end(now);
      warm_.query.adjustment = s_.adjustment;
      warm_.query.feed = s_.data_feed;
      warm_.query.limit = s_.page_limit;
    }
    auto page = fetch(warm_.query, "warm-up history");
    if (!page) return;
    ++warm_.pages;
    for (const auto& m : page->bars) {
      if (!alp::plausible(m)) {
        host().warn("feed/alpaca: implausible history bar of " + m.symbol + " at " + alp::rfc3339(m.start_us) + " skipped");
        continue;
      }
      if (s_.tf == alp::Timeframe::D1) {
        const std::int64_t close = alp::session_close_us(m.start_us + 12 * 3600 * 1'000'000LL);
        if (close <= warm_.horizon) warm_.bars.push_back({m.symbol, close, m.open, m.high, m.low, m.close, m.volume});
      } else if (m.start_us + kMinuteUs <= warm_.horizon) {  // a minute still in progress waits
        agg_.add(m, warm_.bars);
      }
    }
    if (!page->next_page_token.empty()) {
      warm_.query.page_token = page->next_page_token;
      return;
    }
    // Bars that ended a while ago are whole; the one in progress waits for the stream's minutes.
    if (s_.tf != alp::Timeframe::D1) agg_.flush(warm_.horizon, s_.grace_us, warm_.bars);
    finish_warm_up();
  }

  void finish_warm_up() {
    std::map<std::string, std::deque<alp::OutBar>> last;  // the newest warmup_bars per symbol
    for (auto& b : warm_.bars) {
      auto& q = last[b.symbol];
      q.push_back(std::move(b));
      if (static_cast<std::int64_t>(q.size()) > s_.warmup_bars) q.pop_front();
    }
    std::vector<alp::OutBar> all;
    for (auto& [symbol, q] : last) {
      if (s_.tf == alp::Timeframe::D1 && !q.empty()) agg_.delivered_until(symbol, q.back().close_us);
      for (auto& b : q) all.push_back(std::move(b));
    }
    std::stable_sort(all.begin(), all.end(), by_close);
    for (auto& b : all) ready_.push_back({std::move(b), true});
    for (const auto& sym : s_.symbols) {
      if (!last.count(sym)) host().warn("feed/alpaca: no warm-up history for " + sym);
    }
    // Where the backfill starts for a symbol without history: the start of the warm-up range.
    resume_fallback_ = warm_.query.start_us;
    host().info("feed/alpaca: " + std::to_string(ready_.size()) + " warm-up bar(s) read in " +
                std::to_string(warm_.pages) + " page(s)");
    warm_ = {};
    warmed_up_ = true;
  }

  void start_without_history(std::int64_t now) {
    // Start with the bar in progress: the ones before it count as delivered.
    const std::int64_t start = agg_.bucket_start(now);
    for (const auto& sym : s_.symbols) agg_.delivered_until(sym, start);
    resume_fallback_ = start;
    warmed_up_ = true;
  }

  // ---- backfill after a (re)connection ----

  void backfill_page(std::uint64_t session, std::int64_t now) {
    if (!fill_.active) {
      fill_.active = true;
      fill_.session = session;
      fill_.bars.clear();
      fill_.query = {};
      fill_.query.symbols = s_.symbols;
      fill_.query.timeframe = "1Min";
      std::int64_t from = now;
      for (const auto& sym : s_.symbols) from = std::min(from, agg_.resume_from(sym, resume_fallback_));
      fill_.query.start_us = from;
      fill_.query.end_us = last_whole_minute_end(now);
      fill_.query.adjustment = "raw";  // what the stream sends
      fill_.query.feed = s_.data_feed;
      fill_.query.limit = s_.page_limit;
    }
    if (fill_.query.start_us > fill_.query.end_us) {  // no whole minute missed: nothing to ask
      fill_.active = false;
      backfilled_session_ = session;
      return;
    }
    auto page = fetch(fill_.query, "backfill");
    if (!page) return;
    for (const auto& m : page->bars) {
      if (m.start_us + kMinuteUs <= now) add_minute(m, fill_.bars);  // a minute still in progress waits
    }
    if (!page->next_page_token.empty()) {
      fill_.query.page_token = page->next_page_token;
      return;
    }
    // Pages come grouped by symbol: the symbols' bars leave interleaved by time.
    std::stable_sort(fill_.bars.begin(), fill_.bars.end(), by_close);
    for (auto& b : fill_.bars) ready_.push_back({std::move(b), false});
    fill_.bars.clear();
    fill_.active = false;
    backfilled_session_ = session;
    if (session > 1) host().info("feed/alpaca: the gap after the reconnection is backfilled");
  }

  // ---- the stream ----

  void take_stream_minutes() {
    std::vector<alp::MinuteBar> minutes;
    {
      std::unique_lock lock(mu_);
      if (incoming_.empty()) {
        cv_.wait_for(lock, std::chrono::microseconds(kIdleWaitUs), [this] { return !incoming_.empty() || !fatal_.empty(); });
      }
      minutes.swap(incoming_);
    }
    std::vector<alp::OutBar> out;
    for (const auto& m : minutes) add_minute(m, out);
    agg_.flush(host().wall_now_us(), s_.grace_us, out);
    std::stable_sort(out.begin(), out.end(), by_close);
    for (auto& b : out) ready_.push_back({std::move(b), false});
  }

  void add_minute(const alp::MinuteBar& m, std::vector<alp::OutBar>& out) {
    if (!alp::plausible(m)) {
      host().warn("feed/alpaca: implausible bar of " + m.symbol + " at " + alp::rfc3339(m.start_us) + " skipped");
      return;
    }
    if (agg_.add(m, out) == alp::BarAggregator::Added::Late) {
      host().warn("feed/alpaca: the minute of " + m.symbol + " at " + alp::rfc3339(m.start_us) +
                  " came after its bar was delivered; not used");
    }
  }

  // ---- REST ----

  // One page, or nullopt when it must be asked again later (budget, a transient failure).
  // Errors that need the user throw.
  std::optional<alp::BarsPage> fetch(const alp::BarsQuery& q, const char* what) {
    const std::int64_t now = host().wall_now_us();
    auto take = host().take_rate(s_.budget, 1, false);
    if (!take.taken) {
      retry_at_us_ = now + take.retry_after_us;
      return std::nullopt;
    }
    auto r = rest_.get(alp::bars_path(q));
    if (r.ok()) {
      retry_backoff_us_ = 0;
      auto body = nlohmann::json::parse(r.body, nullptr, false);
      try {
        if (body.is_discarded()) throw std::invalid_argument("the answer is not JSON");
        return alp::parse_bars_page(body);
      } catch (const std::exception& e) {
        throw Error(std::string("feed/alpaca: the ") + what + " from " + s_.rest.base_url + " is malformed: " + e.what());
      }
    }
    std::string msg = r.message();
    rest_.redact(msg);
    if (r.transport == alp::RestResponse::Transport::Ok && r.status == 429) {
      retry_at_us_ = r.ratelimit_reset_epoch_s > 0 ? std::max(now + 1'000'000, r.ratelimit_reset_epoch_s * 1'000'000) : now + 1'000'000;
      host().warn(std::string("feed/alpaca: ") + what + " rate-limited by Alpaca (429); waiting");
      return std::nullopt;
    }
    if (r.transport == alp::RestResponse::Transport::Ok && r.status < 500) {
      std::string advice;
      if (r.status == 401 || r.status == 403) {
        advice = ": check AXION_ALPACA_API_KEY / AXION_ALPACA_SECRET_KEY and that the plan includes data_feed '" +
                 s_.data_feed + "'";
      }
      throw Error(std::string("feed/alpaca: Alpaca refused the ") + what + " request (HTTP " + std::to_string(r.status) +
                  ", " + msg + ")" + advice);
    }
    // A timeout, a lost connection or a 5xx: the same question is asked again, 1 s doubling to 30 s.
    retry_backoff_us_ = std::clamp<std::int64_t>(retry_backoff_us_ * 2, 1'000'000, 30'000'000);
    retry_at_us_ = now + retry_backoff_us_;
    host().warn(std::string("feed/alpaca: ") + what + " request failed (" +
                (r.transport == alp::RestResponse::Transport::Ok ? "HTTP " + std::to_string(r.status) + ", " : "") + msg +
                "); asking again in " + std::to_string(retry_backoff_us_ / 1000) + " ms");
    return std::nullopt;
  }

  const Settings s_;
  alp::RestClient rest_;  // the feed thread's own
  alp::BarAggregator agg_;
  std::deque<Ready> ready_;
  Ready current_;  // the bar next() returned: its views point here
  std::atomic<std::int64_t> last_bar_us_{0};  // its close time, for status()

  bool warmed_up_ = false;
  struct {
    bool started = false;
    std::int64_t horizon = 0;
    alp::BarsQuery query;
    std::vector<alp::OutBar> bars;
    int pages = 0;
  } warm_;
  struct {
    bool active = false;
    std::uint64_t session = 0;  // the connection it catches up for
    alp::BarsQuery query;
    std::vector<alp::OutBar> bars;  // its bars, delivered in time order when it ends
  } fill_;
  std::uint64_t backfilled_session_ = 0;
  std::uint64_t seen_session_ = 0;  // the latest subscription seen, and when
  std::int64_t seen_at_us_ = 0;
  std::int64_t resume_fallback_ = 0;
  std::int64_t retry_at_us_ = 0;
  std::int64_t retry_backoff_us_ = 0;

  // Shared with the stream's thread.
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<alp::MinuteBar> incoming_;
  std::uint64_t subscribed_session_ = 0;  // one more per connection subscribed
  std::string fatal_;
  std::unique_ptr<alp::DataStream> stream_;  // last: its thread calls into the members above
};

}  // namespace

AXION_PLUGIN(AlpacaFeed, AXION_KIND_FEED, "alpaca", "0.1.0",
             "Alpaca Market Data v2: warm-up history, real-time minute bars aggregated to the "
             "timeframe, gaps backfilled after a reconnection (live.md 4, 5)",
             kKeys)
