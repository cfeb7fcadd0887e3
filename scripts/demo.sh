#!/usr/bin/env bash
# Runs fake-bitbank's `demo` scenario on 127.0.0.1 and bbwatch against it; with `exchanges`,
# the `demo-exchanges` scenario with GMO Coin, bitFlyer and Coincheck watched too.
# Usage: scripts/demo.sh desktop|cli [exchanges]
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-desktop}
scenario=demo
[ "${2:-}" = exchanges ] && scenario=demo-exchanges
urls=$(mktemp)
./target/release/fake-bitbank --scenario "$scenario" >"$urls" 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$urls"' EXIT
for _ in $(seq 50); do
  [ "$(wc -l <"$urls")" -ge 6 ] && break
  sleep 0.1
done
export BBWATCH_API_URL=$(sed -n 's/^api_url=//p' "$urls")
export BBWATCH_PUBLIC_URL=$(sed -n 's/^public_url=//p' "$urls")
export BBWATCH_STREAM_URL=$(sed -n 's/^stream_url=//p' "$urls")
echo "fake-bitbank: $BBWATCH_API_URL  $BBWATCH_PUBLIC_URL"
# The demo's own settings (a 2 s interval), so the user's file is left alone.
config=$(mktemp -d)
mkdir -p "$config/bbwatch"
printf 'interval = "2s"\n' >"$config/bbwatch/config.toml"
if [ "$scenario" = demo-exchanges ]; then
  for name in gmocoin bitflyer coincheck; do
    printf '[exchanges.%s]\nurl = "%s"\n' "$name" "$(sed -n "s/^${name}_url=//p" "$urls")" \
      >>"$config/bbwatch/config.toml"
  done
  echo "bitbank's maintenance begins after 15 s and lasts 25 s; then GMO Coin's (and a bitFlyer"
  echo "circuit break) after 15 s more, for 25 s; the cycle repeats. Ctrl-C to stop."
else
  echo "Maintenance begins after 20 s and ends 25 s later; the cycle repeats. Ctrl-C to stop."
fi
if [ "$mode" = cli ]; then
  XDG_CONFIG_HOME=$config ./target/release/bbwatch watch
else
  XDG_CONFIG_HOME=$config ./target/release/bbwatch-desktop --show
fi
