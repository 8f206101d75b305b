#!/usr/bin/env python3
"""Independent reference for the per-unit statistics, in numpy.

usage: stats_reference.py PROFILE_DIR -> prints the worst absolute differences between
units.csv (ours) and numpy's tuning values, d', SI and preferred emotion, computed from
responses.json on the training split.
"""
import csv, json, sys
import numpy as np

d = sys.argv[1]
dump = json.load(open(f"{d}/responses.json"))
labels = np.array(dump["labels"])
train = np.array(dump["split"]["train"])
rows = list(csv.DictReader(open(f"{d}/units.csv")))
classes = [k[len("tuning_"):] for k in rows[0] if k.startswith("tuning_")]
k = len(classes)
worst = {"tuning": 0.0, "si": 0.0, "preferred_mismatch": 0}
i = 0
for layer, resp in dump["layers"].items():
    x = np.array(resp, dtype=np.float64)[train]          # [train images, units]
    y = labels[train]
    mean_all, sd_all = x.mean(0), x.std(0, ddof=1)
    means = np.stack([x[y == c].mean(0) for c in range(k)])
    vars_ = np.stack([x[y == c].var(0, ddof=1) for c in range(k)])
    with np.errstate(divide="ignore", invalid="ignore"):
        tuning = np.where(sd_all > 0, (means - mean_all) / sd_all, 0.0)
        denom = np.sqrt(vars_.sum(0) / (k - 1))
        others = (means.sum(0) - means) / (k - 1)
        dprime = np.where(denom > 0, (means - others) / denom, 0.0)
    si, pref = dprime.max(0), dprime.argmax(0)
    for u in range(x.shape[1]):
        r = rows[i]; i += 1
        assert r["layer"] == layer and int(r["unit"]) == u, (r, layer, u)
        for c, name in enumerate(classes):
            worst["tuning"] = max(worst["tuning"], abs(float(r[f"tuning_{name}"]) - tuning[c, u]))
        worst["si"] = max(worst["si"], abs(float(r["si"]) - si[u]) / max(1.0, abs(si[u])))
        if classes[pref[u]] != r["preferred"] and abs(np.sort(dprime[:, u])[-1] - np.sort(dprime[:, u])[-2]) > 1e-5:
            worst["preferred_mismatch"] += 1
assert i == len(rows)
json.dump(worst, sys.stdout)
