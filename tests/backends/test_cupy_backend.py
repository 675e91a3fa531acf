"""The cupy backend.

On a machine without a GPU: availability reasons, lazy import, device strings, and the
cupy backend's own code run against a fake ``cupy`` module backed by numpy (the shared
array-module code is generic, so this exercises what runs on the GPU except the CUDA
kernels). On a GPU machine: the fused CUDA kernels and transfers against numpy.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import math
import os
import subprocess
import sys
import types

import numpy as np
import pytest
import xgrad
from xgrad import registry
from xgrad.backends import BackendUnavailableError
from xgrad.backends.cupy import CupyBackend, strided_window_view
from xgrad.backends.cupy.status import unavailable_reason
from xgrad.backends.numpy import NumpyBackend

_REASON = unavailable_reason()
gpu = pytest.mark.skipif(_REASON is not None, reason=f"needs a CUDA GPU and cupy: {_REASON}")


# ---- a fake cupy over numpy ------------------------------------------------------------
class _FakeDevice:
    current = [0]
    entered: list[int] = []

    def __init__(self, index: int = 0) -> None:
        self.id = index

    def __enter__(self):
        _FakeDevice.entered.append(self.id)
        _FakeDevice.current.append(self.id)
        return self

    def __exit__(self, *exc):
        _FakeDevice.current.pop()


class _FakeStream:
    synced = 0

    def synchronize(self):
        _FakeStream.synced += 1


def _fake_cupy(device_count=1, count_error: Exception | None = None):
    mod = types.ModuleType("cupy")
    mod.__spec__ = importlib.machinery.ModuleSpec("cupy", None)
    mod.__getattr__ = lambda name: getattr(np, name)

    def get_count():
        if count_error is not None:
            raise count_error
        return device_count

    mod.cuda = types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=get_count),
        Device=_FakeDevice, get_current_stream=_FakeStream)
    mod.asnumpy = lambda x: np.array(x, copy=True)
    mod.asarray = np.asarray
    mod.ndarray = np.ndarray
    mod.lib = np.lib
    mod.from_dlpack = np.from_dlpack
    cupyx = types.ModuleType("cupyx")
    cupyx.__spec__ = importlib.machinery.ModuleSpec("cupyx", None)
    erf = np.vectorize(math.erf)
    cupyx.scipy = types.SimpleNamespace(special=types.SimpleNamespace(
        erf=lambda x: erf(x).astype(x.dtype)))
    cupyx.scatter_add = np.add.at
    return mod, cupyx


@pytest.fixture
def no_instances():
    """An empty registry instance cache for the test (the registry is restored after)."""
    with registry.REGISTRY.isolated():
        registry.REGISTRY.instances.clear()
        yield


@pytest.fixture
def fake_cupy(monkeypatch):
    """Install a numpy-backed ``cupy`` (2 devices) and a clean registry instance cache."""
    mod, cupyx = _fake_cupy(device_count=2)
    monkeypatch.setitem(sys.modules, "cupy", mod)
    monkeypatch.setitem(sys.modules, "cupyx", cupyx)
    monkeypatch.setattr(CupyBackend, "_by_index", {})
    _FakeDevice.entered.clear()
    with registry.REGISTRY.isolated():
        registry.REGISTRY.instances.clear()
        yield mod


# ---- availability (no GPU needed) -------------------------------------------------------
def test_importing_xgrad_does_not_import_cupy():
    code = ("import sys, xgrad; xgrad.zeros(2); (xgrad.ones(3) * 2).sum().item(); "
            "assert 'cupy' not in sys.modules, 'cupy imported'")
    env = {k: v for k, v in os.environ.items() if k != "XGRAD_DEVICE"}
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")]
    assert not [m for m in imported if m.split(".")[0] in ("cupy", "cupyx")]


def test_reason_when_cupy_is_not_installed(monkeypatch, no_instances):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "cupy" else real(name, *a))
    reason = "cupy is not installed; pip install 'xgrad[cuda]'"
    status = xgrad.backends.available()["cupy"]
    assert status["available"] is False and status["reason"] == reason
    assert set(status["aliases"]) >= {"cuda", "gpu"}
    with pytest.raises(BackendUnavailableError, match=r"cupy is not installed; pip install"):
        xgrad.zeros(2, device="cuda")


@pytest.mark.parametrize("count,error", [(0, None), (2, RuntimeError("cudaErrorNoDevice"))])
def test_reason_when_no_device_is_visible(monkeypatch, no_instances, count, error):
    mod, cupyx = _fake_cupy(device_count=count, count_error=error)
    monkeypatch.setitem(sys.modules, "cupy", mod)
    status = xgrad.backends.available()["cupy"]
    assert status["available"] is False
    assert status["reason"].startswith("no CUDA device visible")
    if error is not None:
        assert "cudaErrorNoDevice" in status["reason"]
    with pytest.raises(BackendUnavailableError, match="no CUDA device visible"):
        xgrad.device("cuda:0")


# ---- the backend's code on a fake cupy -------------------------------------------------
def test_device_strings_and_instances(fake_cupy):
    be0 = xgrad.device("cuda").backend
    assert be0 is xgrad.device("cuda:0").backend is xgrad.device("cupy:0").backend
    assert be0 is xgrad.device("gpu").backend is xgrad.device("cupy").backend
    be1 = xgrad.device("cuda:1").backend
    assert be1 is not be0
    assert (be0.device, be1.device) == ("cupy:0", "cupy:1")
    assert xgrad.device("cuda:1").type == "cupy" and xgrad.device("cuda:1").index == 1
    assert be0.asynchronous and be0.name == "cupy"
    a = xgrad.ones(3, device="cuda:0")
    b = xgrad.ones(3, device="cuda:1")
    assert a.get_device() == 0 and b.get_device() == 1
    with pytest.raises(RuntimeError, match="'cupy:0' and 'cupy:1'"):
        a + b
    np.testing.assert_array_equal((a + b.to("cuda:0")).numpy(), [2, 2, 2])


def test_out_of_range_device_index(fake_cupy):
    with pytest.raises(RuntimeError, match=r"index 5 is out of range: 2 device\(s\)"):
        CupyBackend(5)


def test_multi_device_runs_primitives_on_their_device(fake_cupy):
    be1 = CupyBackend(1)
    _FakeDevice.entered.clear()
    x = be1.full((2,), 1.5, xgrad.float32)
    be1.add(x, x)
    be1.synchronize()
    assert _FakeDevice.entered == [1, 1, 1]


def test_transfers_copy(fake_cupy):
    be = CupyBackend(0)
    host = np.arange(4, dtype=np.float64)
    dev = be.from_numpy(host, xgrad.float32)
    assert dev.dtype == np.float32
    back = be.to_numpy(dev)
    assert not np.shares_memory(back, dev)
    t = xgrad.tensor([1.0, 2.0], device="cuda")
    assert t.device.type == "cupy" and str(t.device) == "cupy:0"
    np.testing.assert_array_equal(t.cpu().numpy(), [1.0, 2.0])
    assert t.cpu().device.type == "numpy"
    np.testing.assert_array_equal(xgrad.ones(2).cuda().numpy(), [1.0, 1.0])


@pytest.mark.parametrize("shape,span", [((5,), (2,)), ((2, 3, 6, 7), (3, 2)), ((4, 4), (4, 4)),
                                        ((1, 5, 5), (1, 3))])
def test_strided_window_view_matches_numpy(shape, span):
    x = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    axes = tuple(range(x.ndim - len(span), x.ndim))
    want = np.lib.stride_tricks.sliding_window_view(x, span, axis=axes)
    got = strided_window_view(np, x, span)
    np.testing.assert_array_equal(got, want)
    xt = x.transpose()[::2]  # non-contiguous input
    win = (min(span[-1], xt.shape[-1]),)
    want = np.lib.stride_tricks.sliding_window_view(xt, win, axis=(xt.ndim - 1,))
    np.testing.assert_array_equal(strided_window_view(np, xt, win), want)


def test_strided_window_view_rejects_large_window():
    with pytest.raises(ValueError, match="larger than"):
        strided_window_view(np, np.zeros((2, 3)), (3, 3))


def test_primitives_agree_with_numpy_backend(fake_cupy):
    be, ref = CupyBackend(0), NumpyBackend()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 5)).astype(np.float32)
    for win, st, dil in [((3, 2), (1, 1), (1, 1)), ((2, 2), (2, 1), (1, 2))]:
        np.testing.assert_array_equal(be.sliding_window(x, win, st, dil),
                                      ref.sliding_window(x, win, st, dil))
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    np.testing.assert_allclose(be.conv2d(x, w, (1, 1), (1, 1), (1, 1), 1),
                               ref.conv2d(x, w, (1, 1), (1, 1), (1, 1), 1), rtol=1e-6)
    idx = (np.array([0, 1, 0, 0]),)
    vals = np.ones((4, 3), np.float32)
    got = be.index_add(np.zeros((2, 3), np.float32), idx, vals)
    np.testing.assert_array_equal(got, [[3, 3, 3], [1, 1, 1]])
    ind = np.array([[0, 0], [2, 1]])
    got = be.put_along_axis_add(np.zeros((2, 3), np.float32), ind, np.ones((2, 2), np.float32), 1)
    np.testing.assert_array_equal(got, [[2, 0, 0], [0, 1, 1]])
    v = np.linspace(-5, 5, 41)
    np.testing.assert_allclose(be.erf(v), ref.erf(v), rtol=1e-14, atol=1e-15)
    assert be.erf(v.astype(np.float16)).dtype == np.float16
    assert be.dtype(be.full((2,), 1, xgrad.int64)) is xgrad.int64


def test_assign_never_writes_through_broadcast_views(fake_cupy):
    be = CupyBackend(0)
    dst = np.zeros((2, 3), np.float32)
    assert be.assign(dst, np.ones(3, np.float32)) is dst
    np.testing.assert_array_equal(dst, np.ones((2, 3)))
    base = np.zeros(3, np.float32)
    view = np.lib.stride_tricks.as_strided(base, (2, 3), (0, 4))  # writeable broadcast
    out = be.assign(view, np.arange(6, dtype=np.float32).reshape(2, 3))
    assert out is not view
    np.testing.assert_array_equal(base, 0)
    np.testing.assert_array_equal(out, np.arange(6).reshape(2, 3))


def test_training_step_matches_numpy_backend(fake_cupy):
    """A small MLP step through the frontend on the cupy backend's code (decomposed fused ops,
    since CUDA kernels cannot run here) gives the numpy backend's loss and gradients."""
    from xgrad.ops.fused import decomposed_only

    rng = np.random.default_rng(1)
    data = {k: rng.standard_normal(s) for k, s in
            [("x", (4, 6)), ("w1", (5, 6)), ("w2", (3, 5))]}
    target = np.array([0, 2, 1, 2])

    def step(device):
        t = {k: xgrad.tensor(v, dtype=xgrad.float64, device=device, requires_grad=k != "x")
             for k, v in data.items()}
        h = (t["x"] @ t["w1"].T).tanh()
        logits = h @ t["w2"].T
        lsm = xgrad.log_softmax(logits, 1)
        tgt = xgrad.tensor(target, device=device)
        loss = -lsm.gather(1, tgt[:, None]).mean() + xgrad.erf(h).sum() * 0.01
        loss.backward()
        return loss.item(), t["w1"].grad.numpy(), t["w2"].grad.numpy()

    with decomposed_only():
        got = step("cuda")
    want = step("numpy")
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    for g, w in zip(got[1:], want[1:]):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


