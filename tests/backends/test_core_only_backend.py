"""Contract v2: a backend with only the required core runs everything, the optional
primitives coming from their decompositions (:mod:`xgrad.backend_derived`). The whole
conformance suite runs on it in CI (``PYTEST_PLUGINS=core_only xgrad-conformance
core_only``, see ``.ci/run``); these tests check the decompositions against numpy's own
kernels on the edge cases, and training against the numpy backend."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from core_only import CoreOnlyBackend, plugin
from xgrad.backend import OPTIONAL_PRIMITIVES, PRIMITIVES, REQUIRED_PRIMITIVES, describe_backend
from xgrad.backends.numpy import NumpyBackend
from xgrad.registry import REGISTRY, register_plugin

CORE, NP = CoreOnlyBackend(), NumpyBackend()
SPECIAL = np.array([np.inf, -np.inf, np.nan, 0.0, -0.0, 1e-300, -1e-300, 1e-8, -1e-8, 0.5,
                    -0.75, 3.0, 700.0, -700.0, 1e308])


@pytest.fixture
def core():
    with REGISTRY.isolated():
        register_plugin(plugin, name="core-only")
        yield "core_only"


def _run(be, name, *args):
    conv = [be.from_numpy(a, be_dtype(a)) if isinstance(a, np.ndarray) else a for a in args]
    out = getattr(be, name)(*conv)
    return tuple(np.asarray(be.to_numpy(o)) for o in out) if isinstance(out, tuple) else \
        np.asarray(be.to_numpy(out))


def be_dtype(a):
    return {"float64": xgrad.float64, "float32": xgrad.float32, "float16": xgrad.float16,
            "int64": xgrad.int64, "int32": xgrad.int32, "bool": xgrad.bool}[a.dtype.name]


def test_the_core_is_small_and_the_rest_is_optional():
    assert len(REQUIRED_PRIMITIVES) <= 40
    assert set(REQUIRED_PRIMITIVES) | set(OPTIONAL_PRIMITIVES) == set(PRIMITIVES)
    info = describe_backend(CORE)
    assert info["missing_primitives"] == []
    assert sorted(info["derived_primitives"]) == sorted(OPTIONAL_PRIMITIVES)
    assert not any(CORE.implements(n) for n in OPTIONAL_PRIMITIVES)
    assert all(NP.implements(n) for n in PRIMITIVES)


@pytest.mark.parametrize("name", ["abs", "sign", "isnan", "isinf", "log1p", "expm1"])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_unary_decompositions_on_special_values(name, dtype):
    with np.errstate(all="ignore"):
        x = SPECIAL.astype(dtype)
        got, want = _run(CORE, name, x), getattr(np, name)(x)
    assert got.dtype == want.dtype
    if name in ("abs", "sign"):  # the zero's sign too: abs(-0.0) and sign(-0.0) are +0.0
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want) & ~np.isnan(want))
    ulp = {"float16": 2e-3, "float32": 3e-7, "float64": 5e-16}[dtype]
    np.testing.assert_allclose(got, want, rtol=4 * ulp, atol=0)  # tiny inputs by relative error


@pytest.mark.parametrize("name", ["sub", "maximum", "minimum", "ne", "gt", "le", "ge",
                                  "logical_and", "logical_or", "logical_xor"])
def test_binary_decompositions_on_every_special_pair(name):
    a, b = SPECIAL[:, None], SPECIAL[None, :]
    if name.startswith("logical"):
        a, b = a != 0, b > 0
    got = _run(CORE, name, a, b)
    with np.errstate(all="ignore"):
        want = getattr(np, {"sub": "subtract", "ne": "not_equal", "gt": "greater",
                            "le": "less_equal", "ge": "greater_equal"}.get(name, name))(a, b)
    np.testing.assert_array_equal(got, want)
    if name == "sub":  # signed zeros too (a NaN's sign bit means nothing)
        np.testing.assert_array_equal(np.signbit(got) & ~np.isnan(got),
                                      np.signbit(want) & ~np.isnan(want))


def test_scalar_operands():
    x = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(_run(CORE, "sub", 1.0, x), 1.0 - x)
    np.testing.assert_array_equal(_run(CORE, "sub", x, 2.0), x - 2.0)
    np.testing.assert_array_equal(_run(CORE, "maximum", x, 0.0), np.maximum(x, 0.0))
    np.testing.assert_array_equal(_run(CORE, "minimum", 1.0, x), np.minimum(1.0, x))
    np.testing.assert_array_equal(_run(CORE, "ge", x, 0.0), x >= 0)
    np.testing.assert_array_equal(_run(CORE, "logical_and", x != 0, True), x != 0)


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_integer_min_argmin_remainder_at_the_extremes(dtype):
    info = np.iinfo(dtype)
    x = np.array([[3, info.min, info.max, -1], [0, 0, info.min, info.min]], dtype=dtype)
    np.testing.assert_array_equal(_run(CORE, "min", x, (1,), False), x.min(axis=1))
    np.testing.assert_array_equal(_run(CORE, "argmin", x, 1, True), x.argmin(1)[:, None])
    a = np.array([7, -7, 7, -7, 0], dtype=dtype)
    b = np.array([3, 3, -3, -3, 5], dtype=dtype)
    np.testing.assert_array_equal(_run(CORE, "remainder", a, b), np.remainder(a, b))


def test_float_min_argmin_nan_and_ties():
    x = np.array([[2.0, -1.0, -1.0, 5.0], [1.0, np.nan, -3.0, np.nan]])
    np.testing.assert_array_equal(_run(CORE, "argmin", x, 1, False), np.argmin(x, 1))
    np.testing.assert_array_equal(_run(CORE, "min", x, (0, 1), True), np.min(x, (0, 1), keepdims=True))
    b = np.array([True, False, True])
    assert _run(CORE, "argmin", b, 0, False) == 1 and not _run(CORE, "min", b, (0,), False)


def test_remainder_floats_has_the_divisors_sign():
    a = np.array([5.5, -5.5, 5.5, -5.5, 0.25, -1.75])
    b = np.array([2.0, 2.0, -2.0, -2.0, 0.5, 0.5])
    np.testing.assert_allclose(_run(CORE, "remainder", a, b), np.remainder(a, b), rtol=0, atol=1e-15)


def test_movement_decompositions_equal_numpy():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 7, 6))
    for window, strides, dilation in [((3, 2), (2, 1), (1, 2)), ((1, 1), (1, 1), (1, 1)),
                                      ((7, 6), (1, 1), (1, 1)), ((2,), (3,), (2,))]:
        got = _run(CORE, "sliding_window", x, window, strides, dilation)
        want = _run(NP, "sliding_window", x, window, strides, dilation)
        np.testing.assert_array_equal(got, want)
    pads = ((1, 0), (0, 0), (2, 3), (0, 1))
    np.testing.assert_array_equal(_run(CORE, "pad", x, pads, -2.5),
                                  np.pad(x, pads, constant_values=-2.5))
    idx = rng.integers(0, 7, size=(2, 3, 4, 6))
    np.testing.assert_array_equal(_run(CORE, "take_along_axis", x, idx, 2),
                                  np.take_along_axis(x, idx, 2))
    vals = rng.standard_normal(idx.shape)
    want = x.copy()
    np.add.at(want, tuple(np.indices(idx.shape)[:2]) + (idx, np.indices(idx.shape)[3]), vals)
    np.testing.assert_allclose(_run(CORE, "put_along_axis_add", x, idx, vals, 2), want,
                               rtol=1e-15)


def test_training_matches_numpy(core):
    def train(dev):
        xgrad.manual_seed(0)
        model = xgrad.nn.Sequential(xgrad.nn.Conv2d(1, 3, 3), xgrad.nn.ReLU(),
                                    xgrad.nn.MaxPool2d(2), xgrad.nn.Flatten(),
                                    xgrad.nn.Linear(27, 4))
        model.to(dev)
        x = xgrad.randn(8, 1, 8, 8).to(dev)
        y = xgrad.randint(0, 4, (8,)).to(dev)
        opt = xgrad.optim.Adam(model.parameters(), lr=0.01)
        losses = []
        for _ in range(3):
            opt.zero_grad()
            loss = xgrad.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [p.detach().to("numpy").numpy() for p in model.parameters()]

    got_l, got_p = train(core)
    want_l, want_p = train("numpy")
    np.testing.assert_allclose(got_l, want_l, rtol=1e-5)
    for g, w in zip(got_p, want_p):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)


def test_suite_collects_on_a_backend_without_optional_primitives(tmp_path):
    """The prim.derived checks have no parameters on the core-only backend: the suite still
    collects and runs (an empty parameter set is skipped, not a collection crash)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    here = str(Path(__file__).resolve().parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    env.pop("PYTEST_ADDOPTS", None)
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "core_only", "-p", "no:randomly", "-q",
         "--pyargs", "xgrad.conformance.test_primitive_derived",
         "xgrad.conformance.test_primitive_dtypes", "--xgrad-backend", "core_only"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "INTERNALERROR" not in r.stdout
    assert " passed" in r.stdout and "1 skipped" in r.stdout


def test_derived_primitives_are_counted_as_fallbacks(core):
    """Each run of an optional primitive's decomposition counts in describe()["fallbacks"]
    (and fires the xgrad_fallback hook), as a fused op's fallback does."""
    x = xgrad.tensor([[1.0, -2.0], [3.0, 4.0]], device=core)
    before = REGISTRY.fallback_counts(core)
    y = x - 1.0  # sub is optional: the core-only backend runs add(a, neg(b))
    assert y.tolist() == [[0.0, -3.0], [2.0, 3.0]]
    after = REGISTRY.fallback_counts(core)
    assert after.get("sub", 0) == before.get("sub", 0) + 1
    assert xgrad.backends.describe(core)["fallbacks"]["sub"] == after["sub"]
    numpy_before = REGISTRY.fallback_counts("numpy").get("sub", 0)
    _ = xgrad.tensor([1.0]) - 1.0  # numpy implements sub itself: nothing counted
    assert REGISTRY.fallback_counts("numpy").get("sub", 0) == numpy_before
