"""Matrix helpers as decompositions: trace, diag, triu_indices, tril_indices, kron, cross,
cdist, meshgrid. Differentiable ones get their gradients from the ops they are built of."""
from __future__ import annotations

import math
import warnings
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import arange, zeros
from ..dtypes import int64
from ..shapes import broadcast_shapes, wrap_dim
from ..tensor import Tensor
from .elementwise import where
from .reduce import _sqrt_zero_grad
from .shape import cat

__all__ = ["trace", "diag", "triu_indices", "tril_indices", "kron", "cross", "cdist",
           "meshgrid"]


def _check(fn: str, x: Any, name: str = "input") -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def _diag_index(n: int, m: int, k: int, device: Any) -> tuple[Tensor, Tensor]:
    length = max(0, min(n + min(k, 0), m - max(k, 0)))
    i = arange(length, dtype=int64, device=device)
    return i - min(k, 0), i + max(k, 0)


def trace(input: Tensor) -> Tensor:
    """Sum of the main diagonal of a 2-D tensor."""
    _check("trace", input)
    if input.dtype.name == "bool":
        raise NotImplementedError("\"trace\" not implemented for 'Bool'")
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    return diag(input).sum()


def diag(input: Tensor, diagonal: int = 0) -> Tensor:
    """1-D input: a square matrix with ``input`` on the ``diagonal``-th diagonal. 2-D input:
    its ``diagonal``-th diagonal as a 1-D tensor (a copy)."""
    _check("diag", input)
    if input.ndim == 2:
        rows, cols = _diag_index(input.shape[0], input.shape[1], diagonal, input.device)
        return input[rows, cols]
    if input.ndim != 1:
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{input.ndim}D")
    n, k = input.shape[0], abs(diagonal)
    size = n + k
    pad = zeros(k, dtype=input.dtype, device=input.device)
    r = arange(size, dtype=int64, device=input.device)
    mask = (r.unsqueeze(0) - r.unsqueeze(1)) == diagonal  # [i, j]: j - i == diagonal
    if diagonal >= 0:
        v = cat([input, pad]).unsqueeze(1)
    else:
        v = cat([input, pad]).unsqueeze(0)
    return where(mask, v, zeros((), dtype=input.dtype, device=input.device))


def _tri_indices(fn: str, row: int, col: int, offset: int, lower: bool, dtype: Any,
                 device: Any) -> Tensor:
    for name, v in (("row", row), ("col", col), ("offset", offset)):
        if isinstance(v, bool) or not isinstance(v, int):
            raise TypeError(f"{fn}(): argument '{name}' must be int, not {type(v).__name__}")
    if row < 0:
        raise RuntimeError(f"row must be non-negative, got{row}")
    if col < 0:
        raise RuntimeError(f"col must be non-negative, got{col}")
    dt = int64 if dtype is None else dtype
    with no_grad():
        r = arange(row, dtype=int64, device=device).unsqueeze(1).expand((row, col))
        c = arange(col, dtype=int64, device=device).unsqueeze(0).expand((row, col))
        keep = (c - r <= offset) if lower else (c - r >= offset)
        return cat([r[keep].unsqueeze(0), c[keep].unsqueeze(0)]).to(dt)


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None, layout: Any = None) -> Tensor:
    """The ``(2, N)`` row and column indices of the upper triangle of a ``row x col``
    matrix (on and above the ``offset``-th diagonal), in row-major order."""
    return _tri_indices("triu_indices", row, col, offset, False, dtype, device)


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: Any = None,
                 device: Any = None, layout: Any = None) -> Tensor:
    """The ``(2, N)`` row and column indices of the lower triangle of a ``row x col``
    matrix (on and below the ``offset``-th diagonal), in row-major order."""
    return _tri_indices("tril_indices", row, col, offset, True, dtype, device)