# ---- on a real GPU -----------------------------------------------------------------------
@gpu
def test_gpu_fused_kernels_match_numpy():
    be, ref = CupyBackend(0), NumpyBackend()
    rng = np.random.default_rng(0)
    for dtype, tol in [(np.float32, 1e-5), (np.float64, 1e-12)]:
        x = (rng.standard_normal((7, 33)) * 4).astype(dtype)
        d = be.from_numpy(x, xgrad.float32 if dtype == np.float32 else xgrad.float64)
        for axis in (0, 1):
            np.testing.assert_allclose(be.to_numpy(be.log_softmax(d, axis)),
                                       ref.log_softmax(x, axis), rtol=tol, atol=tol)
            np.testing.assert_allclose(be.to_numpy(be.softmax(d, axis)),
                                       ref.softmax(x, axis), rtol=tol, atol=tol)
        tgt = rng.integers(0, 33, 7)
        np.testing.assert_allclose(
            be.to_numpy(be.cross_entropy(d, be.from_numpy(tgt, xgrad.int64))),
            ref.cross_entropy(x, tgt), rtol=tol, atol=tol)
        np.testing.assert_allclose(be.to_numpy(be.sigmoid(d)), ref.sigmoid(x), rtol=tol, atol=tol)
        for approx in ("none", "tanh"):
            np.testing.assert_allclose(be.to_numpy(be.gelu(d, approx)), ref.gelu(x, approx),
                                       rtol=10 * tol, atol=10 * tol)


