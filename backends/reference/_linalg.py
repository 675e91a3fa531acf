"""The reference backend's optional linalg group, in pure Python: Gaussian elimination with
partial pivoting (LAPACK getrf's pivots and info) for inv, solve, det and slogdet; Cholesky
(potrf's info); Householder QR with LAPACK's signs; cyclic Jacobi for eigh; one-sided
(Hestenes) Jacobi for svd. Everything is computed in float64 and rounded once to the
array's dtype. Slow on purpose: it is the oracle for small matrices."""
from __future__ import annotations

import math

from xgrad.dtypes import int64

from ._array import FIX, RefArray
from ._checks import _arr, _err
from ._scalar_math import _fsum

__all__ = ["LinalgOps"]

Matrix = list  # list of rows (lists of floats)


def _dot(x: list, y: list) -> float:
    return _fsum([a * b for a, b in zip(x, y)])


def _eye(n: int) -> Matrix:
    return [[1.0 if i == j else 0.0 for j in range(n)] for i in range(n)]


def _t(a: Matrix, cols: int) -> Matrix:
    return [list(r) for r in zip(*a)] if a else [[] for _ in range(cols)]


def _lu(a: Matrix) -> tuple[Matrix, list, int, int]:
    """Partially pivoted LU in place of a copy: (LU, row permutation, its sign, info)."""
    n = len(a)
    u = [r[:] for r in a]
    perm = list(range(n))
    sign, info = 1, 0
    for k in range(n):
        p = max(range(k, n), key=lambda i: abs(u[i][k]))  # the first largest, as idamax
        if p != k:
            u[k], u[p] = u[p], u[k]
            perm[k], perm[p] = perm[p], perm[k]
            sign = -sign
        piv = u[k][k]
        if piv == 0:
            info = info or k + 1
            continue
        for i in range(k + 1, n):
            f = u[i][k] / piv
            u[i][k] = f
            if f:
                row, top = u[i], u[k]
                for j in range(k + 1, n):
                    row[j] -= f * top[j]
    return u, perm, sign, info


def _lu_solve(u: Matrix, perm: list, b: Matrix) -> Matrix:
    """Solve with the factors of :func:`_lu` for the columns of ``b`` (n x k)."""
    n = len(u)
    k = len(b[0]) if b else 0
    out = [[0.0] * k for _ in range(n)]
    for c in range(k):
        y = [b[perm[i]][c] for i in range(n)]
        for i in range(n):
            y[i] -= _fsum([u[i][j] * y[j] for j in range(i)])
        for i in range(n - 1, -1, -1):
            y[i] = (y[i] - _fsum([u[i][j] * y[j] for j in range(i + 1, n)])) / u[i][i]
        for i in range(n):
            out[i][c] = y[i]
    return out


def _cholesky(a: Matrix) -> tuple[Matrix, int]:
    n = len(a)
    low = [[0.0] * n for _ in range(n)]
    for j in range(n):
        d = a[j][j] - _fsum([low[j][k] ** 2 for k in range(j)])
        if not d > 0:
            return [[math.nan] * n for _ in range(n)], j + 1
        ljj = math.sqrt(d)
        low[j][j] = ljj
        for i in range(j + 1, n):
            low[i][j] = (a[i][j] - _fsum([low[i][k] * low[j][k] for k in range(j)])) / ljj
    return low, 0


def _householder_qr(a: Matrix, m: int, n: int) -> tuple[Matrix, Matrix]:
    """Full ``Q`` (m x m) and ``R`` (m x n) by Householder reflections with LAPACK's dlarfg
    convention (``beta = -sign(alpha) * norm``; no reflection when the tail is zero)."""
    r = [row[:] for row in a]
    q = _eye(m)
    for j in range(min(m, n)):
        alpha = r[j][j]
        xnorm = math.sqrt(_fsum([r[i][j] ** 2 for i in range(j + 1, m)]))
        if xnorm == 0:
            continue
        beta = -math.copysign(math.hypot(alpha, xnorm), alpha)
        tau = (beta - alpha) / beta
        v = [1.0] + [r[i][j] / (alpha - beta) for i in range(j + 1, m)]
        for c in range(j, n):  # R <- H R
            s = tau * _fsum([v[i - j] * r[i][c] for i in range(j, m)])
            for i in range(j, m):
                r[i][c] -= s * v[i - j]
        for row in q:  # Q <- Q H
            s = tau * _fsum([row[i] * v[i - j] for i in range(j, m)])
            for i in range(j, m):
                row[i] -= s * v[i - j]
        for i in range(j + 1, m):
            r[i][j] = 0.0
    return q, r


