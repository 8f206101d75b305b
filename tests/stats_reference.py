#!/usr/bin/env python3
"""Independent reference for the per-unit statistics, in numpy.

usage: stats_reference.py PROFILE_DIR [OASIS_CSV] -> prints the worst absolute differences
between units.csv (ours) and numpy's tuning values, d', SI and preferred emotion, computed from
responses.json on the training split; with robustness.json there, also the first run's mean SI
on ranks per layer; with OASIS_CSV, also each unit's Pearson r with mean valence and arousal.
"""
import csv, json, os, sys
import numpy as np

d = sys.argv[1]
dump = json.load(open(f"{d}/responses.json"))
labels = np.array(dump["labels"])
train = np.array(dump["split"]["train"])
rows = list(csv.DictReader(open(f"{d}/units.csv")))
classes = [k[len("tuning_"):] for k in rows[0] if k.startswith("tuning_")]
k = len(classes)
worst = {"tuning": 0.0, "si": 0.0, "preferred_mismatch": 0}
robust = json.load(open(f"{d}/robustness.json")) if os.path.exists(f"{d}/robustness.json") else None
ratings = None
if len(sys.argv) > 2:
    profile = json.load(open(f"{d}/profile.json"))
    by_name = {f"{r['Theme'].strip()}.jpg": (float(r["Valence_mean"]), float(r["Arousal_mean"]))
               for r in csv.DictReader(open(sys.argv[2], encoding="utf-8-sig"))}
    ratings = np.array([by_name[n] for n in profile["images"]])
    worst["affect_r"] = 0.0


def rankdata(a):
    """1-based ranks of a vector, ties sharing their mean rank."""
    order = np.argsort(a, kind="mergesort")
    ranks = np.empty(len(a))
    ranks[order] = np.arange(1, len(a) + 1)
    _, inv, counts = np.unique(a, return_inverse=True, return_counts=True)
    return (np.bincount(inv, weights=ranks) / counts)[inv]


def si_of(x, y):
    means = np.stack([x[y == c].mean(0) for c in range(k)])
    vars_ = np.stack([x[y == c].var(0, ddof=1) for c in range(k)])
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = np.sqrt(vars_.sum(0) / (k - 1))
        others = (means.sum(0) - means) / (k - 1)
        return np.where(denom > 0, (means - others) / denom, 0.0).max(0)


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
    if robust is not None:
        ranked = np.apply_along_axis(rankdata, 0, x)
        theirs = next(l for l in robust["runs"][0]["layers"] if l["name"] == layer)
        worst["rank_si"] = max(worst.get("rank_si", 0.0), abs(si_of(ranked, y).mean() - theirs["mean_si_rank"]))
    if ratings is not None:
        t = ratings[train]
        for u in range(x.shape[1]):
            r = rows[i + u]
            for col, target in (("valence_r", t[:, 0]), ("arousal_r", t[:, 1])):
                want = np.corrcoef(x[:, u], target)[0, 1] if x[:, u].std() > 0 else 0.0
                worst["affect_r"] = max(worst["affect_r"], abs(float(r[col]) - want))
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
