"""Result dtypes (and shapes) of every primitive, called directly in every dtype the backend
declares, against the contract's rules (:data:`xgrad.backend_checks.RULES`).

A backend whose library silently changes dtypes (float64 computed as float32, int64
indices as int32) fails here with the primitive named, rather than deep inside some op.
"""
from __future__ import annotations

from typing import Any

import pytest
import xgrad
from xgrad.backend_checks import BackendContractError, check_result
from xgrad.conformance.checks import ConformanceFailure
from xgrad.conformance.prim_samples import SAMPLES, dtypes_for, make_calls
from xgrad.conformance.selection import selection


def dtype_params(backend: str) -> list[tuple[str, str, str]]:
    """``(backend, dtype, primitive)`` for every ``prim.dtype`` check of ``backend``."""
    be = xgrad.backends.get_backend(backend)
    declared = {d.name for d in be.dtypes}
    out = []
    for name in SAMPLES:
        if name == "assign" and not getattr(be, "mutable", True):
            continue  # an immutable backend need not implement assign
        out += [(backend, dt, name) for dt in dtypes_for(name, declared)]
    return out


def pytest_generate_tests(metafunc: Any) -> None:
    if "xgrad_pdtype" in metafunc.fixturenames:
        sel = selection(metafunc.config)
        metafunc.parametrize("xgrad_pdtype", [
            pytest.param(p, id=f"{p[0]}-{p[1]}-prim.dtype.{p[2]}")
            for be in sel.backends for p in dtype_params(be)])


def test_primitive_dtype(xgrad_pdtype: tuple) -> None:
    """Each call's results have the dtype (and shape) the contract's rule gives."""
    backend, dtype, name = xgrad_pdtype
    be = xgrad.backends.get_backend(backend)
    fn = getattr(be, name)
    fn = getattr(fn, "__xgrad_unchecked__", fn)  # the debug mode's checking wrapper raises itself
    for args in make_calls(be, name, dtype):
        out = fn(*args)
        try:
            check_result(be, name, args, out)
        except BackendContractError as exc:
            raise ConformanceFailure(f"{exc} [in {dtype}]") from None
