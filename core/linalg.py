"""``xgrad.linalg``: PyTorch's ``torch.linalg`` namespace.

The factorizations (inv, solve, det, slogdet, cholesky, qr, eigh, svd) run on the backend's
optional ``linalg`` primitive group (``xgrad.backend.LINALG_OPS``); the rest is derived from
them in the frontend. A backend without a primitive raises an error naming op and backend.
"""
from __future__ import annotations

from .ops.linalg import matmul
from .ops.linalg_decomp import (
    EighResult,
    LinAlgError,
    QRResult,
    SlogdetResult,
    SVDResult,
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    qr,
    slogdet,
    solve,
    svd,
    svdvals,
)
from .ops.linalg_derived import (
    LstsqResult,
    lstsq,
    matrix_exp,
    matrix_norm,
    norm,
    pinv,
    vector_norm,
)
from .ops.matrix import cross

__all__ = ["inv", "solve", "det", "slogdet", "cholesky", "qr", "eigh", "eigvalsh", "svd",
           "svdvals", "pinv", "lstsq", "matrix_exp", "norm", "vector_norm", "matrix_norm",
           "matmul", "cross", "LinAlgError", "SlogdetResult", "QRResult", "EighResult",
           "SVDResult", "LstsqResult"]
