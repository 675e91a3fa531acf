"""Helpers shared by the optimizers: fused-kernel selection, argument checks, state creation."""
from __future__ import annotations

from typing import Any

from ..dispatch import Dispatch, call_kernel
from ..ops.fusion import fusion_mode
from ..registry import count_fallback
from ..tensor import Tensor, wrap

__all__ = ["use_fused", "run_fused", "check_range", "zeros_state", "full_state", "grad_for"]


def use_fused(p: Tensor, op: str) -> bool:
    """Whether ``p``'s backend runs the fused kernel ``op``; counts the fallback otherwise."""
    be = p._backend
    if not fusion_mode.force_decomposition and be.has(op):
        return True
    count_fallback(op, be)
    return False


def run_fused(op: str, p: Tensor, *args: Any) -> Any:
    """Call the backend's fused kernel ``op`` (through the dispatch hook when a plugin listens)."""
    be = p._backend
    fn = getattr(be, op)
    return call_kernel(op, be, fn, *args) if Dispatch.active else fn(*args)


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
    be = p._backend
    return wrap(be.full(p._data.shape, value, p.dtype), be)


def zeros_state(p: Tensor) -> Tensor:
    """A new zero state tensor like ``p``."""
    return full_state(p, 0)


def grad_for(p: Tensor, grad: Tensor, maximize: bool) -> Tensor:
    """The gradient to descend along, after checking it matches ``p``."""
    if grad._backend is not p._backend:
        raise RuntimeError(f"parameter is on device {p._backend.device!r} but its gradient is on "
                           f"{grad._backend.device!r}")
    if grad._data.shape != p._data.shape:
        raise RuntimeError(f"gradient of shape {list(grad._data.shape)} does not match parameter "
                           f"of shape {list(p._data.shape)}")
    return -grad if maximize else grad
