"""Order statistics: kthvalue, median, mode, quantile, nanquantile.

Decompositions into ``sort`` (stable), comparisons and ``gather``: the values are
differentiable and their gradient goes to the selected elements (quantile's interpolation
splits it between the two neighbours), as in PyTorch. At ties the returned index is one of
the tied positions (PyTorch's own choice there is an implementation detail of its
selection algorithm); ``mode`` returns the last position of the modal value, as PyTorch.
A NaN in a slice makes its median and quantiles NaN.
"""
from __future__ import annotations

import math
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import arange, full, tensor
from ..dtypes import bool_, int64
from ..shapes import check_keepdim, int_arg, wrap_dim
from ..tensor import Tensor
from .elementwise import where
from .reduce import _MaxResult
from .shape import stack
from .sorting import sort

__all__ = ["kthvalue", "median", "nanmedian", "mode", "quantile", "nanquantile"]


def _check_tensor(fn: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(x).__name__}")


def _select(a: Tensor, d: int, pos: int, keepdim: bool) -> _MaxResult:
    """The element of rank ``pos`` (0-based, ascending) along ``d`` and its index."""
    with no_grad():
        _, perm = sort(a.detach(), d)
        idx = perm.narrow(d, pos, 1)
        if a.dtype.is_floating_point:
            nan = a.detach().isnan()
            has_nan = nan.any(d, keepdim=True)
            first_nan = nan.to(int64).argmax(d, keepdim=True)
            idx = where(has_nan, first_nan, idx)
    values = a.gather(d, idx)
    if not keepdim:
        values, idx = values.squeeze(d), idx.squeeze(d)
    return _MaxResult((values, idx))


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> _MaxResult:
    """``(values, indices)`` of the ``k``-th smallest element (1-based) along ``dim``."""
    _check_tensor("kthvalue", input)
    a = input.reshape(1) if input.ndim == 0 else input
    d = wrap_dim(dim, input.ndim)
    n = a.shape[d]
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {d}")
    out = _select(a, d, k - 1, keepdim and input.ndim > 0)
    if input.ndim == 0:
        return _MaxResult((out[0].reshape(()), out[1].reshape(())))
    return out


