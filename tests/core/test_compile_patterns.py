"""xgrad.compile's fused-op patterns: a step's cross_entropy and cross_entropy_grad become one
cross_entropy_with_grad kernel, bit for bit, and only where that is safe."""
from __future__ import annotations

import numpy as np
import xgrad
from xgrad import nn, optim
from xgrad.backends.numpy import NumpyBackend


def _train(compiled: bool, scale_by_param: bool = False, steps: int = 5):
    xgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
    scale = nn.Parameter(xgrad.tensor(0.5))
    opt = optim.SGD([*model.parameters(), scale], lr=0.1)
    rng = np.random.default_rng(1)
    x = xgrad.from_numpy(rng.standard_normal((5, 6)).astype(np.float32))
    y = xgrad.from_numpy(rng.integers(0, 4, 5))

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        if scale_by_param:  # the gradient reaching cross_entropy_grad is computed after it
            loss = loss * scale
        loss.backward()
        opt.step()
        return loss
    fn = xgrad.compile(step) if compiled else step
    losses = [fn().item() for _ in range(steps)]
    return losses, [p.numpy().copy() for p in model.parameters()], fn


def _kernels(fn) -> list:
    (prog,) = fn.programs()
    return prog.kernel_names()


def test_the_loss_and_its_gradient_become_one_kernel_bit_for_bit():
    eager, eager_params, _ = _train(False)
    comp, comp_params, fn = _train(True)
    assert comp == eager
    for a, b in zip(eager_params, comp_params):
        assert np.array_equal(a, b)
    names = _kernels(fn)
    assert names.count("cross_entropy_with_grad") == 1
    assert "cross_entropy" not in names and "cross_entropy_grad" not in names


def test_no_fusion_when_the_gradient_is_computed_after_the_loss():
    eager, eager_params, _ = _train(False, scale_by_param=True)
    comp, comp_params, fn = _train(True, scale_by_param=True)
    assert comp == eager
    for a, b in zip(eager_params, comp_params):
        assert np.array_equal(a, b)
    names = _kernels(fn)
    assert "cross_entropy_with_grad" not in names
    assert names.count("cross_entropy") == 1 and names.count("cross_entropy_grad") == 1


def test_no_fusion_on_a_backend_without_the_kernel(monkeypatch):
    monkeypatch.setattr(NumpyBackend, "fused_ops",
                        NumpyBackend.fused_ops - {"cross_entropy_with_grad"})
    eager, _, _ = _train(False)
    comp, _, fn = _train(True)
    assert comp == eager
    assert "cross_entropy_with_grad" not in _kernels(fn)
    assert "cross_entropy_grad" in _kernels(fn)
