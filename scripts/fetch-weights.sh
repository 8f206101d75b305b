#!/usr/bin/env bash
# Fetches every trained model of weights/manifest.json that pip can download here (checksums
# verified by `neurons weights fetch`); the untrained controls need no file. Needs the CLI built
# (target/release/neurons). Models that cannot be fetched are reported and skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
for id in $(python3 -c "import json; print(' '.join(m['id'] for m in json.load(open('weights/manifest.json'))['models'] if m.get('trained') and m.get('file')))"); do
  if [ -f "weights/$id.safetensors" ]; then continue; fi
  ./target/release/neurons --quiet weights fetch "$id" ||
    echo "fetch-weights: $id could not be fetched here; the site offers it only to visitors who load the file"
done
