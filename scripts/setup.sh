#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, skipping what is already present.
# Usage: scripts/setup.sh [serve|test|test-base|tools]
#   serve, test: everything that mode needs. test-base: test's packages without the two
#   cargo-installed tools; tools: only those (trunk, wasm-bindgen-cli), which take minutes to
#   build, so test.sh builds them beside its native build.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
case "$mode" in
  serve) base=1 test=0 tools=1 ;;
  test) base=1 test=1 tools=1 ;;
  test-base) base=1 test=1 tools=0 ;;
  tools) base=0 test=0 tools=1 ;;
  *) echo "usage: scripts/setup.sh [serve|test|test-base|tools]" >&2; exit 2 ;;
esac

pkgs=()
if [ "$test" = 1 ]; then
  command -v chromium >/dev/null || pkgs+=(chromium)
  command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
  ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || pkgs+=(mesa-vulkan-drivers)
fi
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "setup: apt-get install ${pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

if [ "$base" = 1 ]; then
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
fi
if [ "$test" = 1 ]; then rustup component add clippy rustfmt >/dev/null 2>&1 || true; fi

# The two tools build without their release profiles' fat LTO and single codegen unit (minutes
# of one core each on a fresh machine); they only orchestrate the build, so opt-level 2 is plenty.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=2
if [ "$tools" = 1 ] && ! trunk --version 2>/dev/null | grep -q ' 0\.21\.'; then
  echo "setup: cargo install trunk 0.21.14"
  cargo install --locked trunk@0.21.14
fi
wb=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if [ "$tools" = 1 ] && ! wasm-bindgen --version 2>/dev/null | grep -q " $wb\$"; then
  echo "setup: cargo install wasm-bindgen-cli $wb"
  # Without --locked: with it the install fails on this toolchain.
  cargo install wasm-bindgen-cli --version "$wb"
fi

# wasm-opt for the page's wasm (binaryen 132, pinned in tools/package-lock.json).
[ "$base" = 0 ] || [ -x tools/node_modules/.bin/wasm-opt ] ||
  (cd tools && npm ci --no-audit --no-fund --silent)

if [ "$test" = 1 ]; then
  python3 -c 'import onnxruntime, onnx, numpy, PIL' 2>/dev/null ||
    python3 -m pip install -q onnxruntime onnx numpy pillow
  for d in tests/browser bench/browser; do
    [ -f "$d/node_modules/.package-lock.json" ] || (cd "$d" && npm install --no-audit --no-fund --silent)
  done
fi
echo "setup: done"
