#!/usr/bin/env python3
"""Run by scripts/csp.py (the trunk post-build hook): drops the `name` custom section
(function names for stack traces, 6.9 MB of the engine worker's 36.7 MB) from the built wasm
file.

The engine's wasm is not run through wasm-opt (binaryen's JavaScript build takes over ten
minutes on it), so this is the one size step it gets: 1.2 MB less to download gzipped. Panic
messages keep their text and source location; only stack frames lose their names. Code,
data and every other section are copied byte for byte.
"""
import glob
import os
import sys


def leb(data, i):
    value = shift = 0
    while True:
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def strip(data):
    if data[:4] != b"\0asm":
        raise ValueError("not a wasm module")
    out, i, dropped = bytearray(data[:8]), 8, 0
    while i < len(data):
        start, section = i, data[i]
        size, body = leb(data, i + 1)
        end = body + size
        if end > len(data):
            raise ValueError("truncated section")
        name = b""
        if section == 0:
            n, j = leb(data, body)
            name = data[j:j + n]
        if name == b"name":
            dropped += end - start
        else:
            out += data[start:end]
        i = end
    return bytes(out), dropped


def main():
    root = os.environ.get("TRUNK_STAGING_DIR", sys.argv[1] if len(sys.argv) > 1 else "dist")
    # The engine worker's only: the page's wasm is already without names (wasm-opt) and the
    # integrity hash in index.html pins its bytes.
    for path in sorted(glob.glob(os.path.join(root, "worker_bg.wasm"))):
        data = open(path, "rb").read()
        out, dropped = strip(data)
        if dropped:
            open(path, "wb").write(out)
            print(f"wasm_strip_names: {os.path.basename(path)} {len(data)} -> {len(out)} bytes")


if __name__ == "__main__":
    main()
