#include "invariants.hpp"

#include <algorithm>

namespace axion::crash {

namespace {

int level_rank(const std::string& l) {
  if (l == "block_new") return 1;
  if (l == "reduce_only") return 2;
  if (l == "cancel_all") return 3;
  if (l == "flatten") return 4;
  return 0;
}

std::string reconciliation_detail(const JournalEvent& e) {
  if (e.event != "error" || !e.data.is_object()) return "";
  if (e.data.value("stage", "") != "reconciliation") return "";
  return e.data.value("error", "");
}

std::map<std::string, std::int64_t> journal_by_ticker(const StateSnapshot& s) {
  std::map<std::string, std::int64_t> out;
  for (const auto& p : s.positions) {
    if (p.signed_shares() != 0) out[p.ticker] += p.signed_shares();
  }
  return out;
}

bool unresolved(const StateSnapshot& s, const std::string& cid) {
  auto it = s.intent_status.find(cid);
  return it != s.intent_status.end() && (it->second == "intent" || it->second == "pending");
}

std::int64_t get(const std::map<std::string, std::int64_t>& m, const std::string& k) {
  auto it = m.find(k);
  return it == m.end() ? 0 : it->second;
}

}  // namespace

void check_files(const StateSnapshot& s, const std::string& when, Findings& f) {
  for (const auto& p : s.problems) f.add(when + ": " + p);
}

void check_intents(const SubmitLog& log, const StateSnapshot& s, const std::string& when,
                   std::set<std::string>& reported, Findings& f) {
  for (const auto& o : log.created) {
    if (o.client_order_id.empty() || s.intent_status.count(o.client_order_id)) continue;
    if (!reported.insert(o.client_order_id).second) continue;
    f.add(when + ": order " + o.client_order_id + " (" + o.side + " " + std::to_string(o.qty) +
          " " + o.ticker + ", broker " + o.order_id + ") was submitted without a durable intent");
  }
}

void check_unique_ids(const SubmitLog& log, Findings& f) {
  std::map<std::string, std::vector<const LoggedOrder*>> by_id;
  for (const auto& o : log.created) {
    if (!o.client_order_id.empty()) by_id[o.client_order_id].push_back(&o);
  }
  for (const auto& [cid, orders] : by_id) {
    if (orders.size() < 2) continue;
    std::string detail;
    for (const auto* o : orders) {
      detail += (detail.empty() ? "" : ", ") + std::string("run ") + std::to_string(o->run) + " " +
                o->side + " " + std::to_string(o->qty) + " " + o->status + " (" + o->order_id + ")";
    }
    f.add("client_order_id " + cid + " submitted " + std::to_string(orders.size()) +
          " times as a new order: " + detail);
  }
}

void check_consistent(const StateSnapshot& s, const std::vector<LoggedOrder>& surviving,
                      const std::string& when, const std::set<std::string>& ignore_tickers,
                      std::set<std::string>& last, Findings& f) {
  if (!s.book.present) return;  // nothing traded yet
  auto journal = journal_by_ticker(s);
  for (const auto& o : surviving) {
    if (o.filled_qty > 0 && !o.ghost && unresolved(s, o.client_order_id))
      journal[o.ticker] += o.signed_fill();
  }
  for (const auto& u : s.unwinds) journal[u.ticker] += u.held;
  std::set<std::string> tickers, now;
  for (const auto& [t, q] : journal) tickers.insert(t);
  for (const auto& [t, q] : s.book.positions) tickers.insert(t);
  for (const auto& t : tickers) {
    if (ignore_tickers.count(t) || get(journal, t) == get(s.book.positions, t)) continue;
    now.insert(t);
    if (last.count(t)) continue;
    const std::int64_t j = get(journal, t), b = get(s.book.positions, t);
    f.add(when + ": " + t + ": the journal's positions (with unresolved fills) hold " +
          std::to_string(j) + " shares, the paper book " + std::to_string(b) +
          (b == 0   ? " (ghost position)"
           : j == 0 ? " (orphaned at the broker)"
                    : ""));
  }
  last = std::move(now);
}

void check_books(const std::vector<LoggedOrder>& surviving, const StateSnapshot& s,
                 const std::set<std::string>& ignore_tickers, Findings& f) {
  std::map<std::string, std::int64_t> log_by_ticker, broker_by_signal, journal_by_signal;
  std::map<std::string, std::string> signal_ticker;
  for (const auto& o : surviving) {
    if (o.filled_qty <= 0 || o.ghost || ignore_tickers.count(o.ticker)) continue;
    log_by_ticker[o.ticker] += o.signed_fill();
    broker_by_signal[o.signal_id] += o.signed_fill();
    signal_ticker[o.signal_id] = o.ticker;
  }
  for (const auto& o : surviving) {
    if (o.filled_qty > 0 && !o.ghost && !ignore_tickers.count(o.ticker) &&
        unresolved(s, o.client_order_id)) {
      journal_by_signal[o.signal_id] += o.signed_fill();  // booked at the next start
    }
  }
  for (const auto& p : s.positions) {
    if (ignore_tickers.count(p.ticker)) continue;
    journal_by_signal[p.signal_id] += p.signed_shares();
    signal_ticker[p.signal_id] = p.ticker;
  }
  for (const auto& u : s.unwinds) {
    if (!ignore_tickers.count(u.ticker)) journal_by_signal[u.signal_id] += u.held;
  }
  if (!s.book.present) f.add("final: the paper broker has no journaled state");
  std::set<std::string> tickers;
  for (const auto& [t, q] : log_by_ticker) tickers.insert(t);
  for (const auto& [t, q] : s.book.positions) {
    if (!ignore_tickers.count(t)) tickers.insert(t);
  }
  for (const auto& t : tickers) {
    const std::int64_t book = get(s.book.positions, t), logged = get(log_by_ticker, t);
    if (logged != book) {
      f.add("final: " + t + ": the submit log's surviving fills add up to " +
            std::to_string(logged) + " shares but the paper book holds " + std::to_string(book) +
            " (broker or harness bug)");
    }
  }
  std::set<std::string> signals;
  for (const auto* m : {&broker_by_signal, &journal_by_signal}) {
    for (const auto& [sid, q] : *m) signals.insert(sid);
  }
  for (const auto& sid : signals) {
    const std::int64_t broker = get(broker_by_signal, sid), journal = get(journal_by_signal, sid);
    if (broker != journal) {
      f.add("final: signal " + sid + " (" + signal_ticker[sid] + "): broker fills net " +
            std::to_string(broker) + " shares, the journal's position holds " +
            std::to_string(journal) + " (a fill not booked, or booked twice)");
    }
  }
}

std::set<std::string> ghost_tickers(const SubmitLog& log) {
  std::set<std::string> out;
  for (const auto& o : log.lines) {
    if (o.ghost && o.filled_qty > 0) out.insert(o.ticker);
  }
  return out;
}

void check_ghosts_caught(const SubmitLog& log, const std::vector<JournalEvent>& events,
                         std::int64_t bar_us, std::int64_t bar_time_limit_us, Findings& f) {
  // Each ghost moves the engine's shares of its ticker away from the broker's by its fill. The
  // engine reconciles once per bar time, on its first symbol's bar, so a ghost can be undone by
  // a later one (a ghost close after a ghost entry) before any reconcile saw it: a ghost whose
  // ticker difference is back to zero within the next bar leaves nothing to catch.
  std::vector<const LoggedOrder*> ghosts;
  std::set<std::uint64_t> seen;
  for (const auto& g : log.lines) {
    if (g.ghost && g.filled_qty > 0 && seen.insert(g.seq).second) ghosts.push_back(&g);
  }
  std::map<std::string, std::int64_t> difference;
  std::vector<std::int64_t> after(ghosts.size());  // the ticker's difference after each ghost
  for (std::size_t i = 0; i < ghosts.size(); ++i)
    after[i] = difference[ghosts[i]->ticker] += ghosts[i]->signed_fill();
  for (std::size_t i = 0; i < ghosts.size(); ++i) {
    const LoggedOrder& g = *ghosts[i];
    const std::int64_t bar = (g.ts_us + bar_us - 1) / bar_us * bar_us;
    bool undone = after[i] == 0;
    for (std::size_t j = i + 1; j < ghosts.size() && !undone; ++j) {
      const LoggedOrder& h = *ghosts[j];
      if (h.run != g.run || h.ts_us > bar + bar_us) break;
      undone = h.ticker == g.ticker && after[j] == 0;
    }
    if (undone) continue;
    // A report naming the ticker at that bar or later in the run, else at the next start (a
    // ghost of the shutdown, after the last bar's reconcile).
    const JournalEvent* report = nullptr;
    for (const auto& e : events) {
      const std::string detail = reconciliation_detail(e);
      if (detail.empty() || detail.find(g.ticker) == std::string::npos) continue;
      if ((e.run == g.run && e.ts_us >= bar && e.ts_us < bar_time_limit_us) || e.run == g.run + 1) {
        report = &e;
        break;
      }
    }
    const std::string what = "run " + std::to_string(g.run) + ": ghost fill " + g.client_order_id +
                             " (" + g.side + " " + std::to_string(g.filled_qty) + " " + g.ticker +
                             ")";
    if (!report) {
      f.add(what + " was never reported by the reconciler");
      continue;
    }
    // The reconciler activates its kill just before it reports (same run, same engine time).
    bool kill = std::any_of(events.begin(), events.end(), [&](const JournalEvent& e) {
      return e.run == report->run && e.sequence < report->sequence && e.ts_us == report->ts_us &&
             e.event == "kill_switch" && e.data.is_object() &&
             e.data.value("actor", "") == "reconciler" &&
             level_rank(e.data.value("level", "")) >= 2;
    });
    if (!kill)
      f.add(what + ": reported, but with no reduce_only (or stronger) kill by the reconciler");
  }
}

}  // namespace axion::crash
