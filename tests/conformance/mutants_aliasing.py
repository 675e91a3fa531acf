"""The planted-bug corpus, aliasing: primitives that hand back (part of) an input's array
where the contract asks for a new one. Each passes every value check; the bug shows only
when the result, or the input, is later written in place (see ``mutants.py``)."""
from __future__ import annotations

import numpy as np
from mutant_base import Mutant


class CopyKeepsContiguous(Mutant):
    """copy returns its argument itself when it is already C-contiguous
    (``np.ascontiguousarray``), so ``clone()`` shares storage with its source."""

    category, cases = "aliasing", ("clone", "view.tensor_copies_its_data", "prim.fresh.copy")

    def copy(self, x):
        return np.ascontiguousarray(x)


class FromNumpyShares(Mutant):
    """from_numpy wraps the host array without copying when the dtype already matches, so
    ``tensor(host)`` sees later writes to ``host`` (PyTorch's ``tensor()`` always copies)."""

    category, cases = "aliasing", ("view.tensor_copies_its_data",)

    def from_numpy(self, a, dtype):
        return np.asarray(a, dtype=self._native[dtype])


class CastSameDtypeShares(Mutant):
    """cast to the array's own dtype returns the array itself (``astype(copy=False)``)."""

    category, cases = "aliasing", ("to*", "type_as", "float", "double", "half", "sum*", "mean*",
                                   "view.*", "prim.fresh.cast*")

    def cast(self, x, dtype):
        return x.astype(self._native[dtype], copy=False)


class ConcatenateSingleShares(Mutant):
    """concatenate of a single array returns that array."""

    category, cases = "aliasing", ("cat*", "stack*", "view.*", "prim.fresh.concatenate*")

    def concatenate(self, xs, axis):
        if len(xs) == 1:
            return xs[0]
        return super().concatenate(xs, axis)


class PadNothingShares(Mutant):
    """pad with all widths zero returns its argument."""

    category, cases = "aliasing", ("F.pad*", "pad*", "conv*", "F.conv*", "max_pool*", "avg_pool*",
                                   "F.max_pool*", "F.avg_pool*", "prim.fresh.pad*")

    def pad(self, x, widths, value):
        if all(a == 0 and b == 0 for a, b in widths):
            return x
        return super().pad(x, widths, value)


class WhereAllTrueShares(Mutant):
    """where returns its first branch itself when the condition holds everywhere and the
    shapes already agree (a shortcut for all-true masks)."""

    category, cases = "aliasing", ("where*", "masked_fill*", "clamp*", "relu", "F.relu", "view.*",
                                   "prim.fresh.where*")

    def where(self, c, a, b):
        if isinstance(a, np.ndarray) and np.all(c) and a.shape == np.broadcast_shapes(
                np.shape(c), a.shape, np.shape(b)):
            return a
        return super().where(c, a, b)


class IndexPutWholeShares(Mutant):
    """index_put with an index that covers the whole array and values of its shape returns
    the values array itself."""

    category, cases = "aliasing", ("__setitem__*", "index_put*", "view.*", "prim.fresh.index_put*")

    def index_put(self, x, index, values):
        if (isinstance(values, np.ndarray) and values.shape == x.shape
                and all(i == slice(None) or i is Ellipsis for i in index)):
            return values
        return super().index_put(x, index, values)


class MaximumScalarShares(Mutant):
    """maximum with a scalar bound returns its array itself when every element is already
    above the bound (a shortcut for clamps that change nothing)."""

    category, cases = "aliasing", ("clamp*", "relu", "F.relu", "prim.fresh.maximum*")

    def maximum(self, a, b):
        if isinstance(a, np.ndarray) and np.isscalar(b) and bool(np.all(a >= b)):
            return a
        return super().maximum(a, b)


class SumNoAxesShares(Mutant):
    """sum over no axes returns its operand itself."""

    category, cases = "aliasing", ("sum*", "prim.fresh.sum*")

    def sum(self, x, axes, keepdims):
        if axes == ():
            return x
        return super().sum(x, axes, keepdims)
