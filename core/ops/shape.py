"""Shape and movement ops: reshape, permute, expand, cat, split, flip, roll, repeat, ..."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd.grad_mode import _State
from ..autograd.node import Node, record
from ..dispatch import run
from ..shapes import check_numel, dims_arg, infer_shape, int_arg, int_sizes, wrap_dim
from ..tensor import Tensor, wrap
from .operands import device_mismatch
from .views import layout, mark_view, view_strides


def reshape(a: Tensor, *shape: Any) -> Tensor:
    """The same values in a new shape (one dim may be -1): a view of ``a`` when its strides
    allow one (as :meth:`view`), else a copy."""
    return _reshape(a, int_sizes("reshape", "shape", shape), False)


def view(a: Tensor, *shape: Any) -> Tensor:
    """A view of ``a`` with a new shape (one dim may be -1), sharing its storage; raises when
    ``a``'s strides do not allow it (use :meth:`reshape`). ``view(dtype)`` is unsupported."""
    if not shape:
        raise TypeError("view() received an invalid combination of arguments - got (), but "
                        "expected one of: (torch.dtype dtype), (tuple of ints size)")
    return _reshape(a, int_sizes("view", "size", shape), True)


def _reshape(a: Tensor, shape: tuple, strict: bool) -> Tensor:
    old = a._data.shape
    if shape == old:
        return a
    numel = 1
    for s in old:
        numel *= s
    shape = infer_shape(shape, numel, old)
    viewable = True
    if a._vbase is not None:
        _, strides, _ = layout(a)
        viewable = view_strides(old, strides, shape) is not None
        if not viewable and strict:
            raise RuntimeError("view size is not compatible with input tensor's size and stride "
                               "(at least one dimension spans across two contiguous subspaces). "
                               "Use .reshape(...) instead.")
    be = a._backend
    data = run("reshape", be, a._data, shape)
    if not viewable:
        data = run("copy", be, data)  # a copy in PyTorch's terms: it must not alias ``a``
    out = wrap(data, be)
    if _State.enabled and a._rg:
        record(out, "reshape", (a,), old)
    return mark_view(a, out, ("reshape", shape)) if viewable else out


def permute(a: Tensor, *dims: Any) -> Tensor:
    """Reorder dimensions."""
    nd = len(a._data.shape)
    dims = dims_arg(dims)
    if len(dims) != nd:
        raise RuntimeError(f"permute(): the tensor has {nd} dimensions (shape {list(a.shape)}) "
                           f"but {len(dims)} dims were given: {list(dims)}")
    dims = tuple(wrap_dim(d, nd) for d in dims)
    if sorted(dims) != list(range(nd)):
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does not "
                           f"match the length of the desired ordering of dimensions i.e. input.dim()"
                           f" = {nd} is not equal to len(dims) = {len(dims)}"
                           if len(dims) != nd else f"permute(): repeated dim in {list(dims)}")
    if dims == tuple(range(nd)):
        return a
    be = a._backend
    out = wrap(run("permute", be, a._data, dims), be)
    if _State.enabled and a._rg:
        record(out, "permute", (a,), dims)
    return mark_view(a, out, ("permute", dims))


