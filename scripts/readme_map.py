#!/usr/bin/env python3
"""Fails when the README's architecture map misses a file of src/. A file is named when a row of
the map's table names it (`src/a/b.rs`), or names its folder (`src/a/`) or a sibling file
(`src/a.rs` for `a/b.rs`) in its first cell and the file's name (`b.rs`, or `c/b.rs`) in the
row. A folder's `mod.rs` is named by its folder; `tests.rs` files (a module's tests) need no
row. Run by test.sh."""
import os
import re
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def main():
    text = open(os.path.join(HERE, "README.md"), encoding="utf-8").read()
    start = text.index("## Architecture map")
    end = text.find("\n## ", start + 1)
    rows = [r for r in text[start:end].splitlines() if r.startswith("| `")]
    cells = [(r.split("|")[1], r) for r in rows]
    missing = []
    for folder, _, names in os.walk(os.path.join(HERE, "src")):
        for name in names:
            if not name.endswith(".rs") or name == "tests.rs":
                continue
            rel = os.path.relpath(os.path.join(folder, name), HERE).replace(os.sep, "/")
            parts = rel.split("/")
            ok = False
            for first, row in cells:
                if rel in first or (name == "mod.rs" and "/".join(parts[:-1]) + "/" in first):
                    ok = True
                    break
                for k in range(2, len(parts)):
                    anchor = "/".join(parts[:k])
                    tails = ["/".join(parts[j:]) for j in range(k, len(parts))]
                    if (anchor + "/" in first or anchor + ".rs" in first) and any(
                        re.search(r"[`/ ]" + re.escape(t) + r"[`, )]", row) for t in tails
                    ):
                        ok = True
                        break
                if ok:
                    break
            if not ok:
                missing.append(rel)
    for m in sorted(missing):
        print(f"README architecture map does not name {m}")
    if missing:
        sys.exit(1)
    print("the README's architecture map names every file of src/")


if __name__ == "__main__":
    main()
