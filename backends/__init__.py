"""xgrad's built-in backends and the registry's public face.

``xgrad.backends.available()`` lists every registered backend with its status,
``describe(name)`` its capabilities, ``failed()`` the plugins that failed to load.
"""
from __future__ import annotations

from xgrad.backends.flags import cuda, cudnn, mkldnn, mps, openmp  # noqa: F401  (PyTorch's flag namespaces)
from xgrad.registry import (
    BackendSpec,
    BackendUnavailableError,
    PluginLoadError,
    available,
    describe,
    failed,
    get_backend,
    register_plugin,
    unregister_plugin,
)

__all__ = ["available", "describe", "failed", "get_backend", "register_plugin",
           "unregister_plugin", "BackendSpec", "BackendUnavailableError", "PluginLoadError"]
