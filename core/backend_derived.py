"""Decompositions of the optional primitives (contract version 2) into the required core.

A backend implements the required core (:data:`xgrad.backend.REQUIRED_PRIMITIVES`) and MAY
implement any primitive of :data:`DERIVED` as well; when it does not, the
:class:`~xgrad.backend.Backend` base class runs the function below, written in terms of the
backend's other primitives (through ``be``, so a backend that implements one optional
primitive gets it used inside the others). The conformance suite checks every optional
primitive a backend does implement against its decomposition (``prim.derived.<name>``).

Each function takes the backend first, then the primitive's arguments, and keeps the
primitive's contract: same result dtype and shape, a new array, inputs unchanged, numpy's
special-value semantics. The decompositions are exact except ``log1p``/``expm1`` (Kahan's
correction, a few ulps) and float ``remainder`` (``a - floordiv(a, b) * b``, one rounding).
This module sees only the contract: it imports no array library and no frontend code.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .dtypes import bool_, int64

__all__ = ["DERIVED"]

_SCALARS = (bool, int, float)


def _is_scalar(x: Any) -> bool:
    """A Python scalar (exactly: numpy's float64 scalars subclass float but are arrays)."""
    return type(x) in _SCALARS


def _dt(be: Any, x: Any) -> Any:
    return be.dtype(x)


def _floating(be: Any, x: Any) -> bool:
    return _dt(be, x).is_floating_point


def _truth(be: Any, x: Any) -> Any:
    """``x`` as a bool array (nonzero is true), or a Python bool for a scalar."""
    if _is_scalar(x):
        return bool(x)
    return x if _dt(be, x) is bool_ else be.logical_not(be.eq(x, 0))


def _bool_where(be: Any, cond: Any, a: Any, b: Any) -> Any:
    """``where`` for bool operands that may be Python bools (at least one array among
    ``cond``/``a``/``b``; ``cond`` a bool array or a Python bool)."""
    if _is_scalar(cond):
        pick = a if cond else b
        if _is_scalar(pick):
            other = b if cond else a
            return be.full(tuple(other.shape), pick, bool_)
        return be.cast(pick, bool_)
    if _is_scalar(a) and _is_scalar(b):
        return be.logical_not(cond) if (not a and b) else (
            be.cast(cond, bool_) if (a and not b) else be.full(tuple(cond.shape), bool(a), bool_))
    return be.where(cond, a, b)


# ---- arithmetic ---------------------------------------------------------------------------
def sub(be: Any, a: Any, b: Any) -> Any:
    """``a + (-b)``: exact in IEEE arithmetic (signed zeros included) and for wrapping ints."""
    if _is_scalar(b):
        return be.add(a, -b)
    return be.add(a, be.neg(b))


def remainder(be: Any, a: Any, b: Any) -> Any:
    """``a - floordiv(a, b) * b`` (the divisor's sign, as Python's ``%``)."""
    q = be.floordiv(a, b)
    return be.sub(a, be.mul(q, b))


def _keep_a_or_nan(be: Any, a: Any, b: Any, compare: str) -> Any:
    """``a`` where ``compare(a, b)`` holds or ``a`` is NaN, else ``b``."""
    if _is_scalar(a):
        a, b = b, a
    take_a = getattr(be, compare)(a, b)
    if _floating(be, a):
        take_a = be.logical_or(take_a, be.isnan(a))
    return be.where(take_a, a, b)


def maximum(be: Any, a: Any, b: Any) -> Any:
    """``a`` where ``a >= b`` or ``a`` is NaN, else ``b`` (NaN propagates from either)."""
    return _keep_a_or_nan(be, a, b, "ge")


def minimum(be: Any, a: Any, b: Any) -> Any:
    """``a`` where ``a <= b`` or ``a`` is NaN, else ``b`` (NaN propagates from either)."""
    return _keep_a_or_nan(be, a, b, "le")


def log1p(be: Any, x: Any) -> Any:
    """Kahan: ``u = 1 + x``; ``x`` where ``u == 1``, else ``log(u) * x / (u - 1)`` (the
    rounding of ``1 + x`` cancels); ``+inf`` kept."""
    u = be.add(x, 1.0)
    d = be.sub(u, 1.0)
    body = be.mul(be.log(u), be.div(x, be.where(be.eq(d, 0.0), 1.0, d)))
    out = be.where(be.eq(d, 0.0), x, body)
    return be.where(be.eq(x, float("inf")), x, out)


def expm1(be: Any, x: Any) -> Any:
    """Kahan: ``u = exp(x)``; ``x`` where ``u == 1``, ``-1`` where ``u - 1 == -1``, else
    ``(u - 1) * x / log(u)``; ``+inf`` where ``exp`` overflows."""
    u = be.exp(x)
    d = be.sub(u, 1.0)
    lg = be.log(u)
    safe = be.where(be.eq(lg, 0.0), 1.0, lg)
    out = be.mul(d, be.div(x, safe))
    out = be.where(be.eq(d, -1.0), -1.0, out)
    out = be.where(be.eq(u, 1.0), x, out)
    return be.where(be.eq(u, float("inf")), u, out)


def abs(be: Any, x: Any) -> Any:  # noqa: A001 - the primitive's name
    """``-x`` where ``x < 0``, else ``x`` (``x + 0.0`` for floats, so ``abs(-0.0)`` is
    ``+0.0``); bool: a copy."""
    dt = _dt(be, x)
    if dt is bool_:
        return be.copy(x)
    rest = be.add(x, 0.0) if dt.is_floating_point else x
    return be.where(be.lt(x, 0), be.neg(x), rest)


def sign(be: Any, x: Any) -> Any:
    """1 where ``x > 0``, -1 where ``x < 0``, else ``x`` (0 and NaN)."""
    dt = _dt(be, x)
    if dt is bool_:
        return be.copy(x)
    if dt.is_floating_point:  # x + 0.0: sign(-0.0) is +0.0, NaN stays NaN
        return be.where(be.gt(x, 0), 1.0, be.where(be.lt(x, 0), -1.0, be.add(x, 0.0)))
    return be.where(be.gt(x, 0), 1, be.where(be.lt(x, 0), -1, x))


def isnan(be: Any, x: Any) -> Any:
    """``x != x`` (NaN is the only value unequal to itself); all false for ints and bools."""
    if not _floating(be, x):
        return be.full(tuple(x.shape), False, bool_)
    return be.logical_not(be.eq(x, x))


def isinf(be: Any, x: Any) -> Any:
    """``abs(x) == inf``; all false for ints and bools."""
    if not _floating(be, x):
        return be.full(tuple(x.shape), False, bool_)
    return be.eq(be.abs(x), float("inf"))


# ---- comparisons and logic ------------------------------------------------------------------
def ne(be: Any, a: Any, b: Any) -> Any:
    """``not (a == b)`` (true where either is NaN)."""
    return be.logical_not(be.eq(a, b))


def gt(be: Any, a: Any, b: Any) -> Any:
    """``b < a``."""
    return be.lt(b, a)


def le(be: Any, a: Any, b: Any) -> Any:
    """``a < b or a == b`` (false where either is NaN)."""
    return be.logical_or(be.lt(a, b), be.eq(a, b))


def ge(be: Any, a: Any, b: Any) -> Any:
    """``a > b or a == b`` (false where either is NaN)."""
    return be.logical_or(be.gt(a, b), be.eq(a, b))


def logical_not(be: Any, x: Any) -> Any:
    """``x == False`` (``x == 0`` for a non-bool array)."""
    return be.eq(x, False if _dt(be, x) is bool_ else 0)


def logical_and(be: Any, a: Any, b: Any) -> Any:
    """``where(a, b, False)`` on the truth values."""
    return _bool_where(be, _truth(be, a), _truth(be, b), False)


def logical_or(be: Any, a: Any, b: Any) -> Any:
    """``where(a, True, b)`` on the truth values."""
    return _bool_where(be, _truth(be, a), True, _truth(be, b))


def logical_xor(be: Any, a: Any, b: Any) -> Any:
    """``where(a, not b, b)`` on the truth values."""
    ta, tb = _truth(be, a), _truth(be, b)
    not_b = (not tb) if _is_scalar(tb) else be.logical_not(tb)
    return _bool_where(be, ta, not_b, tb)


# ---- reductions -----------------------------------------------------------------------------
def _order_flip(be: Any, x: Any) -> Any:
    """An order-reversing map of ``x`` that cannot overflow: ``-x`` for floats (NaN stays
    NaN), ``-x - 1`` (``~x``, wrapping) for ints, ``not x`` for bools."""
    dt = _dt(be, x)
    if dt is bool_:
        return be.logical_not(x)
    if dt.is_floating_point:
        return be.neg(x)
    return be.add(be.neg(x), -1)


def min(be: Any, x: Any, axes: tuple[int, ...], keepdims: bool) -> Any:  # noqa: A001
    """``flip(max(flip(x)))`` with the order-reversing, self-inverse :func:`_order_flip`."""
    return _order_flip(be, be.max(_order_flip(be, x), axes, keepdims))


def argmin(be: Any, x: Any, axis: int, keepdims: bool) -> Any:
    """``argmax`` of the order-reversed ``x`` (first minimum; first NaN for floats)."""
    return be.argmax(_order_flip(be, x), axis, keepdims)


# ---- movement ---------------------------------------------------------------------------------
def copy(be: Any, x: Any) -> Any:
    """``cast`` to the same dtype (which the contract makes a new array)."""
    return be.cast(x, _dt(be, x))


def _grid(be: Any, n: int, axis: int, ndim: int) -> Any:
    """``arange(n)`` as int64 of shape ``(1, .., n, .., 1)`` with ``n`` at ``axis``."""
    shape = tuple(n if i == axis else 1 for i in range(ndim))
    return be.reshape(be.arange(0, n, 1, int64), shape)


def _along_index(be: Any, sizes: Sequence[int], indices: Any, axis: int) -> tuple:
    nd = len(sizes)
    return tuple(indices if i == axis else _grid(be, n, i, nd) for i, n in enumerate(sizes))


def take_along_axis(be: Any, x: Any, indices: Any, axis: int) -> Any:
    """``getitem`` with an integer grid on every axis but ``axis`` (numpy's broadcasting)."""
    return be.getitem(x, _along_index(be, tuple(x.shape), indices, axis))


def put_along_axis_add(be: Any, x: Any, indices: Any, values: Any, axis: int) -> Any:
    """``index_add`` with an integer grid over ``indices``' shape on every other axis."""
    return be.index_add(x, _along_index(be, tuple(indices.shape), indices, axis), values)


def _fill(value: Any, dt: Any) -> Any:
    if dt is bool_:
        return bool(value)
    return value if dt.is_floating_point else int(value)


def pad(be: Any, x: Any, widths: tuple[tuple[int, int], ...], value: float) -> Any:
    """``concatenate`` of ``full`` blocks around ``x``, one axis at a time."""
    dt = _dt(be, x)
    out = x
    for d, (lo, hi) in enumerate(widths):
        if not lo and not hi:
            continue
        shape = list(out.shape)
        parts = []
        if lo:
            parts.append(be.full(tuple(shape[:d] + [lo] + shape[d + 1:]), _fill(value, dt), dt))
        parts.append(out)
        if hi:
            parts.append(be.full(tuple(shape[:d] + [hi] + shape[d + 1:]), _fill(value, dt), dt))
        out = be.concatenate(parts, d)
    return be.copy(out) if out is x else out


def sliding_window(be: Any, x: Any, window: tuple[int, ...], strides: tuple[int, ...],
                   dilation: tuple[int, ...]) -> Any:
    """``getitem`` with one integer array per window axis: ``o * stride + w * dilation``,
    shaped so that the windows' axes follow the output positions' axes."""
    k = len(window)
    lead = x.ndim - k
    index: list[Any] = [slice(None)] * lead
    for j, (n, w, s, d) in enumerate(zip(tuple(x.shape)[lead:], window, strides, dilation)):
        o = _imax((n - d * (w - 1) - 1) // s + 1, 0)
        pos = be.mul(_grid(be, o, j, 2 * k), s)
        off = be.mul(_grid(be, w, k + j, 2 * k), d)
        index.append(be.add(pos, off))
    return be.getitem(x, tuple(index))


def _imax(a: int, b: int) -> int:
    """The larger of two ints (this module's ``min`` is the primitive)."""
    return a if a >= b else b


#: optional primitive -> its decomposition into the core (and other optional primitives).
DERIVED: dict[str, Any] = {
    "sub": sub, "remainder": remainder, "maximum": maximum, "minimum": minimum,
    "log1p": log1p, "expm1": expm1, "abs": abs, "sign": sign, "isnan": isnan, "isinf": isinf,
    "ne": ne, "gt": gt, "le": le, "ge": ge, "logical_not": logical_not,
    "logical_and": logical_and, "logical_or": logical_or, "logical_xor": logical_xor,
    "min": min, "argmin": argmin, "copy": copy, "take_along_axis": take_along_axis,
    "put_along_axis_add": put_along_axis_add, "pad": pad, "sliding_window": sliding_window,
}
