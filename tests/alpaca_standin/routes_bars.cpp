// GET /v2/stocks/bars and /v2/stocks/{symbol}/bars (live.md §4): the bar history, paged by an
// opaque token. Numbers are JSON numbers here: market data is not the Trading API.
#include <algorithm>
#include <charconv>
#include <variant>

#include "routes.hpp"

namespace axion::testing::alpaca {

using nlohmann::json;

namespace {

constexpr std::size_t kLimitDefault = 1000;
constexpr std::size_t kLimitMax = 10000;

Reply invalid(const std::string& message) { return error(422, kCodeUnprocessable, message); }

// The token names the first bar of the next page: base64url("SYMBOL|t_us"). Opaque to clients,
// as Alpaca's is; the stand-in only needs to read its own back.
std::string encode_token(const BarCursor& c) {
  return base64url(c.symbol + "|" + std::to_string(c.t_us));
}

std::optional<BarCursor> decode_token(std::string_view token) {
  const auto text = from_base64url(token);
  if (!text) return std::nullopt;
  const auto bar = text->rfind('|');
  if (bar == std::string::npos || bar == 0) return std::nullopt;
  BarCursor c{text->substr(0, bar), 0};
  const char* first = text->data() + bar + 1;
  const char* last = text->data() + text->size();
  const auto [end, ec] = std::from_chars(first, last, c.t_us);
  if (ec != std::errc() || end != last || first == last) return std::nullopt;
  return c;
}

json token_json(const std::optional<BarCursor>& next) {
  return next ? json(encode_token(*next)) : json(nullptr);
}

// The query a request asks for, or the 422 that names the parameter at fault. An optional
// parameter given empty counts as absent.
std::variant<BarQuery, Reply> bar_query(const Call& c, std::vector<std::string> symbols) {
  const auto param = [&](const char* name) -> std::optional<std::string> {
    const auto it = c.query.find(name);
    if (it == c.query.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  BarQuery q;
  std::sort(symbols.begin(), symbols.end());  // Alpaca lists symbols alphabetically
  symbols.erase(std::unique(symbols.begin(), symbols.end()), symbols.end());
  if (symbols.empty()) return invalid("symbols is required");
  q.symbols = std::move(symbols);

  const auto timeframe = param("timeframe");
  if (!timeframe) return invalid("timeframe is required");
  const auto canonical = canonical_timeframe(*timeframe);
  if (!canonical) return invalid("invalid timeframe: " + *timeframe);
  q.timeframe = *canonical;

  for (const char* name : {"start", "end"}) {
    const auto value = param(name);
    if (!value) continue;
    const auto t = parse_rfc3339(*value);
    if (!t) return invalid(std::string("invalid ") + name + ": " + *value);
    (std::string_view(name) == "start" ? q.start_us : q.end_us) = epoch_us(*t);
  }
  if (q.start_us && q.end_us && *q.end_us < *q.start_us)
    return invalid("end should not be before start");

  q.limit = kLimitDefault;
  if (const auto l = param("limit")) {
    const auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), q.limit);
    if (ec != std::errc() || end != l->data() + l->size() || q.limit < 1 || q.limit > kLimitMax)
      return invalid("invalid limit: " + *l + " (must be between 1 and 10000)");
  }
  if (const auto token = param("page_token")) {
    if (!(q.from = decode_token(*token))) return invalid("invalid page_token");
  }
  // Accepted and otherwise ignored: the stand-in serves the bars as the test gave them.
  if (const auto a = param("adjustment");
      a && *a != "raw" && *a != "split" && *a != "dividend" && *a != "all")
    return invalid("invalid adjustment: " + *a);
  if (const auto f = param("feed"); f && *f != "iex" && *f != "sip")
    return invalid("invalid feed: " + *f);
  if (const auto sort = param("sort"); sort && *sort != "asc") {
    if (*sort == "desc") return invalid("sort=desc is not supported by the stand-in");
    return invalid("invalid sort: " + *sort);
  }
  return q;
}

std::vector<std::string> split_symbols(const Call& c) {
  std::vector<std::string> out;
  const auto it = c.query.find("symbols");
  if (it == c.query.end()) return out;
  std::string_view rest = it->second;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    if (comma != 0) out.emplace_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

Reply get_bars(ApiState& s, const Call& c) {
  auto parsed = bar_query(c, split_symbols(c));
  if (auto* refused = std::get_if<Reply>(&parsed)) return std::move(*refused);
  const BarPage page = s.bars.query(std::get<BarQuery>(parsed));
  json bars = json::object();  // symbols without bars are left out
  for (const BarRecord& b : page.bars) bars[b.symbol].push_back(bar_json(b));
  return Reply{200, json{{"bars", bars}, {"next_page_token", token_json(page.next)}}.dump(), {}};
}

Reply get_symbol_bars(ApiState& s, const Call& c) {
  auto parsed = bar_query(c, {c.param});
  if (auto* refused = std::get_if<Reply>(&parsed)) return std::move(*refused);
  const BarPage page = s.bars.query(std::get<BarQuery>(parsed));
  // Alpaca answers null, not [], when there is no bar (a Go nil slice).
  json bars = nullptr;
  for (const BarRecord& b : page.bars) bars.push_back(bar_json(b));
  return Reply{
      200,
      json{{"bars", bars}, {"symbol", c.param}, {"next_page_token", token_json(page.next)}}.dump(),
      {}};
}

}  // namespace axion::testing::alpaca
