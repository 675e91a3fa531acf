"""matmul / mm / bmm / einsum, sort / topk on both backends."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.autograd import gradcheck


def _t(arr, backend, rg=False):
    return xgrad.tensor(np.asarray(arr), dtype=xgrad.float64, device=backend, requires_grad=rg)


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
                 ((2, 2, 3), (3, 2)), ((3,), (2, 3, 2)), ((2, 1, 2, 3), (3, 3, 2)),
                 ((2, 2, 3), (2, 3, 2))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul(backend, rng, sa, sb):
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    x, y = _t(a, backend, True), _t(b, backend, True)
    out = xgrad.matmul(x, y)
    expect = np.matmul(a, b)
    assert tuple(out.shape) == expect.shape
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose((x @ y).numpy(), expect, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda p, q: p @ q, (x, y))


def test_mm_bmm_dot_outer(backend, rng):
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3, 4))
    x, y = _t(a, backend, True), _t(b, backend, True)
    np.testing.assert_allclose(x.mm(y).numpy(), a @ b, rtol=1e-12)
    assert gradcheck(xgrad.mm, (x, y))
    p, q = rng.normal(size=(2, 2, 3)), rng.normal(size=(2, 3, 2))
    bp, bq = _t(p, backend, True), _t(q, backend, True)
    np.testing.assert_allclose(xgrad.bmm(bp, bq).numpy(), p @ q, rtol=1e-12)
    assert gradcheck(xgrad.bmm, (bp, bq))
    u, v = _t(a[0], backend, True), _t(b[:, 0], backend, True)
    np.testing.assert_allclose(xgrad.dot(u, v).item(), a[0] @ b[:, 0], rtol=1e-12)
    np.testing.assert_allclose(xgrad.outer(u, v).numpy(), np.outer(a[0], b[:, 0]), rtol=1e-12)


def test_mm_and_bmm_reject_wrong_ranks(backend):
    x = _t(np.ones((2, 2, 2)), backend)
    with pytest.raises(RuntimeError, match="2D|2-D|matrices|dim"):
        xgrad.mm(x, x)
    with pytest.raises(RuntimeError, match="3D|3-D|batch|dim"):
        xgrad.bmm(x[0], x[0])


EINSUM = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ij,ij->i", [(2, 3), (2, 3)]),
    ("ij,kj->ik", [(2, 3), (4, 3)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 2, 3), (1, 2, 3, 3)]),
    ("ij,j->i", [(2, 3), (3,)]),
    ("ijk,ik->j", [(2, 3, 2), (2, 2)]),
    ("ij->ji", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ijk->ki", [(2, 3, 2)]),
    ("ij->", [(2, 3)]),
    ("ij", [(2, 3)]),
]


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum(backend, rng, eq, shapes):
    arrs = [rng.normal(size=s) for s in shapes]
    ts = [_t(a, backend, True) for a in arrs]
    out = xgrad.einsum(eq, *ts)
    expect = np.einsum(eq, *arrs)
    assert tuple(out.shape) == np.shape(expect)
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda *xs: xgrad.einsum(eq, *xs), tuple(ts))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("descending", [False, True])
def test_sort(backend, rng, dim, descending):
    a = rng.permutation(12).reshape(3, 4).astype(np.float64) + rng.uniform(0, 0.5, (3, 4))
    x = _t(a, backend, True)
    values, indices = x.sort(dim, descending=descending)
    order = np.argsort(-a if descending else a, axis=dim)
    np.testing.assert_array_equal(indices.numpy(), order)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(a, order, dim))
    assert indices.dtype is xgrad.int64
    np.testing.assert_array_equal(xgrad.argsort(x, dim, descending=descending).numpy(), order)
    assert gradcheck(lambda t: t.sort(dim, descending=descending)[0], (x,))


def test_sort_is_stable_with_ties(backend):
    x = _t([2.0, 1.0, 2.0, 1.0], backend)
    np.testing.assert_array_equal(x.sort().indices.numpy(), [1, 3, 0, 2])


@pytest.mark.parametrize("largest", [True, False])
def test_topk(backend, rng, largest):
    a = rng.permutation(12).reshape(3, 4).astype(np.float64)
    x = _t(a, backend, True)
    values, indices = x.topk(2, largest=largest)
    order = np.argsort(-a if largest else a, axis=-1)[:, :2]
    np.testing.assert_array_equal(indices.numpy(), order)
    np.testing.assert_array_equal(values.numpy(), np.take_along_axis(a, order, -1))
    v0, i0 = xgrad.topk(x, 1, dim=0)
    np.testing.assert_array_equal(i0.numpy(), a.argmax(0)[None])
    assert gradcheck(lambda t: t.topk(3, dim=1, largest=largest)[0], (x,))
    assert gradcheck(lambda t: t.topk(2, dim=0)[0], (x,))
