"""Small batched linear algebra for MultivariateNormal, written with differentiable Tensor
ops (so gradients and double backward work on every backend): Cholesky factorisation and
triangular solves, column by column. Cost is O(n) ops per call, meant for the small event
sizes distributions use; a backend ``linalg`` capability would replace it.
"""
from __future__ import annotations

from ..autograd.grad_mode import no_grad
from ..creation import eye, zeros
from ..ops.shape import cat, stack
from ..tensor import Tensor

__all__ = ["cholesky", "cholesky_ok", "solve_tril", "tril_inverse", "diag_part"]


def _factor(a: Tensor) -> tuple[Tensor, Tensor]:
    """``(L, ok)``: the lower Cholesky factor of the symmetric ``a`` (symmetrised first)
    and a bool tensor over the batch, False where a pivot was not positive."""
    a = (a + a.transpose(-1, -2)) * 0.5  # symmetric gradient, as torch.linalg.cholesky
    n = a.shape[-1]
    batch = tuple(a.shape[:-2])
    cols: list[Tensor] = []
    ok = None
    for j in range(n):
        col = a[..., j:, j]  # (..., n - j)
        if j:
            prev = stack([c[..., j:] for c in cols], -1)  # (..., n - j, j): L[j:, :j]
            row = stack([c[..., j] for c in cols], -1)  # (..., j): L[j, :j]
            col = col - (prev * row.unsqueeze(-2)).sum(-1)
        pivot = col[..., 0]
        good = pivot > 0
        ok = good if ok is None else ok & good
        d = pivot.clamp(min=1e-300 if a.dtype.itemsize == 8 else 1e-30).sqrt()
        col = cat([d.unsqueeze(-1), col[..., 1:] / d.unsqueeze(-1)], -1)
        if j:
            col = cat([zeros(batch + (j,), dtype=a.dtype, device=a.device), col], -1)
        cols.append(col)
    return stack(cols, -1), ok


def cholesky(a: Tensor) -> Tensor:
    """Lower Cholesky factor of the symmetric positive-definite matrices ``a`` (..., n, n);
    raises if a matrix is not positive-definite."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.cholesky: A must be batches of square matrices, but they "
                           f"are {a.shape[-2] if a.ndim > 1 else 1} by {a.shape[-1]} matrices")
    out, ok = _factor(a)
    if ok is not None and not bool(ok.all().item()):
        raise RuntimeError("linalg.cholesky: The factorization could not be completed because "
                           "the input is not positive-definite.")
    return out


def cholesky_ok(a: Tensor) -> Tensor:
    """Bool tensor over the batch: whether each matrix has a Cholesky factor."""
    with no_grad():
        _, ok = _factor(a)
    return ok


def solve_tril(lower: Tensor, b: Tensor) -> Tensor:
    """Solve ``lower @ x = b`` for x, with ``lower`` (..., n, n) lower triangular and
    ``b`` (..., n, k); batch dims broadcast."""
    n = lower.shape[-1]
    rows: list[Tensor] = []
    for i in range(n):
        r = b[..., i, :]
        if i:
            prev = stack(rows, -2)  # (..., i, k)
            r = r - (lower[..., i, :i].unsqueeze(-1) * prev).sum(-2)
        rows.append(r / lower[..., i, i].unsqueeze(-1))
    return stack(rows, -2)


def tril_inverse(lower: Tensor) -> Tensor:
    """Inverse of lower-triangular matrices (also lower triangular)."""
    n = lower.shape[-1]
    return solve_tril(lower, eye(n, dtype=lower.dtype, device=lower.device))


def diag_part(a: Tensor) -> Tensor:
    """The diagonals of the matrices ``a`` (..., n, n) as (..., n)."""
    n = a.shape[-1]
    return (a * eye(n, dtype=a.dtype, device=a.device)).sum(-1)
