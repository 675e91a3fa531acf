"""Places where xgrad used to be more lenient than PyTorch: each now matches PyTorch 2.x
(the behaviour and error texts below were taken from torch 2.13 on CPU)."""
from __future__ import annotations

import pytest
import xgrad


@pytest.mark.parametrize("dtype,name", [("float32", "Float"), ("float64", "Double"),
                                        ("int64", "Long"), ("int32", "Int")])
def test_where_rejects_a_non_bool_condition(backend, dtype, name):
    cond = xgrad.tensor([1, 0], dtype=dtype, device=backend)
    a, b = xgrad.ones(2, device=backend), xgrad.zeros(2, device=backend)
    msg = f"where expected condition to be a boolean tensor, but got a tensor with dtype {name}"
    with pytest.raises(RuntimeError, match=msg):
        xgrad.where(cond, a, b)
    with pytest.raises(RuntimeError, match=msg):
        xgrad.where(cond, 1.0, 0.0)


def test_where_with_a_bool_condition_still_selects(backend):
    cond = xgrad.tensor([True, False, True], device=backend)
    out = xgrad.where(cond, xgrad.tensor([1.0, 2.0, 3.0], device=backend), -1.0)
    assert out.tolist() == [1.0, -1.0, 3.0]


_ZERO_DIV_CASES = {
    "floordiv_scalar": lambda t, z: t // 0,
    "mod_scalar": lambda t, z: t % 0,
    "floordiv_tensor": lambda t, z: t // z,
    "mod_tensor": lambda t, z: t % z,
    "rfloordiv": lambda t, z: 5 // z,
    "rmod": lambda t, z: 5 % z,
    "remainder": lambda t, z: t.remainder(0),
    "fmod": lambda t, z: t.fmod(z),
    "floor_divide": lambda t, z: xgrad.floor_divide(t, z),
    "div_floor": lambda t, z: t.div(z, rounding_mode="floor"),
}


@pytest.mark.parametrize("case", sorted(_ZERO_DIV_CASES))
@pytest.mark.parametrize("dtype", ["int64", "int32"])
def test_integer_division_by_zero_raises(backend, case, dtype):
    t = xgrad.tensor([5, -3], dtype=dtype, device=backend)
    z = xgrad.tensor([1, 0], dtype=dtype, device=backend)
    with pytest.raises(RuntimeError, match="^ZeroDivisionError$"):
        _ZERO_DIV_CASES[case](t, z)


