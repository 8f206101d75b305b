#!/usr/bin/env python3
"""Would a three-level α search (steps of 1 over 0…5, then ±0.5, then ±0.1 around the best so
far) choose the same α as the shipped runs? Replays it on the val F1 traces the shipped
experiments recorded (`val_f1_by_alpha`): AlexNet's run tried the full 0.1 grid, so every value
the three levels ask for is there; VGG-16's tried steps of 1 and then ±0.5 at 0.1, so a third
level past that window has no value and is left out (counted). Ties go to the smaller α, as in
`sweep::best_alpha`. Prints, per model, how many chosen α stay within 0.1 of the shipped ones.

    python3 scripts/alpha_levels.py [docs/figures/experiment-*/experiment.json ...]
"""
import glob
import json
import sys


def best(scored):
    b = (0.0, float("-inf"))
    for a, f in sorted(scored):
        if f > b[1] + 1e-12:
            b = (a, f)
    return b[0]


def replay(trace, top=5.0):
    have = {round(a, 1): f for a, f in trace}
    tried, missing = {}, 0
    def ask(alphas):
        nonlocal missing
        for a in alphas:
            a = round(a, 1)
            if 0 <= a <= top + 1e-9 and a not in tried:
                if a in have:
                    tried[a] = have[a]
                else:
                    missing += 1
    ask([0, 1, 2, 3, 4, 5])
    b1 = best(tried.items())
    ask([b1 - 0.5, b1 + 0.5])
    b2 = best(tried.items())
    ask([b2 - 0.1, b2 + 0.1])
    return best(tried.items()), len(tried) - 1, missing


def main(paths):
    for path in paths:
        rows = json.load(open(path))["rows"]
        off, missing, passes = [], 0, 0
        for r in rows:
            chosen, n, miss = replay(r["val_f1_by_alpha"])
            missing += miss
            passes += n
            if abs(chosen - r["best_alpha"]) > 0.1 + 1e-9:
                off.append(f'{r["layer"]} {r["emotion"]}: {r["best_alpha"]} → {chosen}')
        print(f"{path}: {len(rows) - len(off)} of {len(rows)} within 0.1 "
              f"({passes / len(rows):.1f} passes per row, {missing} values not in the trace)")
        for o in off:
            print("   ", o)


if __name__ == "__main__":
    main(sys.argv[1:] or sorted(glob.glob("docs/figures/experiment-*/experiment.json")))
