"""The call table of the bad-input fuzz test (``test_fuzz_torch.py``).

Each :class:`Call` is one public callable of xgrad written once for both libraries:
``fn(lib, *args)`` where ``lib`` is a :class:`Lib` (``lib.t`` is ``xgrad`` or ``torch``,
``lib.F`` its ``nn.functional``, ``lib.nn`` its ``nn``) and ``args`` come from the call's
hypothesis strategy as library-neutral specs: :class:`T` (a tensor: shape, dtype, value kind,
seed), :class:`D` (a dtype by name) and plain Python values (ints, tuples, None, strings,
lists, NaN/inf), which :meth:`Lib.make` turns into the library's objects. The strategies mix
valid arguments with wrong shapes, dtypes, dims, sizes, index ranges and Python types.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

__all__ = ["T", "D", "Lib", "Call", "CALLS"]

DTYPES = ("float32", "float64", "float16", "int64", "int32", "bool")
FLOATS = ("float32", "float64", "float16")
SHAPES = ((), (0,), (3,), (1,), (2, 3), (2, 0), (3, 1), (1, 3), (2, 3, 4), (2, 1, 3),
          (1, 2, 4, 4), (2, 2, 3, 3))


@dataclass(frozen=True)
class T:
    """A tensor spec: ``kind`` is ``normal`` (random normals, small ints, random bools),
    ``special`` (NaN, +-inf, +-0 mixed in), ``pos`` (positive), ``unit`` (in [0, 1]) or
    ``index`` (ints in ``[lo, hi)``)."""

    shape: tuple
    dtype: str = "float32"
    kind: str = "normal"
    seed: int = 0
    lo: int = 0
    hi: int = 3

    def array(self) -> np.ndarray:
        """The spec's values as a numpy array (the same for both libraries)."""
        rng = np.random.default_rng(self.seed)
        n = math.prod(self.shape)
        if self.kind == "index":
            a = rng.integers(self.lo, max(self.hi, self.lo + 1), n)
        elif self.dtype == "bool":
            a = rng.random(n) < 0.5
        elif self.dtype.startswith("int"):
            a = rng.integers(-4, 5, n)
            if self.kind in ("pos", "unit"):
                a = np.abs(a) if self.kind == "pos" else (a > 0).astype(np.int64)
        else:
            a = rng.standard_normal(n) * 2
            if self.kind == "pos":
                a = np.abs(a) + 0.1
            elif self.kind == "unit":
                a = rng.random(n)
            elif self.kind == "special" and n:
                pick = rng.integers(0, 5, n)
                a = np.where(pick == 0, np.nan, a)
                a = np.where(pick == 1, np.inf, a)
                a = np.where(pick == 2, -np.inf, a)
                a = np.where(pick == 3, -0.0, a)
        return a.reshape(self.shape).astype(self.dtype)


@dataclass(frozen=True)
class D:
    """A dtype by name (``torch.float32`` / ``xgrad.float32``)."""

    name: str


class Lib:
    """One library under test: xgrad on a backend, or torch."""

    def __init__(self, t: Any, device: str | None = None) -> None:
        self.t = t
        self.nn = t.nn
        self.F = t.nn.functional
        self.device = device
        self.is_torch = device is None

    def make(self, spec: Any) -> Any:
        """``spec`` with its T/D specs turned into this library's tensors and dtypes."""
        if isinstance(spec, T):
            arr = spec.array()
            if self.is_torch:
                return self.t.tensor(arr.tolist() if arr.ndim == 0 else arr,
                                     dtype=getattr(self.t, spec.dtype))
            return self.t.tensor(arr, dtype=getattr(self.t, spec.dtype), device=self.device)
        if isinstance(spec, D):
            return getattr(self.t, spec.name)
        if isinstance(spec, list):
            return [self.make(s) for s in spec]
        if isinstance(spec, tuple):
            return tuple(self.make(s) for s in spec)
        if isinstance(spec, dict):
            return {k: self.make(v) for k, v in spec.items()}
        return spec

    def kw(self) -> dict:
        """``device=`` for creation functions (none for torch: its CPU default)."""
        return {} if self.is_torch else {"device": self.device}


@dataclass(frozen=True)
class Call:
    """One fuzzed callable: ``fn(lib, *args)`` with ``args`` drawn from ``args``.

    ``values``: compare values (False for random results: only shape and dtype);
    ``indices``: compare integer outputs of a tuple result (False where ties make the index
    implementation-defined: sort, topk, max with dim).
    """

    name: str
    fn: Callable
    args: st.SearchStrategy
    values: bool = True
    indices: bool = True


# ---- strategies -------------------------------------------------------------------------

JUNK = st.sampled_from([None, "x", [1.0, 2.0], 1.5, 2, True, (2,), float("nan")])


def tensors(shapes: Any = SHAPES, dtypes: Any = DTYPES, kinds: Any = ("normal", "special")
            ) -> st.SearchStrategy:
    """Tensor specs over the given shapes, dtypes and value kinds."""
    return st.builds(T, st.sampled_from(shapes), st.sampled_from(dtypes),
                     st.sampled_from(kinds), st.integers(0, 2 ** 16))


