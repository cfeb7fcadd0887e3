#!/usr/bin/env bash
# Runs fake-bitbank's `demo` scenario on 127.0.0.1 and `bbwatch watch` against it.
set -euo pipefail
cd "$(dirname "$0")/.."

urls=$(mktemp)
./target/debug/fake-bitbank --scenario demo >"$urls" 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$urls"' EXIT
for _ in $(seq 50); do
  [ "$(wc -l <"$urls")" -ge 2 ] && break
  sleep 0.1
done
api_url=$(sed -n 's/^api_url=//p' "$urls")
public_url=$(sed -n 's/^public_url=//p' "$urls")
echo "fake-bitbank: $api_url  $public_url"
echo "Maintenance begins after 20 s and ends 25 s later; the cycle repeats. Ctrl-C to stop."
./target/debug/bbwatch watch --interval 2s --api-url "$api_url" --public-url "$public_url" "$@"
