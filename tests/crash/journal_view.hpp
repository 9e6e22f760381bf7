// What the engine left on disk, read from outside between runs: the journal (state_dir/axion.db,
// opened read-only so the next start still recovers the WAL itself), the paper broker's journaled
// book (its plugin_state row) and bot_state.json.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace axion::crash {

using nlohmann::json;

struct JournalPosition {
  std::string signal_id, ticker, direction;
  std::int64_t shares = 0;
  std::int64_t signed_shares() const { return direction == "short" ? -shares : shares; }
};

struct JournalEvent {
  std::int64_t sequence = 0, ts_us = 0;
  std::string event;
  json data;
  int run = 0;  // the harness run after which it was read
};

struct BrokerBook {
  bool present = false;
  std::uint64_t next_seq = 1;
  std::map<std::string, std::int64_t> positions;  // symbol -> signed qty
  std::map<std::uint64_t, json> orders;           // seq -> {"result": ..., "order": ...}
};

// An unwind the engine sent (or was about to send) whose answer it has not booked yet: the
// shares of its rejected entry fill are still held at the broker until it is resolved (the
// next start keeps what it did not sell as a position).
struct UnresolvedUnwind {
  std::string client_order_id, signal_id, ticker;
  std::int64_t held = 0;  // signed shares the unwind was sent to sell back
};

struct StateSnapshot {
  std::vector<std::string> problems;                 // the files do not open or are damaged
  std::map<std::string, std::string> intent_status;  // client_order_id -> status
  std::vector<UnresolvedUnwind> unwinds;
  std::vector<JournalPosition> positions;
  std::vector<JournalEvent> events;  // those after `since_sequence`
  BrokerBook book;
};

// Reads state_dir; every problem (cannot open, integrity_check, unreadable bot_state.json or
// broker state) is listed in `problems` rather than thrown.
StateSnapshot read_state(const std::string& state_dir, std::int64_t since_sequence);

}  // namespace axion::crash
