/* Axion plugin ABI, version 2.
 *
 * The only thing host and plugins share. Plain C: POD structs, string views, function tables,
 * status codes. No exceptions, std::string or STL containers cross this boundary.
 *
 * Growth rule: structs carry their `size` as the first field; fields are only ever appended, and a
 * layout test (tests/abi_layout_test.cpp) pins every offset. A breaking change bumps
 * AXION_ABI_VERSION, and with it the entry symbol name, so an old plugin is refused before any of
 * its code runs (the version is part of the symbol name, not a value read after dlopen).
 */
#ifndef AXION_PLUGIN_API_H
#define AXION_PLUGIN_API_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AXION_ABI_VERSION 2u
#define AXION_ENTRY_SYMBOL "axion_plugin_v2"

/* v2 (issue 10) replaced the JSON text that v1 passed to every stage call (the account, the
 * positions and the effective config serialized per call and parsed again by each plugin) with
 * typed records: axion_stage_context, axion_limits, axion_route, axion_risk_outputs. JSON now
 * crosses only for configuration at create, plugin state, and rare queries/commands. */

/* ---- basic types ------------------------------------------------------------------------- */

/* Non-owning UTF-8 view; not NUL-terminated. Valid only for the duration of the call. */
typedef struct axion_str {
  const char* data;
  size_t size;
} axion_str;

typedef int32_t axion_status; /* AXION_OK or AXION_ERR (AXION_NOT_FOUND: broker query_order) */
#define AXION_OK 0
#define AXION_ERR 1
/* Appended in v1: query_order's definite "this broker has no order with that client_order_id",
 * as opposed to AXION_ERR (the answer is unknown: network, timeout). Recovery and the fallback
 * broker act only on a definite answer. Older plugins answer AXION_ERR for both. */
#define AXION_NOT_FOUND 2

typedef enum axion_kind {
  AXION_KIND_FEED = 1,
  AXION_KIND_STRATEGY = 2,
  AXION_KIND_GUARD = 3,
  AXION_KIND_REGIME = 4,
  AXION_KIND_RISK = 5,
  AXION_KIND_ROUTING = 6,
  AXION_KIND_SIZING = 7,
  AXION_KIND_BROKER = 8,
  AXION_KIND_ADDON = 9
} axion_kind;

/* Filled by a plugin when it returns AXION_ERR. `key` names the offending config key, if any. */
typedef struct axion_error {
  uint32_t size;
  char message[512];
  char key[64];
} axion_error;

/* Log levels for axion_host_api.log. */
#define AXION_LOG_DEBUG 0
#define AXION_LOG_INFO 1
#define AXION_LOG_WARN 2
#define AXION_LOG_ERROR 3

/* ---- market and trading records ----------------------------------------------------------- */

/* One completed OHLCV bar. ts_us: bar close time, microseconds since the Unix epoch, UTC. */
typedef struct axion_bar {
  uint32_t size;
  axion_str symbol;
  axion_str timeframe; /* "1m", "5m", "10m", "1h", "1d" */
  int64_t ts_us;
  double open;
  double high;
  double low;
  double close;
  double volume;
  uint32_t flags; /* AXION_BAR_* bits */
} axion_bar;

/* History delivered before the live/paced market starts: strategies warm their indicators on
 * it, but the engine does not trade on it. */
#define AXION_BAR_WARMUP 1u

/* One named value of a signal's metadata (pipeline.md §1.2 `metadata`). Typed, so neither side
 * serializes or parses text per signal; the host renders JSON only where a person reads it
 * (journal, REST, WS). A name "a.b" is field b of the object a. Consecutive AXION_FIELD_TEXT_ITEM
 * fields with one name form a list of text, in order. */
typedef enum axion_field_kind {
  AXION_FIELD_NUMBER = 1,   /* `number` */
  AXION_FIELD_INTEGER = 2,  /* `number`, a whole value: written without a fraction */
  AXION_FIELD_BOOL = 3,     /* `number` != 0 */
  AXION_FIELD_TEXT = 4,     /* `text` */
  AXION_FIELD_TEXT_ITEM = 5 /* `text`, one item of the list `name` */
} axion_field_kind;

