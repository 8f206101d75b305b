#!/usr/bin/env python3
"""Builds the classroom set (static/classroom/) from OASIS: the pictures a class runs the paper's
lesion experiment on in the browser, with no data set of its own.

    python3 scripts/make_classroom.py ../shared/data/oasis

Which pictures (every rule below is applied in this order, and the counts are printed):
  1. only OASIS images whose `Source` is `Pixabay` (released under CC0 on Pixabay when OASIS
     collected them, 2016-17; OASIS's README allows this set);
  2. only images of the shipped profiles' held-out *test* split (seed 1, the same 223 images in
     every shipped profile), so neither the unit selection nor the readout ever saw them;
  3. none whose theme is on EXCLUDED below (a school class: no injury, blood, weapons aimed at
     people, dead bodies, nudity or hate symbols). A teacher may edit the list and run the script
     again;
  4. at most PER_CLASS per emotion (OASIS's default thresholds: unpleasant valence < 3.5,
     neutral 3.5-5.0, pleasant > 5.0), spread evenly over the class's valence range.

Each picture is stored as the network sees it: shorter side to 256, centre crop 224x224,
grayscale, JPEG quality 85. `set.json` lists file, OASIS theme, category, mean valence and
arousal, class and source. Nothing else of OASIS enters the repository.
"""

import csv
import json
import re
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "static" / "classroom"
PROFILE = ROOT / "weights" / "profiles" / "vgg16-imagenet-conv.json"
PER_CLASS = 30
CLASSES = ["pleasant", "neutral", "unpleasant"]

# OASIS themes (the name without its number) left out of a school set, with the reason.
EXCLUDED = {
    # injury, blood, dead bodies
    "Injury": "injury", "Bloody knife": "blood", "Severed finger": "injury",
    "Surgery": "blood", "Tumor": "injury", "Car accident": "may show injured people",
    "Car crash": "may show injured people", "Plane crash": "may show dead bodies",
    "Animal carcass": "dead animal", "Dog attack": "injury", "Dead bodies": "dead bodies",
    "Funeral": "dead bodies", "War": "dead or wounded people", "Feces": "disgust",
    # weapons, aimed or at hand
    "Gun": "weapon aimed at people", "Shooting": "weapon aimed at people",
    "Shot": "weapon or needle", "Weapon": "weapon", "Knife": "weapon",
    "Soldiers": "armed people", "Torture chamber": "violence",
    # nudity
    "Nude woman": "nudity", "Nude man": "nudity", "Nude couple": "nudity", "BDSM": "nudity",
    # hate symbols
    "KKK rally": "hate symbols", "Neonazi": "hate symbols", "Skinhead": "hate symbols",
}


def category(valence: float) -> str:
    if valence < 3.5:
        return "unpleasant"
    return "pleasant" if valence > 5.0 else "neutral"


def base_theme(theme: str) -> str:
    return re.sub(r"\s+\d+$", "", theme.strip())


def as_seen(src: Path) -> Image.Image:
    """Shorter side 256 (torchvision's rounding), centre crop 224, grayscale."""
    img = Image.open(src).convert("RGB")
    w, h = img.size
    if w <= h:
        size = (256, int(256 * h / w))
    else:
        size = (int(256 * w / h), 256)
    img = img.resize(size, Image.BILINEAR)
    left, top = (size[0] - 224) // 2, (size[1] - 224) // 2
    return img.crop((left, top, left + 224, top + 224)).convert("L")


def spread(items: list, k: int) -> list:
    """`k` of `items` (sorted by valence) at evenly spaced ranks, all when there are ≤ k."""
    if len(items) <= k:
        return items
    return [items[round(i * (len(items) - 1) / (k - 1))] for i in range(k)]


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    oasis = Path(sys.argv[1])
    rows = {r["Theme"].strip(): r for r in csv.DictReader(open(oasis / "OASIS.csv", newline=""))}
    profile = json.loads(PROFILE.read_text())
    test = [profile["images"][i] for i in profile["split"]["test"]]
    picked = {c: [] for c in CLASSES}
    counts = {"test": len(test), "pixabay": 0, "excluded": []}
    for name in test:
        r = rows[name.removesuffix(".jpg")]
        if r["Source"] != "Pixabay":
            continue
        counts["pixabay"] += 1
        theme = r["Theme"].strip()
        if base_theme(theme) in EXCLUDED:
            counts["excluded"].append(theme)
            continue
        v = float(r["Valence_mean"])
        picked[category(v)].append((v, theme, r))
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.jpg"):
        old.unlink()
    listing = []
    for c in CLASSES:
        for v, theme, r in spread(sorted(picked[c], key=lambda t: (t[0], t[1])), PER_CLASS):
            file = re.sub(r"[^a-z0-9]+", "-", theme.lower()).strip("-") + ".jpg"
            as_seen(oasis / "images" / f"{theme}.jpg").save(OUT / file, "JPEG", quality=85, optimize=True)
            listing.append({
                "file": file, "theme": theme, "category": r["Category"],
                "valence": round(v, 3), "arousal": round(float(r["Arousal_mean"]), 3),
                "class": c, "source": r["Source"],
            })
    manifest = {
        "name": "OASIS classroom set",
        "about": "Pixabay (CC0) pictures of OASIS (Kurdi, Lozano & Banaji 2017) from the shipped "
                 "profiles' held-out test split, 224x224 grayscale; made by scripts/make_classroom.py",
        "images": listing,
    }
    (OUT / "set.json").write_text(json.dumps(manifest, indent=1) + "\n")
    size = sum(p.stat().st_size for p in OUT.iterdir())
    per = {c: sum(1 for x in listing if x["class"] == c) for c in CLASSES}
    print(f"classroom: {counts['test']} test images, {counts['pixabay']} from Pixabay, "
          f"{len(counts['excluded'])} excluded ({', '.join(counts['excluded'])})")
    print(f"classroom: kept {per}; {size / 1e6:.2f} MB in {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
