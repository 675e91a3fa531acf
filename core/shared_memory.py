"""Tensors in shared memory: ``Tensor.share_memory_()`` / ``is_shared()`` and their pickling.

A shared tensor's array lives in a named POSIX shared-memory block
(:class:`multiprocessing.shared_memory.SharedMemory`). Sent to another process through
:mod:`xgrad.multiprocessing` (a ``Process`` argument under the spawn start method, a
``Queue`` item), it travels as the block's name and attaches to the same memory, so in-place
updates in any process (an optimizer step: Hogwild training) are seen by all. Under ``fork``
the children inherit the mapping itself. Pickled any other way (``pickle.dumps``), a tensor
travels by value.

The process that shared a tensor owns the block: it is unlinked when that process's array is
garbage collected or the process exits. Only host-memory arrays of the numpy backend can be
shared; on the CUDA backend ``share_memory_`` is a no-op, as in PyTorch.
"""
from __future__ import annotations

import atexit
import weakref
from multiprocessing import resource_tracker
from multiprocessing.reduction import ForkingPickler
from multiprocessing.shared_memory import SharedMemory
from typing import Any

import numpy as np

from .registry import get_backend
from .tensor import Tensor

__all__ = ["share_memory_", "is_shared", "rebuild_shared", "register_reductions"]

_OWNED: dict[str, SharedMemory] = {}
_REGISTERED: set[type] = set()


def register_reductions() -> None:
    """Have multiprocessing's ForkingPickler send shared tensors by reference. It reduces by
    exact type, so Tensor and every subclass defined so far (``nn.Parameter``, ...) are
    registered; sharing a tensor registers again, for classes defined later."""
    todo = [Tensor]
    while todo:
        cls = todo.pop()
        if cls not in _REGISTERED:
            ForkingPickler.register(cls, reduce_shared)
            _REGISTERED.add(cls)
        todo.extend(cls.__subclasses__())


def _release(shm: SharedMemory, owner: bool) -> None:
    try:
        shm.close()
    except BufferError:  # an array still exports the buffer: the OS frees it at exit
        pass
    if owner and _OWNED.pop(shm.name, None) is not None:
        try:
            shm.unlink()
        except FileNotFoundError:
            pass


@atexit.register
def _unlink_owned() -> None:
    for shm in list(_OWNED.values()):
        _release(shm, True)


def share_memory_(self: Tensor) -> Tensor:
    """Move the tensor's data into shared memory (in place; a no-op when already shared or
    on the CUDA backend), so that processes started by :mod:`xgrad.multiprocessing` share it."""
    register_reductions()
    if is_shared(self):
        return self
    be = self._backend
    if be.name == "cupy":
        return self  # PyTorch: a no-op for CUDA tensors
    if be.name != "numpy" or not isinstance(self._data, np.ndarray):
        raise RuntimeError(f"share_memory_(): only tensors of the numpy backend can be put in "
                           f"shared memory; this one is on '{be.name}'")
    if self._vbase is not None or self._views:
        raise RuntimeError("share_memory_() of a view or of a tensor with live views is not "
                           "supported: share the base tensor before taking views")
    arr = np.ascontiguousarray(self._data)
    shm = SharedMemory(create=True, size=max(arr.nbytes, 1))
    _OWNED[shm.name] = shm
    shared = np.ndarray(arr.shape, arr.dtype, buffer=shm.buf)
    shared[...] = arr
    weakref.finalize(shared, _release, shm, True)
    self._data = shared
    self._shm_name, self._shm_array = shm.name, shared
    return self


def is_shared(self: Tensor) -> bool:
    """Whether the tensor's data is in shared memory: it was shared (or received shared) and
    still holds that array (an op that rebinds its storage, e.g. ``.data = ...``, unshares)."""
    arr = self.__dict__.get("_shm_array")
    return arr is not None and self._data is arr


def _attach(name: str) -> SharedMemory:
    try:  # Python >= 3.13: attach without registering with the resource tracker
        return SharedMemory(name=name, track=False)
    except TypeError:
        pass
    # Python < 3.13 registers every attach, and a child's tracker would unlink the block at
    # its exit: attach with registration switched off (the creating process owns the block)
    register = resource_tracker.register
    resource_tracker.register = lambda *a, **k: None
    try:
        return SharedMemory(name=name)
    finally:
        resource_tracker.register = register


def rebuild_shared(cls: type, name: str, shape: tuple, dtype: str, requires_grad: bool,
                   attrs: dict) -> Tensor:
    """The receiving side of a shared tensor: attach to block ``name`` (pickle's callback)."""
    register_reductions()  # passed on from here, it stays shared
    shm = _OWNED.get(name) or _attach(name)
    arr = np.ndarray(shape, np.dtype(dtype), buffer=shm.buf)
    if name not in _OWNED:
        weakref.finalize(arr, _release, shm, False)
    base = Tensor.__new__(Tensor)
    base._data = arr
    base._backend = get_backend("numpy")
    base._node = None
    base._rg = False
    t = base if cls is Tensor else Tensor._make_subclass(cls, base, False)
    t.__dict__.update(attrs)
    t._shm_name, t._shm_array = name, arr
    if requires_grad:
        t.requires_grad = True
    return t


def reduce_shared(t: Tensor) -> Any:
    """``ForkingPickler`` reduction: a shared tensor by block name, any other by value."""
    if not is_shared(t):
        return t.__reduce_ex__(2)
    attrs = {k: v for k, v in t.__dict__.items() if not k.startswith("_")}
    arr = t._data
    return rebuild_shared, (type(t), t._shm_name, arr.shape, arr.dtype.str,
                            t.requires_grad and t._node is None, attrs)


Tensor.share_memory_ = share_memory_
Tensor.is_shared = is_shared