typedef struct axion_field {
  axion_str name;
  int32_t kind; /* axion_field_kind */
  double number;
  axion_str text;
} axion_field;

/* One EMA cloud's state at the signal's bar (strategies.md §5, CloudState). Array element: no
 * size field; its layout is pinned and changes only with AXION_ABI_VERSION. */
typedef struct axion_cloud_state {
  axion_str cloud_name;
  double short_ema;
  double long_ema;
  double thickness;
  double slope;
  uint32_t flags;            /* AXION_CLOUD_* bits */
  axion_str slope_direction; /* "rising" | "falling" | "flat" */
} axion_cloud_state;

#define AXION_CLOUD_BULLISH 1u
#define AXION_CLOUD_PRICE_ABOVE 2u
#define AXION_CLOUD_PRICE_INSIDE 4u
#define AXION_CLOUD_PRICE_BELOW 8u

/* A trade signal (pipeline.md §1.2). target_price <= 0 means no target. `strategy` and `source`
 * drive attribution (§2.5); the arrays are valid for the duration of the call. */
typedef struct axion_signal {
  uint32_t size;
  axion_str signal_type;
  axion_str direction; /* "long" | "short" */
  axion_str ticker;
  axion_str timeframe;
  int32_t conviction;
  int32_t has_timezone; /* 0: the producer had a naive timestamp (guard/sanity rejects it) */
  double entry_price;
  double stop_loss;
  double target_price;
  int64_t ts_us;
  axion_str strategy; /* the producer's registry name; "" = the emitting plugin's name */
  axion_str source;   /* signal_source; "" = strategy */
  const axion_field* fields;
  size_t field_count;
  const axion_cloud_state* cloud_states;
  size_t cloud_state_count;
} axion_signal;

/* An order sent to a broker (pipeline.md §1.6). Prices <= 0 mean "none". */
typedef struct axion_order {
  uint32_t size;
  axion_str ticker;
  axion_str side;       /* "buy" | "sell" */
  int64_t qty;
  axion_str order_type; /* "market" | "limit" | "stop" | "stop_limit" */
  double limit_price;
  double stop_price;
  axion_str time_in_force; /* "day" | "gtc" | "ioc" */
  axion_str signal_id;
  axion_str client_order_id; /* deterministic; identical across retries */
  double reference_price;    /* metadata.entry_price */
  axion_str instrument_type; /* "stock" | "option" | "leveraged_etf" */
  int32_t purpose;           /* axion_order_purpose: what the order is for */
  axion_str strategy;        /* the strategy of the signal or position it trades for ("" unknown) */
} axion_order;

/* What an order is for. No plugin needs to parse a client_order_id to learn it. */
typedef enum axion_order_purpose {
  AXION_PURPOSE_ENTRY = 1,  /* opens a position for a signal */
  AXION_PURPOSE_CLOSE = 2,  /* closes (part of) a position: exits, flatten, shutdown */
  AXION_PURPOSE_UNWIND = 3  /* sells back an entry fill that failed validation */
} axion_order_purpose;

typedef enum axion_order_status {
  AXION_ORDER_FILLED = 0,
  AXION_ORDER_PARTIAL = 1,
  AXION_ORDER_PENDING = 2,
  AXION_ORDER_REJECTED = 3,
  AXION_ORDER_CANCELLED = 4
} axion_order_status;

typedef struct axion_order_result {
  uint32_t size;
  char order_id[64];
  int32_t status; /* axion_order_status */
  int64_t filled_qty;
  double filled_price;
  double commission;
  char broker[16];
  int64_t ts_us; /* when the broker reported the fill (engine clock) */
  char rejection_reason[256];
} axion_order_result;

