"""BLAS-style products as decompositions into matmul: addmm, addmv, baddbmm, addbmm, mv,
inner, tensordot, with PyTorch's argument checks and error texts."""
from __future__ import annotations

from typing import Any

from ..shapes import wrap_dim
from ..tensor import Tensor
from .linalg import _tensor_arg, matmul

__all__ = ["addmm", "addmv", "baddbmm", "addbmm", "mv", "inner", "tensordot"]


def _scaled_sum(input: Tensor, prod: Tensor, beta: Any, alpha: Any) -> Tensor:  # noqa: A002
    """``beta * input + alpha * prod`` with ``input`` expanded to ``prod``'s shape; with
    ``beta = 0`` the values of ``input`` are ignored (NaN does not propagate), as PyTorch."""
    base = input.expand(*prod.shape)
    scaled = prod if alpha == 1 else prod * alpha
    if beta == 0:
        return scaled
    return scaled + (base if beta == 1 else base * beta)


def _matrix(name: str, t: Tensor) -> None:
    if t.ndim != 2:
        raise RuntimeError(f"{name} must be a matrix, got {t.ndim}-D tensor")


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: Any = 1,  # noqa: A002
          alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for 2-D ``mat1`` and ``mat2`` (``input``
    broadcasts to the product's shape)."""
    _tensor_arg("addmm", "mat1", mat1)
    _matrix("mat1", mat1)
    _matrix("mat2", mat2)
    return _scaled_sum(input, matmul(mat1, mat2), beta, alpha)


def _mv_check(input: Tensor | None, mat: Tensor, vec: Tensor) -> None:
    nd_in = 1 if input is None else input.ndim
    if mat.ndim != 2 or vec.ndim != 1 or nd_in > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {nd_in}, {mat.ndim}, "
                           f"{vec.ndim}")
    n_in = mat.shape[0] if input is None or input.ndim == 0 else input.shape[0]
    if mat.shape[1] != vec.shape[0] or n_in not in (1, mat.shape[0]):
        raise RuntimeError(f"size mismatch, got input ({n_in}), mat ({mat.shape[0]}x"
                           f"{mat.shape[1]}), vec ({vec.shape[0]})")


def mv(input: Tensor, vec: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """Matrix-vector product of a 2-D ``input`` and a 1-D ``vec``."""
    _tensor_arg("mv", "vec", vec)
    _mv_check(None, input, vec)
    return matmul(input, vec)


def addmv(input: Tensor, mat: Tensor, vec: Tensor, *, beta: Any = 1,  # noqa: A002
          alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)`` for a 2-D ``mat`` and a 1-D ``vec``."""
    _tensor_arg("addmv", "mat", mat)
    _mv_check(input, mat, vec)
    return _scaled_sum(input, matmul(mat, vec), beta, alpha)


def _batches(batch1: Tensor, batch2: Tensor) -> None:
    for name, t in (("batch1", batch1), ("batch2", batch2)):
        if t.ndim != 3:
            raise RuntimeError(f"{name} must be a 3D tensor")
    b, _, k = batch1.shape
    if tuple(batch2.shape[:2]) != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{b}, {k}] but got: [{batch2.shape[0]}, {batch2.shape[1]}].")


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,  # noqa: A002
            alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-D batches of matrices."""
    _tensor_arg("baddbmm", "batch1", batch1)
    _batches(batch1, batch2)
    return _scaled_sum(input, matmul(batch1, batch2), beta, alpha)


def addbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: Any = 1,  # noqa: A002
           alpha: Any = 1) -> Tensor:
    """``beta * input + alpha * sum_b(batch1[b] @ batch2[b])``: the batch's products summed
    into one matrix."""
    _tensor_arg("addbmm", "batch1", batch1)
    _batches(batch1, batch2)
    return _scaled_sum(input, matmul(batch1, batch2).sum(0), beta, alpha)


def inner(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """Sum of products over the last dims of both (a product when either is 0-d); the
    result has shape ``input.shape[:-1] + other.shape[:-1]``."""
    _tensor_arg("inner", "other", other)
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but "
                           f"got shapes {list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


def _dims_lists(dims: Any, na: int) -> tuple[list[int], list[int]]:
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int) and not isinstance(dims, bool):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > na:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        return list(range(-dims, 0)), list(range(dims))
    if not isinstance(dims, (list, tuple)) or len(dims) != 2:
        raise RuntimeError("tensordot expects dims to be an int or a pair of dimension lists, "
                           f"got {dims!r}")
    da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(da) != len(db):
        raise RuntimeError("both dimension lists should have same length")
    return da, db


def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """Sum of products of ``a`` and ``b`` over the dims ``dims`` names: an int ``n`` (the last
    ``n`` of ``a`` with the first ``n`` of ``b``) or two lists of dims."""
    if out is not None:
        raise NotImplementedError("tensordot(): out= is not supported")
    _tensor_arg("tensordot", "b", b)
    da, db = _dims_lists(dims, a.ndim)
    ca = [wrap_dim(d, a.ndim) for d in da]
    cb = [wrap_dim(d, b.ndim) for d in db]
    for d1, d2, w1, w2 in zip(da, db, ca, cb):
        if a.shape[w1] != b.shape[w2]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{a.shape[w1]} in dim {d1} and second has size {b.shape[w2]} "
                               f"in dim {d2}")
    free_a = [d for d in range(a.ndim) if d not in ca]
    free_b = [d for d in range(b.ndim) if d not in cb]
    k = 1
    for d in ca:
        k *= a.shape[d]
    sa = [a.shape[d] for d in free_a]
    sb = [b.shape[d] for d in free_b]
    m = 1
    for s in sa:
        m *= s
    n = 1
    for s in sb:
        n *= s
    left = a.permute(*free_a, *ca).reshape(m, k)
    right = b.permute(*cb, *free_b).reshape(k, n)
    return matmul(left, right).reshape(*sa, *sb)
