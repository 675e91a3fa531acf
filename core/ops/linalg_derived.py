"""``xgrad.linalg`` ops derived in the frontend from the factorizations and existing ops:
pinv, lstsq, matrix_exp, vector_norm, matrix_norm, norm. Their gradients come from the ops
they are built of (svd, eigh, matmul, ...), so they need no rules of their own."""
from __future__ import annotations

import math
from collections import namedtuple
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import eye, zeros
from ..dtypes import int64
from ..shapes import norm_axes, wrap_dim
from ..tensor import Tensor
from ..typeinfo import finfo
from .elementwise import where
from .linalg_decomp import _torch_name, check_matrix, check_square, eigh, inv, slogdet, svd, svdvals
from .reduce import _sqrt_zero_grad

__all__ = ["pinv", "lstsq", "matrix_exp", "vector_norm", "matrix_norm", "norm", "LstsqResult",
           "inverse", "logdet", "pinverse"]

LstsqResult = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


def _cutoff_rtol(A: Tensor, atol: Any, rtol: Any) -> tuple[float, float]:
    eps = finfo(A.dtype).eps
    if atol is None and rtol is None:
        return 0.0, eps * max(A.shape[-2:])
    return (0.0 if atol is None else float(atol),
            (eps * max(A.shape[-2:]) if not atol else 0.0) if rtol is None else float(rtol))


def pinv(A: Tensor, *, atol: Any = None, rtol: Any = None, hermitian: bool = False,
         out: Any = None) -> Tensor:
    """The Moore-Penrose pseudo-inverse of each matrix of ``A`` (``*, m, n``), from its SVD
    (its eigendecomposition with ``hermitian=True``): singular values at or below
    ``max(atol, rtol * largest)`` count as zero (``rtol`` defaults to ``eps * max(m, n)``)."""
    if not isinstance(A, Tensor) or A.ndim < 2 or not A.dtype.is_floating_point:
        what = f"{_torch_name(A.dtype)}{{{list(A.shape)}}}" if isinstance(A, Tensor) else \
            type(A).__name__
        raise RuntimeError(f"linalg.pinv({what}): expected a tensor with 2 or more dimensions "
                           "of float, double, cfloat or cdouble types")
    check_matrix("linalg.pinv", A)
    a_tol, r_tol = _cutoff_rtol(A, atol, rtol)
    if hermitian:
        w, V = eigh(A)
        mag = w.abs()
        big = mag.detach().amax(-1, keepdim=True)
        keep = mag > (big * r_tol).clamp_min(a_tol)
        inv_w = where(keep, 1.0 / where(keep, w, 1.0), 0.0)
        return (V * inv_w.unsqueeze(-2)) @ V.mT
    U, S, Vh = svd(A, False)
    big = S.detach().amax(-1, keepdim=True) if S.shape[-1] else S.detach()
    keep = S > (big * r_tol).clamp_min(a_tol)
    inv_s = where(keep, 1.0 / where(keep, S, 1.0), 0.0)
    return (Vh.mT * inv_s.unsqueeze(-2)) @ U.mT


