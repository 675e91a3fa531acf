"""Searching and counting: nonzero, unique, bucketize, searchsorted, histc, bincount,
count_nonzero. All are decompositions into comparisons, sorts, cumulative sums, boolean-mask
indexing and scatter-adds, so every backend runs them; none is differentiable (their
results are indices and counts), as in PyTorch.
"""
from __future__ import annotations

import builtins
from collections import namedtuple
from typing import Any

from ..autograd.grad_mode import no_grad
from ..creation import arange, full, linspace, zeros
from ..dtypes import bool_, float32, float64, int32, int64
from ..shapes import wrap_dim
from ..tensor import Tensor
from .indexing import scatter_add
from .shape import cat, stack
from .sorting import sort

__all__ = ["nonzero", "argwhere", "unique", "bucketize", "searchsorted", "histc", "histogram",
           "bincount", "count_nonzero"]


def _need_tensor(fn: str, name: str, x: Any) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}(): argument '{name}' must be Tensor, not {type(x).__name__}")


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:
    """Indices of the nonzero elements: an int64 tensor ``(N, input.ndim)``, or with
    ``as_tuple`` one 1-D index tensor per dimension (a 0-d input counts as 1-D)."""
    _need_tensor("nonzero", "input", input)
    with no_grad():
        x = input.detach()
        zero_d = x.ndim == 0
        if zero_d:
            x = x.reshape(1)
        mask = x != 0
        cols = []
        for d, n in enumerate(x.shape):
            shape = [1] * x.ndim
            shape[d] = n
            grid = arange(n, dtype=int64, device=x.device).reshape(shape).expand(tuple(x.shape))
            cols.append(grid[mask])
        if as_tuple:
            return tuple(cols)
        out = stack(cols, 1) if cols else zeros(0, 0, dtype=int64, device=x.device)
        return out[:, :0] if zero_d else out


