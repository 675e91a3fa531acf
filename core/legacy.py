"""PyTorch's legacy typed constructors: ``xgrad.FloatTensor([1, 2])``, ``xgrad.LongTensor(3)``.

Each takes what ``xgrad.Tensor(*args)`` takes (ints or a Size: a shape, filled with zeros;
one sequence/array/tensor: data, converted to the type's dtype) and returns a plain
:class:`xgrad.Tensor`. ``isinstance(t, xgrad.FloatTensor)`` is true for float32 tensors, as
PyTorch's check is for CPU float tensors.
"""
from __future__ import annotations

from typing import Any

from .dtypes import DType, bool_, float16, float32, float64, int32, int64
from .tensor import Tensor, _legacy_data, from_data

__all__ = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "BoolTensor"]


class _TypedMeta(type):
    _dtype: DType

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype

    def __repr__(cls) -> str:
        return f"<class 'xgrad.{cls.__name__}'>"


class _Typed(metaclass=_TypedMeta):
    _dtype: DType = float32

    def __new__(cls, *args: Any, device: Any = None) -> Tensor:  # type: ignore[misc]
        return from_data(_legacy_data(args), cls._dtype, device)


def _make(name: str, dt: DType) -> type:
    doc = (f"``xgrad.{name}(*sizes)`` (zeros of that shape) or ``xgrad.{name}(data)``: a "
           f"{dt.name} tensor, as PyTorch's legacy constructor.")
    return _TypedMeta(name, (_Typed,), {"_dtype": dt, "__doc__": doc, "__module__": "xgrad"})


FloatTensor = _make("FloatTensor", float32)
DoubleTensor = _make("DoubleTensor", float64)
HalfTensor = _make("HalfTensor", float16)
LongTensor = _make("LongTensor", int64)
IntTensor = _make("IntTensor", int32)
BoolTensor = _make("BoolTensor", bool_)
