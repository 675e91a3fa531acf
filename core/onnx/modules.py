"""ONNX converters of whole modules: layers whose recorded ops are not the best (or not a
traceable) ONNX form, such as LSTM, GRU, normalization in eval mode and Embedding.

A converter is ``fn(graph, module, args, kwargs) -> list of output names`` (one per Tensor
of the module's output, flattened) or ``None`` when the module's configuration is not
covered; the module's own ops are then traced instead.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import nn
from .graph import Graph

__all__ = ["MODULE_CONVERTERS", "module_converter"]

#: module class -> converter (looked up along the module's MRO)
MODULE_CONVERTERS: dict[type, Callable] = {}


def module_converter(*classes: type) -> Callable:
    """Register the decorated function as the ONNX converter of module ``classes``."""
    def register(fn: Callable) -> Callable:
        for c in classes:
            MODULE_CONVERTERS[c] = fn
        return fn
    return register


def lookup(module: Any) -> Callable | None:
    """The converter of ``module``'s class (or of its nearest registered base)."""
    for cls in type(module).__mro__:
        if cls in MODULE_CONVERTERS:
            return MODULE_CONVERTERS[cls]
    return None


def _param(g: Graph, t: Any) -> str | None:
    return None if t is None else g.name_of(t)


def _arr(t: Any) -> np.ndarray:
    return t.detach().cpu().numpy()


@module_converter(nn.Dropout, nn.Identity)
def _identity(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str] | None:
    if isinstance(m, nn.Dropout) and m.training and m.p > 0:
        # exported in training mode: ONNX's Dropout draws its own mask on every run
        ratio = g.const(np.float32(m.p), "ratio")
        return [g.node("Dropout", [g.name_of(args[0]), ratio, g.const(np.bool_(True), "training_mode")],
                       n_out=1)[0]]
    return [g.op("Identity", g.name_of(args[0]))]


@module_converter(nn.Embedding)
def _embedding(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str] | None:
    if m.max_norm is not None:
        return None
    return [g.op("Gather", g.name_of(m.weight), g.name_of(args[0]), axis=0)]


@module_converter(nn.LeakyReLU)
def _leaky_relu(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str]:
    return [g.op("LeakyRelu", g.name_of(args[0]), alpha=float(m.negative_slope))]


@module_converter(nn.ELU)
def _elu(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str]:
    return [g.op("Elu", g.name_of(args[0]), alpha=float(m.alpha))]


@module_converter(nn.Softplus)
def _softplus(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str]:
    x = g.name_of(args[0])
    if m.beta == 1:
        return [g.op("Softplus", x)]
    beta = g.const(np.float32(m.beta), "beta")
    return [g.op("Div", g.op("Softplus", g.op("Mul", x, beta)), beta)]


@module_converter(nn.Mish)
def _mish(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str]:
    x = g.name_of(args[0])
    return [g.op("Mul", x, g.op("Tanh", g.op("Softplus", x)))]


def _conv_padding(m: Any, n: int) -> list[int] | None:
    if m.padding_mode != "zeros":
        return None
    if m.padding == "valid":
        return [0] * (2 * n)
    if m.padding == "same":
        total = [d * (k - 1) for d, k in zip(m.dilation, m.kernel_size)]
        return [t // 2 for t in total] + [t - t // 2 for t in total]
    return list(m.padding) * 2


@module_converter(nn.Conv1d, nn.Conv2d)
def _conv(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str] | None:
    n = len(m.kernel_size)
    pads = _conv_padding(m, n)
    if pads is None or args[0].dim() != n + 2:
        return None
    ins = [g.name_of(args[0]), g.name_of(m.weight)] + ([g.name_of(m.bias)] if m.bias is not None else [])
    return [g.op("Conv", *ins, kernel_shape=list(m.kernel_size), strides=list(m.stride), pads=pads,
                 dilations=list(m.dilation), group=int(m.groups))]


@module_converter(nn.ConvTranspose2d)
def _conv_transpose(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str] | None:
    if args[0].dim() != 4 or len(args) > 1 or kwargs:
        return None
    ins = [g.name_of(args[0]), g.name_of(m.weight)] + ([g.name_of(m.bias)] if m.bias is not None else [])
    return [g.op("ConvTranspose", *ins, kernel_shape=list(m.kernel_size), strides=list(m.stride),
                 pads=list(m.padding) * 2, dilations=list(m.dilation), group=int(m.groups),
                 output_padding=list(m.output_padding))]


def _tup(v: Any, n: int) -> list[int]:
    return [int(x) for x in v] if isinstance(v, (tuple, list)) else [int(v)] * n


@module_converter(nn.MaxPool1d, nn.MaxPool2d)
def _max_pool(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str] | None:
    n = 1 if isinstance(m, nn.MaxPool1d) else 2
    if m.return_indices or args[0].dim() != n + 2:
        return None
    pads = _tup(m.padding, n)
    return [g.op("MaxPool", g.name_of(args[0]), kernel_shape=_tup(m.kernel_size, n),
                 strides=_tup(m.stride, n), pads=pads + pads, dilations=_tup(m.dilation, n),
                 ceil_mode=int(m.ceil_mode))]


@module_converter(nn.AvgPool1d, nn.AvgPool2d)
def _avg_pool(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str] | None:
    n = 1 if isinstance(m, nn.AvgPool1d) else 2
    if getattr(m, "divisor_override", None) is not None or args[0].dim() != n + 2:
        return None
    pads = _tup(m.padding, n)
    return [g.op("AveragePool", g.name_of(args[0]), kernel_shape=_tup(m.kernel_size, n),
                 strides=_tup(m.stride, n), pads=pads + pads, ceil_mode=int(m.ceil_mode),
                 count_include_pad=int(m.count_include_pad))]


@module_converter(nn.AdaptiveAvgPool2d)
def _adaptive_avg_pool(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str] | None:
    if _tup(m.output_size, 2) != [1, 1] or args[0].dim() != 4:
        return None
    return [g.op("GlobalAveragePool", g.name_of(args[0]))]


@module_converter(nn.BatchNorm1d, nn.BatchNorm2d)
def _batch_norm(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str] | None:
    if m.training or m.running_mean is None:
        return None
    c = m.num_features
    scale = _param(g, m.weight) or g.const(np.ones(c, np.float32), "bn_scale")
    bias = _param(g, m.bias) or g.const(np.zeros(c, np.float32), "bn_bias")
    return [g.op("BatchNormalization", g.name_of(args[0]), scale, bias, g.name_of(m.running_mean),
                 g.name_of(m.running_var), epsilon=float(m.eps))]


@module_converter(nn.LayerNorm)
def _layer_norm(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str] | None:
    shape = m.normalized_shape
    w = getattr(m, "weight", None)
    b = getattr(m, "bias", None)
    scale = _param(g, w) or g.const(np.ones(shape, np.float32), "ln_scale")
    bias = _param(g, b) or g.const(np.zeros(shape, np.float32), "ln_bias")
    return [g.op("LayerNormalization", g.name_of(args[0]), scale, bias, axis=-len(shape),
                 epsilon=float(m.eps))]


# ---- recurrent layers ------------------------------------------------------------------------
#: PyTorch's gate blocks, in the order ONNX wants them (LSTM: i f g o -> i o f c; GRU: r z n -> z r h)
_GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}


