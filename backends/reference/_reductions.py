"""The reference backend's reductions: sum, prod, max/min, argmax/argmin, cumsum, sort."""
from __future__ import annotations

import math
from itertools import accumulate

from xgrad.dtypes import float64, int64

from ._array import (
    FIX,
    FIX1,
    RefArray,
    offsets,
    strides_of,
    wrap64,
)
from ._checks import (
    _arr,
    _check_axes,
    _check_axis,
    _desc,
    _err,
)
from ._scalar_math import (
    _NAN,
    _fsum,
    _has_nan,
)


class ReductionOps:
    """The reference backend's reductions: sum, prod, max/min, argmax/argmin, cumsum, sort."""

    # ---- reductions -------------------------------------------------------------------
    def _groups(self, op, x, axes, keepdims):
        """(chunks of reduced values, one per output element; output shape)."""
        _arr(op, x)
        axes = _check_axes(op, axes, x.ndim)
        if not isinstance(keepdims, bool):
            raise _err(TypeError, op, f"keepdims must be a bool, got {_desc(keepdims)}")
        kept = [d for d in range(x.ndim) if d not in axes]
        red = sorted(axes)
        perm = kept + red
        data = x.data
        if perm != list(range(x.ndim)):
            st = strides_of(x.shape)
            data = [data[i] for i in offsets(0, [x.shape[p] for p in perm], [st[p] for p in perm])]
        r = math.prod(x.shape[d] for d in red)
        m = math.prod(x.shape[d] for d in kept)
        if r == 0:
            chunks = [[] for _ in range(m)]
        else:
            chunks = [data[i:i + r] for i in range(0, len(data), r)]
        if keepdims:
            shape = tuple(1 if d in axes else n for d, n in enumerate(x.shape))
        else:
            shape = tuple(x.shape[d] for d in kept)
        return chunks, shape

    def sum(self, x, axes, keepdims):
        chunks, shape = self._groups("sum", x, axes, keepdims)
        if x.dtype.is_floating_point:
            return RefArray(FIX[x.dtype]([_fsum(c) for c in chunks]), shape, x.dtype)
        return RefArray(wrap64([sum(c) for c in chunks]), shape, int64)

    def prod(self, x, axes, keepdims):
        chunks, shape = self._groups("prod", x, axes, keepdims)
        if x.dtype.is_floating_point:
            return RefArray(FIX[x.dtype]([math.prod(c, start=1.0) for c in chunks]), shape,
                            x.dtype)
        return RefArray(wrap64([math.prod(c) for c in chunks]), shape, int64)

    def _extreme(self, op, x, axes, keepdims, pick):
        chunks, shape = self._groups(op, x, axes, keepdims)
        if chunks and not chunks[0]:
            raise _err(ValueError, op, f"zero-size reduction over axes {tuple(axes)} of an array "
                       f"of shape {x.shape}")
        if x.dtype.is_floating_point:
            vals = [_NAN if _has_nan(c) else pick(c) for c in chunks]
        else:
            vals = [pick(c) for c in chunks]
        return RefArray(vals, shape, x.dtype)

    def max(self, x, axes, keepdims):
        return self._extreme("max", x, axes, keepdims, max)

    def min(self, x, axes, keepdims):
        return self._extreme("min", x, axes, keepdims, min)

    def _arg(self, op, x, axis, keepdims, pick):
        _arr(op, x)
        if x.ndim == 0:
            raise _err(ValueError, op, "expected an array with at least one dimension, got a 0-d "
                       "array")
        axis = _check_axis(op, axis, x.ndim)
        chunks, shape = self._groups(op, x, (axis,), keepdims)
        if chunks and not chunks[0]:
            raise _err(ValueError, op, f"attempt to get {op} of an empty axis {axis} of shape "
                       f"{x.shape}")
        fl = x.dtype.is_floating_point
        out = []
        for c in chunks:
            if fl and _has_nan(c):
                out.append(next(i for i, v in enumerate(c) if v != v))
            else:
                out.append(c.index(pick(c)))
        return RefArray(out, shape, int64)

    def argmax(self, x, axis, keepdims):
        return self._arg("argmax", x, axis, keepdims, max)

    def argmin(self, x, axis, keepdims):
        return self._arg("argmin", x, axis, keepdims, min)

    def _along(self, op, x, axis):
        """Values with ``axis`` moved last (list of rows), plus the permutation used."""
        _arr(op, x)
        if x.ndim == 0:
            raise _err(ValueError, op, "expected an array with at least one dimension, got 0-d")
        axis = _check_axis(op, axis, x.ndim)
        perm = [d for d in range(x.ndim) if d != axis] + [axis]
        st = strides_of(x.shape)
        pshape = [x.shape[p] for p in perm]
        data = x.data if axis == x.ndim - 1 else [
            x.data[i] for i in offsets(0, pshape, [st[p] for p in perm])]
        n = x.shape[axis]
        rows = [data[i:i + n] for i in range(0, len(data), n)] if n else []
        return rows, perm, pshape

    @staticmethod
    def _unmove(flat, perm, pshape):
        """Inverse of the axis move done by :meth:`_along`."""
        if perm == list(range(len(perm))):
            return flat
        inv = [perm.index(d) for d in range(len(perm))]
        st = strides_of(pshape)
        return [flat[i] for i in offsets(0, [pshape[i] for i in inv], [st[i] for i in inv])]

    def cumsum(self, x, axis):
        rows, perm, pshape = self._along("cumsum", x, axis)
        dt = x.dtype
        if dt.is_floating_point:
            out_dt = dt
            if dt is float64:
                flat = [v for r in rows for v in accumulate(r)]
            else:
                f1 = FIX1[dt]
                flat = [v for r in rows for v in accumulate(r, lambda s, v: f1(s + v))]
        else:
            out_dt = int64
            flat = wrap64([int(v) for r in rows for v in accumulate(r)])
        return RefArray(self._unmove(flat, perm, pshape), x.shape, out_dt)

    def sort(self, x, axis, descending):
        rows, perm, pshape = self._along("sort", x, axis)
        fl = x.dtype.is_floating_point
        vals, idxs = [], []
        for r in rows:
            if fl and _has_nan(r):
                keyed = [(v != v, v) for v in r]
                order = sorted(range(len(r)), key=keyed.__getitem__, reverse=bool(descending))
            else:
                order = sorted(range(len(r)), key=r.__getitem__, reverse=bool(descending))
            idxs += order
            vals += [r[i] for i in order]
        return (RefArray(self._unmove(vals, perm, pshape), x.shape, x.dtype),
                RefArray(self._unmove(idxs, perm, pshape), x.shape, int64))
