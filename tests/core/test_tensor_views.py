"""Writing through views: PyTorch semantics on every backend (the frontend owns views)."""
from __future__ import annotations

import xgrad


def test_inplace_on_slice_writes_through(backend):
    x = xgrad.zeros(3, device=backend)
    x[1:].fill_(2.0)
    assert x.tolist() == [0.0, 2.0, 2.0]


def test_chained_setitem_writes_through(backend):
    x = xgrad.zeros(2, 3, device=backend)
    x[0][1] = 7.0
    assert x.tolist() == [[0.0, 7.0, 0.0], [0.0, 0.0, 0.0]]


def test_inplace_on_view_in_grad_mode_updates_base_and_gradient(backend):
    w = xgrad.ones(3, requires_grad=True, device=backend)
    x = w * 1
    x[1:].mul_(2)
    assert x.tolist() == [1.0, 2.0, 2.0]
    x.sum().backward()
    assert w.grad.tolist() == [1.0, 2.0, 2.0]


def test_setitem_on_base_works_everywhere(backend):
    x = xgrad.zeros(2, 3, device=backend)
    x[0, 1] = 7.0
    x[1, :2] = xgrad.tensor([1.0, 2.0], device=backend)
    assert x.tolist() == [[0.0, 7.0, 0.0], [1.0, 2.0, 0.0]]
