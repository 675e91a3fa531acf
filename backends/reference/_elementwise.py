"""The reference backend's elementwise primitives: arithmetic, unary math, comparisons,
logic, where and cast."""
from __future__ import annotations

import math
import operator
from itertools import repeat

from xgrad.dtypes import bool_, float64, int64

from ._array import (
    FIX,
    RefArray,
    cast_list,
)
from ._checks import (
    _arr,
    _broadcast_shapes,
    _check_dtype,
    _err,
    _expand,
    _float_arr,
    _no_bool,
    _operands,
    _scalar,
)
from ._scalar_math import (
    _COS,
    _EXP,
    _EXPM1,
    _LOG,
    _LOG1P,
    _SIN,
    _SQRT,
    _fdiv,
    _ffloor,
    _ffloordiv,
    _fmax,
    _fmin,
    _fmod,
    _fpow,
    _fsign,
    _ifloordiv,
    _imod,
)


class ElementwiseOps:
    """The reference backend's elementwise primitives: arithmetic, unary math, comparisons,"""

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
