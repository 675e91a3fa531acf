"""Elementwise ops: arithmetic, math functions, comparisons, casts, in-place forms."""
from __future__ import annotations

import weakref
from typing import Any

from ..autograd.grad_mode import _State
from ..autograd.node import Node, needs_grad, record
from ..backend_index import unsupported_dtype_message
from ..dispatch import Dispatch, call_kernel, run
from ..dtypes import (
    bool_,
    dtype_from_name,
    get_default_dtype,
    promote_types,
    result_type_with_scalar,
    scalar_dtype,
)
from ..tensor import Tensor, wrap
from .fusion import use_fused
from .operands import binary_operands, check_broadcast, device_mismatch, float_natives
from .views import mark_alias

# ---- binary arithmetic -------------------------------------------------------------------
_new = object.__new__


def _binary(name: str, to_float: bool = False, saves: bool = True,
            refuse_bool: bool = False):
    def slow(a: Tensor, b: Any) -> Tensor:
        if refuse_bool:
            check_bool_sub(a, b)
        a, b, bt = binary_operands(name, a, b, to_float)
        be = a._backend
        out = wrap(run(name, be, a._data, b._data if bt else b), be)
        if _State.enabled and (a._rg or (bt and b._rg)):
            if bt:
                check = ((a, a._version), (b, b._version)) if saves else None
                record(out, name, (a, b), None, check)
            else:
                record(out, name, (a, None), b)
        return out

    def op(a: Tensor, b: Any) -> Tensor:
        # Fast path: float tensor with a Python number, or two tensors of one dtype/device.
        be = a._backend
        bc = b.__class__
        if bc is float or bc is int:
            try:
                floats = be._xg_floats
            except AttributeError:
                floats = float_natives(be)
            if a._data.dtype not in floats:
                return slow(a, b)
            bt = False
            bd = b
        elif isinstance(b, Tensor):
            if b._backend is not be or a._data.dtype != b._data.dtype or (
                    (to_float or refuse_bool) and a._data.dtype not in float_natives(be)):
                return slow(a, b)
            bt = True
            bd = b._data
        else:
            return slow(a, b)
        try:
            if Dispatch.active:
                data = call_kernel(name, be, getattr(be, name), a._data, bd)
            else:
                data = getattr(be, name)(a._data, bd)
        except ValueError:
            if bt:
                check_broadcast(name, a, b)
            raise
        out = _new(Tensor)
        out._data = data
        out._backend = be
        if _State.enabled and (a._rg or (bt and b._rg)):
            if bt:
                out._node = Node(name, (a, b), None,
                                 ((a, a._version), (b, b._version)) if saves else None)
            else:
                out._node = Node(name, (a, None), b, None)
            out._rg = True
        else:
            out._node = None
            out._rg = False
        return out

    op.__name__ = name
    return op


def _rbinary(name: str):
    def op(a: Tensor, b: Any) -> Tensor:
        # b OP a with b a non-tensor
        a, s, bt = binary_operands(name, a, b, name == "div")
        if bt:
            return globals()[name](s, a)
        be = a._backend
        out = wrap(run(name, be, s, a._data), be)
        if _State.enabled and a._rg:
            record(out, "r" + name, (a,), s, ((a, a._version),))
        return out

    op.__name__ = "r" + name
    return op


add = _binary("add", saves=False)
sub = _binary("sub", saves=False, refuse_bool=True)  # bool operands refused, as PyTorch


def check_bool_sub(a: Any, b: Any) -> None:
    """PyTorch's RuntimeError for a subtraction with a bool tensor or a bool number."""
    two = isinstance(a, Tensor) and a.dtype is bool_ and isinstance(b, Tensor) and \
        b.dtype is bool_
    if two:
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if (isinstance(a, Tensor) and a.dtype is bool_) or b.__class__ is bool or (
            isinstance(b, Tensor) and b.dtype is bool_):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


mul = _binary("mul")
div = _binary("div", to_float=True)
_pow = _binary("pow")
atan2 = _binary("atan2", to_float=True)  # torch.atan2(a, b): integers promote to float
_floordiv = _binary("floordiv", saves=False)
remainder_ = _binary("remainder", saves=False)


def check_int_divisor(a: Any, b: Any) -> None:
    """Raise PyTorch's CPU ``RuntimeError: ZeroDivisionError`` for an integer division by zero.

    Only integer results are checked (a float operand makes the result float, where x / 0 is
    inf or nan); a tensor divisor costs one comparison and reduction.
    """
    if isinstance(a, Tensor) and a.dtype.is_floating_point:
        return
    if isinstance(b, Tensor):
        if not b.dtype.is_floating_point and bool((b == 0).any()):
            raise RuntimeError("ZeroDivisionError")
    elif b.__class__ in (int, bool) and b == 0:
        raise RuntimeError("ZeroDivisionError")


