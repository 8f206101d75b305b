#!/usr/bin/env python3
"""Trunk post-build hook: drops the wasm name sections (scripts/wasm_strip_names.py), then puts a
Content-Security-Policy <meta> and the build's stamp (<meta name="build">) into index.html.

A <meta> policy works on any static host (no headers to configure). The page may connect to,
load images, scripts and workers only from its own origin (plus `data:`/`blob:` images and
'wasm-unsafe-eval' for WebAssembly); the inline scripts (trunk's loader, the service-worker
registration) are allowed by their SHA-256 hashes, computed here from the built file because
trunk's loader names hashed bundles. Inline *styles* stay allowed: the UI sets style attributes
(bar widths, colours), which carry no script.
"""
import base64
import hashlib
import os
import re
import sys

import wasm_strip_names  # noqa: E402 (scripts/, beside this file)

root = os.environ.get("TRUNK_STAGING_DIR", sys.argv[1] if len(sys.argv) > 1 else "dist")
# First, so that the build stamp below covers the wasm as it ships (one hook: trunk may run
# hooks of one stage side by side).
wasm_strip_names.main()
path = os.path.join(root, "index.html")
html = open(path, encoding="utf-8").read()
if 'http-equiv="Content-Security-Policy"' in html:
    sys.exit(0)


def build_stamp():
    """sha256 over every file of the build but index.html and the weights files (whose sha256
    the manifest, stamped here, pins): the service worker (static/sw.js) tells a new deploy by
    it, even one that changed only unhashed files such as the engine worker's wasm."""
    digest = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(folder, name)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if rel == "index.html" or ".safetensors" in name:
                continue
            digest.update(rel.encode() + b"\0")
            digest.update(hashlib.sha256(open(full, "rb").read()).digest())
    return digest.hexdigest()[:16]


hashes = []
for m in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", html, re.S):
    digest = base64.b64encode(hashlib.sha256(m.group(1).encode("utf-8")).digest()).decode()
    hashes.append(f"'sha256-{digest}'")
policy = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval' " + " ".join(hashes),
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "connect-src 'self'",
    "worker-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'none'",
])
meta = (f'<meta http-equiv="Content-Security-Policy" content="{policy}">\n  '
        f'<meta name="build" content="{build_stamp()}">')
# Right after <meta charset>: a policy covers only what comes after it.
html, n = re.subn(r'(<meta charset="utf-8">)', r"\1\n  " + meta.replace("\\", "\\\\"), html, count=1)
if n != 1:
    sys.exit("csp.py: no <meta charset=\"utf-8\"> in index.html")
open(path, "w", encoding="utf-8").write(html)
print(f"csp.py: policy with {len(hashes)} inline-script hashes")
