#!/usr/bin/env bash
# Runs every check and test: format, clippy (native and wasm32), native tests (with the ONNX
# Runtime parity test), the site build and the headless-Chromium browser tests.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh test
step() { echo; echo "== $* ($(date +%T))"; }
step "cargo fmt --check"
cargo fmt --all -- --check
step "clippy native"
cargo clippy --all-targets --features cli -- -D warnings
step "clippy wasm32"
cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings
step "native tests"
cargo test --release --features cli -- --nocapture
step "site build"
trunk build --release
step "browser tests"
NEURONS=target/release/neurons node --test --test-concurrency=1 tests/browser/
step "browser bench, quick (ours vs onnxruntime-web; agreement checked first)"
node bench/browser/bench.mjs --quick
