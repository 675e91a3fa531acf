"""More shape ops, written on the existing movement ops: hstack, vstack, dstack,
column_stack, atleast_1d/2d/3d, ravel, rot90, flipud, fliplr, tensor_split,
broadcast_tensors, repeat_interleave."""
from __future__ import annotations

from typing import Any

from ..dtypes import int64
from ..shapes import broadcast_shapes, int_arg, wrap_dim
from ..tensor import Tensor
from . import shape as S

__all__ = ["hstack", "vstack", "dstack", "column_stack", "atleast_1d", "atleast_2d",
           "atleast_3d", "ravel", "rot90", "flipud", "fliplr", "tensor_split",
           "broadcast_tensors", "repeat_interleave"]


def _atleast(fn: str, tensors: tuple, make: Any) -> Any:
    if len(tensors) == 1 and isinstance(tensors[0], Tensor):
        return make(tensors[0])
    seq = tensors[0] if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else tensors
    for t in seq:
        if not isinstance(t, Tensor):
            raise TypeError(f"{fn}() received an invalid combination of arguments - got "
                            f"({type(t).__name__}), but expected one of: (Tensor input), "
                            f"(tuple of Tensors tensors)")
    return tuple(make(t) for t in seq)


def _one_1d(t: Tensor) -> Tensor:
    return t.reshape(1) if t.ndim == 0 else t


def _one_2d(t: Tensor) -> Tensor:
    return t.reshape(1, -1) if t.ndim < 2 else t


def _one_3d(t: Tensor) -> Tensor:
    if t.ndim == 0:
        return t.reshape(1, 1, 1)
    if t.ndim == 1:
        return t.reshape(1, -1, 1)
    if t.ndim == 2:
        return t.unsqueeze(-1)
    return t


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor viewed with at least one dim (a 0-d one as shape ``(1,)``); one tensor
    in, one out, else a tuple."""
    return _atleast("atleast_1d", tensors, _one_1d)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor viewed with at least two dims (a 1-d one as a row ``(1, n)``)."""
    return _atleast("atleast_2d", tensors, _one_2d)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor viewed with at least three dims (``(n,)`` as ``(1, n, 1)``, ``(m, n)`` as
    ``(m, n, 1)``)."""
    return _atleast("atleast_3d", tensors, _one_3d)


def _stack_list(fn: str, tensors: Any) -> list:
    tensors = S._tensor_list(fn, tensors)
    if not tensors:
        raise RuntimeError(f"{fn} expects a non-empty TensorList")
    return tensors


def hstack(tensors: Any) -> Tensor:
    """Concatenate horizontally: along dim 0 for 1-d tensors, dim 1 otherwise."""
    ts = [_one_1d(t) for t in _stack_list("hstack", tensors)]
    return S.cat(ts, 0 if ts[0].ndim == 1 else 1)


def vstack(tensors: Any) -> Tensor:
    """Concatenate vertically (along dim 0) after :func:`atleast_2d`."""
    return S.cat([_one_2d(t) for t in _stack_list("vstack", tensors)], 0)


def dstack(tensors: Any) -> Tensor:
    """Concatenate depthwise (along dim 2) after :func:`atleast_3d`."""
    return S.cat([_one_3d(t) for t in _stack_list("dstack", tensors)], 2)


def column_stack(tensors: Any) -> Tensor:
    """Stack as columns: 0-d and 1-d tensors become ``(n, 1)`` columns, then concatenate
    along dim 1."""
    ts = _stack_list("column_stack", tensors)
    return S.cat([t.reshape(-1, 1) if t.ndim <= 1 else t for t in ts], 1)


def ravel(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """The elements as a 1-d tensor (a view when the layout allows one)."""
    return input.reshape(-1)


def rot90(input: Tensor, k: int = 1, dims: Any = (0, 1)) -> Tensor:  # noqa: A002
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first dim towards
    the second."""
    k = int_arg("rot90", "k", k)
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    nd = input.ndim
    if nd < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {nd}")
    if dims[0] == dims[1] or abs(dims[0] - dims[1]) == nd:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    d0, d1 = wrap_dim(dims[0], nd), wrap_dim(dims[1], nd)
    k %= 4
    if k == 1:
        return S.flip(input, (d1,)).transpose(d0, d1)
    if k == 2:
        return S.flip(input, (d0, d1))
    if k == 3:
        return S.flip(input, (d0,)).transpose(d0, d1)
    return input.clone()


