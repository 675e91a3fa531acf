"""The op table: one row per frontend op.

Each row names the op, its implementation, how it is exposed (``Tensor`` method,
``xgrad.*`` function, operators, a generated in-place ``name_`` form, aliases) and its
docstring. :func:`bind` generates the Tensor methods and in-place forms from it,
:func:`functions` the ``xgrad.*`` namespace, the conformance suite's coverage check walks
:func:`exposure`, and :func:`api_markdown` writes the API reference (``docs/api.md``, by
``scripts/gen_api_docs.py``). Adding an op means adding a row here; its forward lives in
one of the ops modules and its backward rule in the derivatives table.
"""
from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..dtypes import result_type_with_scalar
from ..tensor import Tensor, from_data
from . import blas as BL
from . import cumulative as CU
from . import elementwise as E
from . import fused as F
from . import index_more as IX
from . import indexing as I
from . import linalg as L
from . import linalg_decomp as LD
from . import linalg_derived as LX
from . import math_binary as MB
from . import math_extra as MA
from . import math_inverse as MI
from . import matrix as MX
from . import methods as M
from . import numeric as NU
from . import reduce as R
from . import scatter_reduce as SC
from . import searching as SR
from . import shape as S
from . import shape_more as SM
from . import sorting as O
from . import special as SP
from . import statistics as ST
from . import strided as SV
from .inplace import apply_inplace

__all__ = ["OpDef", "OPS", "SECTIONS", "bind", "functions", "exposed", "exposure", "api_markdown"]


@dataclass(frozen=True)
class OpDef:
    """One frontend op.

    ``impl(input, *args, **kwargs)`` computes it (the Tensor is the first argument);
    ``method_impl`` replaces it for the Tensor method when the method's signature differs
    (``Tensor.where(condition, other)`` vs ``xgrad.where(condition, input, other)``).
    ``operators`` are ``(dunder, function)`` pairs bound on Tensor. ``primitive`` names the
    backend primitive or fused kernel the op dispatches to (None: a decomposition into other
    ops). ``doc`` is the docstring, or None to keep the implementation's own.
    """

    name: str
    impl: Callable
    section: str
    doc: str | None = None
    method: bool = True
    function: bool = True
    inplace: bool = False
    aliases: tuple[str, ...] = ()
    operators: tuple[tuple[str, Callable], ...] = ()
    method_impl: Callable | None = None
    primitive: str | None = None

    @property
    def docstring(self) -> str:
        """The op's docstring: ``doc`` from the table, else the implementation's."""
        return self.doc or (self.impl.__doc__ or "").strip()

    def names(self) -> tuple[str, ...]:
        """The op's name and its aliases."""
        return (self.name, *self.aliases)


SECTIONS = {
    "arithmetic": "Arithmetic",
    "math": "Elementwise math",
    "compare": "Comparison and logic",
    "reduce": "Reductions",
    "shape": "Shape and movement",
    "index": "Indexing, gather and scatter",
    "linalg": "Linear algebra",
    "sort": "Sorting",
    "search": "Searching, counting and order statistics",
    "composite": "Composite ops (fused kernel when the backend has one)",
    "convert": "Copies, casts and devices",
    "autograd": "Autograd",
    "fill": "In-place fills and copies",
}


def _row(name: str, impl: Callable, section: str, doc: str | None = None, **kw: Any) -> OpDef:
    return OpDef(name, impl, section, doc, **kw)


def _unary(name: str, impl: Callable, doc: str | None, prim: str | None = "", **kw: Any) -> OpDef:
    return OpDef(name, impl, "math", doc, primitive=name if prim == "" else prim, **kw)


def _compare(name: str, impl: Callable, sym: str, dunder: str) -> OpDef:
    return OpDef(name, impl, "compare", f"``input {sym} other`` elementwise, as a bool tensor "
                 "(``other`` a tensor that broadcasts, or a number).", primitive=name,
                 operators=((dunder, impl),))


