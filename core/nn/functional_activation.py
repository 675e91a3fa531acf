"""Activations and dropout of :mod:`xgrad.nn.functional`."""
from __future__ import annotations

from ..ops import fused as fused_ops
from ..random import rand
from ..shapes import need_type
from ..tensor import Tensor
from .functional_common import _where

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "softplus", "mish", "sigmoid",
    "tanh", "hardtanh", "dropout",
]


# ---- activations -------------------------------------------------------------------------
def relu(input: Tensor, inplace: bool = False) -> Tensor:
    """``max(x, 0)``."""
    need_type("relu", "input", input, Tensor)
    return input.relu_() if inplace else input.relu()


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)``."""
    need_type("relu6", "input", input, Tensor)
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x`` if ``x > 0`` else ``negative_slope * x``."""
    need_type("leaky_relu", "input", input, Tensor)
    out = _where(input > 0, input, input * negative_slope)
    return input.copy_(out) if inplace else out


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x`` if ``x > 0`` else ``alpha * (exp(x) - 1)``."""
    need_type("elu", "input", input, Tensor)
    out = _where(input > 0, input, alpha * input.clamp(max=0).expm1())
    return input.copy_(out) if inplace else out


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit (exact, or ``approximate='tanh'``)."""
    need_type("gelu", "input", input, Tensor)
    return fused_ops.gelu(input, approximate)


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * sigmoid(x)``."""
    need_type("silu", "input", input, Tensor)
    out = input * input.sigmoid()
    return input.copy_(out) if inplace else out


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``."""
    need_type("softplus", "input", input, Tensor)
    bx = input * beta
    soft = (bx.relu() + (-bx.abs()).exp().log1p()) / beta
    return _where(bx > threshold, input, soft)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))``."""
    need_type("mish", "input", input, Tensor)
    out = input * softplus(input).tanh()
    return input.copy_(out) if inplace else out


def sigmoid(input: Tensor) -> Tensor:
    """Logistic sigmoid."""
    need_type("sigmoid", "input", input, Tensor)
    return input.sigmoid()


def tanh(input: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    need_type("tanh", "input", input, Tensor)
    return input.tanh()


def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp to ``[min_val, max_val]``."""
    need_type("hardtanh", "input", input, Tensor)
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    if inplace:
        return input.clamp_(min_val, max_val)
    out = input.clamp(min_val, max_val)
    return out if out.dtype is input.dtype else out.to(input.dtype)  # int stays int, as PyTorch


# ---- dropout / embedding / one_hot --------------------------------------------------------
def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zero elements with probability ``p`` and scale the rest by ``1/(1-p)`` (training only)."""
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        out = input * 0.0
    else:
        keep = rand(input.shape, dtype=input.dtype, device=input.backend) >= p
        out = input * keep.to(input.dtype) * (1.0 / (1.0 - p))
    return input.copy_(out) if inplace else out