def floordiv(a: Tensor, b: Any) -> Tensor:
    """``a // b`` rounded toward minus infinity (``torch.floor_divide``); no gradient."""
    check_int_divisor(a, b)
    return _floordiv(a, b)


def pow(a: Tensor, exponent: Any) -> Tensor:
    """``a ** exponent`` elementwise."""
    if _is_bool(a) and _is_bool(exponent):  # PyTorch has no bool ** bool kernel
        raise NotImplementedError("\"pow\" not implemented for 'Bool'")
    if not isinstance(a, Tensor):
        return _rpow(exponent, a)
    return _pow(a, exponent)


def _is_bool(x: Any) -> bool:
    return x.dtype is bool_ if isinstance(x, Tensor) else isinstance(x, bool)


def remainder(a: Tensor, b: Any) -> Tensor:
    """Python-style remainder (sign of the divisor); gradient ``g`` for ``a``."""
    check_int_divisor(a, b)
    if needs_grad(a, b if isinstance(b, Tensor) else None):
        return a - floordiv(a.detach(), b.detach() if isinstance(b, Tensor) else b) * b
    return remainder_(a, b)


def fmod(a: Tensor, b: Any) -> Tensor:
    """C-style remainder: the result has the sign of the dividend (``torch.fmod``)."""
    if not isinstance(a, Tensor):  # PyTorch has no fmod(number, tensor)
        raise TypeError(f"fmod(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(a).__name__}")
    check_int_divisor(a, b)
    q = div(a, b)
    r = a - (q.sign() * q.abs().floor()).detach() * b
    if r.dtype.is_floating_point:  # fmod(x, +-inf) is x for a finite x (not x - 0 * inf)
        if isinstance(b, Tensor):
            r = where(isinf(b) & isfinite(a), a.to(r.dtype), r)
        elif isinstance(b, float) and b in (float("inf"), float("-inf")):
            r = where(isfinite(a), a.to(r.dtype), r)
    out = promote_types(a.dtype, b.dtype) if isinstance(b, Tensor) and b.ndim else \
        result_type_with_scalar(a.dtype, b.item() if isinstance(b, Tensor) else b)
    return r if out.is_floating_point else r.to(out)


def _maxmin(name: str, is_max: bool):
    def op(a: Tensor, b: Any) -> Tensor:
        a, b, bt = binary_operands(name, a, b)
        be = a._backend
        out = wrap(run(name, be, a._data, b._data if bt else b), be)
        if _State.enabled and (a._rg or (bt and b._rg)):
            if bt:
                record(out, name, (a, b), (is_max,), ((a, a._version), (b, b._version)))
            else:
                record(out, name, (a, None), (is_max, b), ((a, a._version),))
        return out

    op.__name__ = name
    return op


maximum = _maxmin("maximum", True)
minimum = _maxmin("minimum", False)


_rsub = _rbinary("sub")


def rsub(a: Tensor, b: Any) -> Tensor:
    """``b - a`` for a number ``b`` (bool operands refused, as PyTorch)."""
    if b.__class__ is bool or a._data.dtype not in float_natives(a._backend):
        check_bool_sub(a, b)
    return _rsub(a, b)
rdiv = _rbinary("div")
_rpow = _rbinary("pow")
_rfloordiv = _rbinary("floordiv")
_rremainder = _rbinary("remainder")


def rfloordiv(a: Tensor, b: Any) -> Tensor:
    """``b // a`` for a Python number ``b``; no gradient."""
    if not isinstance(b, float):
        check_int_divisor(b, a)
    return _rfloordiv(a, b)


def rremainder(a: Tensor, b: Any) -> Tensor:
    """``b % a`` for a Python number ``b``; gradient ``-floor(b / a) * g`` for ``a``."""
    if not isinstance(b, float):
        check_int_divisor(b, a)
    if needs_grad(a):
        return b - rfloordiv(a.detach(), b) * a
    return _rremainder(a, b)


def radd(a: Tensor, b: Any) -> Tensor:
    return add(a, b)


def rmul(a: Tensor, b: Any) -> Tensor:
    return mul(a, b)


# ---- unary math --------------------------------------------------------------------------
def _unary(name: str, save_out: bool = False, float_only: bool = True, kname: str = ""):
    kname = kname or name

    def op(a: Tensor) -> Tensor:
        be = a._backend
        if float_only:
            try:
                floats = be._xg_floats
            except AttributeError:
                floats = float_natives(be)
            if a._data.dtype not in floats:
                a = a.to(get_default_dtype())
        if Dispatch.active:
            data = call_kernel(kname, be, getattr(be, kname), a._data)
        else:
            data = getattr(be, kname)(a._data)
        out = _new(Tensor)
        out._data = data
        out._backend = be
        if _State.enabled and a._rg:
            out._node = Node(name, (a,), weakref.ref(out) if save_out else None,
                             ((a, a._version),))
            out._rg = True
        else:
            out._node = None
            out._rg = False
        return out

    op.__name__ = name
    return op


