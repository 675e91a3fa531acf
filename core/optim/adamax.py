"""Adamax (Adam with the infinity norm)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from ._util import check_betas, check_range, grad_for, zeros_state
from .optimizer import Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """``torch.optim.Adamax``: per step ``t``, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        m = beta1 * m + (1 - beta1) * g
        u = max(beta2 * u, |g| + eps)
        p = p - lr / (1 - beta1^t) * m / u
    """

    def __init__(self, params: Iterable[Any], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_range("learning rate", lr)
        check_range("epsilon value", eps)
        check_betas(betas)
        check_range("weight_decay value", weight_decay)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = zeros_state(p)
            state["exp_inf"] = zeros_state(p)
        state["step"] = step = state["step"] + 1
        g = grad_for(p, grad, group["maximize"])
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        m, u = state["exp_avg"], state["exp_inf"]
        m.add_(g - m, alpha=1 - beta1)
        u.mul_(beta2).maximum_(g.abs() + group["eps"])
        clr = float(group["lr"]) / (1 - beta1 ** step)
        p.sub_(m / u, alpha=clr)
