"""Optimizers against numpy float64 transcriptions of PyTorch's documented update rules."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xgrad
from xgrad import optim
from xgrad.ops.fused import decomposed_only
from xgrad.registry import fallback_counts

STEPS = 4


# ---- numpy references (the algorithms in PyTorch's optimizer docs) -------------------------
def ref_sgd(p, g, s, t, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    if momentum:
        s["b"] = g.copy() if t == 1 else momentum * s["b"] + (1 - dampening) * g
        g = g + momentum * s["b"] if nesterov else s["b"]
    return p - lr * g


def ref_adam(p, g, s, t, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False,
             maximize=False, decoupled=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    mhat = s["m"] / (1 - b1 ** t)
    if amsgrad:
        s["vmax"] = np.maximum(s.get("vmax", 0), s["v"])
        vhat = s["vmax"] / (1 - b2 ** t)
    else:
        vhat = s["v"] / (1 - b2 ** t)
    return p - lr * mhat / (np.sqrt(vhat) + eps)


def ref_rmsprop(p, g, s, t, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                centered=False, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    s["v"] = alpha * s.get("v", 0) + (1 - alpha) * g * g
    vt = s["v"]
    if centered:
        s["ga"] = alpha * s.get("ga", 0) + (1 - alpha) * g
        vt = vt - s["ga"] ** 2
    if momentum > 0:
        s["b"] = momentum * s.get("b", 0) + g / (np.sqrt(vt) + eps)
        return p - lr * s["b"]
    return p - lr * g / (np.sqrt(vt) + eps)


def ref_adagrad(p, g, s, t, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                eps=1e-10, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    clr = lr / (1 + (t - 1) * lr_decay)
    s["sum"] = s.get("sum", initial_accumulator_value) + g * g
    return p - clr * g / (np.sqrt(s["sum"]) + eps)


def ref_adadelta(p, g, s, t, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False):
    g = -g if maximize else g
    g = g + weight_decay * p
    s["v"] = rho * s.get("v", 0) + (1 - rho) * g * g
    dx = np.sqrt(s.get("u", 0) + eps) / np.sqrt(s["v"] + eps) * g
    s["u"] = rho * s.get("u", 0) + (1 - rho) * dx * dx
    return p - lr * dx


def ref_adamax(p, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    g = g + weight_decay * p
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["u"] = np.maximum(b2 * s.get("u", 0), np.abs(g) + eps)
    return p - lr / (1 - b1 ** t) * s["m"] / s["u"]


def ref_nadam(p, g, s, t, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
              momentum_decay=4e-3, decoupled_weight_decay=False, maximize=False):
    b1, b2 = betas
    g = -g if maximize else g
    if decoupled_weight_decay:
        p = p * (1 - lr * weight_decay)
    else:
        g = g + weight_decay * p
    mu = b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))
    mu_next = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
    s["prod"] = s.get("prod", 1.0) * mu
    s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
    s["v"] = b2 * s.get("v", 0) + (1 - b2) * g * g
    vhat = s["v"] / (1 - b2 ** t)
    upd = (mu_next * s["m"] / (1 - s["prod"] * mu_next) + (1 - mu) * g / (1 - s["prod"]))
    return p - lr * upd / (np.sqrt(vhat) + eps)


CASES = [
    ("SGD", ref_sgd, dict(lr=0.1)),
    ("SGD", ref_sgd, dict(lr=0.1, momentum=0.9, dampening=0.2, weight_decay=0.05)),
    ("SGD", ref_sgd, dict(lr=0.05, momentum=0.8, nesterov=True, maximize=True)),
    ("Adam", ref_adam, dict(lr=0.05)),
    ("Adam", ref_adam, dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True)),
    ("Adam", ref_adam, dict(lr=0.05, maximize=True, eps=1e-3)),
    ("AdamW", lambda *a, **k: ref_adam(*a, decoupled=True, **k),
     dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", lambda *a, **k: ref_adam(*a, decoupled=True, weight_decay=1e-2, **k), dict(lr=0.05)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", ref_rmsprop, dict(lr=0.01, alpha=0.9, centered=True, maximize=True)),
    ("Adagrad", ref_adagrad, dict(lr=0.1)),
    ("Adagrad", ref_adagrad, dict(lr=0.1, lr_decay=0.1, weight_decay=0.1,
                                  initial_accumulator_value=0.3, maximize=True)),
    ("Adadelta", ref_adadelta, dict()),
    ("Adadelta", ref_adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1, maximize=True)),
    ("Adamax", ref_adamax, dict(lr=0.1)),
    ("Adamax", ref_adamax, dict(lr=0.1, weight_decay=0.1, maximize=True)),
    ("NAdam", ref_nadam, dict(lr=0.1)),
    ("NAdam", ref_nadam, dict(lr=0.1, weight_decay=0.1, momentum_decay=0.01)),
    ("NAdam", ref_nadam, dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
]
IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items())}" for name, _, kw in CASES]


def grad_of(p: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Gradient of sum((p - target)^4 / 4 + p^2 / 2): curved, so the steps differ."""
    return (p - target) ** 3 + p


