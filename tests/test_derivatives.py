"""The derivatives table (xgrad.derivatives): one rule per recorded op name, unbroadcasting
in the engine, custom Functions keeping their own backward."""
from __future__ import annotations

import inspect

import numpy as np
import pytest
import xgrad
from xgrad.autograd.node import RULES, record
from xgrad.ops import elementwise, fused, fusion, indexing, linalg, pooling, reduce, shape, sorting


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

