#!/usr/bin/env python3
"""Independent reference: ONNX Runtime on the wheel's own ONNX file, truncated after conv5_3.

usage: ort_parity.py WHEEL IMAGE... -> JSON {image: {conv1_1: [mean per unit], ...}}
       ort_parity.py --safetensors {alexnet|vgg16} FILE IMAGE...  (torchvision preprocessing:
       RGB 0-1, ImageNet mean and std; AlexNet's layers are conv1..conv5)
The graph comes from bench/onnx_graphs.py (onnx helpers, not our Rust code). The images must be
224x224 grayscale PNGs; preprocessing (Caffe: BGR, 0-255, minus the
ImageNet mean) is done here with PIL and numpy, independently of the Rust code.
"""
import json, sys, zipfile
import numpy as np
import onnxruntime as ort
from PIL import Image
import os
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "bench"))
from onnx_graphs import vgg16_from_wheel as truncated_model  # noqa: E402
from onnx_graphs import alexnet_from_safetensors, vgg16_from_safetensors  # noqa: E402

MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)
MEAN_RGB = np.array([0.485, 0.456, 0.406], dtype=np.float32)
STD_RGB = np.array([0.229, 0.224, 0.225], dtype=np.float32)
VGG_NAMES = [f"conv{b}_{c}" for b, n in [(1, 2), (2, 2), (3, 3), (4, 3), (5, 3)] for c in range(1, n + 1)]


def preprocess(path):
    gray = np.asarray(Image.open(path).convert("L"), dtype=np.float32)
    assert gray.shape == (224, 224), gray.shape
    return np.stack([gray - MEAN_BGR[c] for c in range(3)])[None]


def preprocess_torchvision(path):
    gray = np.asarray(Image.open(path).convert("L"), dtype=np.float32) / 255.0
    assert gray.shape == (224, 224), gray.shape
    return np.stack([(gray - MEAN_RGB[c]) / STD_RGB[c] for c in range(3)])[None]


def main():
    if sys.argv[1] == "--safetensors":
        arch, path, images = sys.argv[2], sys.argv[3], sys.argv[4:]
        if arch == "alexnet":
            model, outputs = alexnet_from_safetensors(path)
            relus, names = outputs[:5], [f"conv{i}" for i in range(1, 6)]
        else:
            (model, relus), names = vgg16_from_safetensors(path), VGG_NAMES
        prep = preprocess_torchvision
    else:
        wheel, images = sys.argv[1], sys.argv[2:]
        (model, relus), names, prep = truncated_model(wheel), VGG_NAMES, preprocess
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    out = {}
    for p in images:
        maps = sess.run(relus, {"x": prep(p)})
        out[p] = {n: m[0].mean(axis=(1, 2)).tolist() for n, m in zip(names, maps)}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
