"""The classes of ``torch.nn.modules.sparse``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..layers_extra import EmbeddingBag
from ..sparse import Embedding

__all__ = ["Embedding", "EmbeddingBag"]
