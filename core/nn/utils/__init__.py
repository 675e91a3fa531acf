"""``xgrad.nn.utils``: gradient clipping, flat parameter vectors, variable-length sequences
(:mod:`.rnn`), parametrizations (:mod:`.parametrize`, :mod:`.parametrizations`) and the older
hook-based ``weight_norm``."""
from __future__ import annotations

from . import parametrizations, parametrize, rnn
from .clip_grad import clip_grad_norm_, clip_grad_value_, parameters_to_vector, vector_to_parameters
from .weight_norm import remove_weight_norm, weight_norm

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
           "rnn", "parametrize", "parametrizations", "weight_norm", "remove_weight_norm"]
