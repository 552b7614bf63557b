"""all-MiniLM-L6-v2 as an ONNX graph, written from its safetensors by a few lines of protobuf: no torch, no onnx.

A graph rather than the forward pass in numpy, for speed at about the same code: onnxruntime fuses
its matmuls and GELUs and runs it with the kernels the torch export had, so a query takes what it
took before (4–9 ms here), where numpy took twice as long and 4–8× as long for a batch of
passages, side by side; and numpy has no erf for BERT's exact GELU.

The graph is BERT's encoder as ``transformers`` runs it in eval mode, then sentence-transformers'
mean pooling over the attention mask and L2 normalisation, so its one output is the sentence
vector. The file is the protobuf encoding of the few ONNX messages the graph needs (field numbers
from onnx.proto), written here rather than with the ``onnx`` package, which would add 32 MB to
every install for one build per machine; a test checks the file with ``onnx.checker``.
"""

from __future__ import annotations

import json
import math
import os
import struct
from pathlib import Path
from typing import Any

import numpy as np

OPSET = 18  # LayerNormalization (17) and every Reduce* taking its axes as an input (18)
IR_VERSION = 8  # the first to carry opset 18
LAYER_NORM_EPS = 1e-12  # config.json's layer_norm_eps
FLOAT, INT64 = 1, 7  # TensorProto.DataType
SAFETENSORS_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4"}


# -- protobuf's wire format: varints and length-delimited fields, enough for ONNX's messages -----


def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # a negative int64 as its two's complement, as protobuf writes it
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _int(field: int, value: int) -> bytes:
    return _varint(field << 3) + _varint(value)


def _float(field: int, value: float) -> bytes:
    return _varint(field << 3 | 5) + struct.pack("<f", value)


def _bytes(field: int, data: bytes | str) -> bytes:
    raw = data.encode() if isinstance(data, str) else data
    return _varint(field << 3 | 2) + _varint(len(raw)) + raw


def _tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian)."""
    kinds = {np.dtype(np.float32): FLOAT, np.dtype(np.int64): INT64}
    data_type = kinds[array.dtype]
    dims = b"".join(_int(1, d) for d in array.shape)
    raw = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()
    return dims + _int(2, data_type) + _bytes(8, name) + _bytes(9, raw)


def _attribute(name: str, value: int | float | list[int]) -> bytes:
    """AttributeProto: name (1), f (2), i (3), ints (8), type (20: FLOAT 1, INT 2, INTS 7)."""
    if isinstance(value, list):
        return _bytes(1, name) + b"".join(_int(8, v) for v in value) + _int(20, 7)
    if isinstance(value, int):
        return _bytes(1, name) + _int(3, value) + _int(20, 2)
    return _bytes(1, name) + _float(2, value) + _int(20, 1)


def _node(op_type: str, inputs: list[str], output: str, attrs: dict[str, Any]) -> bytes:
    """NodeProto: input (1), output (2), name (3), op_type (4), attribute (5)."""
    return (
        b"".join(_bytes(1, i) for i in inputs)
        + _bytes(2, output)
        + _bytes(3, output)
        + _bytes(4, op_type)
        + b"".join(_bytes(5, _attribute(k, v)) for k, v in sorted(attrs.items()))
    )


def _value_info(name: str, elem_type: int, shape: list[int | str]) -> bytes:
    """ValueInfoProto name (1), type (2) → TypeProto tensor_type (1) → elem_type (1), shape (2) → dim (1)."""
    dims = b"".join(_bytes(1, _int(1, d) if isinstance(d, int) else _bytes(2, d)) for d in shape)
    return _bytes(1, name) + _bytes(2, _bytes(1, _int(1, elem_type) + _bytes(2, dims)))


def _model(name: str, nodes: list[bytes], initializers: list[bytes], inputs: list[bytes], outputs: list[bytes]) -> bytes:
    """ModelProto: ir_version (1), producer_name (2), graph (7), opset_import (8); GraphProto: node (1),
    name (2), initializer (5), input (11), output (12)."""
    graph = (
        b"".join(_bytes(1, n) for n in nodes)
        + _bytes(2, name)
        + b"".join(_bytes(5, t) for t in initializers)
        + b"".join(_bytes(11, i) for i in inputs)
        + b"".join(_bytes(12, o) for o in outputs)
    )
    opset = _bytes(1, "") + _int(2, OPSET)
    return _int(1, IR_VERSION) + _bytes(2, "pathwise") + _bytes(7, graph) + _bytes(8, opset)


def load_safetensors(path: Path) -> dict[str, np.ndarray]:
    """A safetensors file as numpy arrays: an 8-byte header length, a JSON header, then the raw tensors."""
    data = path.read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    arrays = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = np.dtype(SAFETENSORS_DTYPES[info["dtype"]])
        array = np.frombuffer(data, dtype=dtype, count=(end - start) // dtype.itemsize, offset=8 + size + start)
        arrays[name] = array.reshape(info["shape"])
    return arrays


class _Graph:
    """Nodes and initialisers, with a fresh name for each intermediate value."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[bytes] = []
        self.initializers: dict[str, bytes] = {}

    def const(self, name: str, value: Any) -> str:
        if name not in self.initializers:
            self.initializers[name] = _tensor(name, np.asarray(value))
        return name

    def ints(self, *values: int) -> str:
        return self.const(f"int64{list(values)}", np.array(values, dtype=np.int64))

    def scalar(self, value: float) -> str:
        return self.const(f"float32({value!r})", np.float32(value))

    def op(self, op_type: str, *inputs: str, output: str = "", **attrs: Any) -> str:
        output = output or f"{op_type}_{len(self.nodes)}"
        self.nodes.append(_node(op_type, list(inputs), output, attrs))
        return output

    def linear(self, x: str, prefix: str) -> str:
        """``x @ W.T + b``, as torch's Linear; W is stored transposed."""
        w = self.const(f"{prefix}.weight.T", np.ascontiguousarray(self.weights[f"{prefix}.weight"].T))
        return self.op("Add", self.op("MatMul", x, w), self.const(f"{prefix}.bias", self.weights[f"{prefix}.bias"]))

    def layer_norm(self, x: str, prefix: str) -> str:
        scale = self.const(f"{prefix}.weight", self.weights[f"{prefix}.weight"])
        bias = self.const(f"{prefix}.bias", self.weights[f"{prefix}.bias"])
        return self.op("LayerNormalization", x, scale, bias, axis=-1, epsilon=LAYER_NORM_EPS)


