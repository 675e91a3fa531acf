"""The derivatives table's linear-algebra rules: inv, solve, det, slogdet, cholesky, qr,
eigh, svd (the ops of :mod:`xgrad.ops.linalg_decomp`), registered with
:func:`xgrad.derivatives.rule` like every other rule.

The formulas are PyTorch's (``FunctionsManual.cpp``), for real matrices, written with
differentiable Tensor ops so double backward works. A node saves its outputs weakly
(``(params, weak refs, native arrays)``): a rule uses the live output tensors, and rebuilds
dead ones, with history when a graph is being built (``create_graph``), as constants
otherwise. The eigh and svd gradients divide by eigenvalue (squared singular value)
differences: they are infinite at repeated values, as in PyTorch.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .autograd.grad_mode import _State
from .creation import eye, zeros
from .derivatives import rule
from .ops.linalg_decomp import _solve_square, cholesky, det, eigh, inv, qr, svd
from .ops.shape import cat
from .tensor import Tensor, wrap

__all__: list[str] = []


def _outputs(node: Any, rebuild: Callable[..., tuple]) -> list[Tensor]:
    """The node's outputs: live tensors, or rebuilt (see the module docstring)."""
    params, refs, natives = node.saved
    outs = [r() for r in refs]
    if all(o is not None for o in outs):
        return outs
    if _State.enabled:
        return list(rebuild(*node.inputs, params))
    be = node.inputs[0]._backend
    return [o if o is not None else wrap(d, be) for o, d in zip(outs, natives)]


def _grads(gs: Any, outs: list[Tensor]) -> list[Tensor | None]:
    return [gs] if len(outs) == 1 and not isinstance(gs, (list, tuple)) else list(gs)


def _eye_like(n: int, t: Tensor) -> Tensor:
    return eye(n, dtype=t.dtype, device=t._backend)


def _right_solve(X: Tensor, R: Tensor) -> Tensor:
    """``X R^{-1}`` for square ``R`` (batch dims broadcast)."""
    return _solve_square(*_bcast(R.mT, X.mT)).mT


def _bcast(A: Tensor, B: Tensor) -> tuple[Tensor, Tensor]:
    from_a, from_b = tuple(A.shape[:-2]), tuple(B.shape[:-2])
    if from_a == from_b:
        return A, B
    n = max(len(from_a), len(from_b))
    batch = tuple(max(x, y) for x, y in zip((1,) * (n - len(from_a)) + from_a,
                                              (1,) * (n - len(from_b)) + from_b))
    return A.expand(batch + tuple(A.shape[-2:])), B.expand(batch + tuple(B.shape[-2:]))


@rule("linalg_inv")
def _inv(node, g):
    (Y,) = _outputs(node, lambda A, p: (inv(A),))
    return (-(Y.mT @ g @ Y.mT),)


@rule("linalg_solve")
def _solve(node, g):
    A, B = node.inputs
    (X,) = _outputs(node, lambda a, b, p: (_solve_square(a, b),))
    gB = _solve_square(A.mT, g)
    return (-(gB @ X.mT) if A._rg else None, gB if B._rg else None)


@rule("linalg_det")
def _det(node, g):
    (A,) = node.inputs
    (d,) = _outputs(node, lambda a, p: (det(a),))
    return ((g * d).unsqueeze(-1).unsqueeze(-1) * inv(A).mT,)


@rule("linalg_slogdet")
def _slogdet(node, gs):
    (A,) = node.inputs
    g = gs[1]
    if g is None:
        return (None,)
    return (g.unsqueeze(-1).unsqueeze(-1) * inv(A).mT,)


@rule("linalg_cholesky")
def _cholesky(node, g):
    # gA = L^{-T} phi(L^T gL) L^{-1}, phi: the lower triangle with its diagonal halved,
    # symmetrized (PyTorch's cholesky_backward)
    (L,) = _outputs(node, lambda a, p: (cholesky(a),))
    P = (L.mT @ g).tril()
    P = 0.5 * (P + P.tril(-1).mT)
    return (_right_solve(_solve_square(L.mT, P), L),)


def _qr_square_or_tall(Q: Tensor, R: Tensor, gQ: Tensor, gR: Tensor) -> Tensor:
    """m >= n: gA = (gQ + Q copyltu(M)) R^{-T}, M = R gR^T - gQ^T Q."""
    M = R @ gR.mT - gQ.mT @ Q
    M = M.tril() + M.tril(-1).mT
    return _right_solve(gQ + Q @ M, R.mT)


