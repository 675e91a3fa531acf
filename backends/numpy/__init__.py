"""The numpy backend: xgrad's default CPU backend."""
from __future__ import annotations

import numpy

from .._xp import ArrayModuleBackend

__all__ = ["NumpyBackend"]


class NumpyBackend(ArrayModuleBackend):
    """Required primitives and fused kernels on numpy arrays (host memory)."""

    name = "numpy"
    device = "numpy"

    def __init__(self) -> None:
        super().__init__(numpy)
