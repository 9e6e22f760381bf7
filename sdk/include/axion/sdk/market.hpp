// Market reference data of the spec shared by plugins: the sector table of pipeline.md §6.1
// (used by routing, sector exposure checks and unified risk).
#pragma once

#include <string_view>

namespace axion::sdk::market {

struct SectorEntry {
  std::string_view ticker;
  std::string_view sector;
};

// The index tickers keep their index whatever the sector mapping setting.
inline constexpr SectorEntry kIndexSectors[] = {
    {"QQQ", "NASDAQ-100"}, {"SPY", "S&P 500"}, {"IWM", "Russell 2000"}};

inline constexpr SectorEntry kStockSectors[] = {
    {"AAPL", "Technology"},     {"MSFT", "Technology"},    {"GOOGL", "Technology"},
    {"META", "Technology"},     {"AMZN", "Technology"},    {"NFLX", "Technology"},
    {"CRM", "Technology"},      {"ADBE", "Technology"},    {"ORCL", "Technology"},
    {"NVDA", "Semiconductors"}, {"AMD", "Semiconductors"}, {"AVGO", "Semiconductors"},
    {"INTC", "Semiconductors"}, {"MU", "Semiconductors"},  {"QCOM", "Semiconductors"},
    {"JPM", "Financials"},      {"BAC", "Financials"},     {"GS", "Financials"},
    {"MS", "Financials"},       {"C", "Financials"},       {"WFC", "Financials"},
    {"XOM", "Energy"},          {"CVX", "Energy"},         {"COP", "Energy"},
    {"SLB", "Energy"},          {"MRNA", "Biotech"},       {"BIIB", "Biotech"},
    {"GILD", "Biotech"},        {"AMGN", "Biotech"},       {"REGN", "Biotech"},
};

// The index an index ticker tracks, or "" (tickers compare exactly: feed symbols).
constexpr std::string_view index_sector(std::string_view ticker) {
  for (const auto& e : kIndexSectors) {
    if (e.ticker == ticker) return e.sector;
  }
  return {};
}

// The sector of a ticker in the §6.1 table (index tickers included), or "" when it has none.
constexpr std::string_view sector_of(std::string_view ticker) {
  if (auto s = index_sector(ticker); !s.empty()) return s;
  for (const auto& e : kStockSectors) {
    if (e.ticker == ticker) return e.sector;
  }
  return {};
}

}  // namespace axion::sdk::market
