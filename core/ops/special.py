"""Special functions as decompositions into elementwise ops: lgamma, digamma.

Both are written with differentiable Tensor ops, so their gradients (digamma and trigamma)
come from the decomposition on every backend. ``lgamma`` uses a Lanczos approximation
(g = 7, nine terms) and the reflection formula below 0.5; ``digamma`` shifts its argument
above 6 by the recurrence ``psi(x) = psi(x + 1) - 1 / x`` and sums the asymptotic series,
with the reflection formula below 0.5. Both are accurate to about 1e-13 in float64.
"""
from __future__ import annotations

import math

from ..dtypes import float16, float32, get_default_dtype
from ..tensor import Tensor
from .elementwise import where

__all__ = ["lgamma", "digamma"]

_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313,
            -176.61502916214059, 12.507343278686905, -0.13857109526572012,
            9.9843695780195716e-6, 1.5056327351493116e-7)
# asymptotic series of digamma: sum_k B_2k / (2k y^2k)
_DIGAMMA_SERIES = (-1.0 / 12, 1.0 / 120, -1.0 / 252, 1.0 / 240, -1.0 / 132, 691.0 / 32760)


def _floating(a: Tensor, fn: str) -> Tensor:
    if not isinstance(a, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(a).__name__}")
    return a if a.dtype.is_floating_point else a.to(get_default_dtype())


def _widen(x: Tensor) -> Tensor:
    """float16 is computed in float32 (the alternating Lanczos sum loses half's few digits)."""
    return x.to(float32) if x.dtype is float16 else x


def _lgamma_right(x: Tensor) -> Tensor:
    """log|Gamma(x)| for x >= 0.5 (Lanczos)."""
    z = x - 1.0
    s = z * 0.0 + _LANCZOS[0]
    for k, c in enumerate(_LANCZOS[1:], start=1):
        s = s + c / (z + float(k))
    base = z + (_LANCZOS_G + 0.5)
    return (0.5 * math.log(2 * math.pi)) + (z + 0.5) * base.log() - base + s.log()


def lgamma(a: Tensor) -> Tensor:
    """Natural logarithm of the absolute value of the gamma function, elementwise
    (``inf`` at 0 and the negative integers)."""
    x0 = _floating(a, "lgamma")
    x = _widen(x0)
    small = x < 0.5
    right = _lgamma_right(where(small, 1.0 - x, x))
    xs = where(small, x, 0.25)  # keeps the unused branch finite, so its zero gradient stays 0
    left = math.log(math.pi) - (xs * math.pi).sin().abs().log() - right
    pole = (x <= 0) & (x == x.floor())
    out = where(pole | (x == math.inf), math.inf, where(small, left, right))
    exact = out - out.detach()  # 0 at 1 and 2 (PyTorch's exact zeros), keeping the gradient
    return where((x == 1.0) | (x == 2.0), exact, out).to(x0.dtype)


def _digamma_right(x: Tensor) -> Tensor:
    """psi(x) for x >= 0.5."""
    shift = x * 0.0
    for k in range(6):
        shift = shift + 1.0 / (x + float(k))
    y = x + 6.0
    inv2 = 1.0 / (y * y)
    series = inv2 * 0.0
    for c in reversed(_DIGAMMA_SERIES):
        series = (series + c) * inv2
    return y.log() - 0.5 / y + series - shift


def digamma(a: Tensor) -> Tensor:
    """The logarithmic derivative of the gamma function, elementwise (``-inf`` at 0)."""
    x0 = _floating(a, "digamma")
    x = _widen(x0)
    small = x < 0.5
    right = _digamma_right(where(small, 1.0 - x, x))
    xs = where(small, x, 0.25)
    t = (xs * math.pi).sin() / (xs * math.pi).cos()
    left = right - math.pi / t
    out = where(x == math.inf, math.inf, where(small, left, right))
    pole = (x < 0) & (x == x.floor())  # the negative integers (and -inf): NaN, as PyTorch
    return where(pole, math.nan, out).to(x0.dtype)
