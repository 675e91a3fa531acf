"""Tensor factories: tensor, as_tensor, from_numpy, zeros, ones, full, arange, linspace, eye..."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np  # host conversion only

from .backend_index import unsupported_dtype_message
from .device import resolve
from .dtypes import DType, bool_, dtype_from_name, float32, float64, get_default_dtype, int32, int64
from .shapes import check_numel, int_arg, new_sizes
from .tensor import Tensor, from_data, wrap

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "linspace", "logspace", "eye", "zeros_like", "ones_like", "full_like", "empty_like"]


def _shape(size: tuple, fn: str = "zeros") -> tuple:
    return new_sizes(fn, size)


_MAX_BYTES = 2 ** 48  # 256 TiB: no backend allocates that; refuse before asking it


def _alloc(be: Any, shape: tuple, value: Any, dt: DType) -> Any:
    """``be.full(shape, value, dt)``, a failed allocation as PyTorch's RuntimeError (not the
    array library's MemoryError / "array is too big")."""
    nbytes = math.prod(shape) * dt.itemsize
    try:
        if nbytes > _MAX_BYTES:
            raise MemoryError
        return be.full(shape, value, dt)
    except MemoryError:
        pass
    except ValueError as e:
        if "too big" not in str(e) and "Maximum allowed" not in str(e):
            raise
    raise RuntimeError(f"{be.name} backend: can't allocate memory: you tried to allocate "
                       f"{nbytes} bytes (size {list(shape)}, dtype {dt.name})")


def _fill_value(fn: str, value: Any) -> None:
    if isinstance(value, Tensor):
        if value.numel() != 1:
            raise RuntimeError(f"{fn}(): fill_value must be a number or a 1-element tensor, "
                               f"got a tensor of shape {list(value.shape)}")
    elif not isinstance(value, (int, float, bool)) and not hasattr(value, "__float__"):
        raise TypeError(f"{fn}(): argument 'fill_value' (position 2) must be Number, not "
                        f"{type(value).__name__}")


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, numpy arrays, tensors)."""
    t = from_data(data, dtype, device)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, but returns ``data`` itself when it already matches."""
    if isinstance(data, Tensor):
        out = data
        if device is not None:
            out = out.to(device)
        return out.to(dtype) if dtype is not None else out
    return from_data(data, dtype, device)


