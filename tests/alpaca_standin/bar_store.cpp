#include "bar_store.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace axion::testing::alpaca {

namespace {

struct Unit {
  std::string_view name, alias;
  int max;  // the largest count Alpaca accepts
};

constexpr std::array<Unit, 5> kUnits{{
    {"Min", "T", 59},
    {"Hour", "H", 23},
    {"Day", "D", 1},
    {"Week", "W", 1},
    {"Month", "M", 12},
}};

}  // namespace

std::optional<std::string> canonical_timeframe(std::string_view tf) {
  int count = 0;
  const auto [end, ec] = std::from_chars(tf.data(), tf.data() + tf.size(), count);
  if (ec != std::errc() || end == tf.data() || count < 1) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(tf.data() + tf.size() - end));
  for (const Unit& u : kUnits) {
    if (unit != u.name && unit != u.alias) continue;
    if (count > u.max) return std::nullopt;
    if (u.name == "Month" && 12 % count != 0) return std::nullopt;  // 1, 2, 3, 4, 6, 12
    return std::to_string(count) + std::string(u.name);
  }
  return std::nullopt;
}

void BarStore::add(const std::string& timeframe, const std::vector<BarRecord>& bars) {
  auto& by_symbol = bars_[timeframe];
  for (const BarRecord& b : bars) by_symbol[b.symbol][b.t_us] = b;
}

BarPage BarStore::query(const BarQuery& q) const {
  BarPage page;
  const auto tf = bars_.find(q.timeframe);
  if (tf == bars_.end()) return page;
  for (const std::string& symbol : q.symbols) {
    if (q.from && symbol < q.from->symbol) continue;  // returned on an earlier page
    const auto series = tf->second.find(symbol);
    if (series == tf->second.end()) continue;
    std::int64_t lo = q.start_us.value_or(std::numeric_limits<std::int64_t>::min());
    if (q.from && symbol == q.from->symbol) lo = std::max(lo, q.from->t_us);
    for (auto it = series->second.lower_bound(lo); it != series->second.end(); ++it) {
      if (q.end_us && it->first > *q.end_us) break;
      if (page.bars.size() == q.limit) {
        page.next = BarCursor{symbol, it->first};
        return page;
      }
      page.bars.push_back(it->second);
    }
  }
  return page;
}

}  // namespace axion::testing::alpaca
