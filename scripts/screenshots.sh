#!/usr/bin/env bash
# Takes the status and settings windows' screenshots for docs/screenshots/: Japanese and
# English, light and dark, the real app under Xvfb against fake-bitbank on 127.0.0.1.
# SETTINGS_ONLY=1 takes only the settings window's, HISTORY_ONLY=1 only the History view's.
set -euo pipefail
cd "$(dirname "$0")/.."
# The window (560×640) centred on a screen with room around it, as the app sizes it to the
# work area: the shot is the window alone.
window=560x640+20+40
bin=${BIN_DIR:-target/release}
out=docs/screenshots
mkdir -p "$out"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$work"' EXIT

shoot() {
  local lang=$1 theme=$2 n=$3 scenario=${4:-scripts/screenshot-scenario.toml} wait=${5:-14} name=${6:-status-$1-$2}
  local display=:$((140 + n))
  Xvfb "$display" -screen 0 600x720x24 -nolisten tcp >/dev/null 2>&1 &
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
    BBWATCH_STREAM_URL=$(sed -n 's/^stream_url=//p' "$work/urls") \
    "$bin/bbwatch-desktop" --show >/dev/null 2>&1 &
  local app=$!
  sleep "$wait"
  import -display "$display" -window root -crop "$window" +repage -define png:exclude-chunks=date,time "$out/$name.png"
  kill $app $sim $xvfb 2>/dev/null || true
  wait $app $sim $xvfb 2>/dev/null || true
}

# A window as the tray opens it (a window process on `section`: settings or history), once the
# scenario has halted btc_jpy (so the pair list shows a pair apart, with why). `config` is the
# file's text (a bad one shows how the window opens on the problem); with `sample`, the history
# is tests/src/history_sample.rs's. Each `name:wheel` after them is one shot, taken after
# scrolling down that many mouse-wheel steps.
shoot_window() {
  local lang=$1 theme=$2 n=$3 section=$4 config=$5 sample=$6
  shift 6
  local display=:$((140 + n))
  Xvfb "$display" -screen 0 600x720x24 -nolisten tcp >/dev/null 2>&1 &
  local xvfb=$!
  "$bin/fake-bitbank" --scenario scripts/screenshot-scenario.toml >"$work/urls" 2>/dev/null &
  local sim=$!
  sleep 1
  mkdir -p "$work/$n/bbwatch" "$work/$n/data/bbwatch"
  printf '%b' "$config" >"$work/$n/bbwatch/config.toml"
  [ "$sample" = sample ] && "$bin/sample-history" "$work/$n/data/bbwatch/history.sqlite3"
  local gtk_theme=Adwaita
  [ "$theme" = dark ] && gtk_theme=Adwaita:dark
  # Without a session bus, the Japanese locale's input method would hang the window as soon
  # as a text field has the focus (the bad file's shot focuses its field): GTK's own one is used.
  local env=(DISPLAY=$display GTK_THEME=$gtk_theme GTK_IM_MODULE=gtk-im-context-simple XDG_CONFIG_HOME="$work/$n"
    XDG_DATA_HOME="$work/$n/data" XDG_RUNTIME_DIR="$work/$n" DBUS_SESSION_BUS_ADDRESS=disabled:
    NO_AT_BRIDGE=1 TZ=Asia/Tokyo LANG="$([ "$lang" = ja ] && echo ja_JP.UTF-8 || echo C.UTF-8)"
    BBWATCH_API_URL="$(sed -n 's/^api_url=//p' "$work/urls")"
    BBWATCH_PUBLIC_URL="$(sed -n 's/^public_url=//p' "$work/urls")"
    BBWATCH_STREAM_URL="$(sed -n 's/^stream_url=//p' "$work/urls")")
  env "${env[@]}" "$bin/bbwatch-desktop" >/dev/null 2>&1 &
  local app=$!
  sleep 9
  env "${env[@]}" "$bin/bbwatch-desktop" --window --section="$section" >/dev/null 2>&1 &
  local win=$!
  sleep 12
  local shot scrolled=0
  for shot in "$@"; do
    local name=${shot%%:*} wheel=${shot##*:}
    if [ "$wheel" -gt "$scrolled" ]; then
      DISPLAY=$display xdotool mousemove 280 300 click --repeat $((wheel - scrolled)) --delay 50 5
      scrolled=$wheel
      sleep 1
    fi
    # The pointer is moved off the window so that no hover shows.
    DISPLAY=$display xdotool mousemove 559 0
    sleep 0.5
    import -display "$display" -window root -crop "$window" +repage -define png:exclude-chunks=date,time "$out/$name.png"
  done
  kill $win $app $sim $xvfb 2>/dev/null || true
  wait $win $app $sim $xvfb 2>/dev/null || true
}

n=30
for lang in en ja; do
  for theme in light dark; do
    shoot_window "$lang" "$theme" $n history "interval = \"30s\"\nlanguage = \"$lang\"\n" sample \
      "history-$lang-$theme:0" "history-$lang-$theme-periods:8"
    n=$((n + 1))
  done
done
[ "${HISTORY_ONLY:-}" = 1 ] && { ls -l "$out"; exit 0; }

n=20
for lang in en ja; do
  for theme in light dark; do
    shoot_window "$lang" "$theme" $n settings \
      "# my settings\ninterval = \"30s\"\nlanguage = \"$lang\"\n[notifications]\nquiet_hours = \"23:00-07:00\"\n" - \
      "settings-$lang-$theme:0" "settings-$lang-$theme-pairs:5" "settings-$lang-$theme-unavailable:14" \
      "settings-$lang-$theme-notifications:24" "settings-$lang-$theme-more:40" \
      "settings-$lang-$theme-about:80"
    n=$((n + 1))
  done
done
# A file with an interval below the minimum: the window opens on it.
for lang in en ja; do
  shoot_window "$lang" light $n settings "interval = \"500ms\"\nlanguage = \"$lang\"\n" - "settings-$lang-invalid:0"
  n=$((n + 1))
done
# "Also send to…": channels the file has. Each is told only of an event the scenario never
# makes (unreachable_ended), so nothing is sent anywhere.
channel_file='interval = "30s"\nlanguage = "en"\n[notifications]\nquiet_hours = "23:00-07:00"\n'
channel_file+='[[channels]]\nkind = "ntfy"\nname = "phone"\nurl = "https://ntfy.sh/my-bitbank-alerts"\non = ["unreachable_ended"]\n'
channel_file+='[[channels]]\nkind = "telegram"\nto = "123456789"\non = ["unreachable_ended"]\n'
channel_file+='[[channels]]\nkind = "email"\nto = ["me@example.com"]\nsmtp_host = "smtp.example.com"\nusername = "me@example.com"\non = ["unreachable_ended"]\n'
shoot_window en light $n settings "$channel_file" - "settings-channels-en:24"
n=$((n + 1))
[ "${SETTINGS_ONLY:-}" = 1 ] && { ls -l "$out"; exit 0; }

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
