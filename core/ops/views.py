"""Views owned by the frontend, the same on every backend.

A view is a tensor made from another by a view op (basic indexing, ``view``/``reshape``
when the strides allow, ``permute``/``transpose``, ``expand``, ``detach``/``.data``...).
It records its *base* (the tensor that owns the storage; a view of a view has the same
base) and the *steps* that turn the base's value into its own. Backends only compute: a
backend's slice may alias its input (numpy) or be a copy (the reference backend, immutable
arrays); the frontend never relies on either.

An in-place op on a view computes the view's new value, pushes it into the base by running
the steps backwards (``index_put`` for an index, the inverse permutation, the inverse
reshape, an ``index_put`` for the integer-array ``take`` steps of ``diagonal``/``unfold``),
and then regenerates every live view of that base from the new base value. An
in-place op on a base regenerates its views the same way. Under grad mode these are
recorded ops, so the base's history is rewritten as PyTorch's CopySlices does: gradient
flows through the in-place op for the written region and around it elsewhere. Views share
their base's version counter. A tensor that was never viewed pays nothing: the bookkeeping
lives in class-level defaults until a view is made.
"""
from __future__ import annotations

import weakref
from typing import Any

from ..autograd.node import record
from ..dispatch import run
from ..tensor import Tensor, wrap

__all__ = ["mark_view", "mark_alias", "live_views", "push_to_base", "refresh_views",
           "rebase_view", "layout", "is_contiguous", "view_strides", "check_writable", "OVERLAP_ERROR"]

OVERLAP_ERROR = ("unsupported operation: more than one element of the written-to tensor refers "
                 "to a single memory location. Please clone() the tensor before performing the "
                 "operation.")


# ---- marking ------------------------------------------------------------------------------
def mark_view(src: Tensor, out: Tensor, step: tuple) -> Tensor:
    """Record that ``out`` was made from ``src`` by view step ``step``; returns ``out``."""
    root = src._vbase
    if root is None:
        root, steps = src, (step,)
    else:
        steps = src._steps + (step,)
    out._vbase = root
    out._steps = steps
    if src._untracked:
        out._untracked = True
    refs = root._views
    if refs is None:
        root._views = [weakref.ref(out)]
    else:
        refs.append(weakref.ref(out))
        n = len(refs)
        if n >= 64 and not n & (n - 1):
            refs[:] = [r for r in refs if _alive(r, root)]
    v = root._version
    if v:
        out._version = v
    return out


def mark_alias(src: Tensor, out: Tensor) -> Tensor:
    """``out`` shares ``src``'s storage but not its history (``detach()``, ``.data``)."""
    out._untracked = True
    return mark_view(src, out, ("alias",))


def _alive(ref: Any, root: Tensor) -> bool:
    t = ref()
    return t is not None and t._vbase is root


def live_views(root: Tensor) -> list[Tensor]:
    """The views of ``root`` still alive (and still views of it)."""
    refs = root._views
    if not refs:
        return []
    out = []
    keep = []
    for r in refs:
        t = r()
        if t is not None and t._vbase is root:
            out.append(t)
            keep.append(r)
    refs[:] = keep
    return out


# ---- replaying steps ----------------------------------------------------------------------
def _forward(t: Tensor, step: tuple, grad: bool) -> Tensor:
    kind = step[0]
    if kind == "alias":
        return t
    be = t._backend
    if kind == "index":
        out = wrap(run("getitem", be, t._data, step[1]), be)
        if grad and t._rg:
            record(out, "index", (t,), (step[1], True))
    elif kind == "permute":
        out = wrap(run("permute", be, t._data, step[1]), be)
        if grad and t._rg:
            record(out, "permute", (t,), step[1])
    elif kind == "reshape":
        out = wrap(run("reshape", be, t._data, step[1]), be)
        if grad and t._rg:
            record(out, "reshape", (t,), t._data.shape)
    elif kind == "take":
        out = wrap(run("getitem", be, t._data, step[1]), be)
        if grad and t._rg:
            record(out, "index", (t,), (step[1], False))
    else:  # expand
        out = wrap(run("broadcast_to", be, t._data, step[1]), be)
        if grad and t._rg:
            record(out, "expand", (t,))
    return out


def _backward(prev: Tensor, step: tuple, new: Tensor, grad: bool) -> Tensor:
    """The value of ``prev`` after its view ``step`` took the value ``new``."""
    kind = step[0]
    if kind == "alias":
        return new
    be = new._backend
    if kind == "index" or kind == "take":
        out = wrap(run("index_put", be, prev._data, step[1], new._data), be)
        if grad and (prev._rg or new._rg):
            record(out, "index_put", (prev, new), step[1])
        return out
    if kind == "permute":
        perm = step[1]
        inv = [0] * len(perm)
        for i, p in enumerate(perm):
            inv[p] = i
        out = wrap(run("permute", be, new._data, tuple(inv)), be)
        if grad and new._rg:
            record(out, "permute", (new,), tuple(inv))
        return out
    if kind == "reshape":
        out = wrap(run("reshape", be, new._data, prev._data.shape), be)
        if grad and new._rg:
            record(out, "reshape", (new,), new._data.shape)
        return out
    raise RuntimeError(OVERLAP_ERROR)


def check_writable(t: Tensor) -> None:
    """Refuse in-place writes into a view whose elements overlap (an expanded view, windows
    of ``unfold`` that share elements)."""
    for step in t._steps:
        if step[0] == "take":
            meta = step[2]
            if meta[0] == "unfold" and meta[2] < meta[1] and meta[3] > 1:
                raise RuntimeError(OVERLAP_ERROR)
        elif step[0] == "expand":
            shape, src_shape = step[1], step[2]
            lead = len(shape) - len(src_shape)
            if any(s > 1 for s in shape[:lead]) or any(
                    o == 1 and s > 1 for o, s in zip(src_shape, shape[lead:])):
                raise RuntimeError(OVERLAP_ERROR)


