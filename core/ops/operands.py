"""Operand checks shared by the ops: devices, broadcasting, dtype promotion of a binary op."""
from __future__ import annotations

from typing import Any

from ..dtypes import (
    DType,
    float16,
    float32,
    float64,
    get_default_dtype,
    promote_types,
    result_type_with_scalar,
)
from ..shapes import check_broadcastable
from ..tensor import Tensor, from_data

__all__ = ["binary_operands", "device_mismatch", "check_broadcast", "float_natives", "as_tensor_like"]

_SCALARS = (int, float, bool)


def float_natives(be: Any) -> frozenset:
    """The backend's native dtype objects of its floating dtypes (cached on the instance)."""
    try:
        return be._xg_floats
    except AttributeError:
        fl = frozenset(be.full((), 0, d).dtype for d in (float16, float32, float64)
                       if d in be.dtypes)
        loaded = getattr(be, "loaded_optional_natives", None)  # bfloat16 once in use
        if loaded is not None:
            fl |= loaded()
        be._xg_floats = fl
        return fl


def device_mismatch(op: str, a: Tensor, b: Tensor) -> RuntimeError:
    """PyTorch's error for an op whose tensors are on two devices (naming both)."""
    return RuntimeError(
        f"Expected all tensors to be on the same device, but found at least two devices, "
        f"{a._backend.device!r} and {b._backend.device!r} (in {op}). Move one with "
        f"tensor.to({a._backend.device!r}) or tensor.to({b._backend.device!r}).")


def check_broadcast(op: str, a: Tensor, b: Tensor) -> None:
    """Raise PyTorch's error (naming both shapes) when ``a`` and ``b`` do not broadcast."""
    check_broadcastable(op, a._data.shape, b._data.shape)


def as_tensor_like(value: Any, ref: Tensor) -> Tensor:
    """Convert a non-tensor operand (numpy array, list, numpy scalar) to ``ref``'s device."""
    return from_data(value, None, ref._backend, float_default=False)


def binary_operands(op: str, a: Tensor, b: Any, to_float: bool = False):
    """Validate and promote the operands of a binary op.

    Returns ``(a, b, b_is_tensor)`` where ``a`` is a Tensor, ``b`` is a Tensor of the same
    dtype and device or a Python scalar that keeps ``a``'s dtype. With ``to_float``,
    integer operands are promoted to the default float dtype (true division).
    """
    be = a._backend
    if isinstance(b, Tensor):
        if b._backend is not be:
            raise device_mismatch(op, a, b)
        if a._data.shape != b._data.shape and op != "matmul":  # elementwise ops broadcast
            check_broadcast(op, a, b)
        ad, bd = a._data.dtype, b._data.dtype
        if ad != bd or to_float:
            da, db = be.dtype(a._data), be.dtype(b._data)
            # a 0-d tensor does not promote a higher-dimensional one of the same category
            if da is not db:
                dt = _promote_with_dims(a, da, b, db)
            else:
                dt = da
            if to_float and not dt.is_floating_point:
                dt = get_default_dtype()
            if da is not dt:
                a = a.to(dt)
            if db is not dt:
                b = b.to(dt)
        return a, b, True
    if b.__class__ in _SCALARS:
        dt = be.dtype(a._data)
        if dt.is_floating_point:
            return a, b, False
        rd = result_type_with_scalar(dt, b)
        if to_float and not rd.is_floating_point:
            rd = get_default_dtype()
        if rd is not dt:
            a = a.to(rd)
        return a, b, False
    if getattr(type(b), "__xgrad_sparse__", False):  # dense op sparse COO: a dense result
        return binary_operands(op, a, b.to_dense(), to_float)
    if hasattr(b, "item") and getattr(b, "ndim", 1) == 0 and not hasattr(b, "_data"):
        return binary_operands(op, a, b.item(), to_float)  # numpy scalar
    if isinstance(b, (list, tuple)) or hasattr(b, "__array__"):
        return binary_operands(op, a, as_tensor_like(b, a), to_float)
    raise TypeError(f"unsupported operand type for {op}: 'Tensor' and '{type(b).__name__}'")


def _promote_with_dims(a: Tensor, da: DType, b: Tensor, db: DType) -> DType:
    a0, b0 = not a._data.shape, not b._data.shape
    if a0 != b0:
        cat = lambda d: 2 if d.is_floating_point else (0 if d.name == "bool" else 1)
        dim_t, dim_d, zero_d = (b, db, da) if a0 else (a, da, db)
        if cat(zero_d) <= cat(dim_d):
            return dim_d
    return promote_types(da, db)