typedef struct axion_broker_position {
  uint32_t size;
  axion_str symbol;
  int64_t qty;       /* always >= 0 */
  axion_str side;    /* "long" | "short" */
  double avg_price;
  double current_price;
} axion_broker_position;

typedef struct axion_account {
  uint32_t size;
  double equity;
  double cash;
  double buying_power;
  double starting_equity;
} axion_account;

/* Outcome of a check (guard, risk, regime, routing, sizing). pass = 0 rejects with `reason`. */
typedef struct axion_verdict {
  uint32_t size;
  int32_t pass;
  char reason[512];
} axion_verdict;

typedef struct axion_position_size {
  uint32_t size;
  int64_t shares;
  double notional_value;
  double risk_amount;
  double conviction_multiplier;
  char order_type[16]; /* "market" | "limit" */
} axion_position_size;

/* ---- typed stage records (v2) ------------------------------------------------------------ */

/* An open position as stage plugins see it. Views valid for the duration of the call. */
typedef struct axion_position_view {
  uint32_t size;
  axion_str ticker;     /* traded ticker (an ETF for ETF routes) */
  axion_str underlying; /* the signal's ticker */
  axion_str direction;  /* in the traded instrument: "long" | "short" */
  axion_str strategy;
  int64_t shares;
  double entry_price;
  double current_price;
  int64_t entry_time_us;
  int32_t is_inverse; /* an inverse ETF: the underlying direction is the reverse */
} axion_position_view;

/* The effective trading limits of one signal: the user's [executor] and [lifecycle] tables
 * (pipeline.md §1.7) as adapted by the regime stage (§0.5, §10.1). Without a regime plugin the
 * multipliers are 1.0, has_min_conviction is 0 and regime is "". Every field is always set. */
typedef struct axion_limits {
  uint32_t size;
  /* [executor] */
  axion_str instrument_mode; /* "options" | "leveraged_etf" | "both" */
  double max_risk_per_trade;
  int32_t max_concurrent_positions;
  double daily_loss_limit;
  double max_single_stock_exposure;
  double max_sector_exposure;
  double min_account_equity;
  axion_str default_time_in_force;        /* "day" | "gtc" | "ioc" */
  axion_str high_conviction_order_type;   /* "market" | "limit" */
  axion_str medium_conviction_order_type; /* "market" | "limit" */
  int32_t scale_in_enabled;
  double scale_in_initial_pct;
  int32_t prefer_3x_for_day_trades;
  double min_etf_daily_volume;
  int32_t etf_sector_mapping;
  int32_t consecutive_loss_threshold;
  double consecutive_loss_pct;
  double api_timeout_seconds;
  /* [lifecycle] */
  double reward_to_risk_target;
  int32_t time_stop_minutes;
  axion_str eod_close_time; /* "HH:MM", ET */
  axion_str trailing_stop_cloud;
  int32_t max_etf_hold_days_3x;
  int32_t max_etf_hold_days_2x;
  int32_t close_on_shutdown;
  /* regime adaptation */
  double position_size_multiplier;
  double stop_loss_mult;
  int32_t has_min_conviction;
  int32_t min_conviction;
  axion_str regime; /* "" = no regime stage */
  double regime_confidence;
  const axion_str* avoid_signal_types;
  uint32_t avoid_signal_type_count;
  const axion_str* preferred_signal_types;
  uint32_t preferred_signal_type_count;
} axion_limits;

/* The routing decision (pipeline.md §6.1). Before routing (and without a routing plugin) the
 * engine's default is a stock route of the signal's ticker at its entry price. */
typedef struct axion_route {
  uint32_t size;
  axion_str instrument_type; /* "stock" | "option" | "leveraged_etf" */
  axion_str ticker;          /* what is traded */
  axion_str original_signal_ticker;
  double leverage;
  int32_t is_inverse;
  double reference_price;
  axion_str fallback_from;   /* "" or the instrument type the route fell back from */
  /* leveraged ETF routes */
  axion_str etf_tracks;      /* the sector the ETF tracks */
  double etf_avg_daily_volume; /* 0 = unknown */
  /* option routes (the contract is the broker's choice) */
  axion_str option_right;    /* "call" | "put" */
} axion_route;

