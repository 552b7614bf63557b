"""all-MiniLM-L6-v2 as an ONNX graph, written from its safetensors with ``onnx.helper``: no torch.

A graph rather than the forward pass in numpy, for speed at about the same code: onnxruntime fuses
its matmuls and GELUs and runs it with the kernels the torch export had, so a query takes what it
took before (4–9 ms here), where numpy took twice as long and 4–8× as long for a batch of
passages, side by side; and numpy has no erf for BERT's exact GELU.

The graph is BERT's encoder as ``transformers`` runs it in eval mode, then sentence-transformers'
mean pooling over the attention mask and L2 normalisation, so its one output is the sentence
vector. Only the first start imports this module (``onnx`` takes a while to import).
"""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from safetensors.numpy import load_file

OPSET = 18  # LayerNormalization (17) and every Reduce* taking its axes as an input (18)
LAYER_NORM_EPS = 1e-12  # config.json's layer_norm_eps


class _Graph:
    """Nodes and initialisers, with a fresh name for each intermediate value."""

    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: dict[str, onnx.TensorProto] = {}

    def const(self, name: str, value: Any) -> str:
        if name not in self.initializers:
            self.initializers[name] = numpy_helper.from_array(np.asarray(value), name)
        return name

    def ints(self, *values: int) -> str:
        return self.const(f"int64{list(values)}", np.array(values, dtype=np.int64))

    def scalar(self, value: float) -> str:
        return self.const(f"float32({value!r})", np.float32(value))

    def op(self, op_type: str, *inputs: str, output: str = "", **attrs: Any) -> str:
        output = output or f"{op_type}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attrs))
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


def build(weights: dict[str, np.ndarray], config: dict[str, Any]) -> onnx.ModelProto:
    """(input_ids, attention_mask) -> sentence_embedding, both inputs int64 (batch, tokens)."""
    g = _Graph(weights)
    mask = g.op("Cast", "attention_mask", to=TensorProto.FLOAT)

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

    inputs = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"]) for name in ("input_ids", "attention_mask")
    ]
    output = helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", int(config["hidden_size"])])
    graph = helper.make_graph(g.nodes, "all-MiniLM-L6-v2", inputs, [output], list(g.initializers.values()))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="pathwise")
    onnx.checker.check_model(model, full_check=True)
    return model


def export(weights_file: Path, config: dict[str, Any], target: Path) -> None:
    """Write the graph to ``target`` atomically: a temporary file, then a rename."""
    model = build(load_file(str(weights_file)), config)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    try:
        onnx.save(model, str(tmp))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