def ftensors(shapes: Any = SHAPES, kinds: Any = ("normal", "special")) -> st.SearchStrategy:
    """Tensor specs, mostly floating (the dtype most ops want), sometimes int or bool."""
    return st.one_of(tensors(shapes, FLOATS, kinds), tensors(shapes, FLOATS, kinds),
                     tensors(shapes, DTYPES, kinds))


def index_t(shapes: Any = SHAPES, lo: int = -1, hi: int = 4) -> st.SearchStrategy:
    """Integer index tensors, sometimes out of range, sometimes of a wrong dtype."""
    return st.one_of(
        st.builds(T, st.sampled_from(shapes), st.sampled_from(("int64", "int64", "int32")),
                  st.just("index"), st.integers(0, 2 ** 16), st.integers(lo, 0),
                  st.integers(1, hi)),
        tensors(shapes, ("float32", "bool")))


def bad(s: st.SearchStrategy, junk: st.SearchStrategy = JUNK) -> st.SearchStrategy:
    """``s`` most of the time, a wrong Python value sometimes."""
    return st.one_of(s, s, s, junk)


DIM = st.one_of(st.integers(-3, 3), st.integers(-3, 3), st.sampled_from(
    [5, -6, 1.0, "0", None, (0, 1), [0], (), [], True, (0, 0), (0, -1)]))
INT_DIM = st.one_of(st.integers(-3, 3), st.integers(-3, 3), st.sampled_from(
    [5, -6, 1.0, "0", None, (0, 1), [0]]))
KEEPDIM = st.sampled_from([False, True, False, "yes", None, 1])
SIZE = st.one_of(st.integers(-2, 4), st.sampled_from([2 ** 62, -(2 ** 40), 2.5, "3", None,
                                                      True]))
SIZES = st.one_of(st.tuples(st.integers(0, 4), st.integers(0, 4)), st.tuples(SIZE),
                  st.tuples(SIZE, SIZE), st.lists(st.integers(-1, 3), max_size=3).map(tuple),
                  st.just(()), st.just((2 ** 62, 2 ** 62)))
DTYPE_ARG = st.one_of(st.sampled_from(DTYPES).map(D), st.sampled_from([None, "float32", 3]))
SCALAR = st.sampled_from([0, 1, 2, -1, 0.5, -2.5, 1e30, float("nan"), float("inf"), True,
                          False, 3])
RED_DTYPE = st.one_of(st.just(None), st.just(None), st.sampled_from(DTYPES).map(D))


def c(name: str, fn: Callable, *args: st.SearchStrategy, **kw: Any) -> Call:
    """A call whose arguments are drawn independently from ``args``."""
    return Call(name, fn, st.tuples(*args), **kw)


# ---- the table --------------------------------------------------------------------------

_UNARY = ("abs", "neg", "exp", "log", "log1p", "expm1", "sin", "cos", "tanh", "sqrt", "rsqrt",
          "sign", "floor", "erf", "sigmoid", "relu", "reciprocal", "square", "isnan", "isinf",
          "isfinite", "lgamma", "digamma", "nan_to_num", "logical_not", "clone", "detach")
_UNARY_INPLACE = ("abs_", "neg_", "exp_", "log_", "tanh_", "sqrt_", "sign_", "sigmoid_",
                  "relu_", "reciprocal_", "square_")
_BINARY = ("add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "fmod",
           "atan2", "pow", "maximum", "minimum", "eq", "ne", "lt", "le", "gt", "ge",
           "logical_and", "logical_or", "logical_xor", "isclose")
_BINARY_INPLACE = ("add_", "sub_", "mul_", "div_", "pow_", "floor_divide_", "remainder_",
                   "clamp_min_", "clamp_max_")
_OPERATORS = {"__add__": lambda a, b: a + b, "__sub__": lambda a, b: a - b,
              "__mul__": lambda a, b: a * b, "__truediv__": lambda a, b: a / b,
              "__floordiv__": lambda a, b: a // b, "__mod__": lambda a, b: a % b,
              "__pow__": lambda a, b: a ** b, "__and__": lambda a, b: a & b,
              "__or__": lambda a, b: a | b, "__xor__": lambda a, b: a ^ b,
              "__matmul__": lambda a, b: a @ b, "__rsub__": lambda a, b: b - a,
              "__rtruediv__": lambda a, b: b / a, "__lt__": lambda a, b: a < b}
_REDUCE_DTYPE = ("sum", "mean", "prod")
_REDUCE = ("amax", "amin", "logsumexp", "all", "any", "count_nonzero")
_REDUCE_VAR = ("var", "std")
_REDUCE_IDX = ("max", "min", "argmax", "argmin", "median")
_CUMULATIVE = ("cumsum", "cummax", "cummin", "logcumsumexp")

_OTHER = st.one_of(ftensors(), ftensors(), SCALAR, JUNK)


