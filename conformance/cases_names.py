"""Cases for the PyTorch names real programs use that were added as decompositions: inverse
hyperbolic and error functions, xlogy/hypot/logaddexp/fmax, lerp/addcmul/addcdiv, the
BLAS-style products, stacking and splitting, NaN-aware reductions and index fills/copies.
Each in-place form has its own case (writing into a clone of the first input)."""
from __future__ import annotations

from .cases import _fits_inplace
from .spec import Const, Idx, Mask, OpCase, T, register

_FWD = {"grad": False, "grad2": False}
_UNARY = [(T(2, 3),), (T(),), (T(0, 2),), (T(3, 2, view="transposed"),)]


def _u(name: str, domain, aliases: tuple = ()) -> OpCase:
    return OpCase(name, f"a.{name}()", _UNARY, domain=domain, covers=(name, *aliases))


_TABLE = [
    # ---- elementwise math -----------------------------------------------------------------
    _u("asinh", "real", ("arcsinh",)),
    _u("acosh", ((1.2, 3.0),), ("arccosh",)),
    _u("atanh", "unit", ("arctanh",)),
    # both sides of erfc's switch (1 - erf below 2, a continued fraction above)
    _u("erfc", ((-1.5, 1.8), (2.2, 2.8))),
    _u("erfinv", ((-0.9, -0.55), (-0.45, 0.45), (0.55, 0.9))),
    _u("logit", ((0.1, 0.9),)),
    OpCase("logit.eps", "a.logit(eps=0.05)", [(T(2, 3, dom=((0.1, 0.9),)),)], covers=("logit",)),
    OpCase("xlogy", "a.xlogy(b)", [(T(2, 3), T(3, dom="pos")), (T(2, 3), 1.5),
                                   (T(3), T(2, 1, dom="pos"))]),
    OpCase("xgrad.xlogy.number", "xgrad.xlogy(1.5, a)", [(T(2, 3, dom="pos"),)],
           covers=("xgrad.xlogy",)),
    OpCase("hypot", "a.hypot(b)", [(T(2, 3, dom="nonzero"), T(3, dom="nonzero")),
                                   (T(2, 1, dom="nonzero"), T(1, 3, dom="nonzero"))]),
    OpCase("logaddexp", "a.logaddexp(b)", [(T(2, 3), T(3)), (T(2, 1), T(1, 3))]),
    OpCase("logaddexp2", "a.logaddexp2(b)", [(T(2, 3), T(3)), (T(2, 1), T(1, 3))]),
    OpCase("fmax", "a.fmax(b)", [(T(2, 3), T(3)), (T(2, 1), T(1, 3))]),
    OpCase("fmin", "a.fmin(b)", [(T(2, 3), T(3)), (T(2, 1), T(1, 3))]),
    OpCase("fmax.nan", "a.masked_fill(c, float('nan')).fmax(b)",
           [(T(2, 3), T(2, 3), Mask((2, 3)))], covers=("fmax",)),
    # ---- arithmetic -----------------------------------------------------------------------
    OpCase("lerp", "a.lerp(b, c)", [(T(2, 3), T(3), 0.3), (T(2, 3), T(3), 0.8),
                                    (T(2, 3), T(2, 3), T(2, 3))]),
    OpCase("addcmul", "a.addcmul(b, c, value=d)", [(T(2, 3), T(3), T(2, 1), 0.5),
                                                   (T(3), T(3), T(3), 1)]),
    OpCase("addcdiv", "a.addcdiv(b, c, value=d)", [(T(2, 3), T(3), T(2, 1, dom="pos"), -0.5),
                                                   (T(3), T(3), T(3, dom="pos"), 1)]),
    # ---- linear algebra -------------------------------------------------------------------
    OpCase("mv", "a.mv(b)", [(T(2, 3), T(3)), (T(3, 2, view="transposed"), T(2))]),
    OpCase("addmm", "a.addmm(b, c, beta=d, alpha=e)",
           [(T(2, 3), T(2, 4), T(4, 3), 0.5, 2.0), (T(3), T(2, 4), T(4, 3), 1, 1),
            (T(2, 3), T(2, 2), T(2, 3), 0, -1.0)]),
    OpCase("addmv", "a.addmv(b, c, beta=d, alpha=e)",
           [(T(2), T(2, 3), T(3), 0.5, 2.0), (T(), T(3, 2), T(2), 1, 1)]),
    OpCase("baddbmm", "a.baddbmm(b, c, beta=d, alpha=e)",
           [(T(2, 2, 3), T(2, 2, 4), T(2, 4, 3), 0.5, 2.0), (T(3), T(2, 2, 2), T(2, 2, 3), 1, 1)]),
    OpCase("addbmm", "a.addbmm(b, c, beta=d, alpha=e)",
           [(T(2, 3), T(3, 2, 2), T(3, 2, 3), 0.5, 2.0)]),
    OpCase("inner", "a.inner(b)", [(T(2, 3), T(4, 3)), (T(3), T(3)), (T(), T(2, 2))]),
    OpCase("tensordot", "xgrad.tensordot(a, b, c)",
           [(T(2, 3, 2), T(3, 2, 2), 2), (T(2, 3), T(4, 2), ([0], [1])), (T(2, 3), T(3, 2), 0)],
           covers=("xgrad.tensordot",)),
    # ---- reductions -----------------------------------------------------------------------
    OpCase("nansum", "a.masked_fill(c, float('nan')).nansum(b)",
           [(T(2, 3), None, Mask((2, 3))), (T(2, 3), 1, Mask((2, 3)))]),
    OpCase("nansum.int", "a.nansum()", [(Const([[1, -2, 3], [4, 5, 6]], "int64"),)],
           covers=("nansum",), **_FWD),
    OpCase("nanmean", "a.masked_fill(c, float('nan')).nanmean(b)",
           [(T(2, 3), None, Const([[True, False, False], [False, True, False]], "bool")),
            (T(3, 2), 1, Const([[True, False], [False, False], [False, True]], "bool"))]),
    OpCase("aminmax", "a.aminmax()", [(T(2, 3),)]),
    OpCase("aminmax.dim", "a.aminmax(dim=b, keepdim=c)", [(T(2, 3), 1, False), (T(2, 3), 0, True)],
           covers=("aminmax",)),
    OpCase("var_mean", "xgrad.var_mean(a, b, correction=c)", [(T(2, 3), 1, 1), (T(4), None, 0)],
           covers=("xgrad.var_mean",)),
    OpCase("std_mean", "xgrad.std_mean(a, b, keepdim=c)", [(T(2, 3), 0, True), (T(4), None, False)],
           covers=("xgrad.std_mean",)),
    # ---- shape and movement ---------------------------------------------------------------
    OpCase("hstack", "xgrad.hstack([a, b])", [(T(2, 3), T(2, 1)), (T(3), T(2)), (T(), T(2))],
           covers=("xgrad.hstack",)),
    OpCase("vstack", "xgrad.vstack([a, b])", [(T(2, 3), T(1, 3)), (T(3), T(3))],
           covers=("xgrad.vstack", "xgrad.row_stack")),
    OpCase("dstack", "xgrad.dstack([a, b])", [(T(2, 3), T(2, 3)), (T(3), T(3)), (T(2, 2, 1), T(2, 2))],
           covers=("xgrad.dstack",)),
    OpCase("column_stack", "xgrad.column_stack([a, b])", [(T(3), T(3, 2)), (T(), T(1))],
           covers=("xgrad.column_stack",)),
    *[OpCase(n, f"xgrad.{n}(a)", [(T(),), (T(3),), (T(2, 3),), (T(1, 2, 2),)], covers=(f"xgrad.{n}",))
      for n in ("atleast_1d", "atleast_2d", "atleast_3d")],
    OpCase("atleast_2d.many", "xgrad.atleast_2d(a, b)", [(T(), T(3))], covers=("xgrad.atleast_2d",)),
    OpCase("ravel", "a.ravel()", [(T(2, 3),), (T(3, 2, view="transposed"),), (T(),)]),
    OpCase("rot90", "a.rot90(b, c)", [(T(2, 3), 1, [0, 1]), (T(2, 3), 2, [0, 1]), (T(2, 3), -1, [1, 0]),
                                      (T(2, 2, 3), 3, [0, 2]), (T(2, 3), 4, [0, 1])]),
    OpCase("flipud", "a.flipud()", [(T(2, 3),), (T(3),)]),
    OpCase("fliplr", "a.fliplr()", [(T(2, 3),), (T(2, 3, 2),)]),
    OpCase("tensor_split", "a.tensor_split(b, c)", [(T(5, 2), 3, 0), (T(2, 5), [1, 3], 1),
                                                    (T(4, 2), [-1, 6], 0), (T(3), 4, 0)]),
    OpCase("broadcast_tensors", "xgrad.broadcast_tensors(a, b)", [(T(2, 1), T(3)), (T(), T(2, 2))],
           covers=("xgrad.broadcast_tensors",)),
    OpCase("repeat_interleave", "a.repeat_interleave(b, c)",
           [(T(2, 3), 2, 1), (T(2, 3), Const([1, 0, 2], "int64"), 1), (T(3), 3, None),
            (T(2, 2), Const([2], "int64"), 0)]),
    # ---- indexing -------------------------------------------------------------------------
    OpCase("masked_select", "a.masked_select(b)", [(T(2, 3), Mask((2, 3))), (T(2, 3), Mask((3,))),
                                                   (T(3), Mask((2, 3)))]),
    OpCase("index_fill", "a.index_fill(b, c, d)", [(T(4, 3), 0, Idx((2,), 4), 0.5),
                                                   (T(4, 3), -1, Idx((3,), 3), -1.0)]),
    OpCase("index_copy", "a.index_copy(b, c, d)", [(T(4, 3), 0, Idx((2,), 4, unique=0), T(2, 3)),
                                                   (T(2, 4), 1, Idx((3,), 4, unique=0), T(2, 3))]),
    OpCase("index_add", "a.index_add(b, c, d, alpha=e)",
           [(T(4, 3), 0, Idx((5,), 4), T(5, 3), 1.0), (T(2, 4), -1, Idx((3,), 4), T(2, 3), -0.5)]),
    OpCase("index_put", "a.index_put((b,), c)", [(T(4, 3), Idx((2,), 4, unique=0), T(2, 3)),
                                                 (T(4, 3), Idx((2,), 4, unique=0), T(3))]),
    OpCase("index_put.accumulate", "a.index_put((b, c), d, accumulate=True)",
           [(T(4, 3), Idx((5,), 4), Idx((5,), 3), T(5))], covers=("index_put",)),
    *[OpCase(f"scatter_reduce.{r}", f"a.scatter_reduce(b, c, d, '{r}', include_self=e)",
             [(T(3, 4), 0, Idx((2, 3), 3), T(2, 3), True), (T(3, 4), 1, Idx((3, 2), 4), T(3, 2), False)],
             covers=("scatter_reduce",)) for r in ("sum", "prod", "mean", "amax", "amin")],
    OpCase("nanmedian", "a.masked_fill(c, float('nan')).nanmedian(b)",
           [(T(3, 4), 1, Const([[True, False, False, False], [False, False, False, False],
                                [False, True, True, False]], "bool")),
            (T(3), 0, Const([False, False, False], "bool"))]),
    OpCase("nanmedian.all", "a.masked_fill(b, float('nan')).nanmedian()",
           [(T(2, 3), Const([[True, False, False], [False, True, False]], "bool"))],
           covers=("nanmedian",)),
    OpCase("take", "a.take(b)", [(T(3, 4), Idx((2, 3), 12)), (T(3, 2, view="transposed"), Idx((4,), 6))]),
]

