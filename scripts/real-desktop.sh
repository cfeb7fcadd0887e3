#!/usr/bin/env bash
# The tray app on a real XFCE desktop under Xvfb: xfwm4, xfce4-panel's systray hosting our
# StatusNotifierItem, xfce4-notifyd showing our notifications, fake-bitbank on 127.0.0.1 playing
# the demo scenario (normal 20 s, maintenance 25 s, normal 20 s). Takes docs/screenshots/desktop-*.png:
# the whole (small) screen during the maintenance: the panel, the tooltip of our icon, and the
# notification that announced it.
# Usage: scripts/real-desktop.sh [en|ja]   (BIN_DIR=target/debug to use a debug build)
set -euo pipefail
cd "$(dirname "$0")/.."
lang=${1:-en}
bin=${BIN_DIR:-target/release}
out=docs/screenshots
mkdir -p "$out"
for tool in Xvfb dbus-launch xfwm4 xfce4-panel xdotool import; do
  command -v "$tool" >/dev/null || {
    echo "missing $tool: see scripts/install-deps.sh desktop" >&2
    exit 1
  }
done
work=$(mktemp -d)
chmod 700 "$work"
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  [ -n "${DBUS_SESSION_BUS_PID:-}" ] && kill "$DBUS_SESSION_BUS_PID" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

display=:$((170 + RANDOM % 20))
Xvfb "$display" -screen 0 900x420x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
sleep 1
export DISPLAY=$display HOME=$work XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
export XDG_RUNTIME_DIR=$work/run XDG_CACHE_HOME=$work/cache NO_AT_BRIDGE=1 TZ=Asia/Tokyo
mkdir -p "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/bbwatch" "$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml"
chmod 700 "$XDG_RUNTIME_DIR"
if [ "$lang" = ja ]; then
  export LANG=ja_JP.UTF-8 LC_ALL=ja_JP.UTF-8
else
  export LANG=en_US.UTF-8 LC_ALL=en_US.UTF-8
fi
# One panel along the top, a launcher-less bar with the systray at its right end.
cat >"$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml/xfce4-panel.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="30"/>
      <property name="icon-size" type="uint" value="22"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
        <value type="int" value="3"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="icon-size" type="int" value="22"/>
      <property name="square-icons" type="bool" value="true"/>
    </property>
    <property name="plugin-3" type="string" value="clock"/>
  </property>
</channel>
XML
# Popups at the bottom right, so the tooltip under the icon has room.
cat >"$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml/xfce4-notifyd.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-notifyd" version="1.0">
  <property name="notify-location" type="uint" value="3"/>
  <property name="initial-opacity" type="double" value="1"/>
</channel>
XML
printf 'language = "%s"\ninterval = "2s"\n' "$lang" >"$XDG_CONFIG_HOME/bbwatch/config.toml"
eval "$(dbus-launch --sh-syntax)"
xfwm4 --compositor=off >/dev/null 2>&1 &
pids+=($!)
xfce4-panel >/dev/null 2>&1 &
pids+=($!)
/usr/lib/x86_64-linux-gnu/xfce4/notifyd/xfce4-notifyd >/dev/null 2>&1 &
pids+=($!)
sleep 3
"$bin/fake-bitbank" --scenario demo >"$work/urls" 2>/dev/null &
pids+=($!)
sleep 1
BBWATCH_API_URL=$(sed -n 's/^api_url=//p' "$work/urls") \
  BBWATCH_PUBLIC_URL=$(sed -n 's/^public_url=//p' "$work/urls") \
  BBWATCH_STREAM_URL=$(sed -n 's/^stream_url=//p' "$work/urls") \
  "$bin/bbwatch-desktop" >"$work/app.log" 2>&1 &
pids+=($!)
sleep 24 # past the first 20 s of normal: the maintenance has begun and been announced
shot=$work/shot.png
import -display "$display" -window root "$shot"
# The tray icon is the one coloured thing in the panel: find it, and hover it for the tooltip.
read -r x y < <(convert "$shot" -crop 900x30+0+0 txt:- | awk -F'[ ,:()]+' '
  NR > 1 { r = $3; g = $4; b = $5; mx = r; mn = r
           if (g > mx) mx = g; if (b > mx) mx = b; if (g < mn) mn = g; if (b < mn) mn = b
           if (mx - mn > 80) { sx += $1; sy += $2; n++ } }
  END { if (n) printf "%d %d\n", sx / n, sy / n; else print "0 0" }')
echo "tray icon at $x,$y"
xdotool mousemove "$x" "$y"
sleep 2
import -display "$display" -window root "$shot"
convert "$shot" -define png:exclude-chunks=date,time "$out/desktop-$lang.png"
echo "wrote $out/desktop-$lang.png"
