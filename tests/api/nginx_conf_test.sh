#!/usr/bin/env bash
# The nginx example must never write a query string (ws://…/ws/bot?token=ax_… carries a key) to
# its access log (issue 9 #13): every access_log names a log_format of the file (the default
# `combined` logs "$request", query included), and no log_format uses $request, $request_uri,
# $args, $query_string or $arg_*. With nginx installed, the file must also pass `nginx -t`.
set -euo pipefail
conf="$1"
fail() { echo "nginx conf test: $*"; exit 1; }

# Join each directive onto one line (log_format values span lines), drop comments.
directives=$(sed 's/#.*//' "$conf" | tr '\n' ' ' | tr ';{}' '\n\n\n')

formats=$(grep -oE '^[[:space:]]*log_format[[:space:]]+[A-Za-z0-9_]+' <<<"$directives" | awk '{print $2}' || true)
[[ -n "$formats" ]] || fail "no log_format: the default 'combined' logs the query string"
while IFS= read -r line; do
  if grep -qE '\$(request\b|request_uri|args|query_string|arg_)' <<<"$line"; then
    fail "a log_format logs the query string: $line"
  fi
done < <(grep -E '^[[:space:]]*log_format' <<<"$directives")

logs=$(grep -E '^[[:space:]]*access_log[[:space:]]' <<<"$directives" || true)
[[ -n "$logs" ]] || fail "no access_log directive: nginx would log in 'combined'"
while IFS= read -r line; do
  read -r _ target format _ <<<"$line"
  [[ "$target" == "off" ]] && continue
  grep -qxF "${format:-combined}" <<<"$formats" || fail "access_log without a query-free format: $line"
done <<<"$logs"

if command -v nginx >/dev/null; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  sed "s#/var/log/nginx/access.log#$tmp/access.log#" "$conf" >"$tmp/nginx.conf"
  nginx -t -q -p "$tmp" -c "$tmp/nginx.conf" -g "error_log $tmp/error.log; pid $tmp/nginx.pid;" ||
    fail "nginx -t refused the file"
fi
echo "nginx conf test: no query string is logged"