OPS: tuple[OpDef, ...] = (
    # ---- arithmetic ----------------------------------------------------------------------
    _row("add", M.add, "arithmetic", inplace=True, primitive="add",
         operators=(("__add__", E.add), ("__radd__", E.radd))),
    _row("sub", M.sub, "arithmetic", inplace=True, aliases=("subtract",), primitive="sub",
         operators=(("__sub__", E.sub), ("__rsub__", E.rsub))),
    _row("mul", E.mul, "arithmetic",
         "``input * other`` elementwise (``other`` a tensor that broadcasts, or a number; a "
         "Python number keeps the tensor's dtype).", inplace=True, aliases=("multiply",),
         primitive="mul", operators=(("__mul__", E.mul), ("__rmul__", E.rmul))),
    _row("div", M.div, "arithmetic", inplace=True, aliases=("divide",), primitive="div",
         operators=(("__truediv__", E.div), ("__rtruediv__", E.rdiv))),
    _row("true_divide", E.div, "arithmetic",
         "``input / other`` as true division: integer inputs give the default float dtype.",
         primitive="div"),
    _row("floor_divide", E.floordiv, "arithmetic", inplace=True, primitive="floordiv",
         operators=(("__floordiv__", E.floordiv), ("__rfloordiv__", E.rfloordiv))),
    _row("remainder", E.remainder, "arithmetic", inplace=True, primitive="remainder",
         operators=(("__mod__", E.remainder), ("__rmod__", E.rremainder))),
    _row("fmod", E.fmod, "arithmetic"),
    _row("atan2", E.atan2, "math", "Elementwise ``atan2(input, other)``: the angle of the point "
         "``(other, input)`` in radians, in ``[-pi, pi]``; integers give the default float dtype.",
         aliases=("arctan2",), primitive="atan2"),
    _row("pow", E.pow, "arithmetic", inplace=True, primitive="pow",
         operators=(("__pow__", E.pow), ("__rpow__", E._rpow))),
    _row("neg", E.neg, "arithmetic", "``-input`` elementwise.", inplace=True,
         aliases=("negative",), primitive="neg", operators=(("__neg__", E.neg),)),
    _row("positive", M.positive, "arithmetic", function=False, operators=(("__pos__", M.positive),)),
    _row("maximum", E.maximum, "arithmetic",
         "Elementwise maximum of ``input`` and ``other`` (NaN propagates; at ties the "
         "gradient is split equally).", inplace=True, primitive="maximum"),
    _row("minimum", E.minimum, "arithmetic",
         "Elementwise minimum of ``input`` and ``other`` (NaN propagates; at ties the "
         "gradient is split equally).", inplace=True, primitive="minimum"),
    _row("clamp", E.clamp, "arithmetic", inplace=True, aliases=("clip",)),
    _row("clamp_min", M.clamp_min, "arithmetic", function=False, inplace=True),
    _row("clamp_max", M.clamp_max, "arithmetic", function=False, inplace=True),
    _row("reciprocal", E.reciprocal, "arithmetic", inplace=True),
    _row("lerp", MB.lerp, "arithmetic", inplace=True),
    _row("addcmul", MB.addcmul, "arithmetic", inplace=True),
    _row("addcdiv", MB.addcdiv, "arithmetic", inplace=True),
    _row("square", E.square, "arithmetic", inplace=True),
    # ---- elementwise math ----------------------------------------------------------------
    _unary("exp", E.exp, "``e ** input`` elementwise.", inplace=True),
    _unary("log", E.log, "Natural logarithm elementwise (``-inf`` at 0, NaN below).",
           inplace=True),
    _unary("log1p", E.log1p, "``log(1 + input)`` elementwise, accurate for small inputs."),
    _unary("expm1", E.expm1, "``exp(input) - 1`` elementwise, accurate for small inputs."),
    _unary("sin", E.sin, "Sine elementwise (radians)."),
    _unary("cos", E.cos, "Cosine elementwise (radians)."),
    _unary("tanh", E.tanh, "Hyperbolic tangent elementwise.", inplace=True),
    _unary("sqrt", E.sqrt, "Square root elementwise (NaN for negative inputs).", inplace=True),
    _unary("rsqrt", E.rsqrt, None, prim=None),
    _unary("abs", E.abs, "``|input|`` elementwise (gradient 0 at 0, as PyTorch).",
           inplace=True, operators=(("__abs__", E.abs),)),
    _unary("sign", E.sign, "-1, 0 or 1 by the sign of each element (gradient zero).",
           inplace=True),
    _unary("floor", E.floor, "Largest integer value not above each element (gradient zero)."),
    _unary("erf", E.erf, "The Gauss error function elementwise."),
    _unary("log10", MA.log10, None, prim=None),
    _unary("log2", MA.log2, None, prim=None),
    _unary("exp2", MA.exp2, None, prim=None),
    _unary("tan", MA.tan, None, prim=None),
    _unary("sinh", MA.sinh, None, prim=None),
    _unary("cosh", MA.cosh, None, prim=None),
    _unary("atan", MA.atan, None, prim=None, aliases=("arctan",)),
    _unary("asin", MA.asin, None, prim=None, aliases=("arcsin",)),
    _unary("acos", MA.acos, None, prim=None, aliases=("arccos",)),
    _unary("asinh", MI.asinh, None, prim=None, inplace=True, aliases=("arcsinh",)),
    _unary("acosh", MI.acosh, None, prim=None, inplace=True, aliases=("arccosh",)),
    _unary("atanh", MI.atanh, None, prim=None, inplace=True, aliases=("arctanh",)),
    _unary("erfc", MI.erfc, None, prim=None, inplace=True),
    _unary("erfinv", MI.erfinv, None, prim=None, inplace=True),
    _unary("logit", MI.logit, None, prim=None, inplace=True),
    _row("xlogy", MB.xlogy, "math", inplace=True),
    _row("hypot", MB.hypot, "math", inplace=True),
    _row("logaddexp", MB.logaddexp, "math"),
    _row("logaddexp2", MB.logaddexp2, "math"),
    _row("fmax", MB.fmax, "math"),
    _row("fmin", MB.fmin, "math"),
    _unary("ceil", MA.ceil, None, prim=None),
    _unary("trunc", MA.trunc, None, prim=None, aliases=("fix",)),
    _unary("round", MA.round, None, prim=None),
    _unary("sigmoid", E.sigmoid, None, inplace=True),
    _unary("relu", E.relu, None, prim="maximum", inplace=True),
    _row("where", E.where, "math", method_impl=M.where_method, primitive="where"),
    _row("isnan", E.isnan, "math", primitive="isnan"),
    _row("isinf", E.isinf, "math", primitive="isinf"),
    _row("isfinite", E.isfinite, "math"),
    _row("lgamma", SP.lgamma, "math"),
    _row("digamma", SP.digamma, "math"),
    _row("nan_to_num", NU.nan_to_num, "math"),
    # ---- comparison and logic ------------------------------------------------------------
    _row("eq", E.eq, "compare", "``input == other`` elementwise, as a bool tensor (``other`` a "
         "tensor that broadcasts, or a number).", primitive="eq",
         operators=(("__eq__", M.eq_operator),)),
    _row("ne", E.ne, "compare", "``input != other`` elementwise, as a bool tensor (``other`` a "
         "tensor that broadcasts, or a number).", primitive="ne",
         operators=(("__ne__", M.ne_operator),)),
    _compare("lt", E.lt, "<", "__lt__"),
    _compare("le", E.le, "<=", "__le__"),
    _compare("gt", E.gt, ">", "__gt__"),
    _compare("ge", E.ge, ">=", "__ge__"),
    _row("logical_and", E.logical_and, "compare",
         "Elementwise logical AND (nonzero is true), as a bool tensor.", primitive="logical_and",
         inplace=True,
         operators=(("__and__", M.bitwise("and")), ("__rand__", M.bitwise("and")))),
    _row("logical_or", E.logical_or, "compare",
         "Elementwise logical OR (nonzero is true), as a bool tensor.", primitive="logical_or",
         inplace=True,
         operators=(("__or__", M.bitwise("or")), ("__ror__", M.bitwise("or")))),
    _row("logical_xor", E.logical_xor, "compare",
         "Elementwise logical XOR (nonzero is true), as a bool tensor.", primitive="logical_xor",
         inplace=True,
         operators=(("__xor__", M.bitwise("xor")),)),
    _row("logical_not", E.logical_not, "compare", primitive="logical_not", inplace=True,
         operators=(("__invert__", E.__invert__),)),
    _row("isclose", NU.isclose, "compare"),
    _row("allclose", NU.allclose, "compare"),
    # ---- reductions ----------------------------------------------------------------------
    _row("sum", R.sum, "reduce", primitive="sum"),
    _row("mean", R.mean, "reduce"),
    _row("prod", R.prod, "reduce", primitive="prod"),
    _row("var", R.var, "reduce"),
    _row("std", R.std, "reduce"),
    _row("max", R.max, "reduce", primitive="max"),
    _row("min", R.min, "reduce", primitive="min"),
    _row("amax", R.amax, "reduce", "Maximum over ``dim`` (all dims by default), without "
         "indices; ties share the gradient equally.", primitive="max"),
    _row("amin", R.amin, "reduce", "Minimum over ``dim`` (all dims by default), without "
         "indices; ties share the gradient equally.", primitive="min"),
    _row("argmax", R.argmax, "reduce", "Index (int64) of the first maximum over ``dim``, or "
         "into the flattened tensor when ``dim`` is None.", primitive="argmax"),
    _row("argmin", R.argmin, "reduce", "Index (int64) of the first minimum over ``dim``, or "
         "into the flattened tensor when ``dim`` is None.", primitive="argmin"),
    _row("logsumexp", R.logsumexp, "reduce", primitive="logsumexp"),
    _row("norm", R.norm, "reduce"),
    _row("cumsum", R.cumsum, "reduce", primitive="cumsum"),
    _row("cummax", CU.cummax, "reduce"),
    _row("cummin", CU.cummin, "reduce"),
    _row("logcumsumexp", CU.logcumsumexp, "reduce"),
    _row("diff", CU.diff, "reduce"),
    _row("count_nonzero", SR.count_nonzero, "reduce"),
    _row("nansum", IX.nansum, "reduce"),
    _row("nanmean", IX.nanmean, "reduce"),
    _row("aminmax", IX.aminmax, "reduce"),
    _row("var_mean", IX.var_mean, "reduce", method=False),
    _row("std_mean", IX.std_mean, "reduce", method=False),
    _row("all", R.all, "reduce"),
    _row("any", R.any, "reduce"),
    # ---- shape and movement --------------------------------------------------------------
    _row("reshape", S.reshape, "shape", primitive="reshape"),
    _row("view", S.view, "shape", function=False),
    _row("view_as", M.view_as, "shape", function=False),
    _row("reshape_as", M.reshape_as, "shape", function=False),
    _row("permute", S.permute, "shape", primitive="permute"),
    _row("transpose", S.transpose, "shape", aliases=("swapaxes", "swapdims")),
    _row("movedim", S.movedim, "shape", aliases=("moveaxis",)),
    _row("t", S.t, "shape"),
    _row("expand", S.expand, "shape", function=False, primitive="broadcast_to"),
    _row("expand_as", S.expand_as, "shape", function=False),
    _row("broadcast_to", S.broadcast_to, "shape"),
    _row("squeeze", S.squeeze, "shape"),
    _row("unsqueeze", S.unsqueeze, "shape"),
    _row("flatten", S.flatten, "shape"),
    _row("unflatten", S.unflatten, "shape"),
    _row("cat", S.cat, "shape", method=False, aliases=("concat", "concatenate"),
         primitive="concatenate"),
    _row("stack", S.stack, "shape", method=False),
    _row("split", S.split, "shape"),
    _row("chunk", S.chunk, "shape"),
    _row("unbind", S.unbind, "shape"),
    _row("flip", S.flip, "shape"),
    _row("roll", S.roll, "shape"),
    _row("repeat", S.repeat, "shape", function=False),
    _row("tile", S.tile, "shape"),
    _row("narrow", S.narrow, "shape"),
    _row("select", S.select, "shape"),
    _row("diagonal", SV.diagonal, "shape", primitive="getitem"),
    _row("unfold", SV.unfold, "shape", function=False, primitive="getitem"),
    _row("meshgrid", MX.meshgrid, "shape", method=False),
    _row("hstack", SM.hstack, "shape", method=False),
    _row("vstack", SM.vstack, "shape", method=False, aliases=("row_stack",)),
    _row("dstack", SM.dstack, "shape", method=False),
    _row("column_stack", SM.column_stack, "shape", method=False),
    _row("atleast_1d", SM.atleast_1d, "shape", method=False),
    _row("atleast_2d", SM.atleast_2d, "shape", method=False),
    _row("atleast_3d", SM.atleast_3d, "shape", method=False),
    _row("ravel", SM.ravel, "shape"),
    _row("rot90", SM.rot90, "shape"),
    _row("flipud", SM.flipud, "shape"),
    _row("fliplr", SM.fliplr, "shape"),
    _row("tensor_split", SM.tensor_split, "shape"),
    _row("broadcast_tensors", SM.broadcast_tensors, "shape", method=False),
    _row("repeat_interleave", SM.repeat_interleave, "shape"),
    # ---- indexing ------------------------------------------------------------------------
    _row("getitem", I.getitem, "index", method=False, function=False, primitive="getitem",
         operators=(("__getitem__", I.getitem),)),
    _row("setitem", I.setitem, "index", method=False, function=False, primitive="index_put",
         operators=(("__setitem__", I.setitem),)),
    _row("gather", I.gather, "index", primitive="take_along_axis"),
    _row("scatter", I.scatter, "index", inplace=True),
    _row("scatter_add", I.scatter_add, "index", inplace=True, primitive="put_along_axis_add"),
    _row("scatter_reduce", SC.scatter_reduce, "index", inplace=True),
    _row("index_select", I.index_select, "index"),
    _row("masked_fill", I.masked_fill, "index", inplace=True),
    _row("tril", I.tril, "index", inplace=True),
    _row("triu", I.triu, "index", inplace=True),
    _row("take_along_dim", I.take_along_dim, "index", primitive="take_along_axis"),
    _row("index_put_add", I.index_put_add, "index", function=False, primitive="index_add"),
    _row("masked_select", IX.masked_select, "index"),
    _row("index_fill", IX.index_fill, "index", inplace=True),
    _row("index_copy", IX.index_copy, "index", inplace=True),
    _row("index_add", IX.index_add, "index", inplace=True),
    _row("index_put", IX.index_put, "index", inplace=True),
    _row("take", IX.take, "index"),
    # ---- linear algebra ------------------------------------------------------------------
    _row("matmul", L.matmul, "linalg", primitive="matmul",
         operators=(("__matmul__", L.matmul), ("__rmatmul__", M.rmatmul))),
    _row("mm", L.mm, "linalg", primitive="matmul"),
    _row("bmm", L.bmm, "linalg", primitive="matmul"),
    _row("dot", L.dot, "linalg"),
    _row("outer", L.outer, "linalg"),
    _row("mv", BL.mv, "linalg", primitive="matmul"),
    _row("addmm", BL.addmm, "linalg", inplace=True, primitive="matmul"),
    _row("addmv", BL.addmv, "linalg", inplace=True, primitive="matmul"),
    _row("baddbmm", BL.baddbmm, "linalg", inplace=True, primitive="matmul"),
    _row("addbmm", BL.addbmm, "linalg", inplace=True, primitive="matmul"),
    _row("inner", BL.inner, "linalg"),
    _row("tensordot", BL.tensordot, "linalg", method=False),
    _row("einsum", L.einsum, "linalg", method=False),
    _row("trace", MX.trace, "linalg"),
    _row("diag", MX.diag, "linalg"),
    _row("kron", MX.kron, "linalg"),
    _row("cross", MX.cross, "linalg"),
    _row("cdist", MX.cdist, "linalg", method=False),
    _row("triu_indices", MX.triu_indices, "linalg", method=False),
    _row("tril_indices", MX.tril_indices, "linalg", method=False),
    _row("inverse", LX.inverse, "linalg", primitive="linalg_inv"),
    _row("det", LD.det, "linalg", primitive="linalg_det"),
    _row("slogdet", LD.slogdet, "linalg", primitive="linalg_slogdet"),
    _row("logdet", LX.logdet, "linalg", primitive="linalg_slogdet"),
    _row("pinverse", LX.pinverse, "linalg", primitive="linalg_svd"),
    _row("matrix_exp", LX.matrix_exp, "linalg"),
    # ---- sorting -------------------------------------------------------------------------
    _row("sort", O.sort, "sort", primitive="sort"),
    _row("argsort", O.argsort, "sort"),
    _row("topk", O.topk, "sort"),
    # ---- searching, counting, order statistics ---------------------------------------------
    _row("nonzero", SR.nonzero, "search"),
    _row("argwhere", SR.argwhere, "search"),
    _row("unique", SR.unique, "search"),
    _row("bucketize", SR.bucketize, "search", method=False),
    _row("searchsorted", SR.searchsorted, "search", method=False),
    _row("histc", SR.histc, "search"),
    _row("histogram", SR.histogram, "search"),
    _row("bincount", SR.bincount, "search"),
    _row("kthvalue", ST.kthvalue, "search"),
    _row("median", ST.median, "search"),
    _row("nanmedian", ST.nanmedian, "search"),
    _row("mode", ST.mode, "search"),
    _row("quantile", ST.quantile, "search"),
    _row("nanquantile", ST.nanquantile, "search"),
    # ---- composite -----------------------------------------------------------------------
    _row("softmax", F.softmax, "composite", primitive="softmax"),
    _row("log_softmax", F.log_softmax, "composite", primitive="log_softmax"),
    # ---- copies, casts, devices ----------------------------------------------------------
    _row("clone", E.clone, "convert", method_impl=M.clone, primitive="copy"),
    _row("detach", E.detach, "convert"),
    _row("contiguous", M.contiguous, "convert", function=False),
    _row("is_contiguous", M.is_contiguous, "convert", function=False),
    _row("stride", M.stride, "convert", function=False),
    _row("storage_offset", M.storage_offset, "convert", function=False),
    _row("untyped_storage", M.untyped_storage, "convert", function=False),
    _row("data_ptr", M.data_ptr, "convert", function=False),
    _row("_is_view", M.is_view, "convert", function=False),
    _row("to", M.to, "convert", function=False, primitive="cast"),
    # ---- autograd ------------------------------------------------------------------------
    _row("backward", M.backward, "autograd", function=False),
    _row("register_hook", M.register_hook, "autograd", function=False),
    _row("register_post_accumulate_grad_hook", M.register_post_accumulate_grad_hook,
         "autograd", function=False),
    _row("retain_grad", M.retain_grad, "autograd", function=False),
    # ---- in-place fills and copies -------------------------------------------------------
    _row("copy_", M.copy_, "fill", function=False),
    _row("fill_", M.fill_, "fill", function=False),
    _row("resize_", M.resize_, "fill", function=False),
    _row("resize_as_", M.resize_as_, "fill", function=False),
    _row("zero_", M.zero_, "fill", function=False),
)

