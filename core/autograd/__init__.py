"""Automatic differentiation: backward, grad, custom Functions, grad modes, gradcheck."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..tensor import Tensor
from .engine import run_backward
from .function import Function, FunctionCtx
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .node import Node

__all__ = ["backward", "grad", "Function", "FunctionCtx", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "gradcheck", "gradgradcheck",
           "GradcheckError", "detect_anomaly", "is_anomaly_enabled", "set_detect_anomaly", "Node"]


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _make_grads(outputs: list, grad_outputs: list | None) -> list:
    from ..ops._core import wrap

    grads = []
    for i, o in enumerate(outputs):
        g = grad_outputs[i] if grad_outputs and i < len(grad_outputs) else None
        if g is None:
            if o.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs "
                                   f"(got an output of shape {list(o.shape)}; pass gradient=...)")
            g = wrap(o._backend.full(o._data.shape, 1, o.dtype), o._backend)
        elif not isinstance(g, Tensor):
            from ..creation import full

            g = full(o._data.shape, float(g), dtype=o.dtype, device=o._backend)
        elif g._data.shape != o._data.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{list(g.shape)} and output[{i}] has a shape of {list(o.shape)}.")
        elif g._backend is not o._backend:
            raise RuntimeError(f"grad_output[{i}] is on device {g._backend.device!r} but output[{i}]"
                               f" is on {o._backend.device!r}")
        grads.append(g)
    return grads


def backward(tensors: Any, grad_tensors: Any = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of graph leaves."""
    outs = _as_list(tensors)
    grads = _make_grads(outs, _as_list(grad_tensors) or None)
    if retain_graph is None:
        retain_graph = create_graph
    if inputs is not None:
        ins = _as_list(inputs)
        res = run_backward(outs, grads, retain_graph, create_graph, inputs=ins, allow_unused=True)
        for t, g in zip(ins, res):
            if g is not None:
                t.grad = g if t.grad is None else t.grad + g
        return
    run_backward(outs, grads, retain_graph, create_graph)


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool | None = None,
         materialize_grads: bool = False) -> tuple:
    """Gradients of ``outputs`` with respect to ``inputs`` (no ``.grad`` is touched)."""
    outs = _as_list(outputs)
    ins = _as_list(inputs)
    grads = _make_grads(outs, _as_list(grad_outputs) or None)
    if retain_graph is None:
        retain_graph = create_graph
    res = run_backward(outs, grads, retain_graph, create_graph, inputs=ins,
                       allow_unused=bool(allow_unused) or materialize_grads)
    if materialize_grads:
        from ..creation import zeros_like

        res = [zeros_like(x) if g is None else g for g, x in zip(res, ins)]
    return tuple(res)


def detect_anomaly(check_nan: bool = True) -> Any:
    """Context manager: raise at the first op whose forward or backward makes NaN/Inf."""
    from xgrad.plugins.anomaly import detect_anomaly as _detect

    return _detect(check_nan)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    from xgrad.plugins.anomaly import is_anomaly_enabled as _on

    return _on()


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> Any:
    """Turn anomaly detection on or off globally."""
    from xgrad.plugins.anomaly import set_detect_anomaly as _set

    return _set(mode, check_nan)
