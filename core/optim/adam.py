"""Adam and AdamW (decoupled weight decay)."""
from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor, wrap
from ._util import check_betas, check_range, grad_for, run_fused, use_fused, zeros_state
from .optimizer import Optimizer, write_

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """``torch.optim.Adam``: per step ``t``, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p            (AdamW instead: p = p * (1 - lr * weight_decay))
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)               (amsgrad; then v_max replaces v below)
        p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)

    Uses the backend's fused ``adam_step`` kernel when it has one.
    """

    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_betas(betas)
        check_range("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach, capturable=capturable,
                        differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay or self._decoupled)
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, (beta1, beta2), eps = float(group["lr"]), group["betas"], group["eps"]
        wd, amsgrad, maximize = group["weight_decay"], group["amsgrad"], group["maximize"]
        decoupled = group.get("decoupled_weight_decay", self._decoupled)
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_state(p)
            state["exp_avg_sq"] = zeros_state(p)
            if amsgrad:
                state["max_exp_avg_sq"] = zeros_state(p)
        elif amsgrad and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = zeros_state(p)
        state["step"] = step = state["step"] + 1
        m, v = state["exp_avg"], state["exp_avg_sq"]
        vmax = state.get("max_exp_avg_sq") if amsgrad else None
        if use_fused(p, "adam_step"):
            grad_for(p, grad, False)
            out = run_fused("adam_step", p, p._data, grad._data, m._data, v._data,
                            None if vmax is None else vmax._data, step, lr, beta1, beta2, eps, wd,
                            decoupled, amsgrad, maximize)
            be = p._backend
            for t, data in zip((p, m, v, vmax), out):
                if t is not None:
                    write_(t, wrap(data, be))
            return
        g = grad_for(p, grad, maximize)
        if wd:
            if decoupled:
                write_(p, p * (1 - lr * wd))
            else:
                g = g + wd * p
        write_(m, m + (1 - beta1) * (g - m))
        write_(v, v * beta2 + (1 - beta2) * (g * g))
        bc1 = 1 - beta1 ** step
        bc2_sqrt = math.sqrt(1 - beta2 ** step)
        if amsgrad:
            write_(vmax, vmax.maximum(v))
            v = vmax
        denom = v.sqrt() / bc2_sqrt + eps
        write_(p, p - (lr / bc1) * (m / denom))


class AdamW(Adam):
    """``torch.optim.AdamW``: Adam with decoupled weight decay ``p = p * (1 - lr * weight_decay)``
    applied before the moment update (default ``weight_decay=1e-2``)."""

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
