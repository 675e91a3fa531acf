"""The classes of ``torch.nn.modules.dropout``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..dropout import Dropout

__all__ = ["Dropout"]
