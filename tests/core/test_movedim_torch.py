"""movedim/moveaxis and swapdims against torch: shapes, values, view semantics, gradients
and errors."""
from __future__ import annotations

import re

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

A = np.arange(24.0).reshape(2, 3, 4)
ARGS = [(0, -1), (-1, 0), (1, 1), ((0, 1), (2, 0)), ((0, 2), (2, 0)), ([2], [0]), ((), ()),
        ((0, 1, 2), (2, 1, 0))]


@pytest.mark.parametrize("args", ARGS)
@pytest.mark.parametrize("name", ["movedim", "moveaxis"])
def test_matches_torch(name, args):
    x = xgrad.tensor(A, requires_grad=True)
    t = torch.tensor(A, requires_grad=True)
    got, want = getattr(x, name)(*args), getattr(t, name)(*args)
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    np.testing.assert_array_equal(getattr(xgrad, name)(x, *args).detach().numpy(),
                                  want.detach().numpy())
    w = np.random.default_rng(0).standard_normal(tuple(want.shape))
    (got * xgrad.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


def test_is_a_view_and_swapdims():
    x = xgrad.tensor(A.copy())
    v = x.movedim(0, -1)
    v[0, 0, 1] = -5.0
    assert x[1, 0, 0].item() == -5.0
    np.testing.assert_array_equal(x.swapdims(0, 2).numpy(),
                                  torch.tensor(x.numpy()).swapdims(0, 2).numpy())
    assert tuple(xgrad.tensor(3.0).movedim(0, 0).shape) == ()


def test_errors_match_torch():
    for args in (((0, 1), (0,)), ((0, 0), (1, 2)), ((0, 1), (1, 1)), (0, 5)):
        with pytest.raises((RuntimeError, IndexError)) as want:
            torch.zeros(2, 3, 4).movedim(*args)
        with pytest.raises(want.type, match=re.escape(str(want.value))):
            xgrad.zeros(2, 3, 4).movedim(*args)