_BY_NAME = {op.name: op for op in OPS}
_IN_PLACE_OPERATORS = {"__iadd__": "add", "__isub__": "sub", "__imul__": "mul",
                       "__itruediv__": "div", "__ipow__": "pow"}


def _in_place(op: OpDef) -> Callable:
    fn = op.method_impl or op.impl

    def method(a: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        return apply_inplace(a, lambda x: fn(x, *args, **kwargs), *args)

    method.__name__ = method.__qualname__ = op.name + "_"
    method.__doc__ = f"In-place version of :meth:`Tensor.{op.name}`: {op.docstring}"
    return method


def _with_doc(fn: Callable, op: OpDef) -> Callable:
    if op.doc and not (fn.__doc__ or "").strip():
        fn.__doc__ = op.doc
    return fn


# Ops PyTorch writes in Python (torch.functional, torch._tensor): no NumPy keyword names there.
_PYTHON_LEVEL = frozenset({"norm", "split", "unflatten", "unique"})


def _numpy_names(fn: Callable, name: str) -> Callable:
    """``fn`` also taking NumPy's keyword names for ``dim`` and ``keepdim`` (``axis=``,
    ``keepdims=``), as PyTorch's native functions do; ``fn`` itself when it has neither."""
    if name in _PYTHON_LEVEL:
        return fn
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return fn
    dim, keep = "dim" in params and "axis" not in params, \
        "keepdim" in params and "keepdims" not in params
    if not (dim or keep):
        return fn

    def numpy_names(*args: Any, **kwargs: Any) -> Any:
        if kwargs:
            if dim and "axis" in kwargs:
                if "dim" in kwargs:
                    raise TypeError(f"{fn.__name__}() got multiple values for argument 'dim'")
                kwargs["dim"] = kwargs.pop("axis")
            if keep and "keepdims" in kwargs:
                if "keepdim" in kwargs:
                    raise TypeError(f"{fn.__name__}() got multiple values for argument "
                                    f"'keepdim'")
                kwargs["keepdim"] = kwargs.pop("keepdims")
        return fn(*args, **kwargs)

    numpy_names.__name__, numpy_names.__qualname__ = fn.__name__, fn.__qualname__
    numpy_names.__doc__, numpy_names.__module__ = fn.__doc__, fn.__module__
    numpy_names.__wrapped__ = fn  # the op behind it (the coverage check looks through)
    return numpy_names


def _methods() -> Iterator[tuple[str, Callable]]:
    for op in OPS:
        if op.method:
            fn = _numpy_names(_with_doc(op.method_impl or op.impl, op), op.name)
            for n in op.names():
                yield n, fn
        if op.inplace:
            fn = _in_place(op)
            for n in op.names():
                yield n + "_", fn
        for dunder, fn in op.operators:
            yield dunder, _with_doc(fn, op)


_METHODS: dict[str, Callable] = dict(_methods())
for _dunder, _name in _IN_PLACE_OPERATORS.items():
    _METHODS[_dunder] = _METHODS[_name + "_"]


def bind(cls: type) -> None:
    """Set every method, in-place form and operator of the table on ``cls`` (Tensor)."""
    for name, fn in _METHODS.items():
        setattr(cls, name, fn)


def _takes_tensor_first(fn: Callable) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0].kind is params[0].POSITIONAL_OR_KEYWORD and \
        params[0].annotation in ("Tensor", Tensor)


