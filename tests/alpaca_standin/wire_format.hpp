// How Alpaca writes values on the wire: decimals as strings, RFC3339 times, uuid-like ids.
// Kept apart from the book and the routes so both render the same way.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace axion::testing::alpaca {

using SysTime = std::chrono::system_clock::time_point;

// "15", "183.27", "-3": at most 9 decimals, trailing zeros dropped, never "-0".
std::string decimal(double v);
// Parses a decimal given as a JSON string or number text ("15", "183.27"); nullopt if not one.
std::optional<double> parse_decimal(std::string_view s);

// "2024-05-01T13:45:12.123456Z" (orders: UTC with microseconds, as Alpaca's order objects).
std::string rfc3339_utc(SysTime t);
// "2024-05-01T09:45:12.123456-04:00" (the clock endpoint answers in New York time).
std::string rfc3339_new_york(SysTime t, bool with_micros);
// Accepts "YYYY-MM-DD" and "YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)"; nullopt otherwise.
std::optional<SysTime> parse_rfc3339(std::string_view s);

// "2024-01-03T14:30:00Z" (market data: UTC, whole seconds as Alpaca's bars carry; microseconds
// only when the time has a fraction, so no test time is lost).
std::string rfc3339_utc_bar(SysTime t);
// Bars keep their time as microseconds since the epoch (BarRecord::t_us).
SysTime from_epoch_us(std::int64_t us);
std::int64_t epoch_us(SysTime t);  // rounded down to the microsecond

// Base64 with the URL alphabet and no padding (page tokens: no character a client must escape).
std::string base64url(std::string_view bytes);
// nullopt when `text` is not base64url (padding, if any, is accepted).
std::optional<std::string> from_base64url(std::string_view text);

// A random version-4 uuid, as Alpaca's order ids and generated client_order_ids.
std::string new_uuid();
// A uuid-shaped id derived from `seed` (asset ids: the same symbol always gets the same one).
std::string stable_uuid(std::string_view seed);

}  // namespace axion::testing::alpaca
