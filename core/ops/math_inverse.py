"""Inverse hyperbolic and error functions, and ``logit``, as decompositions into the
primitives: asinh, acosh, atanh, erfc, erfinv, logit.

Each formula is chosen for float64 accuracy over the whole domain: the odd functions work on
``|x|`` (written with ``where`` so the gradient at 0 is the derivative, not ``abs``'s 0) and
keep the sign of zero; ``erfc`` switches from ``1 - erf`` to a continued fraction where the
subtraction would cancel; ``erfinv`` refines a closed-form guess by Halley steps on ``erf``
(``erfc`` near 1). Gradients come from the decompositions.
"""
from __future__ import annotations

import math

from ..dtypes import float16, float32
from ..tensor import Tensor
from . import elementwise as E
from .special import _floating

__all__ = ["asinh", "acosh", "atanh", "erfc", "erfinv", "logit"]

_LN2 = math.log(2.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_CF_FROM = 2.0  # erfc: 1 - erf(x) below (relative error < 3e-14), continued fraction above
_CF_TERMS = 60
_HALLEY_STEPS = 3


def _odd(a: Tensor, f, slope_at_0: float) -> Tensor:
    """``sign(a) * f(|a|)`` for an odd ``f`` with ``f'(0) = slope_at_0``, keeping ``-0.0``."""
    pos = a >= 0
    y = f(E.where(pos, a, -a))
    r = E.where(pos, y, -y)
    return E.where(a == 0, a * slope_at_0, r)


def _asinh_abs(y: Tensor) -> Tensor:
    small = y < 1.0
    s = E.where(small, y, 0.0)
    big = E.where(small, 1.0, y)
    # log1p(y + y^2 / (1 + sqrt(1 + y^2))) below 1; log(y) + log(1 + sqrt(1 + 1/y^2)) above
    # (no overflow of y^2)
    near = E.log1p(s + s * s / (1.0 + E.sqrt(1.0 + s * s)))
    r = 1.0 / big  # squared after the division: a finite gradient at inf
    far = E.log(big) + E.log(1.0 + E.sqrt(1.0 + r * r))
    return E.where(small, near, far)


def asinh(a: Tensor) -> Tensor:
    """Inverse hyperbolic sine elementwise (accurate near 0 and for huge inputs)."""
    return _odd(_floating(a, "asinh"), _asinh_abs, 1.0)


def acosh(a: Tensor) -> Tensor:
    """Inverse hyperbolic cosine elementwise (NaN below 1; accurate near 1)."""
    a = _floating(a, "acosh")
    near_one = a < 2.0
    t = E.where(near_one, a, 2.0) - 1.0
    big = E.where(near_one, 2.0, a)
    # sqrt(t) * sqrt(t + 2), not sqrt(t * (t + 2)): the gradient at 1 is inf, not inf * 0
    near = E.log1p(t + E.sqrt(t) * E.sqrt(t + 2.0))
    r = 1.0 / big
    far = E.log(big) + E.log(1.0 + E.sqrt(1.0 - r * r))
    return E.where(near_one, near, far)


def atanh(a: Tensor) -> Tensor:
    """Inverse hyperbolic tangent elementwise (``+-inf`` at ``+-1``, NaN outside)."""
    return _odd(_floating(a, "atanh"), lambda y: E.log1p(2.0 * y / (1.0 - y)) * 0.5, 1.0)


def _widen(a: Tensor) -> tuple[Tensor, bool]:
    return (a.to(float32), True) if a.dtype is float16 else (a, False)


def _erfc_cf(x: Tensor) -> Tensor:
    """``erfc(x)`` for ``x >= 2`` by its continued fraction, evaluated from the tail."""
    t = (_CF_TERMS * 0.5) / x
    for k in range(_CF_TERMS - 1, 0, -1):
        t = (k * 0.5) / (x + t)
    return _exp_neg_square(x) * (1.0 / math.sqrt(math.pi)) / (x + t)


def _exp_neg_square(x: Tensor) -> Tensor:
    """``exp(-x^2)`` without the rounding of ``x * x`` (amplified by up to ``x^2`` in the
    tail): ``x = hi + lo`` with ``hi`` a multiple of 1/16, so ``hi^2`` is exact."""
    hi = E.floor(x * 16.0) * 0.0625
    lo = x - hi
    return E.exp(-(hi * hi)) * E.exp(-((hi * 2.0 + lo) * lo))


def _erfc(x: Tensor) -> Tensor:
    low = x < _CF_FROM
    tail = E.where(low, _CF_FROM, E.where(x > 30.0, 30.0, x))  # erfc(30) is 0 in float64
    return E.where(low, 1.0 - E.erf(E.where(low, x, 0.0)), _erfc_cf(tail))


def erfc(a: Tensor) -> Tensor:
    """Complementary error function ``1 - erf(input)`` elementwise, accurate in the tail."""
    x, wide = _widen(_floating(a, "erfc"))
    r = _erfc(x)
    return r.to(float16) if wide else r


def _erfinv_guess(z: Tensor) -> Tensor:
    # a closed-form approximation (relative error ~2e-3) of erfinv on [0, 1)
    c = 0.147
    lg = E.log1p(-z) + E.log1p(z)
    b = 2.0 / (math.pi * c) + lg * 0.5
    return E.sqrt(E.sqrt(b * b - lg / c) - b)


def _erfinv_abs(z: Tensor) -> Tensor:
    inside = z < 1.0
    zs = E.where(inside, z, 0.5)
    tail = zs > 0.5
    t = _erfinv_guess(zs.detach())
    one_minus = 1.0 - zs  # exact for zs in [0.5, 1]
    for _ in range(_HALLEY_STEPS):
        f = E.where(tail, one_minus - _erfc(t), E.erf(t) - zs)
        d = f / (E.exp(-(t * t)) * _TWO_OVER_SQRT_PI)
        t = t - d / (1.0 + t * d)
    zero = zs * 0.0  # the edge values without a gradient path through z (0 * inf is NaN)
    edge = E.where(z == 1.0, zero + math.inf, zero + math.nan)  # inf at 1, NaN beyond
    return E.where(inside, t, edge)


def erfinv(a: Tensor) -> Tensor:
    """Inverse error function elementwise on ``[-1, 1]`` (``+-inf`` at ``+-1``, NaN outside)."""
    x, wide = _widen(_floating(a, "erfinv"))
    r = _odd(x, _erfinv_abs, math.sqrt(math.pi) * 0.5)
    return r.to(float16) if wide else r


def logit(a: Tensor, eps: float | None = None) -> Tensor:
    """``log(p / (1 - p))`` elementwise; with ``eps``, ``p`` clamped to ``[eps, 1 - eps]``
    first (gradient zero outside)."""
    a = _floating(a, "logit")
    if eps is not None:
        a = E.clamp(a, float(eps), 1.0 - float(eps))
    return E.log(a / (1.0 - a))
