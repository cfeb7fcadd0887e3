# bbwatch — `make run`, `make test`, `make demo`, `make bench`. Each installs what is missing.
SHELL := /bin/bash
export PATH := $(HOME)/.cargo/bin:$(PATH)
CARGO ?= cargo

.PHONY: run test demo bench deps build lint fmt clean

deps:
	@scripts/install-deps.sh

build: deps
	$(CARGO) build --workspace

## Watch the real bitbank (Ctrl-C to stop).
run: build
	./target/debug/bbwatch watch

## Every test: formatting, clippy (warnings are errors), unit and end-to-end tests.
test: deps
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace

## Watch the simulator play normal → maintenance → normal (loops; Ctrl-C to stop).
demo: build
	@scripts/demo.sh

## Detection latency, memory and CPU of `bbwatch watch` (release build), into stdout.
bench: deps
	$(CARGO) build --release -p bbwatch-cli -p bbwatch-e2e
	./target/release/bench

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
