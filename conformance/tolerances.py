"""Tolerances of the conformance checks, derived from the dtype under test.

``(rtol, atol)`` per check. A value passes when ``|got - want| <= atol + rtol * |want|``
elementwise; the directional gradient check (one scalar ``<grad, u>`` for a unit random
direction ``u``) uses ``atol * sqrt(n) + rtol * ||grad||`` so cancellation cannot hide or
fake a mismatch.

Settings (the ``numerics`` column says in which dtype finite differences are evaluated):

=================  ========  ============  ============  ============  ======
setting            numerics  forward       grad          gradgrad      fd eps
=================  ========  ============  ============  ============  ======
float64            float64   1e-7, 1e-9    1e-5, 1e-6    1e-4, 1e-5    1e-6
float32            float64   1e-5, 1e-5    1e-4, 1e-5    1e-3, 1e-4    1e-6
float32 (no f64)   float32   1e-5, 1e-5    1e-2, 1e-2    5e-2, 5e-2    5e-3
float16            float64   1e-2, 1e-2    5e-2, 5e-2    1e-1, 1e-1    1e-6
float16 (no f64)   float32   1e-2, 1e-2    5e-2, 5e-2    1e-1, 1e-1    5e-3
=================  ========  ============  ============  ============  ======

Forward values are always compared with the reference backend's float64 result on the
same (dtype-rounded) inputs. Integer and bool results must match exactly. ``fused`` (fused
kernel against its decomposition, same backend and dtype) uses the forward tolerance for
values and the grad tolerance for gradients. ``OpCase.tol`` and the
``pytest_xgrad_tolerance`` hook may override any entry.
"""
from __future__ import annotations

__all__ = ["TABLE", "EPS", "tolerance", "fd_eps", "setting"]

TABLE: dict[str, dict[str, tuple[float, float]]] = {
    "float64": {"forward": (1e-7, 1e-9), "grad": (1e-5, 1e-6), "gradgrad": (1e-4, 1e-5)},
    "float32": {"forward": (1e-5, 1e-5), "grad": (1e-4, 1e-5), "gradgrad": (1e-3, 1e-4)},
    "float32-nof64": {"forward": (1e-5, 1e-5), "grad": (1e-2, 1e-2), "gradgrad": (5e-2, 5e-2)},
    "float16": {"forward": (1e-2, 1e-2), "grad": (5e-2, 5e-2), "gradgrad": (1e-1, 1e-1)},
    "float16-nof64": {"forward": (1e-2, 1e-2), "grad": (5e-2, 5e-2), "gradgrad": (1e-1, 1e-1)},
}

#: Finite-difference step per numerics dtype.
EPS: dict[str, float] = {"float64": 1e-6, "float32": 5e-3, "float16": 5e-2}


def setting(dtype: str, has_float64: bool) -> str:
    """The row of :data:`TABLE` for ``dtype`` on a backend with/without float64."""
    if dtype == "float64" or has_float64:
        return dtype
    return f"{dtype}-nof64"


def tolerance(check: str, dtype: str, has_float64: bool = True) -> tuple[float, float]:
    """``(rtol, atol)`` of ``check`` (forward, grad, gradgrad, fused) in ``dtype``."""
    row = TABLE[setting(dtype, has_float64)]
    if check == "fused":
        check = "forward"
    return row.get(check, row["forward"])


def fd_eps(numerics_dtype: str) -> float:
    """Central-difference step for finite differences evaluated in ``numerics_dtype``."""
    return EPS[numerics_dtype]
