"""Rprop (resilient backpropagation: per-element step sizes driven by gradient signs)."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor
from ._util import check_range, full_state, grad_for, zeros_state
from .optimizer import Optimizer

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """``torch.optim.Rprop``: per step, with ``g`` the gradient (negated when ``maximize``) and
    ``s`` each element's step size (starting at ``lr``)::

        f = etaplus where g * g_prev > 0, etaminus where < 0, else 1
        s = clamp(s * f, step_size_min, step_size_max)
        g = 0 where f == etaminus
        p = p - sign(g) * s;  g_prev = g
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_range("learning rate", lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), foreach=foreach,
                        maximize=maximize, differentiable=differentiable, capturable=capturable)
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        etaminus, etaplus = group["etas"]
        lo, hi = group["step_sizes"]
        if not state:
            state["step"] = 0
            state["prev"] = zeros_state(p)
            state["step_size"] = full_state(p, float(group["lr"]))
        state["step"] += 1
        g = grad_for(p, grad, group["maximize"])
        prev, size = state["prev"], state["step_size"]
        agree = (g * prev).sign()
        factor = agree.masked_fill(agree.gt(0), etaplus).masked_fill(agree.lt(0), etaminus)
        factor = factor.masked_fill(agree.eq(0), 1.0)
        size.mul_(factor).clamp_(lo, hi)
        g = g.masked_fill(factor.eq(etaminus), 0.0)
        p.sub_(g.sign() * size)
        prev.copy_(g)
