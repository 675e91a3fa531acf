"""Sparse COO tensors: what graph programs use to hold adjacency matrices.

A :class:`SparseTensor` is an ``(sparse_dim, nnz)`` int64 index tensor and an ``(nnz, ...)``
value tensor, both ordinary Tensors on any backend, so its arithmetic is ordinary
differentiable ops: ``sparse @ dense`` gathers the dense rows the indices name and adds them
into the result (``index_put_add``), and gradients reach the values and the dense operand.
It supports what PyTorch programs do with COO tensors: build one (``xgrad.sparse_coo_tensor``,
``Tensor.to_sparse``, ``xgrad.sparse.FloatTensor``), multiply (``mm``, ``spmm``, ``@`` on either
side, ``xgrad.sparse.mm``), add (``dense + sparse`` is dense, ``sparse + sparse`` sparse), scale,
transpose, coalesce, move (``to``/``cuda``/``cpu``) and densify. Other ops raise PyTorch's
``NotImplementedError`` naming the op.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np

from .creation import as_tensor, zeros
from .dtypes import DType, float32, float64, int64, promote_types
from .ops.shape import cat, stack
from .shapes import scalar_type_name
from .tensor import Size, Tensor

__all__ = ["Layout", "SparseTensor", "strided", "sparse_coo", "sparse_coo_tensor", "mm", "spmm",
           "FloatTensor", "DoubleTensor", "LongTensor"]


class Layout:
    """A memory layout (``xgrad.strided``, ``xgrad.sparse_coo``), as ``torch.layout``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"xgrad.{self.name}"


strided = Layout("strided")
sparse_coo = Layout("sparse_coo")


