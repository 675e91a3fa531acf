"""The classes of ``torch.nn.modules.activation``, from :mod:`xgrad.nn`."""
from __future__ import annotations

from ..activation import (
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSoftmax,
    Mish,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from ..transformer import MultiheadAttention

__all__ = ["ELU", "GELU", "Hardtanh", "LeakyReLU", "LogSoftmax", "Mish", "ReLU", "ReLU6",
    "Sigmoid", "SiLU", "Softmax", "Softplus", "Tanh", "MultiheadAttention"]
