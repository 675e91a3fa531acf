"""``ArrayAPIBackend``: every xgrad primitive on ``array_api_strict`` arrays.

Only functions of the Array API standard namespace are used. numpy appears solely in
``from_numpy``/``to_numpy`` (host conversion). Where the standard has no operation, it is
composed from standard functions: indexing and scatter in :mod:`._indexing`, erf and the
Philox generator in :mod:`._special`, padding with ``concat``, sliding windows with strided
slices and ``stack``.
"""
from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import array_api_strict as xp
from xgrad.backend import CONTRACT_VERSION, Backend
from xgrad.dtypes import DType, bool_, float32, float64, int32, int64

from . import _indexing, _special

__all__ = ["ArrayAPIBackend"]

Array = Any

_NATIVE = {float32: xp.float32, float64: xp.float64, int32: xp.int32, int64: xp.int64,
           bool_: xp.bool}
_FROM_NATIVE = {v: k for k, v in _NATIVE.items()}
_HOST = {float32: "float32", float64: "float64", int32: "int32", int64: "int64", bool_: "bool"}


_ARRAY = type(xp.asarray(0))


def _is_array(v: Any) -> bool:
    return isinstance(v, _ARRAY)


def _floating(x: Array) -> bool:
    return x.dtype in (xp.float32, xp.float64)


def _integer(x: Array) -> bool:
    return x.dtype in (xp.int32, xp.int64)


def _scalar_as(value: Any, like: Array, op: str) -> Array:
    """A Python scalar operand taking ``like``'s dtype (PyTorch's weak scalar), as 0-d array."""
    if isinstance(value, bool):
        py = value
    elif isinstance(value, int):
        py = value
        if like.dtype == xp.bool:
            raise TypeError(f"arrayapi backend: {op}: int scalar {value!r} with a bool array; "
                            "cast the array first")
    elif isinstance(value, float):
        py = value
        if not _floating(like):
            raise TypeError(f"arrayapi backend: {op}: float scalar {value!r} with a {like.dtype} "
                            "array; cast the array to a floating dtype first")
    else:
        raise TypeError(f"arrayapi backend: {op}: expected an array or a Python int/float/bool "
                        f"scalar, got {type(value).__name__}")
    if _floating(like):
        py = float(py)
    elif _integer(like):
        py = int(py)
    return xp.asarray(py, dtype=like.dtype)


def _binary(a: Any, b: Any, op: str) -> tuple[Array, Array]:
    """Both operands as arrays of one dtype (Python scalars take the array's dtype)."""
    ta, tb = _is_array(a), _is_array(b)
    if ta and tb:
        if a.dtype != b.dtype:
            raise TypeError(f"arrayapi backend: {op}: dtypes differ: {a.dtype} {tuple(a.shape)} "
                            f"and {b.dtype} {tuple(b.shape)} (binary primitives take one dtype)")
        return a, b
    if ta:
        return a, _scalar_as(b, a, op)
    if tb:
        return _scalar_as(a, b, op), b
    raise TypeError(f"arrayapi backend: {op}: expected at least one array, got "
                    f"{type(a).__name__} and {type(b).__name__}")


def _comparable(a: Any, b: Any, op: str) -> tuple[Array, Array]:
    """Operands for comparisons: a scalar keeps its exact value (``int_array < 2.5`` works)."""
    arr, scalar = (a, b) if _is_array(a) else (b, a)
    if not _is_array(scalar) and not isinstance(scalar, bool):
        if isinstance(scalar, float) and not _floating(arr):
            arr = xp.astype(arr, xp.float64)
        elif arr.dtype == xp.bool and isinstance(scalar, int):
            arr = xp.astype(arr, xp.int64)
        a, b = (arr, scalar) if _is_array(a) else (scalar, arr)
    a, b = _binary(a, b, op)
    if a.dtype == xp.bool and op in ("lt", "le", "gt", "ge"):
        a, b = xp.astype(a, xp.int32), xp.astype(b, xp.int32)
    return a, b


def _no_bool(x: Array, op: str) -> None:
    if x.dtype == xp.bool:
        raise TypeError(f"arrayapi backend: {op} is not supported for bool arrays "
                        "(cast to an integer or floating dtype first)")


def _float_only(x: Array, op: str) -> None:
    if not _floating(x):
        raise TypeError(f"arrayapi backend: {op} expects a floating array, got dtype {x.dtype} "
                        f"(shape {tuple(x.shape)})")


