"""nn.init (formulas, bounds, statistics, reproducibility) and nn.utils (clipping, vectors)."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn
from xgrad.nn import init
from xgrad.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    parameters_to_vector,
    vector_to_parameters,
)


def test_calculate_gain_and_fans():
    assert init.calculate_gain("linear") == 1.0 and init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    assert init.calculate_gain("selu") == 0.75
    with pytest.raises(ValueError, match="Unsupported nonlinearity"):
        init.calculate_gain("swish")
    assert init._calculate_fan_in_and_fan_out(xgrad.empty(8, 3, 5, 2)) == (30, 80)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(xgrad.empty(3))


def _stats(t):
    a = t.detach().numpy().astype(np.float64).ravel()
    return a, a.mean(), a.std()


def test_uniform_family_bounds():
    w = xgrad.empty(128, 96)
    a, _, _ = _stats(init.uniform_(w, -0.3, 0.7))
    assert a.min() >= -0.3 and a.max() <= 0.7 and a.max() > 0.69 and a.min() < -0.29
    bound = math.sqrt(6 / (96 + 128)) * 2.0
    a, _, _ = _stats(init.xavier_uniform_(w, gain=2.0))
    assert np.abs(a).max() <= bound + 1e-6 and np.abs(a).max() > 0.98 * bound
    bound = math.sqrt(3) * init.calculate_gain("relu") / math.sqrt(128)
    a, _, _ = _stats(init.kaiming_uniform_(w, mode="fan_out", nonlinearity="relu"))
    assert np.abs(a).max() <= bound + 1e-6 and np.abs(a).max() > 0.98 * bound


def test_normal_family_statistics():
    w = xgrad.empty(256, 64)
    _, m, s = _stats(init.normal_(w, 1.5, 0.5))
    assert abs(m - 1.5) < 0.02 and abs(s - 0.5) < 0.02
    _, m, s = _stats(init.xavier_normal_(w))
    assert abs(s - math.sqrt(2 / (256 + 64))) / math.sqrt(2 / 320) < 0.03
    _, m, s = _stats(init.kaiming_normal_(w, a=0.1, nonlinearity="leaky_relu"))
    assert abs(s - init.calculate_gain("leaky_relu", 0.1) / 8) / (1 / 8) < 0.03
    a, m, s = _stats(init.trunc_normal_(w, mean=0.5, std=1.0, a=-1.5, b=2.5))
    assert a.min() >= -1.5 and a.max() <= 2.5
    # N(0.5, 1) truncated to +-2 sigma: std = sqrt(1 - 2*2*phi(2)/(2*Phi(2)-1))
    phi = math.exp(-2) / math.sqrt(2 * math.pi)
    big = 0.5 * (1 + math.erf(2 / math.sqrt(2)))
    ref = math.sqrt(1 - 4 * phi / (2 * big - 1))
    assert abs(m - 0.5) < 0.03 and abs(s - ref) < 0.02


def test_constant_eye_dirac_orthogonal():
    w = xgrad.empty(3, 4)
    assert init.constant_(w, 2.5).tolist() == [[2.5] * 4] * 3
    assert init.zeros_(w).abs().sum().item() == 0 and init.ones_(w).sum().item() == 12
    np.testing.assert_array_equal(init.eye_(w).numpy(), np.eye(3, 4))
    k = init.dirac_(xgrad.empty(2, 2, 3, 3))
    x = xgrad.randn(1, 2, 5, 5)
    np.testing.assert_allclose(nn.functional.conv2d(x, k, padding=1).numpy(), x.numpy(),
                               rtol=1e-6)
    for shape in [(6, 4), (4, 6), (3, 2, 2)]:
        q = init.orthogonal_(xgrad.empty(*shape, dtype=xgrad.float64), gain=2.0).numpy()
        q = q.reshape(shape[0], -1)
        g = q.T @ q if q.shape[0] >= q.shape[1] else q @ q.T
        np.testing.assert_allclose(g, 4 * np.eye(g.shape[0]), atol=1e-10)


def test_init_is_reproducible_in_place_and_leaves_parameters_leaves():
    p = nn.Parameter(xgrad.empty(4, 5))
    xgrad.manual_seed(3)
    init.kaiming_uniform_(p)
    first = p.detach().numpy().copy()
    xgrad.manual_seed(3)
    out = init.kaiming_uniform_(p)
    assert out is p and p.is_leaf and p.requires_grad and p.grad_fn is None
    np.testing.assert_array_equal(first, p.detach().numpy())


@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Linear(50, 30), 50), (lambda: nn.Conv2d(4, 6, 3), 36),
    (lambda: nn.Conv1d(3, 4, 5), 15), (lambda: nn.ConvTranspose2d(4, 6, 3), 54)])
def test_default_layer_init_bounds(make, fan_in):
    xgrad.manual_seed(0)
    m = make()
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) == U(+-1/sqrt(fan_in))
    w, b = m.weight.detach().numpy(), m.bias.detach().numpy()
    assert np.abs(w).max() <= bound + 1e-7 and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound + 1e-7


def test_norm_and_embedding_defaults():
    bn = nn.BatchNorm2d(3)
    assert bn.weight.tolist() == [1.0] * 3 and bn.bias.tolist() == [0.0] * 3
    assert bn.running_var.tolist() == [1.0] * 3 and bn.num_batches_tracked.item() == 0
    ln = nn.LayerNorm((2, 2))
    assert ln.weight.tolist() == [[1.0, 1.0]] * 2
    xgrad.manual_seed(0)
    e = nn.Embedding(400, 50)
    _, m, s = _stats(e.weight)
    assert abs(m) < 0.02 and abs(s - 1) < 0.02


# ---- utils ---------------------------------------------------------------------------------
def _params_with_grads(grads):
    ps = []
    for g in grads:
        p = nn.Parameter(xgrad.zeros(*np.shape(g), dtype=xgrad.float64))
        p.grad = xgrad.tensor(g, dtype=xgrad.float64)
        ps.append(p)
    return ps


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
def test_clip_grad_norm(norm_type):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal((3, 2)), rng.standard_normal(4)]
    ps = _params_with_grads(grads)
    flat = np.concatenate([g.ravel() for g in grads])
    ref = np.abs(flat).max() if norm_type == math.inf else (np.abs(flat) ** norm_type).sum() ** (
        1 / norm_type)
    total = clip_grad_norm_(ps, 0.5, norm_type)
    assert total.item() == pytest.approx(ref, rel=1e-10)
    coef = 0.5 / (ref + 1e-6)
    for p, g in zip(ps, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-10)
    ps = _params_with_grads(grads)
    clip_grad_norm_(ps, 1e6, norm_type)  # below max_norm: unchanged
    for p, g in zip(ps, grads):
        np.testing.assert_allclose(p.grad.numpy(), g, rtol=1e-12)


def test_clip_grad_norm_nonfinite_and_single_tensor():
    ps = _params_with_grads([np.array([1.0, np.inf])])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ps, 1.0, error_if_nonfinite=True)
    p = _params_with_grads([np.array([3.0, 4.0])])[0]
    assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)


def test_clip_grad_value():
    ps = _params_with_grads([np.array([-3.0, 0.5, 2.0])])
    clip_grad_value_(ps, 1.0)
    assert ps[0].grad.tolist() == [-1.0, 0.5, 1.0]


def test_parameters_vector_roundtrip():
    m = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(m.parameters())
    assert vec.shape == (11,)
    ref = np.concatenate([p.detach().numpy().ravel() for p in m.parameters()])
    np.testing.assert_array_equal(vec.detach().numpy(), ref)
    vector_to_parameters(xgrad.arange(11, dtype=xgrad.float32), m.parameters())
    assert m[0].weight.tolist() == [[0, 1, 2], [3, 4, 5]] and m[1].bias.tolist() == [10]
    with pytest.raises(RuntimeError, match="expected a 1-d vector of 11 elements"):
        vector_to_parameters(xgrad.zeros(3), m.parameters())
