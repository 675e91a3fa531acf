"""``scatter_reduce`` (sum, prod, mean, amax, amin; with or without ``self``'s values) as a
decomposition: a one-hot match of ``index`` against the target positions, reduced along
``dim``. Its gradient comes from the decomposition (``amax``/``amin`` split ties equally
between the tied values, which at a tie with ``self`` gives ``self`` half, where PyTorch gives
every tied value an equal share)."""
from __future__ import annotations

import math
from typing import Any

from ..dtypes import int64
from ..shapes import wrap_dim
from ..tensor import Tensor
from ..typeinfo import iinfo
from . import elementwise as E
from .indexing import getitem

__all__ = ["scatter_reduce"]

_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def _check(input: Tensor, d: int, index: Tensor, src: Tensor, reduce: str) -> None:  # noqa: A002
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    if index.dtype.is_floating_point or index.dtype.name == "bool":
        raise RuntimeError("scatter(): Expected dtype int32/int64 for index")
    if src.dtype != input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    if not (index.ndim == input.ndim == src.ndim) and index.numel():
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    for i in range(index.ndim):
        if index.shape[i] > src.shape[i] or (i != d and index.shape[i] > input.shape[i]):
            raise RuntimeError(
                f"Expected index {list(index.shape)} to be no larger than self "
                f"{list(input.shape)} apart from dimension {d} and to be no larger size than "
                f"src {list(src.shape)}")
    n = input.shape[d] if input.ndim else 1
    for v in index.reshape(-1).tolist():
        if not -n <= v < n:
            raise RuntimeError(f"index {v} is out of bounds for dimension {d} with size {n}")


def _extreme(dtype: Any, low: bool) -> float:
    if dtype.is_floating_point:
        return -math.inf if low else math.inf
    info = iinfo(dtype)
    return info.min if low else info.max


def scatter_reduce(input: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,  # noqa: A002
                   include_self: bool = True) -> Tensor:
    """A copy of ``input`` where each ``src`` value is reduced (``reduce``: ``'sum'``,
    ``'prod'``, ``'mean'``, ``'amax'`` or ``'amin'``) into the position ``index`` names along
    ``dim``; ``include_self=False`` leaves ``input``'s own values out of the positions that
    receive any."""
    d = wrap_dim(dim, input.ndim)
    _check(input, d, index, src, reduce)
    if index.numel() == 0:
        return input.clone()
    x = input if input.ndim else input.reshape(1)
    idx = (index if index.ndim else index.reshape(1)).to(int64)
    s = src if src.ndim else src.reshape(1)
    k = x.shape[d]
    idx = E.where(idx < 0, idx + k, idx)
    s = getitem(s, tuple(slice(0, n) for n in idx.shape))
    region = tuple(slice(None) if i == d else slice(0, n) for i, n in enumerate(idx.shape))
    base = getitem(x, region)
    positions = x.new_tensor(list(range(k)), dtype=int64)
    match = idx.unsqueeze(-1) == positions  # idx.shape + (k,)
    count = match.to(int64).sum(d).movedim(-1, d)
    hit = count > 0
    vals = s.unsqueeze(-1)
    if reduce in ("sum", "mean"):
        total = E.where(match, vals, 0).sum(d).movedim(-1, d)
        own = base if include_self else E.where(hit, 0, base)
        out = own + total
        if reduce == "mean":
            n = count + 1 if include_self else E.where(hit, count, 1)
            n = n.to(out.dtype) if out.dtype.is_floating_point else n
            out = out / n if out.dtype.is_floating_point else out // n
    elif reduce == "prod":
        own = base if include_self else E.where(hit, 1, base)
        out = own * E.where(match, vals, 1).prod(d).movedim(-1, d)
    else:
        is_max = reduce == "amax"
        filled = E.where(match, vals, _extreme(x.dtype, is_max))
        best = (filled.amax(d) if is_max else filled.amin(d)).movedim(-1, d)
        if include_self:
            out = E.maximum(base, best) if is_max else E.minimum(base, best)
        else:
            out = E.where(hit, best, base)
    out = out.to(x.dtype) if out.dtype != x.dtype else out
    if tuple(out.shape) != tuple(x.shape):
        full = x.clone()
        full[region] = out
        out = full
    return out if input.ndim else out.reshape(())
