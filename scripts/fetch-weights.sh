#!/usr/bin/env bash
# Fetches every trained model of weights/manifest.json whose file is missing and that pip can
# download here (checksums verified by `neurons weights fetch`); the untrained controls need no
# file. Then packs each weights file for download (`<file>.planes`, `neurons weights pack`: 16 %
# smaller, rebuilt and checked in the browser). Builds the CLI first when something is missing.
# Models that cannot be fetched are reported and skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=$(python3 -c "import json, os; print(' '.join(m['id'] for m in json.load(open('weights/manifest.json'))['models'] if m.get('trained') and m.get('file') and not os.path.exists('weights/' + m['file'])))")
unpacked=$(for f in weights/*.safetensors; do [ ! -e "$f" ] || [ "$f.planes" -nt "$f" ] || echo "$f"; done)
[ -n "$missing$unpacked" ] || exit 0
cargo build --release --features cli --bin neurons
for id in $missing; do
  ./target/release/neurons --quiet weights fetch "$id" ||
    echo "fetch-weights: $id could not be fetched here; the site offers it only to visitors who load the file"
done
./target/release/neurons weights pack
