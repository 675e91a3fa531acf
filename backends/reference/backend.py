"""The pure-Python reference backend: slow, strict, and the conformance oracle.

Every primitive is written in plain Python over :class:`RefArray` (a flat list plus shape
and dtype). numpy appears only in ``from_numpy``/``to_numpy`` (host conversion). float64
is exact Python float arithmetic; float32/float16 results are rounded to their precision
after every primitive; integers wrap like numpy's. Inputs are checked strictly and errors
name the backend, the primitive, and the shapes/dtypes that were given.
"""
from __future__ import annotations

import math
import operator
from itertools import accumulate, repeat

from xgrad.backend import CONTRACT_VERSION, Backend
from xgrad.dtypes import ALL_DTYPES, DType, bool_, float64, int32, int64

from ._array import (
    FIX,
    FIX1,
    HOST_NAMES,
    PREFIX,
    RefArray,
    cast_list,
    expand_offsets,
    offsets,
    strides_of,
    wrap64,
)

__all__ = ["ReferenceBackend", "RefArray"]

_INF = math.inf
_NAN = math.nan
_PHILOX_M0, _PHILOX_M1 = 0xD2511F53, 0xCD9E8D57
_PHILOX_W0, _PHILOX_W1 = 0x9E3779B9, 0xBB67AE85
_MASK32 = 0xFFFFFFFF


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


# ---- safe scalar math (numpy's IEEE results instead of Python exceptions) ------------
def _safe1(fn, special):
    def safe(x):
        try:
            return fn(x)
        except (ValueError, OverflowError):
            return special(x)
    return safe


def _is_odd_int(y: float) -> bool:
    return y == y and abs(y) != _INF and y == math.floor(y) and math.fmod(y, 2.0) != 0


def _fpow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except ValueError:  # 0 ** negative, or negative ** non-integer
        if x == 0:
            return -_INF if (_is_odd_int(y) and math.copysign(1.0, x) < 0) else _INF
        return _NAN
    except OverflowError:
        return -_INF if (x < 0 and _is_odd_int(y)) else _INF


def _fdiv(x: float, y: float) -> float:
    if y:
        return x / y
    if x != x or x == 0:
        return _NAN
    return _INF * math.copysign(1.0, x) * math.copysign(1.0, y)


def _ffloordiv(x: float, y: float) -> float:
    if y:
        try:
            return x // y
        except (ValueError, OverflowError):
            return _NAN
    return _fdiv(x, y)


def _fmod(x: float, y: float) -> float:
    if y:
        try:
            return x % y
        except ValueError:
            return _NAN
    return _NAN


def _ifloordiv(x: int, y: int) -> int:
    return x // y if y else 0


def _imod(x: int, y: int) -> int:
    return x % y if y else 0


def _fmax(x, y):
    return x if (x > y or x != x) else y


def _fmin(x, y):
    return x if (x < y or x != x) else y


def _ffloor(x: float) -> float:
    if x != 0 and x - x == 0:
        return float(math.floor(x))
    return x


def _fsign(x: float) -> float:
    return 1.0 if x > 0 else (-1.0 if x < 0 else (0.0 if x == 0 else x))


def _fsum(vals) -> float:
    try:
        return math.fsum(vals)
    except (ValueError, OverflowError):
        return sum(vals)


def _has_nan(vals) -> bool:
    s = sum(vals)
    return s != s and any(v != v for v in vals)


_EXP = _safe1(math.exp, lambda x: _INF if x > 0 else 0.0)
_EXPM1 = _safe1(math.expm1, lambda x: _INF if x > 0 else -1.0)
_LOG = _safe1(math.log, lambda x: -_INF if x == 0 else _NAN)
_LOG1P = _safe1(math.log1p, lambda x: -_INF if x == -1 else _NAN)
_SQRT = _safe1(math.sqrt, lambda x: _NAN)
_SIN = _safe1(math.sin, lambda x: _NAN)
_COS = _safe1(math.cos, lambda x: _NAN)


