"""The classes of ``torch.nn.modules.instancenorm``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d

__all__ = ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]
