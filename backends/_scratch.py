"""Per-thread scratch arrays for kernel-internal temporaries (im2col columns and the like).

A fresh large host array costs a page fault per 4 KiB page on its first write; on the
virtual machines these kernels run on, that was a fifth of a small CNN's training step. A
temporary that never leaves its kernel can instead be one array kept per (shape, dtype) and
reused by the next call on the same thread. The cache is bounded; arrays above the bound are
allocated as before.
"""
from __future__ import annotations

import threading
from typing import Any

__all__ = ["ScratchCache"]


class ScratchCache:
    """Reusable temporaries of at most ``max_bytes`` per thread (0 disables the cache)."""

    def __init__(self, empty: Any, max_bytes: int) -> None:
        self._empty = empty
        self.max_bytes = max_bytes
        self._local = threading.local()

    def take(self, shape: tuple, dtype: Any) -> Any:
        """An uninitialised array of ``shape`` and ``dtype``. The caller must not let it
        escape the kernel: the next ``take`` of the same key on this thread returns it again."""
        if not self.max_bytes:
            return self._empty(shape, dtype=dtype)
        pool = getattr(self._local, "pool", None)
        if pool is None:
            pool = self._local.pool = {}
            self._local.nbytes = 0
        key = (shape, dtype)
        arr = pool.get(key)
        if arr is not None:
            return arr
        arr = self._empty(shape, dtype=dtype)
        if arr.nbytes > self.max_bytes:
            return arr
        if self._local.nbytes + arr.nbytes > self.max_bytes:
            pool.clear()
            self._local.nbytes = 0
        pool[key] = arr
        self._local.nbytes += arr.nbytes
        return arr

    def nbytes(self) -> int:
        """Bytes held by this thread's cache."""
        return getattr(self._local, "nbytes", 0)
