"""The numpy backend: xgrad's default CPU backend."""
from __future__ import annotations

import numpy
from xgrad.dtypes import ALL_DTYPES, DType, bfloat16

from .._xp import ArrayModuleBackend
from ._bfloat16 import NativeDtypes

__all__ = ["NumpyBackend"]


class NumpyBackend(ArrayModuleBackend):
    """Required primitives and fused kernels on numpy arrays (host memory). bfloat16 comes
    from the optional ``ml_dtypes`` package (``pip install 'xgrad[bfloat16]'``)."""

    name = "numpy"
    device = "numpy"
    dtypes = frozenset(ALL_DTYPES) | {bfloat16}

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