/* Everything a risk, routing or sizing stage reads besides the signal or order. */
typedef struct axion_stage_context {
  uint32_t size;
  axion_account account;
  const axion_position_view* positions;
  uint32_t position_count;
  double daily_pnl;          /* state manager, rollover-aware */
  int32_t daily_trade_count; /* closes today */
  int32_t entries_today;     /* entries opened on the current trading date */
  int32_t kill_switch_active;
  axion_str circuit_breaker_status; /* "closed" | "open" | "half_open" */
  const axion_limits* limits;       /* the effective limits; never NULL */
  const axion_route* route;         /* the routing decision so far; never NULL */
  int32_t has_var_cap;              /* a risk stage produced a VaR cap for this signal */
  double var_cap;                   /* dollars */
  int32_t broker_can_trade_options;
  int64_t now_us;                   /* engine clock */
} axion_stage_context;

/* What a passing risk signal check hands later stages. */
typedef struct axion_risk_outputs {
  uint32_t size;
  int32_t has_var_cap; /* limits sizing to var_cap dollars */
  double var_cap;
  /* Optional: a JSON object recorded as the pipeline result's risk_assessment (audit, REST).
   * Made only by plugins that report one; the engine checks it is an object and records it. */
  axion_str assessment_json;
} axion_risk_outputs;

/* ---- host services ------------------------------------------------------------------------ */

typedef void (*axion_json_cb)(void* user, axion_str json);

/* What the host offers each plugin instance. `ctx` is per instance (it carries the logger name
 * `<kind>/<name>`), and is the first argument of every function. All calls are made from the
 * thread that called into the plugin, unless noted. */
/* One event of the engine's stream (see axion_host_api.subscribe_events). */
typedef void (*axion_event_cb)(void* user, int64_t sequence, axion_str channel,
                               axion_str envelope_json);
/* One open position (see axion_host_api.positions); the view is valid during the call only. */
typedef void (*axion_position_view_cb)(void* user, const axion_position_view* position);

/* Kill levels (pipeline.md §4.1), in order of strength; 0 = no kill. */
#define AXION_KILL_NONE 0
#define AXION_KILL_BLOCK_NEW 1
#define AXION_KILL_REDUCE_ONLY 2
#define AXION_KILL_CANCEL_ALL 3
#define AXION_KILL_FLATTEN 4
#define AXION_KILL_SCOPE_GLOBAL 0
#define AXION_KILL_SCOPE_STRATEGY 1
#define AXION_KILL_SCOPE_SYMBOL 2

/* The strongest kill in force over a strategy and a symbol (see axion_host_api.kill_state). */
typedef struct axion_kill_state {
  uint32_t size;
  int32_t level;         /* AXION_KILL_*: the strongest covering kill; AXION_KILL_NONE when none */
  int32_t scope;         /* AXION_KILL_SCOPE_* of that kill */
  int32_t global_active; /* 1 when the global kill switch is on (whatever its level) */
} axion_kill_state;

/* Rate budget priorities: urgent (order submission, cancels) may take the whole budget; normal
 * (data, polling) leaves a reserve of a tenth of the capacity for urgent requests. */
#define AXION_RATE_NORMAL 0
#define AXION_RATE_URGENT 1