def run_xgrad(name, kw, p0, target, device, steps=STEPS, dtype=xgrad.float64):
    p = xgrad.tensor(p0, dtype=dtype, device=device, requires_grad=True)
    opt = getattr(optim, name)([p], **kw)
    for _ in range(steps):
        opt.zero_grad()
        p.grad = xgrad.tensor(grad_of(p.detach().numpy().astype(np.float64), target), dtype=dtype,
                              device=device)
        opt.step()
    return p, opt


@pytest.mark.parametrize("name,ref,kw", CASES, ids=IDS)
def test_matches_numpy_reference(name, ref, kw, backend, rng):
    p0 = rng.standard_normal((3, 2))
    target = rng.standard_normal((3, 2))
    p, _ = run_xgrad(name, kw, p0, target, backend)
    expected, state = p0.copy(), {}
    for t in range(1, STEPS + 1):
        expected = ref(expected, grad_of(expected, target), state, t, **kw)
    np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-10, atol=1e-12)
    assert p.is_leaf and p.requires_grad


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1)),
                                     ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.1)),
                                     ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
                                     ("Adam", dict(lr=0.1, weight_decay=0.1)),
                                     ("Adam", dict(lr=0.1, amsgrad=True, maximize=True)),
                                     ("AdamW", dict(lr=0.1, amsgrad=True))])
def test_fused_and_decomposed_paths_agree(name, kw, rng):
    assert xgrad.registry.get_backend("numpy").has("sgd_step")
    p0, target = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    fused, opt_f = run_xgrad(name, kw, p0, target, "numpy", dtype=xgrad.float32)
    op = "sgd_step" if name == "SGD" else "adam_step"
    before = fallback_counts("numpy").get(op, 0)
    with decomposed_only():
        dec, opt_d = run_xgrad(name, kw, p0, target, "numpy", dtype=xgrad.float32)
    assert fallback_counts("numpy").get(op, 0) == before + STEPS
    np.testing.assert_allclose(fused.detach().numpy(), dec.detach().numpy(), rtol=1e-5, atol=1e-6)
    sf, sd = opt_f.state_dict()["state"].get(0, {}), opt_d.state_dict()["state"].get(0, {})
    assert sf.keys() == sd.keys()
    for k in sf:
        if isinstance(sf[k], xgrad.Tensor):
            assert sf[k].dtype is xgrad.float32
            np.testing.assert_allclose(sf[k].numpy(), sd[k].numpy(), rtol=1e-5, atol=1e-6)


def test_step_is_in_place_and_uses_autograd_grads():
    w = xgrad.tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    b = xgrad.tensor([0.1, -0.1], requires_grad=True)
    alias_w = w
    data_before = w._data
    x = xgrad.tensor([[1.0, 2.0]])
    opt = optim.SGD([w, b], lr=0.1)
    loss = ((x @ w + b) ** 2).sum()
    loss.backward()
    gw, gb = w.grad.numpy().copy(), b.grad.numpy().copy()
    w0, b0 = w.detach().numpy().copy(), b.detach().numpy().copy()
    opt.step()
    assert alias_w is w and w._data is data_before  # numpy: written into the same storage
    np.testing.assert_allclose(w.detach().numpy(), w0 - 0.1 * gw, rtol=1e-6)
    np.testing.assert_allclose(b.detach().numpy(), b0 - 0.1 * gb, rtol=1e-6)
    assert w.requires_grad and w.grad_fn is None


