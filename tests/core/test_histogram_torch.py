"""xgrad.histogram / Tensor.histogram against torch: counts and edges for int bins (data
range, given range, one-point and empty data), edge tensors, weights, density, errors."""
from __future__ import annotations

import re

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
DATA = rng.standard_normal(200)


def _same(got, want):
    for g, w in zip(got, want):
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        np.testing.assert_allclose(g.numpy(), w.numpy(), rtol=1e-6, atol=1e-6)  # float32 edges: 1 ulp


@pytest.mark.parametrize("data", [DATA, DATA.astype(np.float32), np.full(5, 1.0), np.zeros(0),
                                  np.array([0.0, 1.0, 2.0, 3.0, 4.0])])
@pytest.mark.parametrize("kw", [{}, {"bins": 7}, {"bins": 4, "range": (-1.0, 1.0)},
                                {"bins": 5, "density": True}, {"bins": 3, "weighted": True}])
def test_matches_torch(data, kw):
    kw = dict(kw)
    x, t = xgrad.tensor(data), torch.tensor(data)
    if kw.pop("weighted", False):
        w = rng.uniform(0, 2, data.shape).astype(data.dtype)
        kw["weight"], tkw = xgrad.tensor(w), dict(kw, weight=torch.tensor(w))
    else:
        tkw = kw
    if kw.get("density") and data.size == 0:
        return  # 0/0 in both
    _same(xgrad.histogram(x, **kw), torch.histogram(t, **tkw))
    _same(x.histogram(**kw), t.histogram(**tkw))


def test_edge_tensor_bins_match_torch():
    edges = np.array([-3.0, -1.0, 0.0, 0.5, 2.0])
    for density in (False, True):
        _same(xgrad.histogram(xgrad.tensor(DATA), xgrad.tensor(edges), density=density),
              torch.histogram(torch.tensor(DATA), torch.tensor(edges), density=density))
    got = xgrad.histogram(xgrad.tensor(DATA), bins=3)
    assert got.hist is got[0] and got.bin_edges is got[1]


def test_errors_match_torch():
    for call in (lambda m: m.histogram(m.tensor([1, 2]), bins=3),
                 lambda m: m.histogram(m.tensor([1.0, 2.0]), bins=0),
                 lambda m: m.histogram(m.tensor([1.0, 2.0]), bins=3, range=(2.0, 1.0))):
        with pytest.raises((RuntimeError, NotImplementedError)) as want:
            call(torch)
        with pytest.raises(want.type, match=re.escape(str(want.value))):
            call(xgrad)
