"""The reference backend's movement and indexing primitives: reshape, permute, broadcast,
copy, basic/advanced indexing, scatter/gather, concatenate, pad, sliding windows."""
from __future__ import annotations

import math

from xgrad.dtypes import bool_, int32, int64

from ._array import (
    FIX,
    RefArray,
    expand_offsets,
    offsets,
    strides_of,
)
from ._checks import (
    _arr,
    _broadcast_shapes,
    _broadcast_to,
    _check_axis,
    _check_shape,
    _desc,
    _err,
    _expand,
    _fill_value,
    _scalar,
)


class MovementOps:
    """The reference backend's movement and indexing primitives: reshape, permute, broadcast,"""

    # ---- movement ---------------------------------------------------------------------
    def reshape(self, x, shape):
        _arr("reshape", x)
        if not isinstance(shape, (tuple, list)) or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= -1 for n in shape):
            raise _err(ValueError, "reshape", f"expected a shape (tuple of ints), got {shape!r}")
        shape = tuple(shape)
        if shape.count(-1) > 1:
            raise _err(ValueError, "reshape", f"can only infer one dimension, got {shape}")
        if -1 in shape:
            known = math.prod(n for n in shape if n != -1)
            if known == 0 or len(x.data) % known:
                raise _err(ValueError, "reshape", f"cannot reshape array of shape {x.shape} "
                           f"into shape {shape}")
            shape = tuple(len(x.data) // known if n == -1 else n for n in shape)
        if math.prod(shape) != len(x.data):
            raise _err(ValueError, "reshape", f"cannot reshape array of shape {x.shape} "
                       f"(size {len(x.data)}) into shape {shape}")
        return RefArray(x.data, shape, x.dtype)  # a view: shares storage, like numpy

    def permute(self, x, axes):
        _arr("permute", x)
        if not isinstance(axes, (tuple, list)) or sorted(axes) != list(range(x.ndim)):
            raise _err(ValueError, "permute", f"axes {axes!r} is not a permutation of "
                       f"range({x.ndim}) for shape {x.shape}")
        st = strides_of(x.shape)
        shape = tuple(x.shape[a] for a in axes)
        data = x.data
        return RefArray([data[i] for i in offsets(0, shape, [st[a] for a in axes])], shape,
                        x.dtype)

    def broadcast_to(self, x, shape):
        _arr("broadcast_to", x)
        shape = _check_shape("broadcast_to", shape)
        ok = x.ndim <= len(shape) and all(
            m == 1 or m == n for m, n in zip(x.shape, shape[len(shape) - x.ndim:]))
        if not ok:
            raise _err(ValueError, "broadcast_to", f"cannot broadcast shape {x.shape} to {shape}")
        return RefArray(list(_expand(x, shape)), shape, x.dtype)

    def copy(self, x):
        _arr("copy", x)
        return RefArray(list(x.data), x.shape, x.dtype)

    def _plan(self, op, x, index):
        """(output shape, flat offsets into x in output order) for ``x[index]``."""
        _arr(op, x)
        if not isinstance(index, tuple):
            index = (index,)
        items = []
        consumed = 0
        n_ell = 0
        has_adv = False
        for it in index:
            if it is None:
                items.append(("new", None))
            elif it is Ellipsis:
                n_ell += 1
                items.append(("ell", None))
            elif isinstance(it, slice):
                consumed += 1
                items.append(("slice", it))
            elif isinstance(it, RefArray):
                has_adv = True
                if it.dtype is bool_:
                    if it.ndim == 0:
                        raise _err(IndexError, op, "0-d bool index arrays are not supported")
                    consumed += it.ndim
                    items.append(("mask", it))
                elif it.dtype in (int64, int32):
                    consumed += 1
                    items.append(("arr", it))
                else:
                    raise _err(IndexError, op, f"index arrays must be int64 or bool, got dtype "
                               f"{it.dtype.name} (shape {it.shape})")
            elif isinstance(it, int) and not isinstance(it, bool):
                consumed += 1
                items.append(("int", it))
            else:
                raise _err(TypeError, op, "index entries must be int, slice, None, Ellipsis or "
                           f"reference-backend int64/bool arrays, got {_desc(it)}")
        if n_ell > 1:
            raise _err(IndexError, op, "an index can only have a single Ellipsis")
        if consumed > x.ndim:
            raise _err(IndexError, op, f"too many indices: {consumed} given for an array of "
                       f"shape {x.shape}")
        fill = [("slice", slice(None))] * (x.ndim - consumed)
        if n_ell:
            k = next(i for i, t in enumerate(items) if t[0] == "ell")
            # the Ellipsis stays as a marker: it separates advanced indices even when it
            # stands for no dimension (numpy's rule)
            items = items[:k] + [("sep", None)] + fill + items[k + 1:]
        else:
            items = items + fill
        # masks -> integer arrays (nonzero), ints -> 0-d arrays when indexing is advanced
        expanded = []
        d = 0
        for kind, it in items:
            if kind == "mask":
                dims = x.shape[d:d + it.ndim]
                if it.shape != dims:
                    raise _err(IndexError, op, f"bool index of shape {it.shape} does not match "
                               f"the indexed dimensions {dims} of shape {x.shape} at axis {d}")
                hits = [i for i, v in enumerate(it.data) if v]
                mst = strides_of(it.shape)
                for j in range(it.ndim):
                    col = [(h // mst[j]) % it.shape[j] for h in hits]
                    expanded.append(("arr", RefArray(col, (len(col),), int64)))
                d += it.ndim
                continue
            if kind == "int" and has_adv:
                expanded.append(("arr", RefArray([it], (), int64)))
            else:
                expanded.append((kind, it))
            if kind not in ("new", "sep"):
                d += 1
        items = expanded
        st = strides_of(x.shape)
        base = 0
        dims = []  # (sizes, per-dim offsets) or ("adv",) placeholder
        advs = []  # (array, source dim)
        adv_positions = []
        d = 0
        for pos, (kind, it) in enumerate(items):
            if kind == "new":
                dims.append(((1,), [0]))
            elif kind == "sep":
                pass
            elif kind == "slice":
                n = x.shape[d]
                start, stop, step = it.indices(n)
                r = range(start, stop, step)
                dims.append(((len(r),), [i * st[d] for i in r]))
                d += 1
            elif kind == "int":
                n = x.shape[d]
                if not -n <= it < n:
                    raise _err(IndexError, op, f"index {it} is out of bounds for axis {d} with "
                               f"size {n} (array shape {x.shape})")
                base += (it % n) * st[d]
                d += 1
            else:  # "arr"
                if not advs:
                    dims.append(("adv",))
                advs.append((it, d))
                adv_positions.append(pos)
                d += 1
        if advs:
            try:
                bshape = _broadcast_shapes(op, *[a.shape for a, _ in advs])
            except ValueError:
                raise _err(IndexError, op, "shape mismatch: index arrays could not be broadcast "
                           f"together with shapes {[a.shape for a, _ in advs]}") from None
            nb = math.prod(bshape)
            off = [0] * nb
            for a, dd in advs:
                n = x.shape[dd]
                if a.data and (min(a.data) < -n or max(a.data) >= n):
                    bad = next(v for v in a.data if not -n <= v < n)
                    raise _err(IndexError, op, f"index {bad} is out of bounds for axis {dd} with "
                               f"size {n} (array shape {x.shape})")
                s = st[dd]
                off = [o + (v % n) * s for o, v in zip(off, _expand(a, bshape))]
            adv_entry = (bshape, off)
            if adv_positions[-1] - adv_positions[0] != len(adv_positions) - 1:
                # separated advanced indices: the broadcast dims go first (numpy's rule)
                dims = [adv_entry] + [e for e in dims if e[0] != "adv"]
            else:
                dims = [adv_entry if e[0] == "adv" else e for e in dims]
        shape = tuple(n for sizes, _ in dims for n in sizes)
        return shape, expand_offsets(base, [ks for _, ks in dims])

    def getitem(self, x, index):
        shape, offs = self._plan("getitem", x, index)
        data = x.data
        return RefArray([data[i] for i in offs], shape, x.dtype)

    def _values_for(self, op, x, shape, values):
        if isinstance(values, RefArray):
            if values.dtype is not x.dtype:
                raise _err(TypeError, op, f"values dtype {values.dtype.name} does not match the "
                           f"array's dtype {x.dtype.name}")
            return _broadcast_to(op, values, shape, "values")
        return [_scalar(op, values, x.dtype, True)] * math.prod(shape)

    def index_add(self, x, index, values):
        shape, offs = self._plan("index_add", x, index)
        vals = self._values_for("index_add", x, shape, values)
        out = list(x.data)
        if x.dtype is bool_:
            for p, v in zip(offs, vals):
                out[p] = out[p] or v
            return RefArray(out, x.shape, x.dtype)
        for p, v in zip(offs, vals):
            out[p] += v
        return RefArray(FIX[x.dtype](out), x.shape, x.dtype)

    def index_put(self, x, index, values):
        shape, offs = self._plan("index_put", x, index)
        vals = self._values_for("index_put", x, shape, values)
        out = list(x.data)
        for p, v in zip(offs, vals):
            out[p] = v
        return RefArray(out, x.shape, x.dtype)

    def _along_index(self, op, x, indices, axis, grid):
        _arr(op, x)
        _arr(op, indices, "indices")
        if indices.dtype not in (int64, int32):
            raise _err(IndexError, op, f"indices must be an int64 array, got dtype "
                       f"{indices.dtype.name}")
        if indices.ndim != x.ndim:
            raise _err(ValueError, op, f"indices (shape {indices.shape}) and x (shape {x.shape}) "
                       "must have the same number of dimensions")
        axis = _check_axis(op, axis, x.ndim)
        nd = x.ndim
        index = []
        for d in range(nd):
            if d == axis:
                index.append(indices)
            else:
                n = grid[d]
                index.append(RefArray(list(range(n)), (1,) * d + (n,) + (1,) * (nd - d - 1),
                                      int64))
        return tuple(index)

    def take_along_axis(self, x, indices, axis):
        index = self._along_index("take_along_axis", x, indices, axis, getattr(x, "shape", ()))
        return self.getitem(x, index)

    def put_along_axis_add(self, x, indices, values, axis):
        op = "put_along_axis_add"
        index = self._along_index(op, x, indices, axis, getattr(indices, "shape", ()))
        shape, offs = self._plan(op, x, index)
        vals = self._values_for(op, x, shape, values)
        out = list(x.data)
        if x.dtype is bool_:
            for p, v in zip(offs, vals):
                out[p] = out[p] or v
            return RefArray(out, x.shape, x.dtype)
        for p, v in zip(offs, vals):
            out[p] += v
        return RefArray(FIX[x.dtype](out), x.shape, x.dtype)

    def concatenate(self, xs, axis):
        op = "concatenate"
        if not isinstance(xs, (list, tuple)) or not xs:
            raise _err(ValueError, op, f"expected a non-empty sequence of arrays, got {_desc(xs)}")
        for i, a in enumerate(xs):
            _arr(op, a, f"xs[{i}]")
        first = xs[0]
        if first.ndim == 0:
            raise _err(ValueError, op, "zero-dimensional arrays cannot be concatenated")
        axis = _check_axis(op, axis, first.ndim)
        for a in xs[1:]:
            if a.dtype is not first.dtype:
                raise _err(TypeError, op, "dtypes differ: " + ", ".join(v.dtype.name for v in xs))
            if a.ndim != first.ndim or any(
                    m != n for d, (m, n) in enumerate(zip(a.shape, first.shape)) if d != axis):
                raise _err(ValueError, op, f"shapes {[v.shape for v in xs]} differ outside axis "
                           f"{axis}")
        outer = math.prod(first.shape[:axis])
        inner = math.prod(first.shape[axis + 1:])
        parts = [(a.data, a.shape[axis] * inner) for a in xs]
        out = []
        for o in range(outer):
            for data, c in parts:
                out += data[o * c:(o + 1) * c]
        shape = list(first.shape)
        shape[axis] = sum(a.shape[axis] for a in xs)
        return RefArray(out, tuple(shape), first.dtype)

    def pad(self, x, widths, value):
        op = "pad"
        _arr(op, x)
        ok = isinstance(widths, (tuple, list)) and len(widths) == x.ndim and all(
            isinstance(w, (tuple, list)) and len(w) == 2 and all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in w)
            for w in widths)
        if not ok:
            raise _err(ValueError, op, f"widths must be {x.ndim} pairs of non-negative ints "
                       f"(before, after) for shape {x.shape}, got {widths!r}")
        fill = _fill_value(op, value, x.dtype)
        shape = tuple(n + b + a for n, (b, a) in zip(x.shape, widths))
        out = [fill] * math.prod(shape)
        ost = strides_of(shape)
        base = sum(b * s for (b, _), s in zip(widths, ost))
        for p, v in zip(offsets(base, x.shape, ost), x.data):
            out[p] = v
        return RefArray(out, shape, x.dtype)

    def sliding_window(self, x, window, strides, dilation):
        op = "sliding_window"
        _arr(op, x)
        k = len(window) if isinstance(window, (tuple, list)) else -1
        ok = (0 < k <= x.ndim and isinstance(strides, (tuple, list))
              and isinstance(dilation, (tuple, list)) and len(strides) == k == len(dilation)
              and all(isinstance(v, int) and v > 0 for v in (*window, *strides, *dilation)))
        if not ok:
            raise _err(ValueError, op, f"window {window!r}, strides {strides!r}, dilation "
                       f"{dilation!r} must be equal-length tuples of positive ints, at most "
                       f"x.ndim={x.ndim} long (x shape {x.shape})")
        lead = x.ndim - k
        st = strides_of(x.shape)
        outs = []
        for i in range(k):
            n, w, s, dl = x.shape[lead + i], window[i], strides[i], dilation[i]
            span = dl * (w - 1) + 1
            if span > n:
                raise _err(ValueError, op, f"window span {span} (window {w}, dilation {dl}) is "
                           f"larger than axis {lead + i} of size {n} (x shape {x.shape})")
            outs.append((n - span) // s + 1)
        shape = tuple(x.shape[:lead]) + tuple(outs) + tuple(window)
        ostr = (st[:lead] + [s * st[lead + i] for i, s in enumerate(strides)]
                + [dl * st[lead + i] for i, dl in enumerate(dilation)])
        data = x.data
        return RefArray([data[i] for i in offsets(0, shape, ostr)], shape, x.dtype)
