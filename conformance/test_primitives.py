"""Contract paths of primitives that the frontend never takes, called directly.

The contract promises numpy semantics for some primitive arguments the frontend normalizes
away before dispatch (negative integer indices, negative slice steps, ``broadcast_to`` adding
leading dimensions, 1-d ``matmul`` operands). Other callers of a backend (a compiler, a
plugin, a future frontend path) may rely on them, so each is checked here against the
reference backend: movement results exactly, ``matmul`` within the forward tolerance.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import xgrad
from xgrad.conformance.checks import ConformanceFailure
from xgrad.conformance.selection import selection
from xgrad.conformance.tolerances import tolerance

_S = slice

#: name -> (primitive, argument shapes (``None`` = a non-array argument), the non-array args)
CALLS: dict[str, tuple[str, tuple, tuple]] = {
    "getitem.negative_int": ("getitem", ((4, 3),), ((-1,), (-2, _S(None)), (_S(None), -1))),
    "getitem.negative_step": ("getitem", ((5, 4),), (
        (_S(None, None, -1),), (_S(None, None, -2),), (_S(3, 0, -2), _S(None, None, -3)))),
    "broadcast_to.new_dims": ("broadcast_to", ((3,),), ((3, 3), (2, 3), (2, 3, 3))),
    "matmul.1d": ("matmul", (), (((3,), (3, 4)), ((2, 3), (3,)), ((3,), (3,)), ((2, 2, 3), (3,)))),
}


#: name -> (primitive, arguments: arrays given as shapes, ``"mask"`` an all-true bool array):
#: edge cases where a shortcut returning an input is tempting and the contract forbids it
FRESH: dict[str, tuple[str, tuple]] = {
    "copy": ("copy", ((2, 3),)),
    "cast.same_dtype": ("cast", ((2, 3), "dtype")),
    "concatenate.one": ("concatenate", ([(2, 3)], 0)),
    "pad.zero_widths": ("pad", ((2, 3), ((0, 0), (0, 0)), 0.0)),
    "where.all_true": ("where", ("mask", (2, 3), (2, 3))),
    "index_put.whole": ("index_put", ((2, 3), (slice(None), slice(None)), (2, 3))),
    "maximum.all_greater": ("maximum", ((2, 3), -1e30)),
    "sum.no_axes": ("sum", ((2, 3), (), False)),
}


def pytest_generate_tests(metafunc: Any) -> None:
    if "xgrad_fresh" in metafunc.fixturenames:
        sel = selection(metafunc.config)
        dt = "float32" if "float32" in sel.dtypes else sel.dtypes[0]
        metafunc.parametrize("xgrad_fresh", [
            pytest.param((be, dt, name), id=f"{be}-{dt}-prim.fresh.{name}")
            for be in sel.backends for name in FRESH])
    if "xgrad_prim" in metafunc.fixturenames:
        sel = selection(metafunc.config)
        dt = "float32" if "float32" in sel.dtypes else sel.dtypes[0]
        metafunc.parametrize("xgrad_prim", [
            pytest.param((be, dt, name), id=f"{be}-{dt}-prim.{name}")
            for be in sel.backends for name in CALLS])


def _calls(name: str, rng: np.random.Generator, dtype: str) -> list[tuple[np.ndarray, ...]]:
    prim, shapes, extra = CALLS[name]
    if prim == "matmul":
        return [tuple(rng.standard_normal(s).astype(dtype) for s in pair) for pair in extra]
    x = rng.standard_normal(shapes[0]).astype(dtype)
    return [(x, e) for e in extra]


def test_primitive_contract(xgrad_prim: tuple) -> None:
    """The primitive on the backend under test gives the reference backend's result."""
    from xgrad.dtypes import dtype_from_name

    backend, dtype, name = xgrad_prim
    prim = CALLS[name][0]
    be, ref = xgrad.backends.get_backend(backend), xgrad.backends.get_backend("reference")
    dt = dtype_from_name(dtype)
    rtol, atol = tolerance("forward", dtype, dt in be.dtypes and xgrad.float64 in be.dtypes)
    for args in _calls(name, np.random.default_rng(0), dtype):
        results = []
        for b in (be, ref):
            native = [b.from_numpy(a, dt) if isinstance(a, np.ndarray) else a for a in args]
            results.append(np.asarray(b.to_numpy(getattr(b, prim)(*native))))
        got, want = results
        ok = got.shape == want.shape and got.dtype == want.dtype and (
            np.allclose(got, want, rtol=rtol, atol=atol) if prim == "matmul"
            else np.array_equal(got, want))
        if not ok:
            shown = [f"array{list(a.shape)}" if isinstance(a, np.ndarray) else repr(a) for a in args]
            raise ConformanceFailure(
                f"{prim}({', '.join(shown)}) on {backend!r} in {dtype} differs from the reference "
                f"backend:\n  got:  {got.dtype}{list(got.shape)} {got.reshape(-1)[:8]}\n"
                f"  want: {want.dtype}{list(want.shape)} {want.reshape(-1)[:8]}")


def test_primitive_returns_fresh_array(xgrad_fresh: tuple) -> None:
    """On a mutable backend the result of a primitive that must return a new array shares
    no storage with its inputs: writing into it (``assign``) leaves every input unchanged."""
    from xgrad.dtypes import dtype_from_name

    backend, dtype, name = xgrad_fresh
    be = xgrad.backends.get_backend(backend)
    if not getattr(be, "mutable", True):
        pytest.skip(f"{backend!r} is immutable: a shared array cannot be written")
    prim, spec = FRESH[name]
    dt = dtype_from_name(dtype)
    rng = np.random.default_rng(0)
    arrays: list[Any] = []

    def native(a: Any) -> Any:
        if a == "mask":
            arr = be.from_numpy(np.ones((2, 3), dtype=bool), xgrad.bool)
        elif a == "dtype":
            return dt
        elif isinstance(a, list):
            return [native(x) for x in a]
        elif isinstance(a, tuple) and all(isinstance(n, int) for n in a) and a:
            arr = be.from_numpy(rng.standard_normal(a).astype(dtype), dt)
        else:
            return a
        arrays.append(arr)
        return arr

    args = [native(a) for a in spec]
    before = [np.array(be.to_numpy(a)) for a in arrays]
    out = getattr(be, prim)(*args)
    be.assign(out, be.full(tuple(out.shape), 7, be.dtype(out)))
    for k, (a, b) in enumerate(zip(arrays, before)):
        after = np.asarray(be.to_numpy(a))
        if not np.array_equal(after, b):
            raise ConformanceFailure(
                f"{prim} on {backend!r} ({name}) returned an array that shares storage with "
                f"input array {k}: writing into the result changed that input (the contract "
                f"asks for a new array):\n  before: {b.reshape(-1)[:6]}\n  after:  "
                f"{after.reshape(-1)[:6]}")
