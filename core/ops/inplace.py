"""In-place ops: version counting, leaf checks and graph rebasing."""
from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from ..autograd.grad_mode import _State
from ..tensor import Tensor, wrap
from .views import check_writable, push_to_base, refresh_views

_new = object.__new__


def _shadow(a: Tensor) -> Tensor:
    t = _new(Tensor)
    t._data = a._data
    t._backend = a._backend
    t._node = a._node
    t._rg = a._rg
    if a._oidx:
        t._oidx = a._oidx
    v = a._version
    if v:
        t._version = v
    return t


def apply_inplace(a: Tensor, fn: Callable[[Tensor], Tensor], *others: Any) -> Tensor:
    """Replace ``a``'s value by ``fn(a)`` in place, as PyTorch's ``op_`` methods do.

    Under grad mode, ``a`` becomes the output of the new node and the old value stays intact
    for the graph (its storage is rebound, not overwritten). Otherwise the backend writes into
    ``a``'s storage, so every alias of it sees the change.
    """
    if a._vbase is not None or a._views:
        return _inplace_aliased(a, fn, others)
    prev = a._node
    if prev is None and not _State.enabled:
        # the common no_grad case (optimizer updates, initialisers): no graph can be recorded,
        # so ``fn`` reads ``a`` itself and the result is written once into its storage
        out = fn(a)
        data, old = out._data, a._data
        if data is not old:
            if data.shape != old.shape or data.dtype != old.dtype:
                _check(a, out)
                if out.dtype is not a.dtype:
                    data = out.to(a.dtype)._data
            _store(a, data)
        a._version = a._version + 1
        return a
    recording = _State.enabled and (a._rg or any(isinstance(o, Tensor) and o._rg for o in others))
    if prev is not None and _saves_output(prev, a):
        # ``a`` is the saved output of its own node: backward would read the new value
        prev.check = (*(prev.check or ()), (a, a._version))
    if recording:
        if a._rg and a._node is None:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        old = _shadow(a)
        out = fn(old)
        _check(a, out)
        if out.dtype is not a.dtype:
            out = out.to(a.dtype)
        _rebind(a, out)
    else:
        # no graph: compute the new value (grad mode off, so nothing fn calls records) and
        # write it into ``a``'s storage, the one copy an in-place op on a mutable backend makes
        if _State.enabled:
            _State.enabled = False
            try:
                out = fn(wrap(a._data, a._backend))
            finally:
                _State.enabled = True
        else:
            out = fn(wrap(a._data, a._backend))
        data, old = out._data, a._data
        if data.shape != old.shape or data.dtype != old.dtype:
            _check(a, out)
            if out.dtype is not a.dtype:
                data = out.to(a.dtype)._data
        if data is not old:
            _store(a, data)
    a._version = a._version + 1
    return a


def _rebind(a: Tensor, out: Tensor) -> None:
    """``a`` becomes the recorded result ``out`` of an in-place op: it takes ``out``'s array
    and graph position, remembers its old position for nodes recorded before, and a node
    that saved ``out`` by weak reference now saves ``a`` (``out`` itself goes away)."""
    node = out._node
    if node is not None:
        log = a._inplace_log
        if log is None:
            log = a._inplace_log = []
        log.append((node.seq, a._node, a._oidx, a._rg))
    a._data = out._data
    a._node = node
    a._rg = out._rg
    if a._oidx:
        a._oidx = 0
    if node is not None and isinstance(node.saved, weakref.ref) and node.saved() is out:
        node.saved = weakref.ref(a)


def _store(t: Tensor, data: Any) -> None:
    """``t`` takes native array ``data``: written into its storage on a mutable backend (so
    every alias of that storage sees it), rebound on an immutable one."""
    if data is not t._data:
        be = t._backend
        t._data = be.assign(t._data, data) if be.mutable else data


def _inplace_aliased(a: Tensor, fn: Callable[[Tensor], Tensor], others: tuple) -> Tensor:
    """:func:`apply_inplace` for a view or a base with views: the new value goes into the
    base (through the view's steps run backwards), then every view of the base is
    regenerated from it; recorded as ops under grad mode (PyTorch's CopySlices)."""
    root = a._vbase
    is_view = root is not None
    if is_view:
        check_writable(a)
    else:
        root = a
    grad = _State.enabled
    others_rg = any(isinstance(o, Tensor) and o._rg for o in others)
    recording = grad and not a._untracked and (a._rg or root._rg or others_rg)
    if recording and root._rg and root._node is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an "
                           "in-place operation." if is_view else "a leaf Variable that requires "
                           "grad is being used in an in-place operation.")
    if recording:
        out = fn(_shadow(a))
    else:
        if grad:
            _State.enabled = False
        try:
            out = fn(wrap(a._data, a._backend))
        finally:
            if grad:
                _State.enabled = True
    _check(a, out)
    if out.dtype is not a.dtype:
        if recording:
            out = out.to(a.dtype)
        else:
            out = wrap(out.to(a.dtype)._data, a._backend)
    if is_view:
        start = _shadow(root) if recording else wrap(root._data, root._backend)
        if recording:
            new_root = push_to_base(start, a._steps, out, True)
        else:
            _State.enabled = False
            try:
                new_root = push_to_base(start, a._steps, out, False)
            finally:
                _State.enabled = grad
    else:
        new_root = out
    if recording:
        prev = root._node
        if prev is not None and _saves_output(prev, root):
            prev.check = (*(prev.check or ()), (root, root._version))
        _rebind(root, new_root)
    else:
        _store(root, new_root._data)
    root._version = root._version + 1
    refresh_views(root, grad and root._rg)
    return a


def sync_aliases(t: Tensor) -> None:
    """After ``t``'s storage was written outside :func:`apply_inplace` (an optimizer step, a
    fused in-place kernel), bring its base and the base's other views up to date."""
    root = t._vbase
    if root is not None:
        new_root = push_to_base(wrap(root._data, root._backend), t._steps,
                                wrap(t._data, t._backend), False)
        _store(root, new_root._data)
        root._version = root._version + 1
        refresh_views(root, False)
    elif t._views:
        refresh_views(t, False)


def store_(a: Tensor, data: Any) -> Tensor:
    """Write native array ``data`` (``a``'s shape and dtype) into ``a`` in place, untracked:
    into ``a``'s storage when the backend's arrays are mutable (every alias sees it), else
    ``a`` takes the new array; ``a``'s version is bumped. For ops that never record a graph
    (the optimizer steps); differentiable in-place ops go through :func:`apply_inplace`."""
    _store(a, data)
    a._version = a._version + 1
    if a._vbase is not None or a._views:
        sync_aliases(a)
    return a


def _saves_output(node: Any, a: Tensor) -> bool:
    saved = node.saved
    for s in (saved if isinstance(saved, tuple) else (saved,)):
        if isinstance(s, weakref.ref) and s() is a:
            return True
    return False


def _check(a: Tensor, out: Tensor) -> None:
    if out._data.shape != a._data.shape:
        raise RuntimeError(f"output with shape {list(a._data.shape)} doesn't match the broadcast "
                           f"shape {list(out._data.shape)}")
    if out.dtype.is_floating_point and not a.dtype.is_floating_point:
        raise RuntimeError(f"result type {out.dtype.name} can't be cast to the desired output "
                           f"type {a.dtype.name}")
