#!/usr/bin/env bash
# `make package-test`, the Windows part (after `make package`): the setup as a user gets it,
# under Wine, in a fresh prefix of its own that is thrown away after. Runs the setup silently
# (/S) as an English and then as a Japanese user; checks the files, the Start-menu shortcut,
# the AppUserModelID, the Apps-list entry and what the setup says of WebView2; runs the
# *installed* bbwatch.exe against fake-bitbank on 127.0.0.1 (status, and watch recording the
# history), with the user's own configuration; runs the uninstaller silently, and finds
# nothing of bbwatch left in the prefix's files or registry but the user's settings and
# history.
#
# Wine 8 lacks ProcessPrng, which Rust's standard library imports (see scripts/wine-tests.sh):
# the test's shim goes into the prefix's system32, never beside the installed programs, so
# the check for leftovers stays honest. No display, no Mono or Gecko, no menu entries on
# the host (winemenubuilder is off), and HOME is the test's own.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LC_ALL=C.UTF-8

fail() {
  echo "package-test-windows: $*" >&2
  exit 1
}

setups=(target/package/bbwatch-*-x86_64-setup.exe)
[ -f "${setups[0]}" ] || fail "no setup in target/package/: run make package first"
[ ${#setups[@]} -eq 1 ] || fail "more than one setup in target/package/: ${setups[*]}"
setup=$PWD/${setups[0]}
version=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
[ "$setup" = "$PWD/target/package/bbwatch-$version-x86_64-setup.exe" ] ||
  fail "$setup is not version $version's setup: run make package again"
zip=target/package/bbwatch-cli-$version-x86_64-windows.zip
[ -f "$zip" ] || fail "no $zip: run make package first"

. scripts/wine-find.sh
[ -n "$wine" ] && [ -n "$wineserver" ] || fail "Wine is missing (scripts/install-deps.sh package installs it)"

echo "== the CLI zip"
unzip -Z1 "$zip" | sort >"${TMPDIR:-/tmp}/bbwatch-zip.$$"
expected="bbwatch-cli-$version-x86_64-windows/BOTS.md
bbwatch-cli-$version-x86_64-windows/CHANGELOG.md
bbwatch-cli-$version-x86_64-windows/INSTALL.txt
bbwatch-cli-$version-x86_64-windows/LICENSE-APACHE.txt
bbwatch-cli-$version-x86_64-windows/LICENSE-MIT.txt
bbwatch-cli-$version-x86_64-windows/README.md
bbwatch-cli-$version-x86_64-windows/bbwatch.exe"
if [ "$(cat "${TMPDIR:-/tmp}/bbwatch-zip.$$")" != "$expected" ]; then
  diff <(echo "$expected") "${TMPDIR:-/tmp}/bbwatch-zip.$$" >&2 || true
  rm -f "${TMPDIR:-/tmp}/bbwatch-zip.$$"
  fail "the zip does not hold what it should (above: - expected, + found)"
fi
rm -f "${TMPDIR:-/tmp}/bbwatch-zip.$$"
echo "ok: $(basename "$zip"), $(du -k "$zip" | cut -f1) KiB"

# The simulator, native, on 127.0.0.1 only.
cargo build --locked -q -p fake-bitbank
target=${CARGO_TARGET_DIR:-$PWD/target}
fake=$target/debug/fake-bitbank

work=$(mktemp -d)
fake_pid=
cleanup() {
  "$wineserver" -k 2>/dev/null || true
  if [ -n "$fake_pid" ]; then kill "$fake_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

"$fake" --scenario normal >"$work/fake.out" 2>"$work/fake.err" &
fake_pid=$!
for _ in $(seq 100); do
  grep -q '^stream_url=' "$work/fake.out" && break
  sleep 0.1
done
api_url=$(sed -n 's/^api_url=//p' "$work/fake.out")
public_url=$(sed -n 's/^public_url=//p' "$work/fake.out")
stream_url=$(sed -n 's/^stream_url=//p' "$work/fake.out")
for url in "$api_url" "$public_url" "$stream_url"; do
  [[ $url =~ ^(http|ws)://127\.0\.0\.1:[0-9]+(/|$) ]] || fail "fake-bitbank is not on 127.0.0.1: '$url'"
done

export WINEPREFIX=$work/prefix WINELOADER=$wine WINEDEBUG=-all HOME=$work/home
export WINEDLLOVERRIDES="mscoree,mshtml=;winemenubuilder.exe=d"
export DISPLAY= WAYLAND_DISPLAY= LANG=en_US.UTF-8
unset WINEARCH APPDATA LOCALAPPDATA LC_ALL
mkdir -p "$HOME"
w() { "$wine" "$@"; }
# A path in the prefix as Linux sees it.
unix() { w winepath.exe -u "$1" 2>/dev/null | tr -d '\r'; }
# A registry value's data (a string, or a DWORD in decimal), or nothing. Read from an export,
# which is UTF-16: what `reg query` prints goes through the console's code page.
regval() {
  rm -f "$work/value.reg"
  w reg.exe export "$1" "Z:${work//\//\\}\\value.reg" /y >/dev/null 2>&1 || return 0
  python3 - "$work/value.reg" "$2" <<'EOF'
import re, sys
text = open(sys.argv[1], encoding="utf-16").read().replace("\r", "")
text = re.sub(r"\\\n\s*", "", text)  # continued lines
key = text.split("\n[", 2)[1]  # the key itself, not its subkeys
for line in key.split("\n"):
    name, _, data = line.partition("=")
    if name != '"%s"' % sys.argv[2]:
        continue
    if data.startswith('"'):
        print(data[1:-1].replace('\\"', '"').replace("\\\\", "\\"))
    elif data.startswith("hex(2):"):
        raw = bytes(int(b, 16) for b in data[7:].split(","))
        print(raw.decode("utf-16-le").rstrip("\0"))
    elif data.startswith("dword:"):
        print(int(data[6:], 16))
    else:
        print(data)
EOF
}
regkey() { w reg.exe query "$1" >/dev/null 2>&1; }

echo "== a fresh Wine prefix"
start=$SECONDS
w wineboot.exe --init >/dev/null 2>&1
"$wineserver" -w
x86_64-w64-mingw32-gcc -shared -O2 -s -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  tests/wine/bcryptprimitives.c -ladvapi32
localappdata=$(w cmd.exe /c 'echo %LOCALAPPDATA%' | tr -d '\r')
appdata=$(w cmd.exe /c 'echo %APPDATA%' | tr -d '\r')
programs_win=$(w cmd.exe /c 'echo %APPDATA%\Microsoft\Windows\Start Menu\Programs' | tr -d '\r')
inst_win="$localappdata\\Programs\\bbwatch"
inst=$(unix "$inst_win")
programs=$(unix "$programs_win")
"$wineserver" -w
[ -d "$programs" ] || fail "no Start-menu folder at $programs"
echo "prefix ready in $((SECONDS - start)) s: %LOCALAPPDATA% is $localappdata"
# Everything before the setup ran, to compare with what the uninstaller leaves.
snapshot() {
  (cd "$WINEPREFIX/drive_c" && find . -path ./windows -prune -o -print | sort)
}
snapshot >"$work/before.txt"

uninst="$inst_win\\uninstall.exe"
shortcut_en="$programs/bbwatch.lnk"
shortcut_ja="$programs/bitbank メンテナンス監視 (bbwatch).lnk"
aumid_key='HKCU\Software\Classes\AppUserModelId\io.github.bbwatch.desktop'
uninst_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\bbwatch'
run_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Run'
approved_key='HKCU\Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run'

install() {
  local start=$SECONDS
  LANG=$1 w "$setup" /S || fail "the setup failed (exit $?)"
  "$wineserver" -w
  echo "installed in $((SECONDS - start)) s"
  for file in bbwatch-desktop.exe bbwatch.exe WebView2Loader.dll bbwatch.ico bbwatch.png \
    README.md CHANGELOG.md BOTS.md LICENSE-MIT.txt LICENSE-APACHE.txt install.log uninstall.exe; do
    [ -f "$inst/$file" ] || fail "not installed: $inst_win\\$file"
  done
  echo "ok: $(find "$inst" -type f | wc -l) files in $inst_win, $(du -sk "$inst" | cut -f1) KiB"
  # Wine has no WebView2: the setup says what to install, and where (no download).
  iconv -f UTF-16 -t UTF-8 "$inst/install.log" >"$work/install.log"
  grep -q 'https://developer.microsoft.com/microsoft-edge/webview2/' "$work/install.log" ||
    fail "install.log does not say where to get WebView2: $(cat "$work/install.log")"
  echo "ok: install.log: $(sed -n 2p "$work/install.log" | cut -c1-100)…"
}

check_registered() {
  local name=$1
  [ "$(regval "$aumid_key" DisplayName)" = "$name" ] || fail "AppUserModelId's DisplayName is not $name"
  [ "$(regval "$aumid_key" IconUri)" = "$inst_win\\bbwatch.png" ] || fail "AppUserModelId's IconUri is wrong"
  [ "$(regval "$uninst_key" DisplayName)" = bbwatch ] || fail "no Apps-list entry"
  [ "$(regval "$uninst_key" DisplayVersion)" = "$version" ] || fail "the Apps-list entry's version is not $version"
  [ "$(regval "$uninst_key" UninstallString)" = "\"$uninst\"" ] || fail "the Apps-list entry's UninstallString is wrong"
  [ "$(regval "$uninst_key" QuietUninstallString)" = "\"$uninst\" /S" ] || fail "no QuietUninstallString"
  echo "ok: $aumid_key (DisplayName $name), $uninst_key"
}

uninstall() {
  local start=$SECONDS
  # As Settings > Apps runs it: the uninstaller copies itself to %TEMP% and goes on from there.
  w "$uninst" /S || fail "the uninstaller failed (exit $?)"
  "$wineserver" -w
  echo "uninstalled in $((SECONDS - start)) s"
}

echo "== the setup, silently, as an English user"
install en_US.UTF-8
[ -f "$shortcut_en" ] || fail "no Start-menu shortcut $shortcut_en"
[ ! -e "$shortcut_ja" ] || fail "the Japanese shortcut is there for an English user"
echo "ok: Start menu: bbwatch.lnk"
check_registered bbwatch
# The shortcut's System.AppUserModel.ID: Wine's shell link keeps no property store, so it is
# set (the setup's details say so) but cannot be read back here.
if LC_ALL=C grep -qaP 'i\x00o\x00\.\x00g\x00i\x00t\x00h\x00u\x00b\x00\.\x00b\x00b\x00w\x00a\x00t\x00c\x00h' "$shortcut_en"; then
  echo "ok: the shortcut carries the AppUserModelID"
else
  echo "note: the shortcut carries no AppUserModelID under Wine (its IPropertyStore keeps none)"
fi

echo "== the installed bbwatch.exe against fake-bitbank"
# The user's own settings, which the uninstaller must leave: Japanese output shows they are read.
mkdir -p "$(unix "$appdata")/bbwatch"
printf 'language = "ja"\n' >"$(unix "$appdata")/bbwatch/config.toml"
urls=(--api-url "$api_url" --public-url "$public_url")
set +e
w "$inst_win\\bbwatch.exe" status "${urls[@]}" --no-stream >"$work/status.out" 2>"$work/status.err"
code=$?
set -e
tr -d '\r' <"$work/status.out"
[ "$code" -eq 0 ] || fail "bbwatch status exited $code (0 is normal): $(cat "$work/status.err")"
grep -q '正常' "$work/status.out" || fail "bbwatch status did not answer in the configured language"
w "$inst_win\\bbwatch.exe" --version | tr -d '\r' | grep -qx "bbwatch $version" ||
  fail "the installed bbwatch.exe is not version $version"
echo "ok: bbwatch status: normal (exit 0), in Japanese from %APPDATA%\\bbwatch\\config.toml"

# watch records the history under %LOCALAPPDATA%\bbwatch, the user's too.
# (Wine itself, not a function around it: the signal below must reach bbwatch.exe.)
"$wine" "$inst_win\\bbwatch.exe" watch --json --interval 1s --timeout 2s "${urls[@]}" \
  --stream-url "$stream_url" >"$work/watch.out" 2>"$work/watch.err" &
watch_pid=$!
for _ in $(seq 300); do
  [ -s "$work/watch.out" ] && break
  sleep 0.1
done
kill -INT "$watch_pid" 2>/dev/null || true
wait "$watch_pid" || true
[ -s "$work/watch.out" ] || fail "bbwatch watch printed no event: $(cat "$work/watch.err")"
echo "bbwatch watch: $(head -c 100 "$work/watch.out")…"
history=$(unix "$localappdata")/bbwatch/history.sqlite3
[ -f "$history" ] || fail "bbwatch watch recorded no history in %LOCALAPPDATA%\\bbwatch"
echo "ok: history in %LOCALAPPDATA%\\bbwatch\\history.sqlite3"

# What the app writes as it runs: start at login (tauri-plugin-autostart: "bbwatch" in the
# Run key, and its Task Manager twin) and WebView2's cache of its window.
w reg.exe add "$run_key" /v bbwatch /d "$inst_win\\bbwatch-desktop.exe " /f >/dev/null
w reg.exe add "$approved_key" /v bbwatch /t REG_BINARY /d 020000000000000000000000 /f >/dev/null
w reg.exe add "$run_key" /v SomeoneElse /d 'C:\other\other.exe' /f >/dev/null
mkdir -p "$(unix "$localappdata")/io.github.bbwatch.desktop/EBWebView/Default"
echo cache >"$(unix "$localappdata")/io.github.bbwatch.desktop/EBWebView/Default/Cache"

echo "== the uninstaller, silently"
uninstall
[ ! -e "$inst" ] || fail "left behind: $inst_win: $(find "$inst")"
[ ! -e "$shortcut_en" ] || fail "left behind: the Start-menu shortcut"
for key in "$aumid_key" "$uninst_key"; do
  ! regkey "$key" || fail "left behind: $key"
done
[ -z "$(regval "$run_key" bbwatch)" ] || fail "left behind: the Run value bbwatch"
[ -z "$(regval "$approved_key" bbwatch)" ] || fail "left behind: the StartupApproved value bbwatch"
[ -n "$(regval "$run_key" SomeoneElse)" ] || fail "the uninstaller removed another program's Run value"
w reg.exe delete "$run_key" /v SomeoneElse /f >/dev/null
[ ! -e "$(unix "$localappdata")/io.github.bbwatch.desktop" ] || fail "left behind: WebView2's cache"
echo "ok: files, shortcut, registry keys, start at login and WebView2's cache are gone"

echo "== the setup and the uninstaller as a Japanese user"
install ja_JP.UTF-8
[ -f "$shortcut_ja" ] || fail "no Japanese Start-menu shortcut: $(ls "$programs")"
[ ! -e "$shortcut_en" ] || fail "the English shortcut is there for a Japanese user"
echo "ok: Start menu: $(basename "$shortcut_ja")"
check_registered 'bitbank メンテナンス監視 (bbwatch)'
grep -q 'WebView2 ランタイム: 未インストール' "$work/install.log" || fail "install.log is not in Japanese"
uninstall
[ ! -e "$inst" ] || fail "left behind: $inst_win"
[ ! -e "$shortcut_ja" ] || fail "left behind: the Japanese shortcut"

echo "== nothing left but the user's files"
# The uninstaller runs from a copy in %TEMP% that it leaves to be deleted at the next restart,
# as every NSIS uninstaller does: restart Wine's "Windows" first.
w wineboot.exe --restart >/dev/null 2>&1
"$wineserver" -w
snapshot >"$work/after.txt"
# %LOCALAPPDATA%\Programs is Windows' per-user program folder (FOLDERID_UserProgramFiles),
# made by whatever installs there first and left as Windows leaves it. The restart emptied the
# uninstaller's ~nsu*.tmp folders in %TEMP% but Wine's leaves the folders themselves: empty
# ones are allowed (anything in them is not).
allowed="./users/[^/]*/AppData/(Roaming|Local)/bbwatch(/.*)?|./users/[^/]*/AppData/Local/Programs"
allowed+="|./users/[^/]*/(AppData/Local/)?Temp/~nsu[0-9]*\.tmp"
left=$(comm -13 "$work/before.txt" "$work/after.txt" | grep -Ev "^($allowed)$" || true)
[ -z "$left" ] || fail "left behind in the prefix: $left"
temp=$(comm -13 "$work/before.txt" "$work/after.txt" | grep -E '/~nsu[0-9]*\.tmp$' || true)
[ -z "$temp" ] || echo "note: empty in %TEMP%: $(echo $temp | sed 's|[^ ]*/||g')"
left=$(grep -il 'bbwatch' "$WINEPREFIX"/*.reg || true)
if [ -n "$left" ]; then
  grep -i 'bbwatch' "$WINEPREFIX"/*.reg >&2
  fail "left behind in the registry (above)"
fi
if [ -n "$(find "$HOME" -iname '*bbwatch*' -print -quit)" ]; then
  fail "bbwatch left something in HOME: $(find "$HOME" -iname '*bbwatch*')"
fi
for kept in "$(unix "$appdata")/bbwatch/config.toml" "$history"; do
  [ -f "$kept" ] || fail "the user's $kept is gone"
done
echo "ok: nothing of bbwatch is left; the user's %APPDATA%\\bbwatch\\config.toml and %LOCALAPPDATA%\\bbwatch\\history.sqlite3 are kept"
echo "package-test-windows: passed"