_INPLACE = {
    "asinh_": ("asinh", "arcsinh_"), "acosh_": ("acosh", "arccosh_"),
    "atanh_": ("atanh", "arctanh_"), "erfc_": ("erfc",), "erfinv_": ("erfinv",),
    "logit_": ("logit",), "xlogy_": ("xlogy",), "hypot_": ("hypot",), "lerp_": ("lerp",),
    "addcmul_": ("addcmul",), "addcdiv_": ("addcdiv",), "addmm_": ("addmm",),
    "addmv_": ("addmv",), "baddbmm_": ("baddbmm",), "addbmm_": ("addbmm",),
    "index_fill_": ("index_fill",), "index_copy_": ("index_copy",), "index_add_": ("index_add",),
    "index_put_": ("index_put",), "scatter_reduce_": ("scatter_reduce.amax",),
}


def _inplace(base: dict[str, OpCase]) -> list[OpCase]:
    """``a.clone().<op>_(...)`` for each in-place form, on the samples whose result has the
    first input's shape."""
    out = []
    for name, (of, *aliases) in _INPLACE.items():
        b = base[of]
        of = of.split(".")[0]
        prefix = f"a.{of}("
        fn = f"a.clone().{name}(" + b.fn[len(prefix):]
        samples = [s for s in b.inputs if isinstance(s[0], T) and s[0].view is None and
                   _keeps_shape(of, s)]
        out.append(OpCase(name, fn, samples, domain=b.domain, covers=(name, *aliases)))
    return out


def _keeps_shape(of: str, sample: tuple) -> bool:
    rank = {"addmm": 2, "addbmm": 2, "addmv": 1, "baddbmm": 3}.get(of)
    if rank is not None:  # the product's shape: the first input must already have it
        return len(sample[0].shape) == rank
    return of in ("index_fill", "index_copy", "index_add", "index_put", "scatter_reduce") or \
        _fits_inplace(sample)


register(*_TABLE)
register(*_inplace({c.name: c for c in _TABLE}))
