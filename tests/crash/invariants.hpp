// The harness's invariants, checked from outside on the submit log, the journal and the paper
// broker's journaled book. Each failed check adds one line to Findings.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "journal_view.hpp"
#include "submit_log.hpp"

namespace axion::crash {

struct Findings {
  std::vector<std::string> violations;
  void add(std::string v) { violations.push_back(std::move(v)); }
};

// The files open and are intact (after every stop, crash or not).
void check_files(const StateSnapshot& s, const std::string& when, Findings& f);

// Every order the broker created has a durable intent (checked on the state a crash left, so an
// intent written after the submit does not count). `reported` keeps each id to one report.
void check_intents(const SubmitLog& log, const StateSnapshot& s, const std::string& when,
                   std::set<std::string>& reported, Findings& f);

// No client_order_id was created twice at the broker.
void check_unique_ids(const SubmitLog& log, Findings& f);

// The journal's positions (signed shares per ticker), plus the fills of orders whose intent is
// still unresolved (a crash between the broker's fill and its booking: the next start resolves
// it), equal the paper broker's journaled book. Both are written in the same ordered stream, so
// every stop (crash or not) must leave them agreeing. `last` carries the tickers that disagreed
// at the previous stop, so a disagreement that persists is reported once, when it appears.
void check_consistent(const StateSnapshot& s, const std::vector<LoggedOrder>& surviving,
                      const std::string& when, const std::set<std::string>& ignore_tickers,
                      std::set<std::string>& last, Findings& f);

// After the final reconcile (check_consistent covers the per-ticker book): per signal, the net of
// the broker's surviving fills equals the journal's position plus the fills of unresolved
// intents (each fill booked once), and the submit log adds up to the paper book.
void check_books(const std::vector<LoggedOrder>& surviving, const StateSnapshot& s,
                 const std::set<std::string>& ignore_tickers, Findings& f);

// Every ghost fill was followed by a reconciliation mismatch naming its ticker and a reconciler
// kill of level reduce_only or stronger, at its bar or later in its run (or at the next start,
// for a ghost of the shutdown). A ghost whose ticker's engine/broker difference is back to zero
// within the next bar (undone by another ghost before a reconcile saw it) is exempt; the engine
// reconciles every bar (`bar_us`).
// `bar_time_limit_us`: event times below it are engine bar times.
void check_ghosts_caught(const SubmitLog& log, const std::vector<JournalEvent>& events,
                         std::int64_t bar_us, std::int64_t bar_time_limit_us, Findings& f);

// Tickers with a ghost fill (their books differ by design).
std::set<std::string> ghost_tickers(const SubmitLog& log);

}  // namespace axion::crash
