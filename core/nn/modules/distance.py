"""The classes of ``torch.nn.modules.distance``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..layers_extra import CosineSimilarity, PairwiseDistance

__all__ = ["CosineSimilarity", "PairwiseDistance"]
