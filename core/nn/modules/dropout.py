"""The classes of ``torch.nn.modules.dropout``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from ..layers_extra import (
    AlphaDropout,
)

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]
__all__ += ["AlphaDropout"]