typedef struct axion_host_api {
  uint32_t size;
  void* ctx;
  void (*log)(void* ctx, int32_t level, axion_str message);
  /* Engine clock (simulated market clock in paper/backtest, wall clock live), µs since epoch UTC. */
  int64_t (*now_us)(void* ctx);
  /* Wall clock, for transport timers only. */
  int64_t (*wall_now_us)(void* ctx);
  /* Latest completed-bar close of `ticker` from the feed; returns 1 when known, 0 otherwise. */
  int32_t (*last_price)(void* ctx, axion_str ticker, double* out);
  /* Publish an event on the bus (channel from the event name, control.md §4.5). */
  void (*publish)(void* ctx, axion_str event, axion_str data_json);
  /* Durable per-instance state (a JSON document in the journal). load calls cb once if present. */
  axion_status (*state_load)(void* ctx, axion_json_cb cb, void* user);
  axion_status (*state_save)(void* ctx, axion_str json);
  /* Rare read-only engine queries, answered as JSON through cb: "engine", "positions",
   * "account", "state", "kill", "returns" (args {"ticker":..,"n":..}; per-signal code uses
   * daily_returns). Unknown => AXION_ERR. Stage calls get what they need as typed records. */
  axion_status (*query)(void* ctx, axion_str what, axion_str args_json, axion_json_cb cb,
                        void* user);
  /* Requests to the engine, made on the engine thread from inside a plugin call. Known:
   * "activate_kill" {level, scope, target, reason}: a kill with this plugin as its actor.
   * The answer (JSON) comes through cb. Unknown request or refusal => AXION_ERR. */
  axion_status (*command)(void* ctx, axion_str what, axion_str args_json, axion_json_cb cb,
                          void* user);
  /* The engine's event stream, for add-ons (read only when `size` covers them). cb runs on the
   * publishing thread and must not block: queue and return. envelope_json is the client
   * envelope {"channel","event","data","timestamp","sequence"}. since >= 0 first replays the
   * buffered events with sequence > since; *oldest_available (may be NULL) receives the oldest
   * buffered sequence, so a caller can tell that events after `since` were lost. Returns a
   * subscription id > 0, or 0 when refused. After unsubscribe_events returns, cb is never
   * called again for that id. */
  int64_t (*subscribe_events)(void* ctx, int64_t since, axion_event_cb cb, void* user,
                              int64_t* oldest_available);
  void (*unsubscribe_events)(void* ctx, int64_t subscription_id);
  /* v2: daily close-to-close returns of `ticker` (from the last close of each ET trading date,
   * pipeline.md §11), oldest first. Writes the latest min(max, known) values to out and returns
   * how many; 0 when none are known. Allocation-free, for per-signal risk checks. */
  uint32_t (*daily_returns)(void* ctx, axion_str ticker, double* out, uint32_t max);
  /* v2 (appended): typed engine reads, from inside a plugin call (engine thread). */
  /* The open positions, oldest first: cb once each. */
  axion_status (*positions)(void* ctx, axion_position_view_cb cb, void* user);
  /* The account as the engine last read it from its broker. */
  axion_status (*account)(void* ctx, axion_account* out);
  /* The strongest kill covering `strategy` and `symbol` ("" matches only global kills). */
  axion_status (*kill_state)(void* ctx, axion_str strategy, axion_str symbol, axion_kill_state* out);
  /* v2 (appended): rate budgets shared by the plugins of one account (e.g. a live broker and
   * its market-data feed), by name. Thread-safe: callable from a plugin's own threads. */
  /* Declares or joins budget `name`: at most `capacity` requests in any rolling `window_us`.
   * Joining with other numbers is refused (AXION_ERR, err names both). */
  axion_status (*rate_budget_declare)(void* ctx, axion_str name, uint32_t capacity, int64_t window_us,
                                      axion_error* err);
  /* Takes `cost` requests now: 1 when taken; 0 when not, with *retry_after_us the wait until
   * they could be; -1 for an unknown budget; -2 when `cost` exceeds what the budget allows at this
   * priority (no wait helps). Never blocks. */
  int32_t (*rate_budget_take)(void* ctx, axion_str name, uint32_t cost, int32_t priority,
                              int64_t* retry_after_us);
  /* Requests left in the window now (a metric); -1 for an unknown budget. */
  int64_t (*rate_budget_remaining)(void* ctx, axion_str name);
} axion_host_api;

/* ---- per-kind function tables ------------------------------------------------------------ */

