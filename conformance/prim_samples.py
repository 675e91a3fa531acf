"""Direct calls of every backend primitive, in every dtype it accepts: the inputs of the
``prim.dtype.<name>`` checks (result dtype and shape against the contract's rules in
:mod:`xgrad.backend_checks`) and of the ``prim.derived.<name>`` checks (an optional primitive
a backend implements against its frontend decomposition).

:data:`SAMPLES` maps a primitive to ``(dtype kinds, builder)``; ``builder(mk, dt)`` returns a
list of argument tuples, where ``mk(shape, kind)`` makes a native array of ``dt`` (``kind``:
``"any"``, ``"pos"`` positive, ``"nonzero"``, ``"bool"`` a mask, ``"index"`` int64 indices).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["SAMPLES", "KINDS", "dtypes_for", "make_calls"]

#: dtype groups a primitive accepts: f floating, i integer, b bool
KINDS = {"float16": "f", "float32": "f", "float64": "f", "int32": "i", "int64": "i",
         "bool": "b"}
_ORDER = ("float16", "float32", "float64", "int32", "int64", "bool")

_S = slice
Builder = Callable[[Callable[..., Any], Any], list[tuple]]


def _binary(mk: Callable, dt: Any, kind: str = "any", scalar: Any = 2) -> list[tuple]:
    calls = [(mk((2, 3), "any"), mk((2, 3), kind)), (mk((2, 3), "any"), mk((3,), kind))]
    if scalar is not None:
        calls.append((mk((2, 3), "any"), scalar))
    return calls


def _unary(kind: str = "any") -> Builder:
    return lambda mk, dt: [(mk((2, 3), kind),), (mk((), kind),), (mk((0, 2), kind),)]


def _scalar_for(dt: Any) -> Any:
    if dt.name == "bool":
        return True
    return 2 if not dt.is_floating_point else 0.5


SAMPLES: dict[str, tuple[str, Builder]] = {
    "from_numpy": ("fib", lambda mk, dt: [(np.arange(6).reshape(2, 3) % 2, dt)]),
    "to_numpy": ("fib", lambda mk, dt: [(mk((2, 3)),), (mk(()),)]),
    "full": ("fib", lambda mk, dt: [((2, 3), True if dt.name == "bool" else 1, dt), ((), 0, dt)]),
    "arange": ("fi", lambda mk, dt: [(0, 5, 1, dt), (1, 7, 2, dt)]),
    "random_bits": ("", lambda mk, dt: [((2, 3), 7, 0), ((5,), 1, 3)]),
    **{n: ("fi", lambda mk, dt: _binary(mk, dt, scalar=_scalar_for(dt)))
       for n in ("add", "sub", "mul", "maximum", "minimum")},
    **{n: ("fi", lambda mk, dt: _binary(mk, dt, scalar=_scalar_for(dt)))
       for n in ("eq", "ne", "lt", "le", "gt", "ge")},
    **{n: ("fi", lambda mk, dt: _binary(mk, dt, "nonzero", scalar=3))
       for n in ("floordiv", "remainder")},
    "div": ("f", lambda mk, dt: _binary(mk, dt, "nonzero", scalar=2.0)),
    "pow": ("f", lambda mk, dt: [(mk((2, 3), "pos"), mk((2, 3))), (mk((2, 3), "pos"), 2.0)]),
    "atan2": ("f", lambda mk, dt: _binary(mk, dt, scalar=None)),
    **{n: ("fi", _unary()) for n in ("neg", "abs", "sign")},
    **{n: ("f", _unary()) for n in ("exp", "sin", "cos", "tanh", "erf", "floor", "expm1",
                                     "isnan", "isinf")},
    **{n: ("f", _unary("pos")) for n in ("log", "log1p", "sqrt")},
    **{n: ("b", lambda mk, dt: [(mk((2, 3)), mk((2, 3))), (mk((2, 3)), mk((3,)))])
       for n in ("logical_and", "logical_or", "logical_xor")},
    "logical_not": ("b", _unary()),
    "where": ("fib", lambda mk, dt: [(mk((2, 3), "bool"), mk((2, 3)), mk((3,))),
                                     (mk((2, 3), "bool"), mk((2, 3)), _scalar_for(dt))]),
    "sum": ("fib", lambda mk, dt: [(mk((2, 3)), (1,), False), (mk((2, 3)), (0, 1), True),
                                   (mk((2, 3)), (), False)]),
    "prod": ("fi", lambda mk, dt: [(mk((2, 3)), (1,), False), (mk((2, 3)), (0, 1), True)]),
    **{n: ("fi", lambda mk, dt: [(mk((2, 3)), (1,), False), (mk((2, 3)), (0, 1), True)])
       for n in ("max", "min")},
    **{n: ("fi", lambda mk, dt: [(mk((2, 3)), 1, False), (mk((2, 3)), 0, True)])
       for n in ("argmax", "argmin")},
    "cumsum": ("fi", lambda mk, dt: [(mk((2, 3)), 1), (mk((2, 3)), 0)]),
    "sort": ("fi", lambda mk, dt: [(mk((2, 3)), 1, False), (mk((2, 3)), 0, True)]),
    "reshape": ("fib", lambda mk, dt: [(mk((2, 3)), (3, 2)), (mk((2, 3)), (6,))]),
    "permute": ("fib", lambda mk, dt: [(mk((2, 3, 1)), (2, 0, 1))]),
    "broadcast_to": ("fib", lambda mk, dt: [(mk((1, 3)), (2, 3)), (mk((3,)), (4, 3))]),
    "copy": ("fib", _unary()),
    "getitem": ("fib", lambda mk, dt: [(mk((4, 3)), (1, _S(None))),
                                       (mk((4, 3)), (mk((2,), "index"),))]),
    "index_add": ("fi", lambda mk, dt: [(mk((4, 3)), (mk((5,), "index"),), mk((5, 3)))]),
    "index_put": ("fib", lambda mk, dt: [(mk((4, 3)), (mk((2,), "index"),), mk((2, 3)))]),
    "take_along_axis": ("fib", lambda mk, dt: [(mk((4, 3)), mk((2, 3), "index"), 0),
                                               (mk((4, 3)), mk((4, 2), "index"), 1)]),
    "put_along_axis_add": ("fi", lambda mk, dt: [
        (mk((4, 3)), mk((2, 3), "index"), mk((2, 3)), 0),
        (mk((4, 3)), mk((4, 2), "index"), mk((4, 2)), 1)]),
    "concatenate": ("fib", lambda mk, dt: [([mk((2, 3)), mk((1, 3))], 0),
                                           ([mk((2, 3)), mk((2, 1))], 1)]),
    "pad": ("fib", lambda mk, dt: [(mk((2, 3)), ((1, 0), (0, 2)), 0),
                                   (mk((2, 3)), ((0, 0), (1, 1)), 1)]),
    "sliding_window": ("fib", lambda mk, dt: [(mk((2, 5)), (2,), (1,), (1,)),
                                              (mk((1, 5, 4)), (2, 2), (2, 1), (1, 2))]),
    "matmul": ("f", lambda mk, dt: [(mk((2, 3)), mk((3, 4))), (mk((2, 2, 3)), mk((3,)))]),
    "cast": ("fib", lambda mk, dt: [(mk((2, 3)), dt)]),  # targets: see make_calls
    "assign": ("fib", lambda mk, dt: [(mk((2, 3)), mk((3,)))]),
}


def dtypes_for(name: str, declared: set[str]) -> list[str]:
    """The dtypes (names, in a fixed order) in which primitive ``name`` is checked on a
    backend declaring ``declared``; ``random_bits`` (no dtype argument) once, as int64."""
    kinds = SAMPLES[name][0]
    if not kinds:
        return ["int64"]
    return [d for d in _ORDER if d in declared and KINDS[d] in kinds]


def make_calls(be: Any, name: str, dtype: str, seed: int = 0) -> list[tuple]:
    """Argument tuples (native arrays of ``be``) for calling primitive ``name`` in ``dtype``."""
    from xgrad.dtypes import ALL_DTYPES, dtype_from_name, int64

    dt = dtype_from_name(dtype)
    rng = np.random.default_rng(seed)

    def mk(shape: tuple, kind: str = "any") -> Any:
        if kind == "index":
            return be.from_numpy(rng.integers(0, 2, size=shape).astype(np.int64), int64)
        if kind == "bool" or dt.name == "bool":
            return be.from_numpy(rng.random(shape) < 0.5, dtype_from_name("bool"))
        if dt.is_floating_point:
            v = rng.uniform(0.3, 2.0, size=shape)
            if kind == "any":
                v = v * rng.choice([-1.0, 1.0], size=shape)
            elif kind == "nonzero":
                v = v * rng.choice([-1.0, 1.0], size=shape)
        else:
            v = rng.integers(1, 6, size=shape)
            if kind in ("any", "nonzero"):
                v = v * rng.choice([-1, 1], size=shape)
            if kind == "any":
                v = np.where(rng.random(shape) < 0.2, 0, v)
        return be.from_numpy(np.asarray(v), dt)

    calls = SAMPLES[name][1](mk, dt)
    if name == "cast":
        x = calls[0][0]
        calls = [(x, t) for t in ALL_DTYPES if t in be.dtypes]
    return calls
