"""The classes of ``torch.nn.modules.batchnorm``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..layers_extra import (
    BatchNorm3d,
)
from ..normalization import BatchNorm1d, BatchNorm2d, _BatchNorm

__all__ = ["_BatchNorm", "BatchNorm1d", "BatchNorm2d"]
__all__ += ["BatchNorm3d"]