def _jacobi_eigh(s: Matrix) -> tuple[list, Matrix]:
    """Eigenvalues (ascending) and eigenvectors (columns) of a symmetric matrix."""
    n = len(s)
    a = [row[:] for row in s]
    v = _eye(n)
    for _ in range(100):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                apq = a[p][q]
                if apq == 0 or abs(apq) <= 1e-18 * math.sqrt(abs(a[p][p] * a[q][q])):
                    continue
                rotated = True
                theta = (a[q][q] - a[p][p]) / (2 * apq)
                t = math.copysign(1.0, theta) / (abs(theta) + math.sqrt(theta * theta + 1))
                c = 1 / math.sqrt(t * t + 1)
                sn = t * c
                for row in a:
                    x, y = row[p], row[q]
                    row[p], row[q] = c * x - sn * y, sn * x + c * y
                rp, rq = a[p], a[q]
                a[p] = [c * x - sn * y for x, y in zip(rp, rq)]
                a[q] = [sn * x + c * y for x, y in zip(rp, rq)]
                for row in v:
                    x, y = row[p], row[q]
                    row[p], row[q] = c * x - sn * y, sn * x + c * y
        if not rotated:
            break
    order = sorted(range(n), key=lambda i: a[i][i])
    return [a[i][i] for i in order], [[row[i] for i in order] for row in v]


def _complete(cols: list, m: int, want: int) -> list:
    """``cols`` (orthonormal vectors of length m) extended to ``want`` by Gram-Schmidt on
    the unit vectors."""
    out = [c[:] for c in cols]
    for e in range(m):
        if len(out) >= want:
            break
        x = [1.0 if i == e else 0.0 for i in range(m)]
        for _ in range(2):
            for c in out:
                d = _dot(c, x)
                x = [xi - d * ci for xi, ci in zip(x, c)]
        nx = math.sqrt(_dot(x, x))
        if nx > 1e-6:
            out.append([xi / nx for xi in x])
    return out


def _svd_tall(a: Matrix, m: int, n: int, full: bool) -> tuple[Matrix, list, Matrix]:
    """One-sided Jacobi for m >= n: U (m x n or m x m), S (n, descending), Vh (n x n)."""
    cols = [[a[i][j] for i in range(m)] for j in range(n)]
    vcols = _eye(n)
    for _ in range(100):
        rotated = False
        for p in range(n - 1):
            for q in range(p + 1, n):
                alpha, beta = _dot(cols[p], cols[p]), _dot(cols[q], cols[q])
                gamma = _dot(cols[p], cols[q])
                if gamma == 0 or abs(gamma) <= 1e-17 * math.sqrt(alpha * beta):
                    continue
                rotated = True
                zeta = (beta - alpha) / (2 * gamma)
                t = math.copysign(1.0, zeta) / (abs(zeta) + math.sqrt(1 + zeta * zeta))
                c = 1 / math.sqrt(1 + t * t)
                s = c * t
                for lst in (cols, vcols):
                    x, y = lst[p], lst[q]
                    lst[p] = [c * u - s * w for u, w in zip(x, y)]
                    lst[q] = [s * u + c * w for u, w in zip(x, y)]
        if not rotated:
            break
    sv = [math.sqrt(_dot(c, c)) for c in cols]
    order = sorted(range(n), key=lambda j: -sv[j])
    s_sorted = [sv[j] for j in order]
    ucols = [[x / sv[j] for x in cols[j]] for j in order if sv[j] > 0]
    ucols = _complete(ucols, m, m if full else n)
    vh = [vcols[j] for j in order]  # rows of Vh are the columns of V
    return _t(ucols, m), s_sorted, vh


