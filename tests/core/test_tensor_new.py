"""Tensor.new_* factories and the dtype converter methods, against PyTorch as the oracle."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")



def _dt(mod, name):
    return getattr(mod, name)


@pytest.mark.parametrize("name", ["float64", "float32", "int32", "int64", "bool"])
@pytest.mark.parametrize("call", [
    lambda t, m: t.new_zeros(2, 3), lambda t, m: t.new_zeros((2, 3)), lambda t, m: t.new_ones([4]),
    lambda t, m: t.new_ones(()), lambda t, m: t.new_full((2,), 3), lambda t, m: t.new_full([1, 2], 1.5),
    lambda t, m: t.new_empty(0, 2).shape and t.new_zeros(0, 2),
    lambda t, m: t.new_tensor([1, 2, 3]), lambda t, m: t.new_tensor([[1.5, -2.5]]),
    lambda t, m: t.new_zeros(3, dtype=m.float64), lambda t, m: t.new_full((2,), 7, dtype=m.int64),
    lambda t, m: t.new_tensor([0.5], dtype=m.float32),
])
def test_new_factories_match_torch(name, call):
    x = call(xgrad.ones(2, dtype=_dt(xgrad, name)), xgrad)
    t = call(torch.ones(2, dtype=_dt(torch, name)), torch)
    assert x.dtype.name == str(t.dtype).replace("torch.", "")
    assert tuple(x.shape) == tuple(t.shape)
    np.testing.assert_array_equal(x.numpy(), t.numpy())


def test_new_factories_inherit_device_and_take_requires_grad():
    r = xgrad.ones(2, device="reference")
    for out in (r.new_zeros(2), r.new_ones(1), r.new_full((1,), 2.0), r.new_empty(3),
                r.new_tensor([1.0])):
        assert out.device == "reference"
    assert r.new_zeros(2, device="cpu").device == "cpu"
    g = xgrad.ones(2).new_ones(3, requires_grad=True)
    assert g.requires_grad and g.is_leaf
    (g * 2).sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), [2.0, 2.0, 2.0])
    src = xgrad.ones(2, requires_grad=True)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        copy = xgrad.ones(1).new_tensor(src)
    assert "sourceTensor.detach().clone()" in str(w[0].message) and w[0].category is UserWarning
    assert copy.is_leaf and not copy.requires_grad
    copy.add_(1)
    assert src.tolist() == [1.0, 1.0]  # a copy, not an alias


@pytest.mark.parametrize("call", [
    lambda t, m: t.new_full(2, 3), lambda t, m: t.new_zeros("a"), lambda t, m: t.new_ones(2.5),
    lambda t, m: t.new_zeros(-1), lambda t, m: t.new_empty(2, -3),
])
def test_new_factory_errors_match_torch(call):
    with pytest.raises(Exception) as et:
        call(torch.ones(2), torch)
    with pytest.raises(type(et.value)) as ex:
        call(xgrad.ones(2), xgrad)
    assert str(ex.value) == str(et.value)


def test_new_ones_requires_grad_on_integers_is_refused():
    with pytest.raises(RuntimeError, match="floating point"):
        xgrad.ones(2).new_ones(2, dtype=xgrad.int64, requires_grad=True)
    with pytest.raises(RuntimeError, match="floating point"):
        torch.ones(2).new_ones(2, dtype=torch.int64, requires_grad=True)


@pytest.mark.parametrize("method", ["float", "double", "half", "long", "int", "bool", "bfloat16"])
def test_dtype_converters_match_torch(method):
    vals = [[-2.75, 0.0, 1.5], [3.25, -0.5, 7.0]]
    x = getattr(xgrad.tensor(vals), method)()
    t = getattr(torch.tensor(vals), method)()
    assert x.dtype.name == str(t.dtype).replace("torch.", "")
    np.testing.assert_array_equal(x.float().numpy(), t.float().numpy())
    same = getattr(x, method)(memory_format=None)
    assert same.dtype is x.dtype


def test_bfloat16_converter_is_differentiable_and_refused_on_reference():
    a = xgrad.tensor([1.0, 2.0], requires_grad=True)
    a.bfloat16().float().sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]
    with pytest.raises(TypeError, match="does not support dtype bfloat16"):
        xgrad.ones(2, device="reference").bfloat16()


@pytest.mark.parametrize("method, name", [("short", "int16"), ("byte", "uint8"), ("char", "int8")])
def test_converters_to_dtypes_xgrad_lacks_say_so(method, name):
    assert str(getattr(torch.ones(1), method)().dtype) == f"torch.{name}"
    with pytest.raises(TypeError, match=rf"Tensor.{method}\(\) casts to {name} in PyTorch, but "
                                        rf"xgrad has no {name} dtype; supported: .*int64"):
        getattr(xgrad.ones(1), method)()
