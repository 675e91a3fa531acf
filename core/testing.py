"""``xgrad.testing``: :func:`assert_close` and :func:`make_tensor`, as ``torch.testing``.

``assert_close(actual, expected)`` compares tensors, Python numbers, numpy arrays and
(nested) sequences and mappings of them: shape, dtype and device must match, then
``|actual - expected| <= atol + rtol * |expected|`` elementwise, with PyTorch's default
tolerances per dtype and its failure messages (mismatched count, greatest absolute and
relative difference and where).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .dtypes import DType
from .random import rand, randint
from .tensor import Tensor

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

#: PyTorch's default ``(rtol, atol)`` per dtype name (exact for integers and bool)
DEFAULT_TOLERANCES = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5),
                      "float32": (1.3e-6, 1e-5), "float64": (1e-7, 1e-7)}


def _tolerances(dtype_name: str, rtol: float | None, atol: float | None) -> tuple[float, float]:
    if (rtol is None) != (atol is None):
        missing = "atol" if atol is None else "rtol"
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {missing}.")
    if rtol is not None:
        return float(rtol), float(atol)
    return DEFAULT_TOLERANCES.get(dtype_name, (0.0, 0.0))


def _compare_arrays(a: np.ndarray, b: np.ndarray, rtol: float, atol: float,
                    equal_nan: bool, scalar: bool) -> str | None:
    exact = rtol == 0 and atol == 0
    integral = a.dtype.kind in "biu"
    if integral:
        wide = np.result_type(a.dtype, np.int64) if a.dtype.kind != "b" else np.int64
        a_, b_ = a.astype(wide), b.astype(wide)
        diff = np.abs(a_ - b_)
        bad = diff != 0 if exact else diff > atol + rtol * np.abs(b_)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = (diff / np.abs(b_)).astype(np.float32)
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            diff = np.abs(a - b)
            same = (a == b) | (equal_nan & np.isnan(a) & np.isnan(b))
            bad = ~same & ~(diff <= atol + rtol * np.abs(b))
            with np.errstate(divide="ignore"):
                rel = diff / np.abs(b)
        diff = np.where(same, 0, diff)
        rel = np.where(same, 0, rel)
    if not bad.any():
        return None
    if scalar:
        kind = "not equal" if exact else "not close"
        got, want = a.reshape(()).item(), b.reshape(()).item()
        allow_a = "" if exact else f" (up to {atol} allowed)"
        allow_r = "" if exact else f" (up to {rtol} allowed)"
        return (f"Scalars are {kind}!\n\nExpected {want} but got {got}.\n"
                f"Absolute difference: {diff.reshape(()).item()}{allow_a}\n"
                f"Relative difference: {float(rel.reshape(()).item())}{allow_r}")

    def worst(values: np.ndarray) -> tuple[Any, tuple]:
        flat = values.reshape(-1)
        nan = np.flatnonzero(np.isnan(flat)) if flat.dtype.kind == "f" else []
        i = int(nan[0]) if len(nan) else int(np.argmax(flat))
        return flat[i].item(), tuple(int(k) for k in np.unravel_index(i, values.shape))

    n_bad, n = int(bad.sum()), bad.size
    dv, di = worst(diff)
    rv, ri = worst(rel)
    allow_a = "" if exact else f" (up to {atol} allowed)"
    allow_r = "" if exact else f" (up to {rtol} allowed)"
    return (f"Tensor-likes are {'not equal' if exact else 'not close'}!\n\n"
            f"Mismatched elements: {n_bad} / {n} ({100.0 * n_bad / n:.1f}%)\n"
            f"Greatest absolute difference: {dv} at index {di}{allow_a}\n"
            f"Greatest relative difference: {float(rv)} at index {ri}{allow_r}")


def _check_pair(actual: Any, expected: Any, path: str, rtol: float | None, atol: float | None,
                equal_nan: bool, check_device: bool, check_dtype: bool) -> str | None:
    if isinstance(actual, Tensor) and isinstance(expected, Tensor):
        if tuple(actual.shape) != tuple(expected.shape):
            return (f"The values for attribute 'shape' do not match: {actual.shape!r} != "
                    f"{expected.shape!r}.")
        if check_device and actual.device != expected.device:
            return (f"The values for attribute 'device' do not match: {actual.device} != "
                    f"{expected.device}.")
        if check_dtype and actual.dtype is not expected.dtype:
            return (f"The values for attribute 'dtype' do not match: {actual.dtype!r} != "
                    f"{expected.dtype!r}.")
        a, b = actual.detach().numpy(), expected.detach().numpy()
        if a.dtype != b.dtype:
            common = np.result_type(a.dtype, b.dtype)
            a, b = a.astype(common), b.astype(common)
        r, t = _tolerances(expected.dtype.name, rtol, atol)
        if rtol is None and actual.dtype is not expected.dtype:  # the looser dtype's defaults
            r2, t2 = _tolerances(actual.dtype.name, None, None)
            r, t = max(r, r2), max(t, t2)
        return _compare_arrays(a, b, r, t, equal_nan, actual.ndim == 0)
    if isinstance(actual, np.ndarray) and isinstance(expected, np.ndarray):
        if actual.shape != expected.shape:
            return (f"The values for attribute 'shape' do not match: {actual.shape} != "
                    f"{expected.shape}.")
        if check_dtype and actual.dtype != expected.dtype:
            return (f"The values for attribute 'dtype' do not match: {actual.dtype} != "
                    f"{expected.dtype}.")
        r, t = _tolerances(np.dtype(expected.dtype).name, rtol, atol)
        return _compare_arrays(actual, expected, r, t, equal_nan, actual.ndim == 0)
    numbers = (int, float, bool)
    if isinstance(actual, numbers) and isinstance(expected, numbers):
        if check_dtype and type(actual) is not type(expected):
            return (f"The values for attribute 'dtype' do not match: {type(actual).__name__} "
                    f"!= {type(expected).__name__}.")
        name = "float64" if isinstance(actual, float) or isinstance(expected, float) else "int64"
        r, t = _tolerances(name, rtol, atol)
        return _compare_arrays(np.asarray(actual, dtype=name), np.asarray(expected, dtype=name),
                               r, t, equal_nan, True)
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        if set(actual) != set(expected):
            return (f"The keys of the mappings do not match:\nactual: {sorted(map(str, actual))}"
                    f"\nexpected: {sorted(map(str, expected))}")
        for k in expected:
            msg = _check_pair(actual[k], expected[k], f"{path}[{k!r}]", rtol, atol, equal_nan,
                              check_device, check_dtype)
            if msg is not None:
                return msg if "The failure occurred for item" in msg else \
                    f"{msg}\n\nThe failure occurred for item {path}[{k!r}]"
        return None
    seq = (list, tuple)
    if isinstance(actual, seq) and isinstance(expected, seq):
        if len(actual) != len(expected):
            return (f"The length of the sequences mismatch: {len(actual)} != {len(expected)}"
                    f"{_where(path)}")
        for i, (x, y) in enumerate(zip(actual, expected)):
            msg = _check_pair(x, y, f"{path}[{i}]", rtol, atol, equal_nan, check_device,
                              check_dtype)
            if msg is not None:
                return msg if "The failure occurred for item" in msg else \
                    f"{msg}\n\nThe failure occurred for item {path}[{i}]"
        return None
    raise TypeError(f"No comparison pair was able to handle inputs of type {type(actual)} and "
                    f"{type(expected)}.")


def _where(path: str) -> str:
    return f"\n\nThe failure occurred for item {path}" if path else ""


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True, check_layout: bool = True,
                 check_stride: bool = False, msg: str | Any = None) -> None:
    """Raise AssertionError unless ``actual`` and ``expected`` are close (see the module
    docstring); ``msg`` replaces the message (a string, or a callable of it)."""
    err = _check_pair(actual, expected, "", rtol, atol, equal_nan, check_device, check_dtype)
    if err is None:
        return
    if msg is not None:
        err = msg(err) if callable(msg) else str(msg)
    raise AssertionError(err)


def assert_allclose(actual: Any, expected: Any, rtol: float | None = None,
                    atol: float | None = None, equal_nan: bool = True, msg: str = "") -> None:
    """Deprecated PyTorch spelling: :func:`assert_close` without the dtype check."""
    if not isinstance(actual, Tensor) and isinstance(expected, Tensor):
        actual = Tensor(actual) if not isinstance(actual, np.ndarray) else actual
    assert_close(actual, expected, rtol=rtol, atol=atol, equal_nan=equal_nan, check_dtype=False,
                 msg=msg or None)


def make_tensor(*shape: Any, dtype: DType, device: Any = None, low: float | None = None,
                high: float | None = None, requires_grad: bool = False,
                noncontiguous: bool = False, exclude_zero: bool = False) -> Tensor:
    """A tensor of ``shape`` with values uniform in ``[low, high)`` (defaults ``[-9, 9)`` for
    numbers; bool: random), as ``torch.testing.make_tensor``."""
    if len(shape) == 1 and isinstance(shape[0], Sequence):
        shape = tuple(shape[0])
    shape = tuple(int(n) for n in shape)
    lo = -9 if low is None else low
    hi = 9 if high is None else high
    if lo >= hi:
        raise ValueError(f"`low` must be less than `high`, but got {lo} >= {hi}")
    full = shape[:-1] + (2 * shape[-1],) if noncontiguous and shape else shape
    if dtype.name == "bool":
        t = randint(0, 2, full, device=device).to(dtype)
    elif not dtype.is_floating_point:
        t = randint(math.ceil(lo), math.ceil(hi), full, dtype=dtype, device=device)
    else:
        t = rand(full, dtype=dtype, device=device) * (hi - lo) + lo
    if exclude_zero:
        t = t.masked_fill(t == 0, 1 if not dtype.is_floating_point else float(np.finfo(
            np.float16 if dtype.name == "float16" else np.float32).tiny))
    if full != shape:
        t = t[..., ::2]  # every other element: a non-contiguous view
    if requires_grad:
        t.requires_grad_(True)
    return t
