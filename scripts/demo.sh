#!/usr/bin/env bash
# Runs fake-bitbank's `demo` scenario on 127.0.0.1 and bbwatch against it.
# Usage: scripts/demo.sh desktop|cli
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-desktop}
urls=$(mktemp)
./target/release/fake-bitbank --scenario demo >"$urls" 2>/dev/null &
sim=$!
trap 'kill $sim 2>/dev/null; rm -f "$urls"' EXIT
for _ in $(seq 50); do
  [ "$(wc -l <"$urls")" -ge 3 ] && break
  sleep 0.1
done
export BBWATCH_API_URL=$(sed -n 's/^api_url=//p' "$urls")
export BBWATCH_PUBLIC_URL=$(sed -n 's/^public_url=//p' "$urls")
export BBWATCH_STREAM_URL=$(sed -n 's/^stream_url=//p' "$urls")
echo "fake-bitbank: $BBWATCH_API_URL  $BBWATCH_PUBLIC_URL"
echo "Maintenance begins after 20 s and ends 25 s later; the cycle repeats. Ctrl-C to stop."
if [ "$mode" = cli ]; then
  ./target/release/bbwatch watch --interval 2s
else
  # The demo's own settings (a 2 s interval), so the user's file is left alone.
  config=$(mktemp -d)
  mkdir -p "$config/bbwatch"
  printf 'interval = "2s"\n' >"$config/bbwatch/config.toml"
  XDG_CONFIG_HOME=$config ./target/release/bbwatch-desktop --show
fi
