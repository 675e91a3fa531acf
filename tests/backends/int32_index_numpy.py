"""A test-only backend whose index dtype is int32: numpy arrays, int64 stored as int32.

It declares ``index_dtype = "int32"``, as a JAX backend without ``jax_enable_x64`` does.
Every primitive's native int64 result (argmax, sort indices, integer sums, random words...)
is narrowed to int32, and ``dtype()`` refuses a native int64 array, so any frontend path that
still makes int64 arrays fails loudly. The base class's adapter (:mod:`xgrad.backend_index`)
makes these int32 arrays read as ``xgrad.int64``. Registered by the tests that use it, or
with ``PYTEST_PLUGINS=int32_index_numpy`` (this folder on ``PYTHONPATH``) for the
conformance suite: ``xgrad-conformance int32_index``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import xgrad
from xgrad.backend import PRIMITIVES, BackendSpec, implements
from xgrad.backend_index import adapt_index_dtype
from xgrad.backends.numpy import NumpyBackend

__all__ = ["Int32IndexNumpyBackend", "plugin"]


def _narrow(out: Any) -> Any:
    if isinstance(out, (np.ndarray, np.generic)) and out.dtype == np.int64:
        return out.astype(np.int32)
    if isinstance(out, tuple):
        return tuple(_narrow(o) for o in out)
    if isinstance(out, list):
        return [_narrow(o) for o in out]
    return out


class Int32IndexNumpyBackend(NumpyBackend):
    """numpy whose int64 tensors are int32 arrays (``index_dtype = "int32"``)."""

    name = device = "int32_index"
    index_dtype = "int32"

    def dtype(self, x):
        if x.dtype == np.int64:
            raise TypeError("int32_index backend: a native int64 array reached the backend; "
                            "with index_dtype='int32' every int64 tensor must be int32")
        return NumpyBackend.dtype(self, x)

    def to_numpy(self, x):
        return np.array(x, copy=True)


def _narrowing(name: str) -> Any:
    base = getattr(NumpyBackend, name)

    def method(self, *args: Any) -> Any:
        return _narrow(base(self, *args))
    method.__name__ = name
    return method


for _name in [*PRIMITIVES, *sorted(NumpyBackend.fused_ops), *sorted(NumpyBackend.linalg_ops)]:
    if _name not in ("dtype", "to_numpy") and implements(NumpyBackend, _name):
        setattr(Int32IndexNumpyBackend, _name, _narrowing(_name))
del _name
# the class body's overrides are adapted by Backend.__init_subclass__; the methods set above
# after class creation are adapted here
adapt_index_dtype(Int32IndexNumpyBackend)


class _Plugin:
    @xgrad.hookimpl
    def xgrad_register_backends(self):
        return [BackendSpec("int32_index", lambda index: Int32IndexNumpyBackend(),
                            description="test-only: numpy with int64 stored as int32 "
                            "(index_dtype='int32')")]


plugin = _Plugin()


def pytest_configure(config: Any) -> None:
    """Register the backend when loaded as a pytest plugin (``PYTEST_PLUGINS``)."""
    xgrad.registry.register_plugin(plugin, name="int32-index-numpy")
