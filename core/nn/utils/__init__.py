"""``xgrad.nn.utils``: gradient clipping, flat parameter vectors, variable-length sequences
(:mod:`.rnn`) and parametrizations (:mod:`.parametrize`, :mod:`.parametrizations`)."""
from __future__ import annotations

from . import rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
           "rnn"]

from . import parametrizations, parametrize

__all__ += ["parametrize", "parametrizations"]
