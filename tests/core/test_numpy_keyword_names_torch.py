"""NumPy's keyword names ``axis=`` and ``keepdims=`` for ``dim`` and ``keepdim``, which
PyTorch's native functions accept (``x.sum(1, keepdims=True)`` in karpathy's makemore
notebooks) and its Python-level ones (norm, split, unique) do not: against torch."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

A = np.random.default_rng(0).standard_normal((3, 4))
REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "std", "var", "logsumexp", "argmax",
              "argmin", "all", "any"]


def _values(out):
    if isinstance(out, (tuple, list)):
        return [_values(o) for o in out]
    return out.detach().numpy()


def _same(got, want):
    for g, w in zip(np.atleast_1d(_values(got)), np.atleast_1d(_values(want))):
        np.testing.assert_allclose(np.asarray(g, dtype=float), np.asarray(w, dtype=float),
                                   rtol=1e-6)


@pytest.mark.parametrize("name", REDUCTIONS + ["max", "min", "median"])
@pytest.mark.parametrize("kw", [{"axis": 1}, {"dim": 0, "keepdims": True},
                                {"axis": -1, "keepdim": True}, {"axis": 0, "keepdims": False}])
def test_reductions_take_numpy_names(name, kw):
    x, t = xgrad.tensor(A), torch.tensor(A)
    got, want = getattr(x, name)(**kw), getattr(t, name)(**kw)
    if isinstance(want, tuple):
        assert tuple(got[0].shape) == tuple(want[0].shape)
    else:
        assert tuple(got.shape) == tuple(want.shape)
    _same(got, want)
    _same(getattr(xgrad, name)(x, **kw), getattr(torch, name)(t, **kw))


def test_other_dim_ops_take_axis():
    x, t = xgrad.tensor(A), torch.tensor(A)
    for call in (lambda m, v: v.cumsum(axis=1), lambda m, v: v.softmax(axis=0),
                 lambda m, v: v.unsqueeze(axis=1), lambda m, v: v[:1].squeeze(axis=0),
                 lambda m, v: m.cat([v, v], axis=1), lambda m, v: m.stack([v, v], axis=2),
                 lambda m, v: v.count_nonzero(axis=0), lambda m, v: m.log_softmax(v, axis=1)):
        got, want = call(xgrad, x), call(torch, t)
        assert tuple(got.shape) == tuple(want.shape)
        _same(got, want)


def test_refused_where_torch_refuses():
    x, t = xgrad.tensor(A), torch.tensor(A)
    for call in (lambda v: v.norm(axis=1), lambda v: v.split(2, axis=1),
                 lambda v: v.unique(axis=0), lambda v: v.sum(dim=1, axis=1),
                 lambda v: v.sum(1, keepdim=True, keepdims=True)):
        with pytest.raises(TypeError):
            call(t)
        with pytest.raises(TypeError):
            call(x)
