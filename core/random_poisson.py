"""``xgrad.poisson``: Poisson draws from the backend's uniform generator.

Rates below 10 are drawn by inversion (the smallest ``k`` whose cumulative probability
reaches a uniform draw, all elements stepping ``k`` together); larger rates by Hörmann's
transformed rejection with squeeze (PTRS, 1993), repeated for the elements not yet accepted.
The draws are computed in float64 where the backend has it and carry no gradient."""
from __future__ import annotations

import math
from typing import Any

from .autograd.grad_mode import no_grad
from .dtypes import float32, float64
from .ops.special import lgamma
from .random import _gen, _uniform01
from .tensor import Tensor

__all__ = ["poisson"]

_INVERSION_BELOW = 10.0
_MAX_INVERSION_STEPS = 200  # P(k > 200) for a rate below 10 is far below float64's resolution


def _inversion(rate: Tensor, u: Tensor) -> Tensor:
    p = (-rate).exp()
    cdf = p
    k = rate * 0.0
    for i in range(1, _MAX_INVERSION_STEPS + 1):
        active = u > cdf
        if not bool(active.any()):
            break
        k = k + active.to(k.dtype)
        p = p * rate / float(i)
        cdf = cdf + p
    return k


def _ptrs(rate: Tensor, draw: Any) -> Tensor:
    """Hörmann's PTRS for rates >= 10: draw until every element is accepted."""
    b = 0.931 + 2.53 * rate.sqrt()
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    vr = 0.9277 - 3.6224 / (b - 2.0)
    log_rate = rate.log()
    out = rate * 0.0
    pending = rate == rate  # every element
    while bool(pending.any()):
        u = draw() - 0.5
        v = draw()
        us = 0.5 - u.abs()
        k = ((2.0 * a / us + b) * u + rate + 0.43).floor()
        quick = (us >= 0.07) & (v <= vr)
        bad = (k < 0) | ((us < 0.013) & (v > us))
        lhs = v.log() + inv_alpha.log() - (a / (us * us) + b).log()
        rhs = -rate + k * log_rate - lgamma(k.clamp(min=0.0) + 1.0)
        accept = pending & (quick | (~bad & (lhs <= rhs)))
        out = accept.to(out.dtype) * k + (~accept).to(out.dtype) * out
        pending = pending & ~accept
    return out


def poisson(input: Tensor, generator: Any = None) -> Tensor:  # noqa: A002 - PyTorch's name
    """A draw from the Poisson distribution of rate ``input`` (elementwise), in ``input``'s
    dtype; the rates must be non-negative."""
    if not isinstance(input, Tensor):
        raise TypeError(f"poisson(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not input.dtype.is_floating_point:
        names = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                 "uint8": "Byte", "bool": "Bool"}
        raise NotImplementedError(f'"poisson_cpu" not implemented for '
                                  f"'{names.get(input.dtype.name, input.dtype.name)}'")
    gen = _gen(generator, "poisson")
    be = input._backend
    wide = float64 if float64 in be.dtypes else float32
    with no_grad():
        rate = input.detach().to(wide)
        if rate.numel() and not bool((rate >= 0).all()):
            raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
        shape = rate._data.shape

        def draw() -> Tensor:
            return _uniform01(be, shape, wide, gen)

        small = rate < _INVERSION_BELOW
        out = _inversion(rate.where(small, 0.0), draw())
        if bool((~small).any()):
            finite = rate.where(~small, _INVERSION_BELOW).where(rate < math.inf, _INVERSION_BELOW)
            big = _ptrs(finite, draw)
            out = out.where(small, big.where(rate < math.inf, math.inf))
        return out.to(input.dtype)