def from_numpy(array: np.ndarray, device: Any = None) -> Tensor:
    """A tensor from a numpy array, keeping its dtype (a copy, unlike PyTorch's shared view)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return from_data(array, None, device)


def _factory_dtype(dtype: Any, be: Any) -> DType:
    dt = get_default_dtype() if dtype is None else dtype_from_name(dtype)
    if dt not in be.dtypes:
        raise TypeError(unsupported_dtype_message(be, dt))
    return dt


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from the value)."""
    be = resolve(device)
    if dtype is None:
        dtype = bool_ if isinstance(fill_value, bool) else int64 if isinstance(fill_value, int) \
            else None
    _fill_value("full", fill_value)
    dt = _factory_dtype(dtype, be)
    t = wrap(_alloc(be, _shape((size,), "full"), _checked_fill(fill_value, dt), dt), be)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    be = resolve(device)
    dt = _factory_dtype(dtype, be)
    t = wrap(_alloc(be, _shape(size, "zeros"), 0, dt), be)
    return t.requires_grad_(True) if requires_grad else t


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    be = resolve(device)
    dt = _factory_dtype(dtype, be)
    t = wrap(_alloc(be, _shape(size, "ones"), 1, dt), be)
    return t.requires_grad_(True) if requires_grad else t


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (xgrad fills it with zeros)."""
    return zeros(_shape(size, "empty"), dtype=dtype, device=device, requires_grad=requires_grad)


def _checked_fill(value: Any, dt: DType) -> Any:
    """``value`` for a tensor of ``dt``: PyTorch's RuntimeError when it overflows the dtype
    (``full_like(int tensor, 1e30)``), instead of a silent wrap-around."""
    if isinstance(value, Tensor):
        value = value.item()
    if dt.is_floating_point or dt is bool_ or isinstance(value, bool):
        return value
    v = float(value)
    if math.isnan(v) or math.isinf(v) or not -2 ** 63 <= v < 2 ** 63 or (
            dt is int32 and not -2 ** 31 <= v < 2 ** 31):
        raise RuntimeError(f"value cannot be converted to type {dt.name} without overflow")
    return value


def _like(t: Tensor, dtype: Any, device: Any) -> tuple:
    if not isinstance(t, Tensor):
        raise TypeError(f"argument 'input' (position 1) must be Tensor, not {type(t).__name__}")
    return (t.dtype if dtype is None else dtype), (t._backend if device is None else device)


def zeros_like(t: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Zeros with ``t``'s shape, dtype and device."""
    dt, dev = _like(t, dtype, device)
    return zeros(t._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def ones_like(t: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Ones with ``t``'s shape, dtype and device."""
    dt, dev = _like(t, dtype, device)
    return ones(t._data.shape, dtype=dt, device=dev, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value: Any, *, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Tensor:
    """``fill_value`` with ``t``'s shape, dtype and device."""
    dt, dev = _like(t, dtype, device)
    return full(t._data.shape, fill_value, dtype=dt, device=dev, requires_grad=requires_grad)


def empty_like(t: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Like :func:`zeros_like`."""
    return zeros_like(t, dtype=dtype, device=device, requires_grad=requires_grad)


def arange(start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None, device: Any = None,
           requires_grad: bool = False) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) with ``step``."""
    if end is None:
        start, end = 0, start
    if step == 0 or (isinstance(step, float) and math.isnan(step)):
        raise RuntimeError("step must be nonzero")
    for name, v in (("start", start), ("end", end), ("step", step)):
        if not isinstance(v, (int, float, Tensor)) and not hasattr(v, "__float__"):
            raise TypeError(f"arange(): argument '{name}' must be Number, not {type(v).__name__}")
        if not isinstance(v, Tensor) and not math.isfinite(float(v)) and name != "step":
            raise RuntimeError(f"unsupported range: {start} -> {end}")
    vals = [float(v) if isinstance(v, Tensor) else v for v in (start, end, step)]
    if (vals[1] - vals[0]) * vals[2] < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    be = resolve(device)
    if dtype is None:
        dtype = int64 if all(isinstance(v, (int, np.integer)) for v in vals) else get_default_dtype()
    dt = _factory_dtype(dtype, be)
    # an infinite step: PyTorch's arange is empty then (its size is computed as 0)
    n = 0 if math.isinf(vals[2]) else max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    if n == 0:
        t = zeros((0,), dtype=dt, device=be)
        return t.requires_grad_(True) if requires_grad else t
    wide = int64 if dt in (int32, int64) else float64 if float64 in be.dtypes else dt
    t = wrap(be.arange(vals[0], vals[1], vals[2], wide), be)
    if t._data.shape[0] != n:
        t = t[:n]
    t = t.to(dt)
    return t.requires_grad_(True) if requires_grad else t


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    steps = int_arg("linspace", "steps", steps)
    be = resolve(device)
    dt = _factory_dtype(dtype, be)
    if steps == 1:
        return full((1,), float(start), dtype=dt, device=be, requires_grad=requires_grad)
    wide = float64 if float64 in be.dtypes else float32
    idx = wrap(be.arange(0, steps, 1, wide), be)
    stepv = (end - start) / (steps - 1)
    half = steps // 2
    # PyTorch's symmetric formula: forward from start for the first half, back from end after
    vals = (idx * stepv + start).where(idx < half, end - (steps - 1 - idx) * stepv)
    t = vals.to(dt)
    return t.requires_grad_(True) if requires_grad else t


def logspace(start: float, end: float, steps: int, base: float = 10.0, *, dtype: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``steps`` values from ``base ** start`` to ``base ** end``, evenly spaced on a log
    scale."""
    steps = int_arg("logspace", "steps", steps)
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    be = resolve(device)
    dt = _factory_dtype(dtype, be)
    wide = float64 if float64 in be.dtypes else float32
    exps = linspace(start, end, steps, dtype=wide, device=be)
    t = (float(base) ** exps).to(dt)
    return t.requires_grad_(True) if requires_grad else t


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """Identity matrix of ``n`` rows and ``m`` (default ``n``) columns."""
    n = int_arg("eye", "n", n)
    m = n if m is None else int_arg("eye", "m", m)
    for v in (n, m):
        if v < 0:
            raise RuntimeError(f"n must be greater or equal to 0, got {v}")
    check_numel("eye", (n, m))
    be = resolve(device)
    dt = _factory_dtype(dtype, be)
    r = wrap(be.arange(0, n, 1, int64), be).reshape(n, 1)
    c = wrap(be.arange(0, m, 1, int64), be).reshape(1, m)
    t = (r == c).to(dt)
    return t.requires_grad_(True) if requires_grad else t