_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *,
          driver: str | None = None) -> LstsqResult:
    """Least-squares solution of ``A X = B`` (``A`` is ``*, m, n``, ``B`` is ``*, m, k`` or
    ``*, m``), as the named tuple ``(solution, residuals, rank, singular_values)``.

    The solution is ``pinv(A) @ B`` with singular values below ``rcond * largest`` dropped
    (``rcond`` defaults to ``eps * max(m, n)``). As PyTorch on the CPU (default driver
    ``'gelsy'``): ``rank`` is computed except for ``'gels'``; ``residuals`` (squared column
    residual norms) only for drivers other than ``'gelsy'``, when ``m > n`` and every matrix
    has full rank; ``singular_values`` only for ``'gelsd'`` and ``'gelss'``. The others are
    empty tensors."""
    check_matrix("linalg.lstsq", A)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg_lstsq(): argument 'b' (position 2) must be Tensor, not "
                        f"{type(B).__name__}")
    driver = "gelsy" if driver is None else driver
    if driver not in _DRIVERS:
        raise RuntimeError("torch.linalg.lstsq: parameter `driver` should be one of "
                           "(gels, gelsy, gelsd, gelss)")
    if B.dtype is not A.dtype:
        raise RuntimeError(f"torch.linalg.lstsq: Expected input and other to have the same "
                           f"dtype, but got input's dtype {_torch_name(A.dtype)} and other's "
                           f"dtype {_torch_name(B.dtype)}")
    if not (A.ndim >= B.ndim and A.ndim - B.ndim <= 1):
        raise RuntimeError("torch.linalg.lstsq: input.dim() must be greater or equal to "
                           "other.dim() and (input.dim() - other.dim()) <= 1")
    vector = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.shape[-2] != A.shape[-2]:
        raise RuntimeError("torch.linalg.lstsq: input.size(-2) should match other.size(-2)")
    m, n = A.shape[-2:]
    r_tol = finfo(A.dtype).eps * max(m, n) if rcond is None or rcond < 0 else float(rcond)
    U, S, Vh = svd(A, False)
    big = S.detach().amax(-1, keepdim=True) if S.shape[-1] else S.detach()
    keep = S > big * r_tol
    inv_s = where(keep, 1.0 / where(keep, S, 1.0), 0.0)
    X = (Vh.mT * inv_s.unsqueeze(-2)) @ (U.mT @ Bm)
    be = A.device
    empty = zeros(0, dtype=A.dtype, device=be)
    with no_grad():
        rank = keep.to(int64).sum(-1)
    full_rank = bool((rank == min(m, n)).all()) if rank.numel() else True
    residuals = empty
    if driver != "gelsy" and m > n and full_rank:
        res = Bm - A @ X
        residuals = (res * res).sum(-2)
        if vector:
            residuals = residuals.squeeze(-1)
    return LstsqResult(X.squeeze(-1) if vector else X, residuals,
                       zeros(0, dtype=int64, device=be) if driver == "gels" else rank,
                       S if driver in ("gelsd", "gelss") else empty)


def matrix_exp(A: Tensor) -> Tensor:
    """The matrix exponential of each square matrix of ``A``: scaling and squaring with a
    Taylor polynomial, all in matmuls (so it differentiates, twice, on any backend)."""
    check_square("linalg.matrix_exp", A)
    n = A.shape[-1]
    if A.numel() == 0:
        return A.clone()
    with no_grad():
        norm1 = float(A.detach().abs().sum(-2).amax())
    s = max(0, math.ceil(math.log2(norm1 / 0.5))) if norm1 > 0.5 else 0
    X = A / float(2 ** s) if s else A
    terms = 18 if A.dtype.itemsize >= 8 else 10
    I = eye(n, dtype=A.dtype, device=A.device)
    P = I + X / float(terms)
    for k in range(terms - 1, 0, -1):  # Horner: I + X/1 (I + X/2 (I + ...))
        P = I + (X @ P) / float(k)
    for _ in range(s):
        P = P @ P
    return P


def _check_float(fn: str, x: Any, dtype: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn.replace('.', '_')}(): argument 'input' (position 1) must be "
                        f"Tensor, not {type(x).__name__}")
    if dtype is not None:
        if not dtype.is_floating_point:
            raise RuntimeError(f"{fn}: dtype should be floating point or complex, but got "
                               f"{_torch_name(dtype)}")
        x = x.to(dtype)
    if not x.dtype.is_floating_point:
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{_torch_name(x.dtype)}")
    return x


