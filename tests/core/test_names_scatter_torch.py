"""scatter_reduce (every reduction, with and without self), index_put (assign and accumulate,
bool and integer indices) and nanmedian against torch: values, gradients, in-place forms and
error texts."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

rng = np.random.default_rng(3)
NAN = float("nan")


def _pair(a, rg=True):
    return (xgrad.tensor(a, dtype=xgrad.float64, requires_grad=rg),
            torch.tensor(a, dtype=torch.float64, requires_grad=rg))


def _grads_match(got, want, *pairs):
    w = rng.standard_normal(tuple(want.shape))
    (got * xgrad.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    for x, t in pairs:
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-14)


# (dim, index shape, self shape); src has the index's shape (torch's backward needs that)
GEOMETRY = [(0, (2, 3), (3, 4)), (1, (3, 2), (3, 4)), (-1, (5,), (3,)), (0, (), ()),
            (1, (2, 6), (2, 3))]


@pytest.mark.parametrize("reduce,include_self,geometry", list(itertools.product(
    ("sum", "prod", "mean", "amax", "amin"), (True, False), range(len(GEOMETRY)))))
def test_scatter_reduce_matches_torch(reduce, include_self, geometry):
    dim, ishape, xshape = GEOMETRY[geometry]
    n = xshape[dim] if xshape else 1
    index = rng.integers(-n if reduce != "mean" else 0, n, ishape)
    index = np.where(index < 0, index + n, index)  # torch's scatter refuses negative indices
    (xa, ta), (xs, ts) = _pair(rng.standard_normal(xshape)), _pair(rng.standard_normal(ishape))
    got = xa.scatter_reduce(dim, xgrad.tensor(index), xs, reduce, include_self=include_self)
    want = ta.scatter_reduce(dim, torch.tensor(index), ts, reduce, include_self=include_self)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    _grads_match(got, want, (xa, ta), (xs, ts))
    got = xgrad.scatter_reduce(xa.detach(), dim, xgrad.tensor(index), xs.detach(), reduce)
    want = torch.scatter_reduce(ta.detach(), dim, torch.tensor(index), ts.detach(), reduce)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


def test_scatter_reduce_integers_larger_src_and_inplace_match_torch():
    a, i = np.array([[1, 2], [3, 4]]), np.array([[0, 0], [0, 0]])
    s = np.array([[2, 3, 9], [4, 4, 9]])
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for inc in (True, False):
            got = xgrad.tensor(a).scatter_reduce(0, xgrad.tensor(i), xgrad.tensor(s), reduce,
                                                 include_self=inc)
            want = torch.tensor(a).scatter_reduce(0, torch.tensor(i), torch.tensor(s), reduce,
                                                  include_self=inc)
            np.testing.assert_array_equal(got.numpy(), want.numpy())
            assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    x, t = xgrad.zeros(3, 4), torch.zeros(3, 4)
    idx, src = np.array([[0, 1, 0], [2, 2, 2]]), rng.standard_normal((2, 3))
    assert x.scatter_reduce_(1, xgrad.tensor(idx), xgrad.tensor(src, dtype=xgrad.float32),
                             "amax") is x
    t.scatter_reduce_(1, torch.tensor(idx), torch.tensor(src, dtype=torch.float32), "amax")
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)


def test_index_put_matches_torch():
    a = rng.standard_normal((4, 3))
    cases = [
        (lambda m: (m.tensor([0, 2]),), (3,), False),
        (lambda m: (m.tensor([3, 0]), m.tensor([1, 2])), (2,), False),
        (lambda m: (m.tensor([1, 1, 0]), m.tensor([2, 2, 0])), (3,), True),
        (lambda m: (m.tensor([True, False, True, False]),), (), False),
        (lambda m: (m.tensor([0, 0, 3]),), (3, 3), True),
    ]
    for make, vshape, acc in cases:
        (xa, ta), (xv, tv) = _pair(a), _pair(rng.standard_normal(vshape))
        got = xa.index_put(make(xgrad), xv, accumulate=acc)
        want = ta.index_put(make(torch), tv, accumulate=acc)
        np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
        _grads_match(got, want, (xa, ta), (xv, tv))
        xb, tb = xgrad.tensor(a), torch.tensor(a)
        assert xb.index_put_(make(xgrad), xv.detach(), acc) is xb
        tb.index_put_(make(torch), tv.detach(), acc)
        np.testing.assert_allclose(xb.numpy(), tb.numpy(), rtol=1e-12)
    np.testing.assert_allclose(
        xgrad.index_put(xgrad.tensor(a), [xgrad.tensor([1])], xgrad.tensor(2.0).double()).numpy(),
        torch.index_put(torch.tensor(a), [torch.tensor([1])], torch.tensor(2.0).double()).numpy())


def test_nanmedian_matches_torch():
    a = np.array([[NAN, 1.0, 3.0, 2.0], [5.0, NAN, NAN, 1.0], [4.0, 7.0, 0.0, 1.0]])
    for dim, keep in ((1, False), (0, True), (-1, True)):
        (x, t) = _pair(a)
        got, want = x.nanmedian(dim, keep), t.nanmedian(dim, keep)
        np.testing.assert_allclose(got[0].detach().numpy(), want.values.detach().numpy())
        np.testing.assert_array_equal(got[1].numpy(), want.indices.numpy())
        _grads_match(got[0], want.values, (x, t))
    x, t = _pair(a)
    got, want = xgrad.nanmedian(x), torch.nanmedian(t)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy())
    _grads_match(got, want, (x, t))
    allnan = np.array([[NAN, NAN], [1.0, NAN]])
    np.testing.assert_allclose(xgrad.tensor(allnan).nanmedian(1)[0].numpy(),
                               torch.tensor(allnan).nanmedian(1).values.numpy())
    for v in (np.array([3, 1, 2]), np.array([]), np.array(2.5)):
        got, want = xgrad.tensor(v).nanmedian(), torch.tensor(v).nanmedian()
        np.testing.assert_allclose(got.numpy(), want.numpy())
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]


def _raises_like(call):
    with pytest.raises(Exception) as want:
        call(torch)
    with pytest.raises(type(want.value)) as got:
        call(xgrad)
    assert str(got.value).split("\n")[0] == str(want.value).split("\n")[0]


ERRORS = [
    lambda m: m.zeros(3, 4).scatter_reduce(0, m.tensor([[0, 1]]), m.ones(1, 2), "foo"),
    lambda m: m.zeros(3, 4).scatter_reduce(0, m.tensor([[0.0]]), m.ones(1, 2), "sum"),
    lambda m: m.zeros(3, 4).scatter_reduce(0, m.tensor([[0]]), m.ones(1, 2, dtype=m.float64), "sum"),
    lambda m: m.zeros(3, 4).scatter_reduce(0, m.tensor([0]), m.ones(1, 2), "sum"),
    lambda m: m.zeros(3, 4).scatter_reduce(0, m.tensor([[5]]), m.ones(1, 2), "sum"),
    lambda m: m.zeros(3, 4).scatter_reduce(0, m.ones(4, 4, dtype=m.int64), m.ones(2, 3), "sum"),
    lambda m: m.zeros(3, 4).index_put(m.tensor([0]), m.tensor(1.0)),
    lambda m: m.zeros(3, 4).index_put((m.tensor([0]),), 1.0),
    lambda m: m.zeros(3, 4).index_put((m.tensor([0]),), m.tensor(1.0, dtype=m.float64)),
    lambda m: m.zeros(3, 4).index_put((m.tensor([0]),), m.ones(3)),
    lambda m: m.zeros(3, 4).index_put((m.tensor([0.0]),), m.tensor(1.0)),
    lambda m: m.ones(0, 2).nanmedian(0),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    _raises_like(ERRORS[i])
