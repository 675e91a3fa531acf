"""The optional ``linalg`` group (``xgrad.backend.LINALG_OPS``) over an array module's
``linalg`` (numpy.linalg, cupy.linalg), shared by the numpy and cupy backends.

The library call does the work. When it fails (numpy raises ``LinAlgError``; cupy returns
non-finite values) the failing matrices' LAPACK ``info`` codes are recomputed here by a
small batched LU or Cholesky factorization, so the frontend can name the failing pivot or
minor as PyTorch does. That path runs only on failure.
"""
from __future__ import annotations

from typing import Any

import numpy as _np

__all__ = ["ArrayModuleLinalg", "LINALG_GROUP"]

#: The linalg primitives these backends implement.
LINALG_GROUP = frozenset({"linalg_inv", "linalg_solve", "linalg_det", "linalg_slogdet",
                          "linalg_cholesky", "linalg_qr", "linalg_eigh", "linalg_svd"})


class ArrayModuleLinalg:
    """Mixin: the linalg primitives over ``self.xp.linalg``."""

    xp: Any
    linalg_ops = LINALG_GROUP

    def _linalg_error(self) -> tuple:
        """What the library raises for a singular / indefinite matrix (cupy re-uses numpy's)."""
        return (_np.linalg.LinAlgError, getattr(self.xp.linalg, "LinAlgError",
                                                _np.linalg.LinAlgError))

    def _batch_info(self, a: Any) -> Any:
        return self.xp.zeros(a.shape[:-2], dtype=self.xp.int64)

    def _finite(self, *arrays: Any) -> bool:
        return all(bool(self.xp.isfinite(x).all()) for x in arrays)

    def _lu_info(self, a: Any) -> Any:
        """getrf's info per matrix: k > 0 when the k-th pivot of the partially pivoted LU
        factorization is exactly zero (the first such k), else 0."""
        xp = self.xp
        n = a.shape[-1]
        u = a.reshape((-1, n, n)).astype(a.dtype, copy=True)
        b = u.shape[0]
        rows = xp.arange(b)
        info = xp.zeros(b, dtype=xp.int64)
        for k in range(n):
            p = xp.argmax(xp.abs(u[:, k:, k]), axis=1) + k
            top = u[rows, k].copy()
            u[rows, k] = u[rows, p]
            u[rows, p] = top
            piv = u[:, k, k]
            zero = piv == 0
            info = xp.where((info == 0) & zero, k + 1, info)
            f = u[:, k + 1:, k] / xp.where(zero, 1, piv)[:, None]
            u[:, k + 1:, :] -= f[:, :, None] * u[:, k, None, :]
        return info.reshape(a.shape[:-2])

    def _cholesky_info(self, a: Any) -> Any:
        """potrf's info per matrix: the order of the first leading minor that is not
        positive-definite, else 0 (lower triangle read)."""
        xp = self.xp
        n = a.shape[-1]
        x = a.reshape((-1, n, n))
        low = xp.zeros_like(x)
        info = xp.zeros(x.shape[0], dtype=xp.int64)
        for j in range(n):
            d = x[:, j, j] - (low[:, j, :j] ** 2).sum(-1)
            bad = ~(d > 0)
            info = xp.where((info == 0) & bad, j + 1, info)
            ljj = xp.sqrt(xp.where(bad, 1, d))
            low[:, j, j] = ljj
            rest = x[:, j + 1:, j] - (low[:, j + 1:, :j] * low[:, j, None, :j]).sum(-1)
            low[:, j + 1:, j] = rest / ljj[:, None]
        return info.reshape(a.shape[:-2])

    def linalg_inv(self, a):
        xp = self.xp
        try:
            out = xp.linalg.inv(a)
        except self._linalg_error():
            return xp.full(a.shape, xp.nan, dtype=a.dtype), self._lu_info(a)
        if not self._finite(out):
            return out, self._lu_info(a)
        return out, self._batch_info(a)

    def linalg_solve(self, a, b):
        xp = self.xp
        try:
            out = xp.linalg.solve(a, b)
        except self._linalg_error():
            return xp.full(b.shape, xp.nan, dtype=b.dtype), self._lu_info(a)
        if not self._finite(out):
            return out, self._lu_info(a)
        return out, self._batch_info(a)

    def linalg_det(self, a):
        return self.xp.asarray(self.xp.linalg.det(a), dtype=a.dtype)

    def linalg_slogdet(self, a):
        sign, logabs = self.xp.linalg.slogdet(a)
        return self.xp.asarray(sign, dtype=a.dtype), self.xp.asarray(logabs, dtype=a.dtype)

    def linalg_cholesky(self, a):
        xp = self.xp
        # numpy/cupy read the lower triangle; make that explicit for libraries that do not
        low = xp.tril(a)
        sym = low + xp.swapaxes(xp.tril(a, -1), -1, -2)
        try:
            out = xp.linalg.cholesky(sym)
        except self._linalg_error():
            return xp.full(a.shape, xp.nan, dtype=a.dtype), self._cholesky_info(a)
        if not self._finite(out):
            return out, self._cholesky_info(a)
        return xp.tril(out), self._batch_info(a)

    def linalg_qr(self, a, complete):
        q, r = self.xp.linalg.qr(a, mode="complete" if complete else "reduced")
        return q, r

    def linalg_eigh(self, a, upper):
        w, v = self.xp.linalg.eigh(a, UPLO="U" if upper else "L")
        return w, v

    def linalg_svd(self, a, full_matrices):
        u, s, vh = self.xp.linalg.svd(a, full_matrices=full_matrices)
        return u, s, vh
