"""numpy-style indexing and scatter on top of the Array API standard.

The standard has basic indexing only for in-bounds slices, and no scatter at all. So every
index (ints, slices, ``None``, ``Ellipsis``, int and bool arrays, numpy's rules) is first
*planned* into the output shape plus one flat int64 offset per output element; gathers are
then ``take`` on the flattened array, and scatters use a stable sort of the offsets with
``searchsorted`` (no one-hot matrices, so memory stays linear).
"""
from __future__ import annotations

import math
from typing import Any

Array = Any


def _strides(shape: tuple[int, ...]) -> list[int]:
    out, acc = [], 1
    for n in reversed(shape):
        out.append(acc)
        acc *= n
    return out[::-1]


def _is_array(v: Any) -> bool:
    return hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, (int, float))


def _normalize(xp, x: Array, index: tuple) -> list[tuple[str, Any]]:
    """Index entries as ("new"|"sep"|"slice"|"int"|"arr", value); masks become int arrays."""
    items: list[tuple[str, Any]] = []
    consumed = 0
    n_ell = 0
    for it in index:
        if it is None:
            items.append(("new", None))
        elif it is Ellipsis:
            n_ell += 1
            items.append(("ell", None))
        elif isinstance(it, slice):
            consumed += 1
            items.append(("slice", it))
        elif _is_array(it):
            if it.dtype == xp.bool:
                if it.ndim == 0:
                    raise IndexError("arrayapi backend: 0-d bool index arrays are not supported")
                consumed += it.ndim
                items.append(("mask", it))
            elif it.dtype in (xp.int64, xp.int32):
                consumed += 1
                items.append(("arr", it))
            else:
                raise IndexError(f"arrayapi backend: index arrays must be int64 or bool, got dtype "
                                 f"{it.dtype} (shape {tuple(it.shape)})")
        elif isinstance(it, int) and not isinstance(it, bool):
            consumed += 1
            items.append(("int", it))
        else:
            raise TypeError("arrayapi backend: index entries must be int, slice, None, Ellipsis or "
                            f"int64/bool arrays, got {type(it).__name__} {it!r}")
    if n_ell > 1:
        raise IndexError("arrayapi backend: an index can only have a single Ellipsis")
    if consumed > x.ndim:
        raise IndexError(f"arrayapi backend: too many indices: {consumed} given for an array of "
                         f"shape {tuple(x.shape)}")
    fill = [("slice", slice(None))] * (x.ndim - consumed)
    if n_ell:
        k = next(i for i, t in enumerate(items) if t[0] == "ell")
        # the marker keeps advanced indices on both sides of `...` "separated" (numpy's rule)
        items = items[:k] + [("sep", None)] + fill + items[k + 1:]
    else:
        items = items + fill
    has_adv = any(k in ("arr", "mask") for k, _ in items)
    out: list[tuple[str, Any]] = []
    d = 0
    for kind, it in items:
        if kind == "mask":
            dims = tuple(x.shape[d:d + it.ndim])
            if tuple(it.shape) != dims:
                raise IndexError(f"arrayapi backend: bool index of shape {tuple(it.shape)} does not "
                                 f"match the indexed dimensions {dims} of shape {tuple(x.shape)}")
            out.extend(("arr", a) for a in xp.nonzero(it))
            d += it.ndim
            continue
        if kind == "int" and has_adv:
            out.append(("arr", xp.asarray(it, dtype=xp.int64)))
        else:
            out.append((kind, it))
        if kind not in ("new", "sep"):
            d += 1
    return out