neg = _unary("neg", float_only=False)
exp = _unary("exp", save_out=True)
log = _unary("log")
log1p = _unary("log1p")
expm1 = _unary("expm1", save_out=True)
sin = _unary("sin")
cos = _unary("cos")
tanh = _unary("tanh", save_out=True)
sqrt = _unary("sqrt", save_out=True)
abs = _unary("abs", float_only=False)
_sign = _unary("sign", float_only=False)


def sign(a: Tensor) -> Tensor:
    """-1, 0 or 1 by the sign of each element; 0 for NaN, as PyTorch."""
    out = _sign(a)
    if a.dtype.is_floating_point:
        out = where(a != a, 0.0, out)
    return out
erf = _unary("erf")
floor = _unary("floor", float_only=False)


def rsqrt(a: Tensor) -> Tensor:
    """``1 / sqrt(a)``."""
    return sqrt(a).reciprocal()


def reciprocal(a: Tensor) -> Tensor:
    """``1 / a``."""
    return rdiv(a, 1.0)


def square(a: Tensor) -> Tensor:
    """``a * a``."""
    return mul(a, a)


def relu(a: Tensor) -> Tensor:
    """``max(a, 0)``; gradient 0 at 0, as PyTorch."""
    be = a._backend
    out = wrap(run("maximum", be, a._data, 0), be) if not Dispatch.active else \
        wrap(call_kernel("relu", be, be.maximum, a._data, 0), be)
    if _State.enabled and a._rg:
        record(out, "relu", (a,), None, ((a, a._version),))
    return out


def sigmoid(a: Tensor) -> Tensor:
    """Logistic function ``1 / (1 + exp(-a))`` (fused kernel when the backend has one)."""
    be = a._backend
    if not use_fused(be, "sigmoid"):
        # each branch feeds exp an input <= 0, so neither value nor gradient overflows
        pos = a >= 0
        ep = exp(-where(pos, a, 0.0))
        en = exp(where(pos, 0.0, a))
        return where(pos, rdiv(ep + 1, 1.0), en / (en + 1))
    if not a.dtype.is_floating_point:
        a = a.to(get_default_dtype())
    out = wrap(run("sigmoid", be, a._data), be)
    if _State.enabled and a._rg:
        record(out, "sigmoid", (a,), weakref.ref(out), ((a, a._version),))
    return out


def clamp(a: Tensor, min: Any = None, max: Any = None) -> Tensor:
    """Clamp to ``[min, max]`` (either may be None or a tensor); gradient passes inside."""
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    if min is not None and max is not None and isinstance(min, Tensor) != isinstance(max, Tensor):
        raise TypeError(f"clamp() received an invalid combination of arguments - got (Tensor, "
                        f"{type(min).__name__}, {type(max).__name__}): min and max are both "
                        f"Tensors or both numbers")
    out = a
    if min is not None:
        out = _clamp_side(out, min, True)
    if max is not None:
        out = _clamp_side(out, max, False)
    return out


def _clamp_side(a: Tensor, bound: Any, lower: bool) -> Tensor:
    name = "maximum" if lower else "minimum"
    a, b, bt = binary_operands("clamp", a, bound)
    be = a._backend
    out = wrap(run(name, be, a._data, b._data if bt else b), be)
    if _State.enabled and (a._rg or (bt and b._rg)):
        record(out, "clamp", (a, b if bt else None), (lower, None if bt else b),
               ((a, a._version),))
    return out


# ---- where, comparisons, logical ---------------------------------------------------------
def where(cond: Tensor, a: Any, b: Any) -> Tensor:
    """``a`` where ``cond`` else ``b``, broadcasting; ``a``/``b`` may be Python scalars."""
    if not isinstance(cond, Tensor):
        raise TypeError(f"where(): expected cond to be a bool Tensor, got {type(cond).__name__}")
    be = cond._backend
    if cond._data.dtype != _bool_native(be):
        raise RuntimeError("where expected condition to be a boolean tensor, but got a tensor "
                           f"with dtype {_TORCH_NAMES.get(cond.dtype.name, cond.dtype.name)}")
    at, bt = isinstance(a, Tensor), isinstance(b, Tensor)
    for t in (a, b):
        if isinstance(t, Tensor) and t._backend is not be:
            raise device_mismatch("where", cond, t)
    if at and bt:
        a, b, _ = binary_operands("where", a, b)
    elif at:
        a, b, _ = binary_operands("where", a, b)
    elif bt:
        b, a, _ = binary_operands("where", b, a)
    else:
        a = Tensor_full_like_scalar(cond, a)
        at = True
    for t in (a if at else None, b if bt else None):
        if t is not None and t._data.shape != cond._data.shape:
            check_broadcast("where", cond, t)
    out = wrap(run("where", be, cond._data, a._data if at else a, b._data if bt else b), be)
    if _State.enabled and ((at and a._rg) or (bt and b._rg)):
        record(out, "where", (None, a if at else None, b if bt else None), cond)
    return out


