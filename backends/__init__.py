"""xgrad's built-in backends and the registry's public face.

``xgrad.backends.available()`` lists every registered backend with its status,
``describe(name)`` its capabilities, ``failed()`` the plugins that failed to load.
"""
from __future__ import annotations

import warnings

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


# PyTorch is silent on inf/NaN arithmetic (log(0), 0/0, overflow); numpy warns. The numpy
# backend binds its kernels straight to numpy ufuncs (no Python frame of ours around them), and
# ``np.errstate`` per call costs ~1.5 us (3x an ``exp`` of 10 elements), so the warnings are
# dropped by a filter instead, set once when xgrad is imported (before any test or user
# ``catch_warnings`` block, which would drop a filter added inside it). It matches only numpy's
# floating-point RuntimeWarnings attributed to xgrad's own modules (the frontend op or backend
# method calling the ufunc), costs nothing until a warning fires, and leaves the user's own
# numpy code warning as before. (pytest resets the filters around collection and each test, so
# under pytest numpy's warnings reach its warnings summary; a test can call this again.)
def _ignore_float_warnings() -> None:
    warnings.filterwarnings(
        "ignore", r"(invalid value|divide by zero|overflow|underflow) encountered",
        RuntimeWarning, r"xgrad(\.|$)")


_ignore_float_warnings()

__all__ = ["available", "describe", "failed", "get_backend", "register_plugin",
           "unregister_plugin", "BackendSpec", "BackendUnavailableError", "PluginLoadError"]
