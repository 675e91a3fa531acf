"""Indexing: ``__getitem__``/``__setitem__``, gather, scatter, index_select, masked_fill."""
from __future__ import annotations

import operator
from typing import Any

from ..autograd.grad_mode import _State
from ..autograd.node import record
from ..creation import arange, zeros
from ..dispatch import run
from ..dtypes import bool_, int64
from ..shapes import broadcast_shapes, int_arg, need_type, scalar_type_name, wrap_dim
from ..tensor import Tensor, from_data, wrap
from .elementwise import where
from .inplace import apply_inplace
from .operands import device_mismatch
from .views import mark_view


def normalize_index(a: Tensor, index: Any) -> tuple[tuple, bool]:
    """Turn a user index into a tuple of ints, slices, None, Ellipsis and native arrays.

    Returns ``(index, basic)``; ``basic`` is True when no integer/bool arrays are involved.
    """
    if not isinstance(index, tuple):
        index = (index,)
    be = a._backend
    out = []
    basic = True
    shape = a._data.shape
    dim = 0
    n_ell = sum(1 for i in index if i is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(_consumed(i) for i in index)
    for i in index:
        if isinstance(i, Tensor):
            if i._backend is not be:
                raise device_mismatch("indexing", a, i)
            dt = i.dtype
            if dt is bool_:
                for k, n in enumerate(i._data.shape):
                    if dim + k < len(shape) and shape[dim + k] != n:
                        raise IndexError(
                            f"The shape of the mask {list(i._data.shape)} at index {k} does not "
                            f"match the shape of the indexed tensor {list(shape)} at index "
                            f"{dim + k}")
                out.append(i._data)
                basic = False
                dim += len(i._data.shape)
                continue
            if dt.is_floating_point:
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if not i._data.shape:
                i = int(i.item())
            else:
                out.append(i.to(int64)._data)
                basic = False
                dim += 1
                continue
        elif (not isinstance(i, (int, slice)) and i is not None and i is not Ellipsis
              and hasattr(type(i), "__index__") and getattr(i, "ndim", 0) == 0):
            try:
                i = operator.index(i)  # numpy integer scalars, other int-likes
            except TypeError:
                pass
        if isinstance(i, bool):
            i = _native_index(a, i, bool_)
            out.append(i)
            basic = False
            continue
        if isinstance(i, int):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            n = shape[dim]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {n}")
            out.append(i + n if i < 0 else i)
            dim += 1
        elif isinstance(i, slice):
            if not all(p is None or type(p) is int for p in (i.start, i.stop, i.step)):
                i = slice(*(_slice_bound(p) for p in (i.start, i.stop, i.step)))
            if i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(i)
            dim += 1
        elif i is None:
            out.append(None)
        elif i is Ellipsis:
            out.append(Ellipsis)
            dim += len(shape) - consumed
        elif isinstance(i, (list, tuple, range)) or hasattr(i, "__array__"):
            import numpy as np

            arr = np.asarray(i)
            if arr.dtype == np.bool_:
                out.append(_native_index(a, arr, bool_))
                dim += arr.ndim
            else:
                if arr.size and arr.dtype.kind not in "iu":
                    raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
                out.append(_native_index(a, arr.astype(np.int64), int64))
                dim += 1
            basic = False
        else:
            raise IndexError(f"only integers, slices (`:`), ellipsis (`...`), None and long or "
                             f"bool tensors are valid indices (got {type(i).__name__})")
    if dim > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    return tuple(out), basic


def _slice_bound(part: Any) -> int | None:
    """A slice bound as an int: None, ints and anything with ``__index__`` (0-d/one-element
    integer tensors, numpy integers)."""
    if part is None or isinstance(part, int):
        return None if part is None else int(part)
    try:
        return operator.index(part)
    except TypeError:
        raise TypeError("slice indices must be integers or None or have an __index__ method") \
            from None


def _consumed(i: Any) -> int:
    if i is None or i is Ellipsis or isinstance(i, bool):
        return 0
    if isinstance(i, Tensor) and i.dtype is bool_:
        return len(i._data.shape)
    nd = getattr(i, "ndim", None)
    if nd is not None and getattr(getattr(i, "dtype", None), "kind", "") == "b":
        return nd
    return 1


def _is_bool_scalar(i: Any) -> bool:
    return i.__class__ is bool or (isinstance(i, Tensor) and i.dtype is bool_ and not i._data.shape)


def _is_array_index(i: Any) -> bool:
    if isinstance(i, Tensor):
        return bool(i._data.shape) or i.dtype is bool_
    return isinstance(i, (list, tuple)) or hasattr(i, "__array__")


def bool_scalars_as_axes(a: Tensor, index: Any) -> tuple[tuple, int | None] | None:
    """PyTorch's bool scalars in an index (``x[True]``, ``x[False]``, ``x[..., True]``).

    PyTorch turns each one into a new axis indexed by ``[0]`` (True) or ``[]`` (False); these
    advanced indices broadcast into one axis of size 1, or 0 if any is False, which stays in
    place when the bool scalars are adjacent (ints between them do not count) and otherwise
    goes first. Returns the index with that axis as ``None`` and the axis position to empty
    (None to keep it), or None when there is no bool scalar or array indices are also present.
    """
    items = index if isinstance(index, tuple) else (index,)
    if not any(_is_bool_scalar(i) for i in items):
        return None
    if any(_is_array_index(i) for i in items if not _is_bool_scalar(i)):
        return None
    consumed = sum(1 for i in items if i is not None and i is not Ellipsis
                   and not _is_bool_scalar(i))
    rest, where, any_false, pos = [], [], False, 0
    for i in items:
        if _is_bool_scalar(i):
            any_false = any_false or not bool(i)
            if not where:
                slot = len(rest)
                rest.append(None)
            where.append(pos)
            pos += 1
            continue
        if i is None or isinstance(i, slice):
            pos += 1
        elif i is Ellipsis:
            pos += max(len(a._data.shape) - consumed, 0)
        rest.append(i)
    at = where[0]
    if where[-1] - where[0] + 1 != len(where):
        del rest[slot]
        rest.insert(0, None)
        at = 0
    return tuple(rest), at if any_false else None


def _native_index(a: Tensor, values: Any, dt: Any) -> Any:
    import numpy as np

    return a._backend.from_numpy(np.asarray(values), dt)


def getitem(a: Tensor, index: Any) -> Tensor:
    """``a[index]`` with PyTorch/numpy indexing rules."""
    if a.__class__ is Tensor and index.__class__ is int and a._data.shape:
        n = a._data.shape[0]
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of bounds for dimension 0 with size {n}")
        idx, basic = (index + n if index < 0 else index,), True
    else:
        axes = bool_scalars_as_axes(a, index)
        if axes is not None:
            out = getitem(a, axes[0])
            if axes[1] is not None:
                out = getitem(out, (slice(None),) * axes[1] + (slice(0, 0),))
            return out
        idx, basic = normalize_index(a, index)
    be = a._backend
    out = wrap(run("getitem", be, a._data, idx), be)
    if _State.enabled and a._rg:
        record(out, "index", (a,), (idx, basic))
    return mark_view(a, out, ("index", idx)) if basic else out


def getitem_native(a: Tensor, idx: tuple) -> Tensor:
    be = a._backend
    out = wrap(run("getitem", be, a._data, idx), be)
    if _State.enabled and a._rg:
        record(out, "index", (a,), (idx, False))
    return out


def index_grad(g: Tensor, shape: tuple, idx: tuple, basic: bool) -> Tensor:
    """Zeros of ``shape`` with ``g`` placed (basic) or accumulated (advanced) at ``idx``."""
    be = g._backend
    zeros = be.full(shape, 0, be.dtype(g._data))
    out = wrap(run("index_put" if basic else "index_add", be, zeros, idx, g._data), be)
    if _State.enabled and g._rg:
        record(out, "index_backward", (g,), (idx, basic))
    return out


def index_put_add(a: Tensor, index: Any, values: Tensor) -> Tensor:
    """A copy of ``a`` with ``values`` added at ``index`` (repeated indices accumulate)."""
    idx, _ = normalize_index(a, index) if not _is_native(index) else (index, False)
    be = a._backend
    if values._backend is not be:
        raise device_mismatch("index_put_add", a, values)
    out = wrap(run("index_add", be, a._data, idx, values.to(a.dtype)._data), be)
    if _State.enabled and (a._rg or values._rg):
        record(out, "index_put_add", (a, values), idx)
    return out


def _is_native(index: Any) -> bool:
    return isinstance(index, tuple) and all(
        isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in index)


def index_put(a: Tensor, idx: tuple, values: Any) -> Tensor:
    """A copy of ``a`` with ``a[idx] = values`` (native index tuple)."""
    be = a._backend
    vt = isinstance(values, Tensor)
    if vt:
        if values._backend is not be:
            raise device_mismatch("index_put", a, values)
        vdata = values.to(a.dtype)._data
    else:
        vdata = values
    try:
        out = wrap(run("index_put", be, a._data, idx, vdata), be)
    except ValueError:
        if not vt:
            raise
        target = list(be.getitem(a._data, idx).shape)
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(values.shape)} cannot be "
                           f"broadcast to indexing result of shape {target}") from None
    if _State.enabled and (a._rg or (vt and values._rg)):
        record(out, "index_put", (a, values if vt else None), idx)
    return out


