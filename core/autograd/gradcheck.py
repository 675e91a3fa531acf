"""Jacobians by finite differences and by reverse mode, their comparison, and the
``gradcheck`` / ``gradgradcheck`` built on them.

The conformance suite uses the same three pieces (:func:`numeric_jacobian`,
:func:`reverse_jacobian`, :func:`jacobian_mismatch`), so a user's ``gradcheck`` and a
backend's conformance run judge gradients the same way and report them in the same words.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np  # host-side finite differences on float64 copies

from ..random import randn
from ..tensor import Tensor, wrap
from .engine import grad as autograd_grad

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError", "numeric_jacobian",
           "reverse_jacobian", "jacobian_mismatch"]

HostFn = Callable[[list], Sequence[np.ndarray]]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` when analytic and numeric gradients disagree."""


def _flat(arrays: Sequence[np.ndarray]) -> np.ndarray:
    parts = [np.asarray(a, dtype=np.float64).reshape(-1) for a in arrays]
    return np.concatenate(parts) if parts else np.zeros(0)


def numeric_jacobian(fn: HostFn, values: list, wrt: Sequence[int], eps: float,
                     dtype: Any = np.float64) -> np.ndarray:
    """Central-difference Jacobian of ``fn`` at ``values``.

    ``fn`` maps a list of host arrays to a sequence of host arrays; the result has one row
    per element of ``fn``'s outputs (concatenated) and one column per element of each
    ``values[j]`` for ``j`` in ``wrt``. Each shifted input is rounded to ``dtype`` (one
    dtype, or a dict from input position to dtype) and the
    quotient uses the step that rounding actually left, so a float32 input is not
    differentiated with a step it cannot hold.
    """
    cols = []
    for j in wrt:
        rounding = dtype[j] if isinstance(dtype, dict) else dtype
        base = np.asarray(values[j], dtype=np.float64)
        for e in range(base.size):
            sides = []
            for sign in (1.0, -1.0):
                x = base.copy()
                x.reshape(-1)[e] += sign * eps
                x = x.astype(rounding).astype(np.float64)
                args = list(values)
                args[j] = x
                sides.append((x.reshape(-1)[e], _flat(fn(args))))
            (xp, yp), (xm, ym) = sides
            cols.append((yp - ym) / (xp - xm))
    if cols:
        return np.stack(cols, axis=1)
    return np.zeros((_flat(fn(list(values))).size, 0))


def reverse_jacobian(outputs: Sequence[Tensor], inputs: Sequence[Tensor]) -> np.ndarray:
    """Jacobian of ``outputs`` (rows, concatenated) with respect to ``inputs`` (columns) by
    one backward pass per output element over the graph already recorded. Outputs that do
    not require grad, and inputs a pass does not reach, give zeros."""
    diff = [o for o in outputs if o.requires_grad]
    n_in = sum(x.numel() for x in inputs)
    rows = []
    for o in outputs:
        if not o.requires_grad:
            rows.extend(np.zeros(n_in) for _ in range(o.numel()))
            continue
        for r in range(o.numel()):
            cotangents = []
            for oo in diff:
                v = np.zeros(oo.numel(), dtype=np.dtype(oo.dtype.name))
                if oo is o:
                    v[r] = 1
                cotangents.append(wrap(oo._backend.from_numpy(v.reshape(tuple(oo.shape)),
                                                              oo.dtype), oo._backend))
            grads = autograd_grad(diff, list(inputs), cotangents, retain_graph=True,
                                  allow_unused=True)
            rows.append(_flat([np.zeros(x.numel()) if g is None else g.numpy()
                               for g, x in zip(grads, inputs)]))
    return np.stack(rows) if rows else np.zeros((0, n_in))


def jacobian_mismatch(numeric: np.ndarray, analytic: np.ndarray, *, rtol: float,
                      atol: float, columns: Sequence[tuple[int, int]] | None = None,
                      limit: int = 10) -> str | None:
    """``None`` when the two Jacobians agree within ``rtol``/``atol``; otherwise a report
    listing up to ``limit`` differing entries as ``d out[r] / d input{j}[e]`` with both
    values. ``columns[c]`` names column ``c`` as ``(input position, element)``."""
    if numeric.shape != analytic.shape:
        return f"Jacobian shapes differ: numeric {numeric.shape}, analytic {analytic.shape}"
    bad = ~np.isclose(analytic, numeric, rtol=rtol, atol=atol, equal_nan=True)
    if not bad.any():
        return None
    rows = []
    for r, c in list(zip(*np.nonzero(bad)))[:limit]:
        j, e = columns[c] if columns is not None else (0, c)
        rows.append(f"    d out[{r}] / d input{j}[{e}]: numeric {numeric[r, c]:.8g}  analytic "
                    f"{analytic[r, c]:.8g}  diff {abs(numeric[r, c] - analytic[r, c]):.3g}")
    return (f"Jacobian mismatch in {int(bad.sum())} of {bad.size} entries (rtol={rtol}, "
            f"atol={atol}):\n" + "\n".join(rows))


def _as_tuple(x: Any) -> tuple:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs(func: Callable, inputs: tuple) -> tuple:
    return tuple(o for o in _as_tuple(func(*inputs)) if isinstance(o, Tensor))


def _differentiable(inputs: tuple) -> list[int]:
    return [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def gradcheck(func: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check ``func``'s gradients against finite differences (PyTorch's signature/defaults).

    Inputs that require grad should be float64 for the default tolerances to be meaningful.
    """
    inputs = _as_tuple(inputs)
    wrt = _differentiable(inputs)

    def on_host(values: list) -> list[np.ndarray]:
        # grad mode stays on: gradgradcheck's function itself calls autograd.grad
        args = list(inputs)
        for i in wrt:
            x = inputs[i]
            args[i] = wrap(x._backend.from_numpy(values[i].astype(np.dtype(x.dtype.name)),
                                                 x.dtype), x._backend).requires_grad_(True)
        return [o.numpy() for o in _outputs(func, tuple(args))]

    values = [x.numpy().astype(np.float64) if i in wrt else None for i, x in enumerate(inputs)]
    numeric = numeric_jacobian(on_host, values, wrt, eps,
                               dtype={i: np.dtype(inputs[i].dtype.name) for i in wrt})
    analytic = reverse_jacobian(_outputs(func, inputs), [inputs[i] for i in wrt])
    columns = [(i, e) for i in wrt for e in range(inputs[i].numel())]
    msg = jacobian_mismatch(numeric, analytic, rtol=rtol, atol=atol, columns=columns)
    if msg is None:
        return True
    if raise_exception:
        described = "\n".join(f"  input {i}: shape {list(inputs[i].shape)}, dtype "
                              f"{inputs[i].dtype.name}, device {inputs[i].device}"
                              for i in wrt)
        raise GradcheckError(f"{msg}\n{described}\n  eps={eps}\n  numerical:\n{numeric}\n"
                             f"  analytical:\n{analytic}")
    return False


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
        grad_outputs = tuple(randn(tuple(o.shape), dtype=o.dtype, device=o.device)
                             .requires_grad_(True) for o in outs)
    grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)

    def first_grads(*args: Any) -> tuple:
        xs, gos = args[:n_in], args[n_in:]
        os_ = _outputs(func, xs)
        diff = [x for x in xs if isinstance(x, Tensor) and x.requires_grad]
        gs = autograd_grad(list(os_), diff, list(gos), create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first_grads, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
