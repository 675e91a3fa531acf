"""The backend's index dtype: int64 (the default) or int32, translated at the boundary.

PyTorch's index dtype is int64: argmax, sort indices, ``nonzero``, integer sums and
``randint`` give int64 tensors. A library whose natural integer is 32-bit (JAX without the
process-global ``jax_enable_x64``) declares ``index_dtype = "int32"``. Its arrays then store
every *logical* int64 tensor as a native int32 array, and the backend has no separate int32
dtype. Users and the frontend see ``xgrad.int64`` everywhere.

The translation is done once, on the backend class (:func:`adapt_index_dtype`, called by
:meth:`xgrad.backend.Backend.__init_subclass__`), not at call sites: the few primitives that
take or report a dtype are wrapped so that

* a dtype argument ``int64`` (``from_numpy``, ``full``, ``arange``, ``cast``) becomes the
  backend's native ``int32``;
* ``dtype(x)`` of a native int32 array reads ``int64``;
* ``to_numpy`` of such an array gives a host int64 array (what ``Tensor.numpy()`` shows);
* ``full`` saturates an integer fill value to the int32 range, so that the frontend's
  ``iinfo(int64)`` sentinels keep their meaning (smallest / largest representable value);
* ``from_numpy`` refuses host integers outside the int32 range (they would wrap silently);
* the class's ``dtypes`` lists ``int64`` instead of ``int32``.

A backend whose index dtype is int64 is not wrapped at all: its primitives pay nothing.
Methods assigned to a class after its creation are adapted by calling
:func:`adapt_index_dtype` on it again.

The cost, documented in docs/writing-a-backend.md: int64 values must fit in 32 bits (sums,
products and cumulative sums of integers wrap past 2**31 - 1; ``randint`` spans above 2**31
are refused), and ``x.to(xgrad.int32)`` is refused with an error saying why.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .dtypes import DType, int32, int64

__all__ = ["INDEX_DTYPES", "adapt_index_dtype", "check_index_dtype", "narrow_index",
           "unsupported_dtype_message"]

#: The index dtypes a backend may declare.
INDEX_DTYPES: tuple[str, ...] = ("int64", "int32")

_I32_MIN, _I32_MAX = -(2 ** 31), 2 ** 31 - 1


def check_index_dtype(backend: Any, who: str) -> None:
    """Raise ``TypeError`` unless ``backend.index_dtype`` is one of :data:`INDEX_DTYPES`;
    ``who`` names the backend (and its package) in the message."""
    value = getattr(backend, "index_dtype", "int64")
    if value not in INDEX_DTYPES:
        raise TypeError(f"backend {who} declares index_dtype = {value!r}; expected one of "
                        f"{', '.join(repr(v) for v in INDEX_DTYPES)} (int64 is PyTorch's index "
                        "dtype; int32 stores int64 tensors as int32 arrays)")


def narrow_index(dtype: DType) -> DType:
    """The native dtype an int32-index backend uses for the logical ``dtype``."""
    return int32 if dtype is int64 else dtype


def _dtype(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def dtype(self, x):
        d = fn(self, x)
        return int64 if d is int32 else d
    return dtype


def _from_numpy(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def from_numpy(self, a, dtype):
        if dtype is int64:
            a = np.asarray(a)
            if a.size and a.dtype.kind in "iu" and (a.min() < _I32_MIN or a.max() > _I32_MAX):
                raise RuntimeError(
                    f"value cannot be converted to type int64 without overflow: backend "
                    f"{self.name!r} stores int64 as int32 (index_dtype='int32'), and the data "
                    f"spans [{a.min()}, {a.max()}], outside [{_I32_MIN}, {_I32_MAX}]")
            dtype = int32
        return fn(self, a, dtype)
    return from_numpy


def _to_numpy(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def to_numpy(self, x):
        out = fn(self, x)
        return out.astype(np.int64) if out.dtype == np.int32 else out
    return to_numpy


def _full(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def full(self, shape, value, dtype):
        if dtype is int64:
            dtype = int32
            if type(value) is int:  # iinfo(int64) sentinels saturate to the int32 range
                value = min(max(value, _I32_MIN), _I32_MAX)
        return fn(self, shape, value, dtype)
    return full


def _arange(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def arange(self, start, stop, step, dtype):
        return fn(self, start, stop, step, int32 if dtype is int64 else dtype)
    return arange


def _cast(fn: Callable) -> Callable:
    @functools.wraps(fn)
    def cast(self, x, dtype):
        return fn(self, x, int32 if dtype is int64 else dtype)
    return cast


_ADAPTERS: dict[str, Callable[[Callable], Callable]] = {
    "dtype": _dtype, "from_numpy": _from_numpy, "to_numpy": _to_numpy, "full": _full,
    "arange": _arange, "cast": _cast,
}


def adapt_index_dtype(cls: type) -> None:
    """Make backend class ``cls`` present int64 on top of its int32 arrays when it declares
    ``index_dtype = "int32"`` (a no-op otherwise). Safe to apply to subclasses again: methods
    already adapted are left alone, and a subclass's own overrides are adapted in turn."""
    if getattr(cls, "index_dtype", "int64") != "int32":
        return
    for name, adapter in _ADAPTERS.items():
        fn = getattr(cls, name, None)
        if fn is None or getattr(fn, "__xgrad_primitive__", False) \
                or getattr(fn, "__xgrad_index_adapted__", False):
            continue  # unimplemented (the registry reports it) or adapted already
        wrapped = adapter(fn)
        wrapped.__xgrad_index_adapted__ = True
        setattr(cls, name, wrapped)
    cls.dtypes = frozenset(d for d in cls.dtypes if d is not int32) | {int64}


def unsupported_dtype_message(backend: Any, dtype: DType) -> str:
    """The error text for a dtype ``backend`` lacks; on an int32-index backend asked for
    int32 it says why and what to use instead."""
    msg = (f"backend {backend.name!r} does not support dtype {dtype.name}; it supports "
           f"{', '.join(sorted(d.name for d in backend.dtypes))}")
    if dtype is int32 and getattr(backend, "index_dtype", "int64") == "int32":
        msg += (" (its index_dtype is 'int32': it stores every int64 tensor as 32-bit integers "
                "and has no separate int32 dtype; use xgrad.int64)")
    return msg
