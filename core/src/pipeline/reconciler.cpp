#include "axion/core/pipeline/reconciler.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <set>

#include "axion/sdk/time.hpp"

namespace axion::core {

namespace {
struct Local {
  std::int64_t shares = 0;  // gross
  std::int64_t net = 0;     // signed: longs minus shorts
  double value = 0;  // share-weighted price numerator
  std::set<std::string> directions;
};

std::string norm_side(const std::string& s) {
  if (s == "long" || s == "buy") return "long";
  if (s == "short" || s == "sell") return "short";
  return s;
}
}  // namespace

ReconciliationReport reconcile(const std::vector<Position>& local,
                               const std::vector<sdk::BrokerPosition>& broker,
                               double drift_pct, std::int64_t now_us) {
  ReconciliationReport r;
  r.total_local = local.size();
  r.total_broker = broker.size();
  r.timestamp_us = now_us;
  std::map<std::string, Local> loc;
  for (const auto& p : local) {
    auto& l = loc[p.ticker];
    l.shares += p.shares;
    l.net += p.direction == Direction::Short ? -p.shares : p.shares;
    l.value += static_cast<double>(p.shares) * p.current_price;
    l.directions.insert(std::string(to_string(p.direction)));  // compared with the broker's text
  }
  std::map<std::string, sdk::BrokerPosition> brk;
  for (const auto& b : broker) {
    if (!b.symbol.empty()) brk[b.symbol] = b;  // the last entry per symbol wins
  }
  std::set<std::string> tickers;
  for (auto& [t, l] : loc) tickers.insert(t);
  for (auto& [t, b] : brk) tickers.insert(t);
  char buf[256];
  for (const auto& t : tickers) {
    auto li = loc.find(t);
    auto bi = brk.find(t);
    // A long and a short of one ticker (an entry parked while the opposite one filled) net out
    // at the broker: the book is compared by the signed net, not the gross.
    const bool mixed = li != loc.end() && li->second.directions.size() > 1;
    if (mixed) {
      const std::int64_t broker_net =
          bi == brk.end() ? 0 : (norm_side(bi->second.side) == "short" ? -bi->second.qty : bi->second.qty);
      if (li->second.net == broker_net) {
        r.matched.push_back(t);
        continue;
      }
    }
    if (bi == brk.end()) {
      const auto& l = li->second;
      std::string dir = l.directions.size() == 1 ? *l.directions.begin() : "mixed";
      std::snprintf(buf, sizeof buf, "Ghost position: %lld %s %s not at broker",
                    static_cast<long long>(l.shares), dir.c_str(), t.c_str());
      r.mismatches.push_back({t, "ghost", l.shares, 0, "critical", buf});
      continue;
    }
    const auto& b = bi->second;
    if (li == loc.end()) {
      std::snprintf(buf, sizeof buf, "Orphaned position: %lld %s at broker, not tracked locally",
                    static_cast<long long>(b.qty), t.c_str());
      r.mismatches.push_back({t, "orphaned", 0, b.qty, "high", buf});
      continue;
    }
    const auto& l = li->second;
    std::vector<std::string> issues;
    bool qty = l.shares != b.qty;
    if (qty) {
      issues.push_back("qty mismatch: local=" + std::to_string(l.shares) + ", broker=" + std::to_string(b.qty));
    }
    std::string local_dir = l.directions.size() == 1 ? *l.directions.begin() : "mixed";
    std::string broker_dir = norm_side(b.side);
    bool dir = !broker_dir.empty() && (l.directions.size() != 1 || local_dir != broker_dir);
    if (dir) issues.push_back("direction mismatch: local=" + local_dir + ", broker=" + broker_dir);
    double lp = l.shares > 0 ? l.value / static_cast<double>(l.shares) : 0.0;
    if (lp > 0 && b.current_price > 0) {
      double d = std::fabs(lp - b.current_price) / lp * 100.0;
      if (d > drift_pct) {
        std::snprintf(buf, sizeof buf, "price drift %.1f%%: local=$%.2f, broker=$%.2f", d, lp, b.current_price);
        issues.push_back(buf);
      }
    }
    if (issues.empty()) {
      r.matched.push_back(t);
      continue;
    }
    std::string detail = t + ": ";
    for (std::size_t i = 0; i < issues.size(); ++i) detail += (i ? "; " : "") + issues[i];
    std::string type = qty ? "qty_mismatch" : dir ? "direction_mismatch" : "price_drift";
    r.mismatches.push_back({t, type, l.shares, b.qty, type == "price_drift" ? "medium" : "high", detail});
  }
  return r;
}

json ReconciliationReport::to_dict() const {
  json ms = json::array();
  for (const auto& m : mismatches) {
    ms.push_back({{"ticker", m.ticker}, {"mismatch_type", m.mismatch_type}, {"local_qty", m.local_qty},
                  {"broker_qty", m.broker_qty}, {"severity", m.severity}, {"detail", m.detail}});
  }
  return {{"mismatches", ms},
          {"matched", matched},
          {"total_local", total_local},
          {"total_broker", total_broker},
          {"is_clean", is_clean()},
          {"timestamp", sdk::time::to_iso(timestamp_us)}};
}

}  // namespace axion::core
