"""The ONNX graph under construction while a model's forward pass is traced.

:class:`Graph` names every traced Tensor, turns parameters, buffers and other tensors
that no traced op produced into initializers, and resolves a Tensor that a frontend op
produced by walking its recorded autograd node (``grad_fn``) through the op converters
of :mod:`xgrad.onnx.ops`. Modules with a converter of their own (:mod:`xgrad.onnx.modules`)
run untraced and add their nodes directly.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..tensor import Tensor

__all__ = ["Graph", "UnsupportedOperatorError", "OP_CONVERTERS"]

#: op name (as recorded on a graph node) -> ``fn(graph, node, out) -> list of output names``
OP_CONVERTERS: dict[str, Callable] = {}


class UnsupportedOperatorError(RuntimeError):
    """An op of the traced model has no ONNX mapping."""


class Graph:
    """Nodes, initializers and the names of traced tensors of one export."""

    def __init__(self, onnx: Any, opset: int, params: dict[int, str]) -> None:
        self.onnx, self.helper, self.opset = onnx, onnx.helper, opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.names: dict[int, tuple[str, Any]] = {}  # id -> (value name, grad_fn when bound)
        self.node_outs: dict[int, list[str]] = {}
        self.keep: list[Any] = []  # traced objects stay alive so their ids stay unique
        self.params = params
        self.path: list[str] = []
        self._used: set[str] = set()

    # ---- naming ------------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        """A value name not used yet, derived from ``hint``."""
        name, k = hint, 0
        while name in self._used:
            k += 1
            name = f"{hint}_{k}"
        self._used.add(name)
        return name

    def bind(self, t: Tensor, name: str) -> None:
        """Record that the traced tensor ``t`` is the ONNX value ``name``."""
        self.keep.append(t)
        self.keep.append(t.grad_fn)
        # an in-place op later gives ``t`` a new grad_fn: the name then no longer holds
        self.names[id(t)] = (name, t.grad_fn)

    def where(self) -> str:
        """The module path being traced, for error messages."""
        return self.path[-1] if self.path else "<top-level module>"

    # ---- building ----------------------------------------------------------------------------
    def const(self, value: Any, hint: str = "const", dtype: Any = None) -> str:
        """An initializer holding ``value`` (array-like); returns its name."""
        arr = np.asarray(value, dtype=dtype)
        if arr.dtype == np.float64 and dtype is None:
            arr = arr.astype(np.float32)
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))
        return name

    def ints(self, values: Any, hint: str = "shape") -> str:
        """An int64 initializer (shapes, axes, sizes)."""
        return self.const(np.asarray(values, dtype=np.int64), hint)

    def node(self, op_type: str, inputs: list[str], n_out: int = 1, **attrs: Any) -> list[str]:
        """Add one node; returns the names of its ``n_out`` outputs."""
        outs = [self.fresh(f"/{op_type}_{len(self.nodes)}" + (f"_{i}" if n_out > 1 else ""))
                for i in range(n_out)]
        name = f"{self.where()}/{op_type}_{len(self.nodes)}"
        self.nodes.append(self.helper.make_node(op_type, inputs, outs, name=name, **attrs))
        return outs

    def op(self, op_type: str, *inputs: str, **attrs: Any) -> str:
        """Add a one-output node; returns its output's name."""
        return self.node(op_type, list(inputs), **attrs)[0]

    def reduce(self, op_type: str, x: str, axes: Any, keepdims: bool) -> str:
        """A Reduce* node, with ``axes`` as attribute or input as the opset wants."""
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, x, self.ints(axes, "axes"), keepdims=int(keepdims))
        return self.op(op_type, x, axes=axes, keepdims=int(keepdims))

    # ---- resolving ---------------------------------------------------------------------------
    def name_of(self, t: Any) -> str:
        """The ONNX value of tensor ``t``: a traced value, an initializer, or the output of
        the converted ops that produced it."""
        if not isinstance(t, Tensor):
            return self.const(np.asarray(t), "const")
        key = id(t)
        node = t.grad_fn
        entry = self.names.get(key)
        if entry is not None and entry[1] is node:
            return entry[0]
        if node is None:
            hint = self.params.get(key, "const")
            name = self.const(t.detach().cpu().numpy(), hint)
            self.bind(t, name)
            return name
        if id(node) not in self.node_outs:
            conv = OP_CONVERTERS.get(node.name)
            if conv is None:
                raise UnsupportedOperatorError(
                    f"ONNX export: op '{node.name}' (in module '{self.where()}') has no ONNX mapping; "
                    f"supported ops: {', '.join(sorted(OP_CONVERTERS))}")
            self.keep.append(node)
            self.node_outs[id(node)] = conv(self, node, t)
        name = self.node_outs[id(node)][getattr(t, "_oidx", 0)]
        self.bind(t, name)
        return name
