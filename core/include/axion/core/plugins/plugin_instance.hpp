// A live plugin instance on the host side: creates it through the C ABI with a per-instance
// host-services table, and exposes typed calls per kind that throw PluginCallError on an error
// status (the orchestrator turns that into `<stage>_error`).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "axion/core/domain/types.hpp"
#include "axion/core/plugins/plugin_loader.hpp"
#include "axion/plugin_api.h"
#include "axion/sdk/context.hpp"
#include "axion/sdk/rate_budget.hpp"
#include "axion/sdk/types.hpp"

namespace axion::core {

struct PluginCallError : std::runtime_error {
  PluginCallError(const std::string& msg, std::string k)
      : std::runtime_error(msg), key(std::move(k)) {}
  std::string key;
};

// What the engine offers plugins (implemented by Engine; tests may implement it too).
class HostServices {
 public:
  virtual ~HostServices() = default;
  virtual void plugin_log(const std::string& logger, int level, std::string_view msg) = 0;
  virtual std::int64_t now_us() = 0;
  virtual std::int64_t wall_now_us() = 0;
  virtual std::optional<double> last_price(std::string_view ticker) = 0;
  virtual void plugin_publish(const std::string& plugin, std::string_view event,
                              std::string_view data_json) = 0;
  virtual std::optional<std::string> load_plugin_state(const std::string& plugin) = 0;
  virtual bool save_plugin_state(const std::string& plugin, std::string_view json_text) = 0;
  virtual std::optional<json> query(std::string_view what, const json& args) = 0;
  // A plugin's request to the engine ("activate_kill"); nullopt = refused or unknown.
  virtual std::optional<json> command(const std::string& plugin, std::string_view what,
                                      const json& args) {
    (void)plugin;
    (void)what;
    (void)args;
    return std::nullopt;
  }
  // The event stream for add-ons: 0 = refused. After unsubscribe returns, the sink is not called.
  using EventSink = std::function<void(std::int64_t sequence, std::string_view channel,
                                       std::string_view envelope)>;
  virtual std::int64_t subscribe_events(std::int64_t since, EventSink sink,
                                        std::int64_t* oldest_available) {
    (void)since;
    (void)sink;
    (void)oldest_available;
    return 0;
  }
  virtual void unsubscribe_events(std::int64_t id) { (void)id; }
  // Daily close-to-close returns of `ticker`, oldest first: the latest up to `max` into out;
  // returns how many were written.
  virtual std::size_t daily_returns(std::string_view ticker, double* out, std::size_t max) {
    (void)ticker;
    (void)out;
    (void)max;
    return 0;
  }
  // Typed reads of the engine (engine thread). Views passed to `each` live during the call.
  virtual void each_position(const std::function<void(const axion_position_view&)>& each) { (void)each; }
  virtual axion_account engine_account() { return axion_account{sizeof(axion_account), 0, 0, 0, 0}; }
  virtual axion_kill_state kill_state(std::string_view strategy, std::string_view symbol) {
    (void)strategy;
    (void)symbol;
    return axion_kill_state{sizeof(axion_kill_state), AXION_KILL_NONE, AXION_KILL_SCOPE_GLOBAL, 0};
  }
  // The rate budgets shared by the plugins of this host (thread-safe), and their clock.
  virtual sdk::RateBudgets& rate_budgets() { return rate_budgets_; }

 private:
  sdk::RateBudgets rate_budgets_;
};

// What a feed's next() gave: a bar, the end of its data, or nothing yet (a live feed).
enum class FeedNext { End, Bar, Idle };

class PluginInstance {
 public:
  // Throws PluginCallError (message and offending key) when the plugin refuses its config.
  PluginInstance(std::shared_ptr<PluginLibrary> lib, HostServices& services, const json& config);
  ~PluginInstance();
  PluginInstance(const PluginInstance&) = delete;
  PluginInstance& operator=(const PluginInstance&) = delete;

