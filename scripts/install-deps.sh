#!/usr/bin/env bash
# Installs what bbwatch needs and is missing, on Debian/Ubuntu.
# Usage: scripts/install-deps.sh [build|test|bench|desktop|package]
#   build:   compilers and the libraries the tray app links (WebKitGTK, …)
#   test:    build + a private X server and D-Bus, WebKitWebDriver, ImageMagick, xdotool and
#            the ja_JP.UTF-8 locale, Node.js,
#            promtool (Debian's prometheus package: the serve tests check /metrics with it),
#            gnome-keyring and secret-tool (the API key's keyring, in the test's own session),
#            and for the Windows build: the Rust target x86_64-pc-windows-gnu, mingw-w64 and
#            Wine (the CLI's tests run bbwatch.exe under it), and for the macOS check: the Rust
#            target aarch64-apple-darwin and zig (PyPI's ziglang, in a venv of its own under
#            ~/.cache/bbwatch; python3-venv makes the venv), and freqtrade with ccxt (PyPI, in
#            their own venv under ~/.cache/bbwatch: a test runs docs/bots.md's freqtrade and
#            ccxt recipes with them)
#   package: test + lintian and desktop-file-validate (make package-test checks the .deb),
#            makensis (Debian's nsis: the Windows setup) and zip/unzip (the Windows CLI zip)
#   desktop: test + a real XFCE panel and notification daemon, CJK fonts and the ja/en locales
#            (for scripts/real-desktop.sh)
set -euo pipefail

what=${1:-build}
case $what in
  build | test | bench | desktop | package) ;;
  *) echo "usage: $0 [build|test|bench|desktop|package]" >&2; exit 2 ;;
esac
# Node.js and npm: the window's chart library comes from npm (scripts/ui-deps.sh).
# libayatana-appindicator3-dev: Tauri's bundler (make package) looks it up to name the tray
# library the .deb depends on.
packages=(build-essential pkg-config curl libwebkit2gtk-4.1-dev librsvg2-dev libxdo-dev libssl-dev nodejs npm
  libayatana-appindicator3-dev)
if [ "$what" != build ]; then
  # python3 and systemd (systemd-analyze): docs/bots.md's examples are run by the tests;
  # prometheus for promtool, which checks /metrics; gnome-keyring and libsecret-tools
  # (secret-tool): the tray keeps the API key in the Secret Service, which tests read back.
  # xdotool and the ja_JP locale: a test types into the window as a Japanese user does.
  # pulseaudio, pulseaudio-utils and the freedesktop sound theme: a test hears the popup's
  # sound that bbwatch plays where the notification server plays none.
  packages+=(xvfb dbus dbus-x11 x11-utils imagemagick webkit2gtk-driver python3 systemd
    prometheus gnome-keyring libsecret-tools xdotool locales pulseaudio pulseaudio-utils
    sound-theme-freedesktop)
  # The workspace cross-compiled for Windows (mingw-w64 links it), and bbwatch.exe tested under
  # Wine (scripts/wine-tests.sh).
  packages+=(gcc-mingw-w64-x86-64 wine wine64)
  # The macOS check's C compiler, zig, comes from PyPI into a venv (below).
  packages+=(python3-venv)
fi
if [ "$what" = package ]; then
  packages+=(lintian desktop-file-utils nsis zip unzip)
fi
if [ "$what" = desktop ]; then
  packages+=(xfce4-panel xfconf xfwm4 xfce4-notifyd fonts-noto-cjk adwaita-icon-theme
    hicolor-icon-theme librsvg2-common)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node.js and npm from elsewhere (nvm, NodeSource, a tarball) are as good as Debian's.
if command -v node >/dev/null; then
  missing=("${missing[@]/nodejs}")
fi
if command -v npm >/dev/null; then
  missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]}"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    echo "Installing: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "Please install: ${missing[*]}" >&2
    exit 1
  fi
fi

if [ "$what" != build ] && ! locale -a 2>/dev/null | grep -qi '^ja_JP.utf8$'; then
  as_root sed -i 's/^# *\(ja_JP.UTF-8\)/\1/; s/^# *\(en_US.UTF-8\)/\1/' /etc/locale.gen
  as_root locale-gen >/dev/null
fi

if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
  echo "Installing the Rust toolchain with rustup (https://rustup.rs)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
fi
if [ "$what" != build ] && command -v rustup >/dev/null &&
  ! rustup target list --installed | grep -qx x86_64-pc-windows-gnu; then
  rustup target add x86_64-pc-windows-gnu
fi
# macOS is checked (clippy), not built: the Rust target, and zig as the C compiler of build
# scripts (scripts/zig-cc-macos) — PyPI's ziglang in a venv of its own, which needs no root
# and leaves Debian's externally managed Python alone.
if [ "$what" != build ] && command -v rustup >/dev/null &&
  ! rustup target list --installed | grep -qx aarch64-apple-darwin; then
  rustup target add aarch64-apple-darwin
fi
ziglang=${XDG_CACHE_HOME:-$HOME/.cache}/bbwatch/ziglang zig_version=0.17.1
if [ "$what" != build ] &&
  ! "$ziglang/bin/python" -c "import importlib.metadata as m; assert m.version('ziglang') == '$zig_version'" 2>/dev/null; then
  echo "Installing zig $zig_version (PyPI's ziglang) into $ziglang"
  rm -rf "$ziglang"
  python3 -m venv "$ziglang"
  "$ziglang/bin/python" -m pip install --quiet --disable-pip-version-check "ziglang==$zig_version"
fi
# The e-mail channel's tests deliver to a real SMTP server: PyPI's aiosmtpd, in a venv of its
# own (tests/src/peers.rs finds it there).
aiosmtpd=${XDG_CACHE_HOME:-$HOME/.cache}/bbwatch/aiosmtpd aiosmtpd_version=1.4.6
if [ "$what" = test ] &&
  ! "$aiosmtpd/bin/python" -c "import importlib.metadata as m; assert m.version('aiosmtpd') == '$aiosmtpd_version'" 2>/dev/null; then
  echo "Installing aiosmtpd $aiosmtpd_version (PyPI) into $aiosmtpd"
  rm -rf "$aiosmtpd"
  python3 -m venv "$aiosmtpd"
  "$aiosmtpd/bin/python" -m pip install --quiet --disable-pip-version-check "aiosmtpd==$aiosmtpd_version"
fi
# docs/bots.md's freqtrade and ccxt recipes are run by a test (crates/bbwatch-cli/tests/
# bots_freqtrade.rs) with the real freqtrade in dry-run, ccxt pinned beside it: a venv of their
# own, like zig's (about 40 s and 800 MB the first time).
freqtrade=${XDG_CACHE_HOME:-$HOME/.cache}/bbwatch/freqtrade freqtrade_version=2026.9 ccxt_version=4.5.90
if [ "$what" = test ] &&
  ! "$freqtrade/bin/python" -c "import importlib.metadata as m; assert m.version('freqtrade') == '$freqtrade_version' and m.version('ccxt') == '$ccxt_version'" 2>/dev/null; then
  echo "Installing freqtrade $freqtrade_version and ccxt $ccxt_version (PyPI) into $freqtrade"
  rm -rf "$freqtrade"
  python3 -m venv "$freqtrade"
  "$freqtrade/bin/python" -m pip install --quiet --disable-pip-version-check \
    "freqtrade==$freqtrade_version" "ccxt==$ccxt_version"
fi
