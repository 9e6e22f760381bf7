// The paper broker's submit log (plugins/broker/paper/README.md, "Submit log"): every order the
// broker created, even those a crash rolled back, and which of them survive in its journaled book.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "journal_view.hpp"

namespace axion::crash {

struct LoggedOrder {
  std::uint64_t seq = 0;
  std::string client_order_id, order_id, status, signal_id, ticker, side;
  std::int64_t qty = 0, filled_qty = 0, ts_us = 0;
  bool ghost = false;
  int run = 0;  // the harness run that wrote the line
  std::int64_t signed_fill() const { return side == "sell" ? -filled_qty : filled_qty; }
};

struct SubmitLog {
  std::vector<LoggedOrder> created;  // every "new" line, in order
  std::vector<LoggedOrder> lines;    // every line ("new" and "settled"), in order
  std::size_t unreadable = 0;        // lines that do not parse (a torn line would be a bug)
  std::uint64_t offset = 0;          // bytes read so far

  // Reads the lines appended since the last call, tagging them with `run`.
  void read_more(const std::string& path, int run);
};

// The orders that survive in the broker's journaled state, in their final state: per seq below
// the book's next_seq, the last "new" line and the "settled" lines after it, overridden by the
// journaled order when the book still holds it (a settlement rolled back by a crash).
std::vector<LoggedOrder> surviving_orders(const SubmitLog& log, const BrokerBook& book);

}  // namespace axion::crash
