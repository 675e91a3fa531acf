"""Autograd semantics: backward arguments, grad(), grad modes, hooks, leaves, accumulation."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.autograd import grad


def _t(arr, backend, rg=True):
    return xgrad.tensor(np.asarray(arr, dtype=np.float64), dtype=xgrad.float64, device=backend,
                        requires_grad=rg)


def test_backward_scalar_and_gradient_argument(backend):
    x = _t([1.0, 2.0, 3.0], backend)
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0, 6.0])
    x.grad = None
    y = x * x
    y.backward(gradient=_t([1.0, 0.5, -1.0], backend, rg=False))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, -6.0])


def test_retain_graph(backend):
    x = _t([1.0, 2.0], backend)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    g1 = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * g1)
    with pytest.raises(RuntimeError, match="(?i)second time|freed|retain_graph"):
        y.backward()


def test_create_graph_higher_order(backend):
    x = _t([0.5, -1.0], backend)
    y = (x ** 3).sum()
    y.backward(create_graph=True)
    g = x.grad
    assert g.requires_grad
    np.testing.assert_allclose(g.numpy(), 3 * np.array([0.5, -1.0]) ** 2)
    x.grad = None
    g.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * np.array([0.5, -1.0]))


def test_autograd_grad_higher_order(backend):
    a = np.array([0.3, -0.7, 1.1])
    x = _t(a, backend)
    y = (x.sin() * x).sum()
    (g,) = grad(y, x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), np.cos(a) * a + np.sin(a), rtol=1e-12)
    (h,) = grad(g.sum(), x, create_graph=True)
    np.testing.assert_allclose(h.numpy(), -np.sin(a) * a + 2 * np.cos(a), rtol=1e-12)
    (h3,) = grad(h.sum(), x)
    np.testing.assert_allclose(h3.numpy(), -np.cos(a) * a - 3 * np.sin(a), rtol=1e-12)
    assert x.grad is None  # grad() never touches .grad


def test_grad_multiple_inputs_outputs_allow_unused(backend):
    x, y, z = _t([1.0, 2.0], backend), _t([3.0, 4.0], backend), _t([5.0], backend)
    out1, out2 = (x * y).sum(), (x * 2).sum()
    gx, gy = grad([out1, out2], [x, y])
    np.testing.assert_allclose(gx.numpy(), [5.0, 6.0])
    np.testing.assert_allclose(gy.numpy(), [1.0, 2.0])
    with pytest.raises(RuntimeError, match="(?i)not.*used|allow_unused"):
        grad((x * y).sum(), [x, z])
    gx, gz = grad((x * y).sum(), [x, z], allow_unused=True)
    assert gz is None
    gx, gz = grad((x * y).sum(), [x, z], materialize_grads=True)
    assert gz.tolist() == [0.0]
    go = _t([1.0, -1.0], backend, rg=False)
    (gx,) = grad(x * 3, x, grad_outputs=go)
    np.testing.assert_allclose(gx.numpy(), [3.0, -3.0])


def test_no_grad_and_enable_grad(backend):
    x = _t([1.0], backend)
    with xgrad.no_grad():
        assert not xgrad.is_grad_enabled()
        y = x * 2
        with xgrad.enable_grad():
            z = x * 2
    assert xgrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @xgrad.no_grad()
    def f(t):
        return t * 2

    @xgrad.enable_grad()
    def g(t):
        return t * 2

    assert not f(x).requires_grad
    with xgrad.no_grad():
        assert g(x).requires_grad
    assert xgrad.is_grad_enabled()


def test_set_grad_enabled_and_inference_mode(backend):
    x = _t([1.0], backend)
    with xgrad.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert xgrad.is_grad_enabled()
    xgrad.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        xgrad.set_grad_enabled(True)
    assert (x * 2).requires_grad

    @xgrad.set_grad_enabled(False)
    def f(t):
        return t * 2

    assert xgrad.is_grad_enabled()
    assert not f(x).requires_grad
    with xgrad.inference_mode():
        assert not (x * 2).requires_grad
    with xgrad.inference_mode(False):
        assert (x * 2).requires_grad

    @xgrad.inference_mode()
    def h(t):
        return t * 2

    assert not h(x).requires_grad and xgrad.is_grad_enabled()


def test_grad_mode_restored_after_exception(backend):
    with pytest.raises(ValueError):
        with xgrad.no_grad():
            raise ValueError
    assert xgrad.is_grad_enabled()


def test_hooks_on_leaf_and_non_leaf(backend):
    x = _t([1.0, 2.0], backend)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 3
    y.register_hook(lambda g: g * 10)  # non-leaf hook modifying the gradient
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 10 * 3 * 2 * 3 * np.array([1.0, 2.0]))
    assert seen == [x.grad.tolist()]
    h.remove()
    x.grad = None
    x.register_hook(lambda g: g * 0 + 1)  # leaf hook replacing the gradient
    (x * 5).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]
    assert seen == [[180.0, 360.0]]
    with pytest.raises(RuntimeError, match="requires_grad|require gradient"):
        _t([1.0], backend, rg=False).register_hook(lambda g: g)


def test_retain_grad_and_non_leaf_grad(backend):
    x = _t([1.0, 2.0], backend)
    y = x * 2
    z = x * 3
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad
    (y * z).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), z.detach().numpy())
    assert z.grad is None
    assert not x.retains_grad


def test_leaf_semantics(backend):
    x = _t([1.0], backend)
    c = _t([1.0], backend, rg=False)
    assert x.is_leaf and c.is_leaf and x.grad_fn is None
    y = x + c
    assert not y.is_leaf and y.grad_fn is not None
    w = c * 2  # no input requires grad: a leaf
    assert w.is_leaf and not w.requires_grad and w.grad_fn is None
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False
    (y * 2).sum().backward()
    assert c.grad is None and x.grad.tolist() == [2.0]


def test_gradient_accumulates_across_backward_calls(backend):
    x = _t([1.0, -2.0], backend)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0 + 3.0, -4.0 + 3.0])
    x.grad.zero_()
    (x * 1).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


def test_shared_subexpression_gradients_add(backend):
    x = _t([2.0], backend)
    y = x * x
    z = y + y * y  # y used twice
    z.backward()
    assert x.grad.item() == pytest.approx(2 * 2 + 4 * 8)


@pytest.mark.parametrize("sx,sy", [((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)), ((1,), (2, 3)),
                                   ((2, 1, 3), (4, 1))])
def test_broadcast_gradients_reduced_to_input_shape(backend, sx, sy):
    x = _t(np.ones(sx), backend)
    y = _t(np.ones(sy) * 2, backend)
    (x * y).sum().backward()
    out = np.broadcast_shapes(sx, sy)
    assert tuple(x.grad.shape) == sx and tuple(y.grad.shape) == sy
    np.testing.assert_allclose(x.grad.numpy(), np.full(sx, 2.0 * np.prod(out) / max(np.prod(sx), 1)))
    np.testing.assert_allclose(y.grad.numpy(), np.full(sy, np.prod(out) / max(np.prod(sy), 1)))


def test_backward_inputs_argument(backend):
    x, y = _t([1.0], backend), _t([2.0], backend)
    (x * y).sum().backward(inputs=[x])
    assert x.grad.tolist() == [2.0] and y.grad is None


def test_transfer_between_backends_is_differentiable(backend):
    other = "reference" if backend == "numpy" else "numpy"
    x = _t([1.0, 2.0], backend)
    y = x.to(other)
    assert y.device == other and y.requires_grad
    (y * y).sum().backward()
    assert x.grad.device == backend
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    z = y.to(backend) * 3
    assert z.device == backend
