"""``XGRAD_DEBUG_BACKEND=1``: the registry wraps each backend it builds so that every
primitive call checks the dtype (and shape) of its result against the contract's rules."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.backend import BackendSpec
from xgrad.backend_checks import BackendContractError, check_result, debug_wrap
from xgrad.backends.numpy import NumpyBackend
from xgrad.backends.reference import ReferenceBackend
from xgrad.registry import REGISTRY, register_plugin


class ExpDropsTo32(NumpyBackend):
    """exp of float64 comes back as float32, as on a library with 64-bit floats off."""

    name = device = "dbg_exp32"

    def exp(self, x):
        return np.exp(x.astype(np.float32)) if x.dtype == np.float64 else np.exp(x)


class SumDropsKeepdims(NumpyBackend):
    """sum ignores keepdims (right dtype, wrong shape)."""

    name = device = "dbg_keepdims"

    def sum(self, x, axes, keepdims):
        return super().sum(x, axes, False)


class Plain(NumpyBackend):
    name = device = "dbg_plain"


class _Plugin:
    @xgrad.hookimpl
    def xgrad_register_backends(self):
        return [BackendSpec(c.name, (lambda k: lambda index: k())(c))
                for c in (ExpDropsTo32, SumDropsKeepdims, Plain)]


@pytest.fixture
def debug(monkeypatch):
    monkeypatch.setenv("XGRAD_DEBUG_BACKEND", "1")
    with REGISTRY.isolated():
        register_plugin(_Plugin(), name="debug-backends")
        yield


def test_wrong_dtype_raises_naming_backend_primitive_and_dtypes(debug):
    x = xgrad.tensor([0.0, 1.0, 2.0], dtype=xgrad.float64, device="dbg_exp32")
    with pytest.raises(BackendContractError) as info:
        xgrad.exp(x)
    msg = str(info.value)
    assert "'dbg_exp32'" in msg and "'exp'" in msg
    assert "returned dtype float32, expected float64" in msg
    assert "float64[3]" in msg  # the call's operands


def test_float32_input_is_accepted(debug):
    x = xgrad.tensor([0.0, 1.0], dtype=xgrad.float32, device="dbg_exp32")
    np.testing.assert_allclose(xgrad.exp(x).numpy(), np.exp([0.0, 1.0]), rtol=1e-6)


def test_without_the_variable_nothing_is_checked(monkeypatch):
    monkeypatch.delenv("XGRAD_DEBUG_BACKEND", raising=False)
    with REGISTRY.isolated():
        register_plugin(_Plugin(), name="debug-backends")
        be = xgrad.backends.get_backend("dbg_exp32")
        out = be.exp(be.from_numpy(np.zeros(2), xgrad.float64))
        assert out.dtype == np.float32  # the bug goes through unnoticed


def test_wrong_shape_raises(debug):
    x = xgrad.ones(2, 3, device="dbg_keepdims")
    with pytest.raises(BackendContractError, match=r"'sum' returned shape \[2\], expected \[2, 1\]"):
        x.sum(dim=1, keepdim=True)


def test_correct_backend_trains_under_the_checks(debug):
    """A training run touches most primitives (matmul, reductions, argmax, casts, indexing,
    fused cross-entropy and the optimizer); none trips a rule on a correct backend."""
    xgrad.manual_seed(0)
    model = xgrad.nn.Sequential(xgrad.nn.Linear(4, 8), xgrad.nn.ReLU(), xgrad.nn.Linear(8, 3))
    model.to("dbg_plain")
    opt = xgrad.optim.Adam(model.parameters(), lr=0.01)
    x = xgrad.randn(16, 4, device="dbg_plain")
    y = xgrad.randint(0, 3, (16,), device="dbg_plain")
    for _ in range(3):
        opt.zero_grad()
        loss = xgrad.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    acc = (model(x).argmax(dim=1) == y).float().mean()
    srt, idx = xgrad.sort(x[:, 0])
    assert idx.dtype == xgrad.int64 and srt.dtype == xgrad.float32
    assert 0.0 <= acc.item() <= 1.0
    be = xgrad.backends.get_backend("dbg_plain")
    assert getattr(be.exp, "__xgrad_unchecked__", None) is not None  # really wrapped


def test_reference_backend_passes_the_rules():
    """The rules hold on the pure-Python oracle too (a wrapped instance, not the shared one)."""
    be = debug_wrap(ReferenceBackend())
    a = be.from_numpy(np.array([[3, 1], [2, 2]]), xgrad.int32)
    assert be.dtype(be.sum(a, (1,), False)) is xgrad.int64
    assert be.dtype(be.argmax(a, 0, True)) is xgrad.int64
    vals, idx = be.sort(be.cast(a, xgrad.float16), 1, False)
    assert be.dtype(vals) is xgrad.float16 and be.dtype(idx) is xgrad.int64


def test_rule_errors_name_every_result_of_a_pair():
    be = NumpyBackend()
    x = be.from_numpy(np.array([2.0, 1.0]), xgrad.float32)
    bad = (np.array([1.0, 2.0], np.float32), np.array([1, 0], np.int32))
    with pytest.raises(BackendContractError, match="'sort' result 1 returned dtype int32, "
                       "expected int64"):
        check_result(be, "sort", (x, 0, False), bad)