class ArrayAPIBackend(Backend):
    """xgrad's required primitives over ``array_api_strict``, plus a fused ``log_softmax``."""

    name = "arrayapi"
    device = "arrayapi"
    contract_version = CONTRACT_VERSION
    dtypes = frozenset(_NATIVE)  # no float16: array-api-strict does not provide it
    fused_ops = frozenset({"log_softmax"})

    # ---- introspection ----------------------------------------------------------------
    def dtype(self, x: Array) -> DType:
        try:
            return _FROM_NATIVE[x.dtype]
        except (KeyError, AttributeError):
            raise TypeError(f"arrayapi backend: unsupported array {type(x).__name__} with dtype "
                            f"{getattr(x, 'dtype', None)}") from None

    # ---- transfer and creation --------------------------------------------------------
    def _native(self, dtype: DType) -> Any:
        try:
            return _NATIVE[dtype]
        except KeyError:
            raise TypeError(f"arrayapi backend: dtype {dtype} is not supported; supported: "
                            f"{', '.join(sorted(d.name for d in _NATIVE))}") from None

    def from_numpy(self, a: Any, dtype: DType) -> Array:
        import numpy as np

        native = self._native(dtype)
        return xp.asarray(np.asarray(a).astype(_HOST[dtype], copy=True), dtype=native)

    def to_numpy(self, x: Array) -> Any:
        import numpy as np

        return np.array(np.asarray(x), copy=True)

    def full(self, shape, value, dtype):
        native = self._native(dtype)
        if dtype is bool_:
            value = bool(value)
        elif not dtype.is_floating_point:
            value = int(value)
        else:
            value = float(value)
        return xp.full(tuple(shape), value, dtype=native)

    def arange(self, start, stop, step, dtype):
        return xp.arange(start, stop, step, dtype=self._native(dtype))

    def random_bits(self, shape, seed, offset):
        n = 1
        for s in shape:
            n *= s
        return xp.reshape(_special.philox_words(xp, n, seed, offset), tuple(shape))

    # ---- elementwise ------------------------------------------------------------------
    def add(self, a, b):
        a, b = _binary(a, b, "add")
        return xp.logical_or(a, b) if a.dtype == xp.bool else xp.add(a, b)

    def sub(self, a, b):
        a, b = _binary(a, b, "sub")
        _no_bool(a, "sub")
        return xp.subtract(a, b)

    def mul(self, a, b):
        a, b = _binary(a, b, "mul")
        return xp.logical_and(a, b) if a.dtype == xp.bool else xp.multiply(a, b)

    def div(self, a, b):
        a, b = _binary(a, b, "div")
        _float_only(a, "div")
        return xp.divide(a, b)

    def floordiv(self, a, b):
        a, b = _binary(a, b, "floordiv")
        _no_bool(a, "floordiv")
        return xp.floor_divide(a, b)

    def remainder(self, a, b):
        a, b = _binary(a, b, "remainder")
        _no_bool(a, "remainder")
        return xp.remainder(a, b)

    def pow(self, a, b):
        a, b = _binary(a, b, "pow")
        _no_bool(a, "pow")
        return xp.pow(a, b)

    def atan2(self, a, b):
        a, b = _binary(a, b, "atan2")
        _float_only(a, "atan2")
        return xp.atan2(a, b)

    def maximum(self, a, b):
        a, b = _binary(a, b, "maximum")
        return xp.logical_or(a, b) if a.dtype == xp.bool else xp.maximum(a, b)

    def minimum(self, a, b):
        a, b = _binary(a, b, "minimum")
        return xp.logical_and(a, b) if a.dtype == xp.bool else xp.minimum(a, b)

    def neg(self, x):
        _no_bool(x, "neg")
        return xp.negative(x)

    def exp(self, x):
        _float_only(x, "exp")
        return xp.exp(x)

    def log(self, x):
        _float_only(x, "log")
        return xp.log(x)

    def log1p(self, x):
        _float_only(x, "log1p")
        return xp.log1p(x)

    def expm1(self, x):
        _float_only(x, "expm1")
        return xp.expm1(x)

    def sin(self, x):
        _float_only(x, "sin")
        return xp.sin(x)

    def cos(self, x):
        _float_only(x, "cos")
        return xp.cos(x)

    def tanh(self, x):
        _float_only(x, "tanh")
        return xp.tanh(x)

    def sqrt(self, x):
        _float_only(x, "sqrt")
        return xp.sqrt(x)

    def erf(self, x):
        _float_only(x, "erf")
        return _special.erf(xp, x)

    def abs(self, x):
        return xp.asarray(x, copy=True) if x.dtype == xp.bool else xp.abs(x)

    def sign(self, x):
        _no_bool(x, "sign")
        return xp.sign(x)

    def floor(self, x):
        _no_bool(x, "floor")
        return xp.floor(x) if _floating(x) else xp.asarray(x, copy=True)

    def isnan(self, x):
        return xp.isnan(x) if _floating(x) else xp.zeros(tuple(x.shape), dtype=xp.bool)

    def isinf(self, x):
        return xp.isinf(x) if _floating(x) else xp.zeros(tuple(x.shape), dtype=xp.bool)

    def where(self, cond, a, b):
        if not _is_array(cond) or cond.dtype != xp.bool:
            raise TypeError(f"arrayapi backend: where: cond must be a bool array, got "
                            f"{getattr(cond, 'dtype', type(cond).__name__)}")
        if not _is_array(a) and not _is_array(b):
            kinds = (type(a), type(b))
            dt = xp.float64 if float in kinds else (xp.bool if kinds == (bool, bool) else xp.int64)
            a = xp.asarray(a, dtype=dt)
        a, b = _binary(a, b, "where")
        return xp.where(cond, a, b)

    def eq(self, a, b):
        return xp.equal(*_comparable(a, b, "eq"))

    def ne(self, a, b):
        return xp.not_equal(*_comparable(a, b, "ne"))

    def lt(self, a, b):
        return xp.less(*_comparable(a, b, "lt"))

    def le(self, a, b):
        return xp.less_equal(*_comparable(a, b, "le"))

    def gt(self, a, b):
        return xp.greater(*_comparable(a, b, "gt"))

    def ge(self, a, b):
        return xp.greater_equal(*_comparable(a, b, "ge"))

    @staticmethod
    def _truth(v: Any) -> Any:
        if _is_array(v):
            return v if v.dtype == xp.bool else v != 0
        return bool(v)

    def logical_and(self, a, b):
        return xp.logical_and(self._truth(a), self._truth(b))

    def logical_or(self, a, b):
        return xp.logical_or(self._truth(a), self._truth(b))

    def logical_xor(self, a, b):
        return xp.logical_xor(self._truth(a), self._truth(b))

    def logical_not(self, x):
        return xp.logical_not(self._truth(x))

    def cast(self, x, dtype):
        return xp.astype(x, self._native(dtype), copy=True)

    # ---- reductions -------------------------------------------------------------------
    def sum(self, x, axes, keepdims):
        if not _floating(x):
            return xp.sum(xp.astype(x, xp.int64), axis=tuple(axes), keepdims=keepdims,
                          dtype=xp.int64)
        return xp.sum(x, axis=tuple(axes), keepdims=keepdims)

    def prod(self, x, axes, keepdims):
        if not _floating(x):
            return xp.prod(xp.astype(x, xp.int64), axis=tuple(axes), keepdims=keepdims,
                           dtype=xp.int64)
        return xp.prod(x, axis=tuple(axes), keepdims=keepdims)

    @staticmethod
    def _nonempty(x: Array, axes: tuple, op: str) -> None:
        if any(x.shape[a] == 0 for a in axes):
            raise ValueError(f"arrayapi backend: {op}: zero-size reduction over axes {tuple(axes)} "
                             f"of an array of shape {tuple(x.shape)}")

    def max(self, x, axes, keepdims):
        self._nonempty(x, axes, "max")
        if x.dtype == xp.bool:
            return xp.any(x, axis=tuple(axes), keepdims=keepdims)
        return xp.max(x, axis=tuple(axes), keepdims=keepdims)

    def min(self, x, axes, keepdims):
        self._nonempty(x, axes, "min")
        if x.dtype == xp.bool:
            return xp.all(x, axis=tuple(axes), keepdims=keepdims)
        return xp.min(x, axis=tuple(axes), keepdims=keepdims)

    def argmax(self, x, axis, keepdims):
        x = xp.astype(x, xp.int32) if x.dtype == xp.bool else x
        return xp.astype(xp.argmax(x, axis=axis, keepdims=keepdims), xp.int64)

    def argmin(self, x, axis, keepdims):
        x = xp.astype(x, xp.int32) if x.dtype == xp.bool else x
        return xp.astype(xp.argmin(x, axis=axis, keepdims=keepdims), xp.int64)

    def cumsum(self, x, axis):
        if not _floating(x):
            return xp.cumulative_sum(xp.astype(x, xp.int64), axis=axis, dtype=xp.int64)
        return xp.cumulative_sum(x, axis=axis)

    def sort(self, x, axis, descending):
        keys = xp.astype(x, xp.int32) if x.dtype == xp.bool else x
        idx = xp.astype(xp.argsort(keys, axis=axis, descending=bool(descending), stable=True),
                        xp.int64)
        return self.take_along_axis(x, idx, axis), idx

    # ---- movement ---------------------------------------------------------------------
    def reshape(self, x, shape):
        return xp.reshape(x, tuple(shape))

    def permute(self, x, axes):
        return xp.permute_dims(x, tuple(axes))

    def broadcast_to(self, x, shape):
        return xp.broadcast_to(x, tuple(shape))

    def copy(self, x):
        return xp.asarray(x, copy=True)

    def getitem(self, x, index):
        return _indexing.gather(xp, x, index)

    def _values(self, x: Array, shape: tuple, values: Any, op: str) -> Array:
        """``values`` broadcast to ``shape`` and flattened, in ``x``'s dtype."""
        if _is_array(values):
            if values.dtype != x.dtype:
                raise TypeError(f"arrayapi backend: {op}: values dtype {values.dtype} does not "
                                f"match the array's dtype {x.dtype}")
        else:
            values = _scalar_as(values, x, op)
        while values.ndim > len(shape) and values.shape[0] == 1:
            values = xp.reshape(values, tuple(values.shape[1:]))
        return xp.reshape(xp.broadcast_to(values, shape), (-1,))

    def index_add(self, x, index, values):
        shape, offs = _indexing.plan(xp, x, index)
        return _indexing.scatter(xp, x, offs, self._values(x, shape, values, "index_add"), True)

    def index_put(self, x, index, values):
        shape, offs = _indexing.plan(xp, x, index)
        return _indexing.scatter(xp, x, offs, self._values(x, shape, values, "index_put"), False)

    @staticmethod
    def _along(x: Array, indices: Array, axis: int, grid: tuple) -> tuple:
        """The advanced index that addresses ``indices`` along ``axis`` of ``x``."""
        if indices.ndim != x.ndim:
            raise ValueError(f"arrayapi backend: indices (shape {tuple(indices.shape)}) and x "
                             f"(shape {tuple(x.shape)}) must have the same number of dimensions")
        nd = x.ndim
        axis = axis % nd
        return tuple(
            indices if d == axis else
            xp.reshape(xp.arange(grid[d], dtype=xp.int64), (1,) * d + (grid[d],) + (1,) * (nd - d - 1))
            for d in range(nd))

    def take_along_axis(self, x, indices, axis):
        return _indexing.gather(xp, x, self._along(x, indices, axis, tuple(x.shape)))

    def put_along_axis_add(self, x, indices, values, axis):
        return self.index_add(x, self._along(x, indices, axis, tuple(indices.shape)), values)

    def concatenate(self, xs: Sequence[Array], axis):
        return xp.concat(list(xs), axis=axis)

    def pad(self, x, widths, value):
        value = self.full((), value, self.dtype(x))
        out = x
        for d, (before, after) in enumerate(widths):
            if not before and not after:
                continue
            parts = []
            for n in (before, after):
                shape = list(out.shape)
                shape[d] = n
                parts.append(xp.broadcast_to(value, tuple(shape)))
            out = xp.concat([parts[0], out, parts[1]], axis=d)
        return self.copy(x) if out is x else out  # a new array even when nothing is padded

    def sliding_window(self, x, window, strides, dilation):
        k = len(window)
        lead = tuple(x.shape[:x.ndim - k])
        sizes = tuple(x.shape[x.ndim - k:])
        outs = tuple((n - dl * (w - 1) - 1) // s + 1
                     for n, w, s, dl in zip(sizes, window, strides, dilation))
        if any(o <= 0 for o in outs):
            raise ValueError(f"arrayapi backend: sliding_window: window {tuple(window)} with "
                             f"dilation {tuple(dilation)} is larger than the input's last axes "
                             f"{sizes} (x shape {tuple(x.shape)})")
        if any(n == 0 for n in lead):
            return xp.zeros(lead + outs + tuple(window), dtype=x.dtype)
        views = []
        for offs in itertools.product(*(range(w) for w in window)):
            sl = tuple(slice(o * dl, o * dl + (m - 1) * s + 1, s)
                       for o, dl, m, s in zip(offs, dilation, outs, strides))
            views.append(x[(Ellipsis, *sl)])
        return xp.reshape(xp.stack(views, axis=-1), lead + outs + tuple(window))

    # ---- linear algebra ---------------------------------------------------------------
    def matmul(self, a, b):
        if a.dtype == xp.bool:
            return xp.matmul(xp.astype(a, xp.int64), xp.astype(b, xp.int64)) != 0
        return xp.matmul(a, b)

    # ---- in-place support -------------------------------------------------------------
    def assign(self, dst, src):
        value = src if _is_array(src) else _scalar_as(src, dst, "assign")
        try:
            dst[...] = value
            return dst
        except (ValueError, TypeError):  # a read-only view: hand back a new array instead
            return xp.asarray(xp.broadcast_to(value, tuple(dst.shape)), copy=True)

    # ---- the one fused op -------------------------------------------------------------
    def log_softmax(self, x, axis):
        """Fused ``log_softmax``: one kernel instead of the frontend's decomposition."""
        # like PyTorch, an infinite maximum makes the whole slice NaN (no rescue of inf - inf)
        s = x - xp.max(x, axis=axis, keepdims=True)
        return s - xp.log(xp.sum(xp.exp(s), axis=axis, keepdims=True))