@gpu
@pytest.mark.parametrize("momentum,nesterov,wd,maximize", [(0.0, False, 0.0, False),
                                                         (0.9, False, 0.1, False),
                                                         (0.9, True, 0.0, True)])
def test_gpu_sgd_kernel_matches_numpy(momentum, nesterov, wd, maximize):
    be, ref = CupyBackend(0), NumpyBackend()
    rng = np.random.default_rng(2)
    p, buf = rng.standard_normal(50), None
    dp, dbuf = be.from_numpy(p, xgrad.float64), None
    for step in range(3):
        g = rng.standard_normal(50)
        args = (0.1, momentum, 0.0, wd, nesterov, maximize, step == 0)
        p, buf = ref.sgd_step(p, g, buf, *args)
        dp, dbuf = be.sgd_step(dp, be.from_numpy(g, xgrad.float64), dbuf, *args)
    np.testing.assert_allclose(be.to_numpy(dp), p, rtol=1e-12)


@gpu
@pytest.mark.parametrize("wd,decoupled,amsgrad", [(0.0, False, False), (0.1, True, False),
                                                  (0.1, False, True)])
def test_gpu_adam_kernel_matches_numpy(wd, decoupled, amsgrad):
    be, ref = CupyBackend(0), NumpyBackend()
    rng = np.random.default_rng(3)
    host = [rng.standard_normal(40), np.zeros(40), np.zeros(40), np.zeros(40)]
    dev = [be.from_numpy(a, xgrad.float64) for a in host]
    for step in range(1, 4):
        g = rng.standard_normal(40)
        hp = (step, 1e-2, 0.9, 0.999, 1e-8, wd, decoupled, amsgrad, False)
        host = list(ref.adam_step(host[0], g, host[1], host[2], host[3], *hp))
        dev = list(be.adam_step(dev[0], be.from_numpy(g, xgrad.float64), dev[1], dev[2], dev[3],
                                *hp))
    for d, h in zip(dev, host):
        np.testing.assert_allclose(be.to_numpy(d), h, rtol=1e-10, atol=1e-14)


@gpu
def test_gpu_dlpack_round_trip_shares_memory():
    import cupy

    a = cupy.arange(6, dtype=cupy.float32)
    t = xgrad.from_dlpack(a)
    assert t.device.type == "cupy"
    a[0] = 9
    assert t[0].item() == 9
    back = cupy.from_dlpack(t)
    back[1] = -1
    assert t[1].item() == -1
