"""Optimizers and schedulers against torch.optim as an oracle: same steps, same parameters."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad import optim
from xgrad.ops.fused import decomposed_only

torch = pytest.importorskip("torch")
xs = optim.lr_scheduler
ts = torch.optim.lr_scheduler

OPT_CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, maximize=True)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.1, weight_decay=0.1, amsgrad=True, maximize=True)),
    ("AdamW", dict(lr=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.1, weight_decay=0.3)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.9, centered=True, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.5)),
    ("Adadelta", dict(lr=1.0, weight_decay=0.1)),
    ("Adamax", dict(lr=0.1, weight_decay=0.1)),
    ("NAdam", dict(lr=0.1, weight_decay=0.1)),
    ("NAdam", dict(lr=0.1, weight_decay=0.1, decoupled_weight_decay=True)),
]


@pytest.mark.parametrize("decomposed", [False, True], ids=["fused", "decomposed"])
@pytest.mark.parametrize("name,kw", OPT_CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(OPT_CASES)])
def test_same_steps_as_torch(name, kw, decomposed, rng):
    w0, target = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    b0 = rng.standard_normal(4)
    pt = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    px = [xgrad.tensor(w0, requires_grad=True), xgrad.tensor(b0, requires_grad=True)]
    ot = getattr(torch.optim, name)([{"params": [pt[0]]}, {"params": [pt[1]], "lr": 0.02}], **kw)
    ox = getattr(optim, name)([{"params": [px[0]]}, {"params": [px[1]], "lr": 0.02}], **kw)
    tt, tx = torch.tensor(target), xgrad.tensor(target)
    for _ in range(5):
        ot.zero_grad()
        (((pt[0] - tt) ** 4).sum() / 4 + (pt[0] * pt[1]).sum() ** 2).backward()
        ot.step()
        ox.zero_grad()
        (((px[0] - tx) ** 4).sum() / 4 + (px[0] * px[1]).sum() ** 2).backward()
        if decomposed:
            with decomposed_only():
                ox.step()
        else:
            ox.step()
    for a, b in zip(px, pt):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-7, atol=1e-9)
    sdx, sdt = ox.state_dict(), ot.state_dict()
    assert sorted(sdx["state"]) == sorted(sdt["state"])
    for i, st in sdt["state"].items():
        for k, v in st.items():
            if torch.is_tensor(v) and v.dim() > 0:
                np.testing.assert_allclose(sdx["state"][i][k].numpy(), v.numpy(), rtol=1e-7, atol=1e-9)
            elif k == "step":
                assert sdx["state"][i][k] == float(v)
    assert [g["params"] for g in sdx["param_groups"]] == [g["params"] for g in sdt["param_groups"]]


def _pair(opt="SGD", okw=None):
    okw = okw or dict(lr=0.1, momentum=0.9)
    pt = [torch.zeros(2, requires_grad=True), torch.zeros(1, requires_grad=True)]
    px = [xgrad.zeros(2, requires_grad=True), xgrad.zeros(1, requires_grad=True)]
    ot = getattr(torch.optim, opt)([{"params": [pt[0]]}, {"params": [pt[1]], "lr": 0.05}], **okw)
    ox = getattr(optim, opt)([{"params": [px[0]]}, {"params": [px[1]], "lr": 0.05}], **okw)
    return ot, ox


def _momentum(group):
    return group.get("momentum", group.get("betas"))


PLATEAU = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95] + [0.8] * 10 + [0.7, 0.9, 0.9, 0.9]

SCHED_CASES = [
    ("StepLR", lambda m, o: m.StepLR(o, 3, 0.5), {}),
    ("MultiStepLR", lambda m, o: m.MultiStepLR(o, [2, 5, 5, 9], 0.5), {}),
    ("ExponentialLR", lambda m, o: m.ExponentialLR(o, 0.9), {}),
    ("CosineAnnealingLR", lambda m, o: m.CosineAnnealingLR(o, 7, 0.001), {}),
    ("LambdaLR", lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e]), {}),
    ("LinearLR", lambda m, o: m.LinearLR(o, 0.2, 0.9, 6), {}),
    ("OneCycleLR-cos", lambda m, o: m.OneCycleLR(o, [1.0, 0.5], total_steps=21), {}),
    ("OneCycleLR-3phase-linear", lambda m, o: m.OneCycleLR(o, 1.0, total_steps=21, three_phase=True,
                                                            anneal_strategy="linear"), {}),
    ("OneCycleLR-adam", lambda m, o: m.OneCycleLR(o, 1.0, epochs=4, steps_per_epoch=5),
     dict(opt="Adam", okw=dict(lr=0.1))),
    ("ReduceLROnPlateau", lambda m, o: m.ReduceLROnPlateau(o, patience=2, cooldown=1,
                                                            min_lr=[0.01, 0.002]), {}),
    ("ReduceLROnPlateau-max-abs", lambda m, o: m.ReduceLROnPlateau(
        o, mode="max", threshold_mode="abs", threshold=0.1, patience=1, factor=0.5), {}),
    ("SequentialLR", lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, 0.1, total_iters=4), m.ExponentialLR(o, 0.9), m.CosineAnnealingLR(o, 5)],
        [4, 10]), {}),
]


@pytest.mark.parametrize("name,make,opt", SCHED_CASES, ids=[c[0] for c in SCHED_CASES])
def test_scheduler_sequences_match_torch(name, make, opt):
    ot, ox = _pair(**opt)
    st, sx = make(ts, ot), make(xs, ox)
    assert sx.get_last_lr() == st.get_last_lr()
    for i in range(20):
        ot.step()
        ox.step()
        if "Plateau" in name:
            metric = PLATEAU[i] if "max" not in name else -PLATEAU[i]
            st.step(metric)
            sx.step(metric)
        else:
            st.step()
            sx.step()
        assert sx.get_last_lr() == pytest.approx(st.get_last_lr(), rel=1e-15, abs=0)
        assert [g["lr"] for g in ox.param_groups] == pytest.approx([g["lr"] for g in ot.param_groups],
                                                                   rel=1e-15, abs=0)
        assert [_momentum(g) for g in ox.param_groups] == [_momentum(g) for g in ot.param_groups]


def test_scheduler_state_dict_keys_match_torch():
    ot, ox = _pair()
    st, sx = ts.CosineAnnealingLR(ot, 5), xs.CosineAnnealingLR(ox, 5)
    for _ in range(3):
        ot.step()
        ox.step()
        st.step()
        sx.step()
    a, b = sx.state_dict(), st.state_dict()
    for k in ("T_max", "eta_min", "base_lrs", "last_epoch", "_step_count", "_last_lr"):
        assert a[k] == b[k], k
