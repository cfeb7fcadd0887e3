#!/usr/bin/env bash
# Installs what bbwatch needs and is missing, on Debian/Ubuntu.
# Usage: scripts/install-deps.sh [build|test|bench]
#   build: compilers and the libraries the tray app links (WebKitGTK, appindicator, …)
#   test:  build + a private X server and D-Bus, WebKitWebDriver, ImageMagick, Node.js
set -euo pipefail

what=${1:-build}
packages=(build-essential pkg-config curl libwebkit2gtk-4.1-dev libayatana-appindicator3-dev
  librsvg2-dev libxdo-dev libssl-dev)
if [ "$what" = test ] || [ "$what" = bench ]; then
  packages+=(xvfb dbus dbus-x11 x11-utils imagemagick webkit2gtk-driver nodejs)
fi

missing=()
for pkg in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
# Node.js from elsewhere (nvm, a tarball) is as good as Debian's.
if command -v node >/dev/null; then
  missing=("${missing[@]/nodejs}")
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

if ! command -v cargo >/dev/null && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null; then
  echo "Installing the Rust toolchain with rustup (https://rustup.rs)"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal --component clippy,rustfmt
fi
