# bbwatch — `make run`, `make test`, `make demo`, `make bench`. Each installs what is missing.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo
# Windows, cross-compiled with mingw-w64; the CLI's end-to-end tests run its bbwatch.exe under Wine.
WINDOWS := x86_64-pc-windows-gnu
# macOS, checked but not built: clippy for Apple silicon, with zig compiling the C of ring and
# SQLite. DOCS_RS=1 makes mac-notification-sys skip its Objective-C, as on docs.rs (it needs
# Apple's SDK, as linking would); its Rust and all of ours are still checked.
MACOS := aarch64-apple-darwin
MACOS_ENV := CC_aarch64_apple_darwin=$(CURDIR)/scripts/zig-cc-macos MACOSX_DEPLOYMENT_TARGET=11.0 DOCS_RS=1

.PHONY: run run-cli test demo demo-cli demo-exchanges bench fuzz icons screenshots lint fmt clean package package-test

## The tray app, watching the real bitbank.
run:
	@scripts/install-deps.sh build
	@scripts/ui-deps.sh
	$(CARGO) build --release -p bbwatch-desktop
	./target/release/bbwatch-desktop

## The command line, watching the real bitbank (Ctrl-C to stop).
run-cli:
	@scripts/install-deps.sh build
	$(CARGO) build -p bbwatch-cli
	./target/debug/bbwatch watch

## Every test: formatting, clippy (warnings are errors; for Linux, Windows and macOS), no
## import cycles between the modules of any crate (scripts/check-cycles.sh), the UI's
## unit tests, unit and end-to-end tests (CLI against the simulator; the tray app under Xvfb;
## docs/bots.md's recipes, with the real freqtrade and ccxt from the venv install-deps makes),
## then the CLI's end-to-end tests again with the Windows bbwatch.exe under Wine, and the
## Windows tray app (bbwatch-desktop.exe) in Wine's desktop on Xvfb.
## bbwatch-e2e is left out of the Windows clippy: it drives the Linux desktop (Xvfb, D-Bus,
## file modes) and runs only on the Linux host.
test:
	@scripts/install-deps.sh test
	@scripts/ui-deps.sh
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --target $(WINDOWS) --workspace --exclude bbwatch-e2e --all-targets -- -D warnings
	$(MACOS_ENV) $(CARGO) clippy --target $(MACOS) --workspace --all-targets -- -D warnings
	scripts/check-cycles.sh
	node --test ui/tests/
	$(CARGO) build --workspace
	$(CARGO) build --target $(WINDOWS) -p bbwatch-cli -p bbwatch-desktop
	$(CARGO) test --workspace
	scripts/wine-tests.sh

## Packages in target/package/: the tray app as .deb and .rpm (with the bbwatch CLI), and the
## CLI alone as a tarball; for Windows (cross-built), the tray app's setup (NSIS, per user)
## and the CLI alone as a zip.
package:
	@scripts/install-deps.sh package
	@scripts/ui-deps.sh
	scripts/package.sh

## Build the packages; install the Windows setup silently under Wine (a prefix of its own), run
## the installed bbwatch.exe against the simulator, uninstall it; then check the .deb (lintian,
## desktop-file-validate), install it with apt-get, run the installed app under Xvfb against
## the simulator, run the installed bbwatch, remove it again.
## The .deb part needs root or sudo; the whole takes about as long as two release builds.
package-test: package
	scripts/package-test-windows.sh
	scripts/package-test.sh

## The tray app against the simulator: normal 20 s → maintenance 25 s → normal, looping.
demo:
	@scripts/install-deps.sh build
	@scripts/ui-deps.sh
	$(CARGO) build --release -p bbwatch-desktop -p fake-bitbank
	@scripts/demo.sh desktop

## The tray app watching bitbank, GMO Coin, bitFlyer and Coincheck in the simulator: bitbank's
## maintenance, then GMO Coin's (and a bitFlyer circuit break), looping.
demo-exchanges:
	@scripts/install-deps.sh build
	@scripts/ui-deps.sh
	$(CARGO) build --release -p bbwatch-desktop -p fake-bitbank
	@scripts/demo.sh desktop exchanges

## The same, with the command line.
demo-cli:
	@scripts/install-deps.sh build
	$(CARGO) build --release -p bbwatch-cli -p fake-bitbank
	@scripts/demo.sh cli

## Detection latency, memory and CPU, dead webhooks and hooks, the history's inserts and
## queries (release builds);
## figures go in docs/benchmarks.md.
bench:
	@scripts/install-deps.sh bench
	@scripts/ui-deps.sh
	$(CARGO) build --release -p bbwatch-cli -p bbwatch-desktop -p bbwatch-e2e
	./target/release/bench
	./target/release/bench-polls
	./target/release/bench-outbound
	./target/release/bench-api
	./target/release/bench-desktop
	$(CARGO) bench -p bbwatch-history --bench history

## Fuzz each parser for FUZZ_SECONDS (nightly toolchain; cargo-fuzz is installed if missing).
## Crashes land in fuzz/artifacts/<target>/; copy each into
## crates/bbwatch-core/tests/fuzz-regressions/<target>/ so `make test` replays it.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := response config sanitize
fuzz:
	@command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	@scripts/fuzz-seeds.sh
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		$(CARGO) +nightly fuzz run $$t corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=1024 || exit 1; \
	done

## Regenerate the icon PNGs from icons/src/*.svg.
icons:
	scripts/make-icons.sh

## Regenerate the screenshots in docs/: the window, and the app on a real XFCE panel.
screenshots:
	@scripts/install-deps.sh desktop
	@scripts/ui-deps.sh
	$(CARGO) build --release -p bbwatch-desktop -p fake-bitbank -p bbwatch-e2e
	scripts/screenshots.sh
	scripts/real-desktop.sh en
	scripts/real-desktop.sh ja

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --target $(WINDOWS) --workspace --exclude bbwatch-e2e --all-targets -- -D warnings
	$(MACOS_ENV) $(CARGO) clippy --target $(MACOS) --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
