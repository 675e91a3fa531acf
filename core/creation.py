"""Tensor factories: tensor, as_tensor, from_numpy, zeros, ones, full, arange, linspace, eye..."""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np  # host conversion only

from .device import resolve
from .dtypes import (
    DType,
    bool_,
    dtype_from_name,
    float16,
    float32,
    float64,
    get_default_dtype,
    int32,
    int64,
)
from .ops._core import wrap
from .ops.shape import int_sizes
from .tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "linspace", "eye", "zeros_like", "ones_like", "full_like", "empty_like"]

_NP_TO_X = {np.dtype(np.float16): float16, np.dtype(np.float32): float32,
            np.dtype(np.float64): float64, np.dtype(np.int32): int32, np.dtype(np.int64): int64,
            np.dtype(np.bool_): bool_, np.dtype(np.int8): int64, np.dtype(np.int16): int64,
            np.dtype(np.uint8): int64, np.dtype(np.uint16): int64, np.dtype(np.uint32): int64}


def _shape(size: tuple, fn: str = "zeros") -> tuple:
    size = int_sizes(fn, "size", size)
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
    return size


def _host_array(data: Any) -> np.ndarray:
    if isinstance(data, Tensor):
        return data._backend.to_numpy(data._data)
    if isinstance(data, (list, tuple)) and data and any(isinstance(d, Tensor) for d in data):
        data = [_host_array(d) for d in data]
    try:
        arr = np.asarray(data)
    except ValueError as exc:
        raise ValueError(f"could not build a tensor from {type(data).__name__}: ragged nested "
                         f"sequence (sub-sequences of different lengths): {exc}") from None
    if arr.dtype == object:
        raise TypeError(f"could not build a tensor from {type(data).__name__}: ragged or "
                        "non-numeric nested sequence")
    return arr


def _infer_dtype(arr: np.ndarray, data: Any, float_default: bool) -> DType:
    kind = arr.dtype.kind
    if kind == "f" and not isinstance(data, np.ndarray) and not (
            isinstance(data, np.generic)):
        return get_default_dtype()  # Python floats -> default dtype
    if kind in "iu" and float_default:
        return get_default_dtype()
    try:
        return _NP_TO_X[arr.dtype]
    except KeyError:
        raise TypeError(f"can't convert a numpy array of dtype {arr.dtype}; supported: float16, "
                        "float32, float64, int32, int64, bool (and smaller ints)") from None


def _make_from_data(data: Any, dtype: Any, device: Any, float_default: bool = False) -> Tensor:
    be = resolve(device)
    if dtype is not None:
        dtype = dtype_from_name(dtype)
    if isinstance(data, Tensor):
        t = data.detach()
        if t._backend is not be:
            from .ops.elementwise import to_backend

            t = to_backend(t, be)
        else:
            t = t.clone()
        return t.to(dtype) if dtype is not None else t
    arr = _host_array(data)
    dt = dtype or _infer_dtype(arr, data, float_default and not isinstance(data, np.ndarray))
    if dt not in be.dtypes:
        raise TypeError(f"backend {be.name!r} does not support dtype {dt.name}; it supports "
                        f"{', '.join(sorted(d.name for d in be.dtypes))}")
    return wrap(be.from_numpy(arr, dt), be)


def tensor(data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, numpy arrays, tensors)."""
    t = _make_from_data(data, dtype, device)
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
    return _make_from_data(data, dtype, device)


def from_numpy(array: np.ndarray, device: Any = None) -> Tensor:
    """A tensor from a numpy array, keeping its dtype (a copy, unlike PyTorch's shared view)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return _make_from_data(array, None, device)


def _factory_dtype(dtype: Any, be: Any) -> DType:
    dt = get_default_dtype() if dtype is None else dtype_from_name(dtype)
    if dt not in be.dtypes:
        raise TypeError(f"backend {be.name!r} does not support dtype {dt.name}; it supports "
                        f"{', '.join(sorted(d.name for d in be.dtypes))}")
    return dt


def full(size: Sequence[int], fill_value: Any, *, dtype: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from the value)."""
    be = resolve(device)
    if dtype is None:
        dtype = bool_ if isinstance(fill_value, bool) else int64 if isinstance(fill_value, int) \
            else None
    dt = _factory_dtype(dtype, be)
    t = wrap(be.full(_shape((size,), "full"), fill_value, dt), be)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros."""
    be = resolve(device)
    t = wrap(be.full(_shape(size, "zeros"), 0, _factory_dtype(dtype, be)), be)
    return t.requires_grad_(True) if requires_grad else t


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    be = resolve(device)
    t = wrap(be.full(_shape(size, "ones"), 1, _factory_dtype(dtype, be)), be)
    return t.requires_grad_(True) if requires_grad else t


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (xgrad fills it with zeros)."""
    return zeros(_shape(size, "empty"), dtype=dtype, device=device, requires_grad=requires_grad)


def _like(t: Tensor, dtype: Any, device: Any) -> tuple:
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
    if step == 0:
        raise RuntimeError("step must be nonzero")
    vals = [float(v) if isinstance(v, Tensor) else v for v in (start, end, step)]
    be = resolve(device)
    if dtype is None:
        dtype = int64 if all(isinstance(v, (int, np.integer)) for v in vals) else get_default_dtype()
    dt = _factory_dtype(dtype, be)
    n = max(0, math.ceil((vals[1] - vals[0]) / vals[2]))
    wide = int64 if dt in (int32, int64) else float64 if float64 in be.dtypes else dt
    t = wrap(be.arange(vals[0], vals[1], vals[2], wide), be)
    if t._data.shape[0] != n:
        t = t[:n]
    t = t.to(dt)
    return t.requires_grad_(True) if requires_grad else t


def linspace(start: float, end: float, steps: int, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    be = resolve(device)
    dt = _factory_dtype(dtype, be)
    if steps == 1:
        return full((1,), float(start), dtype=dt, device=be, requires_grad=requires_grad)
    wide = float64 if float64 in be.dtypes else float32
    idx = wrap(be.arange(0, steps, 1, wide), be)
    stepv = (end - start) / (steps - 1)
    half = steps // 2
    # PyTorch's symmetric formula: forward from start for the first half, back from end after
    from .ops.elementwise import where

    vals = where(idx < half, idx * stepv + start, end - (steps - 1 - idx) * stepv)
    t = vals.to(dt)
    return t.requires_grad_(True) if requires_grad else t


def eye(n: int, m: int | None = None, *, dtype: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """Identity matrix of ``n`` rows and ``m`` (default ``n``) columns."""
    m = n if m is None else m
    be = resolve(device)
    dt = _factory_dtype(dtype, be)
    r = wrap(be.arange(0, n, 1, int64), be).reshape(n, 1)
    c = wrap(be.arange(0, m, 1, int64), be).reshape(1, m)
    t = (r == c).to(dt)
    return t.requires_grad_(True) if requires_grad else t
