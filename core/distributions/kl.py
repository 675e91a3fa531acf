"""``kl_divergence(p, q)`` and its registry of closed forms (``register_kl``)."""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..ops.elementwise import where
from ..ops.special import digamma, lgamma
from ..shapes import broadcast_shapes
from ..tensor import Tensor
from ._linalg import diag_part, solve_tril
from .continuous import Beta, Dirichlet, Gamma, Normal, Uniform
from .discrete import Bernoulli, Categorical, OneHotCategorical
from .distribution import Distribution
from .multivariate import Independent, MultivariateNormal

__all__ = ["kl_divergence", "register_kl"]

_KL_REGISTRY: dict[tuple[type, type], Callable] = {}
_KL_MEMOIZE: dict[tuple[type, type], Callable] = {}


def register_kl(type_p: type, type_q: type) -> Callable:
    """Decorator registering ``fn(p, q)`` as the KL divergence of ``type_p`` from
    ``type_q`` (the most specific registered pair wins for subclasses)."""
    if not isinstance(type_p, type) or not issubclass(type_p, Distribution):
        raise TypeError(f"Expected type_p to be a Distribution subclass but got {type_p}")
    if not isinstance(type_q, type) or not issubclass(type_q, Distribution):
        raise TypeError(f"Expected type_q to be a Distribution subclass but got {type_q}")

    def decorator(fn: Callable) -> Callable:
        _KL_REGISTRY[type_p, type_q] = fn
        _KL_MEMOIZE.clear()
        return fn
    return decorator


def _dispatch(type_p: type, type_q: type) -> Callable | None:
    matches = [(super_p, super_q) for super_p, super_q in _KL_REGISTRY
               if issubclass(type_p, super_p) and issubclass(type_q, super_q)]
    if not matches:
        return None
    mro_p, mro_q = type_p.__mro__, type_q.__mro__

    def rank(pair: tuple[type, type]) -> tuple[int, int]:
        return mro_p.index(pair[0]), mro_q.index(pair[1])

    return _KL_REGISTRY[min(matches, key=rank)]


def kl_divergence(p: Distribution, q: Distribution) -> Tensor:
    """``KL(p || q)``, batched over the distributions' batch shape, from the closed forms
    registered with :func:`register_kl`; NotImplementedError for an unregistered pair."""
    key = (type(p), type(q))
    try:
        fn = _KL_MEMOIZE[key]
    except KeyError:
        fn = _dispatch(*key)
        _KL_MEMOIZE[key] = fn
    if fn is None:
        raise NotImplementedError(f"No KL(p || q) is implemented for p type "
                                  f"{type(p).__name__} and q type {type(q).__name__}")
    return fn(p, q)


def _inf_like(t: Tensor) -> Tensor:
    return t * 0.0 + math.inf


def _xlogy(x: Tensor, y: Tensor) -> Tensor:
    zero = x == 0
    return where(zero, 0.0, x * where(zero, 1.0, y).log())


@register_kl(Bernoulli, Bernoulli)
def _kl_bernoulli_bernoulli(p: Bernoulli, q: Bernoulli) -> Tensor:
    t1 = p.probs * ((-q.logits).clamp(min=0) - (-p.logits).clamp(min=0)
                    + ((-q.logits.abs()).exp().log1p() - (-p.logits.abs()).exp().log1p()))
    t1 = where(q.probs == 0, math.inf, t1)
    t1 = where(p.probs == 0, 0.0, t1)
    t2 = (1 - p.probs) * (q.logits.clamp(min=0) - p.logits.clamp(min=0)
                          + ((-q.logits.abs()).exp().log1p() - (-p.logits.abs()).exp().log1p()))
    t2 = where(q.probs == 1, math.inf, t2)
    t2 = where(p.probs == 1, 0.0, t2)
    return t1 + t2


@register_kl(Beta, Beta)
def _kl_beta_beta(p: Beta, q: Beta) -> Tensor:
    sum_p = p.concentration1 + p.concentration0
    sum_q = q.concentration1 + q.concentration0
    t1 = lgamma(q.concentration1) + lgamma(q.concentration0) + lgamma(sum_p)
    t2 = lgamma(p.concentration1) + lgamma(p.concentration0) + lgamma(sum_q)
    t3 = (p.concentration1 - q.concentration1) * digamma(p.concentration1)
    t4 = (p.concentration0 - q.concentration0) * digamma(p.concentration0)
    t5 = (sum_q - sum_p) * digamma(sum_p)
    return t1 - t2 + t3 + t4 + t5


@register_kl(Categorical, Categorical)
def _kl_categorical_categorical(p: Categorical, q: Categorical) -> Tensor:
    t = p.probs * (p.logits - q.logits)
    t = where(q.probs == 0, math.inf, t)
    t = where(p.probs == 0, 0.0, t)
    return t.sum(-1)


@register_kl(OneHotCategorical, OneHotCategorical)
def _kl_onehot_onehot(p: OneHotCategorical, q: OneHotCategorical) -> Tensor:
    return _kl_categorical_categorical(p._categorical, q._categorical)


@register_kl(Dirichlet, Dirichlet)
def _kl_dirichlet_dirichlet(p: Dirichlet, q: Dirichlet) -> Tensor:
    sum_p = p.concentration.sum(-1)
    sum_q = q.concentration.sum(-1)
    t1 = lgamma(sum_p) - lgamma(sum_q)
    t2 = (lgamma(p.concentration) - lgamma(q.concentration)).sum(-1)
    t3 = p.concentration - q.concentration
    t4 = digamma(p.concentration) - digamma(sum_p).unsqueeze(-1)
    return t1 - t2 + (t3 * t4).sum(-1)


