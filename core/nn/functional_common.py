"""Argument helpers shared by the :mod:`xgrad.nn.functional` modules."""
from __future__ import annotations

import operator
import warnings
from typing import Any

from ..ops.elementwise import where
from ..tensor import Tensor


def _pair(v: Any, n: int = 2) -> tuple:
    if isinstance(v, (tuple, list)):
        if len(v) == 1:
            return tuple(_int(v[0]) for _ in range(n))
        if len(v) != n:
            raise ValueError(f"expected {n} values, got {list(v)}")
        return tuple(_int(x) for x in v)
    return (_int(v),) * n


def _int(v: Any) -> int:
    """``v`` as an int; a float, bool, str or None raises PyTorch's TypeError (``int(1.5)``
    would silently pool with a kernel of 1)."""
    if v.__class__ is int:
        return v
    if v.__class__ is not bool:
        try:
            return operator.index(v)
        except TypeError:
            pass
    raise TypeError(f"expected an int or a tuple of ints (kernel_size, stride, padding, "
                    f"dilation), but found element of type {type(v).__name__}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"{reduction} is not a valid value for reduction")


def _legacy_reduction(size_average: Any, reduce: Any, reduction: str) -> str:
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    out = "none" if not reduce else ("mean" if size_average else "sum")
    warnings.warn(f"size_average and reduce args will be deprecated, please use "
                  f"reduction='{out}' instead.", UserWarning, stacklevel=3)
    return out


def _where(cond: Tensor, a: Any, b: Any) -> Tensor:
    return where(cond, a, b)


# ---- normalization -------------------------------------------------------------------------
def _channel_shape(x: Tensor) -> tuple:
    return (1, x.shape[1]) + (1,) * (x.ndim - 2)
