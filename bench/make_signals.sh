#!/usr/bin/env bash
# Writes N synthetic signals (default 20000) of timeframe TF (default 5m) in the axion-bench-signals CSV format: a rotating
# universe of tickers so the dedup guard sees repeats, valid stops and targets on both sides.
n=${1:-20000}
tf=${2:-5m}
awk -v n="$n" -v tf="$tf" 'BEGIN {
  srand(7);
  split("AAPL MSFT NVDA AMD META GOOGL AMZN TSLA JPM XOM SPY QQQ IWM NFLX CRM ORCL INTC MU QCOM AVGO", t, " ");
  split("cloud_cross_bullish cloud_bounce_long trend_aligned_long cloud_flip_bullish", lt, " ");
  split("cloud_cross_bearish cloud_bounce_short trend_aligned_short cloud_flip_bearish", st, " ");
  print "ticker,signal_type,direction,timeframe,conviction,entry_price,stop_loss,target_price";
  for (i = 0; i < n; i++) {
    tk = t[int(rand() * 20) + 1] (int(i / 200));
    price = 20 + rand() * 480;
    risk = price * (0.005 + rand() * 0.02);
    conv = 40 + int(rand() * 60);
    if (rand() < 0.6) {
      printf "%s,%s,long,%s,%d,%.2f,%.2f,%.2f\n", tk, lt[int(rand()*4)+1], tf, conv, price, price - risk, price + 2 * risk;
    } else {
      printf "%s,%s,short,%s,%d,%.2f,%.2f,%.2f\n", tk, st[int(rand()*4)+1], tf, conv, price, price + risk, price - 2 * risk;
    }
  }
}'