# Functions whose second argument PyTorch requires to be a Tensor (no Python number).
_TENSOR_OTHER = frozenset({"maximum", "minimum", "atan2", "arctan2", "logical_and", "logical_or",
                           "logical_xor", "hypot", "logaddexp", "logaddexp2", "fmax", "fmin"})


# Functions PyTorch also accepts with a Python number first (``torch.add(2, x)``): the
# number becomes a 0-d tensor of the dtype ``x op number`` would have (a wrapped number).
_SCALAR_FIRST = frozenset({"add", "sub", "subtract", "mul", "multiply", "div", "divide",
                           "true_divide", "floor_divide", "remainder"})


def _wrapped_number(name: str, value: Any, other: Any) -> Tensor:
    """``value`` (a Python number) as the 0-d tensor PyTorch makes of a number operand."""
    if name in ("sub", "subtract") and value.__class__ is bool:
        E.check_bool_sub(other, value)  # PyTorch refuses a bool in a subtraction
    if isinstance(other, Tensor):
        dt = result_type_with_scalar(other._backend.dtype(other._data), value)
        return from_data(value, dt, other._backend)
    return from_data(value, None, None)


def _checked(fn: Callable, name: str) -> Callable:
    """``fn`` refusing a first argument that is not a Tensor with PyTorch's TypeError (not
    an AttributeError from deep inside the op)."""
    other_tensor = name in _TENSOR_OTHER

    @functools.wraps(fn)
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's name
        if isinstance(input, Tensor):
            if args and getattr(type(args[0]), "__xgrad_sparse__", False):
                return args[0].__xgrad_function__(name, (input, *args), kwargs)
            if other_tensor and args and not isinstance(args[0], Tensor):
                raise TypeError(f"{name}(): argument 'other' (position 2) must be Tensor, not "
                                f"{type(args[0]).__name__}")
            return fn(input, *args, **kwargs)
        if getattr(type(input), "__xgrad_sparse__", False):  # a sparse COO tensor (xgrad.sparse)
            return input.__xgrad_function__(name, (input, *args), kwargs)
        refused = TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                            f"{type(input).__name__}")
        if name in _SCALAR_FIRST and isinstance(input, (int, float, bool)) and args and (
                isinstance(args[0], Tensor) or
                (name != "remainder" and isinstance(args[0], (int, float, bool)))):
            return fn(_wrapped_number(name, input, args[0]), *args, **kwargs)
        if not (isinstance(input, (int, float, bool)) and args and isinstance(args[0], Tensor)):
            raise refused
        try:  # a Python number before a Tensor: some ops take it (xgrad.pow(2, x))
            return fn(input, *args, **kwargs)
        except AttributeError:
            raise refused from None
    function.__wrapped__ = getattr(fn, "__wrapped__", fn)  # the op itself, not _numpy_names
    function.checks_input = True
    return function


