"""RAdam, Rprop and ASGD against torch.optim: the same parameters after every step (float64),
with parameter groups, maximize, weight decay, and a mid-way reload of torch's own state dict."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad import optim

torch = pytest.importorskip("torch")

CASES = [
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, maximize=True, foreach=False)),
    ("RAdam", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True)),
    ("Rprop", dict(lr=0.01)),
    ("Rprop", dict(lr=0.02, etas=(0.3, 1.5), step_sizes=(1e-3, 0.05), maximize=True, foreach=True)),
    ("ASGD", dict(lr=0.02)),
    ("ASGD", dict(lr=0.02, lambd=0.01, alpha=0.5, t0=6, weight_decay=0.1, maximize=True)),
]


@pytest.fixture
def torch_float64_scalars():
    """torch keeps ASGD's ``eta`` in the default dtype: make that float64 like xgrad's floats."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _loss(w, b, target):
    return (((w - target) ** 4).sum() / 4 + (w * b).sum() ** 2 + (b ** 2).sum())


def _to_xgrad_state(sd):
    return {"state": {i: {k: xgrad.tensor(v.numpy()) if torch.is_tensor(v) else v
                          for k, v in st.items()} for i, st in sd["state"].items()},
            "param_groups": [dict(g) for g in sd["param_groups"]]}


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_same_parameters_as_torch_every_step(name, kw, rng, torch_float64_scalars):
    w0, b0, target = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((3, 4))
    sign = -1.0 if kw.get("maximize") else 1.0
    pt = [torch.tensor(w0, requires_grad=True), torch.tensor(b0, requires_grad=True)]
    px = [xgrad.tensor(w0, requires_grad=True), xgrad.tensor(b0, requires_grad=True)]
    groups = lambda p: [{"params": [p[0]]}, {"params": [p[1]], "lr": 0.005}]  # noqa: E731
    ot, ox = getattr(torch.optim, name)(groups(pt), **kw), getattr(optim, name)(groups(px), **kw)
    tt, tx = torch.tensor(target), xgrad.tensor(target)
    for step in range(24):
        ot.zero_grad()
        (sign * _loss(pt[0], pt[1], tt)).backward()
        ot.step()
        ox.zero_grad()
        (sign * _loss(px[0], px[1], tx)).backward()
        ox.step()
        for a, b in zip(px, pt):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-11, atol=1e-13)
        if step == 11:  # continue from torch's state dict, loaded into a fresh optimizer
            ox = getattr(optim, name)(groups(px), **kw)
            ox.load_state_dict(_to_xgrad_state(ot.state_dict()))
    sdx, sdt = ox.state_dict(), ot.state_dict()
    assert sorted(sdx["state"]) == sorted(sdt["state"]) == [0, 1]
    for i, st in sdt["state"].items():
        assert sorted(sdx["state"][i]) == sorted(st)
        for k, v in st.items():
            got = sdx["state"][i][k]
            want = v.numpy() if torch.is_tensor(v) else v
            got = got.numpy() if isinstance(got, xgrad.Tensor) else got
            np.testing.assert_allclose(got, want, rtol=1e-11, atol=1e-13, err_msg=k)
    for gx, gt in zip(sdx["param_groups"], sdt["param_groups"]):
        assert {k: v for k, v in gx.items() if k != "params"} == \
            {k: (tuple(v) if isinstance(v, (list, tuple)) else v) for k, v in gt.items() if k != "params"}


def test_rprop_sign_flip_shrinks_and_skips():
    """Where the gradient changes sign the step size shrinks by etaminus and that step is
    skipped; the next step then keeps the step size (the stored gradient is zero)."""
    p = xgrad.tensor([1.0, -1.0], dtype=xgrad.float64, requires_grad=True)
    opt = optim.Rprop([p], lr=0.1, etas=(0.5, 2.0))
    for g, want_p, want_s in [([1.0, 1.0], [0.9, -1.1], [0.1, 0.1]),
                              ([1.0, -1.0], [0.7, -1.1], [0.2, 0.05]),
                              ([1.0, 1.0], [0.3, -1.15], [0.4, 0.05])]:
        p.grad = xgrad.tensor(g, dtype=xgrad.float64)
        opt.step()
        np.testing.assert_allclose(p.detach().numpy(), want_p, rtol=1e-12)
        np.testing.assert_allclose(opt.state[p]["step_size"].numpy(), want_s, rtol=1e-12)


@pytest.mark.parametrize("name,kw", [
    ("RAdam", dict(lr=-1)), ("RAdam", dict(eps=-1)), ("RAdam", dict(betas=(1.0, 0.9))),
    ("RAdam", dict(betas=(0.9, -0.1))), ("RAdam", dict(weight_decay=-1)),
    ("Rprop", dict(lr=-1)), ("Rprop", dict(etas=(1.1, 1.2))), ("Rprop", dict(etas=(0.5, 0.9))),
    ("ASGD", dict(lr=-1)), ("ASGD", dict(weight_decay=-0.5)),
])
def test_argument_errors_match_torch(name, kw):
    with pytest.raises(ValueError) as te:
        getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as xe:
        getattr(optim, name)([xgrad.zeros(1, requires_grad=True)], **kw)
    assert str(xe.value) == str(te.value)


@pytest.mark.parametrize("name", ["RAdam", "Rprop", "ASGD"])
def test_defaults_match_torch(name):
    dt = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    dx = getattr(optim, name)([xgrad.zeros(1, requires_grad=True)]).defaults
    assert dx == {k: tuple(v) if isinstance(v, (list, tuple)) else v for k, v in dt.items()}


@pytest.mark.parametrize("name,kw", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_reference_backend_takes_the_same_steps(name, kw, rng):
    w0, b0, target = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal((3, 4))
    runs = []
    for device in ("numpy", "reference"):
        p = [xgrad.tensor(w0, device=device, requires_grad=True),
             xgrad.tensor(b0, device=device, requires_grad=True)]
        opt = getattr(optim, name)(p, **kw)
        t = xgrad.tensor(target, device=device)
        for _ in range(8):
            opt.zero_grad()
            _loss(p[0], p[1], t).backward()
            opt.step()
        runs.append([q.detach().numpy() for q in p])
    for a, b in zip(*runs):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
