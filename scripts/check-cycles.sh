#!/usr/bin/env bash
# No module of any crate may import, directly or through others, a module that imports it back.
# cargo-modules (rust-analyzer's view of every `use` and path) draws each crate's module graph,
# as `cargo test` builds it (so with the test modules); scripts/module-cycles.py fails on any
# cycle in it.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.27.0
if [[ "$(cargo modules --version 2>/dev/null)" != "cargo-modules $VERSION" ]]; then
    echo "check-cycles: installing cargo-modules $VERSION (once; a few minutes)"
    cargo install --locked --quiet "cargo-modules@$VERSION"
fi
targets=(
    "-p bbwatch-core --lib"
    "-p bbwatch-history --lib"
    "-p bbwatch-sinks --lib"
    "-p bbwatch-api --lib"
    "-p bbwatch-runtime --lib"
    "-p bbwatch-windows --lib"
    "-p fake-bitbank --lib"
    "-p fake-bitbank --bin fake-bitbank"
    "-p bbwatch-cli --bin bbwatch"
    "-p bbwatch-desktop --bin bbwatch-desktop"
    "-p bbwatch-e2e --lib"
)
failed=0
for target in "${targets[@]}"; do
    # shellcheck disable=SC2086 # the target is words on purpose
    if ! cargo modules dependencies $target --cfg-test --no-externs --no-sysroot --no-fns \
        --no-traits --no-types --layout dot 2>/dev/null |
        python3 scripts/module-cycles.py "${target#-p }"; then
        failed=1
    fi
done
exit "$failed"
