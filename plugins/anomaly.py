"""Anomaly detection: raise at the first op whose forward or backward produces NaN or Inf.

``with xgrad.autograd.detect_anomaly():`` registers :class:`AnomalyPlugin`, a
``wrapper=True`` implementation of the ``xgrad_dispatch`` hook, and makes every new graph
node remember the Python stack of its forward call. The error names the op, its phase and
backend, its inputs' shapes, dtypes and value ranges, and for backward the stack of the
forward call that created the failing node. Leaving the block unregisters the plugin, so
dispatch goes back to its unhooked fast path.
"""
from __future__ import annotations

import contextlib
import math
import threading
import warnings
from collections.abc import Generator
from typing import Any

from xgrad.dispatch import Dispatch
from xgrad.hookspecs import hookimpl

__all__ = ["AnomalyPlugin", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled", "backward_name"]


def backward_name(op: str) -> str:
    """PyTorch's name of an op's backward: ``"log_softmax"`` -> ``"LogSoftmaxBackward0"``.

    Custom :class:`~xgrad.autograd.Function` nodes carry their class name: ``"MyFn"`` ->
    ``"MyFnBackward"``.
    """
    if op != op.lower():
        return op + "Backward"
    return "".join(p[:1].upper() + p[1:] for p in op.split("_")) + "Backward0"


def _native_of(x: Any) -> Any:
    """The native array of a Tensor, the array itself otherwise."""
    return getattr(x, "_data", x)


def _is_float_array(be: Any, x: Any) -> bool:
    if not hasattr(x, "shape") or not hasattr(x, "dtype"):
        return False
    try:
        return be.dtype(x).is_floating_point
    except Exception:  # noqa: BLE001 - not an array of this backend (e.g. an index)
        return False


def _all_axes(x: Any) -> tuple[int, ...]:
    return tuple(range(len(x.shape)))


def _nonfinite_kind(be: Any, x: Any) -> str | None:
    """``"nan"`` or ``"inf"`` if the float array ``x`` holds such values, else None."""
    # A finite sum proves every element finite; only a non-finite one (NaN/Inf, or an
    # overflow of finite values) needs the exact, costlier check.
    if math.isfinite(float(be.to_numpy(be.sum(x, _all_axes(x), False)))):
        return None
    dt = be.dtype(x)
    if _count(be, be.isnan(x), dt):
        return "nan"
    if _count(be, be.isinf(x), dt):
        return "inf"
    return None


def _count(be: Any, mask: Any, dt: Any) -> int:
    return int(float(be.to_numpy(be.sum(be.cast(mask, dt), _all_axes(mask), False))))


def describe_array(be: Any, x: Any) -> str:
    """``float32[2, 3] min=-1 max=4 nan=0 inf=1`` for an array or Tensor (shape/dtype otherwise)."""
    x = _native_of(x)
    if x is None:
        return "None"
    if not hasattr(x, "shape"):
        return f"{type(x).__name__} {x!r}"[:80]
    try:
        dt = be.dtype(x)
    except Exception:  # noqa: BLE001
        return f"{type(x).__name__}{list(x.shape)}"
    text = f"{dt.name}{list(x.shape)}"
    if not dt.is_floating_point or not math.prod(x.shape):
        return text
    nan_mask, inf_mask = be.isnan(x), be.isinf(x)
    n_nan, n_inf = _count(be, nan_mask, dt), _count(be, inf_mask, dt)
    finite = be.logical_not(be.logical_or(nan_mask, inf_mask))
    if n_nan + n_inf < math.prod(x.shape):
        lo = float(be.to_numpy(be.min(be.where(finite, x, be.full((), math.inf, dt)),
                                      _all_axes(x), False)))
        hi = float(be.to_numpy(be.max(be.where(finite, x, be.full((), -math.inf, dt)),
                                      _all_axes(x), False)))
        text += f" finite min={lo:.6g} max={hi:.6g}"
    return text + f" nan={n_nan} inf={n_inf}"


def _items(seq: Any) -> list:
    if isinstance(seq, (list, tuple)):
        return list(seq)
    return [seq]


class AnomalyPlugin:
    """The ``xgrad_dispatch`` wrapper behind :func:`detect_anomaly`."""

    def __init__(self, check_nan: bool = True, *, per_thread: bool = False) -> None:
        self.check_nan = check_nan
        #: driven by detect_anomaly/set_detect_anomaly: act only in threads that turned it on
        self.per_thread = per_thread
        self._local = threading.local()

    def _checks_nan(self) -> bool:
        return _THREAD.check_nan if self.per_thread else self.check_nan

    def _depth(self) -> int:
        return getattr(self._local, "depth", 0)

    @hookimpl(wrapper=True)
    def xgrad_dispatch(self, op: str, phase: str, backend: Any, inputs: tuple,
                       node: Any) -> Generator[None, Any, Any]:
        if self.per_thread and not _THREAD.enabled:  # turned on by another thread only
            return (yield)
        if phase != "backward":
            outputs = yield
            # Ops run by a backward formula are judged by that backward's outputs.
            if self._checks_nan() and self._depth() == 0:
                self._check(op, op, phase, backend, inputs, None, _items(outputs))
            return outputs
        self._local.depth = self._depth() + 1
        try:
            outputs = yield
        except Exception as exc:
            if not getattr(exc, "_xgrad_anomaly", False):
                warnings.warn(f"Error detected in {backward_name(op)}. "
                              + _stack_text(node), RuntimeWarning, stacklevel=2)
            raise
        finally:
            self._local.depth -= 1
        if self._checks_nan():
            self._check(op, backward_name(op), phase, backend, inputs, node, _items(outputs))
        return outputs

    def _check(self, op: str, name: str, phase: str, be: Any, inputs: tuple, node: Any,
               outputs: list) -> None:
        for i, out in enumerate(outputs):
            x = _native_of(out)
            if x is None or not _is_float_array(be, x):
                continue
            kind = _nonfinite_kind(be, x)
            if kind is None:
                continue
            err = RuntimeError(_message(op, name, phase, be, inputs, node, i, kind, x))
            err._xgrad_anomaly = True
            raise err


def _stack_text(node: Any) -> str:
    stack = getattr(node, "stack", None)
    if not stack:
        return ("No forward stack was recorded for this node (it was created before anomaly "
                "detection was enabled).")
    return "Traceback of forward call that caused the error:\n" + "".join(stack)


def _message(op: str, name: str, phase: str, be: Any, inputs: tuple, node: Any, index: int,
             kind: str, out: Any) -> str:
    backend = f"{be.name!r} (device {be.device!r})" if be is not None else "unknown"
    lines = [f"Function '{name}' returned {kind} values in its {index}th output.",
             f"  op: {op}  phase: {phase}  backend: {backend}",
             f"  output {index}: {describe_array(be, out)}"]
    if phase == "backward":
        for k, g in enumerate(inputs):
            lines.append(f"  grad_output {k}: {describe_array(be, g)}")
        for k, t in enumerate(getattr(node, "inputs", None) or ()):
            lines.append(f"  forward input {k}: {describe_array(be, t)}")
        lines.append(_stack_text(node))
    else:
        for k, a in enumerate(inputs):
            lines.append(f"  input {k}: {describe_array(be, a)}")
    return "\n".join(lines)


# ---- the switch: one setting per thread, one plugin while any thread has it on -------------
class _ThreadMode(threading.local):
    enabled = False
    check_nan = True


_THREAD = _ThreadMode()


class _Mode:
    lock = threading.RLock()
    plugin: AnomalyPlugin | None = None
    threads_on = 0
    prev_record_stack = False


def _apply(enabled: bool, check_nan: bool) -> None:
    from xgrad.registry import register_plugin, unregister_plugin

    with _Mode.lock:
        _Mode.threads_on += int(enabled) - int(_THREAD.enabled)
        _THREAD.enabled, _THREAD.check_nan = enabled, check_nan
        if _Mode.threads_on and _Mode.plugin is None:
            _Mode.prev_record_stack = Dispatch.record_stack
            _Mode.plugin = AnomalyPlugin(check_nan, per_thread=True)
            register_plugin(_Mode.plugin, name="xgrad.plugins.anomaly")
            # forward stacks are recorded in every thread while any thread detects
            Dispatch.record_stack = True
        elif not _Mode.threads_on and _Mode.plugin is not None:
            unregister_plugin(_Mode.plugin)
            _Mode.plugin = None
            Dispatch.record_stack = _Mode.prev_record_stack


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on in this thread."""
    return _THREAD.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Whether anomaly detection checks op outputs for NaN/Inf (``check_nan``)."""
    return _THREAD.check_nan


class detect_anomaly(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Context manager / decorator enabling anomaly detection, as ``torch.autograd.detect_anomaly``.

    Inside the block, every new graph node records its forward call's stack; with
    ``check_nan`` the first op whose forward output or backward input-gradient holds NaN
    or Inf raises a ``RuntimeError`` naming the op, its phase, backend, inputs (shapes,
    dtypes, value ranges) and, for backward, the forward call's stack. Any other error
    raised by a backward function is preceded by a warning carrying that stack.
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        self._prev: list[tuple[bool, bool]] = []

    def __enter__(self) -> detect_anomaly:
        self._prev.append((_THREAD.enabled, _THREAD.check_nan))
        _apply(True, self.check_nan)
        return self

    def __exit__(self, *exc: Any) -> bool:
        _apply(*self._prev.pop())
        return False


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Turn anomaly detection on or off, as ``torch.autograd.set_detect_anomaly``.

    Takes effect immediately; used as a context manager it restores the previous setting
    on exit.
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        if not isinstance(mode, bool):
            raise TypeError(f"set_detect_anomaly(mode) expects a bool, got {type(mode).__name__}")
        self._prev = (_THREAD.enabled, _THREAD.check_nan)
        _apply(mode, check_nan)

    def __enter__(self) -> set_detect_anomaly:
        return self

    def __exit__(self, *exc: Any) -> bool:
        _apply(*self._prev)
        return False
