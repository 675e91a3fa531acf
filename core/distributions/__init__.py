"""``xgrad.distributions``: probability distributions with sampling, reparameterised
sampling, densities, moments and KL divergences, as ``torch.distributions``.

Sampling draws from xgrad's RNG, so ``xgrad.manual_seed`` makes it reproducible.
"""
from __future__ import annotations

from . import constraints
from .continuous import Beta, Dirichlet, Gamma, Normal, Uniform
from .discrete import Bernoulli, Categorical, OneHotCategorical
from .distribution import Distribution
from .kl import kl_divergence, register_kl
from .multivariate import Independent, MultivariateNormal

__all__ = ["Bernoulli", "Beta", "Categorical", "Dirichlet", "Distribution", "Gamma",
           "Independent", "MultivariateNormal", "Normal", "OneHotCategorical", "Uniform",
           "constraints", "kl_divergence", "register_kl"]
