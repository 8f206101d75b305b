#!/usr/bin/env python3
"""Makes the bundled example images in static/examples/ from scikit-image's sample data.

Only images that scikit-image documents as CC0 or public domain are used (see NOTICES.md). They
come from the PyPI wheel, no other download:

    pip download scikit-image==0.26.0 --no-deps -d /tmp/skimg
    python3 scripts/make_examples.py /tmp/skimg/scikit_image-0.26.0-*.whl

The argument may also be an unpacked `skimage/data` folder. Each image is resized so its shorter
side is 256 px and saved as a JPEG (quality 85); examples.json lists them with their credits.
"""

import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

from PIL import Image

OUT = Path(__file__).resolve().parent.parent / "static" / "examples"

# (source in skimage/data, sha256 of the source, output file, title, credit, licence)
EXAMPLES = [
    ("chelsea.png", "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
     "cat.jpg", "a cat", "Chelsea the cat, photo by Stefan van der Walt (scikit-image)", "CC0"),
    ("coffee.png", "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
     "coffee.jpg", "a cup of coffee", "Photo by Rachel Michetti, courtesy of Pikolo Espresso Bar (scikit-image)", "CC0"),
    ("astronaut.png", "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
     "astronaut.jpg", "an astronaut", "Eileen Collins, NASA (scikit-image)", "public domain"),
    ("rocket.jpg", "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
     "rocket.jpg", "a rocket launch", "DSCOVR on Falcon 9, SpaceX (scikit-image)", "public domain"),
]


def reader(src: Path):
    if src.is_dir():
        return lambda name: (src / name).read_bytes()
    wheel = zipfile.ZipFile(src)
    return lambda name: wheel.read(f"skimage/data/{name}")


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    read = reader(Path(sys.argv[1]))
    OUT.mkdir(parents=True, exist_ok=True)
    listing = []
    for name, sha, file, title, credit, licence in EXAMPLES:
        raw = read(name)
        got = hashlib.sha256(raw).hexdigest()
        if got != sha:
            sys.exit(f"{name}: sha256 {got}, expected {sha}")
        img = Image.open(io.BytesIO(raw)).convert("RGB")
        scale = 256 / min(img.size)
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.LANCZOS)
        img.save(OUT / file, "JPEG", quality=85, optimize=True)
        size = (OUT / file).stat().st_size
        assert size < 60_000, f"{file} is {size} bytes"
        print(f"{file}: {img.width}×{img.height}, {size} bytes")
        listing.append({"file": file, "title": title, "credit": credit, "licence": licence})
    (OUT / "examples.json").write_text(json.dumps(listing, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
