"""Turning a list of samples into a batch: ``default_collate`` and ``default_convert``."""
from __future__ import annotations

import collections.abc
from typing import Any

import numpy as _np

from ...creation import tensor as _tensor
from ...dtypes import float64
from ...ops.shape import stack
from ...tensor import Tensor

__all__ = ["default_collate", "default_convert"]

_BAD = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
        "found {}")


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def default_convert(data: Any) -> Any:
    """Convert numpy arrays (and numpy scalars) in ``data`` to tensors, recursing into
    mappings and sequences; everything else is returned as is."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, _np.ndarray):
        return data if data.dtype.kind in "SUO" else _tensor(data)
    if isinstance(data, _np.generic):
        return _tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return type(data)({k: default_convert(v) for k, v in data.items()}) \
            if not isinstance(data, dict) or type(data) is dict else \
            {k: default_convert(v) for k, v in data.items()}
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return [default_convert(d) for d in data]
    return data


def default_collate(batch: list[Any]) -> Any:
    """Stack a list of samples into a batch, as PyTorch's ``default_collate``.

    Tensors and numpy arrays are stacked on a new first dimension; Python floats become a
    float64 tensor, ints an int64 tensor, bools a bool tensor; strings stay a list; dicts,
    named tuples, tuples and lists are collated field by field (tuples become lists).
    """
    if len(batch) == 0:
        raise ValueError("default_collate: got an empty batch")
    elem = batch[0]
    if isinstance(elem, Tensor):
        for i, b in enumerate(batch):
            if not isinstance(b, Tensor) or b.shape != elem.shape:
                got = tuple(b.shape) if isinstance(b, Tensor) else type(b).__name__
                raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                                   f"{tuple(elem.shape)} at entry 0 and {got} at entry {i}")
        return stack(list(batch), 0)
    if isinstance(elem, _np.ndarray):
        if elem.dtype.kind in "SUO":
            raise TypeError(_BAD.format(elem.dtype))
        return default_collate([_tensor(b) for b in batch])
    if isinstance(elem, _np.generic):
        return _tensor(_np.array(batch))
    if isinstance(elem, bool):
        return _tensor(list(batch))
    if isinstance(elem, float):
        return _tensor(list(batch), dtype=float64)
    if isinstance(elem, int):
        return _tensor(list(batch))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        collated = {k: default_collate([d[k] for d in batch]) for k in elem}
        if type(elem) is dict:
            return collated
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(list(s)) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(b) != size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [default_collate(list(s)) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed
        try:
            return type(elem)(transposed)
        except TypeError:
            return transposed
    raise TypeError(_BAD.format(type(elem)))
