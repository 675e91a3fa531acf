"""Cases of ``xgrad.linalg`` and the linalg rows of the op table (registered on import).

Inputs are made well-conditioned inside each expression, from the generated sample ``a``
(drawn from the ``unit`` domain, entries in (-0.85, 0.85)):

* ``WC`` — ``a + 3 I``: strictly diagonally dominant, so inv/solve/det are tame;
* ``SPD`` — ``a a^T + n I``: symmetric positive-definite (cholesky, logdet, hermitian pinv);
* ``EIG`` — ``sym(a) + diag(0, 6, 12, ...)``: eigenvalues at least ~0.9 apart (the eigh
  gradient divides by their differences);
* ``SV`` — ``a + diag(8, 16, 24, ...)`` (rectangular): singular values apart and far from 0.

Eigen- and singular vectors are only defined up to sign, so cases return them squared.
Float16 is not a linalg dtype (PyTorch refuses it too): float32 and float64 only.
"""
from __future__ import annotations

from .spec import OpCase, T, register

__all__ = ["LINALG_CASES"]

_EYE = "xgrad.eye({m}, {n}, dtype=a.dtype, device=a.device)"
_AR = "xgrad.arange({n}, dtype=a.dtype, device=a.device)"
_N = "a.shape[-1]"
_M = "a.shape[-2]"
WC = f"(a + 3 * {_EYE.format(m=_N, n=_N)})"
SPD = f"(a @ a.mT + {_N} * {_EYE.format(m=_N, n=_N)})"
EIG = f"(0.5 * (a + a.mT) + 6 * {_EYE.format(m=_N, n=_N)} * {_AR.format(n=_N)})"
SV = f"(a + 8 * {_EYE.format(m=_M, n=_N)} * ({_AR.format(n=_N)} + 1))"
_DT = ("float32", "float64")
_SQ = [(T(3, 3),), (T(2, 3, 3),), (T(3, 3, view="transposed"),)]
_RECT = [(T(4, 3),), (T(3, 4),), (T(2, 3, 2),)]


#: The linalg primitives each case needs, forward and backward (a backend without one
#: skips the case): by the case name's first two parts.
_NEEDS = {
    "linalg.inv": ("linalg_inv",), "inverse": ("linalg_inv",),
    "linalg.det": ("linalg_det", "linalg_inv"), "det": ("linalg_det", "linalg_inv"),
    "linalg.slogdet": ("linalg_slogdet", "linalg_inv"), "logdet": ("linalg_slogdet", "linalg_inv"),
    "linalg.solve": ("linalg_solve",), "linalg.cholesky": ("linalg_cholesky", "linalg_solve"),
    "linalg.qr": ("linalg_qr", "linalg_solve"), "linalg.eigh": ("linalg_eigh",),
    "linalg.eigvalsh": ("linalg_eigh",), "linalg.svd": ("linalg_svd",),
    "linalg.svdvals": ("linalg_svd",), "linalg.pinv": ("linalg_svd", "linalg_eigh"),
    "pinverse": ("linalg_svd",), "linalg.lstsq": ("linalg_svd",),
    "linalg.matrix_norm.svd": ("linalg_svd",),
}


def _c(name: str, fn: str, inputs: list, covers: tuple = (), **kw) -> OpCase:
    parts = name.split(".")
    needs = _NEEDS.get(name, _NEEDS.get(".".join(parts[:2]), _NEEDS.get(parts[0], ())))
    return OpCase(name, fn, inputs, domain=kw.pop("domain", "unit"), dtypes=_DT,
                  covers=covers or (name,), requires=needs, **kw)


