"""Optimizer updates as in-place fused ops: one SGD step and one Adam/AdamW step of a
parameter and its state tensors. Each is a :class:`~.fusion.FusedOp` whose fused kernel is
the backend's ``sgd_step``/``adam_step`` (see :data:`xgrad.backend.FUSED_OPS`) and whose
decomposition is written with differentiable Tensor ops (each new value stored in place once),
so every backend runs them.
:mod:`xgrad.optim` calls these like any other op.

They are not differentiable: call them under :func:`xgrad.no_grad` (as ``Optimizer.step``
does) when the parameter requires grad."""
from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import _State
from ..dtypes import float64
from ..tensor import Tensor, wrap
from .fusion import FusedOp, apply_fused_, register_fused
from .inplace import store_


def _set(t: Tensor, value: Tensor) -> None:
    # the decompositions compute each new value out of place and store it once: as few live
    # temporaries as the formula needs (large temporaries are what the update costs)
    store_(t, value._data if value.dtype is t.dtype else value.to(t.dtype)._data)

__all__ = ["SGD_STEP", "ADAM_STEP", "sgd_step_", "adam_step_"]


def _check(op: str, param: Tensor, grad: Tensor, *state: Tensor | None) -> None:
    if not isinstance(param, Tensor) or not isinstance(grad, Tensor):
        raise TypeError(f"{op}(): expected Tensors for param and grad, got "
                        f"{type(param).__name__} and {type(grad).__name__}")
    be, shape = param._backend, param._data.shape
    if grad._backend is not be:
        raise RuntimeError(f"parameter is on device {be.device!r} but its gradient is on "
                           f"{grad._backend.device!r}")
    if grad._data.shape != shape:
        raise RuntimeError(f"gradient of shape {list(grad.shape)} does not match parameter of "
                           f"shape {list(param.shape)}")
    rg = param._rg or grad._rg
    for s in state:
        if s is not None:
            if s._data.shape != shape:
                raise RuntimeError(f"{op}(): state tensor of shape {list(s.shape)} does not match "
                                   f"parameter of shape {list(param.shape)}")
            rg = rg or s._rg
    if rg and _State.enabled:
        raise RuntimeError(f"{op}() updates tensors in place and is not differentiable; call it "
                           "under xgrad.no_grad()")


# ---- SGD ------------------------------------------------------------------------------------
def _sgd_dec(param: Tensor, grad: Tensor, buf: Tensor | None, lr: float, momentum: float,
             dampening: float, weight_decay: float, nesterov: bool, maximize: bool,
             first: bool) -> tuple[Tensor, Tensor | None]:
    g = -grad if maximize else grad
    if weight_decay:
        g = g + weight_decay * param
    if momentum:
        if buf is None:
            buf = g.clone()
        elif first:
            _set(buf, g)
        else:
            _set(buf, buf * momentum + (1 - dampening) * g)
        g = g + momentum * buf if nesterov else buf
    _set(param, param - lr * g)
    return param, buf


SGD_STEP = register_fused(FusedOp("sgd_step", _sgd_dec, mutates=(0, 2)))


def sgd_step_(param: Tensor, grad: Tensor, momentum_buffer: Tensor | None = None, *,
              lr: float, momentum: float = 0.0, dampening: float = 0.0,
              weight_decay: float = 0.0, nesterov: bool = False,
              maximize: bool = False) -> Tensor | None:
    """One ``torch.optim.SGD`` update of ``param`` in place; returns the momentum buffer.

    With ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * param
        buf = g (first step: momentum_buffer is None) else momentum * buf + (1 - dampening) * g
        g = g + momentum * buf if nesterov else buf
        param = param - lr * g

    ``momentum_buffer`` is updated in place; on the first step (``None``) a new buffer is
    returned. Without momentum no buffer is used and the result is ``momentum_buffer``.
    Runs the backend's fused ``sgd_step`` kernel when it has one.
    """
    _check("sgd_step_", param, grad, momentum_buffer)
    _, buf = apply_fused_(SGD_STEP, (param, grad, momentum_buffer),
                          (float(lr), momentum, dampening, weight_decay, bool(nesterov),
                           bool(maximize), momentum_buffer is None))
    return buf if momentum else momentum_buffer


# ---- Adam / AdamW -------------------------------------------------------------------------
def _adam_dec(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor,
              max_exp_avg_sq: Tensor | None, step: int, lr: float, beta1: float, beta2: float,
              eps: float, weight_decay: float, decoupled: bool, amsgrad: bool,
              maximize: bool) -> tuple[Tensor, Tensor, Tensor, Tensor | None]:
    g = -grad if maximize else grad
    if weight_decay:
        if decoupled:
            _set(param, param * (1 - lr * weight_decay))
        else:
            g = g + weight_decay * param
    _set(exp_avg, exp_avg + (1 - beta1) * (g - exp_avg))
    _set(exp_avg_sq, exp_avg_sq * beta2 + (1 - beta2) * (g * g))
    v = exp_avg_sq
    if amsgrad:
        v = max_exp_avg_sq
        _set(v, v.maximum(exp_avg_sq))
    # The bias corrections come from the step count through kernels (a 0-d tensor made by
    # ``full`` from the integer step), not as Python floats: a captured step then replays with
    # the step counter advanced (xgrad.compile), where a float computed on the host would be a
    # constant that changes every step. In float64 when the backend has it, so the values are
    # those of the Python arithmetic; then cast to the parameter's dtype as a Python float is.
    be = param._backend
    t = wrap(be.full((), step, float64 if float64 in be.dtypes else param.dtype), be)
    denom = v.sqrt() / (1 - beta2 ** t).sqrt() + eps
    _set(param, param - (lr / (1 - beta1 ** t)) * (exp_avg / denom))
    return param, exp_avg, exp_avg_sq, max_exp_avg_sq


ADAM_STEP = register_fused(FusedOp("adam_step", _adam_dec, mutates=(0, 2, 3, 4)))


def adam_step_(param: Tensor, grad: Tensor, exp_avg: Tensor, exp_avg_sq: Tensor,
               max_exp_avg_sq: Tensor | None = None, *, step: int, lr: float,
               beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8,
               weight_decay: float = 0.0, decoupled_weight_decay: bool = False,
               amsgrad: bool = False, maximize: bool = False) -> Tensor:
    """One ``torch.optim.Adam`` (or, with ``decoupled_weight_decay``, ``AdamW``) update of
    ``param`` and its moments, all in place; ``step`` counts from 1. Returns ``param``.

    With ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * param     (decoupled instead: param = param * (1 - lr * weight_decay))
        exp_avg = beta1 * exp_avg + (1 - beta1) * g
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * g * g
        max_exp_avg_sq = max(max_exp_avg_sq, exp_avg_sq)   (amsgrad; then it replaces exp_avg_sq)
        param = param - lr / (1 - beta1^step) * exp_avg / (sqrt(exp_avg_sq / (1 - beta2^step)) + eps)

    ``amsgrad`` needs ``max_exp_avg_sq``. Runs the backend's fused ``adam_step`` kernel when it
    has one.
    """
    _check("adam_step_", param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq)
    if amsgrad and max_exp_avg_sq is None:
        raise ValueError("adam_step_(amsgrad=True) needs a max_exp_avg_sq tensor")
    params: tuple[Any, ...] = (int(step), float(lr), beta1, beta2, eps, weight_decay,
                               bool(decoupled_weight_decay), bool(amsgrad), bool(maximize))
    apply_fused_(ADAM_STEP, (param, grad, exp_avg, exp_avg_sq,
                             max_exp_avg_sq if amsgrad else None), params)
    return param
