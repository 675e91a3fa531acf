"""Reductions: sum, mean, prod, var, std, max/min (with indices), amax/amin, argmax/argmin,
logsumexp, norm, cumsum."""
from __future__ import annotations

import builtins
import weakref
from typing import Any

from ..autograd.grad_mode import _State
from ..autograd.node import record
from ..dispatch import run
from ..dtypes import bool_, get_default_dtype, int64
from ..shapes import check_keepdim, int_arg, norm_axes
from ..tensor import Tensor, wrap
from .elementwise import where
from .fusion import use_fused


def sum(a: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Sum over ``dim`` (all dims by default). Integer and bool sums give int64."""
    if keepdim.__class__ is not bool:
        check_keepdim("sum", keepdim)
    if dtype is not None:
        a = a.to(dtype)
    be = a._backend
    axes = norm_axes(dim, len(a._data.shape), "sum")
    out = wrap(run("sum", be, a._data, axes, keepdim), be)
    if _State.enabled and a._rg:
        record(out, "sum", (a,), (axes, keepdim))
    if dtype is not None and not a.dtype.is_floating_point and out.dtype is not a.dtype:
        out = out.to(a.dtype)  # sum(dtype=int32 / bool) keeps that dtype, as PyTorch
    return out


def mean(a: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Arithmetic mean over ``dim``."""
    if keepdim.__class__ is not bool:
        check_keepdim("mean", keepdim)
    if dtype is not None:
        a = a.to(dtype)
    if not a.dtype.is_floating_point:
        raise RuntimeError(
            f"mean(): could not infer output dtype. Input dtype must be either a floating point "
            f"or complex dtype. Got: {a.dtype.name}")
    shape = a._data.shape
    axes = norm_axes(dim, len(shape), "mean")
    n = 1
    for ax in axes:
        n *= shape[ax]
    scale = 1.0 / n if n else float("nan")
    be = a._backend
    out = wrap(run("mul", be, run("sum", be, a._data, axes, keepdim), scale), be)
    if _State.enabled and a._rg:
        record(out, "mean", (a,), (axes, keepdim, scale))
    return out


def var(a: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Variance with Bessel's correction by default (``correction=1``)."""
    if keepdim.__class__ is not bool:
        check_keepdim("var", keepdim)
    if correction is None:
        correction = 1 if unbiased is None or unbiased else 0
    shape = a._data.shape
    axes = norm_axes(dim, len(shape), "var")
    n = 1
    for ax in axes:
        n *= shape[ax]
    d = a - mean(a, axes, keepdim=True)
    return sum(d * d, axes, keepdim) / builtins.max(n - correction, 0)


def std(a: Tensor, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *,
        correction: Any = None) -> Tensor:
    """Standard deviation (square root of :func:`var`)."""
    return _sqrt_zero_grad(var(a, dim, unbiased, keepdim, correction=correction))


def _sqrt_zero_grad(s: Tensor) -> Tensor:
    """``sqrt(s)`` whose gradient at ``s == 0`` is 0 (PyTorch's subgradient), not NaN."""
    nz = s != 0
    return where(nz, where(nz, s, 1.0).sqrt(), 0.0)


def prod(a: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:
    """Product over ``dim``."""
    if keepdim.__class__ is not bool:
        check_keepdim("prod", keepdim)
    if dtype is not None:
        a = a.to(dtype)
    be = a._backend
    axes = norm_axes(dim, len(a._data.shape), "prod")
    out = wrap(run("prod", be, a._data, axes, keepdim), be)
    if dtype is not None and out.dtype is not a.dtype:  # prod(dtype=bool) stays bool
        out = out.to(a.dtype)
    if _State.enabled and a._rg:
        record(out, "prod", (a,), (axes, keepdim), ((a, a._version),))
    return out


def _all_dims_of_empty(name: str, a: Tensor, dim: Any) -> None:
    """PyTorch's RuntimeError for a max/min over every dim of an empty tensor."""
    if (dim is None or (isinstance(dim, (tuple, list)) and not dim)) and a.numel() == 0:
        raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() "
                           f"== 0. Specify the reduction dim with the 'dim' argument.")


def _amaxmin(name: str):
    def op(a: Tensor, dim: Any = (), keepdim: bool = False) -> Tensor:
        if keepdim.__class__ is not bool:
            check_keepdim(name, keepdim)
        _all_dims_of_empty(name, a, dim)
        be = a._backend
        shape = a._data.shape
        axes = norm_axes(dim, len(shape), name)
        for ax in axes:
            if shape[ax] == 0:
                raise IndexError(f"{name}(): Expected reduction dim {ax} to have non-zero size.")
        if not axes and shape:
            return a.clone() if a._rg else a
        out = wrap(run(name[1:], be, a._data, axes, keepdim), be)
        if _State.enabled and a._rg:
            record(out, name, (a,), (axes, keepdim, weakref.ref(out)),
                   ((a, a._version),))
        return out

    op.__name__ = name
    return op


amax = _amaxmin("amax")
amin = _amaxmin("amin")


class _MaxResult(tuple):
    """``(values, indices)`` with ``.values`` and ``.indices``, like torch.return_types."""

    @property
    def values(self) -> Tensor:
        return self[0]

    @property
    def indices(self) -> Tensor:
        return self[1]


def _max_dim(a: Tensor, dim: int, keepdim: bool, is_max: bool):
    _single_dim("max" if is_max else "min", dim)
    if keepdim.__class__ is not bool:
        check_keepdim("max" if is_max else "min", keepdim)
    if not a._data.shape:  # a 0-d tensor: itself, at index 0 (dim -1 or 0)
        norm_axes(dim, 0)
        return _MaxResult((a.clone(), wrap(a._backend.full((), 0, int64), a._backend)))
    (ax,) = norm_axes(dim, len(a._data.shape)) or (0,)
    idx = (argmax if is_max else argmin)(a, ax, keepdim=True)
    values = a.gather(ax, idx)
    if not keepdim:
        values = values.squeeze(ax)
        idx = idx.squeeze(ax)
    return _MaxResult((values, idx))


def max(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """Maximum of all elements, ``(values, indices)`` along ``dim``, or elementwise with a tensor."""
    if isinstance(dim, Tensor):
        return a.maximum(dim)
    if dim is None:
        _all_dims_of_empty("max", a, dim)
        return amax(a)
    return _max_dim(a, dim, keepdim, True)


def min(a: Tensor, dim: Any = None, keepdim: bool = False) -> Any:
    """Minimum of all elements, ``(values, indices)`` along ``dim``, or elementwise with a tensor."""
    if isinstance(dim, Tensor):
        return a.minimum(dim)
    if dim is None:
        _all_dims_of_empty("min", a, dim)
        return amin(a)
    return _max_dim(a, dim, keepdim, False)


def _single_dim(name: str, dim: Any) -> None:
    if dim.__class__ is not int:
        int_arg(name, "dim", dim)  # PyTorch's TypeError for a tuple, float, str, bool


def _arg(name: str):
    def op(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
        if a.dtype is bool_:
            raise RuntimeError(f"{name}(): does not support bool input")
        if keepdim.__class__ is not bool:
            check_keepdim(name, keepdim)
        be = a._backend
        if dim is None:
            flat = a.reshape(-1)
            if flat._data.shape[0] == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            out = wrap(run(name, be, flat._data, 0, False), be)
            return out.reshape([1] * len(a._data.shape)) if keepdim else out
        _single_dim(name, dim)
        (ax,) = norm_axes(dim, len(a._data.shape)) or (0,)
        if not a._data.shape:
            return wrap(be.full((), 0, _int64()), be)
        if a._data.shape[ax] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {ax} to have non-zero size.")
        return wrap(run(name, be, a._data, ax, keepdim), be)

    op.__name__ = name
    return op


def _int64():
    return int64


argmax = _arg("argmax")
argmin = _arg("argmin")


def logsumexp(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """``log(sum(exp(a)))`` over ``dim``, computed stably (fused kernel when available)."""
    if keepdim.__class__ is not bool:
        check_keepdim("logsumexp", keepdim)
    if not a.dtype.is_floating_point:
        a = a.to(get_default_dtype())
    be = a._backend
    axes = norm_axes(dim, len(a._data.shape))
    if not a.numel():  # an empty sum: log(0) = -inf, as PyTorch (no max of nothing)
        return a.exp().sum(axes, keepdim).log()
    if use_fused(be, "logsumexp"):
        out = wrap(run("logsumexp", be, a._data, axes, keepdim), be)
        if _State.enabled and a._rg:
            record(out, "logsumexp", (a,), (axes, keepdim, weakref.ref(out)),
                   ((a, a._version),))
        return out
    m = amax(a.detach(), axes, keepdim=True)
    m = where(m.isinf(), 0.0, m)
    out = (a - m).exp().sum(axes, keepdim=True).log() + m
    return out if keepdim else out.reshape(tuple(n for i, n in enumerate(a._data.shape) if i not in axes))


def norm(a: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:
    """Vector p-norm over ``dim`` (2 / 'fro' by default; 1, inf, -inf, any p > 0)."""
    if isinstance(p, str) and p not in ("fro", "nuc"):
        raise RuntimeError(f"linalg.vector_norm: Order {p} not supported.")
    if p in ("fro", 2, 2.0, None):
        return _sqrt_zero_grad((a * a).sum(dim, keepdim))
    if p == 1:
        return a.abs().sum(dim, keepdim)
    if p == float("inf"):
        return amax(a.abs(), dim if dim is not None else (), keepdim)
    if p == float("-inf"):
        return amin(a.abs(), dim if dim is not None else (), keepdim)
    if p == 0:
        return (a != 0).to(a.dtype).sum(dim, keepdim)
    s = (a.abs() ** p).sum(dim, keepdim)
    nz = s != 0
    return where(nz, where(nz, s, 1.0) ** (1.0 / p), 0.0)  # gradient 0, not NaN, at 0


def cumsum(a: Tensor, dim: int, *, dtype: Any = None) -> Tensor:
    """Inclusive cumulative sum along ``dim``."""
    if dtype is not None:
        a = a.to(dtype)
    be = a._backend
    _single_dim("cumsum", dim)
    (ax,) = norm_axes(dim, len(a._data.shape)) or (0,)
    if not a._data.shape:
        return a.clone()
    out = wrap(run("cumsum", be, a._data, ax), be)
    if _State.enabled and a._rg:
        record(out, "cumsum", (a,), ax)
    return out


def all(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where every element (over ``dim``) is nonzero."""
    if keepdim.__class__ is not bool:
        check_keepdim("all", keepdim)
    if isinstance(dim, (tuple, list)) and not dim:  # no dims: nothing reduced, as PyTorch
        return a != 0
    if not a.numel():  # an empty reduction is True, in the shape of the reduced dims
        return sum(a == 0, dim, keepdim) == 0
    return amin(a.to(bool_).to(_int64()), dim if dim is not None else (), keepdim).to(bool_)


def any(a: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:
    """True where some element (over ``dim``) is nonzero."""
    if keepdim.__class__ is not bool:
        check_keepdim("any", keepdim)
    if isinstance(dim, (tuple, list)) and not dim:
        return a != 0
    if not a.numel():  # an empty reduction is False, in the shape of the reduced dims
        return sum(a != 0, dim, keepdim) > 0
    return amax(a.to(bool_).to(_int64()), dim if dim is not None else (), keepdim).to(bool_)
