"""MultivariateNormal and Independent."""
from __future__ import annotations

import math
from typing import Any

from ..random import randn
from ..shapes import broadcast_shapes
from ..tensor import Size, Tensor
from . import constraints
from ._linalg import cholesky, diag_part, solve_tril, tril_inverse
from .distribution import Distribution, lazy_property

__all__ = ["MultivariateNormal", "Independent"]


class MultivariateNormal(Distribution):
    """The multivariate normal with mean ``loc`` (..., k) and exactly one of
    ``covariance_matrix``, ``precision_matrix`` or ``scale_tril`` (..., k, k).

    The Cholesky factor and triangular solves are differentiable decompositions into Tensor
    ops (``xgrad.distributions._linalg``), built for the small k distributions use.
    """

    arg_constraints = {"loc": constraints.real_vector,
                       "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite,
                       "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector
    has_rsample = True

    def __init__(self, loc: Tensor, covariance_matrix: Tensor | None = None,
                 precision_matrix: Tensor | None = None, scale_tril: Tensor | None = None,
                 validate_args: bool | None = None):
        if loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        if (covariance_matrix is not None) + (scale_tril is not None) \
                + (precision_matrix is not None) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or "
                             "scale_tril may be specified.")
        for name, m in (("scale_tril", scale_tril), ("covariance_matrix", covariance_matrix),
                        ("precision_matrix", precision_matrix)):
            if m is not None and m.ndim < 2:
                raise ValueError(f"{name} matrix must be at least two-dimensional, with "
                                 "optional leading batch dimensions")
        given = next(m for m in (scale_tril, covariance_matrix, precision_matrix)
                     if m is not None)
        batch = broadcast_shapes(tuple(given.shape[:-2]), tuple(loc.shape[:-1]))
        k = loc.shape[-1]
        if scale_tril is not None:
            self.scale_tril = scale_tril.expand(batch + (k, k))
        elif covariance_matrix is not None:
            self.covariance_matrix = covariance_matrix.expand(batch + (k, k))
        else:
            self.precision_matrix = precision_matrix.expand(batch + (k, k))
        self.loc = loc.expand(batch + (k,))
        super().__init__(batch, (k,), validate_args=validate_args)
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            # P = Lp Lp^T  =>  Sigma = Lp^-T Lp^-1, factored again
            inv = tril_inverse(cholesky(precision_matrix))
            self._unbroadcasted_scale_tril = cholesky(inv.transpose(-1, -2) @ inv)

    def expand(self, batch_shape: Any, _instance: Any = None) -> MultivariateNormal:
        new = self._get_checked_instance(MultivariateNormal, _instance)
        shape = Size(tuple(batch_shape))
        k = self.event_shape[0]
        new.loc = self.loc.expand(tuple(shape) + (k,))
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril
        for name in ("covariance_matrix", "scale_tril", "precision_matrix"):
            if name in self.__dict__:
                setattr(new, name, self.__dict__[name].expand(tuple(shape) + (k, k)))
        Distribution.__init__(new, shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def _full(self, t: Tensor, tail: tuple) -> Tensor:
        return t.expand(tuple(self._batch_shape) + tail)

    @lazy_property
    def scale_tril(self) -> Tensor:
        """Lower Cholesky factor of the covariance."""
        k = self.event_shape[0]
        return self._full(self._unbroadcasted_scale_tril, (k, k))

    @lazy_property
    def covariance_matrix(self) -> Tensor:
        """The covariance matrix."""
        lower = self._unbroadcasted_scale_tril
        k = self.event_shape[0]
        return self._full(lower @ lower.transpose(-1, -2), (k, k))

    @lazy_property
    def precision_matrix(self) -> Tensor:
        """The inverse of the covariance matrix."""
        inv = tril_inverse(self._unbroadcasted_scale_tril)
        k = self.event_shape[0]
        return self._full(inv.transpose(-1, -2) @ inv, (k, k))

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        v = (self._unbroadcasted_scale_tril ** 2).sum(-1)
        return self._full(v, tuple(self.event_shape))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        eps = randn(tuple(shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def _half_log_det(self) -> Tensor:
        return diag_part(self._unbroadcasted_scale_tril).log().sum(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        diff = value - self.loc
        lower = self._unbroadcasted_scale_tril
        shape = broadcast_shapes(tuple(lower.shape[:-2]), tuple(diff.shape[:-1]))
        k = self.event_shape[0]
        y = solve_tril(lower.expand(shape + (k, k)), diff.expand(shape + (k,)).unsqueeze(-1))
        m = (y.squeeze(-1) ** 2).sum(-1)
        return -0.5 * (k * math.log(2 * math.pi) + m) - self._half_log_det()

    def entropy(self) -> Tensor:
        k = self.event_shape[0]
        h = 0.5 * k * (1.0 + math.log(2 * math.pi)) + self._half_log_det()
        return h.expand(tuple(self._batch_shape)) if self._batch_shape else h

    def __repr__(self) -> str:
        p = next(n for n in ("covariance_matrix", "precision_matrix", "scale_tril")
                 if n in self.__dict__)
        return f"MultivariateNormal(loc: {self.loc.size()}, {p}: {self.__dict__[p].size()})"


class Independent(Distribution):
    """Reinterpret the rightmost ``reinterpreted_batch_ndims`` batch dims of
    ``base_distribution`` as event dims (``log_prob`` and ``entropy`` sum over them)."""

    arg_constraints: dict = {}

    def __init__(self, base_distribution: Distribution, reinterpreted_batch_ndims: int,
                 validate_args: bool | None = None):
        nb = len(base_distribution.batch_shape)
        if reinterpreted_batch_ndims > nb:
            raise ValueError("Expected reinterpreted_batch_ndims <= "
                             f"len(base_distribution.batch_shape), actual "
                             f"{reinterpreted_batch_ndims} vs {nb}")
        shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        event_dim = reinterpreted_batch_ndims + len(base_distribution.event_shape)
        self.base_dist = base_distribution
        self.reinterpreted_batch_ndims = reinterpreted_batch_ndims
        super().__init__(shape[:len(shape) - event_dim], shape[len(shape) - event_dim:],
                         validate_args=validate_args)

    def expand(self, batch_shape: Any, _instance: Any = None) -> Independent:
        new = self._get_checked_instance(Independent, _instance)
        shape = Size(tuple(batch_shape))
        tail = tuple(self.event_shape[:self.reinterpreted_batch_ndims])
        new.base_dist = self.base_dist.expand(tuple(shape) + tail)
        new.reinterpreted_batch_ndims = self.reinterpreted_batch_ndims
        Distribution.__init__(new, shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    @property
    def has_enumerate_support(self) -> bool:  # type: ignore[override]
        return False if self.reinterpreted_batch_ndims > 0 else self.base_dist.has_enumerate_support

    @constraints.dependent_property
    def support(self) -> constraints.Constraint:
        result = self.base_dist.support
        if self.reinterpreted_batch_ndims:
            result = constraints.independent(result, self.reinterpreted_batch_ndims)
        return result

    @property
    def mean(self) -> Tensor:
        return self.base_dist.mean

    @property
    def mode(self) -> Tensor:
        return self.base_dist.mode

    @property
    def variance(self) -> Tensor:
        return self.base_dist.variance

    def sample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.base_dist.rsample(sample_shape)

    def _sum_right(self, t: Tensor) -> Tensor:
        n = self.reinterpreted_batch_ndims
        return t.sum(tuple(range(-n, 0))) if n else t

    def log_prob(self, value: Tensor) -> Tensor:
        return self._sum_right(self.base_dist.log_prob(value))

    def entropy(self) -> Tensor:
        return self._sum_right(self.base_dist.entropy())

    def enumerate_support(self, expand: bool = True) -> Tensor:
        if self.reinterpreted_batch_ndims > 0:
            raise NotImplementedError("Enumeration over cartesian product is not implemented")
        return self.base_dist.enumerate_support(expand=expand)

    def __repr__(self) -> str:
        return f"Independent({self.base_dist!r}, {self.reinterpreted_batch_ndims})"