def push_to_base(root: Tensor, steps: tuple, new: Tensor, grad: bool) -> Tensor:
    """The base's new value when the view ``steps`` of ``root`` takes the value ``new``."""
    values = [root]
    for step in steps[:-1]:
        values.append(_forward(values[-1], step, grad))
    for step, prev in zip(reversed(steps), reversed(values)):
        new = _backward(prev, step, new, grad)
    return new


def rebase_view(v: Tensor, steps: tuple) -> None:
    """Make view ``v`` the result of ``steps`` applied to its base (``resize_`` of a view),
    untracked; its value is regenerated from the base."""
    t = v._vbase
    for step in steps:
        t = _forward(t, step, False)
    v._steps = steps
    v._data = t._data


def refresh_views(root: Tensor, grad: bool) -> None:
    """Regenerate every live view of ``root`` from its current value (recorded when
    ``grad``, except for views that do not track history) and share its version."""
    version = root._version
    for v in live_views(root):
        t = root
        track = grad and not v._untracked
        for step in v._steps:
            t = _forward(t, step, track)
        v._data = t._data
        if track:
            v._node = t._node
            v._rg = t._rg
            if v._oidx:
                v._oidx = 0
        v._version = version


# ---- strides -----------------------------------------------------------------------------
def _contiguous_strides(shape: tuple) -> tuple:
    strides = []
    acc = 1
    for s in reversed(shape):
        strides.append(acc)
        acc *= max(s, 1)
    return tuple(reversed(strides))


def view_strides(shape: tuple, strides: tuple, new_shape: tuple) -> tuple | None:
    """Strides that let a tensor of ``shape``/``strides`` be viewed as ``new_shape`` without
    a copy, or None when some new dimension would span two non-contiguous chunks."""
    numel = 1
    for s in shape:
        numel *= s
    if numel == 0 or not shape:
        return _contiguous_strides(new_shape)
    out = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk = strides[-1]
    tensor_numel = 1
    view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                out[view_d] = view_numel * chunk
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk = strides[d - 1]
                tensor_numel = 1
                view_numel = 1
    if view_d != -1:
        return None
    return tuple(out)


def layout(t: Tensor) -> tuple[tuple, tuple, int]:
    """``(shape, strides, storage offset)`` of ``t`` in elements, in PyTorch's terms: a base
    is contiguous; each view step transforms its base's layout."""
    root = t._vbase
    if root is None:
        shape = t._data.shape
        return shape, _contiguous_strides(shape), 0
    shape = root._data.shape
    strides = _contiguous_strides(shape)
    offset = 0
    for step in t._steps:
        shape, strides, offset = _step_layout(step, shape, strides, offset)
    return shape, strides, offset


def _step_layout(step: tuple, shape: tuple, strides: tuple, offset: int) -> tuple:
    kind = step[0]
    if kind == "alias":
        return shape, strides, offset
    if kind == "permute":
        perm = step[1]
        return tuple(shape[p] for p in perm), tuple(strides[p] for p in perm), offset
    if kind == "reshape":
        new = view_strides(shape, strides, step[1])
        return step[1], new if new is not None else _contiguous_strides(step[1]), offset
    if kind == "expand":
        new_shape, src_shape = step[1], step[2]
        lead = len(new_shape) - len(src_shape)
        new_strides = [0] * lead + [0 if o == 1 and s != 1 else st for o, s, st in
                                    zip(src_shape, new_shape[lead:], strides)]
        return tuple(new_shape), tuple(new_strides), offset
    if kind == "take":
        meta = step[2]
        if meta[0] == "diagonal":  # the last two dims become one diagonal
            off, n = meta[1], meta[2]
            sr, sc = strides[-2], strides[-1]
            if n:
                offset += off * sc if off >= 0 else -off * sr
            return shape[:-2] + (n,), strides[:-2] + (sr + sc,), offset
        size, stp, n = meta[1], meta[2], meta[3]  # unfold: windows along the last dim
        s = strides[-1]
        return shape[:-1] + (n, size), strides[:-1] + (stp * s, s), offset
    # basic index: ints drop a dim, slices step it, None inserts one, Ellipsis fills
    idx = step[1]
    consumed = sum(1 for i in idx if i is not None and i is not Ellipsis)
    out_shape, out_strides = [], []
    d = 0
    for i in idx:
        if i is Ellipsis:
            for _ in range(len(shape) - consumed):
                out_shape.append(shape[d])
                out_strides.append(strides[d])
                d += 1
        elif i is None:
            out_shape.append(1)
            out_strides.append(strides[d] * shape[d] if d < len(shape) else 1)
        elif isinstance(i, slice):
            start, stop, stp = i.indices(shape[d])
            n = len(range(start, stop, stp))
            offset += start * strides[d] if n else 0
            out_shape.append(n)
            out_strides.append(strides[d] * stp)
            d += 1
        else:
            offset += i * strides[d]
            d += 1
    out_shape.extend(shape[d:])
    out_strides.extend(strides[d:])
    return tuple(out_shape), tuple(out_strides), offset


def is_contiguous(t: Tensor) -> bool:
    """Whether ``t``'s elements are laid out densely in row-major order (PyTorch's rule:
    dimensions of size 1 do not matter)."""
    if t._vbase is None:
        return True
    shape, strides, _ = layout(t)
    expected = 1
    for s, st in zip(reversed(shape), reversed(strides)):
        if s == 1:
            continue
        if s == 0:
            return True
        if st != expected:
            return False
        expected *= s
    return True
