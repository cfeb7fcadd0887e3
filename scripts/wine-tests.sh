#!/usr/bin/env bash
# The CLI's end-to-end tests listed in tests/wine/cli-tests.txt, run again against the Windows
# bbwatch.exe under Wine, then the tray app's (tests/tests/wine_tray.rs: bbwatch-desktop.exe
# in Wine's virtual desktop on Xvfb), against fake-bitbank on 127.0.0.1 (make test; the
# native test binaries must be built, and the exes by
# `cargo build --target x86_64-pc-windows-gnu -p bbwatch-cli -p bbwatch-desktop`).
#
# Wine runs in a prefix of the tests' own (target/wine-prefix, made once), with one persistent
# wineserver for the whole run (each bbwatch.exe then starts in a fraction of a second), no
# display, and no Mono or Gecko to offer: nothing asks a person anything.
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-$PWD/target}
exe=$target/x86_64-pc-windows-gnu/debug/bbwatch.exe
desktop_exe=$target/x86_64-pc-windows-gnu/debug/bbwatch-desktop.exe
list=tests/wine/cli-tests.txt
for f in "$exe" "$desktop_exe"; do
  [ -f "$f" ] || { echo "$0: no $f: build it first" >&2; exit 1; }
done

. scripts/wine-find.sh
if [ -z "$wine" ] || [ -z "$wineserver" ]; then
  echo "$0: Wine is missing (scripts/install-deps.sh test installs it)" >&2
  exit 1
fi

# Rust's standard library needs ProcessPrng, which Wine has only from version 9: a shim
# beside the .exe (a test harness's, never shipped).
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$(dirname "$exe")/bcryptprimitives.dll" \
  tests/wine/bcryptprimitives.c -ladvapi32
# What Wine's shell shows (tray icons, tooltips, balloons, windows), for the tray test.
probe=$target/wine-tools/shell-probe.exe
mkdir -p "$(dirname "$probe")"
x86_64-w64-mingw32-gcc -O2 -Wall -Werror -o "$probe" tests/wine/shell-probe.c -lcomctl32
# And what puts the API key into the Credential Manager before the tray app starts.
store_credential=$target/wine-tools/store-credential.exe
x86_64-w64-mingw32-gcc -municode -O2 -Wall -Werror -o "$store_credential" \
  tests/wine/store-credential.c -ladvapi32

export WINEPREFIX=$target/wine-prefix WINELOADER=$wine WINEDEBUG=-all
export WINEDLLOVERRIDES="mscoree,mshtml=" DISPLAY= WAYLAND_DISPLAY=
unset WINEARCH
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  echo "Making the Wine prefix $WINEPREFIX"
  rm -rf "$WINEPREFIX"
  "$wine" wineboot.exe --init >/dev/null 2>&1
  "$wineserver" -w
fi
"$wineserver" -p
trap '"$wineserver" -k 2>/dev/null || true' EXIT
"$wine" cmd.exe /c exit >/dev/null 2>&1
# Each session's wineboot writes %APPDATA% and %LOCALAPPDATA% into the registry, and the
# registry's value beats the environment's: the tests give every run directories of its own,
# so this session has none.
for var in APPDATA LOCALAPPDATA; do
  "$wine" reg.exe delete 'HKCU\Volatile Environment' /v $var /f >/dev/null 2>&1 || true
done
seen=$(APPDATA='Z:\bbwatch-probe' "$wine" cmd.exe /c 'echo %APPDATA%' | tr -d '\r')
if [ "$seen" != 'Z:\bbwatch-probe' ]; then
  echo "$0: Wine does not pass %APPDATA% through (got $seen)" >&2
  exit 1
fi

export BBWATCH_TEST_WINE=$wine BBWATCH_TEST_WINE_EXE=$exe
# Tests by name, file by file; each must have run and passed (a name that matches nothing is
# a failure, not a pass).
failed=0
for file in $(grep -v '^#' "$list" | sed -n 's/::.*//p' | sort -u); do
  mapfile -t names < <(grep -v '^#' "$list" | sed -n "s/^$file:://p")
  log=$(mktemp)
  if ! ${CARGO:-cargo} test --workspace --test "$file" -- --exact "${names[@]}" 2>&1 | tee "$log"; then
    failed=1
  fi
  for name in "${names[@]}"; do
    grep -q "^test $name \.\.\. ok$" "$log" || { echo "under Wine: $file::$name did not pass" >&2; failed=1; }
  done
  rm -f "$log"
done

# The tray app, in a Wine session of its own: the CLI's has no display.
"$wineserver" -k 2>/dev/null || true
"$wineserver" -w 2>/dev/null || true
export BBWATCH_TEST_WINESERVER=$wineserver BBWATCH_TEST_WINE_DESKTOP_EXE=$desktop_exe
export BBWATCH_TEST_WINE_PROBE=$probe BBWATCH_TEST_WINE_STORE_CREDENTIAL=$store_credential
name=the_windows_tray_shows_the_level_and_tells_a_maintenance_in_balloons
log=$(mktemp)
if ! ${CARGO:-cargo} test -p bbwatch-e2e --test wine_tray -- --ignored --exact "$name" 2>&1 | tee "$log"; then
  failed=1
fi
grep -q "^test $name \.\.\. ok$" "$log" || { echo "under Wine: wine_tray::$name did not pass" >&2; failed=1; }
rm -f "$log"
exit $failed
