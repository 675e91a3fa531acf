"""The custom-function API, in-place ops and the version counter, gradcheck itself."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.autograd import Function, GradcheckError, gradcheck, gradgradcheck


def _t(arr, backend, rg=True):
    return xgrad.tensor(np.asarray(arr, dtype=np.float64), dtype=xgrad.float64, device=backend,
                        requires_grad=rg)


class Cube(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x * x


class MulAdd(Function):
    """(x * y + k, x - y) with a non-tensor argument in the middle."""

    @staticmethod
    def forward(ctx, x, k, y):
        ctx.save_for_backward(x, y)
        ctx.k = k
        return x * y + k, x - y

    @staticmethod
    def backward(ctx, g1, g2):
        x, y = ctx.saved_tensors
        seen_needs.append(ctx.needs_input_grad)
        return g1 * y + g2, None, g1 * x - g2


seen_needs: list = []


class WrongGrad(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 3 * x  # should be 2 * x


class SortWithIndex(Function):
    @staticmethod
    def forward(ctx, x):
        values, idx = x.sort()
        ctx.mark_non_differentiable(idx)
        ctx.save_for_backward(idx)
        return values, idx

    @staticmethod
    def backward(ctx, gv, gi):
        (idx,) = ctx.saved_tensors
        return xgrad.zeros_like(gv).scatter_add(-1, idx, gv)


def test_custom_function_forward_backward(backend):
    a = np.array([0.5, -1.5, 2.0])
    x = _t(a, backend)
    y = Cube.apply(x)
    assert y.requires_grad and y.grad_fn is not None
    np.testing.assert_allclose(y.numpy(), a ** 3)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 3 * a ** 2)
    assert gradcheck(Cube.apply, (x,))
    assert gradgradcheck(Cube.apply, (x,))


def test_custom_function_no_grad_inputs_gives_plain_tensor(backend):
    x = _t([1.0], backend, rg=False)
    y = Cube.apply(x)
    assert not y.requires_grad and y.grad_fn is None
    with xgrad.no_grad():
        assert not Cube.apply(_t([1.0], backend)).requires_grad


def test_custom_function_multiple_outputs_and_needs_input_grad(backend):
    x, y = _t([1.0, 2.0], backend), _t([3.0, -1.0], backend, rg=False)
    seen_needs.clear()
    p, q = MulAdd.apply(x, 5.0, y)
    np.testing.assert_allclose(p.numpy(), [8.0, 3.0])
    np.testing.assert_allclose(q.numpy(), [-2.0, 3.0])
    (p.sum() + 2 * q.sum()).backward()
    assert seen_needs == [(True, False, False)]
    np.testing.assert_allclose(x.grad.numpy(), [3.0 + 2.0, -1.0 + 2.0])
    y.requires_grad_()
    assert gradcheck(lambda a, b: MulAdd.apply(a, 5.0, b), (x, y))
    # only one output used: the other output's gradient is materialized as zeros
    x.grad = None
    p, q = MulAdd.apply(x, 1.0, y)
    q.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_mark_non_differentiable(backend):
    x = _t([3.0, 1.0, 2.0], backend)
    v, i = SortWithIndex.apply(x)
    assert v.requires_grad and not i.requires_grad
    assert i.tolist() == [1, 2, 0]
    (v * xgrad.tensor([1.0, 2.0, 3.0], dtype=xgrad.float64, device=backend)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 1.0, 2.0])


def test_gradcheck_reports_wrong_function(backend):
    x = _t([0.5, -1.0], backend)
    with pytest.raises(GradcheckError) as info:
        gradcheck(WrongGrad.apply, (x,))
    msg = str(info.value)
    assert "numeric" in msg and "analytic" in msg
    # each differing element is listed with both values: d(x^2)/dx = 1.0 vs 3 * 0.5 = 1.5
    assert "numeric 1 " in msg and "analytic 1.5" in msg
    assert "numeric -2" in msg and "analytic -3" in msg
    assert gradcheck(WrongGrad.apply, (x,), raise_exception=False) is False


def test_gradgradcheck_detects_wrong_second_derivative(backend):
    class BadSecond(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x.exp()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * x.detach().exp()  # first derivative right, not differentiable in x

    x = _t([0.1, 0.4], backend)
    assert gradcheck(BadSecond.apply, (x,))
    assert gradgradcheck(BadSecond.apply, (x,), raise_exception=False) is False


def test_function_saved_tensor_modified_in_place_raises(backend):
    x = _t([1.0, 2.0], backend)
    h = x * 1
    y = Cube.apply(h)
    with xgrad.no_grad():
        h.add_(1)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()


# ---- in-place ops and the version counter -------------------------------------------------
def test_inplace_on_saved_tensor_raises_pytorch_error(backend):
    x = _t([1.0, 2.0], backend)
    a = x * 2
    b = a * a  # saves a
    a.add_(1)
    with pytest.raises(RuntimeError) as info:
        b.sum().backward()
    msg = str(info.value)
    assert "modified by an inplace operation" in msg
    assert "version 1" in msg and "expected version 0" in msg
    assert "[2]" in msg  # the shape of the modified tensor


@pytest.mark.parametrize("op", [lambda t: t.exp(), lambda t: t.tanh(), lambda t: t.sigmoid(),
                                lambda t: t.softmax(-1), lambda t: t.logsumexp(0, keepdim=True),
                                lambda t: t.amax(0, keepdim=True), lambda t: t.sqrt()])
@pytest.mark.parametrize("grad_mode", [True, False])
def test_inplace_on_saved_output_raises_each_op(backend, op, grad_mode):
    x = _t([1.0, 2.0], backend)
    y = op(x)
    with xgrad.set_grad_enabled(grad_mode):
        y.mul_(2)
    try:
        y.sum().backward()
    except RuntimeError as exc:
        assert "modified by an inplace operation" in str(exc)
        return
    # no error: only acceptable when the op's backward did not read the output (a
    # decomposition, e.g. on the reference backend); the gradient must then be right
    ref = _t([1.0, 2.0], backend)
    (op(ref) * (2 if grad_mode else 1)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-12)


def test_inplace_op_of_output_saving_kind_twice(backend):
    x = _t([0.5, 1.0], backend)
    y = x * 1
    y.exp_()
    y.exp_()  # the second exp_ modifies the saved output of the first
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    z = x * 1
    z.exp_()
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.exp([0.5, 1.0]), rtol=1e-12)


def test_inplace_on_saved_output_raises(backend):
    x = _t([1.0, 2.0], backend)
    y = x.exp()  # backward uses the output
    z = y * 1
    y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        (y.sum() + z.sum()).backward()


def test_inplace_on_unsaved_tensor_is_fine(backend):
    x = _t([1.0, 2.0], backend)
    a = x * 2
    b = a + 3  # add saves nothing
    a.mul_(5)
    (a.sum() + b.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [12.0, 12.0])  # d(10x)/dx + d(2x + 3)/dx


def test_inplace_on_leaf_requiring_grad_raises(backend):
    x = _t([1.0], backend)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 2.0
    with xgrad.no_grad():
        x.add_(1)  # allowed, as in PyTorch (optimizer updates)
    assert x.tolist() == [2.0] and x.is_leaf and x.requires_grad


def test_version_counter_increments(backend):
    x = _t([1.0, 2.0], backend, rg=False)
    v = x._version
    x.add_(1)
    x[0] = 3.0
    x.mul_(2)
    assert x._version == v + 3


def test_setitem_records_gradient_for_value(backend):
    x = _t([1.0, 2.0, 3.0], backend)
    v = _t([10.0], backend)
    y = x * 1
    y[1:2] = v * 2
    (y * _t([1.0, 2.0, 3.0], backend, rg=False)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 0.0, 3.0])
    np.testing.assert_allclose(v.grad.numpy(), [4.0])


def test_function_materialize_grads_false_and_wrong_grad_count(backend):
    seen = []

    class Two(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 2, x * 3

        @staticmethod
        def backward(ctx, g1, g2):
            seen.append((g1 is None, g2 is None))
            return g1 * 2 if g1 is not None else g2 * 3

    x = _t([1.0], backend)
    a, b = Two.apply(x)
    b.sum().backward()
    assert seen == [(True, False)] and x.grad.tolist() == [3.0]

    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return (g,)

    with pytest.raises(RuntimeError, match=r"incorrect number of gradients \(expected 2, got 1\)"):
        TooFew.apply(x, _t([2.0], backend)).sum().backward()


def test_function_returning_its_input_and_double_backward(backend):
    class Ident(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = _t([1.0, 2.0], backend)
    y = Ident.apply(x)
    assert y is not x and y.grad_fn is not None and x.is_leaf
    y.sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]
    z = _t([0.3, 0.6], backend)
    (g,) = xgrad.autograd.grad(Cube.apply(z).sum(), z, create_graph=True)
    (h,) = xgrad.autograd.grad(g.sum(), z)
    np.testing.assert_allclose(h.numpy(), 6 * np.array([0.3, 0.6]), rtol=1e-12)
