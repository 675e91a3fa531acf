"""The op table: one :class:`OpCase` per differentiable frontend op (plus forward-only
cases for comparisons, logical ops and index results).

Shapes stay small (<= 24 elements per sample) so the pure-Python reference backend runs the
whole suite in minutes. Input values are distinct and kept away from kinks (see
:data:`xgrad.conformance.spec.DOMAINS`).
"""
from __future__ import annotations

from .spec import TIES, Const, Idx, Mask, OpCase, T, register

__all__ = ["OpCase", "T", "Idx", "Mask", "Const", "NOT_OPS", "PENDING_FUSED", "INPLACE_OF"]

#: Frontend names that are not numeric ops (autograd plumbing, shape utilities): no case.
NOT_OPS: dict[str, str] = {
    "backward": "autograd entry point; exercised by every gradient check",
    "register_hook": "autograd hook registration, not an op",
    "retain_grad": "autograd bookkeeping, not an op",
    "register_post_accumulate_grad_hook": "autograd hook registration, not an op",
    "broadcast_shapes": "computes a shape tuple, no tensor data",
    "is_contiguous": "layout metadata, no tensor data (checked by the view programs)",
    "stride": "layout metadata, no tensor data (checked by the view programs)",
    "storage_offset": "layout metadata, no tensor data (checked by the view programs)",
    "untyped_storage": "storage identity, no tensor data",
    "data_ptr": "storage identity, no tensor data",
    "_is_view": "view bookkeeping, no tensor data",
    "resize_": "storage reshaping, no arithmetic (checked by the resize_view view program)",
    "resize_as_": "storage reshaping, no arithmetic (resize_ to another tensor's shape)",
}

#: Fused ops of the backend contract that no case checks yet, with the reason (sgd_step and
#: adam_step are checked by the optimizer cases in ``cases_modules``).
PENDING_FUSED: dict[str, str] = {}

_FWD = {"grad": False, "grad2": False}
_BIN = [(T(2, 3), T(3)), (T(2, 1), T(1, 3)), (T(), T(2)), (T(0, 3), T(3)),
        (T(2, 3, view="transposed"), T(2, 3, view="strided"))]
_BIN_SCALAR = [(T(2, 3), 1.5), (T(3), -0.75)]
_UNARY = [(T(2, 3),), (T(),), (T(0, 2),), (T(3, 2, view="transposed"),)]
_RED_DIM = [(T(2, 3, 4), -1, True), (T(2, 3, 4), (0, 2), False), (T(2, 3, view="transposed"), 0, False),
            (T(4), 0, False)]
_POS = "pos"
_NEAR0 = ((-0.08, -0.02), (0.02, 0.08))


def _u(name: str, fn: str | None = None, domain: str = "real", **kw) -> OpCase:
    return OpCase(name, fn or f"a.{name}()", _UNARY, domain=domain, **kw)