def test_closure_and_loss_decreases(backend):
    xgrad.manual_seed(0)
    x = xgrad.randn(16, 3, device=backend)
    y = x @ xgrad.tensor([[1.0], [-2.0], [0.5]], device=backend)
    w = xgrad.zeros(3, 1, device=backend, requires_grad=True)
    opt = optim.Adam([w], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = ((x @ w - y) ** 2).mean()
        loss.backward()
        return loss

    losses = [opt.step(closure).item() for _ in range(30)]
    assert losses[-1] < 0.1 * losses[0]


def test_zero_grad():
    p = xgrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    (p * p).sum().backward()
    opt.zero_grad(set_to_none=False)
    assert p.grad is not None and p.grad.tolist() == [0.0, 0.0]
    (p * 3).sum().backward()
    assert p.grad.tolist() == [3.0, 3.0]
    opt.zero_grad()
    assert p.grad is None


def test_param_groups_and_defaults():
    a = xgrad.tensor([1.0], requires_grad=True)
    b = xgrad.tensor([1.0], requires_grad=True)
    c = xgrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a]}, {"params": b, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0
    assert opt.param_groups[1]["lr"] == 0.5 and opt.param_groups[1]["momentum"] == 0.9
    opt.add_param_group({"params": [c], "lr": 1.0})
    for t in (a, b, c):
        t.grad = xgrad.tensor([1.0])
    opt.step()
    assert [a.item(), b.item(), c.item()] == pytest.approx([0.9, 0.5, 0.0])
    assert set(map(id, opt.state)) == {id(b)}  # only momentum keeps state
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})


def test_bad_arguments():
    p = xgrad.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match="Invalid beta parameter at index 1: 1.0"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov momentum requires a momentum and zero dampening"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        optim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([p * 2], lr=0.1)


@pytest.mark.parametrize("name,kw", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(amsgrad=True)),
                                     ("RMSprop", dict(momentum=0.5, centered=True)),
                                     ("Adagrad", {}), ("Adadelta", {}), ("Adamax", {}), ("NAdam", {})])
def test_state_dict_round_trip_continues_identically(name, kw, rng, tmp_path):
    p0, target = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    straight, _ = run_xgrad(name, kw, p0, target, "numpy", steps=6)
    half, opt = run_xgrad(name, kw, p0, target, "numpy", steps=3)
    sd = opt.state_dict()
    assert sd["param_groups"][0]["params"] == [0] and 0 in sd["state"]
    xgrad.save(sd, tmp_path / "opt.safetensors")
    loaded_sd = xgrad.load(tmp_path / "opt.safetensors", map_location="reference")
    p = xgrad.tensor(half.detach().numpy(), dtype=xgrad.float64, requires_grad=True)
    opt2 = getattr(optim, name)([p], **kw)
    opt2.load_state_dict(loaded_sd)
    for t in loaded_sd["state"][0].values():
        if isinstance(t, xgrad.Tensor):  # copied onto the parameter's device
            assert not any(t is s for s in opt2.state[p].values())
    assert all(s.device.type == "numpy" for s in opt2.state[p].values() if isinstance(s, xgrad.Tensor))
    for _ in range(3):
        opt2.zero_grad()
        p.grad = xgrad.tensor(grad_of(p.detach().numpy(), target), dtype=xgrad.float64)
        opt2.step()
    np.testing.assert_allclose(p.detach().numpy(), straight.detach().numpy(), rtol=1e-12)


def test_load_state_dict_mismatch():
    a = xgrad.tensor([1.0], requires_grad=True)
    b = xgrad.tensor([1.0], requires_grad=True)
    sd = optim.SGD([a, b], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="doesn't match the size"):
        optim.SGD([a], lr=0.1).load_state_dict(sd)
    with pytest.raises(ValueError, match="different number of parameter groups"):
        optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).load_state_dict(sd)


