"""Matrix factorizations over the backend's optional ``linalg`` group: inv, solve, det,
slogdet, cholesky, qr, eigh, svd (``xgrad.backend.LINALG_OPS``).

Each op checks its arguments as PyTorch does (names, shapes, dtypes, error texts), calls one
linalg primitive on a stack of matrices and records one graph node; the backward rules live
in :mod:`xgrad.derivatives_linalg`. A node saves ``(params, weak refs of its outputs, their
native arrays)``: the rules read live outputs (so double backward sees their history) and
rebuild dead ones. Singular or not positive-definite inputs raise PyTorch's errors, which
name the failing pivot or minor (and batch element).
"""
from __future__ import annotations

import weakref
from collections import namedtuple
from typing import Any

from ..autograd.grad_mode import _State
from ..autograd.node import Node
from ..dispatch import run
from ..dtypes import bfloat16, float16
from ..shapes import broadcast_shapes
from ..tensor import Tensor, wrap
from .elementwise import _TORCH_NAMES

__all__ = ["inv", "solve", "det", "slogdet", "cholesky", "qr", "eigh", "svd", "svdvals",
           "eigvalsh", "SlogdetResult", "QRResult", "EighResult", "SVDResult", "require_linalg",
           "check_matrix", "check_square", "LinAlgError"]

SlogdetResult = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
QRResult = namedtuple("linalg_qr", ["Q", "R"])
EighResult = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
SVDResult = namedtuple("linalg_svd", ["U", "S", "Vh"])


class LinAlgError(RuntimeError):
    """A matrix could not be factored (singular, not positive-definite), as
    ``torch.linalg.LinAlgError``."""


def _torch_name(dt: Any) -> str:
    return "BFloat16" if dt is bfloat16 else _TORCH_NAMES.get(dt.name, dt.name)


def require_linalg(fn: str, prim: str, a: Tensor) -> Any:
    """The backend of ``a``, which must implement linalg primitive ``prim`` (else a
    NotImplementedError naming the op and the backend)."""
    be = a._backend
    if not be.has(prim):
        raise NotImplementedError(f"{fn} is not supported by backend '{be.name}' (it does not "
                                  f"implement the optional linalg primitive '{prim}')")
    return be


def check_matrix(fn: str, a: Any, name: str = "A") -> None:
    """``a`` must be a float32/float64 Tensor with at least 2 dimensions."""
    if not isinstance(a, Tensor):
        raise TypeError(f"{fn.replace('.', '_')}(): argument '{name}' (position 1) must be Tensor, not "
                        f"{type(a).__name__}")
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor {name} must have at least 2 dimensions.")
    dt = a.dtype
    if not dt.is_floating_point:
        raise RuntimeError(f"{fn}: Expected a floating point or complex tensor as input. Got "
                           f"{_torch_name(dt)}")
    if dt is float16 or dt is bfloat16:
        raise RuntimeError(f"{fn}: Low precision dtypes not supported. Got {_torch_name(dt)}")


def check_square(fn: str, a: Any, name: str = "A") -> None:
    """``a`` must be a batch of square float32/float64 matrices."""
    check_matrix(fn, a, name)
    m, n = a.shape[-2:]
    if m != n:
        raise RuntimeError(f"{fn}: {name} must be batches of square matrices, but they are {m} by "
                           f"{n} matrices")


def _raise_info(info: Any, be: Any, message: Any) -> None:
    """Raise ``message(code)`` for the first nonzero info code (prefixed by the batch element
    when the input is a batch), as PyTorch's linalg error checks."""
    codes = be.to_numpy(info).reshape(-1)
    batched = info.ndim > 0
    for i, code in enumerate(codes.tolist()):
        if code:
            prefix = f"(Batch element {i}): " if batched else ""
            raise LinAlgError(message(prefix, int(code)))


#: Ops whose backward reads only their outputs: modifying the input in place afterwards
#: leaves the gradient right, so (as PyTorch) it is not an error.
_OUTPUT_ONLY = frozenset({"linalg_inv", "linalg_cholesky", "linalg_qr", "linalg_eigh",
                          "linalg_svd"})


def _record(name: str, inputs: tuple, outs: tuple, params: Any) -> None:
    """One graph node for ``outs`` (the op's outputs, in order)."""
    if not (_State.enabled and any(t is not None and t._rg for t in inputs)):
        return
    saved = (params, tuple(weakref.ref(o) for o in outs), tuple(o._data for o in outs))
    check = () if name in _OUTPUT_ONLY else tuple((t, t._version) for t in inputs
                                                  if t is not None)
    node = Node(name, inputs, saved, check, n_out=len(outs))
    for i, o in enumerate(outs):
        o._node = node
        o._rg = True
        if i:
            o._oidx = i


