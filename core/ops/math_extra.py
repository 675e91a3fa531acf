"""Elementwise math written as decompositions into the primitives: log10, log2, exp2, tan,
sinh, cosh, atan, asin, acos (through atan2), ceil, trunc, round (half to even, with
``decimals``). Their gradients come from
the decomposition (zero for the rounding ops, as PyTorch)."""
from __future__ import annotations

import math

from ..tensor import Tensor
from . import elementwise as E

__all__ = ["log10", "log2", "exp2", "tan", "sinh", "cosh", "ceil", "trunc", "round", "atan",
           "asin", "acos"]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


def log10(a: Tensor) -> Tensor:
    """Base-10 logarithm elementwise (``-inf`` at 0, NaN below)."""
    return E.log(a) * (1.0 / _LN10)


def log2(a: Tensor) -> Tensor:
    """Base-2 logarithm elementwise (``-inf`` at 0, NaN below)."""
    return E.log(a) * (1.0 / _LN2)


def exp2(a: Tensor) -> Tensor:
    """``2 ** input`` elementwise (integers promote to the default float dtype)."""
    return E.exp(a * _LN2)


def tan(a: Tensor) -> Tensor:
    """Tangent elementwise (radians)."""
    return E.sin(a) / E.cos(a)


def sinh(a: Tensor) -> Tensor:
    """Hyperbolic sine elementwise (through ``expm1``, accurate near 0)."""
    return (E.expm1(a) - E.expm1(-a)) * 0.5


def cosh(a: Tensor) -> Tensor:
    """Hyperbolic cosine elementwise."""
    return (E.exp(a) + E.exp(-a)) * 0.5


def atan(a: Tensor) -> Tensor:
    """Arctangent elementwise, in ``(-pi/2, pi/2)``."""
    return E.atan2(a, 1.0)


def _cos_of_asin(a: Tensor) -> Tensor:
    # sqrt(1 - a^2), NaN for |a| > 1; written as 1 - a*a (not (1 - a)(1 + a)) so that the
    # gradient at |a| = 1 is inf, as PyTorch's, rather than inf * 0
    return E.sqrt(1.0 - a * a)


def asin(a: Tensor) -> Tensor:
    """Arcsine elementwise, in ``[-pi/2, pi/2]`` (NaN outside ``[-1, 1]``)."""
    return E.atan2(a, _cos_of_asin(a))


def acos(a: Tensor) -> Tensor:
    """Arccosine elementwise, in ``[0, pi]`` (NaN outside ``[-1, 1]``)."""
    # the half-angle form 2 atan2(sqrt(1 - a), sqrt(1 + a)) keeps full precision near +-1
    return E.atan2(E.sqrt(1.0 - a), E.sqrt(1.0 + a)) * 2.0


def _integral(a: Tensor) -> bool:
    return not a.dtype.is_floating_point


def ceil(a: Tensor) -> Tensor:
    """Smallest integer value not below each element (gradient zero)."""
    if _integral(a):
        return a.clone()
    return -E.floor(-a)


def trunc(a: Tensor) -> Tensor:
    """Each element rounded toward zero (gradient zero)."""
    if _integral(a):
        return a.clone()
    return E.where(a >= 0, E.floor(a), -E.floor(-a))


def _round_half_even(a: Tensor) -> Tensor:
    f = E.floor(a)
    frac = a - f
    even = (f - E.floor(f * 0.5) * 2.0) == 0
    up = f + 1.0
    r = E.where(frac > 0.5, up, E.where(frac < 0.5, f, E.where(even, f, up)))
    return E.where(r == 0, a * 0.0, r)  # -0.4 rounds to -0.0, as PyTorch


def round(a: Tensor, *, decimals: int = 0) -> Tensor:  # noqa: A001 - PyTorch's name
    """Each element rounded to the nearest integer, ties to even; with ``decimals``, to that
    many decimal places (negative: to tens, hundreds, ...). Gradient zero."""
    if _integral(a):
        if decimals:
            name = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                    "uint8": "Byte", "bool": "Bool"}.get(str(a.dtype).split(".")[-1], "Long")
            raise NotImplementedError(f'"round_cpu" not implemented for \'{name}\'')
        return a.clone()
    if decimals == 0:
        return _round_half_even(a)
    scale = 10.0 ** decimals
    return _round_half_even(a * scale) / scale
