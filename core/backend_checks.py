"""The contract's result rules: the dtype (and, where the contract fixes it, the shape) every
primitive must return, in one table.

:data:`RULES` maps each primitive to a function ``rule(be, args) -> [(dtype, shape), ...]``
giving, for each array the primitive returns, the expected :class:`~xgrad.dtypes.DType` and
shape (``None`` where the contract leaves it open). Two users read the table:

* the conformance suite (``prim.dtype.<name>`` cases) calls every primitive directly in every
  dtype a backend declares and compares the result with the rule;
* the debug mode: with ``XGRAD_DEBUG_BACKEND=1`` the registry passes every backend instance
  it builds through :func:`debug_wrap`, so each primitive call is checked as it happens and
  a wrong result raises :class:`BackendContractError` naming backend, primitive, expected
  and returned dtype (instead of failing later, deep inside the array library).
"""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from .dtypes import DType, bool_, int64

__all__ = ["RULES", "BackendContractError", "expected_results", "check_result", "debug_wrap",
           "debug_enabled", "broadcast_shapes", "DEBUG_ENV"]

#: The environment variable that turns the debug mode on (``1``).
DEBUG_ENV = "XGRAD_DEBUG_BACKEND"

Expected = list[tuple[DType | None, tuple[int, ...] | None]]


class BackendContractError(TypeError):
    """A backend primitive returned a result the contract does not allow (wrong dtype or
    shape). The message names the backend, the primitive, what was expected and what came
    back."""


def debug_enabled() -> bool:
    """Whether ``XGRAD_DEBUG_BACKEND=1`` is set."""
    return os.environ.get(DEBUG_ENV, "0") == "1"


# ---- helpers ----------------------------------------------------------------------------
def _is_array(x: Any) -> bool:
    # exact types: numpy's float64 scalars subclass float, yet are 0-d arrays here
    return type(x) not in (bool, int, float, complex) and hasattr(x, "shape") \
        and hasattr(x, "dtype")


def _shape(x: Any) -> tuple[int, ...]:
    return tuple(int(n) for n in x.shape)