@rule("linalg_qr")
def _qr(node, gs):
    (A,) = node.inputs
    mode = node.saved[0]
    if mode == "r":
        raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed "
                           "when mode='r'. Please use linalg.qr(A, mode='reduced') if you are "
                           "going to differentiate through linalg.qr.")
    m, n = A.shape[-2:]
    if mode == "complete" and m > n:
        raise RuntimeError("The QR decomposition is not differentiable when mode='complete' "
                           "and nrows > ncols.")
    Q, R = _outputs(node, lambda a, p: tuple(qr(a, p)))
    gQ, gR = gs
    gQ = zeros(Q.shape, dtype=Q.dtype, device=Q._backend) if gQ is None else gQ
    gR = zeros(R.shape, dtype=R.dtype, device=R._backend) if gR is None else gR
    if m >= n:
        return (_qr_square_or_tall(Q, R, gQ, gR),)
    # wide: A = Q [U | V] with U square; X = A[..., :m] = Q U, Y = A[..., m:] = Q V
    U, gU, gV = R[..., :m], gR[..., :m], gR[..., m:]
    Y = Q @ R[..., m:]
    gX = _qr_square_or_tall(Q, U, gQ + Y @ gV.mT, gU)
    return (cat([gX, Q @ gV], -1),)


@rule("linalg_eigh")
def _eigh(node, gs):
    # gA = V (skew(V^T gV) / E + diag(gL)) V^T with E_ij = L_j - L_i (PyTorch's
    # linalg_eig_backward for Hermitian input)
    upper = node.saved[0]
    L, V = _outputs(node, lambda a, p: tuple(eigh(a, "U" if p else "L")))
    gL, gV = gs
    n = L.shape[-1]
    inner = None
    if gV is not None:
        VtgV = V.mT @ gV
        E = L.unsqueeze(-2) - L.unsqueeze(-1) + _eye_like(n, L)
        inner = 0.5 * (VtgV - VtgV.mT) / E
    if gL is not None:
        D = gL.unsqueeze(-1) * _eye_like(n, L)
        inner = D if inner is None else inner + D
    if inner is None:
        return (None,)
    del upper  # the rule reads the same triangle either way: the gradient is symmetric
    return (V @ inner @ V.mT,)


@rule("linalg_svd")
def _svd(node, gs):
    # PyTorch's svd_backward for real input
    (A,) = node.inputs
    full = node.saved[0]
    U, S, Vh = _outputs(node, lambda a, p: tuple(svd(a, p)))
    gU, gS, gVh = gs
    m, n = A.shape[-2:]
    k = S.shape[-1]
    if full:
        U, Vh = U[..., :k], Vh[..., :k, :]
        gU = None if gU is None else gU[..., :k]
        gVh = None if gVh is None else gVh[..., :k, :]
    if gU is None and gVh is None:
        if gS is None:
            return (None,)
        return (U @ (gS.unsqueeze(-1) * Vh),)
    S2 = S * S
    E = S2.unsqueeze(-2) - S2.unsqueeze(-1) + _eye_like(k, S)
    Sr, Sc = S.unsqueeze(-2), S.unsqueeze(-1)
    UtgU = None if gU is None else U.mT @ gU
    VtgV = None if gVh is None else Vh @ gVh.mT
    if UtgU is not None and VtgV is not None:
        gA = ((UtgU - UtgU.mT) * Sr + Sc * (VtgV - VtgV.mT)) / E
    elif UtgU is not None:
        gA = (UtgU - UtgU.mT) / E * Sr
    else:
        gA = Sc * ((VtgV - VtgV.mT) / E)
    if gS is not None:
        gA = gA + gS.unsqueeze(-1) * _eye_like(k, S)
    if m > n and gU is not None:
        gA = U @ gA
        gUSinv = gU / Sr
        gA = gA + gUSinv - U @ (U.mT @ gUSinv)
        return (gA @ Vh,)
    if m < n and gVh is not None:
        gA = gA @ Vh
        SinvgVh = gVh / Sc
        gA = gA + SinvgVh - (SinvgVh @ Vh.mT) @ Vh
        return (U @ gA,)
    return (U @ gA @ Vh,)