_TORCH_NAMES = {"float16": "Half", "float32": "Float", "float64": "Double", "int32": "Int",
                "int64": "Long", "bool": "Bool"}


def Tensor_full_like_scalar(cond: Tensor, value: Any) -> Tensor:
    return wrap(cond._backend.full((), value, scalar_dtype(value)), cond._backend)


def _bool_native(be: Any) -> Any:
    cache = be.__dict__.get("_xg_bool")
    if cache is None:
        cache = be.full((), True, bool_).dtype
        be.__dict__["_xg_bool"] = cache
    return cache


def _compare(name: str):
    def op(a: Tensor, b: Any) -> Tensor:
        a, b, bt = binary_operands(name, a, b)
        be = a._backend
        return wrap(run(name, be, a._data, b._data if bt else b), be)

    op.__name__ = name
    return op


eq = _compare("eq")
ne = _compare("ne")
lt = _compare("lt")
le = _compare("le")
gt = _compare("gt")
ge = _compare("ge")


def _logical(name: str):
    def op(a: Tensor, b: Any) -> Tensor:
        if not isinstance(b, Tensor):
            b = Tensor_full_like_scalar(a, bool(b))
        if b._backend is not a._backend:
            raise device_mismatch(name, a, b)
        check_broadcast(name, a, b)
        be = a._backend
        return wrap(run(name, be, a.to(bool_)._data, b.to(bool_)._data), be)

    op.__name__ = name
    return op


logical_and = _logical("logical_and")
logical_or = _logical("logical_or")
logical_xor = _logical("logical_xor")


def logical_not(a: Tensor) -> Tensor:
    """Elementwise boolean not."""
    return wrap(run("logical_not", a._backend, a.to(bool_)._data), a._backend)


def isnan(a: Tensor) -> Tensor:
    """True where NaN."""
    return wrap(run("isnan", a._backend, a._data), a._backend)


def isinf(a: Tensor) -> Tensor:
    """True where +-inf."""
    return wrap(run("isinf", a._backend, a._data), a._backend)


def isfinite(a: Tensor) -> Tensor:
    """True where neither NaN nor inf."""
    return logical_not(logical_or(isnan(a), isinf(a)))


def __invert__(a: Tensor) -> Tensor:
    if a.dtype is not bool_:
        raise TypeError(f"~ is only supported on bool tensors here, got {a.dtype}")
    return logical_not(a)


# ---- casts, copies -----------------------------------------------------------------------
def cast(a: Tensor, dtype: Any) -> Tensor:
    """``a`` converted to ``dtype`` (differentiable between floating dtypes)."""
    dtype = dtype_from_name(dtype)
    be = a._backend
    src = be.dtype(a._data)
    if src is dtype:
        return a
    if dtype not in be.dtypes:
        raise TypeError(unsupported_dtype_message(be, dtype))
    out = wrap(run("cast", be, a._data, dtype), be)
    if _State.enabled and a._rg and dtype.is_floating_point:
        record(out, "to_copy", (a,), src)
    return out


def to_backend(a: Tensor, be: Any) -> Tensor:
    """Copy ``a`` to another backend through host memory (differentiable)."""
    if be is a._backend:
        return a
    dt = a.dtype
    if dt not in be.dtypes:
        raise TypeError(f"cannot move a {dt.name} tensor to backend {be.name!r}: it supports "
                        f"{', '.join(sorted(d.name for d in be.dtypes))}")
    out = wrap(be.from_numpy(a._backend.to_numpy(a._data), dt), be)
    if _State.enabled and a._rg:
        record(out, "to_copy", (a,), a._backend)
    return out


def clone(a: Tensor) -> Tensor:
    """A copy with its own storage (differentiable)."""
    be = a._backend
    out = wrap(run("copy", be, a._data), be)
    if _State.enabled and a._rg:
        record(out, "clone", (a,))
    return out


def detach(a: Tensor) -> Tensor:
    """The same data, cut from the graph: shares ``a``'s storage (a write into either shows
    in both) without tracking history."""
    return mark_alias(a, wrap(a._data, a._backend))