def argwhere(input: Tensor) -> Tensor:
    """``nonzero(input)``: the indices of the nonzero elements, ``(N, input.ndim)``."""
    return nonzero(input)


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct elements of ``input`` (flattened), in ascending order; with
    ``return_inverse`` also the index of each input element in the result (input's shape),
    with ``return_counts`` also how often each distinct element occurs. With ``dim``, the
    distinct slices along ``dim`` in lexicographic order (inverse and counts per slice)."""
    _need_tensor("unique", "input", input)
    if dim is not None:
        return _unique_dim(input, dim, return_inverse, return_counts)
    with no_grad():
        flat = input.detach().reshape(-1)
        n = flat.shape[0]
        values, perm = sort(flat)
        if n:
            first = cat([full((1,), True, dtype=bool_, device=flat.device),
                         values[1:] != values[:-1]])
        else:
            first = zeros(0, dtype=bool_, device=flat.device)
        out = values[first]
        extra = []
        if return_inverse:
            group = first.to(int64).cumsum(0) - 1
            inverse = zeros(n, dtype=int64, device=flat.device)
            if n:
                inverse = scatter_add(inverse, 0, perm, group)
            extra.append(inverse.reshape(tuple(input.shape)))
        if return_counts:
            starts = nonzero(first).reshape(-1)
            ends = cat([starts[1:], full((1,), n, dtype=int64, device=flat.device)]) \
                if starts.shape[0] else starts
            extra.append(ends - starts)
    return (out, *extra) if extra else out


def _unique_dim(input: Tensor, dim: int, return_inverse: bool, return_counts: bool) -> Any:
    """``unique(input, dim=dim)``: slices along ``dim`` sorted lexicographically by a stable
    sort per column (last column first), then the first of each run of equal slices kept."""
    if input.ndim == 0:
        raise IndexError(f"Dimension specified as {dim} but tensor has no dimensions")
    d = wrap_dim(dim, input.ndim)
    with no_grad():
        order = [d] + [i for i in range(input.ndim) if i != d]
        x = input.detach().permute(order)
        n = x.shape[0]
        dev = x.device
        if n == 0:
            out, inverse, counts = input.detach().clone(), zeros(0, dtype=int64, device=dev), \
                zeros(0, dtype=int64, device=dev)
        else:
            if x.numel() == 0:
                raise RuntimeError("There are 0 sized dimensions, and they aren't selected, so "
                                   "unique cannot be applied")
            rows = x.reshape(n, -1)
            perm = arange(n, dtype=int64, device=dev)
            for c in range(rows.shape[1] - 1, -1, -1):
                perm = perm[sort(rows[perm, c], stable=True)[1]]
            ordered = rows[perm]
            first = cat([full((1,), True, dtype=bool_, device=dev),
                         (ordered[1:] != ordered[:-1]).any(1)])
            out = ordered[first].reshape(-1, *x.shape[1:]).permute(
                [order.index(i) for i in range(input.ndim)])
            group = first.to(int64).cumsum(0) - 1
            inverse = scatter_add(zeros(n, dtype=int64, device=dev), 0, perm, group)
            starts = nonzero(first).reshape(-1)
            counts = cat([starts[1:], full((1,), n, dtype=int64, device=dev)]) - starts
    extra = ([inverse] if return_inverse else []) + ([counts] if return_counts else [])
    return (out, *extra) if extra else out


def _insertion_points(seq: Tensor, values: Tensor, right: bool) -> Tensor:
    """For each value, PyTorch's binary-search insertion point into the last dim of ``seq``
    (whose leading dims match ``values``'): the first ``i`` with ``seq[i] >= v`` (``> v`` if
    ``right``). Run as the same bisection PyTorch runs, so NaN and inf land where they do
    (a NaN value past the end; NaN in the sequence as its comparisons fall)."""
    n = seq.shape[-1]
    lo = (values != values).to(int64) * 0
    hi = lo + n
    for _ in range(n.bit_length()):
        active = lo < hi
        mid = (lo + hi) // 2
        probe = seq.gather(-1, mid.clamp(max=n - 1))
        above = (probe > values) if right else (probe >= values)
        go_right = active & above.logical_not()
        lo = go_right.to(int64) * (mid + 1 - lo) + lo
        hi = (active & above).to(int64) * (mid - hi) + hi
    return lo


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None,
                 sorter: Tensor | None = None) -> Tensor:
    """Indices where the elements of ``input`` would be inserted into the innermost dim of
    ``sorted_sequence`` to keep it sorted (the first such index, or the last with
    ``right=True`` / ``side='right'``). A 1-D sequence serves every input element;
    otherwise the leading dims of the two must match."""
    _need_tensor("searchsorted", "sorted_sequence", sorted_sequence)
    if side is not None:
        if side not in ("left", "right"):
            raise RuntimeError(f"torch.searchsorted(): side can only be 'left' or 'right' but "
                               f"got {side}")
        if side == "left" and right:
            raise RuntimeError("torch.searchsorted(): side and right can't be set to "
                               "opposites, got side of left while right was True")
        right = side == "right"
    scalar = not isinstance(input, Tensor)
    if scalar:
        input = full((), input, dtype=sorted_sequence.dtype, device=sorted_sequence.device)
    if sorted_sequence.dtype is bool_ and input.dtype is bool_:
        raise NotImplementedError("\"searchsorted_out_cpu\" not implemented for 'Bool'")
    seq = sorted_sequence.detach()
    if sorter is not None:
        if tuple(sorter.shape) != tuple(seq.shape):
            raise RuntimeError(f"torch.searchsorted(): boundary and sorter must have the same "
                               f"size, but got boundary tensor {list(seq.shape)}and got sorter "
                               f"tensor {list(sorter.shape)}")
        seq = seq.gather(-1, sorter.to(int64))
    if seq.ndim == 0:
        raise RuntimeError("torch.searchsorted(): boundaries tensor should have positive "
                           "dimension, but got 0 dimension")
    with no_grad():
        vals = input.detach()
        if seq.ndim == 1:
            out = _insertion_points(seq, vals.reshape(-1), right).reshape(tuple(vals.shape))
        else:
            if tuple(seq.shape[:-1]) != tuple(vals.shape[:-1]) or vals.ndim != seq.ndim:
                raise RuntimeError(
                    "torch.searchsorted(): boundaries tensor should be 1 dimension or the first "
                    "N-1 dimensions of boundaries tensor and input value tensor must match, but "
                    f"we got boundaries tensor {list(seq.shape)} and input value tensor "
                    f"{list(vals.shape)}")
            out = _insertion_points(seq, vals, right)
    return out.to(int32) if out_int32 else out


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False,
              right: bool = False) -> Tensor:
    """Index of the bucket of each element of ``input`` given the 1-D ascending
    ``boundaries``: ``boundaries[i-1] < x <= boundaries[i]`` (``right=False``) or
    ``boundaries[i-1] <= x < boundaries[i]`` (``right=True``)."""
    _need_tensor("bucketize", "boundaries", boundaries)
    if boundaries.ndim != 1:
        raise RuntimeError(f"boundaries tensor must be 1 dimension, but got dim("
                           f"{boundaries.ndim})")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def histc(input: Tensor, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:
    """Histogram of ``input`` with ``bins`` equal-width bins over ``[min, max]`` (the data's
    range when both are 0); elements outside are ignored, ``max`` falls in the last bin."""
    _need_tensor("histc", "input", input)
    if not input.dtype.is_floating_point:
        name = _TORCH_NAMES.get(input.dtype.name, input.dtype.name)
        raise NotImplementedError(f"\"histogram_cpu\" not implemented for '{name}'")
    if bins <= 0:
        raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {bins} for dimension 0")
    with no_grad():
        x = input.detach().reshape(-1)
        lo, hi = float(min), float(max)
        if lo == hi and x.shape[0]:
            lo, hi = float(x.min().item()), float(x.max().item())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        if lo > hi:
            raise RuntimeError("torch.histc: max must be larger than min")
        x = x[(x >= lo) & (x <= hi)]
        idx = ((x - lo) * (bins / (hi - lo))).floor().to(int64).clamp(max=bins - 1)
        out = zeros(bins, dtype=input.dtype, device=input.device)
        return scatter_add(out, 0, idx, (x * 0 + 1).to(input.dtype)) if x.shape[0] else out


HistogramResult = namedtuple("histogram", ["hist", "bin_edges"])


def histogram(input: Tensor, bins: Any = 100, *, range: Any = None,  # noqa: A002
              weight: Tensor | None = None, density: bool = False) -> HistogramResult:
    """``(hist, bin_edges)``: the histogram of ``input`` over ``bins`` equal-width bins in
    ``range`` (the data's range; widened by 0.5 each side when it is one point) or over the
    edges in a 1-D tensor ``bins``. The right edge belongs to the last bin; ``weight`` sums
    weights instead of counting; ``density`` normalises to unit area."""
    _need_tensor("histogram", "input", input)
    if not input.dtype.is_floating_point:
        name = _TORCH_NAMES.get(input.dtype.name, input.dtype.name)
        raise NotImplementedError(f"\"histogramdd\" not implemented for '{name}'")
    with no_grad():
        x = input.detach().reshape(-1)
        if isinstance(bins, Tensor):
            edges = bins.detach().to(input.dtype)
            nb = edges.shape[0] - 1
        else:
            nb = int(bins)
            if nb <= 0:
                raise RuntimeError(f"torch.histogram(): bins must be > 0, but got {nb} for "
                                   f"dimension 0")
            if range is not None:
                lo, hi = float(range[0]), float(range[1])
            elif x.shape[0]:
                lo, hi = float(x.min().item()), float(x.max().item())
            else:
                lo, hi = 0.0, 1.0
            if lo > hi:
                raise RuntimeError(f"torch.histogramdd: min should not exceed max, but got min "
                                   f"{lo:g} max {hi:g} for dimension 0")
            if lo == hi:
                lo, hi = lo - 0.5, hi + 0.5
            edges = linspace(lo, hi, nb + 1, dtype=input.dtype, device=input.device)
        w = x * 0 + 1 if weight is None else weight.detach().reshape(-1).to(input.dtype)
        inside = (x >= edges[0]) & (x <= edges[-1])
        x, w = x[inside], w[inside]
        hist = zeros(nb, dtype=input.dtype, device=input.device)
        if x.shape[0]:
            idx = (_insertion_points(edges, x, True) - 1).clamp(0, nb - 1)
            hist = scatter_add(hist, 0, idx, w)
        if density:
            hist = hist / (hist.sum() * (edges[1:] - edges[:-1]))
    return HistogramResult(hist, edges)


_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool", "float32": "Float", "float64": "Double",
                "float16": "Half"}


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:
    """Count of each value in the 1-D non-negative integer ``input`` (length
    ``max(input) + 1`` or ``minlength``); with ``weights`` the sum of the weights instead."""
    _need_tensor("bincount", "input", input)
    if minlength < 0:
        raise RuntimeError("minlength should be >= 0")
    if input.dtype.is_floating_point or input.dtype is bool_:
        name = _TORCH_NAMES.get(input.dtype.name, input.dtype.name)
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{name}'")
    if input.ndim != 1:
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is not None and (weights.ndim != 1 or weights.shape[0] != input.shape[0]):
        raise RuntimeError("weights should be 1-d and have the same length as input")
    with no_grad():
        n = input.shape[0]
        if n and bool((input < 0).any().item()):
            raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
        size = builtins.max(int(input.max().item()) + 1 if n else 0, minlength)
        idx = input.to(int64)
        if weights is None:
            out = zeros(size, dtype=int64, device=input.device)
            src = full((n,), 1, dtype=int64, device=input.device)
        else:
            wdt = float32 if weights.dtype is float32 else float64  # as PyTorch
            out = zeros(size, dtype=wdt, device=input.device)
            src = weights.detach().to(wdt)
        return scatter_add(out, 0, idx, src) if n else out


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:
    """Number of nonzero elements, over ``dim`` (an int or tuple) or the whole tensor."""
    _need_tensor("count_nonzero", "input", input)
    mask = (input.detach() != 0).to(int64)
    if dim is None:
        return mask.sum()
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    dims = tuple(wrap_dim(d, builtins.max(input.ndim, 1)) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"dim {dims[0]} appears multiple times in the list of dims")
    return mask.sum(dims) if input.ndim else mask

