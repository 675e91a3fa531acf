"""The classes of ``torch.nn.modules.flatten``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..containers import Flatten, Unflatten

__all__ = ["Flatten", "Unflatten"]
