"""The frontend's immutable path: on a backend whose arrays are read-only (``mutable =
False``), views, in-place ops, optimizers and training give the numpy backend's results and
nothing is ever written into an array."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from immutable_numpy import plugin
from xgrad.conformance.views import VIEW_PROGRAMS
from xgrad.registry import REGISTRY, register_plugin


@pytest.fixture
def immutable():
    with REGISTRY.isolated():
        register_plugin(plugin, name="immutable-numpy")
        yield "immutable"


def _plain(v):
    if isinstance(v, xgrad.Tensor):
        return v.numpy().tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


@pytest.mark.parametrize("name", sorted(VIEW_PROGRAMS))
def test_view_programs_match_numpy(immutable, name):
    assert _plain(VIEW_PROGRAMS[name](xgrad, immutable)) == _plain(VIEW_PROGRAMS[name](xgrad, "numpy"))


def test_arrays_are_read_only_and_assign_is_never_called(immutable):
    x = xgrad.arange(6.0, device=immutable).reshape(2, 3)
    with pytest.raises(ValueError, match="read-only"):
        np.asarray(x.backend.getitem(x._data, (0,)))[0] = 1.0  # the backend really freezes
    x[0].add_(1.0)
    x.t()[1].mul_(2.0)
    x += 1
    assert x.tolist() == [[2.0, 5.0, 4.0], [4.0, 9.0, 6.0]]


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_training_matches_numpy(immutable, opt):
    def train(dev):
        xgrad.manual_seed(0)
        model = xgrad.nn.Sequential(xgrad.nn.Linear(4, 8), xgrad.nn.ReLU(), xgrad.nn.Linear(8, 2))
        model.to(dev)
        x = xgrad.randn(16, 4).to(dev)
        y = xgrad.randint(0, 2, (16,)).to(dev)
        make = {"sgd": lambda p: xgrad.optim.SGD(p, lr=0.1, momentum=0.9),
                "adam": lambda p: xgrad.optim.Adam(p, lr=0.01),
                "rmsprop": lambda p: xgrad.optim.RMSprop(p, lr=0.01)}[opt]
        o = make(model.parameters())
        losses = []
        for _ in range(5):
            o.zero_grad()
            loss = xgrad.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            o.step()
            losses.append(loss.item())
        return losses, [p.detach().to("numpy").numpy() for p in model.parameters()]

    got_l, got_p = train(immutable)
    want_l, want_p = train("numpy")
    np.testing.assert_allclose(got_l, want_l, rtol=1e-6)
    for g, w in zip(got_p, want_p):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-7)
