"""ONNX converters of the frontend ops recorded on autograd nodes (``grad_fn``).

Each converter reads the node's inputs (resolved through :meth:`Graph.name_of`) and what
the op saved for its backward rule, and adds the equivalent ONNX nodes.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .graph import OP_CONVERTERS, Graph, UnsupportedOperatorError

__all__ = ["converter"]

_INT64_MAX = 2**63 - 1


def converter(*names: str) -> Callable:
    """Register the decorated function as the ONNX converter of ops ``names``."""
    def register(fn: Callable) -> Callable:
        for n in names:
            OP_CONVERTERS[n] = fn
        return fn
    return register


def _np_dtype(t: Any) -> Any:
    return np.dtype(t.dtype.name)


def _scalar_like(g: Graph, value: Any, t: Any) -> str:
    return g.const(np.asarray(value, dtype=_np_dtype(t)), "scalar")


def _binary(onnx_op: str, reverse: bool = False) -> Callable:
    def conv(g: Graph, node: Any, out: Any) -> list[str]:
        a, b = (tuple(node.inputs) + (None,))[:2]
        x = g.name_of(a)
        y = g.name_of(b) if b is not None else _scalar_like(g, node.saved, a)
        return [g.op(onnx_op, y, x) if reverse else g.op(onnx_op, x, y)]
    return conv


for _name, _op in (("add", "Add"), ("sub", "Sub"), ("mul", "Mul"), ("div", "Div"), ("pow", "Pow"),
                   ("maximum", "Max"), ("minimum", "Min")):
    OP_CONVERTERS[_name] = _binary(_op)
for _name, _op in (("rsub", "Sub"), ("rdiv", "Div"), ("rpow", "Pow")):
    OP_CONVERTERS[_name] = _binary(_op, reverse=True)


def _unary(onnx_op: str) -> Callable:
    def conv(g: Graph, node: Any, out: Any) -> list[str]:
        return [g.op(onnx_op, g.name_of(node.inputs[0]))]
    return conv


for _name, _op in (("neg", "Neg"), ("exp", "Exp"), ("log", "Log"), ("sin", "Sin"), ("cos", "Cos"),
                   ("tanh", "Tanh"), ("sqrt", "Sqrt"), ("abs", "Abs"), ("sign", "Sign"),
                   ("relu", "Relu"), ("sigmoid", "Sigmoid"), ("erf", "Erf"), ("floor", "Floor"),
                   ("clone", "Identity"), ("to_copy", "Identity")):
    OP_CONVERTERS[_name] = _unary(_op)


@converter("log1p")
def _log1p(g: Graph, node: Any, out: Any) -> list[str]:
    a = node.inputs[0]
    return [g.op("Log", g.op("Add", g.name_of(a), _scalar_like(g, 1, a)))]


@converter("expm1")
def _expm1(g: Graph, node: Any, out: Any) -> list[str]:
    a = node.inputs[0]
    return [g.op("Sub", g.op("Exp", g.name_of(a)), _scalar_like(g, 1, a))]


@converter("clamp")
def _clamp(g: Graph, node: Any, out: Any) -> list[str]:
    a, b = node.inputs
    lower, bound = node.saved
    y = g.name_of(b) if b is not None else _scalar_like(g, bound, a)
    return [g.op("Max" if lower else "Min", g.name_of(a), y)]


@converter("where")
def _where(g: Graph, node: Any, out: Any) -> list[str]:
    raise UnsupportedOperatorError(
        f"ONNX export: op 'where' (in module '{g.where()}') has no ONNX mapping: its condition was "
        "computed without autograd, so the trace cannot follow it; use a module with its own "
        "converter (nn.LeakyReLU, nn.ELU, nn.Softplus, nn.Mish) instead of the functional form; "
        "std/norm/normalize/masked_fill/tril also record it")


@converter("gelu")
def _gelu(g: Graph, node: Any, out: Any) -> list[str]:
    a = node.inputs[0]
    (approximate,), _ = node.saved
    x = g.name_of(a)
    half = g.op("Mul", x, _scalar_like(g, 0.5, a))
    if approximate == "tanh":
        cube = g.op("Mul", g.op("Mul", x, x), x)
        inner = g.op("Add", x, g.op("Mul", cube, _scalar_like(g, 0.044715, a)))
        t = g.op("Tanh", g.op("Mul", inner, _scalar_like(g, math.sqrt(2 / math.pi), a)))
    else:
        t = g.op("Erf", g.op("Mul", x, _scalar_like(g, 1 / math.sqrt(2), a)))
    return [g.op("Mul", half, g.op("Add", t, _scalar_like(g, 1, a)))]


# ---- reductions ------------------------------------------------------------------------------
def _reduction(onnx_op: str) -> Callable:
    def conv(g: Graph, node: Any, out: Any) -> list[str]:
        axes, keepdim = node.saved[:2]
        return [g.reduce(onnx_op, g.name_of(node.inputs[0]), axes, keepdim)]
    return conv


for _name, _op in (("sum", "ReduceSum"), ("mean", "ReduceMean"), ("amax", "ReduceMax"),
                   ("amin", "ReduceMin"), ("prod", "ReduceProd"), ("logsumexp", "ReduceLogSumExp")):
    OP_CONVERTERS[_name] = _reduction(_op)


@converter("softmax", "log_softmax")
def _softmax(g: Graph, node: Any, out: Any) -> list[str]:
    (axis,), _ = node.saved
    return [g.op("Softmax" if node.name == "softmax" else "LogSoftmax", g.name_of(node.inputs[0]),
                 axis=int(axis))]


@converter("cumsum")
def _cumsum(g: Graph, node: Any, out: Any) -> list[str]:
    return [g.op("CumSum", g.name_of(node.inputs[0]), g.ints(int(node.saved), "axis"))]


# ---- shape and movement ----------------------------------------------------------------------
def reshape_target(in_shape: tuple, out_shape: tuple) -> list[int]:
    """Reshape's target with 0 ("copy") for the leading dims that keep their size and -1 at
    the first one that does not, so a dynamic batch dimension survives the reshape."""
    target = list(out_shape)
    i = 0
    while i < min(len(in_shape), len(out_shape)) and in_shape[i] == out_shape[i] and out_shape[i] != 0:
        target[i] = 0
        i += 1
    if i < len(target) and 0 not in out_shape:
        target[i] = -1
    return target


@converter("reshape")
def _reshape(g: Graph, node: Any, out: Any) -> list[str]:
    a = node.inputs[0]
    target = reshape_target(tuple(a.shape), tuple(out.shape))
    return [g.op("Reshape", g.name_of(a), g.ints(target))]


@converter("permute")
def _permute(g: Graph, node: Any, out: Any) -> list[str]:
    return [g.op("Transpose", g.name_of(node.inputs[0]), perm=[int(p) for p in node.saved])]


@converter("expand")
def _expand(g: Graph, node: Any, out: Any) -> list[str]:
    a = node.inputs[0]
    ins = (1,) * (out.dim() - a.dim()) + tuple(a.shape)
    shape = [1 if i == o else o for i, o in zip(ins, out.shape)]
    return [g.op("Expand", g.name_of(a), g.ints(shape))]


@converter("cat")
def _cat(g: Graph, node: Any, out: Any) -> list[str]:
    ax, _ = node.saved
    return [g.op("Concat", *[g.name_of(t) for t in node.inputs], axis=int(ax))]


@converter("split", "unbind")
def _split(g: Graph, node: Any, out: Any) -> list[str]:
    a = node.inputs[0]
    d, shapes, squeeze = node.saved
    sizes = [1 if squeeze else s[d] for s in shapes]
    outs = g.node("Split", [g.name_of(a), g.ints(sizes, "split")], n_out=len(sizes), axis=int(d))
    if squeeze:
        outs = [g.op("Squeeze", o, g.ints([d], "axes")) for o in outs]
    return outs


@converter("pad")
def _pad(g: Graph, node: Any, out: Any) -> list[str]:
    widths = node.saved
    pads = [int(b) for b, _ in widths] + [int(e) for _, e in widths]
    return [g.op("Pad", g.name_of(node.inputs[0]), g.ints(pads, "pads"))]


@converter("index")
def _index(g: Graph, node: Any, out: Any) -> list[str]:
    a = node.inputs[0]
    idx, basic = node.saved
    idx = idx if isinstance(idx, tuple) else (idx,)
    x = g.name_of(a)
    nd = a.dim()
    n_real = sum(1 for i in idx if i is not None and i is not Ellipsis)
    expanded: list[Any] = []
    for i in idx:
        if i is Ellipsis:
            expanded.extend([slice(None)] * (nd - n_real))
        else:
            expanded.append(i)
    dim = 0  # the dim of the current result that the next index applies to
    for i in expanded:
        if i is None:
            x = g.op("Unsqueeze", x, g.ints([dim], "axes"))
            dim += 1
        elif isinstance(i, slice):
            if i != slice(None):
                step = 1 if i.step is None else int(i.step)
                start = (0 if step > 0 else -1) if i.start is None else int(i.start)
                stop = (_INT64_MAX if step > 0 else -_INT64_MAX) if i.stop is None else int(i.stop)
                x = g.op("Slice", x, g.ints([start], "starts"), g.ints([stop], "ends"),
                         g.ints([dim], "axes"), g.ints([step], "steps"))
            dim += 1
        elif isinstance(i, (int, np.integer)):
            x = g.op("Gather", x, g.ints(int(i), "index"), axis=dim)
        elif not basic and np.asarray(i).dtype.kind in "iu" and sum(
                1 for j in expanded if not isinstance(j, slice) and j is not None) == 1:
            x = g.op("Gather", x, g.ints(np.asarray(i), "index"), axis=dim)
            dim += np.asarray(i).ndim
        else:
            raise UnsupportedOperatorError(
                f"ONNX export: op 'index' with index {i!r} (in module '{g.where()}') has no ONNX "
                "mapping: basic slicing, integers and one integer-array index are supported")
    return [x]


@converter("gather")
def _gather(g: Graph, node: Any, out: Any) -> list[str]:
    d, index = node.saved
    if g.names.get(id(index), (None, False))[1] is not getattr(index, "grad_fn", None):
        raise UnsupportedOperatorError(
            f"ONNX export: op 'gather' (in module '{g.where()}') has no ONNX mapping for an index "
            "computed outside the traced graph (max(dim)/min(dim)/sort/topk record their indices that "
            "way); use amax/amin for the values, or pass the index as a model input")
    return [g.op("GatherElements", g.name_of(node.inputs[0]), g.name_of(index), axis=int(d))]


# ---- linear algebra and layers ---------------------------------------------------------------
@converter("mm", "matmul")
def _mm(g: Graph, node: Any, out: Any) -> list[str]:
    a, b = node.inputs
    return [g.op("MatMul", g.name_of(a), g.name_of(b))]


@converter("linear")
def _linear(g: Graph, node: Any, out: Any) -> list[str]:
    x, w = node.inputs[:2]
    b = node.inputs[2] if len(node.inputs) > 2 else None
    if x.dim() == 2:
        ins = [g.name_of(x), g.name_of(w)] + ([g.name_of(b)] if b is not None else [])
        return [g.op("Gemm", *ins, transB=1)]
    y = g.op("MatMul", g.name_of(x), g.op("Transpose", g.name_of(w), perm=[1, 0]))
    return [g.op("Add", y, g.name_of(b)) if b is not None else y]


def _conv_attrs(stride: Any, padding: Any, dilation: Any, groups: int) -> dict:
    pads = [int(p) for p in padding]
    return dict(strides=[int(s) for s in stride], pads=pads + pads,
                dilations=[int(d) for d in dilation], group=int(groups))


@converter("conv2d")
def _conv2d(g: Graph, node: Any, out: Any) -> list[str]:
    (stride, padding, dilation, groups), _ = node.saved
    ins = [g.name_of(t) for t in node.inputs if t is not None]
    return [g.op("Conv", *ins, **_conv_attrs(stride, padding, dilation, groups))]


@converter("max_pool2d")
def _max_pool2d(g: Graph, node: Any, out: Any) -> list[str]:
    (kernel, stride, padding, dilation, ceil_mode), _ = node.saved
    pads = [int(p) for p in padding]
    return [g.op("MaxPool", g.name_of(node.inputs[0]), kernel_shape=[int(k) for k in kernel],
                 strides=[int(s) for s in stride], pads=pads + pads,
                 dilations=[int(d) for d in dilation], ceil_mode=int(ceil_mode))]
