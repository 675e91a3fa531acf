"""Backend-declared index dtype: a backend with ``index_dtype = "int32"`` stores int64 tensors
as int32 arrays, yet users see int64 everywhere, with the numpy backend's values."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from int32_index_numpy import Int32IndexNumpyBackend, plugin
from xgrad.backend import Backend
from xgrad.backends.numpy import NumpyBackend
from xgrad.registry import REGISTRY, BackendSpec, PluginLoadError, register_plugin


@pytest.fixture
def dev():
    with REGISTRY.isolated():
        register_plugin(plugin, name="int32-index-numpy")
        yield "int32_index"


def _both(fn):
    """``fn(device)`` on the int32-index backend and on numpy."""
    return [fn(d) for d in ("int32_index", "numpy")]


def test_index_results_are_int64_tensors_stored_as_int32(dev):
    x = xgrad.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], device=dev)
    results = {
        "argmax": x.argmax(1), "argmin": x.argmin(0), "sort": x.sort(1).indices,
        "argsort": x.argsort(1, descending=True), "topk": x.topk(2).indices,
        "nonzero": (x > 1).nonzero(), "count": (x > 1).sum(), "arange": xgrad.arange(5, device=dev),
        "tensor": xgrad.tensor([3, -4], device=dev), "randint": xgrad.randint(0, 9, (4,), device=dev),
        "randperm": xgrad.randperm(5, device=dev), "max.indices": x.max(1).indices,
    }
    ref = xgrad.tensor(x.numpy())
    want = {
        "argmax": ref.argmax(1), "argmin": ref.argmin(0), "sort": ref.sort(1).indices,
        "argsort": ref.argsort(1, descending=True), "topk": ref.topk(2).indices,
        "nonzero": (ref > 1).nonzero(), "count": (ref > 1).sum(), "arange": xgrad.arange(5),
        "tensor": xgrad.tensor([3, -4]),
    }
    for name, t in results.items():
        assert t.dtype is xgrad.int64, name
        assert t._data.dtype == np.int32, name  # the backend's own arrays are 32-bit
        host = t.numpy()
        assert host.dtype == np.int64, name  # what the user gets back is int64
        if name in want:
            np.testing.assert_array_equal(host, want[name].numpy(), err_msg=name)


def test_dtypes_list_int64_not_int32(dev):
    be = xgrad.backends.get_backend(dev)
    assert xgrad.int64 in be.dtypes and xgrad.int32 not in be.dtypes
    assert be.index_dtype == "int32"
    info = xgrad.backends.describe(dev)
    assert info["index_dtype"] == "int32" and "int32" not in info["dtypes"]
    assert xgrad.backends.describe("numpy")["index_dtype"] == "int64"


def test_random_streams_match_the_numpy_backend(dev):
    from xgrad.ops.fusion import decomposed_only

    def draws(d):
        xgrad.manual_seed(1234)
        out = [xgrad.randint(-7, 11, (40,), device=d), xgrad.randint(5, 2 ** 30 + 2, (40,), device=d),
               xgrad.randperm(50, device=d)]
        with decomposed_only():  # the frontend's transforms of the words, not the fused draws
            out += [xgrad.rand(40, device=d), xgrad.rand(9, dtype=xgrad.float64, device=d),
                    xgrad.rand(9, dtype=xgrad.float16, device=d)]
        return [t.numpy() for t in out]

    for got, want in zip(draws(dev), draws("numpy")):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


def test_indexing_and_scatter_with_int64_indices(dev):
    def prog(d):
        x = xgrad.arange(12.0, device=d).reshape(3, 4).requires_grad_(True)
        i = xgrad.tensor([2, 0, 2], device=d)
        y = x[i, 1:] * 2 + x.gather(1, xgrad.tensor([[3], [0], [1]], device=d))
        y.sum().backward()
        return y.detach().numpy(), x.grad.numpy()

    for got, want in zip(*_both(prog)):
        np.testing.assert_array_equal(got, want)


def test_training_with_int64_targets_matches_numpy(dev):
    def train(d):
        xgrad.manual_seed(0)
        model = xgrad.nn.Sequential(xgrad.nn.Linear(4, 8), xgrad.nn.ReLU(), xgrad.nn.Linear(8, 3)).to(d)
        opt = xgrad.optim.SGD(model.parameters(), lr=0.1)
        x = xgrad.randn(16, 4, device=d)
        y = xgrad.randint(0, 3, (16,), device=d)
        for _ in range(3):
            opt.zero_grad()
            loss = xgrad.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
        return loss.item(), (model(x).argmax(1) == y).sum().item()

    (l1, c1), (l2, c2) = _both(train)
    assert l1 == pytest.approx(l2, rel=1e-6) and c1 == c2


def test_to_int32_is_refused_with_the_reason(dev):
    x = xgrad.tensor([1, 2], device=dev)
    for make in (lambda: x.to(xgrad.int32), lambda: x.int(),
                 lambda: xgrad.zeros(2, dtype=xgrad.int32, device=dev),
                 lambda: xgrad.tensor([1], dtype=xgrad.int32, device=dev)):
        with pytest.raises(TypeError, match=r"does not support dtype int32.*index_dtype is 'int32'"
                                            r".*use xgrad.int64"):
            make()


def test_values_beyond_int32_are_refused(dev):
    with pytest.raises(RuntimeError, match=r"stores int64 as int32.*\[0, 4294967296\]"):
        xgrad.tensor([0, 2 ** 32], device=dev)
    with pytest.raises(RuntimeError, match=r"randint: backend 'int32_index' stores int64 as int32"
                                           r".*low=0, high=4294967296"):
        xgrad.randint(0, 2 ** 32, (3,), device=dev)


def test_the_documented_cost_integer_sums_wrap_at_32_bits(dev):
    big = [2 ** 31 - 1, 1]
    assert xgrad.tensor(big, device=dev).sum().item() == -(2 ** 31)  # int32 arithmetic wraps
    assert xgrad.tensor(big).sum().item() == 2 ** 31  # int64 on numpy


def test_int64_sentinel_fills_saturate_to_the_int32_range(dev):
    info = xgrad.iinfo(xgrad.int64)
    t = xgrad.full((2,), info.min, dtype=xgrad.int64, device=dev)
    assert t.tolist() == [-(2 ** 31)] * 2
    assert xgrad.full((1,), 2 ** 40, dtype=xgrad.int64, device=dev).item() == 2 ** 31 - 1


def test_an_unknown_index_dtype_is_refused_naming_the_backend():
    class Int16Index(NumpyBackend):
        name = device = "int16_index"
        index_dtype = "int16"

    with REGISTRY.isolated():
        class _P:
            @xgrad.hookimpl
            def xgrad_register_backends(self):
                return [BackendSpec("int16_index", lambda i: Int16Index())]

        register_plugin(_P(), name="int16")
        with pytest.raises(PluginLoadError, match=r"backend 'int16_index' .*declares index_dtype = "
                                                  r"'int16'; expected one of 'int64', 'int32'"):
            xgrad.backends.get_backend("int16_index")


def test_int64_backends_are_not_wrapped():
    # no per-call overhead: the numpy backend's dtype-taking primitives are its own functions
    for name in ("dtype", "from_numpy", "to_numpy", "full", "arange", "cast"):
        assert not getattr(getattr(NumpyBackend, name), "__xgrad_index_adapted__", False)
        assert getattr(getattr(Int32IndexNumpyBackend, name), "__xgrad_index_adapted__", False)
    assert Backend.index_dtype == NumpyBackend.index_dtype == "int64"