def _method(name: str, *args: st.SearchStrategy, **kw: Any) -> Call:
    method = name.split(".")[-1]
    return c(name, lambda L, x, *a, n=method: getattr(x, n)(*a), *args, **kw)


def _calls() -> list[Call]:
    out: list[Call] = []
    for n in _UNARY:
        out.append(c(n, lambda L, x, n=n: getattr(L.t, n)(x), bad(ftensors())))
    for n in ("exp", "abs", "sigmoid", "sqrt", "logical_not", "isnan"):
        out.append(_method("Tensor." + n, ftensors()))
    for n in _UNARY_INPLACE:
        out.append(_method("Tensor." + n, ftensors()))
    for n in _BINARY:
        out.append(c(n, lambda L, a, b, n=n: getattr(L.t, n)(a, b), bad(ftensors()), _OTHER))
    for n in _BINARY_INPLACE:
        out.append(_method("Tensor." + n, ftensors(), _OTHER))
    for n, op in _OPERATORS.items():
        out.append(c(n, lambda L, a, b, op=op: op(a, b), ftensors(), _OTHER))
    out.append(c("div(rounding_mode)", lambda L, a, b, m: L.t.div(a, b, rounding_mode=m),
                 ftensors(), _OTHER, st.sampled_from([None, "trunc", "floor", "bogus", 1])))
    out.append(c("clamp", lambda L, x, lo, hi: L.t.clamp(x, lo, hi), ftensors(),
                 st.one_of(SCALAR, st.none(), ftensors()), st.one_of(SCALAR, st.none())))
    out.append(c("Tensor.clamp_", lambda L, x, lo, hi: x.clamp_(lo, hi), ftensors(),
                 st.one_of(SCALAR, st.none()), st.one_of(SCALAR, st.none())))
    out.append(c("where", lambda L, m, a, b: L.t.where(m, a, b), bad(tensors(dtypes=("bool",))),
                 st.one_of(ftensors(), SCALAR), st.one_of(ftensors(), SCALAR)))
    out.append(c("allclose", lambda L, a, b: L.t.allclose(a, b), ftensors(), bad(ftensors())))
    # ---- reductions --------------------------------------------------------------------
    for n in _REDUCE_DTYPE:
        out.append(c(n, lambda L, x, d, k, dt, n=n: getattr(L.t, n)(x, dim=d, keepdim=k,
                                                                    dtype=dt),
                     bad(ftensors()), DIM, KEEPDIM, RED_DTYPE))
        out.append(c(n + "(all)", lambda L, x, dt, n=n: getattr(L.t, n)(x, dtype=dt),
                     ftensors(), RED_DTYPE))
    for n in _REDUCE:
        out.append(c(n, lambda L, x, d, k, n=n: getattr(L.t, n)(x, dim=d, keepdim=k),
                     bad(ftensors()), DIM, KEEPDIM))
        out.append(c(n + "(all)", lambda L, x, n=n: getattr(L.t, n)(x), ftensors()))
    for n in _REDUCE_VAR:
        out.append(c(n, lambda L, x, d, k, cr, n=n: getattr(L.t, n)(x, dim=d, keepdim=k,
                                                                    correction=cr),
                     ftensors(), DIM, KEEPDIM, st.sampled_from([0, 1, 2, None, 1.5])))
    for n in _REDUCE_IDX:
        out.append(c(n, lambda L, x, d, k, n=n: getattr(L.t, n)(x, dim=d, keepdim=k),
                     ftensors(kinds=("normal",)), INT_DIM, KEEPDIM, indices=False))
        out.append(c(n + "(all)", lambda L, x, n=n: getattr(L.t, n)(x),
                     ftensors(kinds=("normal",)), indices=n in ("max", "min", "median")))
    for n in _CUMULATIVE:
        out.append(c(n, lambda L, x, d, n=n: getattr(L.t, n)(x, dim=d), ftensors(), INT_DIM,
                     indices=False))
    out.append(c("norm", lambda L, x, p, d: L.t.norm(x, p=p, dim=d), ftensors(),
                 st.sampled_from([2, 1, float("inf"), "fro", 0, "bogus", 3]), DIM))
    out.append(c("diff", lambda L, x, n, d: L.t.diff(x, n=n, dim=d), ftensors(),
                 st.sampled_from([1, 2, 0, -1]), INT_DIM))
    out.append(c("kthvalue", lambda L, x, k, d: L.t.kthvalue(x, k, d),
                 ftensors(kinds=("normal",)), st.integers(-1, 4), INT_DIM, indices=False))
    out.append(c("mode", lambda L, x, d: L.t.mode(x, d), tensors(dtypes=("int64",)), INT_DIM,
                 indices=False))
    out.append(c("quantile", lambda L, x, q, d: L.t.quantile(x, q, dim=d),
                 tensors(dtypes=("float32", "float64", "int64")),
                 st.sampled_from([0.5, 0.0, 1.0, -0.1, 1.5, [0.2, 0.8]]), INT_DIM))
    # ---- shape and movement -------------------------------------------------------------
    shp = st.one_of(SIZES, st.just((-1,)), st.just((3, -1)), st.just((-1, -1)))
    out.append(c("reshape", lambda L, x, s: L.t.reshape(x, s), bad(ftensors()), shp))
    out.append(c("Tensor.view", lambda L, x, s: x.view(*s), ftensors(), shp))
    out.append(c("permute", lambda L, x, p: L.t.permute(x, p), ftensors(), st.one_of(
        st.permutations([0, 1, 2]).map(tuple), st.sampled_from([(0,), (1, 0), (0, 0), (), (0, 5),
                                                                (-1, 0), 0, None]))))
    out.append(c("transpose", lambda L, x, a, b: L.t.transpose(x, a, b), bad(ftensors()),
                 INT_DIM, INT_DIM))
    out.append(c("t", lambda L, x: L.t.t(x), ftensors()))
    out.append(c("Tensor.expand", lambda L, x, s: x.expand(*s), ftensors(), st.one_of(
        shp, st.just((2, 2, 3)), st.just((-1, 3)))))
    out.append(c("broadcast_to", lambda L, x, s: L.t.broadcast_to(x, s), ftensors(), shp))
    out.append(c("squeeze", lambda L, x, d: L.t.squeeze(x, d), ftensors(), DIM))
    out.append(c("unsqueeze", lambda L, x, d: L.t.unsqueeze(x, d), bad(ftensors()), INT_DIM))
    out.append(c("flatten", lambda L, x, a, b: L.t.flatten(x, a, b), ftensors(), INT_DIM,
                 INT_DIM))
    out.append(c("unflatten", lambda L, x, d, s: L.t.unflatten(x, d, s), ftensors(), INT_DIM,
                 st.sampled_from([(1, 3), (3, 1), (-1, 2), (2, 2), (), (-1, -1), 3])))
    lst = st.lists(ftensors(), min_size=0, max_size=3)
    out.append(c("cat", lambda L, ts, d: L.t.cat(ts, dim=d), bad(lst), INT_DIM))
    out.append(c("stack", lambda L, ts, d: L.t.stack(ts, dim=d), bad(lst), INT_DIM))
    out.append(c("cat(same)", lambda L, x, d: L.t.cat([x, x], dim=d), ftensors(), INT_DIM))
    out.append(c("stack(same)", lambda L, x, d: L.t.stack([x, x], dim=d), ftensors(), INT_DIM))
    out.append(c("split", lambda L, x, s, d: L.t.split(x, s, d), ftensors(),
                 st.sampled_from([1, 2, 0, -1, [1, 2], [3], 1.5]), INT_DIM))
    out.append(c("chunk", lambda L, x, n, d: L.t.chunk(x, n, d), ftensors(),
                 st.sampled_from([1, 2, 3, 0, -1, 1.5]), INT_DIM))
    out.append(c("unbind", lambda L, x, d: L.t.unbind(x, d), ftensors(), INT_DIM))
    out.append(c("flip", lambda L, x, d: L.t.flip(x, d), ftensors(), DIM))
    out.append(c("roll", lambda L, x, s, d: L.t.roll(x, s, d), ftensors(),
                 st.sampled_from([1, -2, 0, (1, 2), 2.5]), st.one_of(st.none(), DIM)))
    out.append(c("Tensor.repeat", lambda L, x, r: x.repeat(*r), ftensors(), SIZES))
    out.append(c("tile", lambda L, x, r: L.t.tile(x, r), ftensors(), SIZES))
    out.append(c("narrow", lambda L, x, d, s, n: L.t.narrow(x, d, s, n), ftensors(), INT_DIM,
                 st.integers(-3, 4), st.integers(-1, 4)))
    out.append(c("select", lambda L, x, d, i: L.t.select(x, d, i), ftensors(), INT_DIM,
                 st.one_of(st.integers(-4, 4), st.sampled_from([1.0, None]))))
    out.append(c("meshgrid", lambda L, a, b: L.t.meshgrid(a, b, indexing="ij"), ftensors(),
                 ftensors()))
    idx = st.one_of(st.integers(-4, 4), st.sampled_from([
        slice(None), slice(1, None), slice(None, None, -1), slice(None, None, 0), None,
        Ellipsis, (0, 0), (0, slice(None)), (Ellipsis, 0), [0, 1], [0, 5], 1.5, "a",
        (0, 0, 0, 0, 0), [True, False]]), index_t(((2,), (3,), (2, 2))))
    out.append(c("getitem", lambda L, x, i: x[i], ftensors(), idx))
    # ---- indexing -----------------------------------------------------------------------
    out.append(c("gather", lambda L, x, d, i: L.t.gather(x, d, i), ftensors(), INT_DIM,
                 index_t()))
    out.append(c("scatter", lambda L, x, d, i, s: L.t.scatter(x, d, i, s), ftensors(),
                 INT_DIM, index_t(), ftensors()))
    out.append(c("scatter_add", lambda L, x, d, i, s: L.t.scatter_add(x, d, i, s),
                 ftensors(), INT_DIM, index_t(), ftensors()))
    out.append(c("index_select", lambda L, x, d, i: L.t.index_select(x, d, i), ftensors(),
                 INT_DIM, index_t(((2,), (0,), (3,), (), (2, 2)))))
    out.append(c("masked_fill", lambda L, x, m, v: L.t.masked_fill(x, m, v), ftensors(),
                 tensors(dtypes=("bool", "bool", "int64")), st.one_of(SCALAR, ftensors())))
    out.append(c("tril", lambda L, x, k: L.t.tril(x, k), ftensors(), st.integers(-3, 3)))
    out.append(c("triu", lambda L, x, k: L.t.triu(x, k), ftensors(), st.integers(-3, 3)))
    out.append(c("take_along_dim", lambda L, x, i, d: L.t.take_along_dim(x, i, d), ftensors(),
                 index_t(), INT_DIM))
    out.append(c("nonzero", lambda L, x: L.t.nonzero(x), ftensors()))
    out.append(c("argwhere", lambda L, x: L.t.argwhere(x), ftensors()))
    out.append(c("unique", lambda L, x: L.t.unique(x), tensors(kinds=("normal",))))
    out.append(c("bucketize", lambda L, x, b: L.t.bucketize(x, b), ftensors(),
                 st.one_of(st.just(T((3,), "float32", "pos")), ftensors())))
    out.append(c("searchsorted", lambda L, s, x: L.t.searchsorted(s, x), ftensors(),
                 ftensors()))
    out.append(c("histc", lambda L, x, b, lo, hi: L.t.histc(x, b, lo, hi),
                 tensors(dtypes=("float32", "float64", "int64")), st.integers(-1, 5),
                 st.sampled_from([0, -1, 1]), st.sampled_from([0, 1, -2])))
    out.append(c("bincount", lambda L, x: L.t.bincount(x), index_t(((3,), (0,), (2, 2), ()))))
    # ---- sorting ------------------------------------------------------------------------
    out.append(c("sort", lambda L, x, d, de: L.t.sort(x, dim=d, descending=de), ftensors(),
                 INT_DIM, st.sampled_from([False, True, "no"]), indices=False))
    out.append(c("argsort", lambda L, x, d: L.t.argsort(x, dim=d).shape, ftensors(), INT_DIM))
    out.append(c("topk", lambda L, x, k, d: L.t.topk(x, k, d), ftensors(kinds=("normal",)),
                 st.integers(-1, 5), INT_DIM, indices=False))
    # ---- linear algebra -----------------------------------------------------------------
    mats = ftensors(((2, 3), (3, 2), (3,), (2,), (), (2, 2, 3), (2, 3, 2), (0, 3), (3, 0)),
                    kinds=("normal",))
    for n in ("matmul", "mm", "bmm", "dot", "outer", "kron", "cdist"):
        out.append(c(n, lambda L, a, b, n=n: getattr(L.t, n)(a, b), bad(mats), bad(mats)))
    out.append(c("trace", lambda L, x: L.t.trace(x), mats))
    out.append(c("diag", lambda L, x, k: L.t.diag(x, k), mats, st.integers(-2, 2)))
    out.append(c("cross", lambda L, a, b, d: L.t.cross(a, b, dim=d),
                 ftensors(((3,), (2, 3), (3, 3), (2,))), ftensors(((3,), (2, 3), (3, 3))),
                 st.sampled_from([-1, 0, 1, 5])))
    out.append(c("einsum", lambda L, eq, ops: L.t.einsum(eq, *ops),
                 st.sampled_from(["ij,jk->ik", "ii->i", "ij->", "i,i->", "ij,j", "ab,bc,cd->ad",
                                  "ij->k", "i j", "ij,jk"]),
                 st.lists(mats, min_size=0, max_size=3)))
    # ---- creation -----------------------------------------------------------------------
    for n in ("zeros", "ones", "empty", "randn", "rand"):
        out.append(c(n, lambda L, s, dt, n=n: getattr(L.t, n)(*s, dtype=dt, **L.kw()).shape
                     if n in ("empty", "randn", "rand") else getattr(L.t, n)(*s, dtype=dt,
                                                                               **L.kw()),
                     SIZES, st.one_of(st.none(), st.sampled_from(DTYPES).map(D))))
    out.append(c("full", lambda L, s, v, dt: L.t.full(s, v, dtype=dt, **L.kw()), SIZES,
                 st.one_of(SCALAR, st.just("a")), st.one_of(st.none(),
                                                            st.sampled_from(DTYPES).map(D))))
    out.append(c("arange", lambda L, a, b, s, dt: L.t.arange(a, b, s, dtype=dt, **L.kw()),
                 st.sampled_from([0, 5, -2, 0.5, 1e20]), st.sampled_from([0, 5, -3, 2.5]),
                 st.sampled_from([1, -1, 0, 0.5, 2, float("inf"), float("nan")]),
                 st.one_of(st.none(), st.sampled_from(("float32", "int64", "float16")).map(D))))
    out.append(c("linspace", lambda L, a, b, n: L.t.linspace(a, b, n, **L.kw()),
                 st.sampled_from([0, -1.5, float("nan")]), st.sampled_from([1, 3.0]),
                 st.one_of(st.integers(-2, 5), st.sampled_from([1.5, None]))))
    out.append(c("eye", lambda L, n, m: L.t.eye(n, m, **L.kw()), SIZE,
                 st.one_of(st.none(), SIZE)))
    out.append(c("randint", lambda L, lo, hi, s: L.t.randint(lo, hi, s, **L.kw()).shape,
                 st.sampled_from([0, 5, -2]), st.sampled_from([0, 5, 10, 1.5]), SIZES))
    out.append(c("randperm", lambda L, n: L.t.randperm(n, **L.kw()).shape, SIZE))
    out.append(c("tensor", lambda L, v, dt: L.t.tensor(v, dtype=dt, **L.kw()),
                 st.sampled_from([[1, 2], [[1, 2], [3]], [1.5, 2], [True, 1], 3, "a", [], [[]],
                                  [1 + 2j], None, [1e40], [[1, 2], [3, 4]], [float("nan")]]),
                 st.one_of(st.none(), st.sampled_from(DTYPES).map(D))))
    for n in ("zeros_like", "ones_like"):
        out.append(c(n, lambda L, x, dt, n=n: getattr(L.t, n)(x, dtype=dt), bad(ftensors()),
                     st.one_of(st.none(), st.sampled_from(DTYPES).map(D))))
    out.append(c("full_like", lambda L, x, v, dt: L.t.full_like(x, v, dtype=dt),
                 bad(ftensors()), SCALAR, st.one_of(st.none(), st.sampled_from(DTYPES).map(D))))
    for n in ("empty_like", "rand_like", "randn_like"):
        out.append(c(n, lambda L, x, n=n: getattr(L.t, n)(x).shape, bad(ftensors())))
    for n in ("tril_indices", "triu_indices"):
        out.append(c(n, lambda L, r, cc, o, n=n: getattr(L.t, n)(r, cc, o, **L.kw()),
                     st.integers(-1, 4), st.integers(-1, 4), st.integers(-2, 2)))
    # ---- nn.functional: activations and softmax ----------------------------------------
    for n in ("relu", "relu6", "gelu", "elu", "leaky_relu", "silu", "mish", "softplus",
              "hardtanh", "sigmoid", "tanh"):
        out.append(c("F." + n, lambda L, x, n=n: getattr(L.F, n)(x), bad(ftensors())))
    for n in ("softmax", "log_softmax"):
        out.append(c("F." + n, lambda L, x, d, n=n: getattr(L.F, n)(x, dim=d), bad(ftensors()),
                     INT_DIM))
        out.append(c(n, lambda L, x, d, dt, n=n: getattr(L.t, n)(x, d, dtype=dt), ftensors(),
                     INT_DIM, RED_DTYPE))
    out.append(c("F.dropout(eval)", lambda L, x, p: L.F.dropout(x, p, training=False),
                 ftensors(), st.sampled_from([0.5, 0.0, 1.0, -0.1, 1.5])))
    out.append(c("F.dropout", lambda L, x, p: L.F.dropout(x, p).shape, ftensors(),
                 st.sampled_from([0.5, 0.0, 1.0, -0.1, 1.5])))
    out.append(c("F.normalize", lambda L, x, p, d: L.F.normalize(x, p=p, dim=d), ftensors(),
                 st.sampled_from([2.0, 1.0, 0.0]), INT_DIM))
    out.append(c("F.cosine_similarity", lambda L, a, b, d: L.F.cosine_similarity(a, b, dim=d),
                 ftensors(), ftensors(), INT_DIM))
    # ---- nn.functional: linear, conv, pool ---------------------------------------------
    x2 = ftensors(((2, 3), (3,), (2, 4), (0, 3), (), (2, 2, 3)), kinds=("normal",))
    out.append(c("F.linear", lambda L, x, w, b: L.F.linear(x, w, b), x2, x2,
                 st.one_of(st.none(), ftensors(((2,), (3,), (4,), ())))))
    out.append(c("F.bilinear", lambda L, a, b, w: L.F.bilinear(a, b, w), x2, x2,
                 ftensors(((2, 3, 3), (1, 3, 4), (2, 3)))))
    img = ftensors(((1, 2, 4, 4), (2, 2, 3, 3), (2, 4, 4), (1, 2, 2, 2), (1, 0, 3, 3),
                    (0, 2, 4, 4), (2, 3)), kinds=("normal",))
    ker = ftensors(((3, 2, 3, 3), (1, 2, 2, 2), (2, 1, 1, 1), (1, 2, 5, 5), (3, 2, 3),
                    (2, 2, 1, 1)), kinds=("normal",))
    conv_int = st.sampled_from([1, 2, 0, -1, (1, 2), (1, 0), 1.5])
    out.append(c("F.conv2d", lambda L, x, w, s, p, d: L.F.conv2d(x, w, None, s, p, d), img,
                 ker, conv_int, st.sampled_from([0, 1, -1, (1, 0), "same", "valid", "bogus"]),
                 conv_int))
    out.append(c("F.conv2d(groups)", lambda L, x, w, g: L.F.conv2d(x, w, groups=g), img, ker,
                 st.sampled_from([1, 2, 0, -1, 3])))
    seq = ftensors(((1, 2, 5), (2, 2, 3), (2, 5), (1, 0, 4), (2, 2, 1)), kinds=("normal",))
    out.append(c("F.conv1d", lambda L, x, w, s, p: L.F.conv1d(x, w, None, s, p), seq,
                 ftensors(((3, 2, 3), (1, 2, 1), (1, 2, 7), (2, 2))), conv_int,
                 st.sampled_from([0, 1, -1, "same", "valid"])))
    out.append(c("F.conv_transpose2d", lambda L, x, w, s, p: L.F.conv_transpose2d(
        x, w, None, s, p), img, ftensors(((2, 3, 3, 3), (2, 1, 2, 2), (3, 2, 1, 1))), conv_int,
        st.sampled_from([0, 1, -1, 2])))
    pk = st.sampled_from([1, 2, 3, 0, -1, 5, (2, 1), 1.5])
    ps = st.sampled_from([None, 1, 2, 0, -1])
    pp = st.sampled_from([0, 1, 2, -1])
    for n in ("max_pool2d", "avg_pool2d"):
        out.append(c("F." + n, lambda L, x, k, s, p, n=n: getattr(L.F, n)(x, k, s, p),
                     ftensors(((1, 2, 4, 4), (2, 3, 3), (1, 1, 2, 2), (2, 4), (1, 1, 0, 4)),
                              kinds=("normal",)), pk, ps, pp))
        out.append(c("F." + n + "(int)", lambda L, x, k, n=n: getattr(L.F, n)(x, k),
                     tensors(((1, 2, 4, 4), (2, 3, 3)), ("int64", "int32", "bool")), pk))
    for n in ("max_pool1d", "avg_pool1d"):
        out.append(c("F." + n, lambda L, x, k, s, p, n=n: getattr(L.F, n)(x, k, s, p), seq, pk,
                     ps, pp))
    out.append(c("F.adaptive_avg_pool2d", lambda L, x, o: L.F.adaptive_avg_pool2d(x, o), img,
                 st.sampled_from([1, 2, (2, 1), 0, -1, 5, None])))
    out.append(c("F.interpolate", lambda L, x, s, m: L.F.interpolate(x, size=s, mode=m), img,
                 st.sampled_from([2, 4, (4, 4), 0, -1, (2,)]),
                 st.sampled_from(["nearest", "bilinear", "bogus"])))
    out.append(c("F.pad", lambda L, x, p, m, v: L.F.pad(x, p, mode=m, value=v), ftensors(),
                 st.sampled_from([(1, 1), (1,), (0, 0, 1, 1), (-1, -1), (1, 2, 3, 4, 5, 6, 7, 8),
                                  (-5, 0), 1, [1, 1], (1.5, 1)]),
                 st.sampled_from(["constant", "constant", "reflect", "replicate", "bogus"]),
                 st.sampled_from([None, 0.0, 1.5])))
    # ---- nn.functional: normalization ----------------------------------------------------
    out.append(c("F.batch_norm", lambda L, x, m, v, tr, e: L.F.batch_norm(
        x, m, v, training=tr, eps=e), ftensors(((2, 3), (2, 3, 4), (1, 3), (3,), (2, 3, 0)),
                                              kinds=("normal",)),
        ftensors(((3,), (2,))), ftensors(((3,), (2,)), kinds=("pos",)),
        st.sampled_from([True, False]), st.sampled_from([1e-5, 0.0, -1.0])))
    out.append(c("F.layer_norm", lambda L, x, s, e: L.F.layer_norm(x, s, eps=e),
                 ftensors(((2, 3), (2, 3, 4), (3,), ())),
                 st.sampled_from([(3,), (4,), (3, 4), (), 3, (2, 3)]),
                 st.sampled_from([1e-5, 0.0, -1.0])))
    out.append(c("F.group_norm", lambda L, x, g: L.F.group_norm(x, g),
                 ftensors(((2, 4, 3), (2, 4), (1, 6, 2, 2), (4,))),
                 st.sampled_from([1, 2, 3, 0, -1, 4])))
    out.append(c("F.embedding", lambda L, i, w: L.F.embedding(i, w),
                 index_t(((3,), (2, 2), (), (0,)), -1, 6), ftensors(((5, 3), (5,), (0, 3)))))
    out.append(c("F.one_hot", lambda L, i, n: L.F.one_hot(i, n),
                 index_t(((3,), (2, 2), (), (0,)), -1, 5), st.sampled_from([-1, 3, 5, 0, 1.5])))
    out.append(c("F.scaled_dot_product_attention", lambda L, q, k, v:
                 L.F.scaled_dot_product_attention(q, k, v),
                 ftensors(((2, 3, 4), (1, 2, 3, 4), (3, 4)), kinds=("normal",)),
                 ftensors(((2, 3, 4), (2, 5, 4), (3, 4), (2, 3, 2)), kinds=("normal",)),
                 ftensors(((2, 3, 4), (2, 5, 4), (2, 3, 6)), kinds=("normal",))))
    # ---- nn.functional: losses -------------------------------------------------------------
    lx = ftensors(((3,), (2, 3), (2, 0), (), (3, 1), (4,)))
    red = st.sampled_from(["mean", "sum", "none", "bogus"])
    for n in ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss"):
        out.append(c("F." + n, lambda L, a, b, r, n=n: getattr(L.F, n)(a, b, reduction=r), lx,
                     bad(lx), red))
    out.append(c("F.binary_cross_entropy", lambda L, a, b, r: L.F.binary_cross_entropy(
        a, b, reduction=r), ftensors(((3,), (2, 3)), kinds=("unit",)),
        ftensors(((3,), (2, 3)), kinds=("unit", "normal")), red))
    out.append(c("F.binary_cross_entropy_with_logits", lambda L, a, b, r:
                 L.F.binary_cross_entropy_with_logits(a, b, reduction=r), lx,
                 ftensors(((3,), (2, 3)), kinds=("unit", "normal")), red))
    out.append(c("F.kl_div", lambda L, a, b, r: L.F.kl_div(a, b, reduction=r), lx,
                 ftensors(((3,), (2, 3)), kinds=("unit", "normal")),
                 st.sampled_from(["mean", "sum", "none", "batchmean", "bogus"])))
    logits = ftensors(((2, 3), (3,), (2, 3, 4), (0, 3), (2, 0)))
    tgt = st.one_of(index_t(((2,), (3,), (), (2, 4), (0,)), -101, 4),
                    ftensors(((2, 3), (3,)), kinds=("unit",)))
    out.append(c("F.cross_entropy", lambda L, x, t, ii, r: L.F.cross_entropy(
        x, t, ignore_index=ii, reduction=r), logits, tgt, st.sampled_from([-100, 0, 1]), red))
    out.append(c("F.cross_entropy(smoothing)", lambda L, x, t, s: L.F.cross_entropy(
        x, t, label_smoothing=s), logits, tgt, st.sampled_from([0.0, 0.1, 1.0, -0.1, 1.5])))
    out.append(c("F.nll_loss", lambda L, x, t, ii: L.F.nll_loss(x, t, ignore_index=ii),
                 logits, tgt, st.sampled_from([-100, 0, 1])))
    out.extend(_modules())
    return out


