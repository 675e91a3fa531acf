"""``xgrad.onnx``: export a model to ONNX, as ``torch.onnx.export``.

:func:`export` runs the model once and traces it: modules with a converter of their own
(:mod:`xgrad.onnx.modules`: LSTM, GRU, normalization, convolution, pooling, Embedding...)
become their ONNX operators, and everything else is read from the autograd graph the
frontend ops record (:mod:`xgrad.onnx.ops`). The ONNX model is built with the ``onnx``
package (``pip install 'xgrad[onnx]'``); ``import xgrad.onnx`` works without it.
"""
from __future__ import annotations

import enum
import os
from typing import Any

from ..autograd import enable_grad, no_grad
from ..nn import Module
from ..tensor import Tensor
from . import ops  # noqa: F401  (registers the op converters)
from .graph import Graph, UnsupportedOperatorError
from .modules import lookup

__all__ = ["export", "is_in_onnx_export", "TrainingMode", "UnsupportedOperatorError"]

_EXTRA_HINT = "xgrad.onnx.export needs the 'onnx' package: pip install 'xgrad[onnx]'"
_exporting = False


class TrainingMode(enum.IntEnum):
    """The mode the model is exported in, as ``torch.onnx.TrainingMode``."""

    EVAL = 0
    PRESERVE = 1
    TRAINING = 2


def is_in_onnx_export() -> bool:
    """Whether an :func:`export` is tracing a model right now."""
    return _exporting


def _flatten(obj: Any) -> list:
    if isinstance(obj, (tuple, list)):
        return [t for o in obj for t in _flatten(o)]
    if isinstance(obj, dict):
        return [t for o in obj.values() for t in _flatten(o)]
    return [obj]


def _rebuild(obj: Any, it: Any) -> Any:
    if isinstance(obj, (tuple, list)):
        return type(obj)(_rebuild(o, it) for o in obj)
    if isinstance(obj, dict):
        return {k: _rebuild(v, it) for k, v in obj.items()}
    return next(it)


def _traced(t: Any) -> Any:
    """A fresh autograd leaf with ``t``'s value, so the ops applied to it are recorded."""
    if isinstance(t, Tensor) and t.is_floating_point():
        return t.detach().requires_grad_(True)
    return t


def _wrap_forward(g: Graph, name: str, m: Module) -> Any:
    orig = m.forward
    conv = lookup(m)

    def forward(*args: Any, **kwargs: Any) -> Any:
        g.path.append(name)
        try:
            names = conv(g, m, args, kwargs) if conv is not None else None
            if names is None:
                out = orig(*args, **kwargs)
                for t in _flatten(out):
                    if isinstance(t, Tensor):
                        g.name_of(t)
                return out
            with no_grad():
                out = orig(*args, **kwargs)
            flat = [t for t in _flatten(out)]
            tensors = [t for t in flat if isinstance(t, Tensor)]
            if len(tensors) != len(names):
                raise RuntimeError(f"ONNX export: the converter of {type(m).__name__} ('{name}') made "
                                   f"{len(names)} outputs, the module returned {len(tensors)}")
            it = iter(names)
            new = []
            for t in flat:
                if isinstance(t, Tensor):
                    value = next(it)
                    t = _traced(t)
                    g.bind(t, value)
                    if t.requires_grad:
                        # not a leaf, so that in-place ops after the module (ReLU(inplace=True)) work
                        t = t.clone()
                        g.bind(t, value)
                new.append(t)
            return _rebuild(out, iter(new))
        finally:
            g.path.pop()
    return forward