def _functions() -> dict[str, Callable]:
    out = {}
    for op in OPS:
        if op.function:
            fn = _numpy_names(_with_doc(op.impl, op), op.name)
            for n in op.names():
                out[n] = _checked(fn, n) if _takes_tensor_first(op.impl) else fn
    return out


_FUNCTIONS: dict[str, Callable] = _functions()


def functions() -> dict[str, Callable]:
    """The ``xgrad.*`` functional forms: name -> function. A form whose first argument is
    a Tensor checks that it is one."""
    return dict(_FUNCTIONS)


def exposed() -> dict[str, Callable]:
    """Every Tensor method, in-place form and operator the table binds: name -> function."""
    return dict(_METHODS)


def exposure(op: OpDef) -> list[tuple[str, Callable]]:
    """How ``op`` is exposed: ``[(name, function), ...]`` with Tensor methods, in-place
    forms and operators by their attribute name and functions as ``xgrad.<name>``."""
    out: list[tuple[str, Callable]] = []
    method = op.method_impl or op.impl
    for n in op.names():
        if op.method:
            out.append((n, _METHODS.get(n, method)))
        if op.inplace:
            out.append((n + "_", _METHODS.get(n + "_", method)))
        if op.function:
            out.append((f"xgrad.{n}", _FUNCTIONS.get(n, op.impl)))
    out.extend(op.operators)
    return out


def api_markdown() -> str:
    """The API reference of the table's ops, grouped by section (``docs/api.md``)."""
    lines = ["# xgrad op reference", "",
             "Generated from the op table (`core/ops/table.py`) by "
             "`python scripts/gen_api_docs.py`; a test keeps it current.", ""]
    for key, title in SECTIONS.items():
        rows = [op for op in OPS if op.section == key]
        if not rows:
            continue
        lines += [f"## {title}", "", "| op | as | backend | description |", "|---|---|---|---|"]
        for op in rows:
            forms = []
            if op.function:
                forms.append(" ".join(f"`xgrad.{n}`" for n in op.names()))
            if op.method:
                forms.append(" ".join(f"`Tensor.{n}`" for n in op.names()))
            if op.inplace:
                forms.append(" ".join(f"`Tensor.{n}_`" for n in op.names()))
            forms += [f"`{d}`" for d, _ in op.operators]
            doc = " ".join(op.docstring.split("\n\n")[0].split()).replace("|", "\\|")
            prim = f"`{op.primitive}`" if op.primitive else "decomposition"
            lines.append(f"| {op.name} | {'<br>'.join(forms)} | {prim} | {doc} |")
        lines.append("")
    return "\n".join(lines)
