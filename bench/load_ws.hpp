// The WebSocket half of the load driver: N clients on /ws/bot (control.md §4), each subscribed
// to every channel, checking the engine-wide `sequence` of the events it receives. Per client a
// jump other than +1 is a gap unless a `replay_gap` announced it; a missing sequence that no
// client received at all is reported apart (an event the add-on filters for everyone, such as
// `api_key_revoked`), since it is not a delivery loss. A dropped client reconnects with
// `?since=<last sequence>` and the resume is checked the same way. Clients send a heartbeat
// periodically, as a dashboard would, so the server's heartbeat timeout does not close them.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace axion::bench::load {

struct WsOptions {
  std::uint16_t port = 0;
  std::string path = "/ws/bot";
  std::string api_key;  // sent as ?token=
  int clients = 100;
  std::chrono::seconds heartbeat_every{20};
  std::chrono::milliseconds reconnect_delay{200};
};

struct WsResult {
  int clients = 0;
  std::uint64_t connects = 0;          // successful handshakes (reconnects included)
  std::map<std::string, std::uint64_t> connect_failures;  // kind -> count
  std::uint64_t events = 0;            // event frames received, every client
  std::uint64_t distinct_sequences = 0;
  std::int64_t first_sequence = 0, last_sequence = 0;
  std::uint64_t gaps = 0, gap_events = 0;            // missing at one client, received by another
  std::uint64_t filtered_gaps = 0, filtered_events = 0;  // missing at every client that spanned it
  std::uint64_t replay_gaps = 0, replay_gap_events = 0;  // announced by the server on resume
  std::uint64_t out_of_order = 0;      // a sequence not above the client's last one
  std::uint64_t disconnects = 0;       // unexpected ends of a connection
  std::map<std::string, std::uint64_t> disconnect_reasons;
  std::uint64_t subscribe_acks = 0, subscribe_expected = 0;
  std::uint64_t heartbeats_sent = 0, heartbeat_acks = 0;
  std::map<std::string, std::uint64_t> error_frames;  // {"error": …} texts -> count
  std::vector<double> snapshot_interval_s;  // between consecutive performance_snapshot events
};

class WsFleet {
 public:
  explicit WsFleet(WsOptions options);
  ~WsFleet();
  WsFleet(const WsFleet&) = delete;
  WsFleet& operator=(const WsFleet&) = delete;

  // Starts the client thread and connects every client; returns at once.
  void start();
  // Waits until every client completed its first handshake or the timeout passed; returns how
  // many did.
  int wait_connected(std::chrono::milliseconds timeout);
  // Closes every client normally (bounded: 5 s), joins the client thread and returns the tally.
  WsResult stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace axion::bench::load
