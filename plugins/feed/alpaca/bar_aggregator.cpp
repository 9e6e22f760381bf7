#include "bar_aggregator.hpp"

#include <algorithm>
#include <stdexcept>

#include "axion/sdk/time.hpp"

namespace axion::alpaca {

namespace axt = axion::sdk::time;

namespace {
constexpr std::int64_t kMinuteUs = 60'000'000;
constexpr std::int64_t kDayUs = 86'400'000'000;
}  // namespace

Timeframe parse_timeframe(std::string_view tf) {
  if (tf == "1m") return Timeframe::M1;
  if (tf == "5m") return Timeframe::M5;
  if (tf == "10m") return Timeframe::M10;
  if (tf == "1h") return Timeframe::H1;
  if (tf == "1d") return Timeframe::D1;
  throw std::invalid_argument("timeframe '" + std::string(tf) + "' is not one of 1m, 5m, 10m, 1h, 1d");
}

std::int64_t timeframe_us(Timeframe tf) {
  switch (tf) {
    case Timeframe::M1: return kMinuteUs;
    case Timeframe::M5: return 5 * kMinuteUs;
    case Timeframe::M10: return 10 * kMinuteUs;
    case Timeframe::H1: return 60 * kMinuteUs;
    case Timeframe::D1: return kDayUs;
  }
  return kMinuteUs;
}

bool in_regular_hours(std::int64_t minute_start_us) {
  const auto et = axt::to_eastern(minute_start_us);
  if (et.weekday == 0 || et.weekday == 6) return false;
  const unsigned m = et.minute_of_day();
  return m >= 9 * 60 + 30 && m < 16 * 60;
}

std::int64_t session_close_us(std::int64_t utc_us) {
  const auto et = axt::to_eastern(utc_us);
  return axt::eastern_to_utc(et.year, et.month, et.day, 16, 0);
}

std::int64_t BarAggregator::bucket_start(std::int64_t minute_start_us) const {
  if (tf_ == Timeframe::D1) {
    // The ET trading date: its start is ET midnight, whatever the offset that day.
    const auto et = axt::to_eastern(minute_start_us);
    return axt::eastern_to_utc(et.year, et.month, et.day, 0, 0);
  }
  // ET is a whole number of hours from UTC: clock buckets of up to an hour align in either.
  const std::int64_t size = timeframe_us(tf_);
  return axt::floor_div(minute_start_us, size) * size;
}

std::int64_t BarAggregator::bucket_end(std::int64_t bucket_start_us) const {
  if (tf_ == Timeframe::D1) return session_close_us(bucket_start_us + 12 * 3600 * 1'000'000LL);
  return bucket_start_us + timeframe_us(tf_);
}

BarAggregator::Added BarAggregator::add(const MinuteBar& m, std::vector<OutBar>& out) {
  // A daily bar is the regular session's: it closes at 16:00 ET.
  if ((regular_hours_only_ || tf_ == Timeframe::D1) && !in_regular_hours(m.start_us)) return Added::OutsideHours;
  auto it = state_.find(m.symbol);
  if (it == state_.end()) it = state_.emplace(m.symbol, State{}).first;
  State& s = it->second;
  if (m.start_us <= s.last_minute) return Added::Duplicate;
  const std::int64_t start = bucket_start(m.start_us);
  const std::int64_t end = bucket_end(start);
  if (end <= s.emitted_until) return Added::Late;
  if (s.open && start != s.start) emit(m.symbol, s, out);  // a later bar began: this one is whole
  if (!s.open) {
    s.open = true;
    s.start = start;
    s.end = end;
    s.o = m.open;
    s.h = m.high;
    s.l = m.low;
    s.c = m.close;
    s.v = m.volume;
  } else {
    s.h = std::max(s.h, m.high);
    s.l = std::min(s.l, m.low);
    s.c = m.close;
    s.v += m.volume;
  }
  s.last_minute = m.start_us;
  if (m.start_us + kMinuteUs >= s.end) emit(m.symbol, s, out);  // its last minute
  return Added::Used;
}

void BarAggregator::flush(std::int64_t now_us, std::int64_t grace_us, std::vector<OutBar>& out) {
  const std::size_t first = out.size();
  for (auto& [symbol, s] : state_) {
    if (s.open && now_us >= s.end + grace_us) emit(symbol, s, out);
  }
  std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(first), out.end(),
                   [](const OutBar& a, const OutBar& b) { return a.close_us < b.close_us; });
}

void BarAggregator::delivered_until(const std::string& symbol, std::int64_t close_us) {
  State& s = state_[symbol];
  s.emitted_until = std::max(s.emitted_until, close_us);
  if (s.open && s.end <= s.emitted_until) s.open = false;
}

std::int64_t BarAggregator::resume_from(const std::string& symbol, std::int64_t fallback) const {
  auto it = state_.find(symbol);
  if (it == state_.end()) return fallback;
  const State& s = it->second;
  if (s.last_minute != INT64_MIN) return std::max(s.last_minute + kMinuteUs, s.emitted_until);
  return s.emitted_until != INT64_MIN ? s.emitted_until : fallback;
}

std::int64_t BarAggregator::last_delivered(const std::string& symbol) const {
  auto it = state_.find(symbol);
  return it == state_.end() ? INT64_MIN : it->second.emitted_until;
}

void BarAggregator::emit(const std::string& symbol, State& s, std::vector<OutBar>& out) {
  out.push_back(OutBar{symbol, s.end, s.o, s.h, s.l, s.c, s.v});
  s.emitted_until = s.end;
  s.open = false;
}

}  // namespace axion::alpaca
