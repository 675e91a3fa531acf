"""Argument checks, error texts, broadcasting and operand coercion shared by the reference
backend's primitives: every error names the backend, the primitive and what was given."""
from __future__ import annotations

import math
from itertools import repeat

from xgrad.dtypes import ALL_DTYPES, DType, bool_, float64, int64

from ._array import (
    FIX1,
    PREFIX,
    RefArray,
    cast_list,
    offsets,
    strides_of,
)


# ---- error helpers ------------------------------------------------------------------
def _tname(v) -> str:
    t = type(v)
    mod = t.__module__
    return t.__qualname__ if mod == "builtins" else f"{mod}.{t.__qualname__}"


def _desc(v) -> str:
    if isinstance(v, RefArray):
        return f"array(shape={v.shape}, dtype={v.dtype.name})"
    shape = getattr(v, "shape", None)
    if shape is not None:
        return f"{_tname(v)}(shape={tuple(shape)}, dtype={getattr(v, 'dtype', '?')})"
    return f"{_tname(v)} {v!r}"


def _err(cls, op: str, msg: str):
    return cls(f"{PREFIX}: {op}: {msg}")


def _arr(op: str, x, what: str = "x") -> RefArray:
    if not isinstance(x, RefArray):
        raise _err(TypeError, op, f"expected a reference-backend array (RefArray) for {what}, "
                   f"got {_desc(x)}")
    return x


def _float_arr(op: str, x) -> RefArray:
    _arr(op, x)
    if not x.dtype.is_floating_point:
        raise _err(TypeError, op, f"expected a floating array (float16/float32/float64), "
                   f"got dtype {x.dtype.name} (shape {x.shape})")
    return x


def _check_dtype(op: str, dtype) -> DType:
    if not isinstance(dtype, DType) or dtype not in ALL_DTYPES:
        raise _err(TypeError, op, f"expected an xgrad DType, got {_desc(dtype)}")
    return dtype


def _check_shape(op: str, shape) -> tuple:
    if not isinstance(shape, (tuple, list)) or not all(
            isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise _err(ValueError, op, f"expected a shape (tuple of non-negative ints), got {shape!r}")
    return tuple(shape)


def _check_axis(op: str, axis, ndim: int) -> int:
    if not isinstance(axis, int) or isinstance(axis, bool):
        raise _err(TypeError, op, f"expected an int axis, got {_desc(axis)}")
    if not -ndim <= axis < ndim:
        raise _err(IndexError, op, f"axis {axis} is out of range for an array of ndim {ndim}")
    return axis % ndim


def _check_axes(op: str, axes, ndim: int) -> tuple:
    if not isinstance(axes, (tuple, list)):
        raise _err(TypeError, op, f"expected a tuple of axes, got {_desc(axes)}")
    out = tuple(_check_axis(op, a, ndim) for a in axes)
    if len(set(out)) != len(out):
        raise _err(ValueError, op, f"repeated axis in {tuple(axes)}")
    return out


# ---- broadcasting -------------------------------------------------------------------
def _broadcast_shapes(op: str, *shapes) -> tuple:
    nd = max(len(s) for s in shapes)
    out = []
    for i in range(nd):
        size = 1
        for s in shapes:
            j = len(s) - nd + i
            if j < 0:
                continue
            n = s[j]
            if n != 1:
                if size != 1 and size != n:
                    given = " and ".join(str(tuple(s)) for s in shapes)
                    raise _err(ValueError, op, f"shapes {given} are not broadcastable")
                size = n
        out.append(size)
    return tuple(out)


def _expand(x: RefArray, shape: tuple) -> list:
    """x's values broadcast to ``shape`` (which must be a valid broadcast target)."""
    if x.shape == shape:
        return x.data
    n = math.prod(shape)
    if len(x.data) == 1:
        return [x.data[0]] * n
    st = strides_of(x.shape)
    lead = len(shape) - x.ndim
    strides = [0] * lead + [0 if m == 1 else s for m, s in zip(x.shape, st)]
    data = x.data
    return [data[i] for i in offsets(0, shape, strides)]


def _broadcast_to(op: str, x: RefArray, shape: tuple, what: str = "x") -> list:
    """One-directional broadcast of ``x`` to ``shape`` (leading size-1 dims of x may drop)."""
    xs = x.shape
    while len(xs) > len(shape) and xs[0] == 1:
        xs = xs[1:]
    ok = len(xs) <= len(shape) and all(
        m == 1 or m == n for m, n in zip(xs, shape[len(shape) - len(xs):]))
    if not ok:
        raise _err(ValueError, op, f"cannot broadcast {what} of shape {x.shape} to shape {shape}")
    return _expand(RefArray(x.data, xs, x.dtype), shape)


def _scalar(op: str, s, dt: DType, arith: bool):
    """A Python scalar operand taking the array's dtype (PyTorch's weak scalar)."""
    if isinstance(s, bool):
        pass
    elif isinstance(s, int):
        if dt is bool_ and arith:
            raise _err(TypeError, op, f"int scalar {s!r} with a bool array; cast the array first")
    elif isinstance(s, float):
        if not dt.is_floating_point and arith:
            raise _err(TypeError, op, f"float scalar {s!r} with a {dt.name} array; the frontend "
                       "must cast the array to a floating dtype first")
    else:
        raise _err(TypeError, op, "expected a reference-backend array or a Python int/float/bool "
                   f"scalar, got {_desc(s)}")
    if dt.is_floating_point:
        return FIX1[dt](float(s))
    if dt is bool_:
        return bool(s) if arith else s
    if arith and isinstance(s, int) and not isinstance(s, bool):
        return FIX1[dt](s)
    return s


def _fill_value(op: str, value, dtype: DType):
    """A Python scalar converted to ``dtype`` as numpy does when filling an array."""
    if isinstance(value, bool):
        src = bool_
    elif isinstance(value, int):
        src = int64
    elif isinstance(value, float):
        src = float64
    else:
        raise _err(TypeError, op, f"expected a Python int/float/bool fill value, got "
                   f"{_desc(value)}")
    return cast_list([value], src, dtype)[0]


def _operands(op: str, a, b, arith: bool = True):
    """(dtype, shape, a_values, b_values) for a binary elementwise primitive."""
    ta, tb = isinstance(a, RefArray), isinstance(b, RefArray)
    if ta and tb:
        if a.dtype is not b.dtype:
            raise _err(TypeError, op, f"dtypes differ: {a.dtype.name} {a.shape} and {b.dtype.name} "
                       f"{b.shape} (binary primitives take one dtype; cast first)")
        if a.shape == b.shape:
            return a.dtype, a.shape, a.data, b.data
        shape = _broadcast_shapes(op, a.shape, b.shape)
        return a.dtype, shape, _expand(a, shape), _expand(b, shape)
    if ta:
        return a.dtype, a.shape, a.data, repeat(_scalar(op, b, a.dtype, arith))
    if tb:
        return b.dtype, b.shape, repeat(_scalar(op, a, b.dtype, arith)), b.data
    raise _err(TypeError, op, f"expected at least one reference-backend array, got {_desc(a)} "
               f"and {_desc(b)}")


def _no_bool(op: str, dt: DType):
    if dt is bool_:
        raise _err(TypeError, op, "not supported for bool arrays (cast to an integer or "
                   "floating dtype first)")