class SparseTensor:
    """A sparse COO tensor (see the module docstring); built by :func:`sparse_coo_tensor`."""

    __xgrad_sparse__ = True
    layout = sparse_coo
    is_sparse = True
    __array_priority__ = 100  # numpy defers to our reflected operators

    def __init__(self, indices: Tensor, values: Tensor, size: tuple, coalesced: bool = False,
                 dense: Tensor | None = None):
        self._idx = indices
        self._val = values
        self._size = Size(size)
        self._coalesced = coalesced
        # made by to_sparse() of a tensor that requires grad: products use it, so the
        # gradient reaches the zero entries too, as PyTorch's dense gradient of to_sparse
        self._dense = dense

    # ---- metadata ---------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return self._size

    def size(self, dim: int | None = None) -> Size | int:
        """The shape, or one dimension's length."""
        return self._size if dim is None else self._size[dim]

    def dim(self) -> int:
        """Number of dimensions."""
        return len(self._size)

    ndim = property(dim)

    @property
    def dtype(self) -> DType:
        return self._val.dtype

    @property
    def device(self) -> Any:
        return self._val.device

    @property
    def requires_grad(self) -> bool:
        return self._val.requires_grad

    @property
    def grad(self) -> Any:
        return self._val.grad

    def requires_grad_(self, requires_grad: bool = True) -> SparseTensor:
        """Make the values a leaf that records gradients."""
        self._val.requires_grad_(requires_grad)
        return self

    def sparse_dim(self) -> int:
        """Number of sparse (indexed) dimensions."""
        return self._idx.shape[0]

    def dense_dim(self) -> int:
        """Number of dense dimensions of each value."""
        return self._val.ndim - 1

    def _nnz(self) -> int:
        return self._val.shape[0]

    def _indices(self) -> Tensor:
        return self._idx

    def _values(self) -> Tensor:
        return self._val

    def is_coalesced(self) -> bool:
        """Whether the indices are sorted and unique."""
        return self._coalesced

    def indices(self) -> Tensor:
        """The ``(sparse_dim, nnz)`` indices of a coalesced tensor."""
        self._need_coalesced()
        return self._idx

    def values(self) -> Tensor:
        """The ``(nnz, ...)`` values of a coalesced tensor."""
        self._need_coalesced()
        return self._val

    def _need_coalesced(self) -> None:
        if not self._coalesced:
            raise RuntimeError("Cannot get indices on an uncoalesced tensor, please call "
                               ".coalesce() first")

    def numel(self) -> int:
        """Number of elements of the dense equivalent."""
        return math.prod(self._size)

    # ---- conversion -------------------------------------------------------------------
    def coalesce(self) -> SparseTensor:
        """Sorted, unique indices; values at repeated indices summed."""
        if self._coalesced:
            return self
        sd = self.sparse_dim()
        strides = [math.prod(self._size[d + 1:sd]) for d in range(sd)]
        flat = sum(self._idx[d] * strides[d] for d in range(sd)) if sd else \
            zeros(self._nnz(), dtype=int64, device=self.device)
        keys, inverse = flat.unique(sorted=True, return_inverse=True)
        vals = zeros((keys.shape[0],) + tuple(self._val.shape[1:]), dtype=self.dtype,
                     device=self.device).index_put_add((inverse,), self._val)
        idx = [(keys // strides[d]) % self._size[d] for d in range(sd)]
        idx_t = stack(idx, 0) if idx else zeros((0, keys.shape[0]), dtype=int64, device=self.device)
        return SparseTensor(idx_t, vals, self._size, True)

    def to_dense(self) -> Tensor:
        """The dense (strided) tensor; differentiable in the values."""
        if self._dense is not None:
            return self._dense
        sd = self.sparse_dim()
        out = zeros(tuple(self._size), dtype=self.dtype, device=self.device)
        return out.index_put_add(tuple(self._idx[d] for d in range(sd)), self._val)

    def to(self, *args: Any, **kwargs: Any) -> SparseTensor:
        """Move and/or cast, as ``Tensor.to`` (indices stay int64)."""
        vals = self._val.to(*args, **kwargs)
        idx = self._idx if vals.device == self._idx.device else self._idx.to(vals.device)
        return SparseTensor(idx, vals, self._size, self._coalesced)

    def cuda(self, device: Any = None) -> SparseTensor:
        """On the CUDA backend."""
        return self.to("cuda" if device is None else device)

    def cpu(self) -> SparseTensor:
        """On the CPU (numpy) backend."""
        return self.to("cpu")

    def float(self) -> SparseTensor:
        """Values as float32."""
        return self.to(float32)

    def double(self) -> SparseTensor:
        """Values as float64."""
        return self.to(float64)

    def detach(self) -> SparseTensor:
        """Values cut from the graph."""
        return SparseTensor(self._idx, self._val.detach(), self._size, self._coalesced)

    def t(self) -> SparseTensor:
        """Transpose of a 2-d sparse tensor."""
        if self.sparse_dim() != 2 or self.dense_dim() != 0:
            raise RuntimeError(f"t() expects a 2-D sparse tensor, but self is {self.dim()}D")
        idx = self._idx.flip(0)
        dense = None if self._dense is None else self._dense.t()
        return SparseTensor(idx, self._val, (self._size[1], self._size[0]), False, dense)

    def to_sparse(self) -> SparseTensor:
        """Already sparse: itself."""
        return self

    # ---- arithmetic -------------------------------------------------------------------
    def mm(self, other: Tensor) -> Tensor:
        """``self @ other`` for a 2-d dense ``other``: a dense result."""
        return spmm(self, other)

    def __matmul__(self, other: Any) -> Any:
        if isinstance(other, SparseTensor):
            return spmm(self, other.to_dense())
        if isinstance(other, Tensor) and other.ndim == 1:
            return spmm(self, other.unsqueeze(1)).squeeze(1)
        return spmm(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        """``dense @ sparse`` = ``(sparse.T @ dense.T).T``."""
        if isinstance(other, Tensor) and other.ndim == 1:
            return spmm(self.t(), other.unsqueeze(1)).squeeze(1)
        return spmm(self.t(), _check_dense("mm", other).t()).t()

    def __add__(self, other: Any) -> Any:
        if isinstance(other, SparseTensor):
            _same_size("add", self, other)
            dt = promote_types(self.dtype, other.dtype)
            return SparseTensor(cat([self._idx, other._idx], 1), cat([self._val.to(dt),
                                other._val.to(dt)], 0), self._size, False)
        raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) instead.")

    def __radd__(self, other: Any) -> Tensor:
        return other + self.to_dense()

    def __mul__(self, other: Any) -> SparseTensor:
        if isinstance(other, (int, float, bool)) or (isinstance(other, Tensor) and other.ndim == 0):
            return SparseTensor(self._idx, self._val * other, self._size, self._coalesced)
        if isinstance(other, Tensor) and tuple(other.shape) == tuple(self._size):
            picked = other[tuple(self._idx[d] for d in range(self.sparse_dim()))]
            return SparseTensor(self._idx, self._val * picked, self._size, self._coalesced)
        raise _unsupported("mul")

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> SparseTensor:
        if isinstance(other, (int, float)) or (isinstance(other, Tensor) and other.ndim == 0):
            return SparseTensor(self._idx, self._val / other, self._size, self._coalesced)
        raise _unsupported("div")

    def __neg__(self) -> SparseTensor:
        return SparseTensor(self._idx, -self._val, self._size, self._coalesced)

    def __xgrad_function__(self, name: str, args: tuple, kwargs: dict) -> Any:
        """``xgrad.<name>(*args)`` where an argument is sparse (``mm``, ``matmul``, ``spmm``,
        ``add``, ``mul``); PyTorch's NotImplementedError for the rest."""
        if name in ("mm", "matmul", "spmm"):
            return args[0] @ args[1]
        if name == "add" and not kwargs:
            return args[0] + args[1]
        if name == "mul":
            return args[0] * args[1]
        raise _unsupported(name)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or not callable(getattr(Tensor, name, None)):
            raise AttributeError(f"'SparseTensor' object has no attribute '{name}'")

        def unsupported(*args: Any, **kwargs: Any) -> Any:
            raise _unsupported(name)

        return unsupported  # a dense Tensor method: PyTorch's error when called

    def __repr__(self) -> str:
        idx = _indent(repr(self._idx), len("tensor(indices="))
        val = _indent(repr(self._val), len("       values="))
        tag = f", dtype={self.dtype!r}"  # PyTorch moves a non-default dtype to the end
        dtype = ""
        if tag + ")" in val:
            val, dtype = val.replace(tag + ")", ")"), f"dtype={self.dtype!r}, "
        return (f"tensor(indices={idx},\n       values={val},\n       size={tuple(self._size)}, "
                f"nnz={self._nnz()}, {dtype}layout=xgrad.sparse_coo)")


def _indent(text: str, n: int) -> str:
    return text.replace("\n", "\n" + " " * n)


def _unsupported(name: str) -> NotImplementedError:
    return NotImplementedError(
        f"Could not run 'aten::{name}' with arguments from the 'SparseCPU' backend. xgrad's "
        f"sparse COO tensors support mm/spmm/matmul, add, mul by a scalar, t, coalesce, "
        f"to_dense and to(); call .to_dense() for other ops.")


def _same_size(op: str, a: SparseTensor, b: SparseTensor) -> None:
    if tuple(a.shape) != tuple(b.shape):
        raise RuntimeError(f"{op}: expected sizes of 'self' and 'other' to match, but "
                           f"{list(a.shape)} != {list(b.shape)}")


def _check_dense(op: str, t: Any) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}(): argument 'mat2' (position 2) must be Tensor, not "
                        f"{type(t).__name__}")
    return t


