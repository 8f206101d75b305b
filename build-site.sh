#!/usr/bin/env bash
# Builds the deployable static site: ./build-site.sh OUT [--public-url /sub/path/]
#
# OUT gets the page, the engine worker, the service worker, the lessons, the examples, the
# manifest with the shipped profiles and every trained model's weights that can be fetched here
# (`neurons weights fetch`, checksums verified); the untrained controls need no file. The build's
# URLs are relative, so OUT works at a domain's root or under any sub-path as it is;
# --public-url makes them absolute instead (e.g. /emotion-neurons/ for a GitHub Pages project).
set -euo pipefail
cd "$(dirname "$0")"
out="" url="./"
while [ $# -gt 0 ]; do
  case "$1" in
    --public-url) url="${2:?--public-url needs a path such as /emotion-neurons/}"; shift 2 ;;
    --public-url=*) url="${1#*=}"; shift ;;
    -h|--help) sed -n 2,8p "$0"; exit 0 ;;
    -*) echo "build-site: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$out" ] || { echo "build-site: one OUT folder only" >&2; exit 2; }; out="$1"; shift ;;
  esac
done
[ -n "$out" ] || { echo "usage: ./build-site.sh OUT [--public-url /sub/path/]" >&2; exit 2; }
case "$url" in ./*|/*) ;; *) echo "build-site: --public-url must start with / or ./" >&2; exit 2 ;; esac

scripts/setup.sh serve
export PATH="$PWD/tools/node_modules/.bin:$PATH"  # binaryen 132's wasm-opt for trunk
scripts/fetch-weights.sh
trunk build --release --public-url "$url" --dist "$out"
echo "build-site: $out ($(du -sh "$out" | cut -f1), $(find "$out" -type f | wc -l) files); weights:"
ls -l "$out"/weights/*.safetensors* 2>/dev/null | awk '{printf "  %s %.1f MB\n", $NF, $5/1e6}' || echo "  none"
