"""The classes of ``torch.nn.modules.upsampling``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..resize_layers import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d"]
