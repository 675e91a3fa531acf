"""More indexing ops and NaN-aware reductions on the existing ops: masked_select,
index_fill, index_copy, take, nansum, nanmean, aminmax, std_mean, var_mean."""
from __future__ import annotations

from typing import Any

from ..dtypes import bool_, int64
from ..shapes import check_keepdim, norm_axes, scalar_type_name, wrap_dim
from ..tensor import Tensor
from . import elementwise as E
from . import reduce as R
from .indexing import getitem, index_select, scatter
from .shape_more import _check_pair, broadcast_tensors

__all__ = ["masked_select", "index_fill", "index_copy", "index_put", "take", "nansum", "nanmean",
           "aminmax", "std_mean", "var_mean"]


def _type_name(t: Tensor) -> str:
    return scalar_type_name(str(t.dtype).split(".")[-1])


def masked_select(input: Tensor, mask: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """The elements of ``input`` where ``mask`` (bool, broadcasting with ``input``) is True,
    as a 1-d tensor in row-major order."""
    if not isinstance(mask, Tensor):
        raise TypeError(f"masked_select(): argument 'mask' (position 2) must be Tensor, not "
                        f"{type(mask).__name__}")
    if mask.dtype is not bool_:
        raise RuntimeError("masked_select: expected BoolTensor for mask")
    _check_pair(tuple(mask.shape), tuple(input.shape))  # PyTorch names the mask first
    a, m = broadcast_tensors(input, mask)
    return getitem(a.reshape(-1), m.reshape(-1))


def _index_vector(op: str, a: Tensor, d: int, index: Tensor) -> Tensor:
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dtype is not int64:
        raise IndexError(f"{op}_(): Expected dtype int64 for index.")
    if index.ndim > 1:
        raise RuntimeError("Index has to be a vector/scalar")
    n = a.shape[d] if a.ndim else 1
    low = 0 if op == "index_copy" else -n  # index_copy refuses negative indices
    for v in index.reshape(-1).tolist():
        if not low <= v < n:
            prefix = f"{op}_(): " if op == "index_copy" else ""
            raise IndexError(f"{prefix}index {v} is out of bounds for dimension {d} with size {n}")
    return index.reshape(-1)


def _along(a: Tensor, d: int, v: Tensor) -> Tensor:
    """A 1-d tensor over dim ``d`` of ``a`` shaped to broadcast against ``a``."""
    shape = [1] * a.ndim
    if a.ndim:
        shape[d] = -1
    return v.reshape(*shape) if a.ndim else v.reshape(())


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a
    number or a 0-d tensor)."""
    d = wrap_dim(dim, input.ndim)
    idx = _index_vector("index_fill", input, d, index)
    n = input.shape[d] if input.ndim else 1
    idx = E.where(idx < 0, idx + n, idx)
    positions = input.new_tensor(list(range(n)), dtype=int64)
    hit = (positions.reshape(-1, 1) == idx.reshape(1, -1)).any(1)
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.ndim} dimension(s).")
        value = value.to(input.dtype)
    out = E.where(_along(input, d, hit), value, input)
    return out if out.dtype is input.dtype else out.to(input.dtype)


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *,  # noqa: A002
              alpha: Any = 1) -> Tensor:
    """A copy of ``input`` with ``alpha * source[i]`` added at slice ``index[i]`` along
    ``dim`` (repeated indices accumulate)."""
    if not isinstance(index, Tensor):
        raise TypeError(f"index_add(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    d = wrap_dim(dim, input.ndim) if input.ndim else wrap_dim(dim, 1)
    if index.ndim > 1:
        raise IndexError(f"index_add_(): Index is supposed to be a vector, but got dim: "
                         f"{index.ndim} with type: {scalar_type_name(index.dtype.name)} and size: "
                         f"{list(index.shape)}")
    if index.dtype.name not in ("int32", "int64"):
        raise RuntimeError(f"index_add_(): Expected dtype int32/int64 for index but got: "
                           f"{scalar_type_name(index.dtype.name)}")
    if source.dtype is not input.dtype:
        raise RuntimeError(f"index_add_(): self ({_type_name(input)}) and source "
                           f"({_type_name(source)}) must have the same scalar type")
    base = input if input.ndim else input.reshape(1)
    src = source if source.ndim else source.reshape(1)
    if src.ndim != base.ndim or any(src.shape[i] != base.shape[i]
                                    for i in range(base.ndim) if i != d):
        raise RuntimeError(f"source tensor shape must match self tensor shape, excluding the "
                           f"specified dimension. Got self.shape = {list(input.shape)} "
                           f"source.shape = {list(source.shape)}")
    idx = index.reshape(-1).to(int64)
    if idx.numel() != src.shape[d]:
        raise RuntimeError(f"index_add_(): Number of indices ({idx.numel()}) should be equal to "
                           f"source.size(dim): ({src.shape[d]}), for dim: {d}")
    n = base.shape[d]
    for v in idx.tolist():
        if not 0 <= v < n:
            raise RuntimeError(f"index {v} is out of bounds for dimension {d} with size {n}")
    full = _along(src, d, idx).expand(*src.shape)
    out = base.scatter_add(d, full, src if alpha == 1 else src * alpha)
    return out if input.ndim else out.reshape(())


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """A copy of ``input`` with slice ``i`` of ``source`` along ``dim`` written at slice
    ``index[i]``."""
    d = wrap_dim(dim, input.ndim)
    idx = _index_vector("index_copy", input, d, index)
    if source.dtype != input.dtype:
        raise RuntimeError(f"index_copy_(): self and source expected to have the same dtype, "
                           f"but got (self) {_type_name(input)} and (source) {_type_name(source)}")
    src = source if source.ndim else source.reshape(1)
    dst_shape = list(input.shape) if input.ndim else [1]
    ns = src.shape[d] if src.ndim == len(dst_shape) else None
    if src.ndim != len(dst_shape) or any(src.shape[i] != dst_shape[i]
                                          for i in range(len(dst_shape)) if i != d):
        for i in range(max(len(dst_shape), src.ndim)):
            if i == d:
                continue
            want = dst_shape[i] if i < len(dst_shape) else None
            got = src.shape[i] if i < src.ndim else None
            if want != got:
                raise RuntimeError(
                    "index_copy_(): Source/destination tensor must have same slice shapes. "
                    f"Destination slice shape: {_slice(dst_shape, d)} at dimension {d} and "
                    f"source slice shape: {_slice(list(src.shape), d)} at dimension {d}.")
    if ns != idx.numel():
        raise IndexError(f"index_copy_(): Number of indices ({idx.numel()}) should be equal to "
                         f"source.size(dim) ({ns})")
    base = input if input.ndim else input.reshape(1)
    n = dst_shape[d]
    idx = E.where(idx < 0, idx + n, idx)
    full = _along(src, d, idx).expand(*src.shape)
    out = scatter(base, d, full, src)
    return out if input.ndim else out.reshape(())


def index_put(input: Tensor, indices: Any, values: Tensor,  # noqa: A002 - PyTorch's name
              accumulate: bool = False) -> Tensor:
    """A copy of ``input`` with ``values`` (broadcast) written at ``input[indices]`` (a tuple
    of index tensors, as advanced indexing); with ``accumulate``, added there instead (repeated
    indices add up)."""
    if not isinstance(indices, (tuple, list)) or not all(isinstance(i, Tensor) for i in indices):
        raise TypeError(f"index_put(): argument 'indices' (position 1) must be tuple of Tensors, "
                        f"not {type(indices).__name__}")
    if not isinstance(values, Tensor):
        raise TypeError(f"index_put(): argument 'values' (position 2) must be Tensor, not "
                        f"{type(values).__name__}")
    for i in indices:
        if i.dtype.is_floating_point:
            raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    if values.dtype != input.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_type_name(input)} for the destination and {_type_name(values)} "
                           f"for the source.")
    index = tuple(indices)
    target = tuple(getitem(input.detach(), index).shape)
    try:
        vals = values.expand(*target)
    except RuntimeError:
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values.shape)} cannot be "
                           f"broadcast to indexing result of shape {list(target)}") from None
    if accumulate:
        return input.index_put_add(index, vals)
    out = input.clone()
    out[index] = vals
    return out


def _slice(shape: list, d: int) -> str:
    rest = shape[:d] + shape[d + 1:]
    return ", ".join(str(s) for s in rest) if rest else "[]"


def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """The elements of the flattened ``input`` at ``index`` (negative counts from the end),
    in the shape of ``index``."""
    if not isinstance(index, Tensor):
        raise TypeError(f"take(): argument 'index' (position 2) must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dtype is not int64:
        raise RuntimeError(f"take(): Expected a long tensor for index, but got "
                           f"{_type_name(index)}")
    n = input.numel()
    for v in index.reshape(-1).tolist():
        if not -n <= v < n:
            raise IndexError(f"out of range: tried to access index {v} on a tensor of {n} "
                             f"elements.")
    flat = input.reshape(-1)
    return index_select(flat, 0, index.reshape(-1)).reshape(*index.shape)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
           dtype: Any = None) -> Tensor:
    """Sum treating NaN as zero."""
    x = E.where(E.isnan(input), 0.0, input) if input.dtype.is_floating_point else input
    return R.sum(x, dim, keepdim, dtype=dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *,  # noqa: A002
            dtype: Any = None) -> Tensor:
    """Mean of the elements that are not NaN (NaN where all are)."""
    if not input.dtype.is_floating_point:
        raise RuntimeError(f"nanmean(): expected input to have floating point or complex dtype "
                           f"but got {_type_name(input)}")
    keep = E.logical_not(E.isnan(input))
    count = R.sum(keep.to(input.dtype), dim, keepdim, dtype=dtype)
    return nansum(input, dim, keepdim, dtype=dtype) / count


class _AminmaxResult(tuple):
    """``(min, max)`` with ``.min`` and ``.max``, like ``torch.return_types.aminmax``."""

    @property
    def min(self) -> Tensor:  # noqa: A003 - PyTorch's field name
        return self[0]

    @property
    def max(self) -> Tensor:  # noqa: A003 - PyTorch's field name
        return self[1]

    def __repr__(self) -> str:
        return f"xgrad.return_types.aminmax(\nmin={self[0]!r},\nmax={self[1]!r})"


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002
    """``(min, max)`` over ``dim`` (all elements when None), as :func:`amin` and
    :func:`amax`."""
    check_keepdim("aminmax", keepdim)
    if dim is None:
        if input.numel() == 0:
            raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the "
                               "operation has no identity.")
        axes: Any = ()
        if keepdim:
            axes = tuple(range(input.ndim))
        return _AminmaxResult((R.amin(input, axes, keepdim), R.amax(input, axes, keepdim)))
    d = wrap_dim(dim, input.ndim)
    if input.ndim and input.shape[d] == 0:
        raise IndexError(f"aminmax(): Expected reduction dim {d} to have non-zero size.")
    if not input.ndim:
        return _AminmaxResult((input.clone(), input.clone()))
    return _AminmaxResult((R.amin(input, d, keepdim), R.amax(input, d, keepdim)))


def var_mean(input: Tensor, dim: Any = None, unbiased: Any = None,  # noqa: A002
             keepdim: bool = False, *, correction: Any = None) -> tuple:
    """``(var, mean)`` over ``dim`` in one call (``correction`` as :func:`var`)."""
    norm_axes(dim, input.ndim, "var_mean")
    return (R.var(input, dim, unbiased, keepdim, correction=correction),
            R.mean(input, dim, keepdim))


def std_mean(input: Tensor, dim: Any = None, unbiased: Any = None,  # noqa: A002
             keepdim: bool = False, *, correction: Any = None) -> tuple:
    """``(std, mean)`` over ``dim`` in one call (``correction`` as :func:`std`)."""
    norm_axes(dim, input.ndim, "std_mean")
    return (R.std(input, dim, unbiased, keepdim, correction=correction),
            R.mean(input, dim, keepdim))
