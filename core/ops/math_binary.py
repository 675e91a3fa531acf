"""Binary and ternary elementwise ops as decompositions into the primitives: xlogy, hypot,
logaddexp, logaddexp2, fmax, fmin, lerp, addcmul, addcdiv. Gradients come from the
decompositions; each is written so the values PyTorch defines (``xlogy(0, 0) = 0``, ``hypot``
of huge inputs, ``logaddexp(inf, inf) = inf``, NaN ignored by ``fmax``) hold."""
from __future__ import annotations

import math
from typing import Any

from ..shapes import scalar_type_name
from ..tensor import Tensor
from . import elementwise as E

__all__ = ["xlogy", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin", "lerp", "addcmul",
           "addcdiv"]

_LN2 = math.log(2.0)
_NUMBER = (int, float, bool)


def _dtype_name(t: Tensor) -> str:
    return str(t.dtype).split(".")[-1]


def _floats_only(fn: str, *ts: Tensor) -> None:
    for t in ts:
        if not t.dtype.is_floating_point:
            raise NotImplementedError(
                f'"{fn}_cpu" not implemented for \'{scalar_type_name(_dtype_name(t))}\'')


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """``input * log(other)`` elementwise, 0 where ``input`` is 0 (unless ``other`` is NaN);
    either argument may be a Python number."""
    if isinstance(input, _NUMBER) and isinstance(other, _NUMBER):
        raise TypeError(f"xlogy() received an invalid combination of arguments - got "
                        f"({type(input).__name__}, {type(other).__name__}), but expected one "
                        f"of: (Tensor input, Tensor other), (Number self, Tensor other), "
                        f"(Tensor input, Number other)")
    if isinstance(other, _NUMBER):
        logy = math.log(other) if other > 0 else (-math.inf if other == 0 else math.nan)
        out = E.mul(input if input.dtype.is_floating_point else input * 1.0, logy)
        return out if math.isnan(other) else E.where(input == 0, 0.0, out)
    if isinstance(input, _NUMBER):
        ly = E.log(other)
        return E.where(E.isnan(other), ly, 0.0) if input == 0 else ly * float(input)
    zero = input == 0
    out = E.where(zero, 0.0, input * E.log(E.where(zero, 1.0, other)))
    return E.where(E.isnan(other), other, out)


def hypot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """``sqrt(input**2 + other**2)`` elementwise, without overflow for huge inputs."""
    _floats_only("hypot", input, other)
    a, b = E.abs(input), E.abs(other)
    big, small = E.maximum(a, b), E.minimum(a, b)
    zero = big == 0
    safe = E.where(zero, 1.0, big)
    r = small / safe
    out = E.where(zero, big, safe * E.sqrt(1.0 + r * r))
    return E.where(E.isinf(a) | E.isinf(b), math.inf, out)  # hypot(inf, nan) is inf


def _logaddexp(fn: str, input: Tensor, other: Tensor, log_scale: float) -> Tensor:
    _floats_only(fn, input, other)
    big = E.maximum(input, other)
    d = E.abs(input - other)
    if log_scale == 1.0:
        out = big + E.log1p(E.exp(-d))
    else:
        out = big + E.log1p(E.exp(d * -log_scale)) * (1.0 / log_scale)
    # equal infinities: inf - inf would make the sum NaN
    return E.where(E.isinf(input) & (input == other), input, out)


def logaddexp(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """``log(exp(input) + exp(other))`` elementwise, without overflow."""
    return _logaddexp("logaddexp", input, other, 1.0)


def logaddexp2(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """``log2(2**input + 2**other)`` elementwise, without overflow."""
    return _logaddexp("logaddexp2", input, other, _LN2)


def fmax(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """Elementwise maximum that ignores NaN (NaN only where both are NaN); at ties the
    gradient goes to ``input``, as PyTorch."""
    return E.where((input >= other) | E.isnan(other), input, other)


def fmin(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """Elementwise minimum that ignores NaN (NaN only where both are NaN); at ties the
    gradient goes to ``input``, as PyTorch."""
    return E.where((input <= other) | E.isnan(other), input, other)


def _torch_dtype_name(t: Tensor) -> str:
    n = _dtype_name(t)
    return {"float32": "float", "float64": "double", "float16": "c10::Half",
            "bfloat16": "c10::BFloat16", "int64": "long int", "int32": "int"}.get(n, n)


def lerp(input: Tensor, end: Tensor, weight: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """``input + weight * (end - input)`` elementwise (``weight`` a number or a tensor);
    exact at ``weight = 1``, as PyTorch's two-sided formula."""
    if not isinstance(end, Tensor):
        raise TypeError(f"lerp(): argument 'end' (position 2) must be Tensor, not "
                        f"{type(end).__name__}")
    if end.dtype != input.dtype:
        raise RuntimeError(f"expected dtype {_torch_dtype_name(input)} for `end` but got dtype "
                           f"{_torch_dtype_name(end)}")
    if isinstance(weight, Tensor) and weight.dim() > 0 and weight.dtype != input.dtype:
        raise RuntimeError(f"expected dtype {_torch_dtype_name(input)} for `weight` but got "
                           f"dtype {_torch_dtype_name(weight)}")
    if not input.dtype.is_floating_point:
        kind = "tensor" if isinstance(weight, Tensor) else "scalar"
        raise NotImplementedError(f'"lerp_kernel_{kind}" not implemented for '
                                  f"'{scalar_type_name(_dtype_name(input))}'")
    if isinstance(weight, Tensor) and weight.dtype != input.dtype:
        weight = weight.to(input.dtype)
    d = end - input
    if isinstance(weight, Tensor):
        return E.where(E.abs(weight) < 0.5, input + weight * d, end - d * (1.0 - weight))
    w = float(weight)
    return input + d * w if abs(w) < 0.5 else end - d * (1.0 - w)


def _value(value: Any) -> Any:
    return value.item() if isinstance(value, Tensor) else value


def addcmul(input: Tensor, tensor1: Tensor, tensor2: Tensor, *,  # noqa: A002
            value: Any = 1) -> Tensor:
    """``input + value * tensor1 * tensor2`` elementwise, broadcasting."""
    value = _value(value)
    prod = tensor1 * tensor2
    return input + (prod if value == 1 else prod * value)


def addcdiv(input: Tensor, tensor1: Tensor, tensor2: Tensor, *,  # noqa: A002
            value: Any = 1) -> Tensor:
    """``input + value * tensor1 / tensor2`` elementwise, broadcasting (true division;
    integer ``tensor1`` and ``tensor2`` are refused, as in PyTorch)."""
    if not tensor1.dtype.is_floating_point and not tensor2.dtype.is_floating_point:
        raise RuntimeError(
            "Integer division with addcdiv is no longer supported, and in a future  release "
            "addcdiv will perform a true division of tensor1 and tensor2. The historic addcdiv "
            "behavior can be implemented as (input + value * torch.trunc(tensor1 / tensor2))."
            "to(input.dtype) for integer inputs and as (input + value * tensor1 / tensor2) for "
            "float inputs. The future addcdiv behavior is just the latter implementation: "
            "(input + value * tensor1 / tensor2), for all dtypes.")
    value = _value(value)
    q = tensor1 / tensor2
    return input + (q if value == 1 else q * value)
