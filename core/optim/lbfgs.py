"""Limited-memory BFGS (``torch.optim.LBFGS``), with an optional strong-Wolfe line search.

The parameters are treated as one flat vector: the gradient is gathered into it, the
two-loop recursion builds the search direction from the last ``history_size`` curvature
pairs, and the step is added back to every parameter in place. Scalars (step sizes, dot
products, losses) are Python floats.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from ..autograd import enable_grad, no_grad
from ..creation import zeros
from ..ops.shape import cat
from ..tensor import Tensor
from .optimizer import Optimizer

__all__ = ["LBFGS"]


def _cubic_min(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
               bounds: tuple[float, float] | None = None) -> float:
    """Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2, clipped to
    ``bounds`` (default: the interval between the points); the midpoint if the cubic has no
    real minimiser."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1 * d1 - g1 * g2
    if disc < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(disc)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate: Callable[[float], tuple[float, Tensor]], t: float, d: Tensor,
                  f0: float, g0: Tensor, gtd0: float, c1: float = 1e-4, c2: float = 0.9,
                  tolerance_change: float = 1e-9,
                  max_ls: int = 25) -> tuple[float, Tensor, float, int]:
    """Find a step ``t`` along ``d`` meeting the strong Wolfe conditions (bracketing, then
    zooming with safeguarded cubic interpolation). Returns ``(f, g, t, evaluations)``."""
    d_norm = d.abs().max().item()
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = g_new.dot(d).item()
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f0, g0, gtd0
    done = False
    it = 0
    # phase 1: grow the step until an interval is known to contain an acceptable point
    while it < max_ls:
        armijo_fails = f_new > f0 + c1 * t * gtd0 or (it > 1 and f_new >= f_prev)
        if not armijo_fails and abs(gtd_new) <= -c2 * gtd0:
            br, br_f, br_g, br_gtd = [t], [f_new], [g_new], [gtd_new]
            done = True
            break
        if armijo_fails or gtd_new >= 0:
            br = [t_prev, t]
            br_f, br_g, br_gtd = [f_prev, f_new], [g_prev, g_new], [gtd_prev, gtd_new]
            break
        lo, hi = t + 0.01 * (t - t_prev), t * 10
        t_next = _cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new, bounds=(lo, hi))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d).item()
        it += 1
    if it == max_ls:
        br, br_f, br_g, br_gtd = [0.0, t], [f0, f_new], [g0, g_new], [gtd0, gtd_new]
    # phase 2: shrink the bracket [low, high] around a point meeting both conditions
    stalled = False
    low, high = (0, 1) if br_f[0] <= br_f[-1] else (1, 0)
    while not done and it < max_ls:
        if abs(br[1] - br[0]) * d_norm < tolerance_change:
            break
        t = _cubic_min(br[0], br_f[0], br_gtd[0], br[1], br_f[1], br_gtd[1])
        a, b = min(br), max(br)
        eps = 0.1 * (b - a)
        if min(b - t, t - a) < eps:
            # too close to an end: after two such steps in a row, or outside, move inwards
            if stalled or t >= b or t <= a:
                t = b - eps if abs(t - b) < abs(t - a) else a + eps
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = g_new.dot(d).item()
        it += 1
        if f_new > f0 + c1 * t * gtd0 or f_new >= br_f[low]:
            br[high], br_f[high], br_g[high], br_gtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if br_f[0] <= br_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd0:
                done = True
            elif gtd_new * (br[high] - br[low]) >= 0:
                br[high], br_f[high] = br[low], br_f[low]
                br_g[high], br_gtd[high] = br_g[low], br_gtd[low]
            br[low], br_f[low], br_g[low], br_gtd[low] = t, f_new, g_new, gtd_new
    return br_f[low], br_g[low], br[low], evals


