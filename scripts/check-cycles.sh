#!/usr/bin/env bash
# No module of any crate may import, directly or through others, a module that imports it back.
# cargo-modules (rust-analyzer's view of every `use` item) draws each crate's module graph,
# as `cargo test` builds it (so with the test modules); scripts/module-cycles.py fails on any
# cycle in it.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=0.27.0
if [[ "$(cargo modules --version 2>/dev/null)" != "cargo-modules $VERSION" ]]; then
    echo "check-cycles: installing cargo-modules $VERSION (once; about ten minutes on two cores)"
    cargo install --locked --quiet "cargo-modules@$VERSION"
fi
# Each target, with its source folder and its root module's name for the paths cargo-modules
# does not see (a binary beside a library in one folder has none).
targets=(
    "-p bbwatch-core --lib|crates/bbwatch-core/src|bbwatch_core"
    "-p bbwatch-history --lib|crates/bbwatch-history/src|bbwatch_history"
    "-p bbwatch-sinks --lib|crates/bbwatch-sinks/src|bbwatch_sinks"
    "-p bbwatch-api --lib|crates/bbwatch-api/src|bbwatch_api"
    "-p bbwatch-runtime --lib|crates/bbwatch-runtime/src|bbwatch_runtime"
    "-p bbwatch-windows --lib|crates/bbwatch-windows/src|bbwatch_windows"
    "-p fake-bitbank --lib|crates/fake-bitbank/src|fake_bitbank"
    "-p fake-bitbank --bin fake-bitbank||"
    "-p bbwatch-cli --bin bbwatch|crates/bbwatch-cli/src|bbwatch"
    "-p bbwatch-desktop --lib|src-tauri/src|bbwatch_desktop"
    "-p bbwatch-desktop --bin bbwatch-desktop||"
    "-p bbwatch-desktop --bin bbwatch-window||"
    "-p bbwatch-e2e --lib|tests/src|bbwatch_e2e"
)
failed=0
for entry in "${targets[@]}"; do
    IFS='|' read -r target src root <<<"$entry"
    sources=()
    if [[ -n "$src" ]]; then
        sources=(--src "$src" --root "$root")
    fi
    # shellcheck disable=SC2086 # the target is words on purpose
    if ! cargo modules dependencies $target --cfg-test --no-externs --no-sysroot --no-fns \
        --no-traits --no-types --layout dot 2>/dev/null |
        python3 scripts/module-cycles.py "${target#-p }" "${sources[@]}"; then
        failed=1
    fi
done
exit "$failed"