def test_integer_division_without_zero_keeps_python_semantics(backend):
    t = xgrad.tensor([7, -7, 7, -7], device=backend)
    d = xgrad.tensor([2, 2, -2, -2], device=backend)
    assert (t // d).tolist() == [7 // 2, -7 // 2, 7 // -2, -7 // -2]
    assert (t % d).tolist() == [7 % 2, -7 % 2, 7 % -2, -7 % -2]
    assert (t.fmod(d)).tolist() == [1, -1, 1, -1]
    assert (9 // d).tolist() == [4, 4, -5, -5]


def test_float_division_by_zero_stays_ieee(backend):
    t = xgrad.tensor([1.0, -1.0], device=backend)
    assert (t // 0).tolist() == [float("inf"), float("-inf")]
    ti = xgrad.tensor([1, -1], device=backend)
    # an integer tensor divided by a float zero gives a float result: no error either
    assert (ti // 0.0).tolist() == [float("inf"), float("-inf")]
    assert (ti // xgrad.zeros(2, device=backend)).tolist() == [float("inf"), float("-inf")]


_SIZE_CASES = {
    "zeros": (lambda dev, *s: xgrad.zeros(*s, device=dev), "zeros", "size"),
    "ones": (lambda dev, *s: xgrad.ones(*s, device=dev), "ones", "size"),
    "empty": (lambda dev, *s: xgrad.empty(*s, device=dev), "empty", "size"),
    "full": (lambda dev, *s: xgrad.full(s[0] if len(s) == 1 else s, 1.0, device=dev), "full",
             "size"),
    "reshape": (lambda dev, *s: xgrad.arange(6.0, device=dev).reshape(*s), "reshape", "shape"),
    "view": (lambda dev, *s: xgrad.arange(6.0, device=dev).view(*s), "view", "size"),
}


@pytest.mark.parametrize("case", sorted(_SIZE_CASES))
def test_non_integer_sizes_raise_type_error(backend, case):
    make, fn, arg = _SIZE_CASES[case]
    head = rf"{fn}\(\): argument '{arg}' \(position 1\) must be tuple of ints"
    with pytest.raises(TypeError, match=head + ", not float$"):
        make(backend, 6.0)
    with pytest.raises(TypeError, match=head + ", but found element of type float at pos 1$"):
        make(backend, 3, 2.0)
    with pytest.raises(TypeError, match=head + ", but found element of type float at pos 0$"):
        make(backend, (3.0, 2))
    with pytest.raises(TypeError, match=head + ", but found element of type bool at pos 0$"):
        make(backend, (True, 6))
    with pytest.raises(TypeError, match=head + ", not Tensor$"):
        make(backend, xgrad.tensor(6.0))


@pytest.mark.parametrize("case", sorted(_SIZE_CASES))
def test_integer_like_sizes_are_accepted(backend, case):
    import numpy as np

    make = _SIZE_CASES[case][0]
    for size in [(3, 2), ([3, 2],), ((3, 2),), (np.int64(3), np.int32(2)),
                 (xgrad.tensor(3), 2), (xgrad.Size([3, 2]),)]:
        assert tuple(make(backend, *size).shape) == (3, 2), size


_S = slice(None)
# (index, the same selection written with numpy's None and slices), following PyTorch: a bool
# scalar is a new axis indexed by [0] (True) or [] (False); several broadcast into one axis,
# kept in place when adjacent (ints in between do not count) and moved to the front otherwise.
_BOOL_SCALAR_CASES = [
    (True, lambda n: n[None]),
    (False, lambda n: n[None][:0]),
    ((True, True), lambda n: n[None]),
    ((False, True), lambda n: n[None][:0]),
    ((0, True), lambda n: n[0][None]),
    ((_S, True, 0), lambda n: n[:, None, 0]),
    ((1, _S, False), lambda n: n[1][:, None][:, :0]),
    ((Ellipsis, False), lambda n: n[..., None][..., :0]),
    ((None, True, Ellipsis, False), lambda n: n[None, None][:0]),
    ((True, 0, True), lambda n: n[None, 0]),
    ((True, _S, True), lambda n: n[None]),
    ((_S, False, _S, True), lambda n: n[None][:0]),
    ((Ellipsis, True, None, 2), lambda n: n[..., None, None, 2]),
    ((0, 1, 2, True), lambda n: n[0, 1, 2][None]),
]


@pytest.mark.parametrize("k", range(len(_BOOL_SCALAR_CASES)))
def test_bool_scalar_index_adds_an_axis_of_size_one_or_zero(backend, k):
    import numpy as np

    index, expect = _BOOL_SCALAR_CASES[k]
    n = np.arange(24.0).reshape(2, 3, 4)
    x = xgrad.tensor(n, device=backend)
    ref = expect(n)
    out = x[index]
    assert tuple(out.shape) == ref.shape
    np.testing.assert_array_equal(out.numpy(), ref)


def test_bool_scalar_tensor_index_matches_python_bool(backend):
    x = xgrad.arange(6.0, device=backend).reshape(2, 3)
    assert tuple(x[xgrad.tensor(True, device=backend)].shape) == (1, 2, 3)
    assert tuple(x[xgrad.tensor(False, device=backend), 1].shape) == (0, 3)


def test_bool_scalar_index_gradient_and_assignment(backend):
    x = xgrad.arange(6.0, device=backend).reshape(2, 3).requires_grad_()
    (x[True] * 2).sum().backward()
    assert x.grad.tolist() == [[2.0] * 3] * 2
    x.grad = None
    (x[0, False].sum() + x[1, True].sum()).backward()
    assert x.grad.tolist() == [[0.0] * 3, [1.0] * 3]
    y = xgrad.zeros(2, 3, device=backend)
    y[False] = 1.0
    assert y.tolist() == [[0.0] * 3] * 2
    y[0, True] = 2.0
    y[True, 1] = xgrad.tensor([[3.0, 4.0, 5.0]], device=backend)
    assert y.tolist() == [[2.0] * 3, [3.0, 4.0, 5.0]]


def test_int32_index_tensors_are_accepted_like_int64(backend):
    x = xgrad.arange(6.0, device=backend).reshape(2, 3)
    for dt in ("int32", "int64"):
        i = xgrad.tensor([1, 0], dtype=dt, device=backend)
        assert x[i].tolist() == [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]]
        assert x[:, i].tolist() == [[1.0, 0.0], [4.0, 3.0]]
        assert x.index_select(1, i).tolist() == [[1.0, 0.0], [4.0, 3.0]]
        g = xgrad.tensor([[2], [0]], dtype=dt, device=backend)
        assert x.gather(1, g).tolist() == [[2.0], [3.0]]
        assert x.scatter(1, g, 9.0).tolist() == [[0.0, 1.0, 9.0], [9.0, 4.0, 5.0]]
        assert x.scatter_add(1, g, xgrad.ones(2, 1, device=backend)).tolist() == \
            [[0.0, 1.0, 3.0], [4.0, 4.0, 5.0]]


def test_index_select_checks_index_dtype_and_keeps_a_0d_index_dim(backend):
    x = xgrad.arange(6.0, device=backend).reshape(2, 3)
    assert x.index_select(0, xgrad.tensor(1, device=backend)).tolist() == [[3.0, 4.0, 5.0]]
    for bad in (xgrad.tensor([0.0], device=backend), xgrad.tensor([True, False], device=backend)):
        with pytest.raises(RuntimeError, match=r"index_select\(\): Expected dtype int32 or int64"):
            x.index_select(0, bad)


@pytest.mark.parametrize("op,kind", [("gather", RuntimeError), ("scatter", RuntimeError),
                                     ("scatter_add", RuntimeError),
                                     ("index_select", IndexError)])
@pytest.mark.parametrize("bad", [5, -4])
def test_out_of_range_index_names_the_op_value_dim_and_size(backend, op, kind, bad):
    x = xgrad.arange(6.0, device=backend).reshape(2, 3)
    idx = xgrad.tensor([[0, bad, 1]], device=backend)
    call = {"gather": lambda: x.gather(1, idx),
            "scatter": lambda: x.scatter(1, idx, 1.0),
            "scatter_add": lambda: x.scatter_add(1, idx, xgrad.ones(1, 3, device=backend)),
            "index_select": lambda: x.index_select(1, idx.reshape(-1))}[op]
    with pytest.raises(kind, match=rf"^{op}\(\): index {bad} is out of bounds for dimension 1 "
                                   r"with size 3$"):
        call()
