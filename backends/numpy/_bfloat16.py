"""bfloat16 on the numpy backend, through the optional ``ml_dtypes`` package.

ml_dtypes gives numpy a real bfloat16 dtype whose ufuncs compute in float32 and round once, as
PyTorch's CPU kernels do. Reductions, matmul and the fused kernels would instead accumulate in
bfloat16 (or return float32), so the first time bfloat16 is used they are wrapped to upcast
bfloat16 inputs to float32 and round the result back. Until then nothing is wrapped, so other
dtypes pay nothing.
"""
from __future__ import annotations

import functools
from typing import Any

import numpy as np
from xgrad.dtypes import BFLOAT16_MISSING, bfloat16

__all__ = ["NativeDtypes", "native_bfloat16", "UPCAST_OPS"]

#: Methods that compute in float32 for bfloat16 inputs (results rounded to bfloat16). The
#: binary ops are here for Python-scalar operands, which PyTorch keeps in float32 (numpy would
#: round them to bfloat16 first); the unary ufuncs of ml_dtypes already compute in float32.
UPCAST_OPS = ("add", "sub", "mul", "div", "floordiv", "remainder", "pow", "atan2", "maximum",
              "minimum", "eq", "ne", "lt", "le", "gt", "ge", "where", "sum", "prod", "cumsum",
              "matmul", "erf", "log_softmax", "softmax", "logsumexp", "cross_entropy",
              "cross_entropy_grad", "linear", "sigmoid", "gelu", "conv2d", "conv2d_input_grad",
              "conv2d_weight_grad")


def native_bfloat16() -> np.dtype:
    """ml_dtypes' bfloat16 as a numpy dtype; a clear ImportError naming the extra if absent."""
    try:
        import ml_dtypes
    except ImportError:
        raise ImportError(BFLOAT16_MISSING) from None
    return np.dtype(ml_dtypes.bfloat16)


def _upcast(fn: Any, bf16: np.dtype) -> Any:
    f32 = np.dtype(np.float32)

    def up(a: Any) -> Any:
        return a.astype(f32) if isinstance(a, np.ndarray) and a.dtype == bf16 else a

    def down(r: Any) -> Any:
        if isinstance(r, (np.ndarray, np.generic)) and r.dtype == f32:
            return r.astype(bf16)
        if isinstance(r, tuple):
            return tuple(down(v) for v in r)
        return r

    @functools.wraps(fn)
    def wrapped(*args: Any) -> Any:
        for a in args:
            if getattr(a, "dtype", None) == bf16:
                return down(fn(*(up(a) for a in args)))
        return fn(*args)

    return wrapped


class NativeDtypes(dict):
    """DType -> numpy dtype for one backend; bfloat16 resolves on first use, and then the
    backend's accumulating ops are wrapped to compute bfloat16 in float32."""

    def __init__(self, table: dict, backend: Any) -> None:
        super().__init__(table)
        self._backend = backend

    def __missing__(self, dtype: Any) -> Any:
        if dtype is not bfloat16:
            raise KeyError(dtype)
        native = native_bfloat16()
        be = self._backend
        for name in UPCAST_OPS:
            setattr(be, name, _upcast(getattr(be, name), native))
        self[dtype] = native
        be._from_native[native] = bfloat16
        be.__dict__.pop("_xg_floats", None)  # the frontend's cached set of float natives
        return native

    def loaded_optional(self) -> frozenset:
        """Native dtypes of the optional dtypes already in use (never loads one)."""
        return frozenset(v for k, v in self.items() if k is bfloat16)
