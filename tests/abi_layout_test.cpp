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
PIN(axion_signal, strategy, 112);
PIN(axion_signal, source, 128);
PIN(axion_signal, fields, 144);
PIN(axion_signal, field_count, 152);
PIN(axion_signal, cloud_states, 160);
PIN(axion_signal, cloud_state_count, 168);
static_assert(sizeof(axion_signal) == 176);
PIN(axion_field, name, 0);
PIN(axion_field, kind, 16);
PIN(axion_field, number, 24);
PIN(axion_field, text, 32);
static_assert(sizeof(axion_field) == 48);
PIN(axion_cloud_state, cloud_name, 0);
PIN(axion_cloud_state, short_ema, 16);
PIN(axion_cloud_state, long_ema, 24);
PIN(axion_cloud_state, thickness, 32);
PIN(axion_cloud_state, slope, 40);
PIN(axion_cloud_state, flags, 48);
PIN(axion_cloud_state, slope_direction, 56);
static_assert(sizeof(axion_cloud_state) == 72);

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

PIN(axion_feed_vtable, next, 8);
PIN(axion_strategy_vtable, on_bar, 8);
PIN(axion_guard_vtable, check, 8);
PIN(axion_guard_vtable, on_outcome, 16);
PIN(axion_regime_vtable, on_bar, 8);
PIN(axion_regime_vtable, evaluate, 16);
PIN(axion_risk_vtable, check_signal, 8);
PIN(axion_risk_vtable, check_order, 16);
PIN(axion_risk_vtable, on_fill, 24);
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

// ---- v2: typed stage records, order purpose, stage label, daily returns ----
PIN(axion_order, purpose, 152);
PIN(axion_order, strategy, 160);
static_assert(sizeof(axion_order) == 176);
PIN(axion_position_view, ticker, 8);
PIN(axion_position_view, underlying, 24);
PIN(axion_position_view, direction, 40);
PIN(axion_position_view, strategy, 56);
PIN(axion_position_view, shares, 72);
PIN(axion_position_view, entry_price, 80);
PIN(axion_position_view, current_price, 88);
PIN(axion_position_view, entry_time_us, 96);
PIN(axion_position_view, is_inverse, 104);
static_assert(sizeof(axion_position_view) == 112);
PIN(axion_limits, instrument_mode, 8);
PIN(axion_limits, max_risk_per_trade, 24);
PIN(axion_limits, max_concurrent_positions, 32);
PIN(axion_limits, daily_loss_limit, 40);
PIN(axion_limits, max_single_stock_exposure, 48);
PIN(axion_limits, max_sector_exposure, 56);
PIN(axion_limits, min_account_equity, 64);
PIN(axion_limits, default_time_in_force, 72);
PIN(axion_limits, high_conviction_order_type, 88);
PIN(axion_limits, medium_conviction_order_type, 104);
PIN(axion_limits, scale_in_enabled, 120);
PIN(axion_limits, scale_in_initial_pct, 128);
PIN(axion_limits, prefer_3x_for_day_trades, 136);
PIN(axion_limits, min_etf_daily_volume, 144);
PIN(axion_limits, etf_sector_mapping, 152);
PIN(axion_limits, consecutive_loss_threshold, 156);
PIN(axion_limits, consecutive_loss_pct, 160);
PIN(axion_limits, api_timeout_seconds, 168);
PIN(axion_limits, reward_to_risk_target, 176);
PIN(axion_limits, time_stop_minutes, 184);
PIN(axion_limits, eod_close_time, 192);
PIN(axion_limits, trailing_stop_cloud, 208);
PIN(axion_limits, max_etf_hold_days_3x, 224);
PIN(axion_limits, max_etf_hold_days_2x, 228);
PIN(axion_limits, close_on_shutdown, 232);
PIN(axion_limits, position_size_multiplier, 240);
PIN(axion_limits, stop_loss_mult, 248);
PIN(axion_limits, has_min_conviction, 256);
PIN(axion_limits, min_conviction, 260);
PIN(axion_limits, regime, 264);
PIN(axion_limits, regime_confidence, 280);
PIN(axion_limits, avoid_signal_types, 288);
PIN(axion_limits, avoid_signal_type_count, 296);
PIN(axion_limits, preferred_signal_types, 304);
PIN(axion_limits, preferred_signal_type_count, 312);
static_assert(sizeof(axion_limits) == 320);
PIN(axion_route, instrument_type, 8);
PIN(axion_route, ticker, 24);
PIN(axion_route, original_signal_ticker, 40);
PIN(axion_route, leverage, 56);
PIN(axion_route, is_inverse, 64);
PIN(axion_route, reference_price, 72);
PIN(axion_route, fallback_from, 80);
PIN(axion_route, etf_tracks, 96);
PIN(axion_route, etf_avg_daily_volume, 112);
PIN(axion_route, option_right, 120);
static_assert(sizeof(axion_route) == 136);
PIN(axion_stage_context, account, 8);
PIN(axion_stage_context, positions, 48);
PIN(axion_stage_context, position_count, 56);
PIN(axion_stage_context, daily_pnl, 64);
PIN(axion_stage_context, daily_trade_count, 72);
PIN(axion_stage_context, entries_today, 76);
PIN(axion_stage_context, kill_switch_active, 80);
PIN(axion_stage_context, circuit_breaker_status, 88);
PIN(axion_stage_context, limits, 104);
PIN(axion_stage_context, route, 112);
PIN(axion_stage_context, has_var_cap, 120);
PIN(axion_stage_context, var_cap, 128);
PIN(axion_stage_context, broker_can_trade_options, 136);
PIN(axion_stage_context, now_us, 144);
static_assert(sizeof(axion_stage_context) == 152);
PIN(axion_risk_outputs, has_var_cap, 4);
PIN(axion_risk_outputs, var_cap, 8);
PIN(axion_risk_outputs, assessment_json, 16);
static_assert(sizeof(axion_risk_outputs) == 32);
PIN(axion_host_api, daily_returns, 104);
PIN(axion_risk_vtable, on_fill, 24);
static_assert(sizeof(axion_risk_vtable) == 32);
PIN(axion_plugin_manifest, stage_label, 80);
static_assert(sizeof(axion_plugin_manifest) == 88);