  const axion_plugin_manifest& manifest() const { return lib_->manifest(); }
  const std::shared_ptr<PluginLibrary>& library() const { return lib_; }
  std::string id() const { return lib_->id(); }
  int kind() const { return lib_->manifest().kind; }
  // The pipeline stage a stage plugin reports under: its manifest's label (the loader refuses a
  // stage plugin without a valid one), else its kind's usual stage. Meaningless for other kinds.
  Stage stage() const { return stage_; }
  // The host table this instance hands its plugin (tests call its services directly).
  const axion_host_api& host_api() const { return api_; }
  // A broker whose book travels in the journal's ordered stream (AXION_PLUGIN_BOOK_IN_HOST_STATE):
  // its orders need not wait for their intent to reach the disk.
  bool book_in_host_state() const;

  // feed: a bar (views valid until the next call), the end of data, or no bar ready yet.
  FeedNext next_bar(axion_bar& out, std::int64_t& pace_us);
  // strategy
  void on_bar(const axion_bar& bar, std::vector<Signal>& out);
  // guard
  // Stage calls take the signal in its C form, converted once per signal by the caller.
  sdk::Verdict guard_check(const axion_signal& s);
  // The same without a Verdict: true passes; a rejection's reason is written into `reason`
  // (its capacity reused, so a burst of rejections copies no text anew).
  bool guard_passes(const axion_signal& s, std::string& reason);
  sdk::Verdict guard_check(const Signal& s);
  void guard_outcome(const axion_signal& s, std::string_view stage);
  // regime: `effective` is set from the plugin's answer when it passes
  void regime_on_bar(const axion_bar& bar);
  sdk::Verdict regime_evaluate(const axion_signal& s, const axion_limits& base,
                               sdk::Limits& effective);
  // risk
  bool has_signal_check() const;
  bool has_order_check() const;
  // A passing check fills `outputs` (var cap, assessment record).
  sdk::Verdict risk_check_signal(const axion_signal& s, const axion_stage_context& ctx,
                                 sdk::RiskOutputs& outputs);
  sdk::Verdict risk_check_order(const Order& o, const axion_stage_context& ctx);
  void risk_on_fill(const Order& o, const OrderResult& r);
  // routing: `decision` arrives as the route so far and holds the plugin's when it passes
  sdk::Verdict route(const axion_signal& s, const axion_stage_context& ctx, sdk::Route& decision);
  // sizing
  std::string sizing_instrument_type() const;
  sdk::Verdict size(const axion_signal& s, const axion_stage_context& ctx, sdk::PositionSize& out);
  // broker
  bool can_trade_options() const;
  OrderResult submit(const Order& o);
  std::optional<OrderResult> query_order(const std::string& client_order_id);
  // query_order with the kind of "no": `found` is set when the broker answered; `not_found` when
  // it said definitely that it has no such order; neither = the answer is unknown (`error`).
  struct OrderQuery {
    std::optional<OrderResult> found;
    bool not_found = false;
    std::string error;
  };
  OrderQuery query_order_checked(const std::string& client_order_id);
  bool cancel_order(const std::string& client_order_id);
  // Broker-side kill actions: false when the broker does not offer them; throws when it refuses.
  bool broker_cancel_all();
  bool broker_close_all();
  // A broker's or a feed's health (its JSON object); nullopt when it reports none.
  std::optional<nlohmann::json> status();
  std::vector<sdk::BrokerPosition> positions();
  sdk::Account account();
  // addon
  void addon_start();
  void addon_stop();

 private:
  template <class V>
  const V* vt(int kind) const;
  [[noreturn]] void fail(const axion_error& err) const;

  std::shared_ptr<PluginLibrary> lib_;
  HostServices& services_;
  std::string logger_;
  axion_host_api api_{};
  void* self_ = nullptr;
  Stage stage_ = Stage::SignalGuard;
};

}  // namespace axion::core