class LBFGS(Optimizer):
    """``torch.optim.LBFGS``: each :meth:`step` runs up to ``max_iter`` L-BFGS iterations,
    calling ``closure`` (which must zero the gradients, compute the loss, call ``backward`` and
    return the loss) up to ``max_eval`` times (default ``max_iter * 5 // 4``). It stops early
    when the largest gradient entry is at most ``tolerance_grad`` or the step or loss change is
    below ``tolerance_change``. ``line_search_fn`` is None (fixed step ``lr``) or
    ``"strong_wolfe"``. Only one parameter group is supported.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1, max_iter: int = 20,
                 max_eval: int | None = None, tolerance_grad: float = 1e-7,
                 tolerance_change: float = 1e-9, history_size: int = 100,
                 line_search_fn: str | None = None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not isinstance(lr, Tensor) and not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if line_search_fn not in (None, "strong_wolfe"):
            raise RuntimeError("only 'strong_wolfe' is supported")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params: list[Tensor] = self.param_groups[0]["params"]

    def _flat_grad(self) -> Tensor:
        parts = []
        for p in self._params:
            if p.grad is None:
                parts.append(zeros(p.numel(), dtype=p.dtype, device=p.device))
            else:
                parts.append(p.grad.reshape(-1))
        return cat(parts, 0)

    def _add_step(self, t: float, d: Tensor) -> None:
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(d[offset:offset + n].view_as(p), alpha=t)
            offset += n

    def _evaluate(self, closure: Callable[[], Any], x0: list[Tensor], t: float,
                  d: Tensor) -> tuple[float, Tensor]:
        """Loss and flat gradient at ``x0 + t * d``; the parameters are left at ``x0``."""
        self._add_step(t, d)
        with enable_grad():
            loss = float(closure())
        g = self._flat_grad()
        for p, x in zip(self._params, x0):
            p.copy_(x)
        return loss, g

    def step(self, closure: Callable[[], Any]) -> Any:  # type: ignore[override]
        """Run the L-BFGS iterations of one step; returns the loss of the first closure call."""
        if closure is None:
            raise RuntimeError("LBFGS requires a closure: step(closure) must re-evaluate the "
                               "model and return the loss")
        with no_grad():
            return self._step(closure)

    def _step(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history = group["history_size"]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            orig_loss = closure()
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        g = self._flat_grad()
        if g.abs().max().item() <= tol_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        dirs, steps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag = state.get("H_diag")
        prev_g, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -g
                dirs, steps, ro = [], [], []
                h_diag = 1.0
            else:
                y = g - prev_g
                s = d * t
                ys = y.dot(s).item()
                if ys > 1e-10:  # keep the pair only where the curvature is positive
                    if len(dirs) == history:
                        dirs.pop(0)
                        steps.pop(0)
                        ro.pop(0)
                    dirs.append(y)
                    steps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y).item()
                # two-loop recursion: d = -H g
                alpha = [0.0] * len(dirs)
                q = -g
                for i in range(len(dirs) - 1, -1, -1):
                    alpha[i] = steps[i].dot(q).item() * ro[i]
                    q = q - alpha[i] * dirs[i]
                d = q * h_diag
                for i in range(len(dirs)):
                    beta = dirs[i].dot(d).item() * ro[i]
                    d = d + (alpha[i] - beta) * steps[i]
            prev_g = g.clone()
            prev_loss = loss
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / g.abs().sum().item()) * lr
            else:
                t = lr
            gtd = g.dot(d).item()
            if gtd > -tol_change:  # not a descent direction
                break

            ls_evals = 0
            converged = False
            if group["line_search_fn"] == "strong_wolfe":
                x0 = [p.clone() for p in self._params]
                loss, g, t, ls_evals = _strong_wolfe(
                    lambda step, x0=x0, d=d: self._evaluate(closure, x0, step, d), t, d, loss, g, gtd)
                self._add_step(t, d)
                converged = g.abs().max().item() <= tol_grad
            else:
                self._add_step(t, d)
                if n_iter != max_iter:
                    with enable_grad():
                        loss = float(closure())
                    g = self._flat_grad()
                    converged = g.abs().max().item() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or evals >= max_eval or converged:
                break
            if (d * t).abs().max().item() <= tol_change or abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=dirs, old_stps=steps, ro=ro, H_diag=h_diag,
                     prev_flat_grad=prev_g, prev_loss=prev_loss)
        return orig_loss
