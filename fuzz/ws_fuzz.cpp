// addon/ws client messages without sockets: each input line is one text frame from an
// authenticated connection, through Hub::handle_text (protocol parsing, subscriptions, rate
// limit, queue bounds), with the queued reply frames drained after every message as the
// server's write pump would. A fresh hub per input keeps runs independent.
//
// Besides the sanitizers: every reply frame must be a JSON object.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "hub.hpp"
#include "protocol.hpp"

namespace {

using namespace axion::plugins::ws;

constexpr std::size_t kMaxMessages = 64;

void drain(Hub& hub, Connection& c) {
  for (;;) {
    auto n = hub.next(c);
    if (n.frame) {
      auto j = nlohmann::json::parse(*n.frame, nullptr, false);
      if (j.is_discarded() || !j.is_object()) {
        std::fprintf(stderr, "fuzz_ws: reply frame is not a JSON object: %s\n", n.frame->c_str());
        std::abort();
      }
      continue;
    }
    return;  // idle, or a close was handed out (then nothing more is sent)
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Small limits, so a short input reaches each of them: the slow-client close, the message
  // rate limit, the subscription cap.
  Limits limits;
  limits.max_queued_frames = 16;
  limits.message_rate_limit = 10;
  limits.max_subscriptions_per_connection = 3;
  Hub hub(limits);
  auto c = std::make_shared<Connection>();
  c->id = "00000000000000f2";  // fixed: new_connection_id() is random
  c->user_id = "fuzzer";
  c->key_id = "k1";
  auto now = std::chrono::steady_clock::time_point{} + std::chrono::hours(1);
  hub.attach(c, std::nullopt, now);
  drain(hub, *c);

  std::string_view in(reinterpret_cast<const char*>(data), size);
  for (std::size_t i = 0; i < kMaxMessages && !in.empty(); ++i) {
    auto nl = in.find('\n');
    auto msg = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    hub.handle_text(*c, msg, now);
    // Every third message leaves its replies queued, so queue limits are exercised too.
    if (i % 3 != 1) drain(hub, *c);
    now += std::chrono::milliseconds(7);
  }
  drain(hub, *c);
  hub.detach(c);
  return 0;
}
