"""The cupy backend: the shared array-module code (``backends/_xp.py``) over cupy.

Everything here is the numpy backend's code run on cupy arrays, plus the few GPU-specific
pieces: device selection, host transfers, stream synchronisation, and fused CUDA kernels
(``kernels.py``) for the ops where kernel launches dominate. Importing this module does not
import cupy; creating a :class:`CupyBackend` does.

One instance exists per CUDA device (``cupy:0``, ``cupy:1``...); tensors on different
devices belong to different instances, so the frontend treats them as different devices.
On a machine with more than one GPU every primitive runs inside ``cupy.cuda.Device(N)``;
with one GPU that device is always current and the wrapper (one Python frame per op) is
skipped.
"""
from __future__ import annotations

import functools
import math
from typing import Any

from xgrad.backend import FUSED_OPS, PRIMITIVES

from .._xp import ArrayModuleBackend

__all__ = ["CupyBackend", "strided_window_view"]


def strided_window_view(xp: Any, x: Any, span: tuple[int, ...]) -> Any:
    """Every window of size ``span`` (stride 1) over the last ``len(span)`` axes of ``x``, as
    a view ``(*lead, o_1..o_k, span_1..span_k)`` built with ``xp.lib.stride_tricks.as_strided``
    (what ``numpy.lib.stride_tricks.sliding_window_view`` returns, for libraries without it)."""
    k = len(span)
    lead = x.shape[:x.ndim - k]
    tail = x.shape[x.ndim - k:]
    for n, s in zip(tail, span):
        if s > n:
            raise ValueError(f"window {span} is larger than the input's trailing shape {tail}")
    outs = tuple(n - s + 1 for n, s in zip(tail, span))
    tail_strides = x.strides[x.ndim - k:]
    return xp.lib.stride_tricks.as_strided(
        x, shape=lead + outs + tuple(span), strides=x.strides + tail_strides)


def _on_device(device: Any, fn: Any) -> Any:
    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        with device:
            return fn(*args, **kwargs)

    return run


class CupyBackend(ArrayModuleBackend):
    """Required primitives and fused CUDA kernels on cupy arrays of one CUDA device."""

    name = "cupy"
    asynchronous = True
    _by_index: dict[int, CupyBackend] = {}

    def __new__(cls, index: int = 0) -> CupyBackend:
        # "cuda" and "cuda:0" name one device: they must be one backend instance.
        inst = cls._by_index.get(index)
        if inst is None:
            inst = super().__new__(cls)
        return inst

    def __init__(self, index: int = 0) -> None:
        if getattr(self, "_index", None) is not None:
            return
        import cupy
        import cupyx

        count = cupy.cuda.runtime.getDeviceCount()
        if not 0 <= index < count:
            raise RuntimeError(
                f"CUDA device index {index} is out of range: {count} device(s) visible "
                f"(expected cupy:0 .. cupy:{count - 1})")
        self._device = cupy.cuda.Device(index)
        with self._device:
            super().__init__(cupy)
        self._cupyx = cupyx
        self._index = index
        self.device = f"cupy:{index}"
        at = getattr(cupy.add, "at", None)
        self._scatter = at if at is not None else cupyx.scatter_add
        if count > 1:
            for op in (*PRIMITIVES, *FUSED_OPS, "synchronize"):
                if hasattr(self, op):
                    setattr(self, op, _on_device(self._device, getattr(self, op)))
        type(self)._by_index[index] = self

    @property
    def index(self) -> int:
        """The CUDA device ordinal."""
        return self._index

    def synchronize(self, *arrays) -> None:
        """Wait until the work queued on this device's current stream has finished: every
        array of this device is produced on that stream, so this covers ``arrays`` (all of
        them, or everything queued when none are given)."""
        self.xp.cuda.get_current_stream().synchronize()

    # ---- transfers: explicit host <-> device copies -------------------------------------
    def from_numpy(self, a, dtype):
        return self.xp.asarray(a, dtype=self._native[dtype])

    def to_numpy(self, x):
        return self.xp.asnumpy(x)

    # ---- where cupy differs from numpy ---------------------------------------------------
    def _scatter_add(self, out, index, values):
        self._scatter(out, index, values)

    def _window_view(self, x, span):
        return strided_window_view(self.xp, x, span)

    def _writeable(self, x) -> bool:
        # cupy has no read-only flag; broadcast views (a zero stride on a longer axis) alias
        # one element many times, so writing through them would be wrong.
        return isinstance(x, self.xp.ndarray) and all(
            s != 0 or n <= 1 for s, n in zip(x.strides, x.shape))

    def erf(self, x):
        special = self._cupyx.scipy.special
        if x.dtype == self.xp.float16:
            return special.erf(x.astype(self.xp.float32)).astype(self.xp.float16)
        return special.erf(x)

    # ---- fused CUDA kernels ---------------------------------------------------------------
    def _floating(self, *xs) -> bool:
        return all(x.dtype.kind == "f" for x in xs)

    def log_softmax(self, x, axis):
        if not self._floating(x) or x.size == 0:
            return super().log_softmax(x, axis)
        from . import kernels

        return kernels.log_softmax(x, axis)

    def softmax(self, x, axis):
        if not self._floating(x) or x.size == 0:
            return super().softmax(x, axis)
        from . import kernels

        return kernels.softmax(x, axis)

    def cross_entropy(self, logits, target):
        if not self._floating(logits) or logits.size == 0:
            return super().cross_entropy(logits, target)
        from . import kernels

        return kernels.cross_entropy(logits, target)

    def sigmoid(self, x):
        if not self._floating(x):
            return super().sigmoid(x)
        from . import kernels

        return kernels.sigmoid(x)

    def gelu(self, x, approximate):
        if not self._floating(x):
            return super().gelu(x, approximate)
        from . import kernels

        return kernels.gelu(x, approximate == "tanh")

    def sgd_step(self, param, grad, buf, lr, momentum, dampening, weight_decay, nesterov,
                 maximize, first):
        if not self._floating(param, grad):
            return super().sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay,
                                    nesterov, maximize, first)
        from . import kernels

        return kernels.sgd_step(param, grad, buf, lr, momentum, dampening, weight_decay,
                                nesterov, maximize, first)

    def adam_step(self, param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1, beta2, eps,
                  weight_decay, decoupled, amsgrad, maximize):
        if not self._floating(param, grad):
            return super().adam_step(param, grad, exp_avg, exp_avg_sq, max_sq, step, lr, beta1,
                                     beta2, eps, weight_decay, decoupled, amsgrad, maximize)
        from . import kernels

        step = int(step)
        bc1 = 1 - beta1 ** step
        bc2 = 1 - beta2 ** step
        kernels.adam_step(param, grad, exp_avg, exp_avg_sq, max_sq if amsgrad else None,
                          lr / bc1, 1 / math.sqrt(bc2), lr, beta1, beta2, eps, weight_decay,
                          decoupled, maximize)
        return param, exp_avg, exp_avg_sq, max_sq
