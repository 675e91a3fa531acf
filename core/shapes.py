"""Shape arithmetic shared by every layer: size arguments, dimension wrapping, reduction axes,
``-1`` inference and broadcasting. Plain Python on tuples of ints; no Tensor, no backend."""
from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

__all__ = ["Size", "int_sizes", "dims_arg", "wrap_dim", "norm_axes", "infer_shape",
           "broadcast_shapes", "check_broadcastable"]


class Size(tuple):
    """A tensor shape: a tuple of ints with ``numel()``, like ``torch.Size``."""

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n

    def __repr__(self) -> str:
        return f"xgrad.Size({list(self)})"


def int_sizes(fn: str, arg: str, args: tuple) -> tuple:
    """``args`` (ints, or one tuple/list of ints) as a tuple of Python ints.

    Anything that is not an integer (a float, a bool, a float tensor) raises PyTorch's
    ``TypeError``; numpy integers and one-element integer tensors are accepted via
    ``__index__``, as in PyTorch.
    """
    one = len(args) == 1
    if one and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
        one = False
    for s in args:
        if s.__class__ is not int:
            break
    else:
        return args
    out = []
    for pos, s in enumerate(args):
        if s.__class__ is not bool:
            try:
                out.append(operator.index(s))
                continue
            except TypeError:
                pass
        kind = type(s).__name__
        if one:
            raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be tuple of ints, "
                            f"not {kind}")
        raise TypeError(f"{fn}(): argument '{arg}' (position 1) must be tuple of ints, but "
                        f"found element of type {kind} at pos {pos}")
    return tuple(out)


def dims_arg(args: tuple) -> tuple:
    """Dimensions given as ``f(0, 1)`` or ``f((0, 1))``, as a tuple of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def wrap_dim(dim: int, ndim: int) -> int:
    """``dim`` in ``[0, ndim)`` (negatives count from the end; a 0-d tensor has dims -1 and 0).

    Raises PyTorch's ``IndexError: Dimension out of range ...`` otherwise.
    """
    nd = ndim if ndim > 1 else 1
    if not -nd <= dim < nd:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    return dim + nd if dim < 0 else dim


def norm_axes(dim: Any, ndim: int) -> tuple[int, ...]:
    """Validate a reduction's ``dim`` (None, int or sequence; negatives allowed) into sorted axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    out = []
    for d in dims:
        if isinstance(d, (float, bool)) or not hasattr(d, "__index__"):
            raise TypeError(f"dim must be an int or a tuple of ints, got {type(d).__name__} "
                            f"({dim!r})")
        d = wrap_dim(int(d), ndim)
        if ndim == 0:
            continue
        if d in out:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
        out.append(d)
    return tuple(sorted(out))


def infer_shape(shape: tuple, numel: int, given: tuple) -> tuple:
    """``shape`` with its ``-1`` (at most one) inferred so it holds ``numel`` elements."""
    if -1 in shape:
        if shape.count(-1) > 1:
            raise RuntimeError("only one dimension can be inferred")
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = tuple(numel // known if s == -1 else s for s in shape)
    n = 1
    for s in shape:
        if s < 0:
            raise RuntimeError(f"invalid shape dimension {s} in {list(shape)}")
        n *= s
    if n != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel} "
                           f"(input shape {list(given)})")
    return shape


def broadcast_shapes(*shapes: Sequence[int]) -> tuple:
    """The broadcast of several shapes (raises naming them when incompatible)."""
    nd = 0
    for s in shapes:
        nd = nd if nd > len(s) else len(s)
    out = [1] * nd
    for s in shapes:
        for i, n in enumerate(s):
            j = nd - len(s) + i
            if out[j] == 1:
                out[j] = n
            elif n != 1 and n != out[j]:
                raise RuntimeError(
                    "shape mismatch: objects cannot be broadcast to a single shape: "
                    + " and ".join(str(list(x)) for x in shapes))
    return tuple(out)


def check_broadcastable(op: str, sa: tuple, sb: tuple) -> None:
    """Raise PyTorch's error (naming both shapes) when ``sa`` and ``sb`` do not broadcast."""
    for i in range(1, min(len(sa), len(sb)) + 1):
        x, y = sa[-i], sb[-i]
        if x != y and x != 1 and y != 1:
            raise RuntimeError(
                f"The size of tensor a ({x}) must match the size of tensor b ({y}) at "
                f"non-singleton dimension {max(len(sa), len(sb)) - i} ({op}: shapes {list(sa)} "
                f"and {list(sb)} are not broadcastable)")