def spmm(sparse: SparseTensor, dense: Tensor) -> Tensor:
    """``sparse @ dense`` for a 2-d sparse and a 2-d dense matrix: a dense ``(n, f)`` result
    (gradients reach ``dense`` and the sparse values)."""
    dense = _check_dense("mm", dense)
    if not isinstance(sparse, SparseTensor):
        raise TypeError(f"spmm(): argument 'input' must be a sparse tensor, not "
                        f"{type(sparse).__name__}")
    if sparse.dim() != 2 or dense.ndim != 2:
        raise RuntimeError(f"mm(): expected 2D tensors, got {sparse.dim()}D and {dense.ndim}D")
    n, k = sparse.shape
    if dense.shape[0] != k:
        raise RuntimeError(f"addmm: Argument #3 (dense): Expected dim 0 size {k}, got "
                           f"{dense.shape[0]}")
    if dense.dtype is not sparse.dtype:
        raise RuntimeError(f"expected scalar type {_scalar(sparse.dtype)} but found "
                           f"{_scalar(dense.dtype)}")
    if sparse._dense is not None:
        return sparse._dense.matmul(dense)
    row, col = sparse._idx[0], sparse._idx[1]
    contrib = dense[col] * sparse._val.unsqueeze(1)
    out = zeros((n, dense.shape[1]), dtype=dense.dtype, device=dense.device)
    return out.index_put_add((row,), contrib)


def _scalar(dt: DType) -> str:
    return scalar_type_name(dt.name)


mm = spmm


