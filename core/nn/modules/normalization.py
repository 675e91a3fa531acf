"""The classes of ``torch.nn.modules.normalization``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..instancenorm import LocalResponseNorm
from ..layers_extra import (
    RMSNorm,
)
from ..normalization import GroupNorm, LayerNorm

__all__ = ["LocalResponseNorm", "LayerNorm", "GroupNorm"]
__all__ += ["RMSNorm"]
