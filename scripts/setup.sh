#!/usr/bin/env bash
# Installs what the project needs on a fresh machine, skipping what is already present.
# Usage: scripts/setup.sh [serve|test]
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-test}
SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo

pkgs=()
if [ "$mode" = test ]; then
  command -v chromium >/dev/null || pkgs+=(chromium)
  command -v chromedriver >/dev/null || pkgs+=(chromium-driver)
  ls /usr/share/vulkan/icd.d/lvp_icd.*.json >/dev/null 2>&1 || pkgs+=(mesa-vulkan-drivers)
fi
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "setup: apt-get install ${pkgs[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${pkgs[@]}" >/dev/null
fi

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
if [ "$mode" = test ]; then rustup component add clippy rustfmt >/dev/null 2>&1 || true; fi

if ! trunk --version 2>/dev/null | grep -q ' 0\.21\.'; then
  echo "setup: cargo install trunk 0.21.14"
  cargo install --locked trunk@0.21.14
fi
wb=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if ! wasm-bindgen --version 2>/dev/null | grep -q " $wb\$"; then
  echo "setup: cargo install wasm-bindgen-cli $wb"
  # Without --locked: with it the install fails on this toolchain.
  cargo install wasm-bindgen-cli --version "$wb"
fi

# wasm-opt for the page's wasm (binaryen 132, pinned in tools/package-lock.json).
[ -x tools/node_modules/.bin/wasm-opt ] ||
  (cd tools && npm ci --no-audit --no-fund --silent)

if [ "$mode" = test ]; then
  python3 -c 'import onnxruntime, onnx, numpy, PIL' 2>/dev/null ||
    python3 -m pip install -q onnxruntime onnx numpy pillow
  for d in tests/browser bench/browser; do
    [ -f "$d/node_modules/.package-lock.json" ] || (cd "$d" && npm install --no-audit --no-fund --silent)
  done
fi
echo "setup: done"