_TABLE = [
    # ---- arithmetic -------------------------------------------------------------------
    OpCase("add", "a.add(b)", _BIN + _BIN_SCALAR, covers=("add", "xgrad.add")),
    OpCase("add.alpha", "a.add(b, alpha=c)", [(T(2, 3), T(3), 0.5)], covers=("add",)),
    OpCase("__add__", "a + b", _BIN + [(1.5, T(3)), (T(2), 2)], covers=("__add__", "__radd__")),
    OpCase("sub", "a.sub(b)", _BIN + _BIN_SCALAR, covers=("sub", "subtract")),
    OpCase("sub.alpha", "a.sub(b, alpha=c)", [(T(2, 3), T(3), 2.0)], covers=("sub",)),
    OpCase("__sub__", "a - b", _BIN + [(1.5, T(3))], covers=("__sub__", "__rsub__")),
    OpCase("mul", "a.mul(b)", _BIN + _BIN_SCALAR, covers=("mul", "multiply")),
    OpCase("__mul__", "a * b", _BIN + [(1.5, T(3))], covers=("__mul__", "__rmul__")),
    OpCase("div", "a.div(b)", [(T(2, 3), T(3, dom=_POS)), (T(2, 3), T(2, 1, dom="nonzero")),
                               (T(), T(2, dom=_POS)), (T(2, 3), 1.5)], covers=("div", "divide")),
    OpCase("div.floor", "a.div(b, rounding_mode='floor')", [(T(2, 3, dom="frac"), 1.0)],
           covers=("div",)),
    OpCase("div.trunc", "a.div(b, rounding_mode='trunc')", [(T(2, 3, dom="frac"), 1.0)],
           covers=("div",)),
    OpCase("true_divide", "a.true_divide(b)", [(T(2, 3), T(3, dom=_POS))]),
    OpCase("__truediv__", "a / b", [(T(2, 3), T(3, dom=_POS)), (2.0, T(3, dom=_POS)), (T(3), 4.0)],
           covers=("__truediv__", "__rtruediv__")),
    OpCase("floor_divide", "a.floor_divide(b)",
           [(T(2, 3, dom="frac"), 1.0), (T(3, dom="frac"), Const([1.0, 2.0, 4.0]))]),
    OpCase("__floordiv__", "a // b", [(T(3, dom="frac"), 1.0), (3.0, T(3, dom=((1.55, 2.9),)))],
           covers=("__floordiv__", "__rfloordiv__")),
    OpCase("remainder", "a.remainder(b)",
           [(T(2, 3, dom="frac"), 1.0), (T(3, dom=((0.2, 0.8), (1.2, 1.8))), T(3, dom=((2.5, 3.0),)))],
           covers=("remainder", "fmod")),
    OpCase("__mod__", "a % b", [(T(3, dom="frac"), 1.0), (5.0, T(3, dom=((2.6, 4.9),)))],
           covers=("__mod__", "__rmod__")),
    OpCase("pow", "a.pow(b)", [(T(2, 3, dom=_POS), T(3)), (T(3, dom=_POS), 2.5), (T(2, 2), 2),
                               (T(dom=_POS), T(2))]),
    OpCase("__pow__", "a ** b", [(T(3, dom=_POS), 1.5), (2.0, T(2, 2)), (T(2, dom=_POS), T(2))],
           covers=("__pow__", "__rpow__")),
    # atan2: four quadrants (a and b draw from different pools, each half negative), points
    # near the x axis on both sides (>= 0.02 from the branch cut a = 0, b < 0) and near the
    # y axis, all away from the origin; a Python-number operand
    OpCase("atan2", "xgrad.ops.elementwise.atan2(a, b)",
           [(T(4, 1, dom="nonzero"), T(1, 4, dom=((-1.9, -0.35), (0.35, 1.9)))),
            (T(2, 1, dom=_NEAR0), T(1, 4, dom="nonzero")),
            (T(4, dom="nonzero"), T(4, dom=_NEAR0)),
            (T(2, 3, dom="nonzero"), 0.75)],
           special="elementwise", covers=("atan2", "arctan2", "xgrad.atan2", "xgrad.arctan2")),
    _u("neg", covers=("neg", "negative")),
    OpCase("__neg__", "-a", _UNARY),
    OpCase("__pos__", "+a", [(T(3),)], **_FWD),
    OpCase("maximum", "a.maximum(b)", _BIN),
    OpCase("minimum", "a.minimum(b)", _BIN),
    _u("exp"), _u("log", domain=_POS), _u("log1p", domain=((-0.7, 2.0),)), _u("expm1"),
    _u("sin"), _u("cos"), _u("tanh"), _u("sqrt", domain=_POS), _u("rsqrt", domain=_POS),
    _u("abs", domain="nonzero"),
    OpCase("__abs__", "abs(a)", [(T(2, 3, dom="nonzero"),)]),
    _u("sign", domain="nonzero"), _u("erf"), _u("sigmoid", fused="sigmoid"),
    _u("relu", domain="nonzero"), _u("reciprocal", domain="nonzero"), _u("square"),
    _u("floor", domain="frac"),
    _u("log10", domain=_POS), _u("log2", domain=_POS), _u("exp2"),
    OpCase("tan", "a.tan()", [(T(2, 3, dom=((-1.2, 1.2),)),), (T(),)]),
    _u("sinh"), _u("cosh"), _u("ceil", domain="frac"),
    _u("trunc", domain="frac", covers=("trunc", "fix")),
    OpCase("round", "a.round()", [(T(2, 3, dom=((-1.4, -1.1), (-0.9, -0.6), (0.1, 0.4), (0.6, 0.9))),)]),
    OpCase("round.decimals", "a.round(decimals=1)",
           [(T(2, 3, dom=((0.11, 0.14), (0.31, 0.34), (-0.76, -0.71))),)], covers=("round",)),
    OpCase("clamp", "a.clamp(-0.5, 0.5)", [(T(2, 3),), (T(4, view="strided"),)], domain="clampband",
           covers=("clamp", "clip")),
    OpCase("clamp.min", "a.clamp(min=b)", [(T(2, 3), -0.5)], domain="clampband", covers=("clamp",)),
    OpCase("clamp.tensor", "a.clamp(b, c)", [(T(2, 3), T(3), T(3))], covers=("clamp",)),
    OpCase("clamp_min", "a.clamp_min(b)", [(T(2, 3), -0.5)], domain="clampband"),
    OpCase("clamp_max", "a.clamp_max(b)", [(T(2, 3), 0.5)], domain="clampband"),
    OpCase("where", "a.where(c, b)", [(T(2, 3), T(3), Mask((2, 3))), (T(2, 3), 0.5, Mask((3,)))]),
    OpCase("xgrad.where", "xgrad.where(c, a, b)", [(T(2, 3), T(3), Mask((2, 1))), (T(3), 0.0, Mask((3,)))]),
    # ---- comparisons, logical, predicates (forward only) ------------------------------------
    OpCase("eq", "a.eq(xgrad.where(c, a, b))", [(T(2, 3), T(3), Mask((2, 3)))], **_FWD),
    OpCase("__eq__", "a == xgrad.where(c, a, b)", [(T(2, 3), T(3), Mask((2, 3)))], **_FWD),
    OpCase("ne", "a.ne(xgrad.where(c, a, b))", [(T(2, 3), T(3), Mask((2, 3)))], **_FWD),
    OpCase("__ne__", "a != xgrad.where(c, a, b)", [(T(2, 3), T(3), Mask((2, 3)))], **_FWD),
    *[OpCase(n, f"a.{n}(b)", [(T(2, 3), T(3)), (T(4), 0.25)], **_FWD) for n in ("lt", "le", "gt", "ge")],
    *[OpCase(d, f"a {op} b", [(T(2, 3), T(3)), (T(4), 0.25)], **_FWD)
      for d, op in (("__lt__", "<"), ("__le__", "<="), ("__gt__", ">"), ("__ge__", ">="))],
    *[OpCase(n, f"a.{n}(b)", [(Mask((2, 3)), Mask((3,)))], **_FWD)
      for n in ("logical_and", "logical_or", "logical_xor")],
    OpCase("logical_not", "a.logical_not()", [(Mask((2, 3)),)], **_FWD),
    OpCase("__and__", "a & b", [(Mask((2, 3)), Mask((3,))), (True, Mask((3,)))],
           covers=("__and__", "__rand__"), **_FWD),
    OpCase("__or__", "a | b", [(Mask((2, 3)), Mask((3,))), (False, Mask((3,)))],
           covers=("__or__", "__ror__"), **_FWD),
    OpCase("__xor__", "a ^ b", [(Mask((2, 3)), Mask((3,)))], **_FWD),
    OpCase("__invert__", "~a", [(Mask((2, 3)),)], **_FWD),
    OpCase("isnan", "xgrad.where(c, a, a * float('nan')).isnan()", [(T(2, 3), None, Mask((2, 3)))],
           **_FWD),
    OpCase("isinf", "xgrad.where(c, a, a * float('inf')).isinf()", [(T(2, 3), None, Mask((2, 3)))],
           **_FWD),
    OpCase("isfinite", "xgrad.where(c, a, a * float('inf')).isfinite()",
           [(T(2, 3), None, Mask((2, 3)))], **_FWD),
    # ---- copies and casts -----------------------------------------------------------------
    OpCase("clone", "a.clone()", [(T(2, 3),), (T(3, 2, view="transposed"),)]),
    OpCase("xgrad.clone", "xgrad.clone(a)", [(T(2, 3),)]),
    OpCase("detach", "a.detach()", [(T(2, 3),)], **_FWD),
    OpCase("contiguous", "a.contiguous()", [(T(2, 3, view="strided"),), (T(2, 3, view="transposed"),)]),
    OpCase("to", "a.to(xgrad.float64)", [(T(2, 3),)], covers=("to",), requires=("float64",)),
    OpCase("to.float16", "a.to(xgrad.float16)", [(T(2, 3),)], dtypes=("float32", "float64"),
           covers=("to",), requires=("float16",), **_FWD),  # rounded to nearest, not truncated
    OpCase("to.int", "a.to(xgrad.int64)", [(T(2, 3, dom="frac"),)], covers=("to",), **_FWD),
    # ---- reductions -------------------------------------------------------------------------
    OpCase("sum", "a.sum()", [(T(2, 3),), (T(),), (T(0, 3),), (T(3, 2, view="transposed"),)]),
    OpCase("sum.dim", "a.sum(b, keepdim=c)", _RED_DIM + [(T(0, 3), 0, False)], covers=("sum",)),
    OpCase("mean", "a.mean()", [(T(2, 3),), (T(),)]),
    OpCase("mean.dim", "a.mean(b, keepdim=c)", _RED_DIM, covers=("mean",)),
    OpCase("prod", "a.prod()", [(T(2, 3),), (T(),)], domain="nonzero"),
    OpCase("prod.dim", "a.prod(b, keepdim=c)", _RED_DIM, domain="nonzero", covers=("prod",)),
    OpCase("var", "a.var()", [(T(2, 3),), (T(5, view="strided"),)]),
    OpCase("var.dim", "a.var(b, keepdim=c)", _RED_DIM, covers=("var",)),
    OpCase("var.correction", "a.var(b, correction=0)", [(T(2, 3), 1)], covers=("var",)),
    OpCase("std", "a.std()", [(T(2, 3),)]),
    OpCase("std.dim", "a.std(b, keepdim=c)", _RED_DIM, covers=("std",)),
    OpCase("max", "a.max()", [(T(2, 3),), (T(),)]),
    OpCase("max.dim", "a.max(b, keepdim=c)", _RED_DIM[:1] + _RED_DIM[2:], covers=("max",)),
    OpCase("max.other", "a.max(b)", [(T(2, 3), T(3))], covers=("max",)),
    OpCase("min", "a.min()", [(T(2, 3),), (T(),)]),
    OpCase("min.dim", "a.min(b, keepdim=c)", _RED_DIM[:1] + _RED_DIM[2:], covers=("min",)),
    OpCase("min.other", "a.min(b)", [(T(2, 3), T(3))], covers=("min",)),
    OpCase("amax", "a.amax(b, keepdim=c)", _RED_DIM),
    OpCase("amin", "a.amin(b, keepdim=c)", _RED_DIM),
    OpCase("argmax", "a.argmax()", [(T(2, 3),)], **_FWD),
    OpCase("argmax.dim", "a.argmax(b, keepdim=c)", [(T(2, 3, 4), -1, True), (T(2, 3), 0, False)],
           covers=("argmax",), **_FWD),
    OpCase("argmin", "a.argmin(b, keepdim=c)", [(T(2, 3, 4), -1, True), (T(2, 3), 0, False)], **_FWD),
    OpCase("logsumexp", "a.logsumexp(b, keepdim=c)", _RED_DIM, fused="logsumexp"),
    OpCase("norm", "a.norm()", [(T(2, 3),), (T(4, view="strided"),)]),
    OpCase("norm.p", "a.norm(b, c)", [(T(2, 3), 1, 1), (T(3, 2), 3, 0)], domain="nonzero",
           covers=("norm",)),
    OpCase("norm.inf", "a.norm(float('inf'))", [(T(2, 3),)], covers=("norm",)),
    OpCase("cumsum", "a.cumsum(b)", [(T(2, 3), 1), (T(4), -1), (T(3, 2, view="transposed"), 0)]),
    OpCase("all", "a.all(b)", [(Mask((2, 3)), None), (Mask((2, 3)), 1)], **_FWD),
    OpCase("any", "a.any(b)", [(Mask((2, 3)), None), (Mask((2, 3)), -1)], **_FWD),
    # ---- shape ------------------------------------------------------------------------------
    OpCase("reshape", "a.reshape(b)", [(T(2, 3), (3, 2)), (T(2, 3, view="transposed"), (-1,)),
                                       (T(), (1, 1)), (T(0, 3), (3, 0))]),
    OpCase("view", "a.view(b)", [(T(2, 3), (6,)), (T(2, 3), (-1, 2))]),
    OpCase("view_as", "a.view_as(b)", [(T(2, 3), T(3, 2, grad=False))]),
    OpCase("reshape_as", "a.reshape_as(b)", [(T(2, 3), T(6, grad=False))]),
    OpCase("permute", "a.permute(b)", [(T(2, 3, 4), (2, 0, 1)), (T(2, 3, 4), (-1, 0, 1))]),
    OpCase("transpose", "a.transpose(b, c)", [(T(2, 3, 4), 0, -1), (T(2, 3), 1, 0)],
           covers=("transpose", "swapaxes", "swapdims")),
    OpCase("movedim", "a.movedim(b, c)", [(T(2, 3, 4), 0, -1), (T(2, 3, 4), (0, 2), (2, 0)),
                                          (T(2, 3), 1, 0)], covers=("movedim", "moveaxis")),
    OpCase("t", "a.t()", [(T(2, 3),), (T(3),)]),
    OpCase("expand", "a.expand(b)", [(T(3, 1), (2, 3, 4)), (T(3, 1), (-1, 4)), (T(), (2,)),
                                     (T(3), (3, 3))]),  # a new leading dim of the same size
    OpCase("expand_as", "a.expand_as(b)", [(T(3, 1), T(2, 3, 4, grad=False))]),
    OpCase("broadcast_to", "a.broadcast_to(b)", [(T(1, 3), (2, 3))]),
    OpCase("squeeze", "a.squeeze()", [(T(2, 1, 3),), (T(1),)]),
    OpCase("squeeze.dim", "a.squeeze(b)", [(T(2, 1, 3), 1), (T(2, 1, 3), -2), (T(2, 3), 0)],
           covers=("squeeze",)),
    OpCase("unsqueeze", "a.unsqueeze(b)", [(T(2, 3), 0), (T(2, 3), -1), (T(), 0)]),
    OpCase("flatten", "a.flatten()", [(T(2, 3, 4),), (T(),)]),
    OpCase("flatten.dims", "a.flatten(b, c)", [(T(2, 3, 4), 1, 2), (T(2, 3, 4), 0, -2)],
           covers=("flatten",)),
    OpCase("unflatten", "a.unflatten(b, c)", [(T(2, 6), 1, (2, 3)), (T(6), -1, (3, -1))]),
    OpCase("split", "a.split(b, c)", [(T(5, 2), 2, 0), (T(2, 5), [2, 3], -1)]),
    OpCase("chunk", "a.chunk(b, c)", [(T(5, 2), 3, 0), (T(2, 4), 2, -1)]),
    OpCase("unbind", "a.unbind(b)", [(T(2, 3), 1), (T(2, 3), 0)]),
    OpCase("flip", "a.flip(b)", [(T(2, 3), (0,)), (T(2, 3, 4), (-1, 0))]),
    OpCase("roll", "a.roll(b, c)", [(T(2, 3), 1, 1), (T(2, 3), (1, -1), (0, 1)), (T(2, 3), 2, None)]),
    OpCase("repeat", "a.repeat(*b)", [(T(2, 3), (2, 1)), (T(3), (2, 2))]),
    OpCase("tile", "a.tile(b)", [(T(2, 3), (2,)), (T(3), (2, 2))]),
    OpCase("narrow", "a.narrow(b, c, d)", [(T(4, 3), 0, 1, 2), (T(4, 3), -1, 0, 1)]),
    OpCase("select", "a.select(b, c)", [(T(2, 3), 1, 1), (T(3, 2), 0, -1), (T(2, 3, 2), -1, 0)]),
    OpCase("diagonal", "a.diagonal(b, c, d)", [(T(3, 4), 0, 0, 1), (T(3, 4), 1, 0, 1),
                                               (T(4, 3), -2, 1, 0), (T(2, 3, 4), -1, 2, -3)]),
    OpCase("unfold", "a.unfold(b, c, d)", [(T(7,), 0, 3, 1), (T(2, 6), 1, 2, 2),
                                           (T(5, 3), 0, 2, 3), (T(2, 4, 3), -2, 4, 1)]),
    OpCase("cat", "xgrad.cat([a, b], c)", [(T(2, 3), T(1, 3), 0), (T(2, 3), T(2, 0), -1),
                                           (T(0, 3), T(2, 3), 0),
                                           (T(2, 3, view="transposed"), T(2, 1), 1)],
           covers=("xgrad.cat", "xgrad.concat", "xgrad.concatenate")),
    OpCase("stack", "xgrad.stack([a, b], c)", [(T(2, 3), T(2, 3), 0), (T(3), T(3), -1)],
           covers=("xgrad.stack",)),
    # ---- indexing ---------------------------------------------------------------------------
    OpCase("gather", "a.gather(b, c)", [(T(3, 4), 1, Idx((3, 2), 4)), (T(3, 4), 0, Idx((2, 4), 3))]),
    OpCase("scatter", "a.scatter(b, c, d)", [(T(3, 4), 1, Idx((3, 2), 4, unique=1), T(3, 2))]),
    OpCase("scatter.value", "a.scatter(b, c, value=0.5)", [(T(3, 4), 1, Idx((3, 2), 4, unique=1))],
           covers=("scatter",)),
    OpCase("scatter_add", "a.scatter_add(b, c, d)", [(T(3, 4), 1, Idx((3, 5), 4), T(3, 5)),
                                                     (T(3, 4), 0, Idx((4, 4), 3), T(4, 4))]),
    OpCase("index_select", "a.index_select(b, c)", [(T(4, 3), 0, Idx((5,), 4)), (T(4, 3), -1, Idx((2,), 3))]),
    OpCase("masked_fill", "a.masked_fill(b, c)", [(T(2, 3), Mask((2, 3)), 0.5), (T(2, 3), Mask((3,)), -1.0)]),
    OpCase("tril", "a.tril(b)", [(T(3, 4), 0), (T(2, 3, 3), -1), (T(4, 3), 2), (T(0, 3), 0)],
           covers=("tril", "xgrad.tril")),
    OpCase("triu", "a.triu(b)", [(T(3, 4), 0), (T(2, 3, 3), 1), (T(4, 3), -2),
                                 (T(3, 4, view="transposed"), 0)],
           covers=("triu", "xgrad.triu")),
    OpCase("take_along_dim", "a.take_along_dim(b, c)", [(T(3, 4), Idx((3, 2), 4), 1)]),
    OpCase("index_put_add", "a.index_put_add((b,), c)", [(T(4, 3), Idx((5,), 4), T(5, 3))]),
    OpCase("__getitem__", "a[b]", [(T(4, 3), 1), (T(4, 3), (slice(None), slice(1, 3))),
                                   (T(4, 3), (Ellipsis, slice(None, None, 2))), (T(4, 3), (None, 0)),
                                   (T(4, 3), -1), (T(4, 3), Idx((5,), 4)), (T(4, 3), Mask((4, 3))),
                                   (T(4, 3), Mask((4,)))]),
    OpCase("__getitem__.adv", "a[b, c]", [(T(4, 3), Idx((5,), 4), Idx((5,), 3)),
                                          (T(4, 3), Idx((2,), 4), slice(0, 2))], covers=("__getitem__",)),
    OpCase("__setitem__", "setitem(a, b, c)", [(T(4, 3), (slice(None), 1), T(4)), (T(4, 3), 0, 2.5),
                                               (T(4, 3), Mask((4, 3)), 0.0),
                                               (T(4, 3), (slice(1, 3),), T(2, 3)),
                                               (T(4, 3), Const([3, 0], "int64"), T(2, 3))]),
    # ---- linear algebra ---------------------------------------------------------------------
    OpCase("matmul", "a.matmul(b)", [(T(2, 3), T(3, 2)), (T(3), T(3, 2)), (T(2, 3), T(3)), (T(3), T(3)),
                                     (T(2, 1, 2, 3), T(3, 3, 2)), (T(2, 0), T(0, 3)),
                                     (T(3, 2, view="transposed"), T(2, 2, view="strided"))]),
    OpCase("__matmul__", "a @ b", [(T(2, 3), T(3, 2))]),
    OpCase("__rmatmul__", "a.__rmatmul__(b)", [(T(2, 2), [[1.0, 2.0], [0.5, -1.0]])]),
    OpCase("mm", "a.mm(b)", [(T(2, 3), T(3, 4))]),
    OpCase("bmm", "a.bmm(b)", [(T(2, 2, 3), T(2, 3, 2))]),
    OpCase("dot", "a.dot(b)", [(T(4), T(4))]),
    OpCase("outer", "a.outer(b)", [(T(3), T(4))]),
    OpCase("einsum", "xgrad.einsum(c, a, b)", [(T(2, 3), T(3, 4), "ij,jk->ik"), (T(2, 3), T(3), "ij,j->i"),
                                              (T(2, 2, 3), T(2, 3), "bij,bj->bi")], covers=("xgrad.einsum",)),
    OpCase("einsum.unary", "xgrad.einsum(b, a)", [(T(2, 3, 2), "bij->bji"), (T(2, 3), "ij->j")],
           covers=("xgrad.einsum",)),
    # ---- sorting ----------------------------------------------------------------------------
    OpCase("sort", "a.sort(b)", [(T(2, 4), -1), (T(3, 2), 0)]),
    OpCase("sort.descending", "a.sort(b, descending=True)", [(T(2, 4), 1)], covers=("sort",)),
    OpCase("argsort", "a.argsort(b)", [(T(2, 4), -1), (T(3, 2), 0)], **_FWD),
    OpCase("topk", "a.topk(b)", [(T(2, 5), 2), (T(6), 3)]),
    OpCase("topk.smallest", "a.topk(b, dim=0, largest=False)", [(T(4, 3), 2)], covers=("topk",)),
    # ---- integer and bool inputs (sums promote to int64, as PyTorch) ---------------------------
    OpCase("sum.int", "a.sum()", [(Const([[1, -2, 3], [4, 5, -6]], "int32"),),
                                  (Const([True, False, True], "bool"),),
                                  (Const([2147483647, 1, 2147483647], "int32"),),
                                  (Const([], "int64"),)], covers=("sum",), **_FWD),
    OpCase("sum.dim.int", "a.sum(b, keepdim=c)", [(Const([[1, 2, 3], [4, 5, 6]], "int32"), 0, False),
                                                  (Const([[True, False], [True, True]], "bool"), 1, True)],
           covers=("sum",), **_FWD),
    OpCase("prod.int", "a.prod()", [(Const([[2, -3], [4, 5]], "int32"),), (Const([True, True], "bool"),)],
           covers=("prod",), **_FWD),
    OpCase("cumsum.int", "a.cumsum(b)", [(Const([[1, 2, 3], [4, 5, 6]], "int32"), 1),
                                         (Const([True, False, True, True], "bool"), 0)],
           covers=("cumsum",), **_FWD),
    OpCase("amax.int", "a.amax(b)", [(Const([[3, 7, 7], [-1, -5, 2]], "int32"), 1),
                                     (Const([[True, False], [False, False]], "bool"), 0)],
           covers=("amax",), **_FWD),
    OpCase("argmax.int", "a.argmax(b)", [(Const([[3, 7, 7], [-1, -5, 2]], "int32"), 1),
                                         (Const([[2, 2], [2, 2]], "int64"), 0)],
           covers=("argmax",), **_FWD),
    OpCase("sort.int", "a.sort(b, descending=c)", [(Const([[3, 1, 3, -2], [0, 0, 5, 1]], "int32"), 1, False),
                                                   (Const([[3, 1, 3, -2], [0, 0, 5, 1]], "int64"), 1, True),
                                                   (Const([True, False, True, False], "bool"), 0, False)],
           covers=("sort",), **_FWD),
    # ---- empty, 0-d and size-1 reductions -------------------------------------------------------
    OpCase("reduce.empty", "(a.sum(), a.prod(), a.sum(0), a.prod(0), a.cumsum(0))",
           [(T(0),), (T(0, 3),)], covers=("sum", "prod", "cumsum"), **_FWD),
    OpCase("reduce.size1", "(a.sum(b), a.prod(b), a.amax(b), a.argmax(b), a.cumsum(b), a.mean(b))",
           [(T(1, 3), 0), (T(3, 1), 1), (T(1), 0)], covers=("sum", "prod", "amax", "argmax", "cumsum",
                                                         "mean")),
    OpCase("reduce.size1.keepdim", "(a.sum(b, True), a.prod(b, True), a.amax(b, True), "
           "a.amin(b, True), a.mean(b, True))", [(T(1, 3), 0), (T(3, 1), 1), (T(1), 0)],
           covers=("sum", "prod", "amax", "amin", "mean")),
    OpCase("reduce.0d", "(a.sum(), a.prod(), a.amax(), a.argmax(), a.sum(0), a.cumsum(0), a.mean())",
           [(T(),)], covers=("sum", "prod", "amax", "argmax", "cumsum", "mean")),
    # ---- ties: the contract's tie rules (stable sort, first of equal extrema) ----------------
    OpCase("sort.ties", "a.sort(b)", [(T(3, 6), -1), (T(5, 2), 0)], domain=TIES,
           covers=("sort",), **_FWD),
    OpCase("sort.descending.ties", "a.sort(b, descending=True)", [(T(3, 6), 1), (T(6, 2), 0)],
           domain=TIES, covers=("sort",), **_FWD),
    OpCase("argsort.ties", "a.argsort(b, descending=c)", [(T(2, 7), -1, False), (T(7, 2), 0, True)],
           domain=TIES, covers=("argsort",), **_FWD),
    OpCase("topk.ties", "a.topk(b, dim=c, largest=d)", [(T(3, 6), 3, 1, True), (T(6, 2), 2, 0, False)],
           domain=TIES, covers=("topk",), **_FWD),
    OpCase("argmax.ties", "a.argmax(b)", [(T(4, 5), 1), (T(5, 3), 0), (T(6), 0)], domain=TIES,
           covers=("argmax",), **_FWD),
    OpCase("argmin.ties", "a.argmin(b)", [(T(4, 5), 1), (T(5, 3), 0)], domain=TIES,
           covers=("argmin",), **_FWD),
    OpCase("max.dim.ties", "a.max(b)", [(T(4, 5), 1), (T(5, 3), 0)], domain=TIES,
           covers=("max",), **_FWD),
    OpCase("min.dim.ties", "a.min(b)", [(T(4, 5), 1), (T(5, 3), 0)], domain=TIES,
           covers=("min",), **_FWD),
    OpCase("max.dim.ties.grad", "xgrad.autograd.grad(a.requires_grad_().max(b)[0].sum(), a)[0]",
           [(T(4, 5), 1), (T(5, 3), 0)], domain=TIES, covers=("max",), **_FWD),
    OpCase("amax.ties.grad", "xgrad.autograd.grad(a.requires_grad_().amax(b).sum(), a)[0]",
           [(T(4, 5), 1), (T(4, 5), (0, 1))], domain=TIES, covers=("amax",), **_FWD),
    OpCase("max_pool2d.ties", "fused.max_pool2d(a, b, c, d, e, f)",
           [(T(1, 2, 4, 4), (2, 2), (2, 2), (0, 0), (1, 1), False),
            (T(1, 1, 5, 5), (3, 3), (1, 1), (1, 1), (1, 1), False)],
           domain=TIES, fused="max_pool2d", covers=("fused.max_pool2d",), **_FWD),
    OpCase("max_pool2d_backward.ties", "fused.max_pool2d_backward(a, b, c, d, e, f, g)",
           [(T(1, 2, 4, 4), T(1, 2, 2, 2, dom="real"), (2, 2), (2, 2), (0, 0), (1, 1), False),
            (T(1, 1, 5, 5), T(1, 1, 5, 5, dom="real"), (3, 3), (1, 1), (1, 1), (1, 1), False)],
           domain=TIES, fused="max_pool2d_backward", covers=("fused.max_pool2d_backward",), **_FWD),
    # ---- composite and fused ----------------------------------------------------------------
    OpCase("softmax", "a.softmax(b)", [(T(2, 4), -1), (T(3, 2), 0), (T(2, 3, view="transposed"), 1)],
           fused="softmax"),
    OpCase("log_softmax", "a.log_softmax(b)", [(T(2, 4), -1), (T(3, 2), 0),
                                               (T(2, 3, view="transposed"), 1)], fused="log_softmax"),
    OpCase("cross_entropy", "fused.cross_entropy_rows(a, b)", [(T(3, 4), Idx((3,), 4)),
                                                                (T(1, 5), Idx((1,), 5))],
           fused="cross_entropy", covers=("fused.cross_entropy",)),
    OpCase("cross_entropy_grad", "fused.apply_fused(fused.CROSS_ENTROPY_GRAD, (a, b, c), ())",
           [(T(3, 4), Idx((3,), 4), T(3)), (T(1, 5), Idx((1,), 5), T(1))],
           fused="cross_entropy_grad", covers=("fused.cross_entropy_grad",)),
    OpCase("gelu", "fused.gelu(a)", _UNARY[:2], fused="gelu", covers=("fused.gelu",)),
    OpCase("gelu.tanh", "fused.gelu(a, 'tanh')", _UNARY[:2], fused="gelu", covers=("fused.gelu",)),
    OpCase("linear", "fused.linear(a, b, c)", [(T(2, 3), T(4, 3), T(4)), (T(2, 2, 3), T(4, 3), T(4)),
                                              (T(3), T(2, 3), T(2))],
           fused="linear", covers=("fused.linear",)),
    OpCase("linear.nobias", "fused.linear(a, b)", [(T(2, 3), T(4, 3))], fused="linear",
           covers=("fused.linear",)),
    OpCase("conv2d", "fused.conv2d_nobias(a, b, c, d, (1, 1), 1)",
           [(T(1, 2, 4, 4), T(3, 2, 2, 2), (1, 1), (0, 0)), (T(1, 1, 4, 4), T(2, 1, 3, 3), (2, 2), (1, 1))],
           fused="conv2d", covers=("fused.conv2d",)),
    OpCase("conv2d.unequal", "fused.conv2d_nobias(a, b, c, d, e, 1)",
           [(T(1, 1, 5, 6), T(2, 1, 3, 2), (2, 1), (1, 0), (1, 1)),
            (T(1, 1, 4, 7), T(2, 1, 2, 3), (1, 2), (0, 1), (1, 2))],
           fused="conv2d", covers=("fused.conv2d",)),
    OpCase("conv2d.groups", "fused.conv2d_nobias(a, b, (1, 1), (0, 0), c, 2)",
           [(T(1, 2, 3, 3), T(2, 1, 2, 2), (1, 1)), (T(1, 2, 4, 4), T(4, 1, 2, 2), (2, 2))],
           fused="conv2d", covers=("fused.conv2d",)),
    OpCase("conv2d_weight_grad", "fused.conv2d_weight_grad(a, b, (3, 2, 2, 2), c, d, (1, 1), 1)",
           [(T(1, 2, 4, 4), T(1, 3, 3, 3), (1, 1), (0, 0)),
            (T(1, 2, 4, 4), T(1, 3, 2, 2), (2, 2), (0, 0))],
           fused="conv2d_weight_grad", covers=("fused.conv2d_weight_grad",)),
    OpCase("conv2d_input_grad", "fused.conv2d_input_grad(a, b, (4, 4), c, d, (1, 1), 1)",
           [(T(1, 3, 3, 3), T(3, 2, 2, 2), (1, 1), (0, 0)),
            (T(1, 2, 2, 2), T(2, 1, 3, 3), (2, 2), (1, 1))],
           fused="conv2d_input_grad", covers=("fused.conv2d_input_grad",)),
    OpCase("max_pool2d", "fused.max_pool2d(a, b, c, d, e, f)",
           [(T(1, 2, 4, 4), (2, 2), (2, 2), (0, 0), (1, 1), False),
            (T(1, 1, 5, 5), (3, 2), (2, 1), (1, 1), (1, 2), True)],
           fused="max_pool2d", covers=("fused.max_pool2d",)),
    OpCase("max_pool2d.unequal", "fused.max_pool2d(a, b, c, d, e, f)",
           [(T(1, 1, 5, 6), (2, 3), (1, 2), (1, 0), (1, 1), False),
            (T(1, 1, 6, 5), (3, 2), (2, 1), (0, 1), (2, 1), True)],
           fused="max_pool2d", covers=("fused.max_pool2d",)),
    OpCase("max_pool2d_backward", "fused.max_pool2d_backward(a, b, c, d, e, f, g)",
           [(T(1, 2, 4, 4), T(1, 2, 2, 2), (2, 2), (2, 2), (0, 0), (1, 1), False),
            (T(1, 1, 5, 5), T(1, 1, 3, 3), (3, 3), (2, 2), (1, 1), (1, 1), True)],
           fused="max_pool2d_backward", covers=("fused.max_pool2d_backward",)),
    # ---- special functions, searching, counting, order statistics, matrix helpers ---------
    OpCase("lgamma", "a.lgamma()", [(T(2, 3),), (T(),), (T(0, 2),)], domain="frac",
           covers=("lgamma", "xgrad.lgamma")),
    OpCase("lgamma.pos", "a.lgamma()", [(T(2, 3),)], domain="pos", covers=("lgamma",)),
    OpCase("digamma", "a.digamma()", [(T(2, 3),), (T(),)], domain="frac",
           covers=("digamma", "xgrad.digamma")),
    OpCase("nan_to_num", "a.nan_to_num(b)", [(T(2, 3), 0.5), (T(), 0.0)]),
    OpCase("nan_to_num.special", "(a / (a - a)).nan_to_num(b, 3.0, -4.0)", [(T(2, 3), 0.5)],
           covers=("nan_to_num",), **_FWD),
    # not float16: a 1e-3 perturbation is below its ulp, so the result hangs on the last
    # rounding bit of a + b * 1e-3, which backends may round once or twice
    OpCase("isclose", "a.isclose(a + b * 1e-3, rtol=0.0, atol=c)",
           [(T(2, 3), T(2, 3), 1.5e-3), (T(4), T(4), 0.0)], dtypes=("float32", "float64"), **_FWD),
    OpCase("allclose", "a * 0 + float(a.allclose(a + b * 1e-3, atol=c))",
           [(T(2, 3), T(2, 3), 3e-3), (T(4), T(4), 1e-6)], dtypes=("float32", "float64"), **_FWD),
    OpCase("cummax", "a.cummax(b)", [(T(2, 5), 1), (T(6), 0), (T(3, 2, view="transposed"), 0)]),
    OpCase("cummax.ties", "a.cummax(b)", [(T(3, 6), 1), (T(7), 0)], domain=TIES,
           covers=("cummax",), **_FWD),
    OpCase("cummin", "a.cummin(b)", [(T(2, 5), 1), (T(6), 0), (T(), 0)]),
    OpCase("cummin.ties", "a.cummin(b)", [(T(3, 6), 1)], domain=TIES, covers=("cummin",), **_FWD),
    # named .dim so that selectors ending in "exp]" (the suite self-test) match exp alone
    OpCase("logcumsumexp.dim", "a.logcumsumexp(b)", [(T(2, 5), 1), (T(7), 0), (T(3, 2), 0)],
           covers=("logcumsumexp", "xgrad.logcumsumexp")),
    OpCase("diff", "a.diff(b, c)", [(T(2, 5), 1, -1), (T(4, 3), 2, 0), (T(6), 3, 0)]),
    OpCase("diff.prepend", "a.diff(1, -1, b, c)", [(T(2, 4), T(2, 1), T(2, 2))], covers=("diff",)),
    OpCase("count_nonzero", "(a * (a > 0)).count_nonzero(b)", [(T(3, 4), None), (T(3, 4), 1),
                                                              (T(2, 3, 2), (0, 2))], **_FWD),
    OpCase("meshgrid", "xgrad.meshgrid(a, b, indexing=c)", [(T(3), T(4), "ij"), (T(2), T(3), "xy")],
           covers=("xgrad.meshgrid",)),
    OpCase("trace", "a.trace()", [(T(3, 3),), (T(3, 4),), (T(4, 2),)]),
    OpCase("diag", "a.diag(b)", [(T(3, 4), 0), (T(3, 4), 1), (T(4, 3), -2), (T(4), 0), (T(3), -1),
                                 (T(2), 2)]),
    OpCase("kron", "a.kron(b)", [(T(2, 3), T(2, 2)), (T(3), T(2, 2)), (T(2, 1, 2), T(2, 2))]),
    OpCase("cross", "a.cross(b, dim=c)", [(T(4, 3), T(4, 3), 1), (T(3, 2), T(3, 1), 0)]),
    OpCase("cdist", "xgrad.cdist(a, b, c)", [(T(4, 3), T(5, 3), 2.0), (T(2, 3, 2), T(2, 4, 2), 1.0),
                                             (T(3, 2), T(4, 2), 3.0),
                                             (T(3, 2), T(2, 2), float("inf"))],
           covers=("xgrad.cdist",)),
    OpCase("triu_indices", "(xgrad.triu_indices(b, c, d, device=a.device), a * 1)",
           [(T(2), 3, 4, 0), (T(2), 4, 3, -1)], covers=("xgrad.triu_indices",), **_FWD),
    OpCase("tril_indices", "(xgrad.tril_indices(b, c, d, device=a.device), a * 1)",
           [(T(2), 3, 4, 1), (T(2), 0, 3, 0)], covers=("xgrad.tril_indices",), **_FWD),
    OpCase("nonzero", "(a * (a > 0)).nonzero(as_tuple=b)", [(T(3, 4), False), (T(2, 3), True),
                                                           (T(5), False)], **_FWD),
    OpCase("argwhere", "(a * (a > 0)).argwhere()", [(T(3, 4),)], **_FWD),
    OpCase("unique", "a.unique(return_inverse=True, return_counts=True)", [(T(3, 5),), (T(7),)],
           domain=TIES, **_FWD),
    OpCase("bucketize", "xgrad.bucketize(a, b, right=c)",
           [(T(3, 4), Const([-1.0, 0.0, 0.5, 1.5]), False),
            (T(5), Const([-1.0, 0.0, 0.5, 1.5]), True)], covers=("xgrad.bucketize",), **_FWD),
    OpCase("searchsorted", "xgrad.searchsorted(a.sort(-1)[0], b, side=c)",
           [(T(2, 4), T(2, 3), "left"), (T(5), T(3, 2), "right")],
           covers=("xgrad.searchsorted",), **_FWD),
    OpCase("searchsorted.ties", "xgrad.searchsorted(a.sort(-1)[0], b, right=c)",
           [(T(6), T(4), False), (T(6), T(4), True)], domain=TIES,
           covers=("xgrad.searchsorted",), **_FWD),
    OpCase("histc", "a.histc(b, c, d)", [(T(3, 4), 5, -2.0, 2.0), (T(6), 4, 0.0, 0.0),
                                         (T(8), 3, -1.0, 1.0)],
           dtypes=("float32", "float64"), **_FWD),  # float16: a value on a bin edge flips bins
    OpCase("histogram", "a.histogram(b, range=(-2.0, 2.0))[0]", [(T(3, 4), 5), (T(6), 3)], **_FWD),
    OpCase("histogram.edges", "a.histogram(b, density=True)[0]",
           [(T(8), Const([-2.0, -0.5, 0.0, 1.0, 2.0]))], covers=("histogram",), **_FWD),
    OpCase("bincount", "a.bincount(minlength=b)", [(Idx((6,), 5), 0), (Idx((4,), 3), 6)], **_FWD),
    OpCase("bincount.weights", "a.bincount(b)", [(Idx((6,), 4), T(6))], covers=("bincount",),
           **_FWD),
    OpCase("kthvalue", "a.kthvalue(b, c)", [(T(3, 4), 2, 1), (T(5), 5, 0), (T(4, 3), 1, 0)]),
    OpCase("kthvalue.keepdim", "a.kthvalue(b, c, True)", [(T(3, 4), 3, -1)], covers=("kthvalue",)),
    OpCase("median", "a.median()", [(T(3, 4),), (T(5),), (T(),)]),
    OpCase("median.dim", "a.median(b, c)", [(T(3, 4), 1, False), (T(4, 3), 0, True)],
           covers=("median",)),
    OpCase("mode", "a.mode(b)", [(T(3, 4), 1), (T(5), 0)]),
    OpCase("mode.ties", "a.mode(b)", [(T(3, 7), 1), (T(8), 0)], domain=TIES, covers=("mode",),
           **_FWD),
    OpCase("quantile", "a.quantile(b, dim=c, interpolation=d)",
           [(T(3, 5), 0.3, 1, "linear"), (T(3, 5), 0.7, None, "lower"),
            (T(4, 3), 0.5, 0, "higher"), (T(6), 0.45, 0, "midpoint"),
            (T(6), 0.5, 0, "nearest")]),
    OpCase("quantile.tensor_q", "a.quantile(b, dim=1, keepdim=True)",
           [(T(2, 5), Const([0.1, 0.5, 0.9]))], covers=("quantile",), **_FWD),
    OpCase("nanquantile", "a.nanquantile(b, dim=c)", [(T(3, 5), 0.3, 1), (T(6), 0.8, None)]),
    # ---- in-place forms that are not derived automatically ------------------------------------
    OpCase("copy_", "a.clone().copy_(b)", [(T(2, 3), T(3)), (T(2, 3), T(2, 3, view="transposed"))]),
    OpCase("fill_", "a.clone().fill_(b)", [(T(2, 3), 0.5)], **_FWD),
    OpCase("zero_", "a.clone().zero_()", [(T(2, 3),)], **_FWD),
]

