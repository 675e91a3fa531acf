"""The classes of ``torch.nn.modules.linear``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..containers import Identity
from ..linear import Bilinear, Linear, NonDynamicallyQuantizableLinear

__all__ = ["Identity", "Linear", "Bilinear", "NonDynamicallyQuantizableLinear"]
