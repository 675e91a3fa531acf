"""``xgrad.cuda.amp``: the older spelling of :mod:`xgrad.amp` for CUDA (deprecated in PyTorch).

``GradScaler(...)`` here is ``xgrad.amp.GradScaler("cuda", ...)`` and ``autocast(...)`` is
``xgrad.amp.autocast("cuda", ...)``; both warn with a FutureWarning as PyTorch does.
"""
from __future__ import annotations

import warnings
from typing import Any

from .. import amp as _amp

__all__ = ["GradScaler", "autocast"]


class GradScaler(_amp.GradScaler):
    """Deprecated alias of ``xgrad.amp.GradScaler("cuda", ...)``."""

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000,
                 enabled: bool = True) -> None:
        warnings.warn("xgrad.cuda.amp.GradScaler(args...) is deprecated; use "
                      "xgrad.amp.GradScaler('cuda', args...) instead.", FutureWarning, stacklevel=2)
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)


class autocast(_amp.autocast):
    """Deprecated alias of ``xgrad.amp.autocast("cuda", ...)`` (a no-op, see xgrad.amp)."""

    def __init__(self, enabled: bool = True, dtype: Any = None, cache_enabled: bool = True) -> None:
        warnings.warn("xgrad.cuda.amp.autocast(args...) is deprecated; use "
                      "xgrad.amp.autocast('cuda', args...) instead.", FutureWarning, stacklevel=2)
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)