#: ``name_`` in-place method -> the case its samples and expression derive from.
INPLACE_OF: dict[str, str] = {n + "_": n for n in (
    "add", "sub", "mul", "div", "pow", "clamp", "clamp_min", "clamp_max", "neg", "relu",
    "masked_fill", "exp", "sqrt", "abs", "sigmoid", "tanh", "log", "scatter", "scatter_add",
    "floor_divide", "remainder", "maximum", "minimum", "sign", "reciprocal", "square")}
INPLACE_OF.update({"clip_": "clamp", "__iadd__": "add", "__isub__": "sub", "__imul__": "mul",
                   "__itruediv__": "div", "__ipow__": "pow"})
INPLACE_OF.update({"tril_": "tril", "triu_": "triu"})
INPLACE_OF.update({f"logical_{n}_": f"logical_{n}" for n in ("and", "or", "xor", "not")})


def _fits_inplace(sample: tuple) -> bool:
    """Whether the op's output has the first input's shape (needed to write into it)."""
    first = sample[0]
    if not isinstance(first, (T, Mask)):
        return False
    shapes = [s.shape for s in sample if isinstance(s, (T, Mask))]
    try:
        import numpy as np

        return tuple(np.broadcast_shapes(*shapes)) == first.shape
    except ValueError:
        return False


def _inplace_cases(base: dict[str, OpCase]) -> list[OpCase]:
    out = []
    for name, of in INPLACE_OF.items():
        b = base[of]
        call = name if name.startswith("__") else name
        prefix = f"a.{of}("
        assert isinstance(b.fn, str) and b.fn.startswith(prefix), of
        fn = f"a.clone().{call}(" + b.fn[len(prefix):]
        keeps_shape = of in ("scatter", "scatter_add", "masked_fill")
        samples = [s for s in b.inputs if keeps_shape or _fits_inplace(s)]
        out.append(OpCase(name, fn, samples, domain=b.domain, dtypes=b.dtypes, grad=b.grad,
                          grad2=b.grad2, covers=(name,), tol=b.tol))
    return out


register(*_TABLE)
register(*_inplace_cases({c.name: c for c in _TABLE}))
