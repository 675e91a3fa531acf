"""The optimizer steps as in-place fused ops (xgrad.ops.optimizer_steps): the backend's fused
kernel and the frontend decomposition agree, both match torch.optim, and the ops behave like
in-place ops (same storage, version bumped, refuse to run where a graph would be recorded)."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.ops.fused import FUSED, decomposed_only
from xgrad.ops.optimizer_steps import ADAM_STEP, SGD_STEP, adam_step_, sgd_step_
from xgrad.registry import fallback_counts

STEPS = 4

SGD_CASES = [dict(lr=0.1), dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9, dampening=0.2,
                                                           weight_decay=0.05),
             dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)]
ADAM_CASES = [dict(lr=0.01), dict(lr=0.02, weight_decay=0.1), dict(lr=0.02, amsgrad=True,
                                                                   maximize=True),
              dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True, amsgrad=True)]


def _grads(rng, shape):
    return [rng.standard_normal(shape) for _ in range(STEPS)]


def _run_sgd(p0, grads, kw, device, dtype):
    p = xgrad.tensor(p0, dtype=dtype, device=device)
    buf = None
    for g in grads:
        buf = sgd_step_(p, xgrad.tensor(g, dtype=dtype, device=device), buf, **kw)
    return p, buf


def _run_adam(p0, grads, kw, device, dtype):
    p = xgrad.tensor(p0, dtype=dtype, device=device)
    m, v, vmax = xgrad.zeros_like(p), xgrad.zeros_like(p), xgrad.zeros_like(p)
    for t, g in enumerate(grads, 1):
        adam_step_(p, xgrad.tensor(g, dtype=dtype, device=device), m, v, vmax, step=t, **kw)
    return p, m, v, vmax


def _np(t):
    return None if t is None else t.numpy()


def test_the_steps_are_registered_fused_ops():
    assert FUSED["sgd_step"] is SGD_STEP and FUSED["adam_step"] is ADAM_STEP
    assert xgrad.registry.get_backend("numpy").has("sgd_step")
    assert xgrad.registry.get_backend("numpy").has("adam_step")


@pytest.mark.parametrize("kw", SGD_CASES)
def test_sgd_fused_and_decomposed_agree(kw, rng):
    p0, grads = rng.standard_normal((4, 3)), _grads(rng, (4, 3))
    fused = _run_sgd(p0, grads, kw, "numpy", xgrad.float32)
    before = fallback_counts("numpy").get("sgd_step", 0)
    with decomposed_only():
        dec = _run_sgd(p0, grads, kw, "numpy", xgrad.float32)
    assert fallback_counts("numpy").get("sgd_step", 0) == before + STEPS
    for a, b in zip(fused, dec):
        assert (a is None) == (b is None)
        if a is not None:
            assert a.dtype is b.dtype is xgrad.float32
            np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", ADAM_CASES)
def test_adam_fused_and_decomposed_agree(kw, rng):
    p0, grads = rng.standard_normal((4, 3)), _grads(rng, (4, 3))
    fused = _run_adam(p0, grads, kw, "numpy", xgrad.float32)
    before = fallback_counts("numpy").get("adam_step", 0)
    with decomposed_only():
        dec = _run_adam(p0, grads, kw, "numpy", xgrad.float32)
    assert fallback_counts("numpy").get("adam_step", 0) == before + STEPS
    for a, b in zip(fused, dec):
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", SGD_CASES)
@pytest.mark.parametrize("mode", ["fused", "decomposed", "reference"])
def test_sgd_step_matches_torch(kw, mode, rng):
    torch = pytest.importorskip("torch")
    p0, grads = rng.standard_normal((3, 2)), _grads(rng, (3, 2))
    device = "reference" if mode == "reference" else "numpy"
    if mode == "decomposed":
        with decomposed_only():
            p, _ = _run_sgd(p0, grads, kw, device, xgrad.float64)
    else:
        p, _ = _run_sgd(p0, grads, kw, device, xgrad.float64)
    tp = torch.tensor(p0, requires_grad=True)
    opt = torch.optim.SGD([tp], **kw)
    for g in grads:
        tp.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kw", ADAM_CASES)
@pytest.mark.parametrize("mode", ["fused", "decomposed", "reference"])
def test_adam_step_matches_torch(kw, mode, rng):
    torch = pytest.importorskip("torch")
    p0, grads = rng.standard_normal((3, 2)), _grads(rng, (3, 2))
    device = "reference" if mode == "reference" else "numpy"
    if mode == "decomposed":
        with decomposed_only():
            p, *_ = _run_adam(p0, grads, kw, device, xgrad.float64)
    else:
        p, *_ = _run_adam(p0, grads, kw, device, xgrad.float64)
    tkw = dict(kw)
    cls = torch.optim.AdamW if tkw.pop("decoupled_weight_decay", False) else torch.optim.Adam
    tp = torch.tensor(p0, requires_grad=True)
    opt = cls([tp], **tkw)
    for g in grads:
        tp.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("decomposed", [False, True])
def test_steps_update_in_place_and_bump_versions(decomposed, rng):
    p = xgrad.tensor(rng.standard_normal((2, 3)))
    alias = p.detach()  # shares storage
    g = xgrad.tensor(rng.standard_normal((2, 3)))
    m, v = xgrad.zeros_like(p), xgrad.zeros_like(p)
    versions = [t._version for t in (p, m, v)]
    with decomposed_only() if decomposed else xgrad.no_grad():
        assert adam_step_(p, g, m, v, step=1, lr=0.1) is p
        buf = sgd_step_(p, g, None, lr=0.1, momentum=0.5)
        assert sgd_step_(p, g, buf, lr=0.1, momentum=0.5) is buf
        assert sgd_step_(p, g, None, lr=0.1) is None
    assert all(t._version > n for t, n in zip((p, m, v), versions))
    np.testing.assert_array_equal(alias.numpy(), p.numpy())


def test_steps_refuse_to_run_where_a_graph_would_be_recorded():
    p = xgrad.ones(3, requires_grad=True)
    g = xgrad.ones(3)
    with pytest.raises(RuntimeError, match="no_grad"):
        sgd_step_(p, g, lr=0.1)
    with pytest.raises(RuntimeError, match="no_grad"):
        adam_step_(p, g, xgrad.zeros(3), xgrad.zeros(3), step=1, lr=0.1)
    with xgrad.no_grad():
        sgd_step_(p, g, lr=0.5)
    np.testing.assert_allclose(p.detach().numpy(), [0.5] * 3)


def test_steps_check_their_arguments():
    p = xgrad.ones(3)
    with pytest.raises(RuntimeError, match="does not match parameter"):
        sgd_step_(p, xgrad.ones(2), lr=0.1)
    with pytest.raises(RuntimeError, match="device"):
        sgd_step_(p, xgrad.ones(3, device="reference"), lr=0.1)
    with pytest.raises(ValueError, match="max_exp_avg_sq"):
        adam_step_(p, xgrad.ones(3), xgrad.zeros(3), xgrad.zeros(3), step=1, lr=0.1, amsgrad=True)
