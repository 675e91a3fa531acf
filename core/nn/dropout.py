"""Dropout: random zeroing in training mode, identity in eval mode."""
from __future__ import annotations

from ..tensor import Tensor
from . import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class _DropoutNd(Module):
    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if p < 0 or p > 1:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` and scale the rest by ``1/(1-p)`` in training."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply dropout when ``self.training``."""
        return F.dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` / ``(C, L)`` inputs with probability ``p``."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply channel-wise dropout when ``self.training``."""
        return F.dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zero whole channels of ``(N, C, H, W)`` inputs with probability ``p``."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply channel-wise dropout when ``self.training``."""
        return F.dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zero whole channels of ``(N, C, D, H, W)`` / ``(C, D, H, W)`` inputs with probability
    ``p``."""

    def forward(self, input: Tensor) -> Tensor:
        """Apply channel-wise dropout when ``self.training``."""
        return F.dropout3d(input, self.p, self.training, self.inplace)