/* A feed produces bars in time order. next() returns AXION_FEED_BAR with a bar in *out (views
 * valid until the next call), AXION_FEED_END at the end of data, AXION_FEED_IDLE when no bar is
 * ready yet (a live feed waiting on the market; it waits at most a few hundred ms unless a
 * request of its own is in flight, bounded by its timeout, so the host can stop; the host calls
 * again), -1 on error. *pace_us is how long the host should wait on the
 * wall clock before delivering this bar when pacing (0 = at once, e.g. warm-up history). */
#define AXION_FEED_END 0
#define AXION_FEED_BAR 1
#define AXION_FEED_IDLE 2
typedef struct axion_feed_vtable {
  uint32_t size;
  int32_t (*next)(void* self, axion_bar* out, int64_t* pace_us, axion_error* err);
  /* Appended in v2 (read only when `size` covers it; may be NULL): the feed's health as a JSON
   * object through cb, e.g. {"stream":"subscribed","last_bar_us":...}. Called from the engine
   * thread while next() may run on the feed thread: thread-safe, never blocking. */
  axion_status (*status)(void* self, axion_json_cb cb, void* user, axion_error* err);
} axion_feed_vtable;

typedef void (*axion_signal_sink)(void* sink_ctx, const axion_signal* signal);

typedef struct axion_strategy_vtable {
  uint32_t size;
  /* Feed one completed bar; emit zero or more signals through sink before returning. */
  axion_status (*on_bar)(void* self, const axion_bar* bar, axion_signal_sink sink,
                         void* sink_ctx, axion_error* err);
} axion_strategy_vtable;

typedef struct axion_guard_vtable {
  uint32_t size;
  axion_status (*check)(void* self, const axion_signal* signal, axion_verdict* out,
                        axion_error* err);
  /* The signal's final pipeline outcome: "completed" or the rejecting pipeline_stage. */
  void (*on_outcome)(void* self, const axion_signal* signal, axion_str stage);
} axion_guard_vtable;

typedef struct axion_regime_vtable {
  uint32_t size;
  axion_status (*on_bar)(void* self, const axion_bar* bar, axion_error* err);
  /* *effective arrives as a copy of *base; the plugin changes the fields it adapts (its views
   * must stay valid until its next call), or rejects through *out. */
  axion_status (*evaluate)(void* self, const axion_signal* signal, const axion_limits* base,
                           axion_limits* effective, axion_verdict* out, axion_error* err);
} axion_regime_vtable;

typedef struct axion_risk_vtable {
  uint32_t size;
  /* Either check may be NULL. A passing check_signal may fill *outputs (arrives zeroed, its
   * views valid until the plugin's next call). check_order sees every order: entries before
   * submission (a rejection stops them), closes and unwinds for counting only (never rejected;
   * order->purpose tells them apart). */
  axion_status (*check_signal)(void* self, const axion_signal* signal,
                               const axion_stage_context* context, axion_verdict* out,
                               axion_risk_outputs* outputs, axion_error* err);
  axion_status (*check_order)(void* self, const axion_order* order,
                              const axion_stage_context* context, axion_verdict* out,
                              axion_error* err);
  void (*on_fill)(void* self, const axion_order* order, const axion_order_result* result);
} axion_risk_vtable;

typedef struct axion_routing_vtable {
  uint32_t size;
  /* *decision arrives as the engine's default stock route; a passing plugin fills it (views
   * valid until its next call). */
  axion_status (*route)(void* self, const axion_signal* signal, const axion_stage_context* context,
                        axion_route* decision, axion_verdict* out, axion_error* err);
} axion_routing_vtable;

typedef struct axion_sizing_vtable {
  uint32_t size;
  const char* instrument_type; /* the type this sizer is for; "" = every type */
  axion_status (*size_position)(void* self, const axion_signal* signal,
                                const axion_stage_context* context, axion_position_size* out,
                                axion_verdict* verdict, axion_error* err);
} axion_sizing_vtable;

typedef void (*axion_position_cb)(void* user, const axion_broker_position* position);

