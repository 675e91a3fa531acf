"""A test-only backend that implements the required core of the contract and nothing else.

Every one of the :data:`~xgrad.backend.REQUIRED_PRIMITIVES` is the numpy backend's; every
optional primitive runs the base class's decomposition (:mod:`xgrad.backend_derived`), and
there are no fused ops and no linear-algebra group. So the decompositions run under the
whole conformance suite, as they would for a third-party backend that writes only the core:
``PYTEST_PLUGINS=core_only xgrad-conformance core_only`` (this folder on ``PYTHONPATH``).
"""
from __future__ import annotations

from typing import Any

import xgrad
from xgrad.backend import REQUIRED_PRIMITIVES, Backend, BackendSpec
from xgrad.backends.numpy import NumpyBackend

__all__ = ["CoreOnlyBackend", "plugin"]


class CoreOnlyBackend(Backend):
    """The required core on numpy arrays; optional primitives derived, no fused ops."""

    name = device = "core_only"
    dtypes = NumpyBackend.dtypes
    fused_ops = frozenset()
    linalg_ops = frozenset()

    def __init__(self) -> None:
        self._np = NumpyBackend()


def _core(name: str) -> Any:
    def method(self: CoreOnlyBackend, *args: Any) -> Any:
        return getattr(self._np, name)(*args)

    method.__name__ = method.__qualname__ = name
    method.__doc__ = getattr(Backend, name).__doc__
    return method


for _name in REQUIRED_PRIMITIVES:
    setattr(CoreOnlyBackend, _name, _core(_name))
del _name


class _Plugin:
    @xgrad.hookimpl
    def xgrad_register_backends(self):
        return [BackendSpec("core_only", lambda index: CoreOnlyBackend(),
                            description="test-only: the required core only, optional "
                            "primitives derived")]


plugin = _Plugin()


def pytest_configure(config: Any) -> None:
    """Register the backend when loaded as a pytest plugin (``PYTEST_PLUGINS``)."""
    xgrad.registry.register_plugin(plugin, name="core-only")
