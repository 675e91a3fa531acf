"""Indexing on both backends: slices, None, Ellipsis, integer/bool index tensors, gather & co."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.autograd import gradcheck


def _t(arr, backend, rg=False):
    return xgrad.tensor(np.asarray(arr), dtype=xgrad.float64, device=backend, requires_grad=rg)


A = np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 5.0
IDX = np.array([2, 0, 2])
MASK = np.array([[True, False, True], [False, False, True]])

# name, index on xgrad (built per backend), index on numpy
GETITEM = [
    ("int", lambda be: 1, 1),
    ("neg_int", lambda be: -1, -1),
    ("slice", lambda be: slice(None, 1), slice(None, 1)),
    ("step", lambda be: (slice(None), slice(None, None, 2)), (slice(None), slice(None, None, 2))),
    ("neg_slice", lambda be: (0, slice(-2, None), slice(1, -1)), (0, slice(-2, None), slice(1, -1))),
    ("none", lambda be: (None, 0, None), (None, 0, None)),
    ("ellipsis", lambda be: (Ellipsis, 1), (Ellipsis, 1)),
    ("ellipsis_mid", lambda be: (0, ..., slice(1, 3)), (0, ..., slice(1, 3))),
    ("int_tensor", lambda be: xgrad.tensor(IDX, device=be), IDX % 2),
    ("int_tensor_dim2", lambda be: (slice(None), slice(None), xgrad.tensor(IDX, device=be)),
     (slice(None), slice(None), IDX)),
    ("int_list", lambda be: (slice(None), [0, 2]), (slice(None), [0, 2])),
    ("two_int_tensors", lambda be: (xgrad.tensor([0, 1, 1], device=be),
                                    xgrad.tensor([2, 0, 2], device=be)),
     (np.array([0, 1, 1]), np.array([2, 0, 2]))),
    ("bool_mask", lambda be: xgrad.tensor(MASK, device=be), MASK),
    ("bool_mask_dim1", lambda be: (slice(None), xgrad.tensor([True, False, True], device=be)),
     (slice(None), np.array([True, False, True]))),
    ("empty_slice", lambda be: slice(5, None), slice(5, None)),
]


@pytest.mark.parametrize("name,xi,ni", GETITEM, ids=[g[0] for g in GETITEM])
def test_getitem(backend, name, xi, ni):
    if name == "int_tensor":
        ni = IDX.copy()
        xs = _t(np.concatenate([A, A + 10]), backend, True)  # leading dim 4 so indices 2 fit
        ref = np.concatenate([A, A + 10])[ni]
    else:
        xs = _t(A, backend, True)
        ref = A[ni]
    idx = xi(backend)
    out = xs[idx]
    assert tuple(out.shape) == ref.shape
    np.testing.assert_array_equal(out.numpy(), ref)
    assert gradcheck(lambda t: t[idx], (xs,))


def test_getitem_repeated_index_accumulates_gradient(backend):
    x = _t([1.0, 2.0, 3.0], backend, True)
    i = xgrad.tensor([0, 2, 0, 0], device=backend)
    x[i].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


SETITEM = [
    ("int_scalar", lambda be: 1, 1, 7.0),
    ("slice_tensor", lambda be: (slice(None), slice(1, 3)), (slice(None), slice(1, 3)), "t"),
    ("ellipsis", lambda be: (..., 0), (..., 0), -1.0),
    ("bool_mask", lambda be: xgrad.tensor(MASK, device=be), MASK, 0.0),
    ("int_tensor", lambda be: (0, xgrad.tensor([0, 2], device=be)), (0, np.array([0, 2])), 9.0),
]


@pytest.mark.parametrize("name,xi,ni,val", SETITEM, ids=[s[0] for s in SETITEM])
def test_setitem(backend, name, xi, ni, val):
    x = _t(A, backend)
    ref = A.copy()
    if val == "t":
        v = np.full(ref[ni].shape, 3.5)
        x[xi(backend)] = _t(v, backend)
        ref[ni] = v
    else:
        x[xi(backend)] = val
        ref[ni] = val
    np.testing.assert_array_equal(x.numpy(), ref)


def test_setitem_differentiable(backend, rng):
    a, v = rng.normal(size=(3, 4)), rng.normal(size=(4,))

    def f(p, q):
        y = p * 1.0
        y[1] = q * 2
        return y

    x, y = _t(a, backend, True), _t(v, backend, True)
    assert gradcheck(f, (x, y))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(backend, rng, dim):
    a = rng.normal(size=(3, 4))
    shape = [3, 4]
    shape[dim] = 2
    idx = rng.integers(0, a.shape[dim], size=shape)
    x = _t(a, backend, True)
    i = xgrad.tensor(idx, device=backend)
    out = x.gather(dim, i)
    np.testing.assert_array_equal(out.numpy(), np.take_along_axis(a, idx, dim))
    np.testing.assert_array_equal(xgrad.gather(x, dim, i).numpy(), out.numpy())
    assert gradcheck(lambda t: t.gather(dim, i), (x,))


@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_and_scatter_add(backend, rng, dim):
    a = rng.normal(size=(3, 4))
    src = rng.normal(size=(3, 4))
    idx = np.array([[0, 1, 2, 0], [2, 0, 1, 1], [1, 2, 0, 2]]) if dim == 0 else \
        np.array([[3, 1, 0, 2], [0, 2, 3, 1], [1, 0, 2, 3]])  # a permutation along dim: no ties
    ref = a.copy()
    ref_add = a.copy()
    for r in range(3):
        for c in range(4):
            pos = (idx[r, c], c) if dim == 0 else (r, idx[r, c])
            ref[pos] = src[r, c]
            ref_add[pos] += src[r, c]
    x, s = _t(a, backend, True), _t(src, backend, True)
    i = xgrad.tensor(idx, device=backend)
    np.testing.assert_allclose(x.scatter(dim, i, s).numpy(), ref, rtol=1e-15)
    np.testing.assert_allclose(x.scatter_add(dim, i, s).numpy(), ref_add, rtol=1e-15)
    assert gradcheck(lambda p, q: p.scatter(dim, i, q), (x, s))
    assert gradcheck(lambda p, q: p.scatter_add(dim, i, q), (x, s))
    v = x.scatter(dim, i, value=2.5)
    np.testing.assert_array_equal(v.numpy() == 2.5, ref != a)


def test_index_select(backend, rng):
    a = rng.normal(size=(3, 4))
    x = _t(a, backend, True)
    i = xgrad.tensor([3, 0, 3], device=backend)
    np.testing.assert_array_equal(x.index_select(1, i).numpy(), a[:, [3, 0, 3]])
    j = xgrad.tensor([2, 0], device=backend)
    np.testing.assert_array_equal(xgrad.index_select(x, 0, j).numpy(), a[[2, 0]])
    assert gradcheck(lambda t: t.index_select(-1, i), (x,))


def test_masked_fill(backend, rng):
    a = rng.normal(size=(2, 3))
    x = _t(a, backend, True)
    m = xgrad.tensor(MASK, device=backend)
    np.testing.assert_array_equal(x.masked_fill(m, -5.0).numpy(), np.where(MASK, -5.0, a))
    row = xgrad.tensor([True, False, False], device=backend)
    np.testing.assert_array_equal(xgrad.masked_fill(x, row, 0.0).numpy(), np.where(row.numpy(), 0.0, a))
    assert gradcheck(lambda t: t.masked_fill(m, 1.0), (x,))
    y = _t(a, backend)
    y.masked_fill_(m, 3.0)
    np.testing.assert_array_equal(y.numpy(), np.where(MASK, 3.0, a))
