// The shared indicator library (strategies.md §2): incremental, O(1) per bar, no allocation per
// bar. Third-party strategies include this one header.
#pragma once

#include "axion/sdk/indicators/ema.hpp"
#include "axion/sdk/indicators/patterns.hpp"
#include "axion/sdk/indicators/range.hpp"
#include "axion/sdk/indicators/ring.hpp"
#include "axion/sdk/indicators/rsi.hpp"
#include "axion/sdk/indicators/session.hpp"
#include "axion/sdk/indicators/stats.hpp"