LINALG_CASES = [
    _c("linalg.inv", f"xgrad.linalg.inv({WC})", _SQ),
    _c("inverse", f"{WC}.inverse()", [(T(3, 3),)], ("inverse", "xgrad.inverse")),
    _c("linalg.det", f"xgrad.linalg.det({WC})", _SQ + [(T(2, 2),)]),
    _c("det", f"{WC}.det()", [(T(3, 3),)], ("det", "xgrad.det")),
    _c("linalg.slogdet", f"xgrad.linalg.slogdet({WC}).logabsdet", _SQ,
       ("linalg.slogdet", "slogdet", "xgrad.slogdet")),
    _c("linalg.slogdet.negative", f"({WC} * -1.0).slogdet()[1]", [(T(3, 3),)],
       ("linalg.slogdet", "slogdet")),
    _c("linalg.slogdet.sign", f"xgrad.linalg.slogdet({WC} * -1.0).sign", [(T(3, 3),), (T(2, 2),)],
       ("linalg.slogdet",), grad=False, grad2=False),
    _c("logdet", f"xgrad.logdet({SPD})", [(T(3, 3),), (T(2, 2, 2),)], ("logdet", "xgrad.logdet")),
    _c("linalg.solve", f"xgrad.linalg.solve({WC}, b)",
       [(T(3, 3), T(3, 2)), (T(2, 3, 3), T(3)), (T(3, 3), T(2, 3, 1)), (T(2, 3, 3), T(2, 3))]),
    _c("linalg.solve.right", f"xgrad.linalg.solve({WC}, b, left=False)", [(T(3, 3), T(2, 3))],
       ("linalg.solve",)),
    _c("linalg.cholesky", f"xgrad.linalg.cholesky({SPD})", [(T(3, 3),), (T(2, 3, 3),)]),
    _c("linalg.cholesky.upper", f"xgrad.linalg.cholesky({SPD}, upper=True)", [(T(3, 3),)],
       ("linalg.cholesky",)),
    _c("linalg.qr", "tuple(xgrad.linalg.qr(a))", [(T(4, 3),), (T(3, 3),), (T(3, 5),),
                                                  (T(2, 3, 2),)], domain="nonzero"),
    # float32: the backward's triangular solves leave ~1e-5 of rounding in near-zero entries
    # (seed 13: analytic -1.01e-5 where the float64 difference quotient gives 0)
    _c("linalg.qr.complete", "tuple(xgrad.linalg.qr(a, mode='complete'))", [(T(3, 4),), (T(3, 3),)],
       ("linalg.qr",), domain="nonzero", tol={"grad:float32": (1e-4, 3e-5)}),
    _c("linalg.qr.r", "xgrad.linalg.qr(a, mode='r').R", [(T(4, 3),)], ("linalg.qr",),
       domain="nonzero", grad=False, grad2=False),
    _c("linalg.eigh", f"(lambda r: (r[0], r[1] ** 2))(xgrad.linalg.eigh({EIG}))",
       [(T(3, 3),), (T(2, 3, 3),), (T(2, 2),)]),
    _c("linalg.eigh.U", f"(lambda r: (r[0], r[1] ** 2))(xgrad.linalg.eigh({EIG}, UPLO='U'))",
       [(T(3, 3),)], ("linalg.eigh",)),
    _c("linalg.eigvalsh", f"xgrad.linalg.eigvalsh({EIG})", [(T(3, 3),), (T(2, 2, 2),)]),
    _c("linalg.svd", f"(lambda r: (r[0] ** 2, r[1], r[2] ** 2))(xgrad.linalg.svd({SV}, False))",
       _RECT),
    _c("linalg.svd.full", f"(lambda r: (r[0] ** 2, r[1], r[2] ** 2))(xgrad.linalg.svd({SV}))",
       [(T(3, 3),)], ("linalg.svd",)),
    _c("linalg.svdvals", f"xgrad.linalg.svdvals({SV})", _RECT),
    _c("linalg.pinv", f"xgrad.linalg.pinv({SV})", [(T(4, 3),), (T(2, 3),)]),
    _c("linalg.pinv.hermitian", f"xgrad.linalg.pinv({SPD}, hermitian=True)", [(T(3, 3),)],
       ("linalg.pinv",)),
    _c("pinverse", f"{SV}.pinverse()", [(T(4, 3),)], ("pinverse", "xgrad.pinverse")),
    _c("linalg.lstsq", f"xgrad.linalg.lstsq({SV}, b).solution", [(T(4, 3), T(4, 2)),
                                                                 (T(4, 2), T(4))]),
    _c("linalg.matrix_exp", "xgrad.linalg.matrix_exp(a)", [(T(3, 3),), (T(2, 2, 2),)],
       ("linalg.matrix_exp", "xgrad.matrix_exp")),
    _c("matrix_exp", "(a * 1.5).matrix_exp()", [(T(3, 3),)], domain="real"),
    _c("linalg.vector_norm", "xgrad.linalg.vector_norm(a, b, c)",
       [(T(2, 3), 2, None), (T(2, 3), 1, 1), (T(3, 4), float("inf"), (0, 1)), (T(4), 3, 0),
        (T(2, 3), 0.5, -1), (T(2, 3), float("-inf"), 0)], domain="nonzero"),
    _c("linalg.matrix_norm", "xgrad.linalg.matrix_norm(a, b)",
       [(T(3, 4), "fro"), (T(2, 3, 3), 1), (T(3, 4), float("inf")), (T(3, 2), -1)],
       domain="nonzero"),
    _c("linalg.matrix_norm.svd", f"xgrad.linalg.matrix_norm({SV}, b)",
       [(T(4, 3), "nuc"), (T(3, 4), 2), (T(2, 3, 2), -2)], ("linalg.matrix_norm",)),
    _c("linalg.norm", "xgrad.linalg.norm(a, b, c, True)",
       [(T(2, 3), None, None), (T(3, 4), "fro", (0, 1)), (T(4), 1, None), (T(2, 3), 2, 0)],
       domain="nonzero"),
]

register(*LINALG_CASES)
