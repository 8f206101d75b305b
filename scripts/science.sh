#!/usr/bin/env bash
# Regenerates the shipped science from OASIS: the five profiles with their spread over splits,
# the "genuine" units of each (two halves of OASIS by category), the README's figures, and the
# lesion/enhancement experiments. Needs OASIS (README: where it comes from) and a release build.
#
# Usage: scripts/science.sh OASIS_DIR [profiles|genuine|figures|alexnet|vgg|all]
#   vgg resumes a run that was cut off (results are written layer by layer).
set -euo pipefail
cd "$(dirname "$0")/.."
oasis=${1:?usage: scripts/science.sh OASIS_DIR [profiles|genuine|figures|alexnet|vgg|all]}
stage=${2:-all}
bin=${NEURONS:-target/release/neurons}
[ -x "$bin" ] || cargo build --release --features cli --bin neurons
models="vgg16-imagenet-conv vgg16-torchvision-conv vgg16-untrained alexnet-imagenet-conv alexnet-untrained"
tmp=${TMPDIR:-/tmp}/emotion-neurons-science
mkdir -p "$tmp" docs/figures/robustness docs/figures/genuine
stamp() { echo "science: $* ($(date -u +%H:%M:%S))"; }

if [ "$stage" = profiles ] || [ "$stage" = all ]; then
  for m in $models; do
    stamp "profile $m, 5 splits"
    "$bin" --quiet profile --model "$m" --dataset "oasis:$oasis" --batch 16 --splits 5 --out "$tmp/$m" \
      | tee "$tmp/$m.log"
    cp "$tmp/$m/profile.json" "weights/profiles/$m.json"
    cp "$tmp/$m/robustness.md" "docs/figures/robustness/$m.md"
    cp "$tmp/$m/robustness.json" "docs/figures/robustness/$m.json"
  done
fi

if [ "$stage" = genuine ] || [ "$stage" = all ]; then
  for m in $models; do
    for half in Person+Animal Object+Scenery; do
      stamp "profile $m on $half"
      "$bin" --quiet profile --model "$m" --dataset "oasis:$oasis#$half" --batch 16 --splits 1 \
        --out "$tmp/$m-$half" >/dev/null
    done
    stamp "overlap and mark $m"
    "$bin" overlap "$tmp/$m-Person+Animal/profile.json" "$tmp/$m-Object+Scenery/profile.json" \
      --mark "weights/profiles/$m.json" > "docs/figures/genuine/$m.csv"
  done
fi

if [ "$stage" = figures ] || [ "$stage" = all ]; then
  stamp "figures"
  "$bin" report --profile weights/profiles/vgg16-imagenet-conv.json \
    --profile weights/profiles/vgg16-torchvision-conv.json \
    --profile weights/profiles/vgg16-untrained.json --out docs/figures \
    --spread docs/figures/robustness/vgg16-imagenet-conv.json \
    --spread docs/figures/robustness/vgg16-torchvision-conv.json \
    --spread docs/figures/robustness/vgg16-untrained.json >/dev/null
  "$bin" report --profile weights/profiles/alexnet-imagenet-conv.json \
    --profile weights/profiles/alexnet-untrained.json --out docs/figures/alexnet \
    --spread docs/figures/robustness/alexnet-imagenet-conv.json \
    --spread docs/figures/robustness/alexnet-untrained.json >/dev/null
fi

if [ "$stage" = alexnet ] || [ "$stage" = all ]; then
  stamp "AlexNet experiment, every layer, the full 0.1 grid"
  rm -rf docs/figures/experiment-alexnet
  "$bin" experiment --profile weights/profiles/alexnet-imagenet-conv.json --dataset "oasis:$oasis" \
    --coarse-step 0.1 --out docs/figures/experiment-alexnet | tee "$tmp/experiment-alexnet.log"
fi

if [ "$stage" = vgg ] || [ "$stage" = all ]; then
  stamp "VGG-16 experiment, every layer (top layers first), coarse-then-fine α"
  layers=conv5_3,conv5_2,conv5_1,conv4_3,conv4_2,conv4_1,conv3_3,conv3_2,conv3_1,conv2_2,conv2_1,conv1_2,conv1_1
  resume=(); [ -f docs/figures/experiment-vgg16/experiment.json ] && resume=(--resume)
  "$bin" experiment --profile weights/profiles/vgg16-imagenet-conv.json --dataset "oasis:$oasis" \
    --layers "$layers" --out docs/figures/experiment-vgg16 "${resume[@]}" | tee "$tmp/experiment-vgg16.log"
fi
stamp done
