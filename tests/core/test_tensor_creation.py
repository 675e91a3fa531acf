"""Factories, properties and conversions on both backends."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad


def test_tensor_infers_dtype_like_pytorch(backend):
    assert xgrad.tensor([1.0, 2.0], device=backend).dtype is xgrad.float32
    assert xgrad.tensor([1, 2], device=backend).dtype is xgrad.int64
    assert xgrad.tensor([True, False], device=backend).dtype is xgrad.bool
    assert xgrad.tensor(3.5, device=backend).shape == ()
    assert xgrad.tensor(np.zeros(2, np.float64), device=backend).dtype is xgrad.float64
    assert xgrad.tensor(np.zeros(2, np.int32), device=backend).dtype is xgrad.int32
    assert xgrad.tensor([[1, 2]], dtype=xgrad.float64, device=backend).dtype is xgrad.float64
    assert xgrad.Tensor([1, 2]).dtype is xgrad.float32


def test_tensor_copies_and_as_tensor_shares(backend):
    a = np.array([1.0, 2.0])
    t = xgrad.tensor(a, device=backend)
    a[0] = 5.0
    assert t.tolist() == [1.0, 2.0]
    assert xgrad.as_tensor(t) is t
    assert xgrad.as_tensor(t, dtype=xgrad.float32).dtype is xgrad.float32
    assert xgrad.as_tensor([1, 2], device=backend).dtype is xgrad.int64
    u = xgrad.tensor(t)
    assert u is not t and u.tolist() == t.tolist()


def test_from_numpy_keeps_dtype(backend):
    for dt, xdt in ((np.float16, xgrad.float16), (np.float32, xgrad.float32),
                    (np.float64, xgrad.float64), (np.int32, xgrad.int32), (np.int64, xgrad.int64),
                    (np.bool_, xgrad.bool)):
        a = np.arange(6).reshape(2, 3).astype(dt)
        t = xgrad.from_numpy(a, device=backend) if backend != "numpy" else xgrad.from_numpy(a)
        assert t.dtype is xdt
        np.testing.assert_array_equal(t.numpy(), a)
        assert t.numpy().dtype == a.dtype
    with pytest.raises(TypeError, match="ndarray"):
        xgrad.from_numpy([1, 2])


@pytest.mark.parametrize("factory,value", [(xgrad.zeros, 0.0), (xgrad.ones, 1.0)])
def test_zeros_ones(backend, factory, value):
    for args in ((2, 3), ((2, 3),), ([2, 3],)):
        t = factory(*args, device=backend)
        assert t.shape == (2, 3) and t.dtype is xgrad.float32
        assert (t.numpy() == value).all()
    t = factory(4, dtype=xgrad.int32, device=backend)
    assert t.dtype is xgrad.int32 and t.tolist() == [int(value)] * 4
    assert factory((), device=backend).shape == ()
    assert factory(0, 3, device=backend).numel() == 0
    r = factory(2, device=backend, requires_grad=True)
    assert r.requires_grad and r.is_leaf


def test_full_empty(backend):
    assert xgrad.full((2, 2), 7, device=backend).dtype is xgrad.int64
    assert xgrad.full((2, 2), 7.5, device=backend).tolist() == [[7.5, 7.5], [7.5, 7.5]]
    assert xgrad.full((2,), True, device=backend).dtype is xgrad.bool
    assert xgrad.full((3,), 2, dtype=xgrad.float64, device=backend).dtype is xgrad.float64
    e = xgrad.empty(2, 3, device=backend)
    assert e.shape == (2, 3) and e.dtype is xgrad.float32


def test_like_factories(backend):
    x = xgrad.tensor([[1, 2, 3]], dtype=xgrad.float64, device=backend)
    for f, v in ((xgrad.zeros_like, 0), (xgrad.ones_like, 1), (xgrad.empty_like, None)):
        t = f(x)
        assert t.shape == x.shape and t.dtype is xgrad.float64 and t.device == x.device
        if v is not None:
            assert (t.numpy() == v).all()
    t = xgrad.full_like(x, 4, dtype=xgrad.int32)
    assert t.dtype is xgrad.int32 and t.tolist() == [[4, 4, 4]]
    xgrad.manual_seed(0)
    r = xgrad.rand_like(x)
    assert r.shape == x.shape and r.dtype is xgrad.float64 and r.device == x.device
    assert xgrad.randn_like(x).shape == x.shape
    ri = xgrad.randint_like(x, 3, 5)
    assert ri.shape == x.shape and ((ri.numpy() >= 3) & (ri.numpy() < 5)).all()


@pytest.mark.parametrize("args,kwargs,expect", [
    ((5,), {}, np.arange(5)),
    ((2, 7), {}, np.arange(2, 7)),
    ((1, 10, 3), {}, np.arange(1, 10, 3)),
    ((0.0, 1.0, 0.25), {}, np.arange(0.0, 1.0, 0.25)),
    ((5, 0, -2), {}, np.arange(5, 0, -2)),
    ((3,), {"dtype": xgrad.float64}, np.arange(3.0)),
    ((0, 1, 0.1), {}, np.arange(0, 1, 0.1)),
])
def test_arange(backend, args, kwargs, expect):
    t = xgrad.arange(*args, device=backend, **kwargs)
    assert t.shape == expect.shape
    if "dtype" not in kwargs:
        assert t.dtype is (xgrad.int64 if expect.dtype.kind == "i" else xgrad.float32)
    np.testing.assert_allclose(t.numpy(), expect, rtol=1e-6)


def test_linspace_eye(backend):
    t = xgrad.linspace(-1, 1, 5, device=backend)
    assert t.dtype is xgrad.float32
    np.testing.assert_allclose(t.numpy(), np.linspace(-1, 1, 5), rtol=1e-7)
    t = xgrad.linspace(0, 1, 7, dtype=xgrad.float64, device=backend)
    np.testing.assert_allclose(t.numpy(), np.linspace(0, 1, 7), rtol=1e-15)
    assert t[0].item() == 0.0 and t[-1].item() == 1.0
    assert xgrad.linspace(2, 3, 1, device=backend).tolist() == [2.0]
    np.testing.assert_array_equal(xgrad.eye(3, device=backend).numpy(), np.eye(3))
    np.testing.assert_array_equal(xgrad.eye(2, 4, dtype=xgrad.int64, device=backend).numpy(),
                                  np.eye(2, 4))


def test_properties(backend):
    x = xgrad.zeros(2, 3, 4, device=backend)
    assert x.ndim == 3 and x.dim() == 3 and x.numel() == 24 and len(x) == 2
    assert x.shape == (2, 3, 4) and x.size(0) == 2
    assert x.dtype is xgrad.float32 and x.is_floating_point()
    assert str(x.device) == ("numpy" if backend == "numpy" else "reference")
    assert x.device == backend
    assert not x.requires_grad and x.grad is None and x.grad_fn is None and x.is_leaf
    x.requires_grad_()
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    assert x.element_size() == 4


def test_conversions(backend):
    x = xgrad.tensor([[1.5, -2.5], [3.0, 0.0]], device=backend)
    a = x.numpy()
    assert isinstance(a, np.ndarray) and a.dtype == np.float32
    assert x.tolist() == [[1.5, -2.5], [3.0, 0.0]]
    assert x[0, 0].item() == 1.5 and isinstance(x[0, 0].item(), float)
    assert isinstance(xgrad.tensor(3, device=backend).item(), int)
    assert float(x[1, 0]) == 3.0 and int(x[0, 1]) == -2 and bool(x[0, 0])
    assert x.double().dtype is xgrad.float64
    assert x.float().dtype is xgrad.float32
    assert x.long().dtype is xgrad.int64 and x.long().tolist() == [[1, -2], [3, 0]]
    assert x.int().dtype is xgrad.int32
    assert x.bool().tolist() == [[True, True], [True, False]]
    assert x.half().dtype is xgrad.float16
    assert x.to(xgrad.float64).dtype is xgrad.float64
    assert x.to("float64").dtype is xgrad.float64
    assert x.to(dtype=xgrad.int64).dtype is xgrad.int64
    assert x.to(xgrad.float32) is x
    other = xgrad.zeros(1, dtype=xgrad.float64, device="numpy")
    moved = x.to(other)
    assert moved.device == "numpy" and moved.dtype is xgrad.float64
    with pytest.raises(RuntimeError, match="4 elements"):
        x.item()


def test_clone_detach_contiguous(backend):
    x = xgrad.tensor([1.0, 2.0], device=backend, requires_grad=True)
    c = x.clone()
    assert c.requires_grad and c.grad_fn is not None
    c.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    d = x.detach()
    assert not d.requires_grad and d.is_leaf and d.tolist() == [1.0, 2.0]
    e = x.detach().clone()
    e.add_(1)
    assert x.tolist() == [1.0, 2.0]
    assert x.contiguous().tolist() == [1.0, 2.0]


def test_requires_grad_only_for_floats(backend):
    with pytest.raises(RuntimeError, match="floating point"):
        xgrad.tensor([1, 2], device=backend, requires_grad=True)


def test_repr(backend):
    r = repr(xgrad.tensor([1.0, 2.0], device=backend, requires_grad=True))
    assert r.startswith("tensor(") and "requires_grad=True" in r
    if backend == "reference":
        assert "reference" in r
