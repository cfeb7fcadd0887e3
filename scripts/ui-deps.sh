#!/usr/bin/env bash
# The web UI's third-party code: installed from package-lock.json with `npm ci` (only when the
# lockfile changed), then the files the window loads copied into ui/vendor/ (not committed),
# from where the build embeds them. Offline with the packages already installed, nothing is
# fetched.
set -euo pipefail
cd "$(dirname "$0")/.."
stamp=node_modules/.bbwatch-lock
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
mkdir -p ui/vendor
for f in uPlot.esm.js uPlot.min.css; do
  cmp -s "node_modules/uplot/dist/$f" "ui/vendor/$f" || cp "node_modules/uplot/dist/$f" "ui/vendor/$f"
done
cp -p node_modules/uplot/LICENSE ui/vendor/uPlot.LICENSE 2>/dev/null || true
