#!/usr/bin/env bash
# `make package-test` (after `make package`): the .deb as a user gets it. Checks it with lintian
# (no errors) and its menu entry with desktop-file-validate, installs it with apt-get, runs the
# installed app and CLI against fake-bitbank (tests/tests/package.rs, under the Xvfb + D-Bus
# harness), removes it, and finds nothing of it left but the user's own files.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export LC_ALL=C.UTF-8

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}
fail() {
  echo "package-test: $*" >&2
  exit 1
}

debs=(target/package/bbwatch_*.deb)
[ -f "${debs[0]}" ] || fail "no .deb in target/package/: run make package first"
[ ${#debs[@]} -eq 1 ] || fail "more than one .deb in target/package/: ${debs[*]}"
deb=${debs[0]}
if dpkg-query -W -f='${Status}' bbwatch 2>/dev/null | grep -q "installed"; then
  fail "bbwatch is installed already; remove it first (apt-get purge bbwatch)"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== lintian $deb"
lintian --fail-on error "$deb" | tee "$work/lintian.txt"
echo "lintian: $(grep -c '^E:' "$work/lintian.txt" || true) errors," \
  "$(grep -c '^W:' "$work/lintian.txt" || true) warnings"

echo "== desktop-file-validate"
dpkg-deb -x "$deb" "$work/deb"
for entry in "$work"/deb/usr/share/applications/*.desktop; do
  desktop-file-validate "$entry"
  echo "ok: ${entry#"$work"/deb}"
done

echo "== apt-get install ./$deb"
# Build the test first, so the package is installed only as long as it must be.
cargo test --locked -p bbwatch-e2e --test package --no-run
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "./$deb" >/dev/null
dpkg-query -L bbwatch | sort >"$work/files"
echo "installed $(wc -l <"$work/files") paths"

echo "== the installed app and CLI against fake-bitbank"
# The test's own scratch directory (its home, config and history) goes under $work/tmp.
mkdir -p "$work/tmp"
status=0
TMPDIR=$work/tmp cargo test --locked -p bbwatch-e2e --test package -- --ignored || status=$?

echo "== apt-get purge bbwatch"
as_root env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq bbwatch >/dev/null
[ "$status" -eq 0 ] || fail "the installed package failed its test (above)"

left=()
while read -r path; do
  # Directories such as /usr/bin belong to other packages too.
  if [ -e "$path" ] && [ ! -d "$path" ]; then left+=("$path"); fi
done <"$work/files"
while read -r path; do left+=("$path"); done < <(
  find /usr /etc /opt /var/lib -xdev -iname '*bbwatch*' \
    -not -path '/var/lib/dpkg/*' -not -path '/var/lib/apt/*' 2>/dev/null
)
[ ${#left[@]} -eq 0 ] || fail "left behind after purge: ${left[*]}"
echo "nothing of the package is left"

# What the app wrote for the user is the user's: removing the package keeps it.
home=$(find "$work/tmp" -maxdepth 1 -name 'bbwatch-desktop-package-*' | head -n1)
for kept in config/bbwatch/config.toml config/autostart/bbwatch.desktop; do
  [ -f "$home/$kept" ] || fail "the user's $kept is gone"
done
[ -n "$(find "$home/data" -name '*.sqlite*' -print -quit)" ] || fail "the user's history is gone"
echo "the user's own files are kept: ${home#"$work"/tmp/}/{config,data}"
echo "package-test: passed"
