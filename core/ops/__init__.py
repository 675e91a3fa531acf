"""Differentiable ops, bound onto :class:`xgrad.Tensor` as methods and operators."""
from __future__ import annotations

import weakref
from typing import Any

from ..autograd.engine import backward as _backward
from ..creation import full
from ..device import resolve
from ..dtypes import DType, dtype_from_name
from ..tensor import Tensor, from_data
from . import elementwise as E
from . import fused as F
from . import indexing as I
from . import linalg as L
from . import reduce as R
from . import shape as S
from . import sorting as O
from .inplace import apply_inplace


def _alpha(other: Any, alpha: Any) -> Any:
    return other if alpha == 1 else other * alpha


def add(a: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``a + alpha * other``."""
    return E.add(a, _alpha(other, alpha))


def sub(a: Tensor, other: Any, *, alpha: Any = 1) -> Tensor:
    """``a - alpha * other``."""
    return E.sub(a, _alpha(other, alpha))


def div(a: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """True division, or ``'floor'``/``'trunc'`` rounding."""
    if rounding_mode is None:
        return E.div(a, other)
    if rounding_mode == "floor":
        return E.floordiv(a, other)
    if rounding_mode == "trunc":
        E.check_int_divisor(a, other)
        q = E.div(a, other)
        out = q.sign() * q.abs().floor()
        return out.to(a.dtype) if not a.dtype.is_floating_point else out
    raise ValueError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
                     f"found {rounding_mode!r}")


def to(a: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Cast and/or move: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other)``."""
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    if kwargs:
        raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
    for arg in args:
        if isinstance(arg, Tensor):
            dtype, device = arg.dtype, arg._backend
        elif isinstance(arg, DType):
            dtype = arg
        elif isinstance(arg, str) and arg.replace("torch.", "") in (
                "float16", "float32", "float64", "int32", "int64", "bool", "half", "float",
                "double", "long", "int"):
            dtype = dtype_from_name(arg)
        elif arg is not None:
            device = arg
    out = a
    if device is not None:
        out = E.to_backend(out, resolve(device))
    if dtype is not None:
        out = E.cast(out, dtype)
    if copy and out is a:
        out = E.clone(a)
    return out


def backward(a: Tensor, gradient: Tensor | None = None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs: Any = None) -> None:
    """Accumulate d(a)/d(leaf) into every leaf's ``.grad``."""
    _backward([a], None if gradient is None else [gradient], retain_graph, create_graph,
              inputs=inputs)


def register_hook(a: Tensor, hook: Any) -> Any:
    """Call ``hook(grad)`` when the gradient of ``a`` is computed; it may return a new grad."""
    if not a._rg:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if a._node is not None:
        a._node.add_hook(a._oidx, hook)
        node, entry = a._node, (a._oidx, hook)
        return _Handle(lambda: node.hooks.remove(entry) if entry in node.hooks else None)
    if a._hooks is None:
        a._hooks = []
    a._hooks.append(hook)
    return _Handle(lambda: a._hooks.remove(hook) if hook in a._hooks else None)


def register_post_accumulate_grad_hook(a: Tensor, hook: Any) -> Any:
    """Call ``hook(tensor)`` after a leaf's ``.grad`` was updated."""
    if a._post_hooks is None:
        a._post_hooks = []
    a._post_hooks.append(hook)
    return _Handle(lambda: a._post_hooks.remove(hook))


class _Handle:
    def __init__(self, fn: Any) -> None:
        self._fn = fn

    def remove(self) -> None:
        self._fn()


def retain_grad(a: Tensor) -> None:
    """Keep ``.grad`` on a non-leaf tensor after backward."""
    if not a._rg:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if a._node is None or a.__dict__.get("_retains"):
        return
    ref = weakref.ref(a)

    def keep(g: Tensor) -> None:
        t = ref()
        if t is not None:
            t.grad = g if t.grad is None else t.grad + g

    a._node.add_hook(a._oidx, keep)
    a._retains = True


def _inplace(fn: Any) -> Any:
    def method(a: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return apply_inplace(a, lambda x: fn(x, *args, **kwargs), *args)

    method.__name__ = fn.__name__ + "_"
    method.__doc__ = f"In-place version of :meth:`Tensor.{fn.__name__}`."
    return method


def copy_(a: Tensor, src: Any) -> Tensor:
    """Copy ``src``'s values into ``a`` (broadcast, cast to ``a``'s dtype)."""
    def fn(x: Tensor) -> Tensor:
        s = src if isinstance(src, Tensor) else Tensor(src)
        if s._backend is not x._backend:
            s = E.to_backend(s, x._backend)
        return _broadcast_copy(s.to(x.dtype), x)
    return apply_inplace(a, fn, src)


def _broadcast_copy(s: Tensor, x: Tensor) -> Tensor:
    out = S.expand(s, x._data.shape)
    return E.clone(out) if out is s else out


def fill_(a: Tensor, value: Any) -> Tensor:
    """Fill with ``value``."""
    return apply_inplace(a, lambda x: full(x._data.shape, value.item() if isinstance(value, Tensor)
                                           else value, dtype=x.dtype, device=x._backend))


def zero_(a: Tensor) -> Tensor:
    """Fill with zeros."""
    return fill_(a, 0)


def _not_implemented_eq(a: Tensor, b: Any) -> Any:
    if not isinstance(b, (Tensor, int, float, bool)) and not hasattr(b, "__array__"):
        return NotImplemented
    return E.eq(a, b)


def _ne(a: Tensor, b: Any) -> Any:
    if not isinstance(b, (Tensor, int, float, bool)) and not hasattr(b, "__array__"):
        return NotImplemented
    return E.ne(a, b)


def _rmatmul(a: Tensor, b: Any) -> Tensor:
    return L.matmul(from_data(b, None, a._backend), a)


_METHODS = {
    # arithmetic
    "add": add, "sub": sub, "subtract": sub, "mul": E.mul, "multiply": E.mul, "div": div,
    "divide": div, "true_divide": E.div, "floor_divide": E.floordiv, "remainder": E.remainder,
    "fmod": E.fmod, "pow": E.pow, "neg": E.neg, "negative": E.neg, "maximum": E.maximum,
    "minimum": E.minimum, "exp": E.exp, "log": E.log, "log1p": E.log1p, "expm1": E.expm1,
    "sin": E.sin, "cos": E.cos, "tanh": E.tanh, "sqrt": E.sqrt, "rsqrt": E.rsqrt, "abs": E.abs,
    "sign": E.sign, "erf": E.erf, "sigmoid": E.sigmoid, "relu": E.relu, "clamp": E.clamp,
    "clip": E.clamp, "reciprocal": E.reciprocal, "square": E.square, "floor": E.floor,
    "where": lambda a, cond, other: E.where(cond, a, other),
    "eq": E.eq, "ne": E.ne, "lt": E.lt, "le": E.le, "gt": E.gt, "ge": E.ge,
    "logical_and": E.logical_and, "logical_or": E.logical_or, "logical_xor": E.logical_xor,
    "logical_not": E.logical_not, "isnan": E.isnan, "isinf": E.isinf, "isfinite": E.isfinite,
    "clone": lambda a, *, memory_format=None: E.clone(a), "detach": E.detach,
    "contiguous": lambda a, memory_format=None: a, "to": to,
    "clamp_min": lambda a, m: E.clamp(a, min=m), "clamp_max": lambda a, m: E.clamp(a, max=m),
    # reductions
    "sum": R.sum, "mean": R.mean, "prod": R.prod, "var": R.var, "std": R.std, "max": R.max,
    "min": R.min, "amax": R.amax, "amin": R.amin, "argmax": R.argmax, "argmin": R.argmin,
    "logsumexp": R.logsumexp, "norm": R.norm, "cumsum": R.cumsum, "all": R.all, "any": R.any,
    # shape
    "reshape": S.reshape, "view": S.view, "view_as": lambda a, o: S.reshape(a, o._data.shape),
    "reshape_as": lambda a, o: S.reshape(a, o._data.shape), "permute": S.permute,
    "transpose": S.transpose, "swapaxes": S.transpose, "t": S.t, "expand": S.expand,
    "expand_as": S.expand_as, "broadcast_to": S.broadcast_to, "squeeze": S.squeeze,
    "unsqueeze": S.unsqueeze, "flatten": S.flatten, "unflatten": S.unflatten, "split": S.split,
    "chunk": S.chunk, "unbind": S.unbind, "flip": S.flip, "roll": S.roll, "repeat": S.repeat,
    "tile": S.tile, "narrow": S.narrow,
    # indexing
    "gather": I.gather, "scatter": I.scatter, "scatter_add": I.scatter_add,
    "index_select": I.index_select, "masked_fill": I.masked_fill,
    "take_along_dim": I.take_along_dim, "index_put_add": I.index_put_add,
    # linalg
    "matmul": L.matmul, "mm": L.mm, "bmm": L.bmm, "dot": L.dot, "outer": L.outer,
    # sorting
    "sort": O.sort, "argsort": O.argsort, "topk": O.topk,
    # composite
    "softmax": F.softmax, "log_softmax": F.log_softmax,
    # autograd
    "backward": backward, "register_hook": register_hook, "retain_grad": retain_grad,
    "register_post_accumulate_grad_hook": register_post_accumulate_grad_hook,
    # in-place
    "copy_": copy_, "fill_": fill_, "zero_": zero_,
}

for _name in ("add", "sub", "mul", "div", "pow", "clamp", "clamp_min", "clamp_max", "neg",
              "relu", "masked_fill", "exp", "sqrt", "abs", "sigmoid", "tanh", "log",
              "scatter", "scatter_add", "floor_divide", "remainder", "maximum", "minimum",
              "sign", "reciprocal", "square", "clip", "t", "squeeze", "unsqueeze", "transpose"):
    if _name in ("t", "squeeze", "unsqueeze", "transpose"):
        continue
    _METHODS[_name + "_"] = _inplace(_METHODS[_name])
_METHODS["subtract_"] = _METHODS["sub_"]
_METHODS["multiply_"] = _METHODS["mul_"]


def _ipow(a, b):
    return apply_inplace(a, lambda x: E.pow(x, b), b)


_OPERATORS = {
    "__add__": E.add, "__radd__": E.radd, "__sub__": E.sub, "__rsub__": E.rsub,
    "__mul__": E.mul, "__rmul__": E.rmul, "__truediv__": E.div, "__rtruediv__": E.rdiv,
    "__floordiv__": E.floordiv, "__rfloordiv__": E.rfloordiv, "__mod__": E.remainder,
    "__rmod__": E.rremainder, "__pow__": E.pow, "__rpow__": E._rpow, "__neg__": E.neg,
    "__pos__": lambda a: a, "__abs__": E.abs, "__matmul__": L.matmul, "__rmatmul__": _rmatmul,
    "__eq__": _not_implemented_eq, "__ne__": _ne, "__lt__": E.lt, "__le__": E.le, "__gt__": E.gt,
    "__ge__": E.ge, "__and__": E.logical_and, "__or__": E.logical_or, "__xor__": E.logical_xor,
    "__rand__": E.logical_and, "__ror__": E.logical_or, "__invert__": E.__invert__,
    "__getitem__": I.getitem, "__setitem__": I.setitem,
    "__iadd__": _METHODS["add_"], "__isub__": _METHODS["sub_"], "__imul__": _METHODS["mul_"],
    "__itruediv__": _METHODS["div_"], "__ipow__": _ipow,
}

for _name, _fn in {**_METHODS, **_OPERATORS}.items():
    setattr(Tensor, _name, _fn)
Tensor.__hash__ = object.__hash__  # binding __eq__ above cleared it; keep identity hashing
Tensor.T = property(S.T)
Tensor.mT = property(S.mT)
Tensor.retains_grad = property(lambda self: bool(self.__dict__.get("_retains")))