def inv(A: Tensor, *, out: Any = None) -> Tensor:
    """The inverse of each square matrix of ``A`` (``*, n, n``); a singular matrix raises
    PyTorch's error naming the zero pivot of its LU factorization."""
    fn = "linalg.inv"
    check_square(fn, A)
    be = require_linalg(fn, "linalg_inv", A)
    data, info = run("linalg_inv", be, A._data)
    _raise_info(info, be, lambda p, k: f"{fn}: {p}The diagonal element {k} is zero, the "
                "inversion could not be completed because the input matrix is singular.")
    res = wrap(data, be)
    _record("linalg_inv", (A,), (res,), None)
    return res


def _solve_square(A: Tensor, B: Tensor) -> Tensor:
    fn = "torch.linalg.solve"
    be = require_linalg("linalg.solve", "linalg_solve", A)
    data, info = run("linalg_solve", be, A._data, B._data)
    _raise_info(info, be, lambda p, k: f"{fn}: {p}The solver failed because the input matrix "
                "is singular.")
    res = wrap(data, be)
    _record("linalg_solve", (A, B), (res,), None)
    return res


def solve(A: Tensor, B: Tensor, *, left: bool = True, out: Any = None) -> Tensor:
    """The solution ``X`` of ``A X = B`` (``X A = B`` with ``left=False``) for square ``A``
    (``*, n, n``) and ``B`` of shape ``(*, n, k)`` or a batch of vectors ``(*, n)``; batch
    dims broadcast."""
    fn = "linalg.solve"
    check_square(fn, A)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg_solve(): argument 'B' (position 2) must be Tensor, not "
                        f"{type(B).__name__}")
    if B.dtype is not A.dtype:
        raise RuntimeError(f"{fn}: Expected A and B to have the same dtype, but found A of type "
                           f"{_torch_name(A.dtype)} and B of type {_torch_name(B.dtype)} instead")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    Bm = B.unsqueeze(-1) if vector else B
    if Bm.ndim < 2:
        raise RuntimeError(f"{fn}: The input tensor B must have at least 2 dimensions.")
    n = A.shape[-1]
    if (left and Bm.shape[-2] != n) or (not left and Bm.shape[-1] != n):
        eq = "AX = B" if left else "XA = B"
        raise RuntimeError(f"{fn}: Incompatible shapes of A and B for the equation {eq} "
                           f"({A.shape[-2]}x{n} and {Bm.shape[-2]}x{Bm.shape[-1]})")
    if vector and not left:
        raise RuntimeError(f"{fn}: Vector broadcasting of the left hand side is not supported "
                           "for left=False. In this case linalg.solve is equivalent to B / "
                           "A.squeeze(-1)")
    if not left:
        return _solve_left(A.mT, Bm.mT).mT
    X = _solve_left(A, Bm)
    return X.squeeze(-1) if vector else X


def _solve_left(A: Tensor, B: Tensor) -> Tensor:
    batch = broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]))
    if tuple(A.shape[:-2]) != batch:
        A = A.expand(batch + tuple(A.shape[-2:]))
    if tuple(B.shape[:-2]) != batch:
        B = B.expand(batch + tuple(B.shape[-2:]))
    return _solve_square(A, B)


def det(A: Tensor, *, out: Any = None) -> Tensor:
    """The determinant of each square matrix of ``A`` (``*, n, n``)."""
    fn = "linalg.det"
    check_square(fn, A)
    be = require_linalg(fn, "linalg_det", A)
    res = wrap(run("linalg_det", be, A._data), be)
    _record("linalg_det", (A,), (res,), None)
    return res


def slogdet(A: Tensor, *, out: Any = None) -> SlogdetResult:
    """``(sign, logabsdet)`` of the determinant of each square matrix of ``A``: sign 0 and
    ``logabsdet`` -inf for a singular matrix. Only ``logabsdet`` is differentiable."""
    fn = "linalg.slogdet"
    check_square(fn, A)
    be = require_linalg(fn, "linalg_slogdet", A)
    s, la = run("linalg_slogdet", be, A._data)
    sign, logabsdet = wrap(s, be), wrap(la, be)
    _record("linalg_slogdet", (A,), (sign, logabsdet), None)
    if sign._rg:  # the sign is piecewise constant: not part of the graph
        sign._node, sign._rg = None, False
    return SlogdetResult(sign, logabsdet)


