"""Device selection: precedence, aliases, transfers, and the unknown/unavailable messages."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import xgrad


@pytest.fixture
def restore_default():
    yield
    xgrad.set_default_device(None)


def test_precedence_in_process(restore_default):
    assert xgrad.zeros(1).device == "numpy"
    xgrad.set_default_device("reference")
    assert xgrad.zeros(1).device == "reference"
    assert xgrad.get_default_device() == "reference"
    with xgrad.device("numpy"):
        assert xgrad.zeros(1).device == "numpy"
        assert xgrad.zeros(1, device="reference").device == "reference"
        with xgrad.device("reference"):
            assert xgrad.tensor([1.0]).device == "reference"
        assert xgrad.arange(3).device == "numpy"
    assert xgrad.ones(1).device == "reference"
    assert xgrad.zeros(1, device="cpu").device == "numpy"
    xgrad.set_default_device(None)
    assert xgrad.zeros(1).device == "numpy"


def test_context_manager_restores_on_error(restore_default):
    with pytest.raises(ValueError):
        with xgrad.device("reference"):
            raise ValueError
    assert xgrad.zeros(1).device == "numpy"


def _device_in_subprocess(code: str, env_device: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XGRAD_")}
    if env_device is not None:
        env["XGRAD_DEVICE"] = env_device
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=120)


def test_env_variable_is_lowest_precedence_before_numpy():
    code = ("import xgrad\n"
            "a = xgrad.zeros(1).device.type\n"
            "b = xgrad.zeros(1, device='numpy').device.type\n"
            "with xgrad.device('numpy'):\n    c = xgrad.zeros(1).device.type\n"
            "xgrad.set_default_device('numpy')\nd = xgrad.zeros(1).device.type\n"
            "print(a, b, c, d)")
    res = _device_in_subprocess(code, "reference")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["reference", "numpy", "numpy", "numpy"]
    res = _device_in_subprocess(code, None)
    assert res.stdout.split() == ["numpy"] * 4


def test_bad_env_device_is_reported():
    res = _device_in_subprocess("import xgrad; xgrad.zeros(1)", "nosuchdev")
    assert res.returncode != 0 and "nosuchdev" in res.stderr and "numpy" in res.stderr


def test_aliases():
    assert xgrad.device("cpu") == xgrad.device("numpy")
    assert xgrad.device("cpu").type == "numpy"
    assert xgrad.tensor([1.0], device="cpu").device == "numpy"
    assert xgrad.tensor([1.0]).cpu().device == "numpy"


def test_cuda_alias_unavailable_reason():
    status = xgrad.backends.available()["cupy"]
    if status["available"]:
        pytest.skip("a CUDA device is available here")
    for name in ("cuda", "cupy", "cuda:0"):
        with pytest.raises(RuntimeError) as info:
            xgrad.zeros(1, device=name)
        msg = str(info.value)
        assert "cupy" in msg and status["reason"] in msg
    with pytest.raises(RuntimeError, match="cupy"):
        xgrad.ones(1).cuda()


def test_unknown_device_lists_backends_and_reasons():
    with pytest.raises(RuntimeError) as info:
        xgrad.zeros(1, device="tpu")
    msg = str(info.value)
    assert "'tpu'" in msg
    for name in ("numpy", "reference", "cupy"):
        assert name in msg
    assert "available" in msg
    cupy = xgrad.backends.available()["cupy"]
    if not cupy["available"]:
        assert cupy["reason"] in msg
    with pytest.raises(RuntimeError, match="tpu"):
        xgrad.ones(1).to("tpu")


def test_to_reference_and_back_keeps_values_dtype_and_gradients():
    a = np.array([[1.5, -2.0], [0.25, 3.0]])
    for dt in (xgrad.float32, xgrad.float64, xgrad.int64, xgrad.bool):
        x = xgrad.tensor(a, dtype=dt)
        r = x.to("reference")
        assert r.device == "reference" and r.dtype is dt
        back = r.to("numpy")
        assert back.device == "numpy" and back.dtype is dt
        np.testing.assert_array_equal(back.numpy(), x.numpy())
    x = xgrad.tensor(a.tolist(), requires_grad=True)  # Python floats: float32
    y = x.to("reference").exp().to("cpu", xgrad.float64)
    assert y.device == "numpy" and y.dtype is xgrad.float64
    y.sum().backward()
    assert x.grad.device == "numpy" and x.grad.dtype is xgrad.float32
    np.testing.assert_allclose(x.grad.numpy(), np.exp(a), rtol=1e-6)
    assert x.to("numpy") is x


def test_device_object():
    d = xgrad.device("reference")
    assert d.type == "reference" and str(d) == "reference" and d.index is None
    assert d == xgrad.device("ref") and d != "numpy" and d != "tpu"
    x = xgrad.zeros(1, device=d)
    assert x.device == d and x.to(xgrad.device("cpu")).device == "numpy"
    assert not x.is_cuda and x.get_device() == -1
