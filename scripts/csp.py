#!/usr/bin/env python3
"""Trunk post-build hook: puts a Content-Security-Policy <meta> into the built index.html.

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

path = os.path.join(os.environ.get("TRUNK_STAGING_DIR", sys.argv[1] if len(sys.argv) > 1 else "dist"), "index.html")
html = open(path, encoding="utf-8").read()
if 'http-equiv="Content-Security-Policy"' in html:
    sys.exit(0)
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
meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
# Right after <meta charset>: a policy covers only what comes after it.
html, n = re.subn(r'(<meta charset="utf-8">)', r"\1\n  " + meta.replace("\\", "\\\\"), html, count=1)
if n != 1:
    sys.exit("csp.py: no <meta charset=\"utf-8\"> in index.html")
open(path, "w", encoding="utf-8").write(html)
print(f"csp.py: policy with {len(hashes)} inline-script hashes")