class ReferenceBackend(Backend):
    """Pure-Python implementation of every required primitive; no fused ops."""

    name = "reference"
    device = "reference"
    contract_version = CONTRACT_VERSION
    dtypes = frozenset(ALL_DTYPES)
    fused_ops = frozenset()

    # ---- introspection ----------------------------------------------------------------
    def dtype(self, x):
        return _arr("dtype", x).dtype

    # ---- transfer and creation --------------------------------------------------------
    def from_numpy(self, a, dtype):
        import numpy as np

        _check_dtype("from_numpy", dtype)
        if not isinstance(a, (np.ndarray, np.generic)):
            raise _err(TypeError, "from_numpy", f"expected a numpy.ndarray, got {_desc(a)}")
        a = np.asarray(a)
        if a.dtype.kind not in "biuf":
            raise _err(TypeError, "from_numpy", f"unsupported numpy dtype {a.dtype} "
                       f"(shape {a.shape})")
        host = a.astype(HOST_NAMES[dtype], copy=False)
        return RefArray(host.ravel().tolist(), tuple(int(n) for n in a.shape), dtype)

    def to_numpy(self, x):
        import numpy as np

        _arr("to_numpy", x)
        return np.array(x.data, dtype=HOST_NAMES[x.dtype]).reshape(x.shape)

    def full(self, shape, value, dtype):
        shape = _check_shape("full", shape)
        _check_dtype("full", dtype)
        v = _fill_value("full", value, dtype)
        return RefArray([v] * math.prod(shape), shape, dtype)

    def arange(self, start, stop, step, dtype):
        _check_dtype("arange", dtype)
        for v in (start, stop, step):
            if not isinstance(v, (int, float)):
                raise _err(TypeError, "arange", f"expected Python numbers, got {_desc(v)}")
        if step == 0:
            raise _err(ValueError, "arange", "step must be non-zero")
        n = math.ceil((stop - start) / step) if not all(
            isinstance(v, int) for v in (start, stop, step)) else -((start - stop) // step)
        n = max(int(n), 0)
        if n == 0:
            return RefArray([], (0,), dtype)
        src = float64 if any(isinstance(v, float) for v in (start, stop, step)) else int64

        def conv(v):
            return cast_list([v], src, dtype)[0]

        # numpy's algorithm: first two values converted, then ``start + i * delta``
        # evaluated in the target dtype.
        first = conv(start)
        if n == 1:
            return RefArray([first], (1,), dtype)
        second = conv(start + step)
        if dtype is bool_:
            if n > 2:
                raise _err(ValueError, "arange", "a bool arange has at most two elements")
            return RefArray([first, second], (2,), dtype)
        fix1 = FIX1[dtype]
        delta = fix1(second - first)
        if dtype.is_floating_point:
            vals = [first, second] + [fix1(first + fix1(i * delta)) for i in range(2, n)]
        else:
            vals = FIX[dtype]([first + i * delta for i in range(n)])
            vals[1] = second
        return RefArray(vals, (n,), dtype)

    def random_bits(self, shape, seed, offset):
        shape = _check_shape("random_bits", shape)
        for what, v in (("seed", seed), ("offset", offset)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise _err(TypeError, "random_bits", f"expected an int {what}, got {_desc(v)}")
        if offset < 0:
            raise _err(ValueError, "random_bits", f"offset must be >= 0, got {offset}")
        n = math.prod(shape)
        first = offset // 4
        last = (offset + n + 3) // 4
        k0, k1 = seed & _MASK32, (seed >> 32) & _MASK32
        keys = []
        for _ in range(10):
            keys.append((k0, k1))
            k0 = (k0 + _PHILOX_W0) & _MASK32
            k1 = (k1 + _PHILOX_W1) & _MASK32
        m0, m1, mask = _PHILOX_M0, _PHILOX_M1, _MASK32
        words = []
        for ctr in range(first, last):
            c0, c1, c2, c3 = ctr & mask, ctr >> 32, 0, 0
            for k0, k1 in keys:
                p0 = c0 * m0
                p1 = c2 * m1
                c0, c1, c2, c3 = (p1 >> 32) ^ c1 ^ k0, p1 & mask, (p0 >> 32) ^ c3 ^ k1, p0 & mask
            words += (c0, c1, c2, c3)
        start = offset - first * 4
        return RefArray(words[start:start + n], shape, int64)

    # ---- elementwise ------------------------------------------------------------------
    def _arith(self, op, a, b, f_float, f_int, f_bool=None, safe_float=None):
        dt, shape, xa, xb = _operands(op, a, b)
        if dt.is_floating_point:
            try:
                vals = list(map(f_float, xa, xb))
            except (ZeroDivisionError, ValueError, OverflowError):
                if safe_float is None:
                    raise
                if not isinstance(xa, list):
                    xa = repeat(next(xa))
                if not isinstance(xb, list):
                    xb = repeat(next(xb))
                vals = list(map(safe_float, xa, xb))
            return RefArray(FIX[dt](vals), shape, dt)
        if dt is bool_:
            if f_bool is None:
                _no_bool(op, dt)
            return RefArray(list(map(f_bool, xa, xb)), shape, dt)
        return RefArray(FIX[dt](list(map(f_int, xa, xb))), shape, dt)

    def add(self, a, b):
        return self._arith("add", a, b, operator.add, operator.add, operator.or_)

    def sub(self, a, b):
        return self._arith("sub", a, b, operator.sub, operator.sub)

    def mul(self, a, b):
        return self._arith("mul", a, b, operator.mul, operator.mul, operator.and_)

    def div(self, a, b):
        dt, _, _, _ = _operands("div", a, b)
        if not dt.is_floating_point:
            raise _err(TypeError, "div", f"true division takes floating arrays, got dtype {dt.name}")
        return self._arith("div", a, b, operator.truediv, None, safe_float=_fdiv)

    def floordiv(self, a, b):
        return self._arith("floordiv", a, b, operator.floordiv, _ifloordiv,
                           safe_float=_ffloordiv)

    def remainder(self, a, b):
        return self._arith("remainder", a, b, operator.mod, _imod, safe_float=_fmod)

    def pow(self, a, b):
        dt, shape, xa, xb = _operands("pow", a, b)
        _no_bool("pow", dt)
        if dt.is_floating_point:
            return RefArray(FIX[dt](list(map(_fpow, xa, xb))), shape, dt)
        mod = 1 << (dt.itemsize * 8)
        vals = []
        for x, y in zip(xa, xb):
            if y < 0:
                raise _err(ValueError, "pow", "integers to negative integer powers are not "
                           f"allowed (got exponent {y})")
            vals.append(pow(x, y, mod))
        return RefArray(FIX[dt](vals), shape, dt)

    def atan2(self, a, b):
        dt, shape, xa, xb = _operands("atan2", a, b)
        if not dt.is_floating_point:
            raise _err(TypeError, "atan2", f"takes floating arrays, got dtype {dt.name}")
        return RefArray(FIX[dt](list(map(math.atan2, xa, xb))), shape, dt)

    def maximum(self, a, b):
        return self._arith("maximum", a, b, _fmax, max, operator.or_)

    def minimum(self, a, b):
        return self._arith("minimum", a, b, _fmin, min, operator.and_)

    def _unary_float(self, op, x, fn):
        _float_arr(op, x)
        vals = list(map(fn, x.data))
        return RefArray(FIX[x.dtype](vals), x.shape, x.dtype)

    def neg(self, x):
        _arr("neg", x)
        _no_bool("neg", x.dtype)
        return RefArray(FIX[x.dtype](list(map(operator.neg, x.data))), x.shape, x.dtype)

    def exp(self, x):
        return self._unary_float("exp", x, _EXP)

    def log(self, x):
        return self._unary_float("log", x, _LOG)

    def log1p(self, x):
        return self._unary_float("log1p", x, _LOG1P)

    def expm1(self, x):
        return self._unary_float("expm1", x, _EXPM1)

    def sin(self, x):
        return self._unary_float("sin", x, _SIN)

    def cos(self, x):
        return self._unary_float("cos", x, _COS)

    def tanh(self, x):
        return self._unary_float("tanh", x, math.tanh)

    def sqrt(self, x):
        return self._unary_float("sqrt", x, _SQRT)

    def erf(self, x):
        return self._unary_float("erf", x, math.erf)

    def abs(self, x):
        _arr("abs", x)
        if x.dtype is bool_:
            return RefArray(list(x.data), x.shape, x.dtype)
        return RefArray(FIX[x.dtype](list(map(abs, x.data))), x.shape, x.dtype)

    def sign(self, x):
        _arr("sign", x)
        _no_bool("sign", x.dtype)
        if x.dtype.is_floating_point:
            return RefArray(list(map(_fsign, x.data)), x.shape, x.dtype)
        return RefArray([(v > 0) - (v < 0) for v in x.data], x.shape, x.dtype)

    def floor(self, x):
        _arr("floor", x)
        _no_bool("floor", x.dtype)
        if x.dtype.is_floating_point:
            return RefArray(list(map(_ffloor, x.data)), x.shape, x.dtype)
        return RefArray(list(x.data), x.shape, x.dtype)

    def isnan(self, x):
        _arr("isnan", x)
        if x.dtype.is_floating_point:
            return RefArray(list(map(math.isnan, x.data)), x.shape, bool_)
        return RefArray([False] * len(x.data), x.shape, bool_)

    def isinf(self, x):
        _arr("isinf", x)
        if x.dtype.is_floating_point:
            return RefArray(list(map(math.isinf, x.data)), x.shape, bool_)
        return RefArray([False] * len(x.data), x.shape, bool_)

    def where(self, cond, a, b):
        op = "where"
        _arr(op, cond, "cond")
        if cond.dtype is not bool_:
            raise _err(TypeError, op, f"cond must be a bool array, got dtype {cond.dtype.name} "
                       f"(shape {cond.shape})")
        ta, tb = isinstance(a, RefArray), isinstance(b, RefArray)
        if ta and tb and a.dtype is not b.dtype:
            raise _err(TypeError, op, f"dtypes differ: {a.dtype.name} {a.shape} and "
                       f"{b.dtype.name} {b.shape}")
        if ta or tb:
            dt = a.dtype if ta else b.dtype
        else:
            kinds = (type(a), type(b))
            dt = float64 if float in kinds else (bool_ if kinds == (bool, bool) else int64)
        shapes = [cond.shape] + [v.shape for v in (a, b) if isinstance(v, RefArray)]
        shape = _broadcast_shapes(op, *shapes)
        cs = _expand(cond, shape)
        xa = _expand(a, shape) if ta else repeat(_scalar(op, a, dt, True))
        xb = _expand(b, shape) if tb else repeat(_scalar(op, b, dt, True))
        return RefArray([x if c else y for c, x, y in zip(cs, xa, xb)], shape, dt)

    def _compare(self, op, a, b, fn):
        _, shape, xa, xb = _operands(op, a, b, arith=False)
        return RefArray(list(map(fn, xa, xb)), shape, bool_)

    def eq(self, a, b):
        return self._compare("eq", a, b, operator.eq)

    def ne(self, a, b):
        return self._compare("ne", a, b, operator.ne)

    def lt(self, a, b):
        return self._compare("lt", a, b, operator.lt)

    def le(self, a, b):
        return self._compare("le", a, b, operator.le)

    def gt(self, a, b):
        return self._compare("gt", a, b, operator.gt)

    def ge(self, a, b):
        return self._compare("ge", a, b, operator.ge)

    def logical_and(self, a, b):
        _, shape, xa, xb = _operands("logical_and", a, b, arith=False)
        return RefArray([bool(x) and bool(y) for x, y in zip(xa, xb)], shape, bool_)

    def logical_or(self, a, b):
        _, shape, xa, xb = _operands("logical_or", a, b, arith=False)
        return RefArray([bool(x) or bool(y) for x, y in zip(xa, xb)], shape, bool_)

    def logical_xor(self, a, b):
        _, shape, xa, xb = _operands("logical_xor", a, b, arith=False)
        return RefArray([bool(x) != bool(y) for x, y in zip(xa, xb)], shape, bool_)

    def logical_not(self, x):
        _arr("logical_not", x)
        return RefArray([not v for v in x.data], x.shape, bool_)

    def cast(self, x, dtype):
        _arr("cast", x)
        _check_dtype("cast", dtype)
        return RefArray(cast_list(x.data, x.dtype, dtype), x.shape, dtype)

    # ---- reductions -------------------------------------------------------------------
    def _groups(self, op, x, axes, keepdims):
        """(chunks of reduced values, one per output element; output shape)."""
        _arr(op, x)
        axes = _check_axes(op, axes, x.ndim)
        if not isinstance(keepdims, bool):
            raise _err(TypeError, op, f"keepdims must be a bool, got {_desc(keepdims)}")
        kept = [d for d in range(x.ndim) if d not in axes]
        red = sorted(axes)
        perm = kept + red
        data = x.data
        if perm != list(range(x.ndim)):
            st = strides_of(x.shape)
            data = [data[i] for i in offsets(0, [x.shape[p] for p in perm], [st[p] for p in perm])]
        r = math.prod(x.shape[d] for d in red)
        m = math.prod(x.shape[d] for d in kept)
        if r == 0:
            chunks = [[] for _ in range(m)]
        else:
            chunks = [data[i:i + r] for i in range(0, len(data), r)]
        if keepdims:
            shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
        else:
            shape = tuple(x.shape[d] for d in kept)
        return chunks, shape

    def sum(self, x, axes, keepdims):
        chunks, shape = self._groups("sum", x, axes, keepdims)
        if x.dtype.is_floating_point:
            return RefArray(FIX[x.dtype]([_fsum(c) for c in chunks]), shape, x.dtype)
        return RefArray(wrap64([sum(c) for c in chunks]), shape, int64)

    def prod(self, x, axes, keepdims):
        chunks, shape = self._groups("prod", x, axes, keepdims)
        if x.dtype.is_floating_point:
            return RefArray(FIX[x.dtype]([math.prod(c, start=1.0) for c in chunks]), shape,
                            x.dtype)
        return RefArray(wrap64([math.prod(c) for c in chunks]), shape, int64)

    def _extreme(self, op, x, axes, keepdims, pick):
        chunks, shape = self._groups(op, x, axes, keepdims)
        if chunks and not chunks[0]:
            raise _err(ValueError, op, f"zero-size reduction over axes {tuple(axes)} of an array "
                       f"of shape {x.shape}")
        if x.dtype.is_floating_point:
            vals = [_NAN if _has_nan(c) else pick(c) for c in chunks]
        else:
            vals = [pick(c) for c in chunks]
        return RefArray(vals, shape, x.dtype)

    def max(self, x, axes, keepdims):
        return self._extreme("max", x, axes, keepdims, max)

    def min(self, x, axes, keepdims):
        return self._extreme("min", x, axes, keepdims, min)

    def _arg(self, op, x, axis, keepdims, pick):
        _arr(op, x)
        if x.ndim == 0:
            raise _err(ValueError, op, "expected an array with at least one dimension, got a 0-d "
                       "array")
        axis = _check_axis(op, axis, x.ndim)
        chunks, shape = self._groups(op, x, (axis,), keepdims)
        if chunks and not chunks[0]:
            raise _err(ValueError, op, f"attempt to get {op} of an empty axis {axis} of shape "
                       f"{x.shape}")
        fl = x.dtype.is_floating_point
        out = []
        for c in chunks:
            if fl and _has_nan(c):
                out.append(next(i for i, v in enumerate(c) if v != v))
            else:
                out.append(c.index(pick(c)))
        return RefArray(out, shape, int64)

    def argmax(self, x, axis, keepdims):
        return self._arg("argmax", x, axis, keepdims, max)

    def argmin(self, x, axis, keepdims):
        return self._arg("argmin", x, axis, keepdims, min)

    def _along(self, op, x, axis):
        """Values with ``axis`` moved last (list of rows), plus the permutation used."""
        _arr(op, x)
        if x.ndim == 0:
            raise _err(ValueError, op, "expected an array with at least one dimension, got 0-d")
        axis = _check_axis(op, axis, x.ndim)
        perm = [d for d in range(x.ndim) if d != axis] + [axis]
        st = strides_of(x.shape)
        pshape = [x.shape[p] for p in perm]
        data = x.data if axis == x.ndim - 1 else [
            x.data[i] for i in offsets(0, pshape, [st[p] for p in perm])]
        n = x.shape[axis]
        rows = [data[i:i + n] for i in range(0, len(data), n)] if n else []
        return rows, perm, pshape

    @staticmethod
    def _unmove(flat, perm, pshape):
        """Inverse of the axis move done by :meth:`_along`."""
        if perm == list(range(len(perm))):
            return flat
        inv = [perm.index(d) for d in range(len(perm))]
        st = strides_of(pshape)
        return [flat[i] for i in offsets(0, [pshape[i] for i in inv], [st[i] for i in inv])]

    def cumsum(self, x, axis):
        rows, perm, pshape = self._along("cumsum", x, axis)
        dt = x.dtype
        if dt.is_floating_point:
            out_dt = dt
            if dt is float64:
                flat = [v for r in rows for v in accumulate(r)]
            else:
                f1 = FIX1[dt]
                flat = [v for r in rows for v in accumulate(r, lambda s, v: f1(s + v))]
        else:
            out_dt = int64
            flat = wrap64([int(v) for r in rows for v in accumulate(r)])
        return RefArray(self._unmove(flat, perm, pshape), x.shape, out_dt)

    def sort(self, x, axis, descending):
        rows, perm, pshape = self._along("sort", x, axis)
        fl = x.dtype.is_floating_point
        vals, idxs = [], []
        for r in rows:
            if fl and _has_nan(r):
                keyed = [(v != v, v) for v in r]
                order = sorted(range(len(r)), key=keyed.__getitem__, reverse=bool(descending))
            else:
                order = sorted(range(len(r)), key=r.__getitem__, reverse=bool(descending))
            idxs += order
            vals += [r[i] for i in order]
        return (RefArray(self._unmove(vals, perm, pshape), x.shape, x.dtype),
                RefArray(self._unmove(idxs, perm, pshape), x.shape, int64))

    # ---- movement ---------------------------------------------------------------------
    def reshape(self, x, shape):
        _arr("reshape", x)
        if not isinstance(shape, (tuple, list)) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= -1 for n in shape):
            raise _err(ValueError, "reshape", f"expected a shape (tuple of ints), got {shape!r}")
        shape = tuple(shape)
        if shape.count(-1) > 1:
            raise _err(ValueError, "reshape", f"can only infer one dimension, got {shape}")
        if -1 in shape:
            known = math.prod(n for n in shape if n != -1)
            if known == 0 or len(x.data) % known:
                raise _err(ValueError, "reshape", f"cannot reshape array of shape {x.shape} "
                           f"into shape {shape}")
            shape = tuple(len(x.data) // known if n == -1 else n for n in shape)
        if math.prod(shape) != len(x.data):
            raise _err(ValueError, "reshape", f"cannot reshape array of shape {x.shape} "
                       f"(size {len(x.data)}) into shape {shape}")
        return RefArray(x.data, shape, x.dtype)  # a view: shares storage, like numpy

    def permute(self, x, axes):
        _arr("permute", x)
        if not isinstance(axes, (tuple, list)) or sorted(axes) != list(range(x.ndim)):
            raise _err(ValueError, "permute", f"axes {axes!r} is not a permutation of "
                       f"range({x.ndim}) for shape {x.shape}")
        st = strides_of(x.shape)
        shape = tuple(x.shape[a] for a in axes)
        data = x.data
        return RefArray([data[i] for i in offsets(0, shape, [st[a] for a in axes])], shape,
                        x.dtype)

    def broadcast_to(self, x, shape):
        _arr("broadcast_to", x)
        shape = _check_shape("broadcast_to", shape)
        ok = x.ndim <= len(shape) and all(
            m == 1 or m == n for m, n in zip(x.shape, shape[len(shape) - x.ndim:]))
        if not ok:
            raise _err(ValueError, "broadcast_to", f"cannot broadcast shape {x.shape} to {shape}")
        return RefArray(list(_expand(x, shape)), shape, x.dtype)

    def copy(self, x):
        _arr("copy", x)
        return RefArray(list(x.data), x.shape, x.dtype)

    def _plan(self, op, x, index):
        """(output shape, flat offsets into x in output order) for ``x[index]``."""
        _arr(op, x)
        if not isinstance(index, tuple):
            index = (index,)
        items = []
        consumed = 0
        n_ell = 0
        has_adv = False
        for it in index:
            if it is None:
                items.append(("new", None))
            elif it is Ellipsis:
                n_ell += 1
                items.append(("ell", None))
            elif isinstance(it, slice):
                consumed += 1
                items.append(("slice", it))
            elif isinstance(it, RefArray):
                has_adv = True
                if it.dtype is bool_:
                    if it.ndim == 0:
                        raise _err(IndexError, op, "0-d bool index arrays are not supported")
                    consumed += it.ndim
                    items.append(("mask", it))
                elif it.dtype in (int64, int32):
                    consumed += 1
                    items.append(("arr", it))
                else:
                    raise _err(IndexError, op, f"index arrays must be int64 or bool, got dtype "
                               f"{it.dtype.name} (shape {it.shape})")
            elif isinstance(it, int) and not isinstance(it, bool):
                consumed += 1
                items.append(("int", it))
            else:
                raise _err(TypeError, op, "index entries must be int, slice, None, Ellipsis or "
                           f"reference-backend int64/bool arrays, got {_desc(it)}")
        if n_ell > 1:
            raise _err(IndexError, op, "an index can only have a single Ellipsis")
        if consumed > x.ndim:
            raise _err(IndexError, op, f"too many indices: {consumed} given for an array of "
                       f"shape {x.shape}")
        fill = [("slice", slice(None))] * (x.ndim - consumed)
        if n_ell:
            k = next(i for i, t in enumerate(items) if t[0] == "ell")
            # the Ellipsis stays as a marker: it separates advanced indices even when it
            # stands for no dimension (numpy's rule)
            items = items[:k] + [("sep", None)] + fill + items[k + 1:]
        else:
            items = items + fill
        # masks -> integer arrays (nonzero), ints -> 0-d arrays when indexing is advanced
        expanded = []
        d = 0
        for kind, it in items:
            if kind == "mask":
                dims = x.shape[d:d + it.ndim]
                if it.shape != dims:
                    raise _err(IndexError, op, f"bool index of shape {it.shape} does not match "
                               f"the indexed dimensions {dims} of shape {x.shape} at axis {d}")
                hits = [i for i, v in enumerate(it.data) if v]
                mst = strides_of(it.shape)
                for j in range(it.ndim):
                    col = [(h // mst[j]) % it.shape[j] for h in hits]
                    expanded.append(("arr", RefArray(col, (len(col),), int64)))
                d += it.ndim
                continue
            if kind == "int" and has_adv:
                expanded.append(("arr", RefArray([it], (), int64)))
            else:
                expanded.append((kind, it))
            if kind not in ("new", "sep"):
                d += 1
        items = expanded
        st = strides_of(x.shape)
        base = 0
        dims = []  # (sizes, per-dim offsets) or ("adv",) placeholder
        advs = []  # (array, source dim)
        adv_positions = []
        d = 0
        for pos, (kind, it) in enumerate(items):
            if kind == "new":
                dims.append(((1,), [0]))
            elif kind == "sep":
                pass
            elif kind == "slice":
                n = x.shape[d]
                start, stop, step = it.indices(n)
                r = range(start, stop, step)
                dims.append(((len(r),), [i * st[d] for i in r]))
                d += 1
            elif kind == "int":
                n = x.shape[d]
                if not -n <= it < n:
                    raise _err(IndexError, op, f"index {it} is out of bounds for axis {d} with "
                               f"size {n} (array shape {x.shape})")
                base += (it % n) * st[d]
                d += 1
            else:  # "arr"
                if not advs:
                    dims.append(("adv",))
                advs.append((it, d))
                adv_positions.append(pos)
                d += 1
        if advs:
            try:
                bshape = _broadcast_shapes(op, *[a.shape for a, _ in advs])
            except ValueError:
                raise _err(IndexError, op, "shape mismatch: index arrays could not be broadcast "
                           f"together with shapes {[a.shape for a, _ in advs]}") from None
            nb = math.prod(bshape)
            off = [0] * nb
            for a, dd in advs:
                n = x.shape[dd]
                if a.data and (min(a.data) < -n or max(a.data) >= n):
                    bad = next(v for v in a.data if not -n <= v < n)
                    raise _err(IndexError, op, f"index {bad} is out of bounds for axis {dd} with "
                               f"size {n} (array shape {x.shape})")
                s = st[dd]
                off = [o + (v % n) * s for o, v in zip(off, _expand(a, bshape))]
            adv_entry = (bshape, off)
            if adv_positions[-1] - adv_positions[0] != len(adv_positions) - 1:
                # separated advanced indices: the broadcast dims go first (numpy's rule)
                dims = [adv_entry] + [e for e in dims if e[0] != "adv"]
            else:
                dims = [adv_entry if e[0] == "adv" else e for e in dims]
        shape = tuple(n for sizes, _ in dims for n in sizes)
        return shape, expand_offsets(base, [ks for _, ks in dims])

    def getitem(self, x, index):
        shape, offs = self._plan("getitem", x, index)
        data = x.data
        return RefArray([data[i] for i in offs], shape, x.dtype)

    def _values_for(self, op, x, shape, values):
        if isinstance(values, RefArray):
            if values.dtype is not x.dtype:
                raise _err(TypeError, op, f"values dtype {values.dtype.name} does not match the "
                           f"array's dtype {x.dtype.name}")
            return _broadcast_to(op, values, shape, "values")
        return [_scalar(op, values, x.dtype, True)] * math.prod(shape)

    def index_add(self, x, index, values):
        shape, offs = self._plan("index_add", x, index)
        vals = self._values_for("index_add", x, shape, values)
        out = list(x.data)
        if x.dtype is bool_:
            for p, v in zip(offs, vals):
                out[p] = out[p] or v
            return RefArray(out, x.shape, x.dtype)
        for p, v in zip(offs, vals):
            out[p] += v
        return RefArray(FIX[x.dtype](out), x.shape, x.dtype)

    def index_put(self, x, index, values):
        shape, offs = self._plan("index_put", x, index)
        vals = self._values_for("index_put", x, shape, values)
        out = list(x.data)
        for p, v in zip(offs, vals):
            out[p] = v
        return RefArray(out, x.shape, x.dtype)

    def _along_index(self, op, x, indices, axis, grid):
        _arr(op, x)
        _arr(op, indices, "indices")
        if indices.dtype not in (int64, int32):
            raise _err(IndexError, op, f"indices must be an int64 array, got dtype "
                       f"{indices.dtype.name}")
        if indices.ndim != x.ndim:
            raise _err(ValueError, op, f"indices (shape {indices.shape}) and x (shape {x.shape}) "
                       "must have the same number of dimensions")
        axis = _check_axis(op, axis, x.ndim)
        nd = x.ndim
        index = []
        for d in range(nd):
            if d == axis:
                index.append(indices)
            else:
                n = grid[d]
                index.append(RefArray(list(range(n)), (1,) * d + (n,) + (1,) * (nd - d - 1),
                                      int64))
        return tuple(index)

    def take_along_axis(self, x, indices, axis):
        index = self._along_index("take_along_axis", x, indices, axis, getattr(x, "shape", ()))
        return self.getitem(x, index)

    def put_along_axis_add(self, x, indices, values, axis):
        op = "put_along_axis_add"
        index = self._along_index(op, x, indices, axis, getattr(indices, "shape", ()))
        shape, offs = self._plan(op, x, index)
        vals = self._values_for(op, x, shape, values)
        out = list(x.data)
        if x.dtype is bool_:
            for p, v in zip(offs, vals):
                out[p] = out[p] or v
            return RefArray(out, x.shape, x.dtype)
        for p, v in zip(offs, vals):
            out[p] += v
        return RefArray(FIX[x.dtype](out), x.shape, x.dtype)

    def concatenate(self, xs, axis):
        op = "concatenate"
        if not isinstance(xs, (list, tuple)) or not xs:
            raise _err(ValueError, op, f"expected a non-empty sequence of arrays, got {_desc(xs)}")
        for i, a in enumerate(xs):
            _arr(op, a, f"xs[{i}]")
        first = xs[0]
        if first.ndim == 0:
            raise _err(ValueError, op, "zero-dimensional arrays cannot be concatenated")
        axis = _check_axis(op, axis, first.ndim)
        for a in xs[1:]:
            if a.dtype is not first.dtype:
                raise _err(TypeError, op, "dtypes differ: " + ", ".join(v.dtype.name for v in xs))
            if a.ndim != first.ndim or any(
                    m != n for d, (m, n) in enumerate(zip(a.shape, first.shape)) if d != axis):
                raise _err(ValueError, op, f"shapes {[v.shape for v in xs]} differ outside axis "
                           f"{axis}")
        outer = math.prod(first.shape[:axis])
        inner = math.prod(first.shape[axis + 1:])
        parts = [(a.data, a.shape[axis] * inner) for a in xs]
        out = []
        for o in range(outer):
            for data, c in parts:
                out += data[o * c:(o + 1) * c]
        shape = list(first.shape)
        shape[axis] = sum(a.shape[axis] for a in xs)
        return RefArray(out, tuple(shape), first.dtype)

    def pad(self, x, widths, value):
        op = "pad"
        _arr(op, x)
        ok = isinstance(widths, (tuple, list)) and len(widths) == x.ndim and all(
            isinstance(w, (tuple, list)) and len(w) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in w)
            for w in widths)
        if not ok:
            raise _err(ValueError, op, f"widths must be {x.ndim} pairs of non-negative ints "
                       f"(before, after) for shape {x.shape}, got {widths!r}")
        fill = _fill_value(op, value, x.dtype)
        shape = tuple(n + b + a for n, (b, a) in zip(x.shape, widths))
        out = [fill] * math.prod(shape)
        ost = strides_of(shape)
        base = sum(b * s for (b, _), s in zip(widths, ost))
        for p, v in zip(offsets(base, x.shape, ost), x.data):
            out[p] = v
        return RefArray(out, shape, x.dtype)

    def sliding_window(self, x, window, strides, dilation):
        op = "sliding_window"
        _arr(op, x)
        k = len(window) if isinstance(window, (tuple, list)) else -1
        ok = (0 < k <= x.ndim and isinstance(strides, (tuple, list))
              and isinstance(dilation, (tuple, list)) and len(strides) == k == len(dilation)
              and all(isinstance(v, int) and v > 0 for v in (*window, *strides, *dilation)))
        if not ok:
            raise _err(ValueError, op, f"window {window!r}, strides {strides!r}, dilation "
                       f"{dilation!r} must be equal-length tuples of positive ints, at most "
                       f"x.ndim={x.ndim} long (x shape {x.shape})")
        lead = x.ndim - k
        st = strides_of(x.shape)
        outs = []
        for i in range(k):
            n, w, s, dl = x.shape[lead + i], window[i], strides[i], dilation[i]
            span = dl * (w - 1) + 1
            if span > n:
                raise _err(ValueError, op, f"window span {span} (window {w}, dilation {dl}) is "
                           f"larger than axis {lead + i} of size {n} (x shape {x.shape})")
            outs.append((n - span) // s + 1)
        shape = tuple(x.shape[:lead]) + tuple(outs) + tuple(window)
        ostr = (st[:lead] + [s * st[lead + i] for i, s in enumerate(strides)]
                + [dl * st[lead + i] for i, dl in enumerate(dilation)])
        data = x.data
        return RefArray([data[i] for i in offsets(0, shape, ostr)], shape, x.dtype)

    # ---- linear algebra ---------------------------------------------------------------
    def matmul(self, a, b):
        op = "matmul"
        _arr(op, a, "a")
        _arr(op, b, "b")
        if a.dtype is not b.dtype:
            raise _err(TypeError, op, f"dtypes differ: {a.dtype.name} {a.shape} and "
                       f"{b.dtype.name} {b.shape}")
        if a.ndim == 0 or b.ndim == 0:
            raise _err(ValueError, op, f"operands must be at least 1-d, got shapes {a.shape} and "
                       f"{b.shape}")
        ash = (1,) + a.shape if a.ndim == 1 else a.shape
        bsh = b.shape + (1,) if b.ndim == 1 else b.shape
        m, k = ash[-2:]
        k2, n = bsh[-2:]
        if k != k2:
            raise _err(ValueError, op, f"contraction dimensions differ: shapes {a.shape} and "
                       f"{b.shape} ({k} != {k2})")
        batch = _broadcast_shapes(op, ash[:-2], bsh[:-2])

        def batch_offsets(sh):
            bs = sh[:-2]
            st = strides_of(bs)
            size = sh[-2] * sh[-1]
            lead = len(batch) - len(bs)
            strides = [0] * lead + [0 if q == 1 else s * size for q, s in zip(bs, st)]
            return offsets(0, batch, strides)

        ad, bd = a.data, b.data
        dt = a.dtype
        if dt.is_floating_point:
            def dot(r, c):
                return _fsum(list(map(operator.mul, r, c)))
        elif dt is bool_:
            def dot(r, c):
                return any(map(operator.and_, r, c))
        else:
            def dot(r, c):
                return sum(map(operator.mul, r, c))
        out = []
        for oa, ob in zip(batch_offsets(ash), batch_offsets(bsh)):
            rows = [ad[oa + i * k:oa + (i + 1) * k] for i in range(m)]
            cols = list(zip(*[bd[ob + j * n:ob + (j + 1) * n] for j in range(k)])) if k else \
                [()] * n
            out += [dot(r, c) for r in rows for c in cols]
        shape = batch + ((m,) if a.ndim > 1 else ()) + ((n,) if b.ndim > 1 else ())
        return RefArray(FIX[dt](out), shape, dt)

    # ---- in-place support -------------------------------------------------------------
    def assign(self, dst, src):
        op = "assign"
        _arr(op, dst, "dst")
        if isinstance(src, RefArray):
            if src.dtype is not dst.dtype:
                raise _err(TypeError, op, f"src dtype {src.dtype.name} does not match dst dtype "
                           f"{dst.dtype.name}")
            vals = _broadcast_to(op, src, dst.shape, "src")
        else:
            vals = [_scalar(op, src, dst.dtype, True)] * len(dst.data)
        dst.data[:] = vals
        return dst