def median(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median: over all elements (a 0-d tensor) when ``dim`` is None, else
    ``(values, indices)`` along ``dim``; NaN when the slice holds a NaN."""
    _check_tensor("median", input)
    if keepdim.__class__ is not bool:
        check_keepdim("median", keepdim)
    if dim is not None:
        wrap_dim(dim, input.ndim, "median")  # the dim's errors before the dtype's
    if input.dtype is bool_:
        raise NotImplementedError("\"median_cpu\" not implemented for 'Bool'")
    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0] == 0:
            return full((), math.nan, dtype=input.dtype, device=input.device)
        return _select(flat, 0, (flat.shape[0] - 1) // 2, False)[0]
    a = input.reshape(1) if input.ndim == 0 else input
    d = wrap_dim(dim, input.ndim)
    n = a.shape[d]
    if n == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    out = _select(a, d, (n - 1) // 2, keepdim and input.ndim > 0)
    if input.ndim == 0:
        return _MaxResult((out[0].reshape(()), out[1].reshape(())))
    return out


def nanmedian(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """The lower median of the elements that are not NaN (NaN where all are): over all
    elements when ``dim`` is None, else ``(values, indices)`` along ``dim``."""
    _check_tensor("nanmedian", input)
    if keepdim.__class__ is not bool:
        check_keepdim("nanmedian", keepdim)
    if dim is not None:
        wrap_dim(dim, input.ndim, "nanmedian")
    if input.dtype is bool_:
        raise NotImplementedError("\"nanmedian_cpu\" not implemented for 'Bool'")
    if not input.dtype.is_floating_point:
        return median(input, dim, keepdim)
    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0] == 0:
            return full((), math.nan, dtype=input.dtype, device=input.device)
        return nanmedian(flat, 0)[0]
    a = input.reshape(1) if input.ndim == 0 else input
    d = wrap_dim(dim, input.ndim)
    n = a.shape[d]
    if n == 0:
        raise IndexError(f"median(): Expected reduction dim {d} to have non-zero size.")
    with no_grad():
        _, perm = sort(a.detach(), d)  # NaN sorts last
        count = a.detach().isnan().logical_not().to(int64).sum(d, keepdim=True)
        pos = where(count > 0, (count - 1) // 2, (n - 1) // 2)
        idx = perm.gather(d, pos)
    values = a.gather(d, idx)
    if not keepdim or input.ndim == 0:
        values, idx = values.squeeze(d), idx.squeeze(d)
    if input.ndim == 0:
        return _MaxResult((values.reshape(()), idx.reshape(())))
    return _MaxResult((values, idx))


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> _MaxResult:
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and the last position where it occurs."""
    _check_tensor("mode", input)
    a = input.reshape(1) if input.ndim == 0 else input
    d = wrap_dim(dim, input.ndim)
    n = a.shape[d]
    if n == 0:
        raise IndexError(f"mode(): Expected reduction dim {d} to have non-zero size.")
    with no_grad():
        x = a.detach().transpose(d, -1)
        counts = (x.unsqueeze(-1) == x.unsqueeze(-2)).to(int64).sum(-1)  # (..., n)
        best = counts == counts.amax(-1, keepdim=True)
        big = math.inf if x.dtype.is_floating_point else None
        if big is None:
            cand = where(best, x, x.amax(-1, keepdim=True))
        else:
            cand = where(best, x, big)
        value = cand.amin(-1, keepdim=True)
        pos = arange(n, dtype=int64, device=x.device)
        idx = where(x == value, pos, -1).amax(-1, keepdim=True)
        idx = idx.transpose(d, -1)
    values = a.gather(d, idx)
    if not keepdim or input.ndim == 0:
        values, idx = values.squeeze(d), idx.squeeze(d)
    if input.ndim == 0:
        values, idx = values.reshape(()), idx.reshape(())
    return _MaxResult((values, idx))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(fn: str, input: Tensor, q: Any, dim: Any, keepdim: bool, interpolation: str,
              ignore_nan: bool) -> Tensor:
    _check_tensor(fn, input)
    if not isinstance(q, (Tensor, int, float)) or isinstance(q, bool):
        raise TypeError(f"{fn}() received an invalid combination of arguments: 'q' must be a "
                        f"float or a Tensor, not {type(q).__name__}")
    if dim is not None and dim.__class__ is not int:
        int_arg(fn, "dim", dim)  # the dim's TypeError before the dtype's, as PyTorch
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"{fn}() input tensor must be either float or double dtype")
    if interpolation not in _INTERPOLATIONS:
        raise RuntimeError(f"{fn}() interpolation must be one of linear, lower, higher, "
                           f"midpoint or nearest, but got {interpolation}")
    if not isinstance(q, (Tensor, int, float)) or isinstance(q, bool):
        raise TypeError(f"{fn}() received an invalid combination of arguments: 'q' must be a "
                        f"float or a Tensor, not {type(q).__name__}")
    scalar_q = not isinstance(q, Tensor)
    qt = tensor([float(q)], dtype=input.dtype, device=input.device) if scalar_q else q
    if qt.ndim > 1:
        raise RuntimeError(f"{fn}() q must be a scalar or 1D tensor")
    if qt.dtype is not input.dtype:
        raise RuntimeError(f"{fn}() q tensor must be same dtype as the input tensor")
    if input.numel() == 0:
        raise RuntimeError(f"{fn}() input tensor must be non-empty")
    qs = [float(v) for v in qt.detach().reshape(-1).tolist()]
    for v in qs:
        if not 0 <= v <= 1:
            shown = v if scalar_q else qt
            raise RuntimeError(f"{fn}() q must be in the range [0, 1] but got {shown}"
                               if scalar_q else f"{fn}() q values must be in the range [0, 1]")
    if dim is None:
        a, d = input.reshape(-1), 0
    else:
        d = wrap_dim(dim, input.ndim)
        a = input.reshape(1) if input.ndim == 0 else input
    x = a.transpose(d, -1) if a.ndim > 1 else a
    n = x.shape[-1]
    sv = sort(x, -1)[0]
    with no_grad():
        nan = x.detach().isnan()
        if ignore_nan:
            count = n - nan.to(int64).sum(-1, keepdim=True)  # NaNs sort last
        else:
            count = None
    outs = []
    for v in qs:
        if count is None:
            pos = v * (n - 1)
            lo_i, hi_i = math.floor(pos), math.ceil(pos)
            lo = sv.narrow(-1, lo_i, 1)
            hi = sv.narrow(-1, hi_i, 1)
            w = pos - lo_i
            near = round(pos)
            near_v = sv.narrow(-1, near, 1)
        else:
            with no_grad():
                posf = (count - 1).clamp(min=0).to(input.dtype) * v
                lo_t = posf.floor().to(int64)
                hi_t = -((-posf).floor()).to(int64)
                w_t = posf - lo_t.to(input.dtype)
                near_t = _round_half_even(posf).to(int64)
            lo, hi, near_v = sv.gather(-1, lo_t), sv.gather(-1, hi_t), sv.gather(-1, near_t)
            w = w_t
        if interpolation == "linear":
            r = lo + (hi - lo) * w
        elif interpolation == "lower":
            r = lo
        elif interpolation == "higher":
            r = hi
        elif interpolation == "midpoint":
            r = (lo + hi) * 0.5
        else:
            r = near_v
        if ignore_nan:
            r = where(count == 0, math.nan, r)
        else:
            r = where(nan.any(-1, keepdim=True), math.nan, r)
        outs.append(r)
    out = stack(outs, 0)  # (Q, ..., 1)
    if a.ndim > 1:
        out = out.transpose(d + 1, -1)
    if dim is None:
        out = out.reshape((len(qs),) + ((1,) * input.ndim if keepdim else ()))
    elif not keepdim or input.ndim == 0:
        out = out.squeeze(d + 1)
    if scalar_q or qt.ndim == 0:
        out = out.squeeze(0)
    return out


def _round_half_even(x: Tensor) -> Tensor:
    f = x.floor()
    frac = x - f
    odd = (f - 2 * (f * 0.5).floor()) != 0
    up = (frac > 0.5) | ((frac == 0.5) & odd)
    return where(up, f + 1, f)


def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles (a number or a 1-D tensor in [0, 1]) over ``dim`` (all elements
    when None), interpolating between neighbouring order statistics by ``interpolation``:
    ``linear``, ``lower``, ``higher``, ``midpoint`` or ``nearest``; ``q``'s dim comes first."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Tensor:
    """:func:`quantile` ignoring NaNs (NaN only where a slice is all NaN)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)