def movedim(a: Tensor, source: Any, destination: Any) -> Tensor:
    """A view with the dims ``source`` (an int or a sequence) moved to the positions
    ``destination``; the other dims keep their order."""
    nd = len(a._data.shape)
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    src_w = [wrap_dim(d, nd) for d in src]
    dst_w = [wrap_dim(d, nd) for d in dst]
    for name, given, dims in (("source", src, src_w), ("destination", dst, dst_w)):
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{name}` ({given})")
    if nd == 0:
        return a
    order = [None] * nd
    for s_, d_ in zip(src_w, dst_w):
        order[d_] = s_
    rest = iter(d for d in range(nd) if d not in src_w)
    order = [next(rest) if o is None else o for o in order]
    return permute(a, order)


def transpose(a: Tensor, dim0: int, dim1: int) -> Tensor:
    """Swap two dimensions."""
    nd = len(a._data.shape)
    if nd == 0:
        return a
    d0, d1 = wrap_dim(dim0, nd), wrap_dim(dim1, nd)
    perm = list(range(nd))
    perm[d0], perm[d1] = perm[d1], perm[d0]
    return permute(a, perm)


def t(a: Tensor) -> Tensor:
    """Transpose of a tensor of at most 2 dims."""
    if a.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {a.ndim}D")
    return transpose(a, 0, 1) if a.ndim == 2 else a


def T(a: Tensor) -> Tensor:
    return permute(a, tuple(reversed(range(a.ndim))))


def mT(a: Tensor) -> Tensor:
    if a.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. "
                           f"Got {a.ndim}-D tensor.")
    return transpose(a, -2, -1)


def expand(a: Tensor, *sizes: Any) -> Tensor:
    """Broadcast to ``sizes`` (-1 keeps a dimension), without copying."""
    sizes = int_sizes("expand", "size", sizes)
    old = a._data.shape
    if len(sizes) < len(old):
        raise RuntimeError(f"expand: the number of sizes provided ({len(sizes)}) must be greater or "
                           f"equal to the number of dimensions in the tensor ({len(old)})")
    lead = len(sizes) - len(old)
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: -1 is not allowed in a leading, non-existing dimension {i}")
            shape.append(s)
        else:
            o = old[i - lead]
            if s == -1:
                s = o
            if o != s and o != 1:
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) must match the existing size ({o}) at "
                    f"non-singleton dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: "
                    f"{list(old)}")
            shape.append(s)
    shape = tuple(shape)
    if shape == old:
        return a
    check_numel("expand", shape)
    be = a._backend
    out = wrap(run("broadcast_to", be, a._data, shape), be)
    if _State.enabled and a._rg:
        record(out, "expand", (a,))
    return mark_view(a, out, ("expand", shape, old))


def broadcast_to(a: Tensor, shape: Sequence[int]) -> Tensor:
    """Broadcast to ``shape``."""
    return expand(a, tuple(shape))


def expand_as(a: Tensor, other: Tensor) -> Tensor:
    """Expand to ``other``'s shape."""
    return expand(a, other._data.shape)


def squeeze(a: Tensor, dim: Any = None) -> Tensor:
    """Remove size-1 dimensions (all, or those in ``dim``)."""
    shape = a._data.shape
    if dim is None:
        return reshape(a, tuple(s for s in shape if s != 1))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = {wrap_dim(d, len(shape)) for d in dims}
    return reshape(a, tuple(s for i, s in enumerate(shape) if not (i in dims and s == 1)))


def unsqueeze(a: Tensor, dim: int) -> Tensor:
    """Insert a size-1 dimension at ``dim``."""
    shape = list(a._data.shape)
    n = len(shape) + 1
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but "
                         f"got {dim})")
    dim = dim + n if dim < 0 else dim
    shape.insert(dim, 1)
    return reshape(a, tuple(shape))


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge dimensions ``start_dim..end_dim`` into one."""
    start_dim = int_arg("flatten", "start_dim", start_dim)  # argument types first
    end_dim = int_arg("flatten", "end_dim", end_dim)
    shape = a._data.shape
    if not shape:
        return reshape(a, (1,))
    s, e = wrap_dim(start_dim, len(shape)), wrap_dim(end_dim, len(shape))
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    n = 1
    for x in shape[s:e + 1]:
        n *= x
    return reshape(a, shape[:s] + (n,) + shape[e + 1:])


def unflatten(a: Tensor, dim: int, sizes: Sequence[int]) -> Tensor:
    """Split dimension ``dim`` into ``sizes`` (one may be -1)."""
    shape = a._data.shape
    d = wrap_dim(dim, len(shape), "unflatten")
    if not shape:
        raise RuntimeError(f"unflatten: Dimension specified as {dim} but tensor has no dimensions")
    if not isinstance(sizes, (tuple, list)):
        raise TypeError(f"unflatten(): argument 'sizes' (position 2) must be tuple of ints, not "
                        f"{type(sizes).__name__}")
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    sizes = infer_shape(tuple(sizes), shape[d], (shape[d],))
    return reshape(a, shape[:d] + tuple(sizes) + shape[d + 1:])


def cat(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Concatenate along an existing dimension."""
    tensors = _tensor_list("cat", tensors)
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    first = tensors[0]
    be = first._backend
    # PyTorch skips 1-d empty tensors in cat
    tensors = [t for t in tensors if not (t._data.shape == (0,))] or [first]
    ref = tensors[0]
    nd = len(ref._data.shape)
    if nd == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    ax = wrap_dim(dim, nd, "cat")
    dt = None
    for i, t in enumerate(tensors):
        if t._backend is not be:
            raise device_mismatch("cat", first, t)
        s = t._data.shape
        if len(s) != nd:
            raise RuntimeError(f"Tensors must have same number of dimensions: got {nd} and "
                               f"{len(s)}")
        if any(s[j] != ref._data.shape[j] for j in range(nd) if j != ax):
            raise RuntimeError(f"Sizes of tensors must match except in dimension {ax}. Expected "
                               f"size {list(ref._data.shape)} but got size {list(s)} for tensor "
                               f"number {i} in the list.")
        d = t.dtype
        dt = d if dt is None else (dt if dt is d else __import__("xgrad").promote_types(dt, d))
    tensors = [t.to(dt) for t in tensors]
    out = wrap(run("concatenate", be, [t._data for t in tensors], ax), be)
    if _State.enabled and any(t._rg for t in tensors):
        record(out, "cat", tuple(tensors), (ax, [t._data.shape[ax] for t in tensors]))
    return out


concat = cat
concatenate = cat


def stack(tensors: Sequence[Tensor], dim: int = 0) -> Tensor:
    """Join along a new dimension."""
    tensors = _tensor_list("stack", tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0]._data.shape
    d = wrap_dim(dim, len(shape) + 1, "stack")
    for i, t in enumerate(tensors):
        if t._data.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} "
                               f"at entry 0 and {list(t._data.shape)} at entry {i}")
    return cat([unsqueeze(t, d) for t in tensors], d)


def _tensor_list(fn: str, tensors: Any) -> list:
    """``tensors`` (a list or tuple of Tensors) as a list; PyTorch's TypeError otherwise."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{fn}(): argument 'tensors' (position 1) must be tuple of Tensors, not "
                        f"{type(tensors).__name__}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    return list(tensors)


def narrow(a: Tensor, dim: int, start: int, length: int) -> Tensor:
    """``length`` elements of dimension ``dim`` from ``start``."""
    nd = len(a._data.shape)
    d = wrap_dim(dim, nd, "narrow")
    if not nd:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    size = a._data.shape[d]
    if start < 0:
        start += size
    if start < 0 or length < 0 or start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    return a[(slice(None),) * d + (slice(start, start + length),)]


def select(a: Tensor, dim: int, index: int) -> Tensor:
    """The slice at ``index`` of dimension ``dim``, that dimension removed (a view)."""
    dim, index = int_arg("select", "dim", dim), int_arg("select", "index", index)
    nd = len(a._data.shape)
    if nd == 0:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = wrap_dim(dim, nd)
    size = a._data.shape[d]
    if not -size <= index < size:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(a._data.shape)} at dimension {d}")
    return a[(slice(None),) * d + (index,)]


def split(a: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple:
    """Split into chunks of a given size, or of the given list of sizes."""
    if not isinstance(split_size_or_sections, (int, tuple, list)) or \
            isinstance(split_size_or_sections, bool):
        raise TypeError(f"split(): argument 'split_size' must be int or tuple of ints, not "
                        f"{type(split_size_or_sections).__name__}")
    dim = int_arg("split", "dim", dim)
    if isinstance(split_size_or_sections, int) and not isinstance(split_size_or_sections, bool) \
            and split_size_or_sections < 0:  # checked before the dim, as PyTorch
        raise RuntimeError(f"split expects split_size be non-negative, but got split_size="
                           f"{split_size_or_sections}")
    d = wrap_dim(dim, a.ndim, "split")
    if not a.ndim:
        raise RuntimeError("split expects at least a 1-dimensional tensor")
    n = a._data.shape[d]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise RuntimeError(f"split_size must be positive, got {step}")
        sizes = [min(step, n - i) for i in range(0, n, step)] or [0]
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} (input "
                               f"tensor's size at dimension {d}), but got split_sizes={sizes}")
    bounds, start = [], 0
    for s in sizes:
        bounds.append((start, start + s))
        start += s
    return _pieces(a, d, bounds, False)


def _pieces(a: Tensor, d: int, bounds: list, squeeze: bool) -> tuple:
    """Slices of ``a`` along ``d`` as outputs of ONE graph node, whose backward is a single
    cat/stack of their gradients (not one zero-filled scatter per piece)."""
    be = a._backend
    lead = (slice(None),) * d
    idx = [lead + ((s,) if squeeze else (slice(s, e),)) for s, e in bounds]
    outs = [mark_view(a, wrap(run("getitem", be, a._data, i), be), ("index", i)) for i in idx]
    if _State.enabled and a._rg and outs:
        node = Node("unbind" if squeeze else "split", (a,),
                    (d, [o._data.shape for o in outs], squeeze), n_out=len(outs))
        for i, o in enumerate(outs):
            o._node = node
            o._rg = True
            if i:
                o._oidx = i
    return tuple(outs)


def chunk(a: Tensor, chunks: int, dim: int = 0) -> tuple:
    """Split into ``chunks`` nearly equal pieces."""
    chunks = int_arg("chunk", "chunks", chunks)
    dim = int_arg("chunk", "dim", dim)
    if not a.ndim:
        raise RuntimeError("chunk expects at least a 1-dimensional tensor")
    if chunks <= 0:  # checked before the dim, as PyTorch
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = wrap_dim(dim, a.ndim, "chunk")
    n = a._data.shape[d]
    step = -(-n // chunks) if n else 1
    return split(a, step, dim)


def unbind(a: Tensor, dim: int = 0) -> tuple:
    """Remove ``dim``, returning every slice along it."""
    d = wrap_dim(dim, a.ndim, "unbind")
    if not a.ndim:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    return _pieces(a, d, [(i, i + 1) for i in range(a._data.shape[d])], True)


def flip(a: Tensor, dims: Any) -> Tensor:
    """Reverse the order of elements along ``dims``."""
    if not isinstance(dims, (tuple, list)):
        dims = (int_arg("flip", "dims", dims),)  # Tensor.flip(0) takes an int, as PyTorch's
    dims = tuple(dims)
    nd = len(a._data.shape)
    idx = [slice(None)] * nd
    for d in dims:
        idx[wrap_dim(d, nd)] = slice(None, None, -1)
    idx = tuple(idx)
    be = a._backend
    # a copy, as PyTorch's flip (and a negative step is not a user-facing index)
    out = wrap(run("copy", be, run("getitem", be, a._data, idx)), be)
    if _State.enabled and a._rg:
        record(out, "index", (a,), (idx, True))
    return out


def roll(a: Tensor, shifts: Any, dims: Any = None) -> Tensor:
    """Rotate elements along ``dims`` by ``shifts``."""
    if dims is not None:
        int_sizes("roll", "dims", (dims,))  # PyTorch's TypeError for a bool, float, str dim
    if dims is None:
        return roll(a.reshape(-1), shifts, 0).reshape(a._data.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    out = a
    for s, d in zip(shifts, dims):
        d = wrap_dim(d, a.ndim)
        n = a._data.shape[d]
        if n == 0:
            continue
        s %= n
        if s:
            out = cat([narrow(out, d, n - s, s), narrow(out, d, 0, n - s)], d)
    return out


def repeat(a: Tensor, *sizes: Any) -> Tensor:
    """Tile the tensor ``sizes[i]`` times along each dimension (PyTorch's ``repeat``)."""
    if not sizes:
        raise TypeError("repeat() missing 1 required positional arguments: \"repeats\"")
    sizes = int_sizes("repeat", "repeats", sizes)
    shape = a._data.shape
    if len(sizes) < len(shape):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of "
                           "dimensions of tensor")
    for r in sizes:
        if r < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {r}: "
                               f"{list(sizes)} (repeat)")
    shape = (1,) * (len(sizes) - len(shape)) + shape
    check_numel("repeat", tuple(r * s for r, s in zip(sizes, shape)))
    x = reshape(a, shape)
    inter = []
    for s in shape:
        inter += [1, s]
    x = reshape(x, tuple(inter))
    exp = []
    for r, s in zip(sizes, shape):
        exp += [r, s]
    x = expand(x, tuple(exp))
    return reshape(x, tuple(r * s for r, s in zip(sizes, shape)))


def tile(a: Tensor, dims: Any) -> Tensor:
    """``repeat`` with fewer dims padded by ones on the left."""
    dims = int_sizes("tile", "dims", (dims,))
    if len(dims) < a.ndim:
        dims = (1,) * (a.ndim - len(dims)) + tuple(dims)
    return repeat(a, dims)


def pad_constant(a: Tensor, widths: tuple, value: float = 0.0) -> Tensor:
    """Constant padding with ``widths[d] = (before, after)`` for every dim."""
    be = a._backend
    out = wrap(run("pad", be, a._data, widths, value), be)
    if _State.enabled and a._rg:
        record(out, "pad", (a,), widths)
    return out


def _tiled_windows(a: Tensor, window: tuple) -> Tensor:
    """Non-overlapping windows as a crop, reshape and permute (cheap to differentiate)."""
    shape = a._data.shape
    k = len(window)
    lead = shape[:len(shape) - k]
    outs = tuple(n // w for n, w in zip(shape[len(shape) - k:], window))
    crop = (slice(None),) * len(lead) + tuple(slice(0, o * w) for o, w in zip(outs, window))
    x = a[crop] if any(o * w != n for o, w, n in zip(outs, window, shape[len(lead):])) else a
    inter = lead + tuple(v for o, w in zip(outs, window) for v in (o, w))
    x = reshape(x, inter)
    nl = len(lead)
    perm = tuple(range(nl)) + tuple(nl + 2 * i for i in range(k)) + tuple(nl + 2 * i + 1 for i in range(k))
    return permute(x, perm)


def sliding_window(a: Tensor, window: tuple, strides: tuple, dilation: tuple) -> Tensor:
    """Windows over the last ``len(window)`` dims: shape ``(*lead, *out, *window)``."""
    be = a._backend
    shape = a._data.shape
    k = len(window)
    for i in range(k):
        n = shape[len(shape) - k + i]
        span = dilation[i] * (window[i] - 1) + 1
        if n < span:
            raise RuntimeError(f"Calculated padded input size per channel: ({n}). Kernel size: "
                               f"({span}). Kernel size can't be greater than actual input size")
    if tuple(strides) == tuple(window) and all(d == 1 for d in dilation):
        return _tiled_windows(a, tuple(window))
    out = wrap(run("sliding_window", be, a._data, tuple(window), tuple(strides), tuple(dilation)), be)
    if _State.enabled and a._rg:
        record(out, "sliding_window", (a,), (tuple(window), tuple(strides), tuple(dilation)))
    return out
