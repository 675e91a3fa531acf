"""The numpy backend: xgrad's default CPU backend."""
from __future__ import annotations

import numpy
from xgrad.dtypes import ALL_DTYPES, DType, bfloat16

from .._xp import _DIRECT, ArrayModuleBackend
from ._bfloat16 import NativeDtypes

__all__ = ["NumpyBackend"]


class NumpyBackend(ArrayModuleBackend):
    """Required primitives and fused kernels on numpy arrays (host memory). bfloat16 comes
    from the optional ``ml_dtypes`` package (``pip install 'xgrad[bfloat16]'``)."""

    name = "numpy"
    device = "numpy"
    dtypes = frozenset(ALL_DTYPES) | {bfloat16}
    #: Memory planning of compiled programs reuses only buffers of at least this many bytes:
    #: numpy serves small arrays from its own cache, where ``out=`` (a keyword argument to
    #: parse) costs more than the allocation it saves.
    plan_min_bytes: int = 4096
    #: Kernel-internal temporaries (im2col columns) up to 256 MiB per thread are reused
    #: across calls instead of page-faulting fresh memory in at every step.
    scratch_bytes: int = 256 << 20

    def __init__(self) -> None:
        super().__init__(numpy)
        self._native = NativeDtypes(self._native, self)

    def _unknown_dtype(self, x) -> DType:
        if x.dtype.name == "bfloat16":
            self._native[bfloat16]  # noqa: B018 -- resolves ml_dtypes' bfloat16 on first sight
            if x.dtype in self._from_native:
                return self._from_native[x.dtype]
        return super()._unknown_dtype(x)

    def loaded_optional_natives(self) -> frozenset:
        """Native dtypes of optional dtypes already in use (bfloat16 once ml_dtypes is loaded);
        asking never imports ml_dtypes."""
        return self._native.loaded_optional()

    # ---- memory planning of compiled programs (optional contract methods) -------------
    def write_into(self, name: str):
        """numpy's ufunc for kernel ``name`` when this instance calls it directly: it takes
        ``out=`` and computes the same values into it as into a fresh array."""
        attr = _DIRECT.get(name)
        fn = self.__dict__.get(name)
        if attr is None or fn is not getattr(numpy, attr) or not isinstance(fn, numpy.ufunc):
            return None
        return fn

    def buffer_of(self, x) -> tuple:
        """``(owner, key)``: the id of the object owning ``x``'s memory (views followed to
        their base) and, for a writeable array of at least :attr:`plan_min_bytes` that owns
        its memory, ``(shape, dtype, strides)`` (else None)."""
        if type(x) is not numpy.ndarray:
            return id(x), None
        root = x
        base = x.base
        while base is not None:  # as_strided views hold a helper object with .base
            root = base
            base = getattr(base, "base", None)
        if root is not x or not x.flags.writeable or not x.flags.aligned or x.size == 0 \
                or x.nbytes < self.plan_min_bytes:
            return id(root), None
        return id(x), (x.shape, x.dtype, x.strides)