# ---- schedulers: closed forms ----------------------------------------------------------------
def lrs(make, n=12, opt_kw=None):
    p = xgrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], **(opt_kw or dict(lr=0.1, momentum=0.9)))
    sched = make(opt)
    out = [sched.get_last_lr()[0]]
    for _ in range(n):
        opt.step()
        sched.step()
        out.append(sched.get_last_lr()[0])
    assert opt.param_groups[0]["lr"] == out[-1]
    return out


def test_scheduler_closed_forms():
    ls = optim.lr_scheduler
    assert lrs(lambda o: ls.StepLR(o, 3, gamma=0.5)) == pytest.approx(
        [0.1 * 0.5 ** (e // 3) for e in range(13)])
    assert lrs(lambda o: ls.MultiStepLR(o, [2, 5, 5], gamma=0.1)) == pytest.approx(
        [0.1 * 0.1 ** sum(e >= m for m in (2, 5, 5)) for e in range(13)])
    assert lrs(lambda o: ls.ExponentialLR(o, 0.9)) == pytest.approx([0.1 * 0.9 ** e for e in range(13)])
    assert lrs(lambda o: ls.CosineAnnealingLR(o, 12, eta_min=0.01)) == pytest.approx(
        [0.01 + 0.09 * (1 + math.cos(math.pi * e / 12)) / 2 for e in range(13)])
    assert lrs(lambda o: ls.LambdaLR(o, lambda e: 1 / (e + 1))) == pytest.approx(
        [0.1 / (e + 1) for e in range(13)])
    assert lrs(lambda o: ls.LinearLR(o, 0.25, 1.0, total_iters=4)) == pytest.approx(
        [0.1 * (0.25 + 0.75 * min(e, 4) / 4) for e in range(13)])


def test_one_cycle_shape():
    ls = optim.lr_scheduler
    out = lrs(lambda o: ls.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=0.3,
                                      anneal_strategy="linear"), n=9)
    assert out[0] == pytest.approx(1.0 / 25)
    assert out[1] == pytest.approx(0.04 + 0.96 / 2)  # linear warm-up to step 0.3 * 10 - 1 = 2
    assert max(out) == pytest.approx(1.0) and out.index(max(out)) == 2
    assert out[-1] == pytest.approx(1.0 / 25 / 1e4)
    p = xgrad.tensor([1.0], requires_grad=True)
    opt = optim.Adam([p], lr=0.1)
    sched = ls.OneCycleLR(opt, max_lr=0.5, total_steps=10)
    assert opt.param_groups[0]["betas"] == (0.95, 0.999)
    for _ in range(2):
        opt.step()
        sched.step()
    assert 0.85 <= opt.param_groups[0]["betas"][0] < 0.95
    three = lrs(lambda o: ls.OneCycleLR(o, 1.0, total_steps=20, three_phase=True), n=19)
    assert three[0] == pytest.approx(0.04) and three[10] == pytest.approx(0.04)
    with pytest.raises(ValueError, match="Tried to step 11 times"):
        for _ in range(10):
            sched.step()


def test_reduce_on_plateau():
    p = xgrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1, cooldown=1, min_lr=0.2)
    seen = []
    for metric in [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]:
        sched.step(metric)
        seen.append(opt.param_groups[0]["lr"])
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2]


def test_sequential_lr_and_state_dict(tmp_path):
    ls = optim.lr_scheduler

    def make(o):
        return ls.SequentialLR(o, [ls.LinearLR(o, 0.5, total_iters=2), ls.ExponentialLR(o, 0.5)],
                               milestones=[3])

    assert lrs(make, n=6) == pytest.approx([0.05, 0.075, 0.1, 0.1, 0.05, 0.025, 0.0125])
    p = xgrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([p], lr=0.1)
    sched = ls.StepLR(opt, 2, gamma=0.5)
    for _ in range(3):
        opt.step()
        sched.step()
    xgrad.save(sched.state_dict(), tmp_path / "s.safetensors")
    opt2 = optim.SGD([p], lr=0.1)
    sched2 = ls.StepLR(opt2, 5, gamma=0.1)
    sched2.load_state_dict(xgrad.load(tmp_path / "s.safetensors"))
    opt2.param_groups[0]["lr"] = sched.get_last_lr()[0]
    assert sched2.last_epoch == 3 and sched2.step_size == 2
    for _ in range(3):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()
