"""sort, argsort, topk (values differentiable)."""
from __future__ import annotations

from ..autograd.grad_mode import _State
from ..autograd.node import record
from ..dispatch import run
from ..dtypes import int64
from ..shapes import norm_axes, wrap_dim
from ..tensor import Tensor, wrap
from .reduce import _MaxResult


def sort(a: Tensor, dim: int = -1, descending: bool = False, stable: bool = True) -> _MaxResult:
    """``(values, indices)`` sorted along ``dim`` (stable)."""
    be = a._backend
    wrap_dim(dim, len(a._data.shape), "sort")  # PyTorch's TypeError / IndexError for a bad dim
    if not a._data.shape:
        return _MaxResult((a.clone(), wrap(be.full((), 0, int64), be)))
    (ax,) = norm_axes(dim, len(a._data.shape))
    v, i = run("sort", be, a._data, ax, descending)
    values, idx = wrap(v, be), wrap(i, be)
    if _State.enabled and a._rg:
        record(values, "sort", (a,), (ax, idx))
    return _MaxResult((values, idx))


def argsort(a: Tensor, dim: int = -1, descending: bool = False, stable: bool = True) -> Tensor:
    """Indices that sort ``a`` along ``dim``."""
    return sort(a.detach(), dim, descending)[1]


def topk(a: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> _MaxResult:
    """The ``k`` largest (or smallest) elements along ``dim``: ``(values, indices)``."""
    if not a._data.shape:  # a 0-d tensor: k 0 or 1 gives the element itself, as PyTorch
        wrap_dim(dim, 0, "topk")
        if k not in (0, 1):
            raise RuntimeError(f"selected index k out of range (k={k}, 0-d input)")
        return sort(a, dim, descending=largest)
    n = a.shape[dim]
    if not 0 <= k <= n:
        raise RuntimeError(f"selected index k out of range (k={k}, size of dim {dim} is {n})")
    values, idx = sort(a, dim, descending=largest)
    return _MaxResult((values.narrow(dim, 0, k), idx.narrow(dim, 0, k)))