class LinalgOps:
    """The reference backend's linalg primitives (``xgrad.backend.LINALG_OPS``)."""

    linalg_ops = frozenset({"linalg_inv", "linalg_solve", "linalg_det", "linalg_slogdet",
                            "linalg_cholesky", "linalg_qr", "linalg_eigh", "linalg_svd"})

    def _matrices(self, op: str, a, square: bool = True) -> tuple[list, tuple, int, int]:
        _arr(op, a, "a")
        if not a.dtype.is_floating_point or a.ndim < 2:
            raise _err(TypeError, op, f"expected a floating array of matrices (ndim >= 2), got "
                       f"shape {a.shape} dtype {a.dtype.name}")
        m, n = a.shape[-2:]
        if square and m != n:
            raise _err(ValueError, op, f"expected square matrices, got shape {a.shape}")
        batch = a.shape[:-2]
        count = math.prod(batch)
        d = a.data
        mats = [[[float(x) for x in d[o + i * n:o + (i + 1) * n]] for i in range(m)]
                for o in range(0, count * m * n, m * n)] if m * n else [
            [[] for _ in range(m)] for _ in range(count)]
        return mats, batch, m, n

    @staticmethod
    def _pack(mats: list, shape: tuple, dtype) -> RefArray:
        flat = [x for mat in mats for row in mat for x in row]
        return RefArray(FIX[dtype](flat), shape, dtype)

    @staticmethod
    def _flat(vals: list, shape: tuple, dtype) -> RefArray:
        return RefArray(FIX[dtype]([float(v) for v in vals]) if dtype is not int64 else
                        list(vals), shape, dtype)

    def linalg_inv(self, a):
        mats, batch, n, _ = self._matrices("linalg_inv", a)
        outs, infos = [], []
        for mat in mats:
            u, perm, _, info = _lu(mat)
            infos.append(info)
            outs.append([[math.nan] * n for _ in range(n)] if info else _lu_solve(u, perm, _eye(n)))
        return self._pack(outs, a.shape, a.dtype), self._flat(infos, batch, int64)

    def linalg_solve(self, a, b):
        op = "linalg_solve"
        mats, batch, n, _ = self._matrices(op, a)
        rhs, bbatch, bm, k = self._matrices(op, b, square=False)
        if bbatch != batch or bm != n or b.dtype is not a.dtype:
            raise _err(ValueError, op, f"expected b of shape {batch + (n, '*')} and dtype "
                       f"{a.dtype.name}, got {b.shape} {b.dtype.name}")
        outs, infos = [], []
        for mat, r in zip(mats, rhs):
            u, perm, _, info = _lu(mat)
            infos.append(info)
            outs.append([[math.nan] * k for _ in range(n)] if info else _lu_solve(u, perm, r))
        return self._pack(outs, b.shape, a.dtype), self._flat(infos, batch, int64)

    def _slogdets(self, op, a):
        mats, batch, n, _ = self._matrices(op, a)
        res = []
        for mat in mats:
            u, _, sign, info = _lu(mat)
            if info:
                res.append((0.0, -math.inf))
                continue
            logabs = _fsum([math.log(abs(u[i][i])) for i in range(n)])
            for i in range(n):
                sign = -sign if u[i][i] < 0 else sign
            res.append((float(sign), logabs))
        return res, batch

    def linalg_det(self, a):
        mats, batch, n, _ = self._matrices("linalg_det", a)
        dets = []
        for mat in mats:
            u, _, sign, info = _lu(mat)
            dets.append(0.0 if info else sign * math.prod(u[i][i] for i in range(n)))
        return self._flat(dets, batch, a.dtype)

    def linalg_slogdet(self, a):
        res, batch = self._slogdets("linalg_slogdet", a)
        return (self._flat([s for s, _ in res], batch, a.dtype),
                self._flat([la for _, la in res], batch, a.dtype))

    def linalg_cholesky(self, a):
        mats, batch, n, _ = self._matrices("linalg_cholesky", a)
        outs, infos = [], []
        for mat in mats:
            low, info = _cholesky(mat)
            outs.append(low)
            infos.append(info)
        return self._pack(outs, a.shape, a.dtype), self._flat(infos, batch, int64)

    def linalg_qr(self, a, complete):
        mats, batch, m, n = self._matrices("linalg_qr", a, square=False)
        k = m if complete else min(m, n)
        qs, rs = [], []
        for mat in mats:
            q, r = _householder_qr(mat, m, n)
            qs.append([row[:k] for row in q])
            rs.append(r[:k])
        return (self._pack(qs, batch + (m, k), a.dtype), self._pack(rs, batch + (k, n), a.dtype))

    def linalg_eigh(self, a, upper):
        mats, batch, n, _ = self._matrices("linalg_eigh", a)
        ws, vs = [], []
        for mat in mats:
            sym = [[mat[min(i, j)][max(i, j)] if upper else mat[max(i, j)][min(i, j)]
                    for j in range(n)] for i in range(n)]
            w, v = _jacobi_eigh(sym)
            ws.append([w])
            vs.append(v)
        return self._pack(ws, batch + (n,), a.dtype), self._pack(vs, a.shape, a.dtype)

    def linalg_svd(self, a, full_matrices):
        mats, batch, m, n = self._matrices("linalg_svd", a, square=False)
        k = min(m, n)
        us, ss, vhs = [], [], []
        for mat in mats:
            if m >= n:
                u, s, vh = _svd_tall(mat, m, n, full_matrices)
            else:  # A^T = U' S V'^T, so A = V' S U'^T
                u2, s, vh2 = _svd_tall(_t(mat, n), n, m, full_matrices)
                u, vh = _t(vh2, m), _t(u2, n if full_matrices else m)
            us.append(u)
            ss.append([s])
            vhs.append(vh)
        ur = m if full_matrices else k
        vr = n if full_matrices else k
        return (self._pack(us, batch + (m, ur), a.dtype), self._pack(ss, batch + (k,), a.dtype),
                self._pack(vhs, batch + (vr, n), a.dtype))

