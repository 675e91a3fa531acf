"""Shape arithmetic shared by every layer: size arguments, dimension wrapping, reduction axes,
``-1`` inference and broadcasting. Plain Python on tuples of ints; no Tensor, no backend."""
from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

__all__ = ["Size", "int_sizes", "new_sizes", "dims_arg", "wrap_dim", "int_arg", "check_keepdim",
           "norm_axes", "infer_shape", "broadcast_shapes", "check_broadcastable",
           "scalar_type_name", "need_type", "check_numel"]


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


def new_sizes(fn: str, size: tuple) -> tuple:
    """The size of a new tensor (``zeros(2, 3)``, ``randn((2, 3))``) as a tuple of ints:
    :func:`int_sizes`, then PyTorch's ``RuntimeError`` for a negative dimension or a number of
    elements past int64. No size at all (``zeros()``) is PyTorch's ``TypeError``; a 0-d
    tensor is ``zeros(())``."""
    if not size:
        raise TypeError(f"{fn}() missing 1 required positional arguments: \"size\"")
    size = int_sizes(fn, "size", size)
    n = 1
    for s in size:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        n *= s
    if n >= 2 ** 63:
        raise RuntimeError(f"Storage size calculation overflowed with sizes={list(size)}")
    return size


def check_numel(fn: str, shape: tuple) -> None:
    """PyTorch's ``RuntimeError`` for a shape whose number of elements overflows int64 (an
    ``expand``/``repeat``/``eye`` to sizes no array can hold)."""
    n = 1
    for s in shape:
        n *= s
    if n >= 2 ** 63:
        raise RuntimeError(f"numel: integer multiplication overflow ({fn} to sizes "
                           f"{list(shape)})")


def dims_arg(args: tuple) -> tuple:
    """Dimensions given as ``f(0, 1)`` or ``f((0, 1))``, as a tuple of ints."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = tuple(args[0])
    return tuple(int(a) for a in args)


def wrap_dim(dim: int, ndim: int, fn: str | None = None, arg: str = "dim") -> int:
    """``dim`` in ``[0, ndim)`` (negatives count from the end; a 0-d tensor has dims -1 and 0).

    A ``dim`` that is not an integer (a tuple, float, bool, str, None) raises PyTorch's
    ``TypeError`` naming the argument (and ``fn``, the op, when given); one out of range raises
    PyTorch's ``IndexError: Dimension out of range ...``.
    """
    if dim.__class__ is not int:
        dim = int_arg(fn, arg, dim)
    nd = ndim if ndim > 1 else 1
    if not -nd <= dim < nd:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], but got {dim})")
    return dim + nd if dim < 0 else dim


def int_arg(fn: str | None, arg: str, value: Any) -> int:
    """``value`` as a Python int (numpy ints and 1-element int tensors via ``__index__``); a
    bool, float, str, None or sequence raises PyTorch's ``TypeError`` naming ``arg``."""
    if value.__class__ is not bool:
        try:
            return operator.index(value)
        except TypeError:
            pass
    where = f"{fn}(): argument" if fn else "argument"
    raise TypeError(f"{where} '{arg}' must be int, not {type(value).__name__}")


def check_keepdim(fn: str, keepdim: Any) -> None:
    """PyTorch's ``TypeError`` for a ``keepdim`` that is not a bool."""
    if keepdim.__class__ is not bool:
        raise TypeError(f"{fn}(): argument 'keepdim' must be bool, not {type(keepdim).__name__}")


def norm_axes(dim: Any, ndim: int, fn: str | None = None) -> tuple[int, ...]:
    """Validate a reduction's ``dim`` (None, int or sequence; negatives allowed) into sorted
    axes. None or an empty sequence means every dim, as in PyTorch."""
    if dim is None:
        return tuple(range(ndim))
    dims = tuple(dim) if isinstance(dim, (tuple, list)) else (dim,)
    if not dims:
        return tuple(range(ndim))
    out = []
    for d in dims:
        if isinstance(d, (float, bool)) or not hasattr(d, "__index__"):
            where = f"{fn}(): argument 'dim'" if fn else "dim"
            raise TypeError(f"{where} must be an int or a tuple of ints, got "
                            f"{type(d).__name__} ({dim!r})")
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


_SCALAR_TYPE_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                      "uint8": "Byte", "bool": "Bool", "float32": "Float", "float64": "Double",
                      "float16": "Half", "bfloat16": "BFloat16"}


def scalar_type_name(dtype_name: str) -> str:
    """PyTorch's scalar-type name of a dtype (``int64`` -> ``Long``), as its kernel errors
    ("... not implemented for 'Long'", "dtype of indices should be Long") spell it."""
    return _SCALAR_TYPE_NAMES.get(dtype_name, dtype_name)


def need_type(fn: str, arg: str, value: Any, cls: type, pos: int | None = 1) -> None:
    """PyTorch's ``TypeError`` (``fn(): argument 'arg' (position N) must be Tensor, not
    tuple``) when ``value`` is not an instance of ``cls``."""
    if not isinstance(value, cls):
        where = f" (position {pos})" if pos else ""
        raise TypeError(f"{fn}(): argument '{arg}'{where} must be {cls.__name__}, not "
                        f"{type(value).__name__}")