def flipud(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """Reverse the order along dim 0."""
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return S.flip(input, (0,))


def fliplr(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """Reverse the order along dim 1."""
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return S.flip(input, (1,))


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple:  # noqa: A002
    """Views of ``input`` split along ``dim``: into ``n`` nearly equal parts (the first
    ``size % n`` one larger) for an int, or at the given indices for a list."""
    if input.ndim == 0:
        raise RuntimeError("tensor_split expected at least a 1-dimensional tensor, but got a "
                           "tensor with 0 dims")
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        if spec.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a "
                               "zero-dimensional or one-dimensional tensor, but got a tensor "
                               f"with {spec.ndim} dims")
        spec = spec.tolist()
    d = wrap_dim(dim, input.ndim)
    n = input.shape[d]
    if isinstance(spec, (list, tuple)):
        cuts = [int_arg("tensor_split", "indices", i) for i in spec]
        bounds = []  # each piece is input[prev:cut], Python slice semantics
        for lo, hi in zip([0, *cuts], [*cuts, n]):
            start, stop, _ = slice(lo, hi).indices(n)
            bounds.append((start, max(start, stop)))
        # pieces may overlap (input[1:-2], input[-2:9], ...): each is its own view
        return tuple(S.narrow(input, d, lo, hi - lo) for lo, hi in bounds)
    else:
        sections = int_arg("tensor_split", "sections", spec)
        if sections <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {sections}")
        size, extra = divmod(n, sections)
        bounds, start = [], 0
        for i in range(sections):
            stop = start + size + (1 if i < extra else 0)
            bounds.append((start, stop))
            start = stop
    return S._pieces(input, d, bounds, False)


def broadcast_tensors(*tensors: Tensor) -> tuple:
    """The tensors expanded (as views) to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    ts = S._tensor_list("broadcast_tensors", tensors)
    shapes = [tuple(t.shape) for t in ts]
    acc = shapes[0] if shapes else ()
    for s in shapes[1:]:
        _check_pair(acc, s)
        acc = broadcast_shapes(acc, s)
    shape = broadcast_shapes(*shapes)
    return tuple(t.expand(*shape) for t in ts)


def _check_pair(sa: tuple, sb: tuple) -> None:
    for i in range(1, min(len(sa), len(sb)) + 1):
        x, y = sa[-i], sb[-i]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {max(len(sa), len(sb)) - i}")


def repeat_interleave(input: Tensor, repeats: Any = None, dim: int | None = None, *,  # noqa: A002
                      output_size: int | None = None) -> Tensor:
    """Repeat each element (each slice along ``dim``; of the flattened tensor when ``dim``
    is None) ``repeats`` times: an int or a tensor of counts, one per element. With only a
    tensor of counts, ``repeat_interleave(counts)`` repeats ``arange(len(counts))``."""
    if repeats is None:
        counts = input
        if counts.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        base = counts.new_tensor(list(range(counts.numel())), dtype=counts.dtype)
        return repeat_interleave(base, counts, 0, output_size=output_size)
    if dim is None:
        input, d = input.reshape(-1), 0
    else:
        d = wrap_dim(dim, input.ndim)
    if input.ndim == 0:
        input = input.reshape(1)
    if isinstance(repeats, Tensor):
        if repeats.ndim > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        if repeats.dtype.is_floating_point or repeats.dtype.name == "bool":
            raise RuntimeError("repeat_interleave only accept 1D vector as repeat")
        counts = [int(c) for c in repeats.reshape(-1).tolist()]
        if len(counts) == 1:
            repeats = counts[0]
        else:
            if len(counts) != input.shape[d]:
                raise RuntimeError(f"repeats must have the same size as input along dim, but "
                                   f"got repeats.size(0) = {len(counts)} and input.size({d}) = "
                                   f"{input.shape[d]}")
            if any(c < 0 for c in counts):
                raise RuntimeError("repeats can not be negative")
            index = [i for i, c in enumerate(counts) for _ in range(c)]
            idx = input.new_tensor(index, dtype=int64)
            return input.index_select(d, idx)
    r = int_arg("repeat_interleave", "repeats", repeats)
    if r < 0:
        raise RuntimeError("Repeats must be non-negative")
    shape = list(input.shape)
    expanded = input.unsqueeze(d + 1).expand(*shape[:d + 1], r, *shape[d + 1:])
    return expanded.reshape(*shape[:d], shape[d] * r, *shape[d + 1:])
