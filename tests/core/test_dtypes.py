"""dtypes and PyTorch's type promotion, on both backends."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad

F16, F32, F64, I32, I64, B = (xgrad.float16, xgrad.float32, xgrad.float64, xgrad.int32,
                              xgrad.int64, xgrad.bool)
ALL = [F16, F32, F64, I32, I64, B]
NP = {F16: np.float16, F32: np.float32, F64: np.float64, I32: np.int32, I64: np.int64,
      B: np.bool_}


@pytest.mark.parametrize("dt", ALL, ids=lambda d: d.name)
def test_every_dtype_roundtrips(backend, dt):
    a = (np.arange(6).reshape(2, 3) % 3).astype(NP[dt])
    t = xgrad.tensor(a, dtype=dt, device=backend)
    assert t.dtype is dt
    assert t.numpy().dtype == NP[dt]
    np.testing.assert_array_equal(t.numpy(), a)
    assert t.element_size() == np.dtype(NP[dt]).itemsize
    for other in ALL:
        np.testing.assert_array_equal(t.to(other).numpy(), a.astype(NP[other]))


def test_dtype_names_and_aliases():
    assert xgrad.float is F32 and xgrad.double is F64 and xgrad.half is F16
    assert xgrad.long is I64 and xgrad.int is I32
    assert repr(F32) == "xgrad.float32"
    assert F64.is_floating_point and not I64.is_floating_point
    assert xgrad.get_default_dtype() is F32


# (tensor dtype a, tensor dtype b, expected) for same-rank tensors
PAIRS = [(F32, F64, F64), (I32, I64, I64), (I64, F32, F32), (I32, F16, F16), (B, I32, I32),
         (B, F32, F32), (F16, F32, F32), (I64, F64, F64), (B, B, B)]


@pytest.mark.parametrize("da,db,expect", PAIRS, ids=lambda d: getattr(d, "name", d))
def test_tensor_tensor_promotion(backend, da, db, expect):
    a = xgrad.ones(2, dtype=da, device=backend)
    b = xgrad.ones(2, dtype=db, device=backend)
    assert xgrad.promote_types(da, db) is expect
    if expect is not B:
        assert (a + b).dtype is expect
        assert (b * a).dtype is expect
    assert (a == b).dtype is B


@pytest.mark.parametrize("dt", [F16, F32, F64])
def test_python_float_does_not_upcast_float_tensor(backend, dt):
    x = xgrad.ones(3, dtype=dt, device=backend)
    for out in (x + 1.5, 1.5 + x, x * 2.0, x / 3.0, 2.0 - x, x ** 2.0, x + 1, x * True):
        assert out.dtype is dt


@pytest.mark.parametrize("dt", [I32, I64])
def test_int_tensor_with_scalars(backend, dt):
    x = xgrad.tensor([1, 2, 3], dtype=dt, device=backend)
    assert (x + 1).dtype is dt
    assert (x * 2).dtype is dt
    assert (x + 1.5).dtype is F32
    np.testing.assert_allclose((x + 1.5).numpy(), [2.5, 3.5, 4.5])
    assert (2.5 * x).dtype is F32
    assert (x / 2).dtype is F32
    assert (x / x).dtype is F32
    np.testing.assert_allclose((x / x).numpy(), [1.0, 1.0, 1.0])
    assert (x // 2).dtype is dt


def test_bool_tensor_with_scalars(backend):
    b = xgrad.tensor([True, False], device=backend)
    assert (b + 1).dtype is I64
    assert (b * 1.5).dtype is F32
    np.testing.assert_allclose((b * 1.5).numpy(), [1.5, 0.0])


def test_zero_dim_tensor_does_not_promote_same_category(backend):
    x32 = xgrad.ones(3, dtype=F32, device=backend)
    s64 = xgrad.tensor(2.0, dtype=F64, device=backend)
    assert (x32 * s64).dtype is F32
    assert (s64 * x32).dtype is F32
    i32 = xgrad.ones(3, dtype=I32, device=backend)
    assert (i32 + xgrad.tensor(5, device=backend)).dtype is I32
    # a 0-d tensor of a higher category still promotes
    assert (i32 + xgrad.tensor(0.5, device=backend)).dtype is F32
    assert (xgrad.tensor(0.5, dtype=F64, device=backend) + i32).dtype is F64
    # two 0-d tensors promote normally
    assert (xgrad.tensor(1.0, device=backend) + s64).dtype is F64


def test_float32_plus_float64_value(backend):
    a = xgrad.tensor([0.1], dtype=F32, device=backend)
    b = xgrad.tensor([0.2], dtype=F64, device=backend)
    out = a + b
    assert out.dtype is F64
    assert out.item() == pytest.approx(float(np.float32(0.1)) + 0.2, abs=0)


def test_unary_math_on_int_gives_float(backend):
    x = xgrad.tensor([1, 4], device=backend)
    for out in (x.sqrt(), x.exp(), x.log(), x.sigmoid(), x.tanh()):
        assert out.dtype is F32
    assert x.abs().dtype is I64 and (-x).dtype is I64


def test_set_default_dtype(backend):
    try:
        xgrad.set_default_dtype(F64)
        assert xgrad.tensor([1.0], device=backend).dtype is F64
        assert xgrad.zeros(2, device=backend).dtype is F64
        assert (xgrad.tensor([1, 2], device=backend) / 2).dtype is F64
    finally:
        xgrad.set_default_dtype(F32)
    with pytest.raises(TypeError):
        xgrad.set_default_dtype(I64)


def test_mixed_dtype_gradients_come_back_in_input_dtype(backend):
    a = xgrad.tensor([1.0, 2.0], dtype=F32, device=backend, requires_grad=True)
    b = xgrad.tensor([3.0, 4.0], dtype=F64, device=backend, requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype is F32 and b.grad.dtype is F64
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 2.0])


@pytest.mark.parametrize("dt,rtol", [(F16, 2e-2), (F32, 1e-5)], ids=["float16", "float32"])
def test_low_precision_forward_backward_close_to_float64(backend, dt, rtol):
    a = np.linspace(-2.0, 2.0, 6)

    def f(x):
        return (x.exp() * x.sigmoid()).sum() + x.tanh().mean() + (x @ x)

    lo = xgrad.tensor(a, dtype=dt, device=backend, requires_grad=True)
    hi = xgrad.tensor(a, dtype=F64, device=backend, requires_grad=True)
    ylo, yhi = f(lo), f(hi)
    assert ylo.dtype is dt
    ylo.backward()
    yhi.backward()
    assert lo.grad.dtype is dt
    np.testing.assert_allclose(ylo.item(), yhi.item(), rtol=rtol)
    np.testing.assert_allclose(lo.grad.numpy().astype(np.float64), hi.grad.numpy(), rtol=rtol,
                               atol=rtol)
