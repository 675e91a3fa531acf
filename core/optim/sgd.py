"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..tensor import Tensor, wrap
from ._util import check_range, grad_for, run_fused, use_fused
from .optimizer import Optimizer, write_

__all__ = ["SGD"]


class SGD(Optimizer):
    """``torch.optim.SGD``: per step, with ``g`` the gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        b = g (first step) else momentum * b + (1 - dampening) * g
        g = g + momentum * b if nesterov else b
        p = p - lr * g

    Uses the backend's fused ``sgd_step`` kernel when it has one.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, weight_decay: float = 0, nesterov: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        check_range("learning rate", lr)
        check_range("momentum value", momentum)
        check_range("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        super().__init__(params, defaults)

    def _update(self, p: Tensor, grad: Tensor, group: dict[str, Any], state: dict[str, Any]) -> None:
        lr, momentum, dampening = float(group["lr"]), group["momentum"], group["dampening"]
        wd, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
        buf = state.get("momentum_buffer")
        if use_fused(p, "sgd_step"):
            grad_for(p, grad, False)
            pd, bd = run_fused("sgd_step", p, p._data, grad._data,
                               None if buf is None else buf._data, lr, momentum, dampening, wd,
                               nesterov, maximize, buf is None)
            write_(p, wrap(pd, p._backend))
            if momentum:
                if buf is None:
                    state["momentum_buffer"] = wrap(bd, p._backend)
                else:
                    write_(buf, wrap(bd, p._backend))
            return
        g = grad_for(p, grad, maximize)
        if wd:
            g = g + wd * p
        if momentum:
            if buf is None:
                buf = state["momentum_buffer"] = g.clone()
            else:
                write_(buf, buf * momentum + (1 - dampening) * g)
            g = g + momentum * buf if nesterov else buf
        write_(p, p - lr * g)