def _layer(g: _Graph, x: str, prefix: str, padding: str, heads: int) -> str:
    """One BERT layer: self-attention, then the feed-forward block, each with its residual and norm."""
    hidden = int(g.weights[f"{prefix}.attention.self.query.bias"].shape[0])
    head_dim = hidden // heads

    def split(name: str, perm: list[int]) -> str:  # (batch, tokens, hidden) -> heads, permuted
        projected = g.linear(x, f"{prefix}.attention.self.{name}")
        return g.op("Transpose", g.op("Reshape", projected, g.ints(0, 0, heads, head_dim)), perm=perm)

    q, k_t, v = split("query", [0, 2, 1, 3]), split("key", [0, 2, 3, 1]), split("value", [0, 2, 1, 3])
    scores = g.op("Add", g.op("Mul", g.op("MatMul", q, k_t), g.scalar(1 / math.sqrt(head_dim))), padding)
    context = g.op("MatMul", g.op("Softmax", scores, axis=-1), v)
    context = g.op("Reshape", g.op("Transpose", context, perm=[0, 2, 1, 3]), g.ints(0, 0, hidden))
    x = g.layer_norm(
        g.op("Add", g.linear(context, f"{prefix}.attention.output.dense"), x), f"{prefix}.attention.output.LayerNorm"
    )

    inner = g.linear(x, f"{prefix}.intermediate.dense")  # BERT's exact GELU: x · (1 + erf(x / √2)) / 2
    erf = g.op("Erf", g.op("Div", inner, g.scalar(math.sqrt(2))))
    gelu = g.op("Mul", g.op("Mul", inner, g.op("Add", erf, g.scalar(1.0))), g.scalar(0.5))
    return g.layer_norm(g.op("Add", g.linear(gelu, f"{prefix}.output.dense"), x), f"{prefix}.output.LayerNorm")


def build(weights: dict[str, np.ndarray], config: dict[str, Any]) -> bytes:
    """(input_ids, attention_mask) -> sentence_embedding, both inputs int64 (batch, tokens)."""
    g = _Graph(weights)
    mask = g.op("Cast", "attention_mask", to=FLOAT)

    # the embeddings: word + token type 0 (an input is one segment) + position, then layer norm
    words = g.op("Gather", g.const("word_embeddings", weights["embeddings.word_embeddings.weight"]), "input_ids")
    typed = g.op("Add", words, g.const("token_type_0", weights["embeddings.token_type_embeddings.weight"][0]))
    tokens = g.op("Slice", g.op("Shape", "input_ids"), g.ints(1), g.ints(2))
    positions = g.op("Slice", g.const("position_embeddings", weights["embeddings.position_embeddings.weight"]), g.ints(0), tokens)
    x = g.layer_norm(g.op("Add", typed, positions), "embeddings.LayerNorm")

    # padding gets float32's lowest value added to its attention scores, as in transformers: no weight after softmax
    blocked = g.op("Mul", g.op("Sub", g.scalar(1.0), mask), g.scalar(float(np.finfo(np.float32).min)))
    padding = g.op("Unsqueeze", blocked, g.ints(1, 2))  # (batch, 1, 1, tokens)
    for i in range(int(config["num_hidden_layers"])):
        x = _layer(g, x, f"encoder.layer.{i}", padding, int(config["num_attention_heads"]))

    # sentence-transformers: the mean over unmasked tokens (their count clamped at 1e-9), then x / max(‖x‖, 1e-12)
    summed = g.op("ReduceSum", g.op("Mul", x, g.op("Unsqueeze", mask, g.ints(2))), g.ints(1), keepdims=0)
    pooled = g.op("Div", summed, g.op("Max", g.op("ReduceSum", mask, g.ints(1)), g.scalar(1e-9)))
    norms = g.op("Max", g.op("ReduceL2", pooled, g.ints(1)), g.scalar(1e-12))
    g.op("Div", pooled, norms, output="sentence_embedding")

    inputs = [_value_info(name, INT64, ["batch", "tokens"]) for name in ("input_ids", "attention_mask")]
    output = _value_info("sentence_embedding", FLOAT, ["batch", int(config["hidden_size"])])
    return _model("all-MiniLM-L6-v2", g.nodes, list(g.initializers.values()), inputs, [output])


def export(weights_file: Path, config: dict[str, Any], target: Path) -> None:
    """Write the graph to ``target`` atomically: a temporary file, then a rename."""
    model = build(load_safetensors(weights_file), config)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    try:
        tmp.write_bytes(model)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
