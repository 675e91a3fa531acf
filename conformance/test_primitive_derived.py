"""Optional primitives against their decompositions (contract version 2).

A backend that implements an optional primitive (:data:`xgrad.backend.OPTIONAL_PRIMITIVES`)
must agree with the decomposition into the required core that a backend without it gets
(:data:`xgrad.backend_derived.DERIVED`, run on the same backend): same dtype and shape,
values equal (floats within the forward tolerance, NaN where NaN), on ordinary inputs and,
for floating elementwise primitives, on ±inf, NaN, ±0 and tiny values.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xgrad
from xgrad.backend import OPTIONAL_PRIMITIVES
from xgrad.backend_derived import DERIVED
from xgrad.conformance.checks import ConformanceFailure
from xgrad.conformance.prim_samples import dtypes_for, make_calls
from xgrad.conformance.selection import selection
from xgrad.conformance.tolerances import tolerance

#: floating elementwise primitives that also get the special-value inputs (one or two operands)
_SPECIAL_UNARY = ("abs", "sign", "isnan", "isinf", "log1p", "expm1")
_SPECIAL_BINARY = ("sub", "maximum", "minimum", "ne", "gt", "le", "ge")
_SPECIALS = (float("inf"), float("-inf"), float("nan"), 0.0, -0.0, 1e-30, -1e-30, 1e-4, -1e-4,
             0.5, -0.75, 3.0, 1e4, -1e4)


def derived_params(backend: str) -> list[tuple[str, str, str]]:
    """``(backend, dtype, primitive)`` for each optional primitive ``backend`` implements."""
    be = xgrad.backends.get_backend(backend)
    declared = {d.name for d in be.dtypes}
    return [(backend, dt, name) for name in OPTIONAL_PRIMITIVES if be.implements(name)
            for dt in dtypes_for(name, declared)]


def pytest_generate_tests(metafunc: Any) -> None:
    if "xgrad_derived" in metafunc.fixturenames:
        sel = selection(metafunc.config)
        metafunc.parametrize("xgrad_derived", [
            pytest.param(p, id=f"{p[0]}-{p[1]}-prim.derived.{p[2]}")
            for be in sel.backends for p in derived_params(be)])


def _special_calls(be: Any, name: str, dtype: str) -> list[tuple]:
    from xgrad.dtypes import dtype_from_name

    if not dtype.startswith("float"):
        return []
    dt = dtype_from_name(dtype)
    v = np.array(_SPECIALS, dtype=np.float64)
    if name in _SPECIAL_UNARY:
        return [(be.from_numpy(v, dt),)]
    if name in _SPECIAL_BINARY:
        return [(be.from_numpy(v[:, None], dt), be.from_numpy(v[None, :], dt))]
    return []


def _host(be: Any, out: Any) -> list[np.ndarray]:
    outs = out if isinstance(out, tuple) else (out,)
    return [np.asarray(be.to_numpy(o)) for o in outs]


def test_primitive_derived(xgrad_derived: tuple) -> None:
    """The backend's own kernel gives the decomposition's result."""
    backend, dtype, name = xgrad_derived
    be = xgrad.backends.get_backend(backend)
    fn = getattr(be, name)
    fn = getattr(fn, "__xgrad_unchecked__", fn)
    has64 = xgrad.float64 in be.dtypes
    rtol, atol = tolerance("forward", dtype if dtype.startswith("float") else "float64", has64)
    for args in make_calls(be, name, dtype) + _special_calls(be, name, dtype):
        got, want = _host(be, fn(*args)), _host(be, DERIVED[name](be, *args))
        for g, w in zip(got, want):
            same = g.shape == w.shape and g.dtype == w.dtype and (
                np.allclose(g.astype(np.float64), w.astype(np.float64), rtol=rtol, atol=atol,
                            equal_nan=True) if g.dtype.kind == "f" else np.array_equal(g, w))
            if not same:
                shown = [f"array{list(a.shape)}" if hasattr(a, "shape") else repr(a)
                         for a in args]
                raise ConformanceFailure(
                    f"{name}({', '.join(shown)}) on {backend!r} in {dtype} differs from its "
                    f"decomposition into the required primitives (xgrad.backend_derived."
                    f"{name}):\n  backend:       {g.dtype}{list(g.shape)} {g.reshape(-1)[:8]}\n"
                    f"  decomposition: {w.dtype}{list(w.shape)} {w.reshape(-1)[:8]}")