def kron(input: Tensor, other: Tensor) -> Tensor:
    """Kronecker product: block ``(i, j, ...)`` is ``input[i, j, ...] * other`` (the
    operands are padded with leading 1-dims to the same rank)."""
    _check("kron", input)
    _check("kron", other, "other")
    nd = max(input.ndim, other.ndim)
    a = input.reshape((1,) * (nd - input.ndim) + tuple(input.shape))
    b = other.reshape((1,) * (nd - other.ndim) + tuple(other.shape))
    ash = [s for n in a.shape for s in (n, 1)]
    bsh = [s for n in b.shape for s in (1, n)]
    out = a.reshape(ash) * b.reshape(bsh)
    return out.reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:
    """Cross product of 3-vectors along ``dim`` (inputs broadcast); with ``dim=None`` the
    first dimension of size 3, as PyTorch (which warns that this default is deprecated)."""
    _check("cross", input)
    _check("cross", other, "other")
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=2)
        shape = broadcast_shapes(tuple(input.shape), tuple(other.shape))
        dims = [i for i, n in enumerate(shape) if n == 3]
        if not dims:
            raise RuntimeError("no dimension of size 3 in input")
        d = dims[0]
    else:
        d = wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim if dim is not None else d} "
                           f"must have length 3. Got {input.shape[d]} and {other.shape[d]}")
    shape = broadcast_shapes(tuple(input.shape), tuple(other.shape))
    a, b = input.expand(shape), other.expand(shape)
    a0, a1, a2 = (a.narrow(d, i, 1) for i in range(3))
    b0, b1, b2 = (b.narrow(d, i, 1) for i in range(3))
    return cat([a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0], d)


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0,
          compute_mode: str = "use_mm_for_euclid_dist_if_necessary") -> Tensor:
    """p-norm distances between each row of ``x1`` (..., P, M) and each row of ``x2``
    (..., R, M): a (..., P, R) tensor (batch dims broadcast)."""
    _check("cdist", x1, "x1")
    _check("cdist", x2, "x2")
    if x1.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X1 got: {x1.ndim}D")
    if x2.ndim < 2:
        raise RuntimeError(f"cdist only supports at least 2D tensors, X2 got: {x2.ndim}D")
    if x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"X1 and X2 must have the same number of columns. X1: "
                           f"{x1.shape[-1]} X2: {x2.shape[-1]}")
    if not x1.dtype.is_floating_point:
        raise RuntimeError(f"cdist only supports floating-point dtypes, X1 got: "
                           f"{x1.dtype.name}")
    if p < 0:
        raise RuntimeError("cdist only supports non-negative p values")
    diff = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).abs()  # (..., P, R, M)
    if p == 0:
        return (diff != 0).to(x1.dtype).sum(-1)
    if p == 1:
        return diff.sum(-1)
    if p == 2:
        return _sqrt_zero_grad((diff * diff).sum(-1))
    if math.isinf(p):
        return diff.amax(-1)
    s = (diff ** p).sum(-1)
    nz = s != 0
    return where(nz, where(nz, s, 1.0) ** (1.0 / p), 0.0)


def meshgrid(*tensors: Any, indexing: str | None = None) -> tuple[Tensor, ...]:
    """Coordinate grids from 1-D (or 0-d) tensors: ``indexing='ij'`` (matrix, the default
    with PyTorch's warning when not given) or ``'xy'`` (Cartesian: first two dims swapped).
    The outputs are expanded views of the inputs."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    if not tensors:
        raise RuntimeError("meshgrid expects a non-empty TensorList")
    for t in tensors:
        _check("meshgrid", t, "tensors")
        if t.ndim > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list "
                               f"but got: {t}")
    ts = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    outs = []
    for i, t in enumerate(ts):
        view = [1] * len(ts)
        view[i] = shape[i]
        outs.append(t.reshape(view).expand(shape))
    if swap:
        outs[0], outs[1] = outs[1], outs[0]
    return tuple(outs)