typedef struct axion_broker_vtable {
  uint32_t size;
  int32_t can_trade_options;
  /* Submit; *out may be terminal (filled/partial/rejected/cancelled) or pending. */
  axion_status (*submit)(void* self, const axion_order* order, axion_order_result* out,
                         axion_error* err);
  /* Current state of an order by client_order_id; AXION_ERR when unknown. */
  axion_status (*query_order)(void* self, axion_str client_order_id, axion_order_result* out,
                              axion_error* err);
  axion_status (*cancel_order)(void* self, axion_str client_order_id, axion_error* err);
  axion_status (*positions)(void* self, axion_position_cb cb, void* user, axion_error* err);
  axion_status (*account)(void* self, axion_account* out, axion_error* err);
  /* Appended in v2: AXION_BROKER_* flags of this instance (NULL or 0: none). */
  uint32_t (*flags)(void* self);
  /* Appended in v2 (read only when `size` covers them). Broker-side kill actions (live.md §5),
   * NULL when not offered: cancel_all cancels every working order of the account, the engine's
   * and any other; close_all closes every position and cancels the working orders (the flatten
   * fallback when the engine cannot close through the pipeline). AXION_OK when the broker took
   * the request; the orders' ends arrive as usual. */
  axion_status (*cancel_all)(void* self, axion_error* err);
  axion_status (*close_all)(void* self, axion_error* err);
  /* The connection's health as a JSON object through cb (may be NULL): "ready" false when orders
   * would be refused now (e.g. a live broker's fill stream is down), plus the broker's own fields.
   * Thread-safe and never blocking: called while orders travel on the broker's threads. */
  axion_status (*status)(void* self, axion_json_cb cb, void* user, axion_error* err);
} axion_broker_vtable;

/* The instance lives in this process and everything it knows (book, orders, fills) is saved
 * through the host's save_state on every call, with no other record outside the host: its calls
 * and the engine's order intents share the journal's one ordered stream, so the host need not
 * wait for an intent to reach the disk before the order. Without it (a broker outside the
 * process, or one that also tells the outside world) every intent is durable before the send. */
#define AXION_BROKER_BOOK_IN_HOST_STATE 1u

typedef struct axion_addon_vtable {
  uint32_t size;
  axion_status (*start)(void* self, axion_error* err);
  void (*stop)(void* self);
} axion_addon_vtable;

/* ---- the handshake ------------------------------------------------------------------------ */

typedef struct axion_plugin_manifest {
  uint32_t size;
  uint32_t abi_version; /* AXION_ABI_VERSION the plugin was built with */
  int32_t kind;         /* axion_kind */
  const char* name;     /* e.g. "ema_cloud"; addressed as "<kind>/<name>" */
  const char* version;  /* plugin version, e.g. "1.0.0" */
  const char* build_id; /* compiler and libstdc++ ABI, e.g. "gcc-12.2.0;cxx11abi=1" */
  const char* description;
  /* JSON array of the plugin's config keys: [{key,type,default,min,max,choices,help}, ...]. */
  const char* config_schema_json;
  /* Create an instance from its validated config table (JSON object). On AXION_ERR the error
   * names the key at fault, if any. `host` outlives the instance. */
  axion_status (*create)(const axion_host_api* host, axion_str config_json, void** out_self,
                         axion_error* err);
  void (*destroy)(void* self);
  /* Points to the axion_<kind>_vtable matching `kind`. */
  const void* vtable;
  /* The pipeline stage this plugin's rejections and errors are reported under (pipeline.md
   * §1.1, e.g. "signal_guard", "regime", "risk_assessment", "basic_risk_check", "pretrade",
   * "routing", "sizing"); NULL or "" for kinds that are not stages (feed, strategy, broker,
   * addon). The host refuses a stage plugin whose label it does not know. */
  const char* stage_label;
} axion_plugin_manifest;

/* The one exported symbol: `const axion_plugin_manifest* axion_plugin_v2(void)`. */
typedef const axion_plugin_manifest* (*axion_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* AXION_PLUGIN_API_H */
