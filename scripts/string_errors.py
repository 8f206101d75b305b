#!/usr/bin/env python3
"""Fails on `Result<_, String>` in library code: the library's errors are `error::Failure`, with a
kind that control flow reads. The CLI (src/cli/, which prints errors at the top) and tests
(`tests.rs` files, and everything after a file's `#[cfg(test)]`) may use strings.
Run by test.sh; `python3 scripts/string_errors.py` lists each place and exits 1 if any."""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")


def second_arg(text, start):
    """The second generic argument of the `Result<` that ends at `start`, or None."""
    depth, i, comma = 1, start, None
    while i < len(text) and depth:
        c = text[i]
        if c in "<([":
            depth += 1
        elif c in ">)]":
            depth -= 1
        elif c == "," and depth == 1 and comma is None:
            comma = i
        i += 1
    return text[comma + 1 : i - 1].strip() if comma is not None else None


def main():
    found = []
    for folder, _, names in sorted(os.walk(ROOT)):
        rel = os.path.relpath(folder, ROOT)
        if rel == "cli" or rel.startswith("cli" + os.sep):
            continue
        for name in sorted(names):
            if not name.endswith(".rs") or name == "tests.rs":
                continue
            path = os.path.join(folder, name)
            text = open(path, encoding="utf-8").read()
            cut = text.find("#[cfg(test)]")
            if cut >= 0:
                text = text[:cut]
            for m in re.finditer(r"\bResult<", text):
                if second_arg(text, m.end()) in ("String", "std::string::String"):
                    line = text.count("\n", 0, m.start()) + 1
                    found.append(f"src/{os.path.relpath(path, ROOT)}:{line}")
    for f in found:
        print(f"Result<_, String> in library code (use error::Failure): {f}")
    if found:
        sys.exit(1)
    print("no Result<_, String> in library code")


if __name__ == "__main__":
    main()
