#!/usr/bin/env bash
# `make package`: the tray app as a .deb and an .rpm (Tauri's own bundler, the Tauri CLI from
# npm as package-lock.json pins it), and the `bbwatch` command line alone as a tarball for
# servers without a desktop; for Windows (cross-built with mingw-w64), a per-user setup that
# Debian's makensis makes from src-tauri/packaging/windows/bbwatch.nsi, and the command line
# alone as a zip. Everything lands in target/package/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LC_ALL=C

version=$(sed -n '/^\[workspace\.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
[ -n "$version" ] || { echo "package: no version in Cargo.toml's [workspace.package]" >&2; exit 1; }
arch=$(uname -m)
mtime=$(git log -1 --format=%ct 2>/dev/null || echo 0)
out=target/package
rm -rf "$out"
mkdir -p "$out/systemd"

cargo build --release --locked -p bbwatch-desktop -p bbwatch-cli
# Packaged binaries carry no symbol table (the release profile keeps it for `make run`'s
# backtraces); stripped here, as Debian's policy asks.
strip --strip-unneeded target/release/bbwatch-desktop target/release/bbwatch-window \
  target/release/bbwatch

# The user unit for `bbwatch serve`: the one docs/bots.md shows (and the tests check), with the
# binary where each package puts it.
unit() {
  sed -e "s|%h/.cargo/bin/bbwatch|$1|" -e '/^# ~\/.config\/systemd\/user\/bbwatch.service/d' \
    -e 's|^#   systemctl|# Start it with: systemctl|' docs/examples/bbwatch.service
}
unit /usr/bin/bbwatch >"$out/systemd/bbwatch.service"

# Debian's changelog, in its own format, pointing at ours.
mkdir -p "$out/debian"
cat >"$out/debian/changelog" <<EOF
bbwatch ($version) unstable; urgency=medium

  * Release $version: see /usr/share/doc/bbwatch/CHANGELOG.md.

 -- the bbwatch authors <maintainers@bbwatch.invalid>  $(date -u -R -d "@$mtime")
EOF

# The .deb depends on the libraries the binaries link, at the versions they need, as
# dpkg-shlibdeps finds them (the bundler itself adds only WebKitGTK, GTK and the tray library).
shlibs=$out/shlibs
mkdir -p "$shlibs/debian"
printf 'Source: bbwatch\n\nPackage: bbwatch\nArchitecture: any\n' >"$shlibs/debian/control"
depends=$(cd "$shlibs" && dpkg-shlibdeps -O -e"$PWD/../../release/bbwatch-desktop" \
  -e"$PWD/../../release/bbwatch-window" -e"$PWD/../../release/bbwatch" 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
rm -rf "$shlibs"
[ -n "$depends" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
deb_config=$(python3 -c 'import json, sys
print(json.dumps({"bundle": {"linux": {"deb": {"depends": sys.argv[1].split(", ")}}}}))' "$depends")

# The .deb and .rpm, from the binaries just built (the bundler reads src-tauri/tauri.conf.json).
rm -rf target/release/bundle
(cd src-tauri && ../node_modules/.bin/tauri bundle --ci --bundles deb,rpm --config "$deb_config")
cp target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm "$out/"

# The command line alone.
name=bbwatch-cli-$version-$arch-linux
stage=$out/$name
mkdir -p "$stage"
install -m755 target/release/bbwatch "$stage/bbwatch"
install -m644 README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE "$stage/"
install -m644 docs/bots.md "$stage/BOTS.md"
unit '%h/.local/bin/bbwatch' >"$stage/bbwatch.service"
cat >"$stage/INSTALL" <<EOF
bbwatch $version, the command line alone (no desktop needed).

  install -Dm755 bbwatch ~/.local/bin/bbwatch
  bbwatch status

To keep \`bbwatch serve\` running as a systemd user service (see BOTS.md):

  install -Dm644 bbwatch.service ~/.config/systemd/user/bbwatch.service
  systemctl --user daemon-reload && systemctl --user enable --now bbwatch
EOF
# The same bytes on every run: sorted names, one owner, the commit's time.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$mtime" -C "$out" -cf - "$name" |
  gzip -n9 >"$out/$name.tar.gz"
rm -rf "$stage"

# Windows: both programs cross-built, stripped, and installed by an NSIS setup of ours (Tauri's
# bundler fetches NSIS and its plugins from the network on Linux; Debian's makensis needs
# nothing). The tray app loads WebView2Loader.dll, Microsoft's redistributable loader that
# tauri-build copies beside it.
win=x86_64-pc-windows-gnu
cargo build --release --locked --target "$win" -p bbwatch-desktop -p bbwatch-cli
wrel=target/$win/release
wstage=$out/windows
mkdir -p "$wstage"
install -m755 "$wrel/bbwatch-desktop.exe" "$wrel/bbwatch.exe" "$wstage/"
# strip stamps the PE header with the time: the commit's, through SOURCE_DATE_EPOCH.
SOURCE_DATE_EPOCH=$mtime x86_64-w64-mingw32-strip --strip-unneeded "$wstage/bbwatch-desktop.exe" \
  "$wstage/bbwatch.exe"
install -m644 "$wrel/WebView2Loader.dll" "$wstage/"
install -m644 icons/icon.ico "$wstage/bbwatch.ico"
install -m644 icons/hicolor/256x256.png "$wstage/bbwatch.png"
install -m644 README.md CHANGELOG.md "$wstage/"
install -m644 docs/bots.md "$wstage/BOTS.md"
for licence in LICENSE-MIT LICENSE-APACHE; do install -m644 "$licence" "$wstage/$licence.txt"; done
# The same bytes on every run: every file carries the commit's time, and makensis and zip
# read nothing else that changes.
touch -d "@$mtime" "$wstage"/*
# Windows' version resources want four numbers: a pre-release suffix is left out there.
SOURCE_DATE_EPOCH=$mtime makensis -V2 -INPUTCHARSET UTF8 -DVERSION="${version%%-*}" \
  -DSTAGE="$PWD/$wstage" -DOUTFILE="$PWD/$out/bbwatch-$version-x86_64-setup.exe" \
  src-tauri/packaging/windows/bbwatch.nsi

# The command line alone, for Windows.
name=bbwatch-cli-$version-x86_64-windows
stage=$out/$name
mkdir -p "$stage"
cp -p "$wstage/bbwatch.exe" "$wstage/README.md" "$wstage/CHANGELOG.md" "$wstage/BOTS.md" \
  "$wstage"/LICENSE-*.txt "$stage/"
sed 's/$/\r/' >"$stage/INSTALL.txt" <<EOF
bbwatch $version, the command line alone, for Windows (x86_64).

Put bbwatch.exe in a folder of your own, for instance %LOCALAPPDATA%\\Programs\\bbwatch-cli,
and run it from there, or add the folder to your PATH (in PowerShell):

  [Environment]::SetEnvironmentVariable('Path', [Environment]::GetEnvironmentVariable('Path', 'User') + ";\$env:LOCALAPPDATA\\Programs\\bbwatch-cli", 'User')

then, in a new terminal:

  bbwatch status

Its configuration is %APPDATA%\\bbwatch\\config.toml and its history
%LOCALAPPDATA%\\bbwatch\\history.sqlite3 (see README.md). The tray app's setup,
bbwatch-$version-x86_64-setup.exe, installs this bbwatch.exe too.
EOF
touch -d "@$mtime" "$stage" "$stage"/*
(cd "$out" && find "$name" | sort | TZ=UTC zip -X -D -9 -q "$name.zip" -@)
rm -rf "$stage" "$wstage"

echo "package: built"
ls -1 "$out"/*.deb "$out"/*.rpm "$out"/*.tar.gz "$out"/*.exe "$out"/*.zip | sed 's/^/  /'
