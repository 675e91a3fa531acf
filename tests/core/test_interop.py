"""DLPack import/export: round trips with numpy (and torch when installed), sharing memory."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad


def test_numpy_array_imports_without_copy():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    t = xgrad.from_dlpack(a)
    assert t.device.type == "numpy"
    assert t.shape == (2, 3) and t.dtype == xgrad.float32
    a[1, 2] = 42.0
    assert t[1, 2].item() == 42.0  # same memory
    assert not t.requires_grad and t.grad_fn is None


@pytest.mark.parametrize("dtype,xdtype", [(np.float64, xgrad.float64), (np.int32, xgrad.int32),
                                          (np.int64, xgrad.int64), (np.bool_, xgrad.bool),
                                          (np.float16, xgrad.float16)])
def test_dtypes_map(dtype, xdtype):
    a = (np.arange(4) % 2).astype(dtype)
    t = xgrad.from_dlpack(a)
    assert t.dtype == xdtype
    np.testing.assert_array_equal(t.numpy(), a)


def test_export_to_numpy_shares_memory():
    t = xgrad.zeros(2, 3)
    a = np.from_dlpack(t)
    assert a.shape == (2, 3)
    a[0, 1] = 7.0
    assert t[0, 1].item() == 7.0


def test_noncontiguous_view_round_trip():
    base = np.arange(12, dtype=np.float32).reshape(3, 4)
    view = base[:, ::2].T
    t = xgrad.from_dlpack(view)
    np.testing.assert_array_equal(t.numpy(), view)
    back = np.from_dlpack(t)
    np.testing.assert_array_equal(back, view)
    assert np.shares_memory(back, base)


def test_tensor_input_shares_data_without_history():
    x = xgrad.ones(3, requires_grad=True)
    y = x * 2
    t = xgrad.from_dlpack(y)
    assert t.grad_fn is None and not t.requires_grad
    np.testing.assert_array_equal(t.numpy(), [2, 2, 2])


def test_unsupported_dtype_is_a_clear_error():
    with pytest.raises(TypeError, match="no dtype for uint8"):
        xgrad.from_dlpack(np.zeros(2, dtype=np.uint8))


def test_non_dlpack_object_is_a_clear_error():
    with pytest.raises(TypeError, match="DLPack protocol.*builtins.list"):
        xgrad.from_dlpack([1.0, 2.0])


class _OtherDevice:
    def __dlpack__(self, **kwargs):
        raise AssertionError("must not be called")

    def __dlpack_device__(self):
        return (4, 0)


def test_unsupported_device_is_a_clear_error():
    with pytest.raises(ValueError, match=r"device type 4 \(OpenCL\)"):
        xgrad.from_dlpack(_OtherDevice())


def test_torch_to_xgrad_shares_memory():
    torch = pytest.importorskip("torch")
    src = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    t = xgrad.from_dlpack(src)
    assert t.device.type == "numpy" and t.dtype == xgrad.float32
    src[0, 0] = -3.0
    assert t[0, 0].item() == -3.0
    np.testing.assert_array_equal(t.numpy(), src.numpy())


def test_xgrad_to_torch_shares_memory():
    torch = pytest.importorskip("torch")
    t = xgrad.arange(5, dtype=xgrad.float64)
    out = torch.from_dlpack(t)
    assert out.dtype == torch.float64
    out[2] = 100.0
    assert t[2].item() == 100.0


def test_torch_round_trip_values_and_grad_flow():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x = xgrad.tensor(rng.standard_normal((3, 4)), dtype=xgrad.float64, requires_grad=True)
    y = (x * x).sum(1)
    ty = torch.from_dlpack(y.detach())
    np.testing.assert_allclose(ty.numpy(), (x.detach().numpy() ** 2).sum(1))
    back = xgrad.from_dlpack(ty * 2)
    np.testing.assert_allclose(back.numpy(), 2 * ty.numpy())
