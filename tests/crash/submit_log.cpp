#include "submit_log.hpp"

#include <fstream>

namespace axion::crash {

namespace {

// sdk::OrderStatus, as journaled by the paper broker (sdk/include/axion/sdk/types.hpp).
const char* const kStatusNames[] = {"filled", "partial", "pending", "rejected", "cancelled"};

LoggedOrder from_line(const json& j) {
  LoggedOrder o;
  o.seq = j.at("seq").get<std::uint64_t>();
  o.client_order_id = j.at("client_order_id").get<std::string>();
  o.order_id = j.at("order_id").get<std::string>();
  o.status = j.at("status").get<std::string>();
  o.signal_id = j.at("signal_id").get<std::string>();
  o.ticker = j.at("ticker").get<std::string>();
  o.side = j.at("side").get<std::string>();
  o.qty = j.at("qty").get<std::int64_t>();
  o.filled_qty = j.at("filled_qty").get<std::int64_t>();
  o.ghost = j.at("ghost").get<bool>();
  o.ts_us = j.at("ts_us").get<std::int64_t>();
  return o;
}

}  // namespace

void SubmitLog::read_more(const std::string& path, int run) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return;
  in.seekg(static_cast<std::streamoff>(offset));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline yet: the rest of a line still being written
    offset += line.size() + 1;
    if (line.empty()) continue;
    try {
      json j = json::parse(line);
      LoggedOrder o = from_line(j);
      o.run = run;
      if (j.at("event") == "new") created.push_back(o);
      lines.push_back(std::move(o));
    } catch (const json::exception&) {
      ++unreadable;
    }
  }
}

std::vector<LoggedOrder> surviving_orders(const SubmitLog& log, const BrokerBook& book) {
  // Lines are chronological and complete: a seq's last line is the latest state of its latest
  // incarnation (a rollback can only reuse a seq whose earlier incarnation was never committed).
  std::map<std::uint64_t, LoggedOrder> last;
  for (const auto& line : log.lines) last[line.seq] = line;
  std::vector<LoggedOrder> out;
  for (auto& [seq, o] : last) {
    if (seq >= book.next_seq) continue;  // rolled back and never reused
    auto kept = book.orders.find(seq);
    if (kept != book.orders.end()) {
      const json& r = kept->second.at("result");
      int st = r.at("status").get<int>();
      if (st >= 0 && st < 5) o.status = kStatusNames[st];
      o.filled_qty = r.at("filled_qty").get<std::int64_t>();
      o.order_id = r.at("order_id").get<std::string>();
      o.ghost = kept->second.value("ghost", false) && o.filled_qty > 0;
    }
    out.push_back(o);
  }
  return out;
}

}  // namespace axion::crash
