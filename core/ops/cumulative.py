"""Cumulative ops and differences: cummax, cummin, logcumsumexp, diff.

All are decompositions: ``cummax``/``cummin`` find their indices with a log-depth
(Hillis-Steele) scan and gather the values, so the gradient flows to the selected elements
as in PyTorch; ``logcumsumexp`` scans with a stable ``logaddexp``; ``diff`` is slices and a
subtraction.
"""
from __future__ import annotations

from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import arange
from ..dtypes import bool_, int64
from ..shapes import int_arg, wrap_dim
from ..tensor import Tensor
from .elementwise import where
from .reduce import _MaxResult
from .shape import cat

__all__ = ["cummax", "cummin", "logcumsumexp", "diff"]


def _scan(x: Tensor, dim: int, combine: Any) -> Any:
    """Inclusive scan along ``dim``: ``combine(earlier, later)`` over pytrees of tensors."""
    n = x[0].shape[dim] if isinstance(x, tuple) else x.shape[dim]
    step = 1
    while step < n:
        if isinstance(x, tuple):
            head = tuple(t.narrow(dim, 0, step) for t in x)
            prev = tuple(t.narrow(dim, 0, n - step) for t in x)
            cur = tuple(t.narrow(dim, step, n - step) for t in x)
            new = combine(prev, cur)
            x = tuple(cat([h, c], dim) for h, c in zip(head, new))
        else:
            new = combine(x.narrow(dim, 0, n - step), x.narrow(dim, step, n - step))
            x = cat([x.narrow(dim, 0, step), new], dim)
        step *= 2
    return x


def _cum_extreme(name: str, is_max: bool):
    def op(input: Tensor, dim: int) -> _MaxResult:
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        if input.ndim == 0:
            return _MaxResult((input.clone(), arange(1, dtype=int64,
                                                     device=input.device).reshape(())))
        d = wrap_dim(dim, input.ndim)
        with no_grad():
            v = input.detach()
            shape = [1] * v.ndim
            shape[d] = v.shape[d]
            idx = arange(v.shape[d], dtype=int64, device=v.device).reshape(shape)
            idx = idx.expand(tuple(v.shape))
            floating = v.dtype.is_floating_point

            def combine(prev, cur):
                pv, pi = prev
                cv, ci = cur
                better = (cv >= pv) if is_max else (cv <= pv)
                if floating:  # NaN wins and then stays
                    better = cv.isnan() | (better & ~pv.isnan())
                return where(better, cv, pv), where(better, ci, pi)

            if v.shape[d]:
                _, idx = _scan((v, idx), d, combine)
        values = input.gather(d, idx) if v.shape[d] else input.clone()
        return _MaxResult((values, idx))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = (f"``(values, indices)``: the running {'maximum' if is_max else 'minimum'} "
                  f"of ``input`` along ``dim`` and where it was found (the last position at "
                  f"ties; NaN propagates, the latest NaN wins). Values are differentiable: "
                  f"the gradient goes to the selected elements.")
    return op


cummax = _cum_extreme("cummax", True)
cummin = _cum_extreme("cummin", False)


def _logaddexp(a: Tensor, b: Tensor) -> Tensor:
    m = a.maximum(b)
    finite = m.isfinite()
    ms = where(finite, m, 0.0).detach()
    out = ((a - ms).exp() + (b - ms).exp()).log() + ms
    return where(finite, out, m)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:
    """``log(cumsum(exp(input), dim))``, computed stably (a scan of ``logaddexp``)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"logcumsumexp(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if dim.__class__ is not int:
        int_arg("logcumsumexp", "dim", dim)  # the dim's TypeError before the dtype's
    if not input.dtype.is_floating_point:
        raise NotImplementedError(f"\"logcumsumexp_out_cpu\" not implemented for "
                           f"'{_TORCH.get(input.dtype.name, input.dtype.name)}'")
    if input.ndim == 0:
        return input.clone()
    d = wrap_dim(dim, input.ndim)
    if input.shape[d] == 0:
        return input.clone()
    return _scan(input, d, _logaddexp)


_TORCH = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
          "bool": "Bool"}


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``prepend``/``append`` joined first;
    bool tensors give ``!=`` of neighbours)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"diff(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    for name, v in (("n", n), ("dim", dim)):
        if v.__class__ is not int:
            int_arg("diff", name, v)
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    if n < 0:
        raise RuntimeError(f"order must be non-negative but got {n}")
    d = wrap_dim(dim, input.ndim)
    parts = []
    for extra in (prepend, input, append):
        if extra is None:
            continue
        if not isinstance(extra, Tensor):
            raise TypeError(f"diff(): argument 'prepend'/'append' must be Tensor, not "
                            f"{type(extra).__name__}")
        if extra.ndim == 0:
            shape = list(input.shape)
            shape[d] = 1
            extra = extra.expand(tuple(shape))
        parts.append(extra)
    x = cat(parts, d) if len(parts) > 1 else input
    for _ in range(n):
        m = x.shape[d]
        if m == 0:
            break
        hi, lo = x.narrow(d, 1, m - 1), x.narrow(d, 0, m - 1)
        x = (hi != lo) if x.dtype is bool_ else hi - lo
    return x

