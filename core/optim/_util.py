"""Helpers shared by the optimizers: argument checks, state creation, the descent gradient."""
from __future__ import annotations

from typing import Any

from ..creation import full_like
from ..tensor import Tensor

__all__ = ["check_range", "check_betas", "zeros_state", "full_state", "grad_for"]


def check_range(name: str, value: Any, low: float = 0.0) -> None:
    """PyTorch's ``Invalid <name>: <value>`` error for a hyper-parameter below ``low``."""
    if not isinstance(value, Tensor) and not value >= low:
        raise ValueError(f"Invalid {name}: {value}")


def check_betas(betas: Any) -> None:
    """Both Adam betas must lie in ``[0, 1)``."""
    if len(betas) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b}")


def full_state(p: Tensor, value: float) -> Tensor:
    """A new state tensor like ``p`` (device, dtype, shape) filled with ``value``."""
    return full_like(p, value)


def zeros_state(p: Tensor) -> Tensor:
    """A new zero state tensor like ``p``."""
    return full_like(p, 0)


def grad_for(p: Tensor, grad: Tensor, maximize: bool) -> Tensor:
    """The gradient to descend along, after checking it matches ``p``."""
    if grad.backend is not p.backend:
        raise RuntimeError(f"parameter is on device {p.backend.device!r} but its gradient is on "
                           f"{grad.backend.device!r}")
    if grad.shape != p.shape:
        raise RuntimeError(f"gradient of shape {list(grad.shape)} does not match parameter "
                           f"of shape {list(p.shape)}")
    return -grad if maximize else grad
