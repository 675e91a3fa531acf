"""A Python ``range`` as an index, as PyTorch takes it (``x[range(n), y] = v`` in
pytorch/examples mnist_forward_forward): reads, writes and gradients against torch."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

A = np.arange(24, dtype=np.float64).reshape(4, 6)
INDICES = [lambda: range(3), lambda: (range(4), [0, 5, 2, 1]), lambda: (slice(None), range(1, 6, 2)),
           lambda: range(0), lambda: (range(2), range(2))]


@pytest.mark.parametrize("make", INDICES)
def test_range_index_matches_torch(make):
    x = xgrad.tensor(A, requires_grad=True)
    t = torch.tensor(A, requires_grad=True)
    got, want = x[make()], t[make()]
    np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
    (got * 2.0).sum().backward()
    (want * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    xs, ts = xgrad.tensor(A), torch.tensor(A)
    xs[make()] = -1.0
    ts[make()] = -1.0
    np.testing.assert_array_equal(xs.numpy(), ts.numpy())
