"""The classes of ``torch.nn.modules.pixelshuffle``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..resize_layers import PixelShuffle, PixelUnshuffle

__all__ = ["PixelShuffle", "PixelUnshuffle"]
