"""Writing through views: PyTorch semantics on every backend (the frontend owns views)."""
from __future__ import annotations

import pytest
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


def test_overlapping_unfold_refuses_writes_and_separate_windows_accept_them(backend):
    x = xgrad.zeros(6, device=backend)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        x.unfold(0, 3, 1).add_(1.0)
    assert x.tolist() == [0.0] * 6  # nothing was written
    x.unfold(0, 2, 2)[1].fill_(4.0)
    assert x.tolist() == [0.0, 0.0, 4.0, 4.0, 0.0, 0.0]


@pytest.mark.parametrize("call, message", [
    (lambda x: x.diagonal(0, 1, 1), "diagonal dimensions cannot be identical 1, 1"),
    (lambda x: x.diagonal(0, 0, 5), "Dimension out of range"),
    (lambda x: x.unfold(1, 5, 1), "maximum size for tensor at dimension 1 is 3 but size is 5"),
    (lambda x: x.unfold(1, 2, 0), "step is 0 but must be > 0"),
    (lambda x: x.unfold(1, -1, 1), "size is -1 but must be >= 0"),
])
def test_diagonal_and_unfold_argument_errors(backend, call, message):
    x = xgrad.zeros(2, 3, 4, device=backend)
    with pytest.raises((RuntimeError, IndexError), match=message):
        call(x)


def test_resize_of_a_view_cannot_grow_the_shared_storage(backend):
    x = xgrad.arange(6.0, device=backend)
    v = x[4:]
    with pytest.raises(RuntimeError, match="cannot grow the storage a view shares"):
        v.resize_(3)
    assert v.tolist() == [4.0, 5.0] and x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    y = xgrad.arange(4.0, device=backend)
    keep = y[1:]
    with pytest.raises(RuntimeError, match="shared with live views"):
        y.resize_(8)
    del keep


def test_numpy_shares_memory_exactly_on_the_numpy_backend(backend):
    x = xgrad.zeros(3, device=backend)
    early = x.numpy()
    x[1:].fill_(2.0)
    shared = backend in ("numpy", "cpu")
    assert early.tolist() == ([0.0, 2.0, 2.0] if shared else [0.0, 0.0, 0.0])
    assert x.numpy().tolist() == [0.0, 2.0, 2.0]