def sparse_coo_tensor(indices: Any, values: Any, size: Any = None, *, dtype: DType | None = None,
                      device: Any = None, requires_grad: bool = False,
                      check_invariants: bool | None = None,
                      is_coalesced: bool | None = None) -> SparseTensor:
    """A sparse COO tensor with ``values[i]`` at ``indices[:, i]`` (indices any integer
    array-like, converted to int64; ``size`` inferred from the largest index when omitted)."""
    idx = as_tensor(indices, None, device)
    if idx.dtype is not int64:  # PyTorch converts any index dtype
        idx = idx.to(int64)
    val = as_tensor(values, dtype, device if device is not None else idx.device)
    if val.device != idx.device:
        idx = idx.to(val.device)
    if val.ndim == 0:
        val = val.reshape(1)
    if idx.ndim != 2:
        raise RuntimeError(f"indices must be sparse_dim x nnz, but got: {list(idx.shape)}")
    if idx.shape[1] != val.shape[0]:
        raise RuntimeError(f"indices and values must have same nnz, but got nnz from indices: "
                           f"{idx.shape[1]}, nnz from values: {val.shape[0]}")
    sd = idx.shape[0]
    host = idx.numpy() if idx.numel() else np.zeros((sd, 0), np.int64)
    if host.size and host.min() < 0:
        raise RuntimeError(f"found negative index {int(host.min())} for dim "
                           f"{int(np.argmin(host.min(axis=1)))}")
    if size is None:
        size = tuple(int(m) + 1 for m in host.max(axis=1)) if host.size else (0,) * sd
        size = size + tuple(val.shape[1:])
    size = tuple(int(s) for s in size)
    if len(size) != sd + val.ndim - 1:
        raise RuntimeError(f"'len(size) == sparse_dim + dense_dim' is not satisfied: len(size) = "
                           f"{len(size)}, sparse_dim = {sd}, dense_dim = {val.ndim - 1}")
    if host.size:
        hi = host.max(axis=1)
        for d in range(sd):
            if hi[d] >= size[d]:
                raise RuntimeError(f"size is inconsistent with indices: for dim {d}, size is "
                                   f"{size[d]} but found index {int(hi[d])}")
    if requires_grad:
        val = val.detach().requires_grad_(True)
    return SparseTensor(idx, val, size, bool(is_coalesced))


def to_sparse(self: Tensor, sparse_dim: int | None = None, *, layout: Any = None) -> SparseTensor:
    """The sparse COO form of a dense tensor: its nonzero entries (differentiable)."""
    if layout not in (None, sparse_coo):
        raise NotImplementedError(f"to_sparse(): layout {layout} is not supported")
    sd = self.ndim if sparse_dim is None else int(sparse_dim)
    if not 0 < sd <= self.ndim:
        raise RuntimeError(f"sparse_dim must be in [1, {self.ndim}], got {sd}")
    mask = self != 0
    if sd < self.ndim:
        mask = mask.reshape(tuple(self.shape[:sd]) + (-1,)).any(-1)
    idx = mask.nonzero().t()
    vals = self[tuple(idx[d] for d in range(sd))]
    return SparseTensor(idx.to(int64), vals, tuple(self.shape), True,
                        self if self.requires_grad and sd == self.ndim else None)


_LEGACY = {"float32": float32, "float64": float64, "int64": int64}


def _legacy(dtype_name: str):
    def construct(indices: Any, values: Any, size: Any = None) -> SparseTensor:
        return sparse_coo_tensor(indices, values, size, dtype=_LEGACY[dtype_name])

    construct.__name__ = construct.__qualname__ = {"float32": "FloatTensor", "float64":
                                                   "DoubleTensor", "int64": "LongTensor"}[dtype_name]
    construct.__doc__ = f"Legacy sparse constructor: ``sparse_coo_tensor`` with {dtype_name} values."
    return construct


FloatTensor = _legacy("float32")
DoubleTensor = _legacy("float64")
LongTensor = _legacy("int64")

Tensor.to_sparse = to_sparse
Tensor.layout = property(lambda self: strided, doc="The memory layout: ``xgrad.strided``.")
Tensor.to_dense = lambda self, dtype=None, *, masked_grad=None: self if dtype is None else self.to(dtype)
Tensor.to_dense.__doc__ = "A dense tensor is its own dense form (``dtype`` casts)."