def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *,
                dtype: Any = None, out: Any = None) -> Tensor:
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements when None): ``ord`` any
    number (``inf``: largest ``|x|``, ``-inf``: smallest, ``0``: count of nonzeros). The
    gradient at 0 is 0, as in PyTorch."""
    x = _check_float("linalg.vector_norm", x, dtype)
    if isinstance(ord, str) or isinstance(ord, bool) or not isinstance(ord, (int, float)):
        raise TypeError(f"linalg_vector_norm(): argument 'ord' must be Number, not "
                        f"{type(ord).__name__}")
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        wrapped = norm_axes(dims, x.ndim) if dims else ()
        if len(set(wrapped)) != len(dims):
            dup = next(d for d in wrapped if list(wrapped).count(d) > 1)
            raise RuntimeError(f"dim {dup} appears multiple times in the list of dims")
        dim = dims if dims else None
    if math.isinf(ord) and x.numel() == 0:
        raise RuntimeError(f"linalg.vector_norm cannot compute the {'' if ord > 0 else '-'}inf "
                           "norm on an empty tensor because the operation does not have an "
                           "identity")
    a = x.abs()
    red = dim if dim is not None else tuple(range(x.ndim))
    if ord == 2:
        return _sqrt_zero_grad((x * x).sum(red, keepdim))
    if ord == 1:
        return a.sum(red, keepdim)
    if ord == math.inf:
        return a.amax(red, keepdim)
    if ord == -math.inf:
        return a.amin(red, keepdim)
    if ord == 0:
        return (x != 0).to(x.dtype).sum(red, keepdim)
    if ord < 0:
        return (a ** ord).sum(red, keepdim) ** (1.0 / ord)
    nz = a != 0
    s = where(nz, where(nz, a, 1.0) ** ord, 0.0).sum(red, keepdim)
    snz = s != 0
    return where(snz, where(snz, s, 1.0) ** (1.0 / ord), 0.0)


_MATRIX_ORDS = ("fro", "nuc", math.inf, -math.inf, 1, -1, 2, -2)


def matrix_norm(A: Tensor, ord: Any = "fro", dim: tuple = (-2, -1), keepdim: bool = False, *,
                dtype: Any = None, out: Any = None) -> Tensor:
    """The matrix ``ord``-norm over the two dims ``dim``: ``'fro'`` (Frobenius), ``'nuc'``
    (sum of singular values), ``2`` / ``-2`` (largest / smallest singular value), ``1`` /
    ``-1`` (max / min column abs-sum), ``inf`` / ``-inf`` (max / min row abs-sum)."""
    fn = "linalg.matrix_norm"
    A = _check_float(fn, A, dtype)
    if A.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor A must have at least 2 dimensions.")
    if isinstance(dim, int) or len(tuple(dim)) != 2:
        raise RuntimeError(f"{fn}: dim must be a 2-tuple. Got {dim}")
    d0, d1 = (wrap_dim(d, A.ndim) for d in dim)
    if d0 == d1:
        raise RuntimeError(f"{fn}: dims must be different. Got ({dim[0]}, {dim[1]})")
    if ord not in _MATRIX_ORDS or isinstance(ord, bool):
        raise RuntimeError(f"{fn}: Order {ord} not supported.")
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    rest = [i for i in range(A.ndim) if i not in (d0, d1)]
    M = A.permute(rest + [d0, d1])
    if ord in ("nuc", 2, -2):
        S = svdvals(M)
        r = S.sum(-1) if ord == "nuc" else (S.amax(-1) if ord == 2 else S.amin(-1))
    elif ord in (1, -1):
        cols = M.abs().sum(-2)
        r = cols.amax(-1) if ord == 1 else cols.amin(-1)
    else:
        rows = M.abs().sum(-1)
        r = rows.amax(-1) if ord == math.inf else rows.amin(-1)
    if keepdim:
        for d in sorted((d0, d1)):
            r = r.unsqueeze(d)
    return r


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,
         dtype: Any = None, out: Any = None) -> Tensor:
    """A vector or matrix norm, as PyTorch chooses: a vector norm over an int ``dim`` (or the
    flattened input when ``ord`` and ``dim`` are None), a matrix norm over a 2-tuple ``dim``
    (or a 2-D input when only ``ord`` is given)."""
    if not isinstance(A, Tensor):
        raise TypeError(f"linalg_norm(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(A).__name__}")
    if dim is not None:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        if len(dims) not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is specified, it must be of length 1 or 2. "
                               f"Got {list(dims)}")
        if len(dims) == 1:
            if isinstance(ord, str):
                raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {dims[0]}")
            return vector_norm(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
        return matrix_norm(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if A.ndim not in (1, 2):
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {A.ndim}D.")
    if A.ndim == 1:
        return vector_norm(A, ord, None, keepdim, dtype=dtype)
    return matrix_norm(A, ord, (-2, -1), keepdim, dtype=dtype)


def inverse(input: Tensor) -> Tensor:
    """The inverse of each square matrix of ``input`` (``torch.inverse``, as
    :func:`xgrad.linalg.inv`)."""
    return inv(input)


def logdet(input: Tensor) -> Tensor:
    """``log(det(input))`` of each square matrix: NaN for a negative determinant, -inf for a
    singular matrix (differentiable through :func:`xgrad.linalg.slogdet`)."""
    check_square("logdet", input)
    sign, logabs = slogdet(input)
    return where(sign < 0, math.nan, logabs)


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:
    """The pseudo-inverse (``torch.pinverse``): :func:`xgrad.linalg.pinv` with
    ``rtol=rcond``."""
    return pinv(input, rtol=rcond)
