"""ASGD (averaged stochastic gradient descent)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from ._util import check_range, grad_for, zeros_state
from .optimizer import Optimizer

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """``torch.optim.ASGD``: per step ``t``, with ``g`` the gradient (negated when ``maximize``),
    ``eta`` starting at ``lr`` and ``mu`` at 1::

        g = g + weight_decay * p
        p = p * (1 - lambd * eta) - eta * g
        ax = p if mu == 1 else ax + mu * (p - ax)     (the running average, state "ax")
        eta = lr / (1 + lambd * lr * t)^alpha;  mu = 1 / max(1, t - t0)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lambd: float = 1e-4,
                 alpha: float = 0.75, t0: float = 1e6, weight_decay: float = 0,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_range("learning rate", lr)
        check_range("weight_decay value", weight_decay)
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        foreach=foreach, maximize=maximize, differentiable=differentiable,
                        capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, lambd = float(group["lr"]), group["lambd"]
        if not state:
            state["step"] = 0
            state["eta"] = lr
            state["mu"] = 1.0
            state["ax"] = zeros_state(p)
        state["step"] = step = state["step"] + 1
        g = grad_for(p, grad, group["maximize"])
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        eta, mu, ax = float(state["eta"]), float(state["mu"]), state["ax"]
        p.mul_(1 - lambd * eta)
        p.sub_(g, alpha=eta)
        if mu != 1:
            ax.add_((p - ax) * mu)
        else:
            ax.copy_(p)
        state["eta"] = lr / (1 + lambd * lr * step) ** group["alpha"]
        state["mu"] = 1 / max(1, step - group["t0"])