def _modules() -> list[Call]:
    """nn module constructors and forwards: outcomes and output shapes (weights differ)."""
    n = st.integers(-1, 4)
    x = ftensors(((2, 3), (2, 4), (3,), (2, 3, 4), (1, 3, 4, 4), (2, 0)), kinds=("normal",))
    out = [
        c("nn.Linear", lambda L, i, o, x: L.nn.Linear(i, o)(x).shape, n, n, x),
        c("nn.Conv2d", lambda L, i, o, k, s, x: L.nn.Conv2d(i, o, k, s)(x).shape, n, n,
          st.sampled_from([1, 3, 0, 5]), st.sampled_from([1, 2, 0]), x),
        c("nn.BatchNorm1d", lambda L, f, x: L.nn.BatchNorm1d(f)(x).shape, n, x),
        c("nn.LayerNorm", lambda L, s, x: L.nn.LayerNorm(s)(x).shape,
          st.sampled_from([3, 4, (3, 4), 0, -1]), x),
        c("nn.Embedding", lambda L, e, d, i: L.nn.Embedding(e, d)(i).shape, n, n,
          index_t(((3,), (2, 2)), -1, 5)),
        c("nn.Dropout", lambda L, p, x: L.nn.Dropout(p).eval()(x), st.sampled_from(
            [0.5, 0.0, 1.0, -0.1, 1.5]), x),
        c("nn.Softmax", lambda L, d, x: L.nn.Softmax(d)(x), INT_DIM, x),
        c("nn.MaxPool2d", lambda L, k, s, x: L.nn.MaxPool2d(k, s)(x), st.sampled_from(
            [1, 2, 0, -1, 5]), st.sampled_from([None, 1, 0, 2]), x),
    ]
    for name in ("GRU", "LSTM", "RNN"):
        out.append(c("nn." + name, lambda L, i, h, x, name=name: L.nn.__dict__[name](
            i, h)(x)[0].shape, n, n,
            ftensors(((2, 1, 3), (3, 2, 4), (3, 4), (2, 3)), kinds=("normal",))))
    return out


CALLS: tuple[Call, ...] = tuple(_calls())
