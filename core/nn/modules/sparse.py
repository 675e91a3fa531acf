"""The classes of ``torch.nn.modules.sparse``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..sparse import Embedding

__all__ = ["Embedding"]
