#!/usr/bin/env python3
"""Writes static/reference/<model>.json: the shipped OASIS experiment results that the lab's
Experiment tab shows as the full-scale reference (offline, no labelled set needed), and whose α
per layer and emotion the classroom experiment enhances with.

    python3 scripts/make_reference.py

Reads docs/figures/experiment-*/experiment.json (written by `neurons experiment`, see
scripts/science.sh) and, where five runs over splits exist, adds each row's mean ± sd over them.
"""

import json
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIG = ROOT / "docs" / "figures"
OUT = ROOT / "static" / "reference"
# model id -> (the seed-1 run, the other seeds' runs)
RUNS = {
    "vgg16-imagenet-conv": ("experiment-vgg16/experiment.json", "experiment-vgg16-splits/seed*.json"),
    "alexnet-imagenet-conv": ("experiment-alexnet/experiment.json", None),
    "vgg16-torchvision-conv": ("experiment-vgg16-torchvision-conv5_3/experiment.json", None),
}
KEYS = ["f1_before", "f1_lesion", "f1_enhance", "best_alpha"]


def mean_sd(xs):
    return {"mean": statistics.fmean(xs), "sd": statistics.stdev(xs) if len(xs) > 1 else 0.0}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for model, (first, others) in RUNS.items():
        path = FIG / first
        if not path.exists():
            print(f"reference: {path} is missing, {model} skipped")
            continue
        run = json.loads(path.read_text())
        runs = [run] + [json.loads(p.read_text()) for p in sorted(FIG.glob(others))] if others else [run]
        rows = [{k: v for k, v in r.items() if k != "val_f1_by_alpha"} for r in run["rows"]]
        spread = []
        if len(runs) > 1:
            for r in rows:
                same = [x for rr in runs for x in rr["rows"]
                        if x["layer"] == r["layer"] and x["emotion"] == r["emotion"]]
                if len(same) != len(runs):
                    continue
                s = {"layer": r["layer"], "emotion": r["emotion"], "runs": len(same)}
                for k in KEYS:
                    s[k] = mean_sd([x[k] for x in same])
                s["control_lesion"] = mean_sd([x["control_lesion"]["mean"] for x in same])
                spread.append(s)
        ref = {
            "model": run["model"], "dataset": run["dataset"], "search": run["search"],
            "controls": run["controls"], "layers": run["layers"], "rows": rows,
            "valence": run.get("valence", []), "spread": spread,
        }
        (OUT / f"{model}.json").write_text(json.dumps(ref, indent=0) + "\n")
        print(f"reference: {model}: {len(rows)} rows, {len(spread)} with a spread over {len(runs)} runs")


if __name__ == "__main__":
    main()
