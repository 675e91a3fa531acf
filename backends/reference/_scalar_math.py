"""Scalar math with numpy's IEEE results (inf, nan, signed zeros) where Python's math
module would raise."""
from __future__ import annotations

import math

_INF = math.inf
_NAN = math.nan


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
