"""The derivatives table (xgrad.derivatives): one rule per recorded op name, unbroadcasting
in the engine, custom Functions keeping their own backward; atan2 added through it."""
from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import xgrad
from xgrad.autograd.node import RULES, record
from xgrad.ops import elementwise, fused, fusion, indexing, linalg, pooling, reduce, shape, sorting
from xgrad.ops.elementwise import atan2


def test_every_fused_op_looks_its_rule_up_by_name():
    for name, op in fused.FUSED.items():
        assert name in RULES, name
        assert op.backward is RULES[name]


def test_ops_modules_define_no_backward_rules():
    for mod in (elementwise, fused, fusion, indexing, linalg, pooling, reduce, shape, sorting):
        rules = [n for n, f in vars(mod).items() if inspect.isfunction(f) and n.endswith("_bwd")]
        assert rules == [], f"{mod.__name__} defines backward rules {rules}: they belong in " \
                            "xgrad/derivatives.py"


def test_a_custom_function_named_like_a_builtin_op_keeps_its_own_backward():
    class exp(xgrad.autograd.Function):  # the name of a built-in rule
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    x = xgrad.tensor([1.0, 2.0], requires_grad=True)
    exp.apply(x).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


def test_an_op_without_a_rule_says_so_at_backward():
    x = xgrad.tensor([1.0, 2.0], requires_grad=True)
    y = record(xgrad.tensor([1.0, 2.0]), "brand_new_op", (x,))
    with pytest.raises(RuntimeError, match="no derivative rule for op 'brand_new_op'"):
        y.sum().backward()


def test_the_engine_unbroadcasts_rule_gradients_also_under_create_graph(backend):
    a = xgrad.tensor([[1.0], [2.0]], dtype=xgrad.float64, device=backend, requires_grad=True)
    b = xgrad.tensor([3.0, 4.0, 5.0], dtype=xgrad.float64, device=backend, requires_grad=True)
    (ga, gb) = xgrad.autograd.grad((a * a * b).sum(), (a, b), create_graph=True)
    assert ga.shape == (2, 1) and gb.shape == (3,)
    np.testing.assert_allclose(ga.numpy(), [[24.0], [48.0]])
    np.testing.assert_allclose(gb.numpy(), [5.0, 5.0, 5.0])
    (gga,) = xgrad.autograd.grad(ga.sum() + gb.sum(), (a,))
    np.testing.assert_allclose(gga.numpy(), [[30.0], [36.0]])  # 2 * sum(b) + 2 * 3 * a


def test_linear_with_a_0d_bias_gets_a_0d_gradient(backend):
    x = xgrad.ones(2, 3, device=backend)
    w = xgrad.ones(4, 3, device=backend, requires_grad=True)
    bias = xgrad.tensor(0.5, device=backend, requires_grad=True)
    fused.linear(x, w, bias).sum().backward()
    assert bias.grad.shape == () and bias.grad.item() == 8.0


# ---- atan2 ---------------------------------------------------------------------------------
_Y = [1.0, 0.7, -0.8, -1.1, 0.05, -0.05, 1.3, -1.4, 0.0, -0.0]
_X = [0.5, -1.2, -0.6, 0.9, -1.5, -1.2, 0.04, -0.03, 2.0, -2.0]


def test_atan2_values_match_math_atan2_in_every_quadrant(backend):
    y = xgrad.tensor(_Y, dtype=xgrad.float64, device=backend)
    x = xgrad.tensor(_X, dtype=xgrad.float64, device=backend)
    got = atan2(y, x).numpy()
    want = [math.atan2(a, b) for a, b in zip(_Y, _X)]
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)
    assert np.signbit(got[-1]) and got[-1] == -math.pi  # atan2(-0, -2): the cut's lower side


def test_atan2_promotes_integers_to_the_default_float(backend):
    y = xgrad.tensor([1, -2, 3], device=backend)
    x = xgrad.tensor([2, 2, -1], device=backend)
    for out in (atan2(y, x), atan2(y, 2), atan2(y.to(xgrad.float64), x)):
        assert out.dtype.is_floating_point
    assert atan2(y, x).dtype is xgrad.get_default_dtype()
    assert atan2(y.to(xgrad.float64), x).dtype is xgrad.float64
    np.testing.assert_allclose(atan2(y, 2).numpy(), np.arctan2([1, -2, 3], 2.0), rtol=1e-6)


def test_atan2_gradients_and_second_order_pass_gradcheck(backend):
    def t(v, shape):
        return xgrad.tensor(np.reshape(v, shape), dtype=xgrad.float64, device=backend,
                            requires_grad=True)

    a, b = t(_Y[:8], (2, 4)), t(_X[4:8], (4,))  # broadcasting
    assert xgrad.autograd.gradcheck(atan2, (a, b))
    assert xgrad.autograd.gradgradcheck(atan2, (a, b))
    assert xgrad.autograd.gradcheck(lambda y: atan2(y, -0.75), (a,))
    assert xgrad.autograd.gradgradcheck(lambda y: atan2(y, -0.75), (a,))


def test_atan2_matches_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    y = rng.uniform(-2, 2, (3, 4))
    x = rng.uniform(-2, 2, (4,))
    g = rng.uniform(-1, 1, (3, 4))
    xy, xx = xgrad.tensor(y, requires_grad=True), xgrad.tensor(x, requires_grad=True)
    ty, tx = torch.tensor(y, requires_grad=True), torch.tensor(x, requires_grad=True)
    xo, to = atan2(xy, xx), torch.atan2(ty, tx)
    xo.backward(xgrad.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(xo.detach().numpy(), to.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(xy.grad.numpy(), ty.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(xx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    ti = torch.atan2(torch.tensor([1, -2]), torch.tensor([2, 2]))
    assert str(ti.dtype) == "torch.float32"
    np.testing.assert_allclose(atan2(xgrad.tensor([1, -2]), xgrad.tensor([2, 2])).numpy(),
                               ti.numpy(), rtol=1e-7)