@register_kl(Gamma, Gamma)
def _kl_gamma_gamma(p: Gamma, q: Gamma) -> Tensor:
    t1 = q.concentration * (p.rate / q.rate).log()
    t2 = lgamma(q.concentration) - lgamma(p.concentration)
    t3 = (p.concentration - q.concentration) * digamma(p.concentration)
    t4 = (q.rate - p.rate) * (p.concentration / p.rate)
    return t1 + t2 + t3 + t4


@register_kl(Normal, Normal)
def _kl_normal_normal(p: Normal, q: Normal) -> Tensor:
    var_ratio = (p.scale / q.scale) ** 2
    t1 = ((p.loc - q.loc) / q.scale) ** 2
    return 0.5 * (var_ratio + t1 - 1 - var_ratio.log())


@register_kl(Uniform, Uniform)
def _kl_uniform_uniform(p: Uniform, q: Uniform) -> Tensor:
    result = ((q.high - q.low) / (p.high - p.low)).log()
    outside = (q.low > p.low) | (q.high < p.high)
    return where(outside, math.inf, result)


@register_kl(MultivariateNormal, MultivariateNormal)
def _kl_mvn_mvn(p: MultivariateNormal, q: MultivariateNormal) -> Tensor:
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different "
                         "event shapes cannot be computed")
    lp, lq = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    half_term1 = diag_part(lq).log().sum(-1) - diag_part(lp).log().sum(-1)
    k = p.event_shape[0]
    shape = broadcast_shapes(tuple(lq.shape[:-2]), tuple(lp.shape[:-2]),
                             tuple(p.loc.shape[:-1]), tuple(q.loc.shape[:-1]))
    lq_b = lq.expand(shape + (k, k))
    term2 = (solve_tril(lq_b, lp.expand(shape + (k, k))) ** 2).sum((-2, -1))
    diff = (q.loc - p.loc).expand(shape + (k,)).unsqueeze(-1)
    term3 = (solve_tril(lq_b, diff) ** 2).sum((-2, -1))
    return half_term1 + 0.5 * (term2 + term3 - k)


@register_kl(Independent, Independent)
def _kl_independent_independent(p: Independent, q: Independent) -> Tensor:
    if p.reinterpreted_batch_ndims != q.reinterpreted_batch_ndims:
        raise NotImplementedError
    result = kl_divergence(p.base_dist, q.base_dist)
    n = p.reinterpreted_batch_ndims
    return result.sum(tuple(range(-n, 0))) if n else result


@register_kl(Uniform, Normal)
def _kl_uniform_normal(p: Uniform, q: Normal) -> Tensor:
    common = p.high - p.low
    t1 = (math.sqrt(math.pi * 2) * q.scale / common).log()
    t2 = common ** 2 / 12
    t3 = ((p.high + p.low - 2 * q.loc) / 2) ** 2
    return t1 + 0.5 * (t2 + t3) / q.scale ** 2


@register_kl(Uniform, Gamma)
def _kl_uniform_gamma(p: Uniform, q: Gamma) -> Tensor:
    common = p.high - p.low
    t1 = q.concentration * q.rate.log() - lgamma(q.concentration) + common.log()
    t2 = (q.concentration - 1) * (_xlogy(p.high, p.high) - _xlogy(p.low, p.low) - common) / common
    t3 = q.rate * (p.high + p.low) / 2
    return where(p.low < 0, math.inf, -t1 - t2 + t3)


@register_kl(Uniform, Beta)
def _kl_uniform_beta(p: Uniform, q: Beta) -> Tensor:
    common = p.high - p.low
    ent = common.log()
    t1 = (q.concentration1 - 1) * (_xlogy(p.high, p.high) - _xlogy(p.low, p.low) - common)
    one_h, one_l = 1 - p.high, 1 - p.low
    t2 = (q.concentration0 - 1) * (_xlogy(one_h, one_h) - _xlogy(one_l, one_l) + common)
    t = t1 / common - t2 / common
    lbeta = (lgamma(q.concentration1) + lgamma(q.concentration0)
             - lgamma(q.concentration1 + q.concentration0))
    result = -ent - t + lbeta
    return where((p.high > 1) | (p.low < 0), math.inf, result)


@register_kl(Beta, Uniform)
def _kl_beta_uniform(p: Beta, q: Uniform) -> Tensor:
    result = -p.entropy() + (q.high - q.low).log()
    return where((q.low > 0) | (q.high < 1), math.inf, result)


@register_kl(Gamma, Uniform)
@register_kl(Normal, Uniform)
@register_kl(Normal, Gamma)
@register_kl(Normal, Beta)
@register_kl(Gamma, Beta)
def _kl_infinite(p: Any, q: Any) -> Tensor:
    """The support of p is not inside that of q: infinite divergence."""
    return _inf_like(p.mean)


@register_kl(Beta, Normal)
def _kl_beta_normal(p: Beta, q: Normal) -> Tensor:
    e1 = p.concentration1 / (p.concentration1 + p.concentration0)
    e2 = e1 * (p.concentration1 + 1) / (p.concentration1 + p.concentration0 + 1)
    t1 = -p.entropy()
    t2 = 0.5 * ((q.scale ** 2) * 2 * math.pi).log()
    t3 = (e2 - 2 * q.loc * e1 + q.loc ** 2) / (2 * q.scale ** 2)
    return t1 + t2 + t3


@register_kl(Gamma, Normal)
def _kl_gamma_normal(p: Gamma, q: Normal) -> Tensor:
    a, b = p.concentration, p.rate
    var = q.scale ** 2
    second = (a * (a + 1) / b ** 2 - 2 * q.loc * a / b + q.loc ** 2) / (2 * var)
    return -p.entropy() + 0.5 * (2 * math.pi * var).log() + second