// ---- appended in v2 since: broker flags (the journal writer) ----
PIN(axion_broker_vtable, flags, 48);

// ---- appended in v2 since: live trading (broker-side kill actions, health; idle feeds) ----
PIN(axion_broker_vtable, cancel_all, 56);
PIN(axion_broker_vtable, close_all, 64);
PIN(axion_broker_vtable, status, 72);
static_assert(sizeof(axion_broker_vtable) == 80);
PIN(axion_feed_vtable, status, 16);
static_assert(sizeof(axion_feed_vtable) == 24);
static_assert(AXION_FEED_END == 0 && AXION_FEED_BAR == 1 && AXION_FEED_IDLE == 2);

// ---- appended in v2 since: typed engine reads and shared rate budgets ----
PIN(axion_host_api, positions, 112);
PIN(axion_host_api, account, 120);
PIN(axion_host_api, kill_state, 128);
PIN(axion_host_api, rate_budget_declare, 136);
PIN(axion_host_api, rate_budget_take, 144);
PIN(axion_host_api, rate_budget_remaining, 152);
static_assert(sizeof(axion_host_api) == 160);
PIN(axion_kill_state, level, 4);
PIN(axion_kill_state, scope, 8);
PIN(axion_kill_state, global_active, 12);
static_assert(sizeof(axion_kill_state) == 16);

TEST_CASE("ABI v2 constants and kinds are pinned") {
  CHECK(AXION_ABI_VERSION == 2u);
  CHECK(std::string(AXION_ENTRY_SYMBOL) == "axion_plugin_v2");
  CHECK(AXION_PURPOSE_ENTRY == 1);
  CHECK(AXION_PURPOSE_UNWIND == 3);
  CHECK(AXION_KIND_FEED == 1);
  CHECK(AXION_KIND_ADDON == 9);
  CHECK(AXION_ORDER_CANCELLED == 4);
  CHECK(AXION_BROKER_BOOK_IN_HOST_STATE == 1u);
  CHECK(AXION_KILL_FLATTEN == 4);
  CHECK(AXION_KILL_SCOPE_SYMBOL == 2);
  CHECK(AXION_RATE_URGENT == 1);
}
