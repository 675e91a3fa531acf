"""Bad input gets a clear error saying what was expected and what was given."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad import registry
from xgrad.backends.numpy import NumpyBackend
from xgrad.registry import BackendSpec


def test_two_backends_in_one_op():
    a = xgrad.ones(2)
    b = xgrad.ones(2, device="reference")
    for op in (lambda: a + b, lambda: a * b, lambda: b - a, lambda: a @ b,
               lambda: xgrad.cat([a, b]), lambda: xgrad.where(a > 0, a, b),
               lambda: xgrad.maximum(a, b), lambda: a == b, lambda: xgrad.stack([a, b])):
        with pytest.raises(RuntimeError) as info:
            op()
        msg = str(info.value)
        assert "numpy" in msg and "reference" in msg, msg
        assert ".to(" in msg, msg


@pytest.mark.parametrize("sa,sb", [((2, 3), (4,)), ((2, 3), (3, 2)), ((5,), (2, 1, 4))])
def test_broadcast_shape_mismatch_names_both_shapes(backend, sa, sb):
    a, b = xgrad.ones(*sa, device=backend), xgrad.ones(*sb, device=backend)
    for op in (lambda: a + b, lambda: a * b, lambda: a - 1 + b, lambda: xgrad.where(a > 0, a, b)):
        with pytest.raises(RuntimeError) as info:
            op()
        msg = str(info.value)
        assert "must match the size of tensor b" in msg, msg
        assert str(list(sa)) in msg and str(list(sb)) in msg, msg


@pytest.mark.parametrize("sa,sb", [((2, 3), (2, 3)), ((3,), (4,)), ((2, 2, 3), (2, 4, 2)),
                                   ((3, 4), (5,))])
def test_matmul_shape_mismatch_names_both_shapes(backend, sa, sb):
    a, b = xgrad.ones(*sa, device=backend), xgrad.ones(*sb, device=backend)
    with pytest.raises(RuntimeError) as info:
        a @ b
    msg = str(info.value)
    fmt = lambda s: (str(list(s)), str(tuple(s)), "x".join(map(str, s)))
    assert any(f in msg for f in fmt(sa)) and any(f in msg for f in fmt(sb)), msg


def test_matmul_of_0d_tensor(backend):
    with pytest.raises(RuntimeError, match="at least 1D, but they are 0D and 1D"):
        xgrad.tensor(2.0, device=backend) @ xgrad.ones(2, device=backend)


def test_backward_on_non_scalar_without_gradient(backend):
    x = xgrad.ones(2, 3, device=backend, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar"):
        (x * 2).backward()


def test_backward_gradient_wrong_shape(backend):
    x = xgrad.ones(2, device=backend, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\[3\].*\[2\]"):
        (x * 2).backward(xgrad.ones(3, device=backend))


def test_backward_on_tensor_without_grad(backend):
    with pytest.raises(RuntimeError, match="does not require grad"):
        xgrad.ones(1, device=backend).sum().backward()


def test_second_backward_through_freed_graph(backend):
    x = xgrad.ones(2, device=backend, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()
    z = (x * x).sum()
    xgrad.autograd.grad(z, x)
    with pytest.raises(RuntimeError, match="second time"):
        xgrad.autograd.grad(z, x)


def test_inplace_change_of_saved_tensor(backend):
    x = xgrad.ones(3, device=backend, requires_grad=True)
    h = x.sin()
    y = h * h
    h.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*version 1; expected "
                                           "version 0"):
        y.sum().backward()


@pytest.mark.parametrize("op", [
    lambda x: x.sum(3), lambda x: x.sum(-4), lambda x: x.mean((0, 5)), lambda x: x.softmax(3),
    lambda x: x.transpose(0, 3), lambda x: x.unsqueeze(4), lambda x: x.squeeze(3),
    lambda x: x.flatten(0, 3), lambda x: x.cumsum(3), lambda x: x.argmax(3), lambda x: x.max(3),
    lambda x: xgrad.cat([x, x], 3), lambda x: xgrad.stack([x, x], 4), lambda x: x.size(3),
    lambda x: x.flip(3), lambda x: x.narrow(3, 0, 1), lambda x: x.sort(3),
    lambda x: x.gather(3, xgrad.zeros(1, 1, 1, dtype=xgrad.int64, device=x.device)),
    lambda x: x.index_select(3, xgrad.zeros(1, dtype=xgrad.int64, device=x.device)),
    lambda x: x.permute(0, 1, 3), lambda x: x.logsumexp(3), lambda x: x.var(3),
    lambda x: x.roll(1, 3), lambda x: x.chunk(2, 3), lambda x: x.split(1, 3),
])
def test_bad_dim_index(backend, op):
    x = xgrad.ones(2, 3, 4, device=backend)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of "
                                         r"\[-\d, \d\], but got -?\d\)"):
        op(x)


def test_permute_wrong_length_and_repeated_dims(backend):
    x = xgrad.ones(2, 3, device=backend)
    with pytest.raises(RuntimeError, match=r"2 dimensions.*\[2, 3\].*3 dims"):
        x.permute(0, 1, 2)
    with pytest.raises(RuntimeError, match="(?i)repeat"):
        x.permute(0, 0)


def test_reshape_wrong_numel(backend):
    x = xgrad.ones(2, 3, device=backend)
    with pytest.raises(RuntimeError, match=r"shape '\[4, 2\]' is invalid for input of size 6"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.reshape(-1, -1)


def test_expand_incompatible(backend):
    with pytest.raises(RuntimeError, match=r"\[3\].*\[2\]|\[2\].*\[3\]"):
        xgrad.ones(3, device=backend).expand(2)


def test_cat_shape_mismatch(backend):
    with pytest.raises(RuntimeError, match=r"Sizes of tensors must match"):
        xgrad.cat([xgrad.ones(2, 3, device=backend), xgrad.ones(2, 4, device=backend)], 0)
    with pytest.raises(RuntimeError, match="(?i)stack expects each tensor to be equal size"):
        xgrad.stack([xgrad.ones(2, device=backend), xgrad.ones(3, device=backend)])


def test_index_out_of_range(backend):
    x = xgrad.ones(2, 3, device=backend)
    with pytest.raises(IndexError, match="out of (range|bounds).*size 2|size 2.*out of"):
        x[2]
    with pytest.raises(IndexError, match="(?i)too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="out of (range|bounds)"):
        x[:, xgrad.tensor([0, 3], device=backend)]
    with pytest.raises((IndexError, RuntimeError), match="index 5 is out of bounds"):
        x.gather(1, xgrad.tensor([[0, 5]], device=backend))


def test_index_tensor_wrong_dtype(backend):
    x = xgrad.ones(3, device=backend)
    with pytest.raises(IndexError, match="(?i)long|int|bool"):
        x[xgrad.tensor([0.0, 1.0], device=backend)]
    with pytest.raises(RuntimeError, match="(?i)int64|long"):
        x.gather(0, xgrad.tensor([0.0], device=backend))


def test_boolean_mask_wrong_shape(backend):
    x = xgrad.ones(2, 3, device=backend)
    with pytest.raises(IndexError, match=r"mask \[2, 2\].*\[2, 3\]"):
        x[xgrad.tensor([[True, False], [False, True]], device=backend)]


def test_item_and_bool_of_many_elements(backend):
    x = xgrad.ones(2, device=backend)
    with pytest.raises(RuntimeError, match="2 elements"):
        x.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(x)


def test_bad_factory_arguments(backend):
    with pytest.raises(RuntimeError, match="negative dimension -1"):
        xgrad.zeros(2, -1, device=backend)
    with pytest.raises(TypeError, match="(?i)size"):
        xgrad.zeros(2.5, device=backend)
    with pytest.raises(TypeError, match="(?i)unknown dtype.*float128|float128"):
        xgrad.zeros(2, dtype="float128", device=backend)
    with pytest.raises((TypeError, ValueError), match="ragged"):
        xgrad.tensor([[1, 2], [3]], device=backend)


def test_int_result_into_int_tensor_inplace(backend):
    x = xgrad.tensor([1, 2], device=backend)
    with pytest.raises(RuntimeError, match="float32.*int64|can't be cast"):
        x.add_(0.5)


def test_unsupported_dtype_on_backend():
    class NoF64(NumpyBackend):
        name = device = "nof64"
        dtypes = frozenset(d for d in NumpyBackend.dtypes if d is not xgrad.float64)

    class Plugin:
        @xgrad.hookimpl
        def xgrad_register_backends(self):
            return [BackendSpec("nof64", lambda i: NoF64(), package="nof64-pkg")]

    p = Plugin()
    registry.register_plugin(p, name="nof64")
    try:
        with pytest.raises(TypeError) as info:
            xgrad.zeros(2, dtype=xgrad.float64, device="nof64")
        msg = str(info.value)
        assert "nof64" in msg and "float64" in msg and "float32" in msg
        with pytest.raises(TypeError, match="float64.*nof64|nof64.*float64"):
            xgrad.ones(2, dtype=xgrad.float64).to("nof64")
        y = xgrad.ones(2, device="nof64")
        with pytest.raises(TypeError, match="nof64.*float64|float64.*nof64"):
            y.double()
        with pytest.raises(TypeError, match="nof64.*float64|float64.*nof64"):
            xgrad.tensor(np.ones(2), device="nof64")
    finally:
        registry.unregister_plugin(p)
        registry._specs.pop("nof64", None)
        registry._instances.pop("nof64", None)


def test_requires_grad_on_integer_tensor(backend):
    with pytest.raises(RuntimeError, match="floating point"):
        xgrad.ones(2, dtype=xgrad.int64, device=backend).requires_grad_()


def test_unsupported_operand_type(backend):
    x = xgrad.ones(2, device=backend)
    with pytest.raises(TypeError):
        x + "a"
    with pytest.raises(TypeError):
        x * object()


def test_chunk_roll_setitem_and_dim_type_errors(backend):
    x = xgrad.ones(2, 3, device=backend)
    with pytest.raises(RuntimeError, match="greater than 0, got: 0"):
        x.chunk(0)
    with pytest.raises(RuntimeError, match="shifts and dimensions must align"):
        x.roll((1, 2), (0,))
    with pytest.raises(RuntimeError, match=r"value tensor of shape \[4\].*result of shape \[3\]"):
        x[0] = xgrad.ones(4, device=backend)
    with pytest.raises(TypeError, match="float"):
        x.sum(0.5)
    with pytest.raises(TypeError, match=r"max\(\): argument 'dim' must be int, not tuple"):
        x.max((0, 1))
    with pytest.raises(TypeError, match=r"argmin\(\): argument 'dim' must be int, not"):
        x.argmin((0, 1))
    np.testing.assert_array_equal(x.sum(np.int64(1)).numpy(), [3.0, 3.0])  # numpy ints are dims


def test_out_of_range_indices_name_the_index_and_size(backend):
    x = xgrad.ones(2, 3, device=backend)
    i = xgrad.tensor([[5]], device=backend)
    for op, kind in ((lambda: x.scatter(1, i, 1.0), RuntimeError),  # PyTorch's classes
                     (lambda: x.index_select(0, xgrad.tensor([4], device=backend)), IndexError)):
        with pytest.raises(kind, match=r"index \d is out of bounds .* size \d"):
            op()
