"""Univariate continuous distributions: Normal, Uniform, Gamma, Beta, and the Dirichlet."""
from __future__ import annotations

import math
import numbers
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import arange
from ..ops.elementwise import where
from ..ops.shape import stack
from ..ops.special import digamma, lgamma
from ..random import rand, randn
from ..tensor import Size, Tensor
from . import constraints
from ._gamma_grad import regularized_gamma_p, rsample_standard_gamma
from ._sampling import standard_gamma
from .distribution import Distribution, broadcast_all

__all__ = ["Normal", "Uniform", "Gamma", "Beta", "Dirichlet"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _batch(*params: Any) -> Size:
    if all(isinstance(p, numbers.Number) for p in params):
        return Size(())
    return None  # type: ignore[return-value]


def _xlogy(x: Tensor, y: Tensor) -> Tensor:
    """``x * log(y)``, 0 where ``x == 0`` (also at ``y == 0``)."""
    zero = x == 0
    return where(zero, 0.0, x * where(zero, 1.0, y).log())


def _tiny(t: Tensor) -> float:
    return 1.1754943508222875e-38 if t.dtype.itemsize == 4 else 2.2250738585072014e-308


def _eps(t: Tensor) -> float:
    return 1.1920928955078125e-07 if t.dtype.itemsize == 4 else 2.220446049250313e-16


class Normal(Distribution):
    """The normal distribution with mean ``loc`` and standard deviation ``scale``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real
    has_rsample = True

    def __init__(self, loc: Any, scale: Any, validate_args: bool | None = None):
        self.loc, self.scale = broadcast_all(loc, scale)
        batch = _batch(loc, scale)
        super().__init__(self.loc.shape if batch is None else batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Normal:
        new = self._get_checked_instance(Normal, _instance)
        shape = Size(tuple(batch_shape))
        new.loc, new.scale = self.loc.expand(shape), self.scale.expand(shape)
        Distribution.__init__(new, shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = randn(tuple(shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.variance) - self.scale.log() - _HALF_LOG_2PI

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return 0.5 * (1 + ((value - self.loc) / (self.scale * math.sqrt(2))).erf())

    def icdf(self, value: Tensor) -> Tensor:
        return self.loc + self.scale * _erfinv(2 * value - 1) * math.sqrt(2)

    def entropy(self) -> Tensor:
        return 0.5 + _HALF_LOG_2PI + self.scale.log()


def _erfinv(y: Tensor) -> Tensor:
    """Inverse error function: a rational first guess (detached) refined by Newton steps on
    ``erf``, so the value is accurate and the gradient is ``1 / erf'(x)``."""
    with no_grad():
        yd = y.detach()
        w = ((1 - yd) * (1 + yd)).clamp(min=1e-300).log()
        x = yd.sign() * (((2 / (math.pi * 0.147) + w / 2) ** 2 - w / 0.147).sqrt()
                         - (2 / (math.pi * 0.147) + w / 2)).clamp(min=0).sqrt()
        for _ in range(3):
            x = x - (x.erf() - yd) / (2 / math.sqrt(math.pi) * (-x * x).exp())
    x = x.detach()
    return x - (x.erf() - y) / (2 / math.sqrt(math.pi) * (-x * x).exp())


class Uniform(Distribution):
    """The uniform distribution on the half-open interval ``[low, high)``."""

    has_rsample = True

    @property
    def arg_constraints(self) -> dict[str, constraints.Constraint]:
        return {"low": constraints.less_than(self.high),
                "high": constraints.greater_than(self.low)}

    def __init__(self, low: Any, high: Any, validate_args: bool | None = None):
        self.low, self.high = broadcast_all(low, high)
        batch = _batch(low, high)
        super().__init__(self.low.shape if batch is None else batch, validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Uniform:
        new = self._get_checked_instance(Uniform, _instance)
        shape = Size(tuple(batch_shape))
        new.low, new.high = self.low.expand(shape), self.high.expand(shape)
        Distribution.__init__(new, shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.interval(self.low, self.high)

    @property
    def mean(self) -> Tensor:
        return (self.high + self.low) / 2

    @property
    def mode(self) -> Tensor:
        return self.high * math.nan

    @property
    def stddev(self) -> Tensor:
        return (self.high - self.low) / 12 ** 0.5

    @property
    def variance(self) -> Tensor:
        return (self.high - self.low) ** 2 / 12

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = rand(tuple(shape), dtype=self.low.dtype, device=self.low.device)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        inside = ((self.low <= value) & (self.high > value)).to(self.low.dtype)
        return inside.log() - (self.high - self.low).log()

    def cdf(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(min=0, max=1)

    def icdf(self, value: Tensor) -> Tensor:
        return value * (self.high - self.low) + self.low

    def entropy(self) -> Tensor:
        return (self.high - self.low).log()


class Gamma(Distribution):
    """The gamma distribution with shape ``concentration`` and ``rate`` (inverse scale).

    ``sample`` uses Marsaglia and Tsang's method. ``rsample`` is reparameterised: exactly in
    ``rate`` (``x = g / rate``) and implicitly in ``concentration`` through the gamma CDF,
    as PyTorch, with the CDF's derivative taken by a central difference (see
    ``xgrad.distributions._gamma_grad``).
    """

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative
    has_rsample = True

    def __init__(self, concentration: Any, rate: Any, validate_args: bool | None = None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        batch = _batch(concentration, rate)
        super().__init__(self.concentration.shape if batch is None else batch,
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Gamma:
        new = self._get_checked_instance(Gamma, _instance)
        shape = Size(tuple(batch_shape))
        new.concentration = self.concentration.expand(shape)
        new.rate = self.rate.expand(shape)
        Distribution.__init__(new, shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate ** 2

    def sample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with no_grad():
            g = standard_gamma(self.concentration.expand(shape))
            return (g / self.rate.expand(shape)).clamp(min=_tiny(g))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        g = rsample_standard_gamma(self.concentration.expand(shape))
        return (g / self.rate.expand(shape)).clamp(min=_tiny(g))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        c, r = self.concentration, self.rate
        return _xlogy(c, r) + _xlogy(c - 1, value) - r * value - lgamma(c)

    def cdf(self, value: Tensor) -> Tensor:
        """``P(concentration, rate * value)``, the regularised lower incomplete gamma
        function; differentiable in ``value`` and ``rate``, not in ``concentration``."""
        if self._validate_args:
            self._validate_sample(value)
        return regularized_gamma_p(self.concentration, self.rate * value)

    def entropy(self) -> Tensor:
        c = self.concentration
        return c - self.rate.log() + lgamma(c) + (1.0 - c) * digamma(c)


class Dirichlet(Distribution):
    """The Dirichlet distribution over the simplex, with ``concentration`` (..., K).

    ``sample`` normalises independent gamma draws; ``rsample`` normalises reparameterised
    ones (see :class:`Gamma`), so it is differentiable in ``concentration``.
    """

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None):
        if not isinstance(concentration, Tensor) or concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Dirichlet:
        new = self._get_checked_instance(Dirichlet, _instance)
        shape = Size(tuple(batch_shape))
        new.concentration = self.concentration.expand(tuple(shape) + tuple(self.event_shape))
        Distribution.__init__(new, shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        c = self.concentration
        cm1 = (c - 1).clamp(min=0.0)
        mode = cm1 / cm1.sum(-1, keepdim=True)
        all_small = (c < 1).all(-1, keepdim=True)
        k = c.shape[-1]
        idx = c.argmax(-1, keepdim=True)
        one_hot = (idx == _arange_like(c, k)).to(c.dtype)
        return where(all_small, one_hot, mode)

    @property
    def variance(self) -> Tensor:
        c = self.concentration
        c0 = c.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0 ** 2 * (c0 + 1))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        g = rsample_standard_gamma(self.concentration.expand(shape))
        out = g / g.sum(-1, keepdim=True)
        return out.clamp(min=_tiny(out), max=1 - _eps(out))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        c = self.concentration
        return (_xlogy(c - 1.0, value).sum(-1) + lgamma(c.sum(-1)) - lgamma(c).sum(-1))

    def entropy(self) -> Tensor:
        c = self.concentration
        k = c.shape[-1]
        a0 = c.sum(-1)
        return (lgamma(c).sum(-1) - lgamma(a0) - (k - a0) * digamma(a0)
                - ((c - 1.0) * digamma(c)).sum(-1))


def _arange_like(t: Tensor, k: int) -> Tensor:
    return arange(k, device=t.device)


class Beta(Distribution):
    """The beta distribution on [0, 1] with ``concentration1`` (alpha) and
    ``concentration0`` (beta); sampled as a two-category :class:`Dirichlet` (so ``rsample``
    is reparameterised as the Dirichlet's)."""

    arg_constraints = {"concentration1": constraints.positive,
                       "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Any, concentration0: Any,
                 validate_args: bool | None = None):
        c1, c0 = broadcast_all(concentration1, concentration0)
        self._dirichlet = Dirichlet(stack([c1, c0], -1), validate_args=validate_args)
        batch = _batch(concentration1, concentration0)
        super().__init__(self._dirichlet.batch_shape if batch is None else batch,
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Beta:
        new = self._get_checked_instance(Beta, _instance)
        shape = Size(tuple(batch_shape))
        new._dirichlet = self._dirichlet.expand(shape)
        Distribution.__init__(new, shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def concentration1(self) -> Tensor:
        """alpha."""
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self) -> Tensor:
        """beta."""
        return self._dirichlet.concentration[..., 1]

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        return self._dirichlet.mode[..., 0]

    @property
    def variance(self) -> Tensor:
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total ** 2 * (total + 1))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self._dirichlet.sample(sample_shape)[..., 0]

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self._dirichlet.rsample(sample_shape)[..., 0]

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        return self._dirichlet.log_prob(stack([value, 1.0 - value], -1))

    def entropy(self) -> Tensor:
        return self._dirichlet.entropy()

    def __repr__(self) -> str:
        parts = []
        for p in ("concentration1", "concentration0"):
            v = getattr(self, p)
            parts.append(f"{p}: {v if v.numel() == 1 else v.size()}")
        return f"Beta({', '.join(parts)})"