def _gates(arr: np.ndarray, mode: str) -> np.ndarray:
    blocks = np.split(arr, len(_GATE_ORDER[mode]), axis=0)
    return np.concatenate([blocks[i] for i in _GATE_ORDER[mode]], axis=0)


@module_converter(nn.LSTM, nn.GRU, nn.RNN)
def _rnn(g: Graph, m: Any, args: tuple, kwargs: dict) -> list[str] | None:
    x = args[0]
    hx = args[1] if len(args) > 1 else kwargs.get("hx")
    if m.proj_size or x.dim() != 3:
        return None
    mode = m.mode if m.mode in _GATE_ORDER else None
    if mode is None:
        return None
    nd = 2 if m.bidirectional else 1
    sfx = ["", "_reverse"][:nd]
    lstm = mode == "LSTM"
    h0 = c0 = None
    if hx is not None:
        h0, c0 = (g.name_of(hx[0]), g.name_of(hx[1])) if lstm else (g.name_of(hx), None)
    y = g.name_of(x)
    if m.batch_first:
        y = g.op("Transpose", y, perm=[1, 0, 2])
    hs, cs = [], []
    for layer in range(m.num_layers):
        def stack(kind: str, layer: int = layer) -> np.ndarray:
            return np.stack([_gates(_arr(getattr(m, f"{kind}_l{layer}{s}")), mode) for s in sfx])
        path = f"{g.where()}.l{layer}"
        ins = [y, g.const(stack("weight_ih"), f"{path}.W"), g.const(stack("weight_hh"), f"{path}.R")]
        if m.bias:
            ins.append(g.const(np.concatenate([stack("bias_ih"), stack("bias_hh")], axis=1), f"{path}.B"))
        else:
            ins.append("")
        ins.append("")  # sequence_lens
        sl = (g.ints([layer * nd], "starts"), g.ints([(layer + 1) * nd], "ends"), g.ints([0], "axes"))
        ins.append(g.op("Slice", h0, *sl) if h0 is not None else "")
        if lstm:
            ins.append(g.op("Slice", c0, *sl) if c0 is not None else "")
        while ins and ins[-1] == "":
            ins.pop()
        attrs: dict[str, Any] = dict(hidden_size=int(m.hidden_size),
                                     direction="bidirectional" if nd == 2 else "forward")
        if mode == "GRU":
            attrs["linear_before_reset"] = 1
        if mode.startswith("RNN"):
            attrs["activations"] = ["Tanh" if mode == "RNN_TANH" else "Relu"] * nd
        outs = g.node("LSTM" if lstm else ("GRU" if mode == "GRU" else "RNN"), ins,
                      n_out=3 if lstm else 2, **attrs)
        hs.append(outs[1])
        if lstm:
            cs.append(outs[2])
        # (L, D, N, H) -> (L, N, D*H)
        y = g.op("Reshape", g.op("Transpose", outs[0], perm=[0, 2, 1, 3]), g.ints([0, 0, -1]))
    if m.batch_first:
        y = g.op("Transpose", y, perm=[1, 0, 2])
    h_n = g.op("Concat", *hs, axis=0) if len(hs) > 1 else g.op("Identity", hs[0])
    if lstm:
        c_n = g.op("Concat", *cs, axis=0) if len(cs) > 1 else g.op("Identity", cs[0])
        return [y, h_n, c_n]
    return [y, h_n]
