"""A test-only immutable backend: the numpy backend with every array read-only.

It declares ``mutable = False`` and refuses ``assign``, so the frontend's immutable path
(functionalized views, in-place ops that rebind instead of writing) runs on the CPU tests,
and any primitive or frontend code that writes into an array fails loudly. Registered by
the tests that use it, or with ``PYTEST_PLUGINS=immutable_numpy`` (this folder on
``PYTHONPATH``) for the conformance suite: ``xgrad-conformance immutable``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import xgrad
from xgrad.backend import PRIMITIVES, BackendSpec
from xgrad.backends.numpy import NumpyBackend

__all__ = ["ImmutableNumpyBackend", "plugin"]


def _freeze(out: Any) -> Any:
    if isinstance(out, np.ndarray):
        if out.flags.writeable:
            out = out.view()
            out.flags.writeable = False
        return out
    if isinstance(out, tuple):
        return tuple(_freeze(o) for o in out)
    if isinstance(out, list):
        return [_freeze(o) for o in out]
    return out


def _thawed(a: Any) -> Any:
    return a.copy() if isinstance(a, np.ndarray) else a


class ImmutableNumpyBackend(NumpyBackend):
    """numpy with read-only arrays: nothing is ever written in place."""

    name = device = "immutable"
    mutable = False
    _inside = False

    def assign(self, dst, src):
        raise AssertionError("the frontend called assign() on a backend that declares "
                             "mutable = False")

    def to_numpy(self, x):
        return np.array(x, copy=True)


def _frozen(name: str, copy_inputs: bool) -> Any:
    def method(self, *args: Any) -> Any:
        if self._inside:  # a primitive calling another: its temporaries stay its own
            return getattr(NumpyBackend, name)(self, *args)
        if copy_inputs:  # kernels that update their inputs in place get private copies
            args = tuple(_thawed(a) for a in args)
        self._inside = True
        try:
            return _freeze(getattr(NumpyBackend, name)(self, *args))
        finally:
            self._inside = False
    method.__name__ = name
    return method


for _name in [*PRIMITIVES, *sorted(NumpyBackend.fused_ops)]:
    if _name != "assign":
        setattr(ImmutableNumpyBackend, _name,
                _frozen(_name, _name in ("sgd_step", "adam_step")))


class _Plugin:
    @xgrad.hookimpl
    def xgrad_register_backends(self):
        return [BackendSpec("immutable", lambda index: ImmutableNumpyBackend(),
                            description="test-only: numpy with read-only arrays")]


plugin = _Plugin()


def pytest_configure(config: Any) -> None:
    """Register the backend when loaded as a pytest plugin (``PYTEST_PLUGINS``)."""
    xgrad.registry.register_plugin(plugin, name="immutable-numpy")
