"""Views that pick elements by a fixed pattern of offsets: ``diagonal`` and ``unfold``.

Each is a ``permute`` that brings the affected dimensions last, then a ``take`` view step:
an integer-array index over those last dimensions (a gather on every backend, whose
backward accumulates, and whose write-back is an ``index_put``), then for ``unfold`` a
``permute`` that puts the window count back in place. The ``take`` step also carries the
pattern, from which :func:`~xgrad.ops.views.layout` derives PyTorch's strides and offset.
"""
from __future__ import annotations

import numpy as np

from ..autograd.grad_mode import _State
from ..autograd.node import record
from ..dispatch import run
from ..dtypes import int64
from ..shapes import wrap_dim
from ..tensor import Tensor, wrap
from .shape import permute, reshape
from .views import mark_view

__all__ = ["diagonal", "unfold"]


def _take(a: Tensor, idx: tuple, meta: tuple) -> Tensor:
    be = a._backend
    native = tuple(i if i is Ellipsis else be.from_numpy(i, int64) for i in idx)
    out = wrap(run("getitem", be, a._data, native), be)
    if _State.enabled and a._rg:
        record(out, "index", (a,), (native, False))
    return mark_view(a, out, ("take", native, meta))


def diagonal(a: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:
    """The diagonal of ``a`` over ``dim1`` and ``dim2`` (a view): those dimensions are
    removed and a last dimension holds the diagonal; ``offset`` > 0 is above the main
    diagonal, < 0 below it."""
    nd = a.ndim
    d1, d2 = wrap_dim(dim1, nd), wrap_dim(dim2, nd)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    offset = int(offset)
    rows, cols = a.shape[d1], a.shape[d2]
    if offset >= 0:
        n = max(0, min(rows, cols - offset))
        r = np.arange(n, dtype=np.int64)
        c = r + offset
    else:
        n = max(0, min(rows + offset, cols))
        c = np.arange(n, dtype=np.int64)
        r = c - offset
    rest = [d for d in range(nd) if d not in (d1, d2)]
    t = permute(a, rest + [d1, d2])
    return _take(t, (Ellipsis, r, c), ("diagonal", offset, n))


def unfold(a: Tensor, dimension: int, size: int, step: int) -> Tensor:
    """All windows of ``size`` elements along ``dimension``, ``step`` apart (a view): that
    dimension becomes the window count and a last dimension of ``size`` holds each window."""
    nd = a.ndim
    if nd == 0:
        wrap_dim(dimension, 1)
        if size > 1:
            raise RuntimeError(f"maximum size for tensor at dimension 0 is 1 but size is {size}")
        if step <= 0:
            raise RuntimeError(f"step is {step} but must be > 0")
        return reshape(a, 1)
    d = wrap_dim(dimension, nd)
    length = a.shape[d]
    if size < 0:
        raise RuntimeError(f"size is {size} but must be >= 0")
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is "
                           f"{size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    n = (length - size) // step + 1
    windows = (np.arange(n, dtype=np.int64) * step)[:, None] + np.arange(size, dtype=np.int64)
    rest = [k for k in range(nd) if k != d]
    t = permute(a, rest + [d])
    out = _take(t, (Ellipsis, windows), ("unfold", size, step, n))
    return permute(out, list(range(d)) + [nd - 1] + list(range(d, nd - 1)) + [nd])