def plan(xp, x: Array, index: Any) -> tuple[tuple[int, ...], Array]:
    """``(shape of x[index], flat int64 offsets into x in output order)``."""
    if not isinstance(index, tuple):
        index = (index,)
    items = _normalize(xp, x, index)
    shape = tuple(x.shape)
    st = _strides(shape)
    base = 0
    dims: list[Any] = []  # (sizes, offsets array of shape sizes) or the string "adv"
    advs: list[tuple[Array, int]] = []
    adv_pos: list[int] = []
    d = 0
    for pos, (kind, it) in enumerate(items):
        if kind == "new":
            dims.append(((1,), xp.zeros((1,), dtype=xp.int64)))
        elif kind == "slice":
            r = range(*it.indices(shape[d]))
            offs = xp.arange(r.start, r.stop, r.step, dtype=xp.int64) * st[d] if len(r) else \
                xp.zeros((0,), dtype=xp.int64)
            dims.append(((len(r),), offs))
            d += 1
        elif kind == "int":
            n = shape[d]
            if not -n <= it < n:
                raise IndexError(f"arrayapi backend: index {it} is out of bounds for axis {d} with "
                                 f"size {n} (array shape {shape})")
            base += (it % n) * st[d]
            d += 1
        elif kind == "arr":
            if not advs:
                dims.append("adv")
            advs.append((it, d))
            adv_pos.append(pos)
            d += 1
    if advs:
        try:
            arrays = xp.broadcast_arrays(*[a for a, _ in advs])
        except ValueError:
            raise IndexError("arrayapi backend: shape mismatch: index arrays could not be broadcast "
                             f"together with shapes {[tuple(a.shape) for a, _ in advs]}") from None
        bshape = tuple(arrays[0].shape)
        total = xp.zeros(bshape, dtype=xp.int64)
        for a, (_, dd) in zip(arrays, advs):
            n = shape[dd]
            a = xp.astype(a, xp.int64)
            outside = (a < -n) | (a >= n)
            if math.prod(a.shape) and bool(xp.any(outside)):
                bad = int(flat(xp, a)[flat(xp, outside)][0])
                raise IndexError(f"arrayapi backend: index {bad} is out of bounds for axis {dd} "
                                 f"with size {n} (array shape {shape})")
            total = total + xp.where(a < 0, a + n, a) * st[dd]
        entry = (bshape, total)
        if adv_pos[-1] - adv_pos[0] != len(adv_pos) - 1:
            dims = [entry] + [e for e in dims if e != "adv"]  # separated: broadcast dims first
        else:
            dims = [entry if e == "adv" else e for e in dims]
    out_shape = tuple(n for sizes, _ in dims for n in sizes)
    offsets = xp.full(out_shape, base, dtype=xp.int64)
    at = 0
    for sizes, offs in dims:
        k = len(sizes)
        offsets = offsets + xp.reshape(offs, (1,) * at + sizes + (1,) * (len(out_shape) - at - k))
        at += k
    return out_shape, xp.reshape(offsets, (-1,))


def flat(xp, x: Array) -> Array:
    """``x`` as a 1-d array (C order)."""
    return xp.reshape(x, (-1,))


def gather(xp, x: Array, index: Any) -> Array:
    """``x[index]`` with numpy semantics."""
    shape, offs = plan(xp, x, index)
    if offs.shape[0] == 0:
        return xp.zeros(shape, dtype=x.dtype)
    return xp.reshape(xp.take(flat(xp, x), offs, axis=0), shape)


def scatter(xp, x: Array, offs: Array, values: Array, accumulate: bool) -> Array:
    """A copy of ``x`` with flat positions ``offs`` set to (or, accumulating, increased by)
    the matching entries of the 1-d ``values``; with repeated offsets the last write wins,
    or every value is added in order."""
    base = flat(xp, x)
    m, n = offs.shape[0], base.shape[0]
    if m == 0 or n == 0:
        return xp.asarray(x, copy=True)
    order = xp.argsort(offs, stable=True)
    sorted_offs = xp.take(offs, order, axis=0)
    targets = xp.arange(n, dtype=xp.int64)
    lo = xp.searchsorted(sorted_offs, targets, side="left")
    hi = xp.searchsorted(sorted_offs, targets, side="right")
    count = hi - lo
    if not accumulate:
        last = xp.take(order, xp.clip(hi - 1, 0, m - 1), axis=0)
        out = xp.where(count > 0, xp.take(values, last, axis=0), base)
        return xp.reshape(out, tuple(x.shape))
    out = base
    is_bool = x.dtype == xp.bool
    # one pass per repeat of the most repeated offset: each value is added in index order,
    # exactly as a sequential ``out[i] += v`` loop would
    for r in range(int(xp.max(count))):
        hit = count > r
        v = xp.take(values, xp.take(order, xp.clip(lo + r, 0, m - 1), axis=0), axis=0)
        out = xp.where(hit, xp.logical_or(out, v) if is_bool else out + v, out)
    return xp.reshape(out, tuple(x.shape))
