#!/usr/bin/env bash
# Seed the fuzz corpora (fuzz/corpus/, not committed) from the test fixtures and fuzz/seeds/.
set -euo pipefail
cd "$(dirname "$0")/.."
for t in response config sanitize; do mkdir -p "fuzz/corpus/$t"; done
# response: one selector byte (parser and HTTP status) before each fixture body.
for f in crates/bbwatch-core/tests/fixtures/*.json; do
  name=$(basename "$f" .json)
  for sel in 00 01 02 40 41 42; do
    { printf "\\x$sel"; cat "$f"; } > "fuzz/corpus/response/$name-$sel"
  done
done
cp fuzz/seeds/config/* fuzz/corpus/config/
for t in response config sanitize; do
  cp crates/bbwatch-core/tests/fuzz-regressions/$t/* "fuzz/corpus/$t/" 2>/dev/null || true
done
cp crates/bbwatch-core/tests/fixtures/*.json fuzz/corpus/sanitize/
