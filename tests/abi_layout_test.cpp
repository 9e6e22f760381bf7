// Pins the C ABI: sizes and offsets of every struct. A change here is an ABI break (bump
// AXION_ABI_VERSION) unless it only appends fields.
#include <catch2/catch.hpp>

#include <cstddef>

#include "axion/plugin_api.h"

#define PIN(T, field, off) static_assert(offsetof(T, field) == (off), #T "." #field " moved")

PIN(axion_str, data, 0);
PIN(axion_str, size, 8);
static_assert(sizeof(axion_str) == 16);

PIN(axion_error, size, 0);
PIN(axion_error, message, 4);
PIN(axion_error, key, 516);
static_assert(sizeof(axion_error) == 580);

PIN(axion_bar, size, 0);
PIN(axion_bar, symbol, 8);
PIN(axion_bar, timeframe, 24);
PIN(axion_bar, ts_us, 40);
PIN(axion_bar, open, 48);
PIN(axion_bar, close, 72);
PIN(axion_bar, volume, 80);
PIN(axion_bar, flags, 88);
static_assert(sizeof(axion_bar) == 96);

PIN(axion_signal, signal_type, 8);
PIN(axion_signal, direction, 24);
PIN(axion_signal, ticker, 40);
PIN(axion_signal, timeframe, 56);
PIN(axion_signal, conviction, 72);
PIN(axion_signal, has_timezone, 76);
PIN(axion_signal, entry_price, 80);
PIN(axion_signal, stop_loss, 88);
PIN(axion_signal, target_price, 96);
PIN(axion_signal, ts_us, 104);
PIN(axion_signal, metadata_json, 112);
static_assert(sizeof(axion_signal) == 128);

PIN(axion_order, ticker, 8);
PIN(axion_order, side, 24);
PIN(axion_order, qty, 40);
PIN(axion_order, order_type, 48);
PIN(axion_order, limit_price, 64);
PIN(axion_order, stop_price, 72);
PIN(axion_order, time_in_force, 80);
PIN(axion_order, signal_id, 96);
PIN(axion_order, client_order_id, 112);
PIN(axion_order, reference_price, 128);
PIN(axion_order, instrument_type, 136);
static_assert(sizeof(axion_order) == 152);

PIN(axion_order_result, order_id, 4);
PIN(axion_order_result, status, 68);
PIN(axion_order_result, filled_qty, 72);
PIN(axion_order_result, filled_price, 80);
PIN(axion_order_result, commission, 88);
PIN(axion_order_result, broker, 96);
PIN(axion_order_result, ts_us, 112);
PIN(axion_order_result, rejection_reason, 120);
static_assert(sizeof(axion_order_result) == 376);

PIN(axion_broker_position, symbol, 8);
PIN(axion_broker_position, qty, 24);
PIN(axion_broker_position, side, 32);
PIN(axion_broker_position, avg_price, 48);
PIN(axion_broker_position, current_price, 56);
static_assert(sizeof(axion_broker_position) == 64);

PIN(axion_account, equity, 8);
PIN(axion_account, starting_equity, 32);
static_assert(sizeof(axion_account) == 40);

PIN(axion_verdict, pass, 4);
PIN(axion_verdict, reason, 8);
static_assert(sizeof(axion_verdict) == 520);

PIN(axion_position_size, shares, 8);
PIN(axion_position_size, order_type, 40);
static_assert(sizeof(axion_position_size) == 56);

PIN(axion_host_api, ctx, 8);
PIN(axion_host_api, log, 16);
PIN(axion_host_api, now_us, 24);
PIN(axion_host_api, wall_now_us, 32);
PIN(axion_host_api, last_price, 40);
PIN(axion_host_api, publish, 48);
PIN(axion_host_api, state_load, 56);
PIN(axion_host_api, state_save, 64);
PIN(axion_host_api, query, 72);
PIN(axion_host_api, command, 80);
PIN(axion_host_api, subscribe_events, 88);
PIN(axion_host_api, unsubscribe_events, 96);
static_assert(sizeof(axion_host_api) == 104);

PIN(axion_feed_vtable, next, 8);
PIN(axion_strategy_vtable, on_bar, 8);
PIN(axion_guard_vtable, check, 8);
PIN(axion_guard_vtable, on_outcome, 16);
PIN(axion_regime_vtable, on_bar, 8);
PIN(axion_regime_vtable, evaluate, 16);
PIN(axion_risk_vtable, check_signal, 8);
PIN(axion_risk_vtable, check_order, 16);
PIN(axion_risk_vtable, on_fill, 24);
PIN(axion_risk_vtable, signal_outputs, 32);
static_assert(sizeof(axion_risk_vtable) == 40);
PIN(axion_routing_vtable, route, 8);
PIN(axion_sizing_vtable, instrument_type, 8);
PIN(axion_sizing_vtable, size_position, 16);
PIN(axion_broker_vtable, can_trade_options, 4);
PIN(axion_broker_vtable, submit, 8);
PIN(axion_broker_vtable, query_order, 16);
PIN(axion_broker_vtable, cancel_order, 24);
PIN(axion_broker_vtable, positions, 32);
PIN(axion_broker_vtable, account, 40);
PIN(axion_addon_vtable, start, 8);
PIN(axion_addon_vtable, stop, 16);

PIN(axion_plugin_manifest, abi_version, 4);
PIN(axion_plugin_manifest, kind, 8);
PIN(axion_plugin_manifest, name, 16);
PIN(axion_plugin_manifest, version, 24);
PIN(axion_plugin_manifest, build_id, 32);
PIN(axion_plugin_manifest, description, 40);
PIN(axion_plugin_manifest, config_schema_json, 48);
PIN(axion_plugin_manifest, create, 56);
PIN(axion_plugin_manifest, destroy, 64);
PIN(axion_plugin_manifest, vtable, 72);
static_assert(sizeof(axion_plugin_manifest) == 80);

TEST_CASE("ABI v1 constants and kinds are pinned") {
  CHECK(AXION_ABI_VERSION == 1u);
  CHECK(std::string(AXION_ENTRY_SYMBOL) == "axion_plugin_v1");
  CHECK(AXION_KIND_FEED == 1);
  CHECK(AXION_KIND_ADDON == 9);
  CHECK(AXION_ORDER_CANCELLED == 4);
}