def cholesky(A: Tensor, *, upper: bool = False, out: Any = None) -> Tensor:
    """The Cholesky factor ``L`` (lower triangular, ``A = L L^T``; ``L^T`` with ``upper=True``)
    of each symmetric positive-definite matrix of ``A``, read from its lower triangle."""
    fn = "linalg.cholesky"
    check_square(fn, A)
    be = require_linalg(fn, "linalg_cholesky", A)
    data, info = run("linalg_cholesky", be, A._data)
    _raise_info(info, be, lambda p, k: f"{fn}: {p}The factorization could not be completed "
                "because the input is not positive-definite (the leading minor of order "
                f"{k} is not positive-definite).")
    L = wrap(data, be)
    _record("linalg_cholesky", (A,), (L,), None)
    return L.mT if upper else L


def qr(A: Tensor, mode: str = "reduced", *, out: Any = None) -> QRResult:
    """``(Q, R)`` with ``A = Q R``, ``Q`` orthonormal columns, ``R`` upper triangular:
    ``mode='reduced'`` (``Q`` is ``m x k``, ``k = min(m, n)``), ``'complete'`` (``Q`` is
    ``m x m``) or ``'r'`` (``R`` only; ``Q`` is empty)."""
    fn = "linalg.qr"
    check_matrix(fn, A)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    be = require_linalg(fn, "linalg_qr", A)
    q, r = run("linalg_qr", be, A._data, mode == "complete")
    Q, R = wrap(q, be), wrap(r, be)
    _record("linalg_qr", (A,), (Q, R), mode)
    if mode == "r":
        Q = wrap(be.full((0,), 0, A.dtype), be)
    return QRResult(Q, R)


def _uplo(fn: str, UPLO: Any) -> bool:
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U") or len(UPLO) != 1:
        raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
    return UPLO.upper() == "U"


def eigh(A: Tensor, UPLO: str = "L", *, out: Any = None) -> EighResult:
    """``(eigenvalues, eigenvectors)`` of each symmetric matrix of ``A`` (read from its lower
    triangle, or upper with ``UPLO='U'``): eigenvalues ascending, eigenvectors as columns.
    Gradients are undefined (infinite) at repeated eigenvalues, as in PyTorch."""
    fn = "linalg.eigh"
    check_square(fn, A)
    upper = _uplo(fn, UPLO)
    be = require_linalg(fn, "linalg_eigh", A)
    w, v = run("linalg_eigh", be, A._data, upper)
    L, V = wrap(w, be), wrap(v, be)
    _record("linalg_eigh", (A,), (L, V), upper)
    return EighResult(L, V)


def eigvalsh(A: Tensor, UPLO: str = "L", *, out: Any = None) -> Tensor:
    """The eigenvalues (ascending) of each symmetric matrix of ``A``, as :func:`eigh`."""
    check_square("linalg.eigvalsh", A)
    return eigh(A, UPLO).eigenvalues


def svd(A: Tensor, full_matrices: bool = True, *, driver: Any = None,
        out: Any = None) -> SVDResult:
    """``(U, S, Vh)`` with ``A = U diag(S) Vh`` for each matrix of ``A`` (``*, m, n``), ``S``
    descending. ``full_matrices=False`` gives the reduced factors (``U`` is ``m x k``, ``Vh``
    is ``k x n``, ``k = min(m, n)``); gradients need it unless ``A`` is square."""
    fn = "linalg.svd"
    check_matrix(fn, A)
    if driver is not None:
        raise RuntimeError("torch.linalg.svd: keyword argument `driver=` is only supported on "
                           "CUDA inputs with cuSOLVER backend.")
    be = require_linalg(fn, "linalg_svd", A)
    u, s, vh = run("linalg_svd", be, A._data, bool(full_matrices))
    U, S, Vh = wrap(u, be), wrap(s, be), wrap(vh, be)
    _record("linalg_svd", (A,), (U, S, Vh), bool(full_matrices))
    return SVDResult(U, S, Vh)


def svdvals(A: Tensor, *, driver: Any = None, out: Any = None) -> Tensor:
    """The singular values (descending) of each matrix of ``A`` (``*, m, n``)."""
    check_matrix("linalg.svdvals", A)
    return svd(A, False, driver=driver).S
