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
from ..layers_extra import (
    CELU,
    GLU,
    SELU,
    Hardsigmoid,
    Hardswish,
    LogSigmoid,
    PReLU,
    Softmin,
)
from ..transformer import MultiheadAttention

__all__ = ["ELU", "GELU", "Hardtanh", "LeakyReLU", "LogSoftmax", "Mish", "ReLU", "ReLU6",
    "Sigmoid", "SiLU", "Softmax", "Softplus", "Tanh", "MultiheadAttention"]
__all__ += ["CELU", "GLU", "SELU", "Hardsigmoid", "Hardswish", "LogSigmoid", "PReLU", "Softmin"]