def setitem(a: Tensor, index: Any, value: Any) -> None:
    """``a[index] = value`` in place (recorded by autograd)."""
    axes = bool_scalars_as_axes(a, index)
    if axes is not None:
        if axes[1] is not None:
            return  # a False scalar selects nothing
        index = axes[0]
    idx, _ = normalize_index(a, index)
    if not isinstance(value, Tensor) and not isinstance(value, (int, float, bool)):
        value = from_data(value, a.dtype, a._backend, float_default=False)
    apply_inplace(a, lambda x: index_put(x, idx, value), value)


# ---- gather / scatter --------------------------------------------------------------------
def _dim(a: Tensor, dim: int) -> int:
    return wrap_dim(dim, len(a._data.shape))


def _check_index(op: str, a: Tensor, index: Tensor, d: int) -> Tensor:
    """``index`` checked (a Tensor on ``a``'s device, an integer dtype, ``a``'s rank) as int64."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{op}(): expected index to be a Tensor, got {type(index).__name__}")
    if index._backend is not a._backend:
        raise device_mismatch(op, a, index)
    if index.dtype is not int64:
        if (index.dtype.is_floating_point or index.dtype is bool_) and index.numel():
            raise RuntimeError(f"{op}(): Expected dtype int64 for index, got {index.dtype.name}")
        index = index.to(int64)
    if max(index.ndim, 1) != max(a.ndim, 1):  # a 0-d tensor counts as 1-d, as in PyTorch
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input tensor "
                           f"({op}: index shape {list(index.shape)}, input shape {list(a.shape)})")
    return index


class IndexOutOfBoundsError(RuntimeError):
    """An index out of range in gather/scatter: a RuntimeError, as PyTorch raises there."""


def _bounds_error(op: str, exc: IndexError, index: Tensor, d: int, n: int,
                  kind: type = IndexOutOfBoundsError) -> Exception:
    """The backend's IndexError for an out-of-range index, restated as PyTorch does.

    Runs only after the kernel failed, so valid calls pay nothing for the check.
    """
    for v in index.reshape(-1).tolist():
        if not -n <= v < n:
            return kind(f"{op}(): index {v} is out of bounds for dimension {d} with size {n}")
    return exc


def _as_1d(t: Tensor) -> Tensor:
    """A 0-d tensor as a 1-element 1-d one (gather/scatter treat 0-d as 1-d, as PyTorch)."""
    return t.reshape(1) if not t._data.shape else t


def gather(a: Tensor, dim: int, index: Tensor) -> Tensor:
    """``out[i][j] = a[index[i][j]][j]`` for ``dim=0`` (and so on), as ``torch.gather``."""
    d = _dim(a, dim)
    index = _check_index("gather", a, index, d)
    if not a._data.shape or not index._data.shape:
        return gather(_as_1d(a), d, _as_1d(index)).reshape(tuple(index._data.shape))
    src = a
    ishape, ashape = index._data.shape, a._data.shape
    if any(ishape[i] != ashape[i] for i in range(len(ashape)) if i != d):
        if any(ishape[i] > ashape[i] for i in range(len(ashape)) if i != d):
            raise RuntimeError(f"Size does not match at some dimension: index {list(ishape)} vs "
                               f"input {list(ashape)} (gather along dim {d})")
        src = a[tuple(slice(0, ishape[i]) if i != d else slice(None) for i in range(len(ashape)))]
    be = a._backend
    try:
        out = wrap(run("take_along_axis", be, src._data, index._data, d), be)
    except IndexError as exc:
        raise _bounds_error("gather", exc, index, d, ashape[d]) from None
    if _State.enabled and src._rg:
        record(out, "gather", (src, None), (d, index))
    return out


def scatter_add(a: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """A copy of ``a`` with ``src`` added at ``index`` along ``dim`` (accumulating)."""
    return _scatter_add("scatter_add", a, dim, index, src)


def _check_scatter_sizes(a: Tensor, d: int, index: Tensor, src: Tensor) -> None:
    """PyTorch's RuntimeError when ``index`` is larger than ``src`` in some dim, or than ``a``
    in a dim other than ``d`` (scatter never reads past ``src`` or writes past ``a``)."""
    ishape, ashape = index._data.shape or (1,), a._data.shape or (1,)
    sshape = src._data.shape or (1,)
    if len(sshape) != len(ishape):
        raise RuntimeError("Index tensor must have the same number of dimensions as src tensor "
                           f"(index shape {list(index.shape)}, src shape {list(src.shape)})")
    if any(ishape[i] > sshape[i] or (i != d and ishape[i] > ashape[i])
           for i in range(len(ishape))):
        raise RuntimeError(f"Expected index {list(ishape)} to be no larger than self "
                           f"{list(ashape)} apart from dimension {d} and to be no larger size "
                           f"than src {list(sshape)}")


def _scatter_add(op: str, a: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    d = _dim(a, dim)
    if isinstance(index, Tensor) and index.numel() == 0 and isinstance(src, Tensor):
        return a.clone()  # nothing to scatter: PyTorch checks nothing further either
    index = _check_index(op, a, index, d)
    if not isinstance(src, Tensor):
        raise TypeError(f"{op}(): argument 'src' must be Tensor, not {type(src).__name__}")
    if src._backend is not a._backend:
        raise device_mismatch(op, a, src)
    _check_scatter_sizes(a, d, index, src)
    if not a._data.shape or not index._data.shape or not src._data.shape:
        out = _scatter_add(op, _as_1d(a), d, _as_1d(index), _as_1d(src))
        return out.reshape(tuple(a._data.shape))
    if src._data.shape != index._data.shape:
        src = src[tuple(slice(0, n) for n in index._data.shape)]
    be = a._backend
    try:
        out = wrap(run("put_along_axis_add", be, a._data, index._data, src.to(a.dtype)._data,
                        d), be)
    except IndexError as exc:
        raise _bounds_error(op, exc, index, d, a._data.shape[d]) from None
    if _State.enabled and (a._rg or src._rg):
        record(out, "scatter_add", (a, src), (d, index))
    return out


def scatter(a: Tensor, dim: int, index: Tensor, src: Any = None, value: Any = None) -> Tensor:
    """A copy of ``a`` with ``src`` (or ``value``) written at ``index`` along ``dim``."""
    if src is None:
        src = value
    d = _dim(a, dim)
    if isinstance(index, Tensor) and index.numel() == 0:
        return a.clone()  # nothing to scatter: PyTorch checks nothing further either
    index = _check_index("scatter", a, index, d)
    be = a._backend
    if not isinstance(src, Tensor):
        src = wrap(be.full(index._data.shape, src, be.dtype(a._data)), be)
    ones = wrap(be.full(index._data.shape, 1, int64), be)
    zeros_i = wrap(be.full(a._data.shape, 0, int64), be)
    hit = _scatter_add("scatter", zeros_i, d, index, ones) > 0
    zeros = wrap(be.full(a._data.shape, 0, be.dtype(a._data)), be)
    placed = _scatter_add("scatter", zeros, d, index, src)
    return where(hit, placed, a)


def index_select(a: Tensor, dim: int, index: Tensor) -> Tensor:
    """Select entries of ``index`` (1-d) along ``dim``."""
    d = _dim(a, dim)
    if not isinstance(index, Tensor):
        raise TypeError(f"index_select(): argument 'index' must be Tensor, not "
                        f"{type(index).__name__}")
    if index.dtype.is_floating_point or index.dtype is bool_:
        raise RuntimeError(f"index_select(): Expected dtype int32 or int64 for index, got "
                           f"{index.dtype.name}")
    if index.ndim > 1:
        raise IndexError("index_select(): Index is supposed to be a vector")
    if not a._data.shape:
        n = index.numel()
        if n != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {n} "
                               f"value(s)")
        return index_select(a.reshape(1), 0, index.reshape(1)).reshape(())
    if index.ndim == 0:
        index = index.reshape(1)
    try:
        return getitem(a, (slice(None),) * d + (index,))
    except IndexError as exc:
        n = a._data.shape[d] if a._data.shape else 1
        raise _bounds_error("index_select", exc, index, d, n, IndexError) from None


def masked_fill(a: Tensor, mask: Tensor, value: Any) -> Tensor:
    """``value`` where ``mask`` is True, else ``a`` (mask broadcasts)."""
    if isinstance(mask, Tensor) and mask.dtype is not bool_:
        raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with dtype "
                           f"{mask.dtype.name}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got "
                               f"tensor with {value.ndim} dimension(s).")
        return where(mask, value.to(a.dtype), a)
    out = where(mask, value, a)
    return out if out.dtype is a.dtype else out.to(a.dtype)  # a keeps its dtype, as PyTorch


def take_along_dim(a: Tensor, indices: Tensor, dim: int | None = None) -> Tensor:
    """``numpy.take_along_axis`` semantics: ``indices`` (int64) and ``a`` broadcast over every
    dim but ``dim``; with ``dim=None`` both are flattened."""
    need_type("take_along_dim", "indices", indices, Tensor, 2)
    if dim is not None:
        dim = int_arg("take_along_dim", "dim", dim)
    if indices.dtype is not int64:
        raise RuntimeError(f"torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{scalar_type_name(indices.dtype.name)}")
    if dim is None:
        return gather(a.reshape(-1), 0, indices.reshape(-1))
    if not a._data.shape:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    if a.ndim != indices.ndim:
        raise RuntimeError(f"torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {a.ndim} dimensions for input, and "
                           f"{indices.ndim} dimensions for indices")
    d = wrap_dim(dim, a.ndim, "take_along_dim")
    if a.ndim:
        sa, si = list(a.shape), list(indices.shape)
        sa[d] = si[d] = 1
        common = broadcast_shapes(sa, si)
        a = a.expand(*(common[:d] + (a.shape[d],) + common[d + 1:]))
        indices = indices.expand(*(common[:d] + (indices.shape[d],) + common[d + 1:]))
    return gather(a, d, indices)


def _triangle_mask(a: Tensor, diagonal: Any, fn: str, lower: bool) -> Tensor:
    if a.ndim < 2:
        raise RuntimeError(f"{fn}: input tensor must have at least 2 dimensions")
    if isinstance(diagonal, bool) or not isinstance(diagonal, int):
        try:
            diagonal = operator.index(diagonal)
        except TypeError:
            raise TypeError(f"{fn}(): argument 'diagonal' must be int, not "
                            f"{type(diagonal).__name__}") from None
    n, m = a.shape[-2], a.shape[-1]
    offset = arange(m, device=a._backend).reshape(1, m) - arange(n, device=a._backend).reshape(n, 1)
    return offset <= diagonal if lower else offset >= diagonal


def _zero(a: Tensor) -> Tensor:
    return zeros((), dtype=a.dtype, device=a._backend)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:
    """The lower triangle of the last two dimensions of ``input``: elements with
    ``col - row <= diagonal`` kept, the rest zero (``diagonal`` > 0 keeps diagonals above the
    main one, < 0 drops some below it). Batched over leading dimensions; differentiable."""
    return where(_triangle_mask(input, diagonal, "tril", True), input, _zero(input))


def triu(input: Tensor, diagonal: int = 0) -> Tensor:
    """The upper triangle of the last two dimensions of ``input``: elements with
    ``col - row >= diagonal`` kept, the rest zero. Batched over leading dimensions;
    differentiable."""
    return where(_triangle_mask(input, diagonal, "triu", False), input, _zero(input))
