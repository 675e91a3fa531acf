"""The classes of ``torch.nn.modules.fold``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..resize_layers import Fold, Unfold

__all__ = ["Fold", "Unfold"]
