#!/usr/bin/env bash
# Takes the status window's screenshots for docs/screenshots/: Japanese and English, light and
# dark, the real app under Xvfb against fake-bitbank on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BIN_DIR:-target/release}
out=docs/screenshots
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

shoot() {
  local lang=$1 theme=$2 n=$3 scenario=${4:-scripts/screenshot-scenario.toml} wait=${5:-14} name=${6:-status-$1-$2}
  local display=:$((140 + n))
  Xvfb "$display" -screen 0 560x640x24 -nolisten tcp >/dev/null 2>&1 &
  local xvfb=$!
  "$bin/fake-bitbank" --scenario "$scenario" >"$work/urls" 2>/dev/null &
  local sim=$!
  sleep 1
  mkdir -p "$work/$n/bbwatch"
  printf 'interval = "1s"\nlanguage = "%s"\n' "$lang" >"$work/$n/bbwatch/config.toml"
  local gtk_theme=Adwaita
  [ "$theme" = dark ] && gtk_theme=Adwaita:dark
  DISPLAY=$display GTK_THEME=$gtk_theme XDG_CONFIG_HOME="$work/$n" XDG_DATA_HOME="$work/$n/data" \
    DBUS_SESSION_BUS_ADDRESS=disabled: NO_AT_BRIDGE=1 TZ=Asia/Tokyo \
    BBWATCH_API_URL=$(sed -n 's/^api_url=//p' "$work/urls") \
    BBWATCH_PUBLIC_URL=$(sed -n 's/^public_url=//p' "$work/urls") \
    "$bin/bbwatch-desktop" --show >/dev/null 2>&1 &
  local app=$!
  sleep "$wait"
  import -display "$display" -window root -define png:exclude-chunks=date,time "$out/$name.png"
  kill $app $sim $xvfb 2>/dev/null || true
  wait $app $sim $xvfb 2>/dev/null || true
}

n=0
for lang in en ja; do
  for theme in light dark; do
    shoot "$lang" "$theme" $n
    n=$((n + 1))
  done
done
# During a maintenance (the demo scenario's starts at 20 s): pairs are not known.
for lang in en ja; do
  shoot "$lang" light $n demo 24 "maintenance-$lang"
  n=$((n + 1))
done
ls -l "$out"
