"""gradcheck / gradgradcheck: analytic gradients against central finite differences."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np  # host-side finite differences on float64 copies

from ..random import randn
from ..tensor import Tensor, wrap
from .engine import grad as autograd_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "numeric_jacobian", "analytic_jacobian"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytic and numeric gradients disagree."""


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func: Callable, inputs: tuple) -> tuple:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _with_value(t: Tensor, arr: np.ndarray) -> Tensor:
    out = wrap(t._backend.from_numpy(arr, t.dtype), t._backend)
    out._rg = t._rg
    return out


def numeric_jacobian(func: Callable, inputs: tuple, eps: float) -> list[list[np.ndarray]]:
    """``J[i][k]`` of shape (numel(output k), numel(input i)) by central differences."""
    inputs = tuple(inputs)
    jac: list[list[np.ndarray]] = []
    # grad mode stays on: gradgradcheck's function itself calls autograd.grad
    base_outs = _outputs(func, inputs)
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x._rg):
            jac.append([])
            continue
        host = np.array(x._backend.to_numpy(x._data), dtype=np.float64)
        flat = host.reshape(-1)
        cols = [np.zeros((o.numel(), flat.size)) for o in base_outs]
        for j in range(flat.size):
            orig = flat[j]
            vals = []
            for sign in (1, -1):
                flat[j] = orig + sign * eps
                args = list(inputs)
                args[i] = _with_value(x, host.astype(np.dtype(x.dtype.name)))
                vals.append([np.asarray(o.numpy(), dtype=np.float64).reshape(-1)
                             for o in _outputs(func, tuple(args))])
            flat[j] = orig
            for k in range(len(base_outs)):
                cols[k][:, j] = (vals[0][k] - vals[1][k]) / (2 * eps)
        jac.append(cols)
    return jac


def analytic_jacobian(func: Callable, inputs: tuple) -> list[list[np.ndarray]]:
    """``J[i][k]`` from reverse mode: one backward pass per output element."""
    outs = _outputs(func, inputs)
    diff_inputs = [x for x in inputs if isinstance(x, Tensor) and x._rg]
    jac = [[np.zeros((o.numel(), x.numel())) for o in outs] if isinstance(x, Tensor) and x._rg
           else [] for x in inputs]
    for k, o in enumerate(outs):
        if not o._rg:
            continue
        for r in range(o.numel()):
            g = np.zeros(o.numel(), dtype=np.dtype(o.dtype.name))
            g[r] = 1
            go = _with_value(o, g.reshape(o._data.shape))
            go._rg = False
            grads = autograd_grad([o], diff_inputs, [go], retain_graph=True, allow_unused=True)
            gi = iter(grads)
            for i, x in enumerate(inputs):
                if isinstance(x, Tensor) and x._rg:
                    gr = next(gi)
                    if gr is not None:
                        jac[i][k][r, :] = np.asarray(gr.numpy(), dtype=np.float64).reshape(-1)
    return jac


def _compare(numeric, analytic, inputs, eps, atol, rtol, what: str) -> str | None:
    for i, (ncols, acols) in enumerate(zip(numeric, analytic)):
        for k, (n, a) in enumerate(zip(ncols, acols)):
            bad = ~np.isclose(a, n, rtol=rtol, atol=atol, equal_nan=True)
            if bad.any():
                rows = []
                for (r, c) in list(zip(*np.nonzero(bad)))[:10]:
                    rows.append(f"    output[{r}] wrt input[{c}]: numeric {n[r, c]:.8g}  "
                                f"analytic {a[r, c]:.8g}  diff {abs(n[r, c] - a[r, c]):.3g}")
                x = inputs[i]
                return (f"Jacobian mismatch for output {k} with respect to input {i} ({what})\n"
                        f"  input {i}: shape {list(x.shape)}, dtype {x.dtype.name}, device "
                        f"{x._backend.device}\n  eps={eps}, atol={atol}, rtol={rtol}; "
                        f"{int(bad.sum())} of {bad.size} elements differ:\n" + "\n".join(rows)
                        + f"\n  numerical:\n{n}\n  analytical:\n{a}")
    return None


def gradcheck(func: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check ``func``'s gradients against finite differences (PyTorch's signature/defaults).

    Inputs that require grad should be float64 for the default tolerances to be meaningful.
    """
    inputs = _as_tuple(inputs)
    numeric = numeric_jacobian(func, inputs, eps)
    analytic = analytic_jacobian(func, inputs)
    msg = _compare(numeric, analytic, inputs, eps, atol, rtol, "first order")
    if msg is None and check_grad_dtypes:
        pass
    if msg is not None:
        if raise_exception:
            raise GradcheckError(msg)
        return False
    return True


def gradgradcheck(func: Callable, inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, nondet_tol: float = 0.0,
                  check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
                  check_batched_grad: bool = False, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True, fast_mode: bool = False,
                  masked: bool = False) -> bool:
    """Check second derivatives: gradcheck of ``v -> grad(func(x), x, v)``."""
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        grad_outputs = tuple(randn(o._data.shape, dtype=o.dtype, device=o._backend)
                             .requires_grad_(True) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grads(*args: Any) -> tuple:
        xs, gos = args[:n_in], args[n_in:]
        os_ = _outputs(func, xs)
        diff = [x for x in xs if isinstance(x, Tensor) and x._rg]
        gs = autograd_grad(list(os_), diff, list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
