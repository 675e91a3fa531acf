"""The classes of ``torch.nn.modules.module``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..module import Module

__all__ = ["Module"]