def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
    """numpy's broadcast of ``shapes`` (raises ``ValueError`` when they do not broadcast)."""
    nd = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(nd):
        sizes = {s[len(s) - nd + i] for s in shapes if len(s) - nd + i >= 0}
        sizes.discard(1)
        if len(sizes) > 1:
            raise ValueError(f"shapes {list(shapes)} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _operand_dtype(be: Any, args: Sequence[Any]) -> DType | None:
    for a in args:
        if _is_array(a):
            return be.dtype(a)
    return None


def _operand_shape(args: Sequence[Any]) -> tuple[int, ...]:
    return broadcast_shapes(*[_shape(a) for a in args if _is_array(a)])


def _reduced(shape: tuple[int, ...], axes: Sequence[int], keepdims: bool) -> tuple[int, ...]:
    if keepdims:
        return tuple(1 if i in axes else n for i, n in enumerate(shape))
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _int_sum_dtype(dt: DType) -> DType:
    return int64 if not dt.is_floating_point else dt


def _matmul_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return b[:-2] + b[-1:]
    if len(b) == 1:
        return a[:-1]
    return broadcast_shapes(a[:-2], b[:-2]) + (a[-2], b[-1])


def _window_shape(x: tuple[int, ...], window: Sequence[int], strides: Sequence[int],
                  dilation: Sequence[int]) -> tuple[int, ...]:
    k = len(window)
    lead, sizes = x[:-k] if k else x, x[len(x) - k:]
    outs = tuple((n - d * (w - 1) - 1) // s + 1
                 for n, w, s, d in zip(sizes, window, strides, dilation))
    return lead + outs + tuple(window)


# ---- the rules --------------------------------------------------------------------------
def _same(be: Any, args: tuple) -> Expected:
    """Elementwise on the operands: their dtype, their broadcast shape."""
    return [(_operand_dtype(be, args), _operand_shape(args))]


def _boolean(be: Any, args: tuple) -> Expected:
    """Comparisons, tests and logical ops: bool, the operands' broadcast shape."""
    return [(bool_, _operand_shape(args))]


def _where(be: Any, args: tuple) -> Expected:
    return [(_operand_dtype(be, args[1:]), _operand_shape(args))]


def _reduction(promote: bool) -> Callable[[Any, tuple], Expected]:
    def rule(be: Any, args: tuple) -> Expected:
        x, axes, keepdims = args
        dt = be.dtype(x)
        return [(_int_sum_dtype(dt) if promote else dt, _reduced(_shape(x), axes, keepdims))]
    return rule


def _arg_reduction(be: Any, args: tuple) -> Expected:
    x, axis, keepdims = args
    return [(int64, _reduced(_shape(x), (axis,), keepdims))]


def _first_array_shape(be: Any, args: tuple) -> Expected:
    """Results shaped and typed like the first argument (index_add, index_put, assign...)."""
    return [(be.dtype(args[0]), _shape(args[0]))]


def _take_along_axis(be: Any, args: tuple) -> Expected:
    x, idx, axis = args
    xs, ids = _shape(x), _shape(idx)
    shape = broadcast_shapes(xs[:axis] + (1,) + xs[axis + 1:], ids[:axis] + (1,) + ids[axis + 1:])
    return [(be.dtype(x), shape[:axis] + (ids[axis],) + shape[axis + 1:])]


def _concatenate(be: Any, args: tuple) -> Expected:
    xs, axis = args
    first = _shape(xs[0])
    return [(be.dtype(xs[0]), first[:axis] + (sum(_shape(x)[axis] for x in xs),)
             + first[axis + 1:])]


def _pad(be: Any, args: tuple) -> Expected:
    x, widths, _ = args
    return [(be.dtype(x), tuple(n + lo + hi for n, (lo, hi) in zip(_shape(x), widths)))]


def _to_numpy(be: Any, args: tuple) -> Expected:
    return [(be.dtype(args[0]), _shape(args[0]))]


#: primitive -> rule. Every primitive of the contract except ``dtype`` (the introspection
#: the rules themselves use) has one.
RULES: dict[str, Callable[[Any, tuple], Expected]] = {
    "from_numpy": lambda be, a: [(a[1], tuple(int(n) for n in a[0].shape))],
    "to_numpy": _to_numpy,
    "full": lambda be, a: [(a[2], tuple(a[0]))],
    "arange": lambda be, a: [(a[3], None)],
    "random_bits": lambda be, a: [(int64, tuple(a[0]))],
    **{name: _same for name in (
        "add", "sub", "mul", "div", "floordiv", "remainder", "pow", "atan2", "maximum",
        "minimum", "neg", "exp", "log", "log1p", "expm1", "sin", "cos", "tanh", "sqrt", "erf",
        "abs", "sign", "floor", "copy")},
    **{name: _boolean for name in (
        "isnan", "isinf", "eq", "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or",
        "logical_xor", "logical_not")},
    "where": _where,
    "cast": lambda be, a: [(a[1], _shape(a[0]))],
    "sum": _reduction(promote=True),
    "prod": _reduction(promote=True),
    "max": _reduction(promote=False),
    "min": _reduction(promote=False),
    "argmax": _arg_reduction,
    "argmin": _arg_reduction,
    "cumsum": lambda be, a: [(_int_sum_dtype(be.dtype(a[0])), _shape(a[0]))],
    "sort": lambda be, a: [(be.dtype(a[0]), _shape(a[0])), (int64, _shape(a[0]))],
    "reshape": lambda be, a: [(be.dtype(a[0]), tuple(a[1]))],
    "permute": lambda be, a: [(be.dtype(a[0]), tuple(_shape(a[0])[i] for i in a[1]))],
    "broadcast_to": lambda be, a: [(be.dtype(a[0]), tuple(a[1]))],
    "getitem": lambda be, a: [(be.dtype(a[0]), None)],
    "index_add": _first_array_shape,
    "index_put": _first_array_shape,
    "take_along_axis": _take_along_axis,
    "put_along_axis_add": _first_array_shape,
    "concatenate": _concatenate,
    "pad": _pad,
    "sliding_window": lambda be, a: [(be.dtype(a[0]), _window_shape(_shape(a[0]), *a[1:]))],
    "matmul": lambda be, a: [(be.dtype(a[0]), _matmul_shape(_shape(a[0]), _shape(a[1])))],
    "assign": _first_array_shape,
}


def expected_results(be: Any, name: str, args: tuple) -> Expected:
    """``[(dtype, shape or None), ...]``: what primitive ``name`` must return for ``args``."""
    return RULES[name](be, args)


def _describe_args(be: Any, args: tuple) -> str:
    parts = []
    for a in args:
        if _is_array(a):
            try:
                parts.append(f"{be.dtype(a).name}{list(_shape(a))}")
            except Exception:  # noqa: BLE001 - a foreign array: say what it is
                parts.append(type(a).__name__)
        elif isinstance(a, (list, tuple)) and a and all(_is_array(x) for x in a):
            parts.append("[" + ", ".join(_describe_args(be, tuple(a)).split(", ")) + "]")
        else:
            parts.append(repr(a) if len(repr(a)) < 40 else type(a).__name__)
    return ", ".join(parts)


def _result_dtype(be: Any, name: str, out: Any) -> DType | str:
    if name == "to_numpy":  # a host numpy array: compare by dtype name
        return str(getattr(out, "dtype", type(out).__name__))
    try:
        return be.dtype(out)
    except Exception:  # noqa: BLE001 - not an array of this backend at all
        return type(out).__name__


def check_result(be: Any, name: str, args: tuple, out: Any) -> None:
    """Raise :class:`BackendContractError` unless ``out`` (what primitive ``name`` returned
    for ``args`` on backend ``be``) has the dtypes and shapes of :data:`RULES`."""
    expected = expected_results(be, name, args)
    outs = tuple(out) if len(expected) > 1 else (out,)
    if len(outs) != len(expected):
        raise BackendContractError(
            f"backend {be.name!r} primitive {name!r} returned {len(outs)} arrays, expected "
            f"{len(expected)} (called with {_describe_args(be, args)})")
    for k, ((dt, shape), got) in enumerate(zip(expected, outs)):
        which = f" result {k}" if len(expected) > 1 else ""
        if dt is not None:
            got_dt = _result_dtype(be, name, got)
            same = got_dt == dt.name if isinstance(got_dt, str) else got_dt == dt
            if not same:
                shown = got_dt if isinstance(got_dt, str) else got_dt.name
                raise BackendContractError(
                    f"backend {be.name!r} primitive {name!r}{which} returned dtype {shown}, "
                    f"expected {dt.name} (called with {_describe_args(be, args)})")
        if shape is not None and hasattr(got, "shape") and _shape(got) != tuple(shape):
            raise BackendContractError(
                f"backend {be.name!r} primitive {name!r}{which} returned shape "
                f"{list(_shape(got))}, expected {list(shape)} (called with "
                f"{_describe_args(be, args)})")


def _checked(be: Any, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def primitive(*args: Any) -> Any:
        out = fn(*args)
        check_result(be, name, args, out)
        return out

    primitive.__name__ = name
    primitive.__xgrad_unchecked__ = fn  # type: ignore[attr-defined]
    return primitive


def debug_wrap(be: Any) -> Any:
    """Make every primitive of the backend instance ``be`` check its result against
    :data:`RULES` (the ``XGRAD_DEBUG_BACKEND=1`` mode). The instance is changed in place (its
    methods are shadowed by checking ones) and returned; wrapping twice is a no-op."""
    if getattr(be, "_xgrad_debug_checked", False):
        return be
    for name in RULES:
        fn = getattr(be, name, None)
        if callable(fn):
            setattr(be, name, _checked(be, name, fn))
    be._xgrad_debug_checked = True
    return be