def _axes(spec: Any, name: str) -> dict[int, str]:
    if spec is None:
        return {}
    if isinstance(spec, dict):
        return {int(k): str(v) for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return {int(k): f"{name}_dynamic_axes_{i + 1}" for i, k in enumerate(spec)}
    raise TypeError(f"dynamic_axes[{name!r}]: expected a dict {{axis: name}} or a list of axes, "
                    f"got {type(spec).__name__}")


def export(model: Module, args: Any = (), f: Any = None, *, input_names: list[str] | None = None,
           output_names: list[str] | None = None, dynamic_axes: dict | None = None,
           opset_version: int | None = 17, do_constant_folding: bool = True,
           export_params: bool = True, verbose: bool | None = False,
           training: TrainingMode = TrainingMode.EVAL, kwargs: dict | None = None,
           keep_initializers_as_inputs: bool = False, dynamo: bool = False) -> Any:
    """Trace ``model(*args, **kwargs)`` and write it as an ONNX model to ``f`` (a path or a
    binary file; ``None`` only returns it).

    ``dynamic_axes`` maps input/output names to the axes whose size may vary
    (``{"input": {0: "batch"}}``). Parameters become initializers named after
    ``named_parameters`` (graph inputs with ``export_params=False``). Constants are folded
    while tracing either way; ``dynamo`` is accepted for PyTorch compatibility (xgrad has
    one exporter). Returns the ``onnx.ModelProto``. An op with no ONNX mapping raises
    :class:`UnsupportedOperatorError` naming the op and the module it ran in.
    """
    try:
        import onnx
    except ImportError as e:
        raise ImportError(f"{_EXTRA_HINT} (import failed: {e})") from e
    global _exporting
    if not isinstance(model, Module):
        raise TypeError(f"export: expected model to be an xgrad.nn.Module, got {type(model).__name__}")
    opset = 17 if opset_version is None else int(opset_version)
    if opset < 14:
        raise ValueError(f"export: opset_version must be >= 14, got {opset}")
    if isinstance(args, Tensor):
        args = (args,)
    args = tuple(args)
    kwargs = dict(kwargs or {})
    if args and isinstance(args[-1], dict):
        kwargs.update(args[-1])
        args = args[:-1]
    params = {id(p): n for n, p in model.named_parameters()}
    params.update({id(b): n for n, b in model.named_buffers()})
    g = Graph(onnx, opset, params)
    for t in list(model.parameters()) + list(model.buffers()):
        g.keep.append(t)
    traced_args = [_traced(a) for a in args]
    traced_kwargs = {k: _traced(v) for k, v in kwargs.items()}
    inputs = [t for t in traced_args + list(traced_kwargs.values()) if isinstance(t, Tensor)]
    in_names = list(input_names or [])
    in_names += [f"input_{i}" if len(inputs) > 1 else "input" for i in range(len(in_names), len(inputs))]
    for t, n in zip(inputs, in_names):
        g.fresh(n)
        g.bind(t, n)

    modes = {m: m.training for m in model.modules()}
    if training == TrainingMode.EVAL:
        model.eval()
    elif training == TrainingMode.TRAINING:
        model.train()
    wrapped = []
    _exporting = True
    try:
        for name, m in model.named_modules():
            m.__dict__["forward"] = _wrap_forward(g, name or type(model).__name__, m)
            wrapped.append(m)
        with enable_grad():  # the trace is the autograd graph, also when called under no_grad
            out = model(*traced_args, **traced_kwargs)
            outputs = [t for t in _flatten(out) if isinstance(t, Tensor)]
            g.path.append(type(model).__name__)
            out_src = [g.name_of(t) for t in outputs]
    finally:
        _exporting = False
        for m in wrapped:
            m.__dict__.pop("forward", None)
        for m, mode in modes.items():
            m.training = mode

    out_names = list(output_names or [])
    out_names += [f"output_{i}" if len(outputs) > 1 else "output"
                  for i in range(len(out_names), len(outputs))]
    for src, n in zip(out_src, out_names):
        g.nodes.append(onnx.helper.make_node("Identity", [src], [n], name=f"output/{n}"))
    dynamic_axes = dynamic_axes or {}
    unknown = set(dynamic_axes) - set(in_names) - set(out_names)
    if unknown:
        raise ValueError(f"export: dynamic_axes names {sorted(unknown)} are neither input names "
                         f"{in_names} nor output names {out_names}")

    def info(t: Tensor, n: str) -> Any:
        dyn = _axes(dynamic_axes.get(n), n)
        shape = [dyn.get(i, int(s)) for i, s in enumerate(t.shape)]
        elem = onnx.helper.np_dtype_to_tensor_dtype(t.detach().cpu().numpy().dtype)
        return onnx.helper.make_tensor_value_info(n, elem, shape)

    graph_inputs = [info(t, n) for t, n in zip(inputs, in_names)]
    initializers = g.initializers
    if not export_params:
        names = set(params.values())
        graph_inputs += [onnx.helper.make_tensor_value_info(
            i.name, i.data_type, list(i.dims)) for i in initializers if i.name in names]
        initializers = [i for i in initializers if i.name not in names]
    if keep_initializers_as_inputs:
        graph_inputs += [onnx.helper.make_tensor_value_info(i.name, i.data_type, list(i.dims))
                         for i in initializers]
    graph = onnx.helper.make_graph(g.nodes, type(model).__name__, graph_inputs,
                                   [info(t, n) for t, n in zip(outputs, out_names)], initializers)
    proto = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)],
                                   producer_name="xgrad")
    proto.ir_version = min(proto.ir_version, 8)
    onnx.checker.check_model(proto)
    if verbose:
        print(onnx.printer.to_text(proto.graph))
    if f is not None:
        if isinstance(f, (str, os.PathLike)):
            onnx.save(proto, os.fspath(f))
        else:
            f.write(proto.SerializeToString())
    return proto
