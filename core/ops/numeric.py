"""nan_to_num, isclose, allclose: elementwise decompositions into comparisons and where."""
from __future__ import annotations

import builtins
from typing import Any

from ..dtypes import float64, get_default_dtype
from ..tensor import Tensor
from ..typeinfo import finfo
from .elementwise import where

__all__ = ["nan_to_num", "isclose", "allclose"]

_TORCH = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
          "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half"}


def nan_to_num(input: Tensor, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Tensor:
    """Replace NaN by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (default: the
    dtype's largest and lowest finite values); the gradient is 0 at replaced elements."""
    if not isinstance(input, Tensor):
        raise TypeError(f"nan_to_num(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    if not input.dtype.is_floating_point:
        return input.clone()
    info = finfo(input.dtype)
    hi = info.max if posinf is None else posinf
    lo = info.min if neginf is None else neginf
    out = where(input.isnan(), float(nan), input)
    out = where(input == float("inf"), float(hi), out)
    return where(input == float("-inf"), float(lo), out)


def _close_args(fn: str, a: Any, b: Any, rtol: float, atol: float) -> None:
    if not isinstance(a, Tensor):
        raise TypeError(f"{fn}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(a).__name__}")
    if not isinstance(b, Tensor):
        raise TypeError(f"{fn}(): argument 'other' (position 2) must be Tensor, not "
                        f"{type(b).__name__}")
    if a.dtype is not b.dtype:
        raise RuntimeError(f"{_TORCH.get(a.dtype.name, a.dtype.name)} did not match "
                           f"{_TORCH.get(b.dtype.name, b.dtype.name)}")
    if rtol < 0:
        raise RuntimeError(f"rtol must be greater than or equal to zero, but got {rtol:g}")
    if atol < 0:
        raise RuntimeError(f"atol must be greater than or equal to zero, but got {atol:g}")


def isclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` as a bool tensor (equal
    infinities are close; NaNs only with ``equal_nan``)."""
    _close_args("isclose", input, other, rtol, atol)
    a, b = input.detach(), other.detach()
    same = a == b
    if not a.dtype.is_floating_point:
        wide = float64 if float64 in a._backend.dtypes else get_default_dtype()
        a, b = a.to(wide), b.to(wide)
    finite = a.isfinite() & b.isfinite()
    near = where(finite, (a - b).abs() <= atol + rtol * b.abs(), False)
    out = same | near
    if equal_nan and input.dtype.is_floating_point:
        out = out | (a.isnan() & b.isnan())
    return out


def allclose(input: Tensor, other: Tensor, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> builtins.bool:
    """Whether :func:`isclose` holds everywhere (the shapes must broadcast)."""
    _close_args("allclose", input, other, rtol, atol)
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan).all().item())
