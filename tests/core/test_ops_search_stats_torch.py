# ruff: noqa: B023  (the lambdas built in loops are called at once)
"""Searching, counting, cumulative, order-statistic, matrix-helper and special-function ops
against torch: values, gradients (torch and gradcheck), error types and texts."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import xgrad
from xgrad.autograd import gradcheck, gradgradcheck

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 5, 4))
TIES = rng.integers(-2, 3, (4, 7)).astype(np.float64)


def _both(a, grad=True):
    return (xgrad.tensor(a, dtype=xgrad.float64, requires_grad=grad),
            torch.tensor(a, dtype=torch.float64, requires_grad=grad))


def _np(t):
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _same(x, t, tol=1e-10):
    if isinstance(t, (tuple, list)):
        assert len(x) == len(t)
        for a, b in zip(x, t):
            _same(a, b, tol)
        return
    assert tuple(x.shape) == tuple(t.shape), (x.shape, t.shape)
    xa, ta = _np(x), _np(t)
    if ta.dtype.kind in "biu":
        assert str(x.dtype).split(".")[-1] == str(t.dtype).split(".")[-1], (x.dtype, t.dtype)
        np.testing.assert_array_equal(xa, ta)
    else:
        np.testing.assert_allclose(xa, ta, rtol=tol, atol=tol, equal_nan=True)


def _grad_same(fx, ft, a, tol=1e-9):
    x, t = _both(a)
    ox, ot = fx(x), ft(t)
    ox = ox[0] if isinstance(ox, tuple) else ox
    ot = ot[0] if isinstance(ot, tuple) else ot
    g = rng.standard_normal(tuple(ot.shape))
    ox.backward(xgrad.tensor(g))
    ot.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=tol, atol=tol)


def _errors_match(fx, ft, exact=True):
    with pytest.raises(Exception) as te:
        ft()
    with pytest.raises(Exception) as xe:
        fx()
    assert type(xe.value).__name__ == type(te.value).__name__, (xe.value, te.value)
    if exact:
        assert str(xe.value).split("\n")[0] == str(te.value).split("\n")[0].split(" (Triggered")[0]


# ---- special functions -------------------------------------------------------------------
@pytest.mark.parametrize("fn", ["lgamma", "digamma"])
def test_special_functions(fn):
    a = np.concatenate([rng.uniform(0.05, 12, 20), rng.uniform(-5, -0.05, 10), [0.5, 1, 2, 30]])
    a = a[np.abs(a - np.round(a)) > 0.02] if fn == "digamma" else a
    _same(getattr(xgrad, fn)(xgrad.tensor(a)), getattr(torch, fn)(torch.tensor(a)), 1e-9)
    _grad_same(lambda x: getattr(x, fn)(), lambda t: getattr(t, fn)(), a, 1e-7)
    x = xgrad.tensor(rng.uniform(0.3, 4, 5), requires_grad=True)
    assert gradcheck(getattr(xgrad, fn), (x,))
    assert gradgradcheck(getattr(xgrad, fn), (x,))
    # float32 only away from the poles: rounding the input to float32 there moves lgamma by
    # more than the tolerance (its slope, digamma, grows as 1 / distance to the pole)
    a = a[np.abs(a - np.round(a)) > 0.02]
    xf, tf = xgrad.tensor(a, dtype=xgrad.float32), torch.tensor(a, dtype=torch.float32)
    np.testing.assert_allclose(getattr(xf, fn)().numpy(), getattr(tf, fn)().numpy(), rtol=2e-5,
                               atol=2e-5)
    assert getattr(xgrad.tensor([1, 2, 3]), fn)().dtype is xgrad.float32


def test_lgamma_at_poles():
    v = [0.0, -1.0, -2.0]
    _same(xgrad.lgamma(xgrad.tensor(v)), torch.lgamma(torch.tensor(v)))
    _same(xgrad.digamma(xgrad.tensor([0.0])), torch.digamma(torch.tensor([0.0])))


# ---- nonzero / unique / counting -------------------------------------------------------------
@pytest.mark.parametrize("shape", [(3, 4), (5,), (2, 3, 2), (), (0, 3)])
def test_nonzero_argwhere_count_nonzero(shape):
    a = rng.integers(-1, 2, shape).astype(np.float64) if shape else np.array(2.0)
    x, t = xgrad.tensor(a), torch.tensor(a)
    _same(x.nonzero(), t.nonzero())
    _same(xgrad.nonzero(x, as_tuple=True), torch.nonzero(t, as_tuple=True))
    _same(x.argwhere(), t.argwhere())
    _same(x.count_nonzero(), t.count_nonzero())
    if len(shape) >= 2:
        _same(x.count_nonzero(1), t.count_nonzero(1))
        _same(x.count_nonzero((0, -1)), t.count_nonzero((0, -1)))
    _same(xgrad.tensor([True, False, True]).nonzero(), torch.tensor([True, False, True]).nonzero())


@pytest.mark.parametrize("a", [TIES, TIES[0], np.array([3, 1, 2, 3, 1, 1, 7]), np.zeros(0)])
def test_unique(a):
    x, t = xgrad.tensor(a), torch.tensor(a)
    for inv in (False, True):
        for cnt in (False, True):
            _same(x.unique(return_inverse=inv, return_counts=cnt),
                  torch.unique(t, return_inverse=inv, return_counts=cnt))
    _same(xgrad.unique(x, sorted=False), torch.unique(t, sorted=False))


UNIQUE_DIM = rng.integers(0, 2, (6, 3, 2)).astype(np.float64)


@pytest.mark.parametrize("a,dim", [(UNIQUE_DIM, 0), (UNIQUE_DIM, 1), (UNIQUE_DIM, -1),
                                   (TIES[:, :3].repeat(2, 0), 0), (TIES, 1),
                                   (np.array([[1, 2], [1, 2], [0, 5], [0, 3]]), 0),
                                   (np.array([True, False, True]), 0), (np.zeros((0, 3)), 0),
                                   (np.zeros((3, 0)), 1)])
def test_unique_dim(a, dim):
    """Distinct slices along ``dim`` in lexicographic order, inverse and counts per slice."""
    x, t = xgrad.tensor(a), torch.tensor(a)
    for inv in (False, True):
        for cnt in (False, True):
            _same(xgrad.unique(x, dim=dim, return_inverse=inv, return_counts=cnt),
                  torch.unique(t, dim=dim, return_inverse=inv, return_counts=cnt))
    _same(x.unique(sorted=False, dim=dim), t.unique(sorted=False, dim=dim))


def test_unique_dim_errors_match_torch():
    for a, dim in [(np.zeros((3, 0)), 0), (np.zeros((2, 2)), 2), (np.array(5.0), 0)]:
        with pytest.raises((RuntimeError, IndexError)) as want:
            torch.unique(torch.tensor(a), dim=dim)
        with pytest.raises(want.type, match=re.escape(str(want.value))):
            xgrad.unique(xgrad.tensor(a), dim=dim)


@pytest.mark.parametrize("right", [False, True])
def test_bucketize_and_searchsorted(right):
    b = np.array([-1.0, 0.0, 0.0, 0.5, 1.5])
    v = np.concatenate([rng.standard_normal(12), b]).reshape(1, 17)
    _same(xgrad.bucketize(xgrad.tensor(v), xgrad.tensor(b), right=right),
          torch.bucketize(torch.tensor(v), torch.tensor(b), right=right))
    _same(xgrad.bucketize(xgrad.tensor(v), xgrad.tensor(b), out_int32=True),
          torch.bucketize(torch.tensor(v), torch.tensor(b), out_int32=True))
    _same(xgrad.bucketize(0.0, xgrad.tensor(b), right=right),
          torch.bucketize(0.0, torch.tensor(b), right=right))
    seq = np.sort(rng.standard_normal((3, 6)), -1)
    vals = rng.standard_normal((3, 4))
    side = "right" if right else "left"
    _same(xgrad.searchsorted(xgrad.tensor(seq), xgrad.tensor(vals), side=side),
          torch.searchsorted(torch.tensor(seq), torch.tensor(vals), side=side))
    _same(xgrad.searchsorted(xgrad.tensor(seq[0]), xgrad.tensor(vals), right=right),
          torch.searchsorted(torch.tensor(seq[0]), torch.tensor(vals), right=right))
    perm = rng.permutation(6)
    unsorted = seq[0][perm]
    sorter = np.argsort(unsorted)
    _same(xgrad.searchsorted(xgrad.tensor(unsorted), xgrad.tensor(vals), right=right,
                             sorter=xgrad.tensor(sorter)),
          torch.searchsorted(torch.tensor(unsorted), torch.tensor(vals), right=right,
                             sorter=torch.tensor(sorter)))


def test_search_errors():
    _errors_match(lambda: xgrad.searchsorted(xgrad.ones(3), xgrad.ones(2), side="left", right=True),
                  lambda: torch.searchsorted(torch.ones(3), torch.ones(2), side="left", right=True))
    _errors_match(lambda: xgrad.searchsorted(xgrad.ones(2, 3), xgrad.ones(3, 3)),
                  lambda: torch.searchsorted(torch.ones(2, 3), torch.ones(3, 3)))
    _errors_match(lambda: xgrad.bucketize(xgrad.ones(2), xgrad.ones(2, 2)),
                  lambda: torch.bucketize(torch.ones(2), torch.ones(2, 2)))


def test_histc():
    a = rng.standard_normal(50)
    for args in [(), (10,), (7, -1.0, 1.0), (5, 0.5, 0.5), (4, -3.0, 3.0)]:
        _same(xgrad.tensor(a).histc(*args), torch.tensor(a).histc(*args))
    _same(xgrad.histc(xgrad.tensor([2.0, 2.0]), bins=3), torch.histc(torch.tensor([2.0, 2.0]), 3))
    _same(xgrad.histc(xgrad.tensor([]), bins=3), torch.histc(torch.tensor([]), bins=3))
    f32 = rng.standard_normal(20).astype(np.float32)
    _same(xgrad.tensor(f32).histc(4), torch.tensor(f32).histc(4))
    _errors_match(lambda: xgrad.ones(2, dtype=xgrad.int64).histc(),
                  lambda: torch.ones(2, dtype=torch.int64).histc())
    _errors_match(lambda: xgrad.ones(2).histc(0), lambda: torch.ones(2).histc(0))
    _errors_match(lambda: xgrad.ones(2).histc(3, 2.0, 1.0), lambda: torch.ones(2).histc(3, 2.0, 1.0))


def test_bincount():
    a = rng.integers(0, 6, 20)
    w = rng.standard_normal(20)
    x, t = xgrad.tensor(a), torch.tensor(a)
    _same(x.bincount(), t.bincount())
    _same(x.bincount(minlength=10), t.bincount(minlength=10))
    _same(x.bincount(xgrad.tensor(w)), t.bincount(torch.tensor(w)))
    _same(x.bincount(xgrad.tensor(w.astype(np.float32))), t.bincount(torch.tensor(w.astype(np.float32))))
    _same(x.bincount(xgrad.tensor(a)), t.bincount(torch.tensor(a)))
    _same(xgrad.tensor([], dtype=xgrad.int64).bincount(minlength=3),
          torch.tensor([], dtype=torch.int64).bincount(minlength=3))
    for bad in ([-1, 2], [[1, 2]]):
        _errors_match(lambda: xgrad.tensor(bad).bincount(), lambda: torch.tensor(bad).bincount())
    _errors_match(lambda: xgrad.tensor([1.0]).bincount(), lambda: torch.tensor([1.0]).bincount())
    _errors_match(lambda: x.bincount(minlength=-1), lambda: t.bincount(minlength=-1))
    _errors_match(lambda: x.bincount(xgrad.ones(3)), lambda: t.bincount(torch.ones(3)))


# ---- cumulative ------------------------------------------------------------------------------
@pytest.mark.parametrize("fn", ["cummax", "cummin"])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cummax_cummin(fn, dim):
    for a in (A, TIES, TIES.astype(np.int64)):
        x, t = xgrad.tensor(a), torch.tensor(a)
        _same(getattr(x, fn)(dim), getattr(t, fn)(dim))
    _grad_same(lambda x: getattr(x, fn)(dim), lambda t: getattr(t, fn)(dim), A)
    _grad_same(lambda x: getattr(x, fn)(dim), lambda t: getattr(t, fn)(dim), TIES)
    nan = np.array([1.0, np.nan, 3.0, -1.0, np.nan])
    _same(getattr(xgrad.tensor(nan), fn)(0), getattr(torch.tensor(nan), fn)(0))
    _same(getattr(xgrad.tensor(2.0), fn)(0), getattr(torch.tensor(2.0), fn)(0))
    x = xgrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda v: getattr(v, fn)(1)[0], (x,))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_logcumsumexp(dim):
    for a in (A, A * 50, np.where(A > 1, -np.inf, A)):
        _same(xgrad.tensor(a).logcumsumexp(dim), torch.tensor(a).logcumsumexp(dim), 1e-9)
    _grad_same(lambda x: x.logcumsumexp(dim), lambda t: t.logcumsumexp(dim), A * 10, 1e-8)
    x = xgrad.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(lambda v: v.logcumsumexp(dim), (x,))
    assert gradgradcheck(lambda v: v.logcumsumexp(dim), (x,))
    _errors_match(lambda: xgrad.ones(2, dtype=xgrad.int64).logcumsumexp(0),
                  lambda: torch.ones(2, dtype=torch.int64).logcumsumexp(0), exact=False)


def test_diff():
    for n, dim in [(1, -1), (2, 0), (3, 1), (0, 1), (6, -1)]:
        _same(xgrad.tensor(A).diff(n, dim), torch.tensor(A).diff(n, dim))
        _grad_same(lambda x: x.diff(n, dim), lambda t: t.diff(n, dim), A)
    p, q = rng.standard_normal((3, 5, 2)), rng.standard_normal((3, 5, 1))
    _same(xgrad.diff(xgrad.tensor(A), 2, -1, xgrad.tensor(p), xgrad.tensor(q)),
          torch.diff(torch.tensor(A), 2, -1, torch.tensor(p), torch.tensor(q)))
    b = np.array([True, True, False, True])
    _same(xgrad.tensor(b).diff(), torch.tensor(b).diff())
    _same(xgrad.tensor([1, 4, 9]).diff(), torch.tensor([1, 4, 9]).diff())
    _errors_match(lambda: xgrad.tensor(1.0).diff(), lambda: torch.tensor(1.0).diff())
    _errors_match(lambda: xgrad.ones(3).diff(-1), lambda: torch.ones(3).diff(-1))


# ---- elementwise helpers -----------------------------------------------------------------
def test_nan_to_num():
    a = np.array([np.nan, np.inf, -np.inf, 2.0, -3.0])
    for kw in ({}, {"nan": 1.5}, {"nan": 1.0, "posinf": 9.0, "neginf": -9.0}):
        for dt in (np.float64, np.float32, np.float16):
            _same(xgrad.tensor(a.astype(dt)).nan_to_num(**kw), torch.tensor(a.astype(dt)).nan_to_num(**kw))
    _grad_same(lambda x: x.nan_to_num(), lambda t: t.nan_to_num(), a)
    _same(xgrad.tensor([1, 2]).nan_to_num(), torch.tensor([1, 2]).nan_to_num())


def test_isclose_allclose():
    a = np.array([1.0, np.inf, -np.inf, np.nan, 1.0, 0.0])
    b = np.array([1.0 + 1e-6, np.inf, np.inf, np.nan, 1.1, 1e-9])
    x, y, t, u = xgrad.tensor(a), xgrad.tensor(b), torch.tensor(a), torch.tensor(b)
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.2}, {"atol": 0.0, "rtol": 0.0}):
        _same(x.isclose(y, **kw), t.isclose(u, **kw))
        assert xgrad.allclose(x, y, **kw) == torch.allclose(t, u, **kw)
        assert x[:1].allclose(y[:1], **kw) == t[:1].allclose(u[:1], **kw)
    _same(xgrad.isclose(xgrad.tensor([1, 2]), xgrad.tensor([1, 3])),
          torch.isclose(torch.tensor([1, 2]), torch.tensor([1, 3])))
    _errors_match(lambda: xgrad.isclose(xgrad.ones(2), xgrad.ones(2, dtype=xgrad.float64)),
                  lambda: torch.isclose(torch.ones(2), torch.ones(2, dtype=torch.float64)))
    _errors_match(lambda: xgrad.isclose(xgrad.ones(2), xgrad.ones(2), rtol=-1),
                  lambda: torch.isclose(torch.ones(2), torch.ones(2), rtol=-1))
    _errors_match(lambda: xgrad.isclose(xgrad.ones(2), 1.0), lambda: torch.isclose(torch.ones(2), 1.0))


# ---- order statistics --------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue_median(dim, keepdim):
    for k in (1, 2, 3):
        _same(xgrad.tensor(A).kthvalue(k, dim, keepdim), torch.tensor(A).kthvalue(k, dim, keepdim))
        _grad_same(lambda x: x.kthvalue(k, dim, keepdim), lambda t: t.kthvalue(k, dim, keepdim), A)
    _same(xgrad.tensor(A).median(dim, keepdim), torch.tensor(A).median(dim, keepdim))
    _grad_same(lambda x: x.median(dim, keepdim), lambda t: t.median(dim, keepdim), A)
    # ties: the value matches and the index points at an element equal to it
    xv, xi = xgrad.tensor(TIES).median(dim % 2, keepdim=True)
    tv, _ = torch.tensor(TIES).median(dim % 2, keepdim=True)
    _same(xv, tv)
    np.testing.assert_array_equal(np.take_along_axis(TIES, xi.numpy(), dim % 2), xv.numpy())


def test_median_global_and_errors():
    for a in (A, A[0, 0], TIES, np.array([1.0, np.nan, 2.0]), np.array(3.0), np.zeros(0)):
        _same(xgrad.tensor(a).median(), torch.tensor(a).median())
    _grad_same(lambda x: x.median(), lambda t: t.median(), A)
    nan = np.array([[1.0, np.nan, 2.0], [1.0, 3.0, 2.0]])
    _same(xgrad.tensor(nan).median(1), torch.tensor(nan).median(1))
    _errors_match(lambda: xgrad.ones(2, 0).median(1), lambda: torch.ones(2, 0).median(1))
    _errors_match(lambda: xgrad.ones(2, 3).kthvalue(4, 1), lambda: torch.ones(2, 3).kthvalue(4, 1))
    _errors_match(lambda: xgrad.ones(2, 3).kthvalue(0, 1), lambda: torch.ones(2, 3).kthvalue(0, 1))
    x = xgrad.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    assert gradcheck(lambda v: v.median(1)[0], (x,))
    assert gradcheck(lambda v: v.kthvalue(2, 0)[0], (x,))


@pytest.mark.parametrize("dim", [0, 1])
def test_mode(dim):
    _same(xgrad.tensor(TIES).mode(dim), torch.tensor(TIES).mode(dim))
    _same(xgrad.tensor(TIES).mode(dim, True), torch.tensor(TIES).mode(dim, True))
    _same(xgrad.tensor(TIES.astype(np.int64)).mode(dim), torch.tensor(TIES.astype(np.int64)).mode(dim))
    _grad_same(lambda x: x.mode(dim), lambda t: t.mode(dim), TIES)
    _same(xgrad.tensor([3.0, 1, 1, 3]).mode(), torch.tensor([3.0, 1, 1, 3]).mode())


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile(interpolation):
    for q in (0.0, 0.3, 0.5, 1.0, [0.1, 0.5, 0.875], [0.25]):
        for dim, keepdim in [(None, False), (None, True), (1, False), (-1, True), (0, False)]:
            qx = xgrad.tensor(q, dtype=xgrad.float64) if isinstance(q, list) else q
            qt = torch.tensor(q, dtype=torch.float64) if isinstance(q, list) else q
            for fn in ("quantile", "nanquantile"):
                _same(getattr(xgrad.tensor(A), fn)(qx, dim, keepdim, interpolation=interpolation),
                      getattr(torch.tensor(A), fn)(qt, dim, keepdim, interpolation=interpolation))
            _grad_same(lambda x: x.quantile(qx, dim, keepdim, interpolation=interpolation),
                       lambda t: t.quantile(qt, dim, keepdim, interpolation=interpolation), A)
    nan = np.array([[1.0, np.nan, 3.0, 2.0], [np.nan] * 4, [4.0, 1.0, 2.0, 8.0]])
    for fn in ("quantile", "nanquantile"):
        _same(getattr(xgrad.tensor(nan), fn)(0.4, 1, interpolation=interpolation),
              getattr(torch.tensor(nan), fn)(0.4, 1, interpolation=interpolation))


def test_quantile_errors_and_gradcheck():
    t, x = torch.ones(2, 3), xgrad.ones(2, 3)
    _errors_match(lambda: x.quantile(1.5), lambda: t.quantile(1.5))
    _errors_match(lambda: x.quantile(0.5, interpolation="foo"),
                  lambda: t.quantile(0.5, interpolation="foo"))
    _errors_match(lambda: x.long().quantile(0.5), lambda: t.long().quantile(0.5))
    _errors_match(lambda: x.quantile(xgrad.ones(1, 1)), lambda: t.quantile(torch.ones(1, 1)))
    _errors_match(lambda: xgrad.ones(0).quantile(0.5), lambda: torch.ones(0).quantile(0.5))
    v = xgrad.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    assert gradcheck(lambda a: a.quantile(0.3, 1), (v,))
    assert gradcheck(lambda a: a.quantile(xgrad.tensor([0.2, 0.9], dtype=xgrad.float64)), (v,))


# ---- matrix helpers ----------------------------------------------------------------------
def test_trace_diag():
    m = rng.standard_normal((3, 4))
    for k in (0, 1, -1, 3, -5):
        _same(xgrad.tensor(m).diag(k), torch.tensor(m).diag(k))
        _grad_same(lambda x: x.diag(k), lambda t: t.diag(k), m)
        v = rng.standard_normal(3)
        _same(xgrad.diag(xgrad.tensor(v), k), torch.diag(torch.tensor(v), k))
        _grad_same(lambda x: x.diag(k), lambda t: t.diag(k), v)
    _same(xgrad.tensor(m).trace(), torch.tensor(m).trace())
    _grad_same(lambda x: x.trace(), lambda t: t.trace(), m)
    _errors_match(lambda: xgrad.ones(2, 2, 2).diag(), lambda: torch.ones(2, 2, 2).diag())
    _errors_match(lambda: xgrad.ones(3).trace(), lambda: torch.ones(3).trace())


@pytest.mark.parametrize("fn", ["triu_indices", "tril_indices"])
def test_tri_indices(fn):
    for args in [(3, 4), (4, 3, 1), (4, 3, -2), (0, 3), (3, 3, 5), (3, 3, -5), (1, 1)]:
        _same(getattr(xgrad, fn)(*args), getattr(torch, fn)(*args))
    _same(getattr(xgrad, fn)(3, 3, dtype=xgrad.int32), getattr(torch, fn)(3, 3, dtype=torch.int32))
    _errors_match(lambda: getattr(xgrad, fn)(-1, 2), lambda: getattr(torch, fn)(-1, 2))


def test_kron_cross():
    for sa, sb in [((2, 3), (2, 2)), ((3,), (2, 2)), ((2, 1, 2), (3, 2)), ((2,), (3,))]:
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        _same(xgrad.kron(xgrad.tensor(a), xgrad.tensor(b)), torch.kron(torch.tensor(a), torch.tensor(b)))
        _grad_same(lambda x: x.kron(xgrad.tensor(b)), lambda t: t.kron(torch.tensor(b)), a)
    u, w = rng.standard_normal((4, 3)), rng.standard_normal((1, 3))
    for dim in (1, -1):
        _same(xgrad.tensor(u).cross(xgrad.tensor(w), dim=dim),
              torch.tensor(u).cross(torch.tensor(w), dim=dim))
        _grad_same(lambda x: x.cross(xgrad.tensor(w), dim=dim),
                   lambda t: t.cross(torch.tensor(w), dim=dim), u)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(xgrad.cross(xgrad.tensor(u.T), xgrad.tensor(w.T)),
              torch.cross(torch.tensor(u.T), torch.tensor(w.T)))
    with pytest.warns(UserWarning, match="without specifying the dim"):
        xgrad.cross(xgrad.tensor(u), xgrad.tensor(u))
    _errors_match(lambda: xgrad.ones(2, 3).cross(xgrad.ones(2, 2), dim=1),
                  lambda: torch.ones(2, 3).cross(torch.ones(2, 2), dim=1))
    _errors_match(lambda: xgrad.ones(2, 3).cross(xgrad.ones(3), dim=1),
                  lambda: torch.ones(2, 3).cross(torch.ones(3), dim=1))


@pytest.mark.parametrize("p", [0.0, 1.0, 2.0, 3.5, float("inf")])
def test_cdist(p):
    x1, x2 = rng.standard_normal((2, 5, 3)), rng.standard_normal((2, 4, 3))
    x2[0, 0] = x1[0, 0]  # a zero distance: gradient 0 there, as torch
    _same(xgrad.cdist(xgrad.tensor(x1), xgrad.tensor(x2), p),
          torch.cdist(torch.tensor(x1), torch.tensor(x2), p))
    if p:
        _grad_same(lambda x: xgrad.cdist(x, xgrad.tensor(x2), p),
                   lambda t: torch.cdist(t, torch.tensor(x2), p), x1)
    x = xgrad.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    y = xgrad.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    if p:
        assert gradcheck(lambda a, b: xgrad.cdist(a, b, p), (x, y))


def test_cdist_errors():
    _errors_match(lambda: xgrad.cdist(xgrad.ones(3), xgrad.ones(2, 3)),
                  lambda: torch.cdist(torch.ones(3), torch.ones(2, 3)))
    _errors_match(lambda: xgrad.cdist(xgrad.ones(2, 3), xgrad.ones(2, 4)),
                  lambda: torch.cdist(torch.ones(2, 3), torch.ones(2, 4)))
    _errors_match(lambda: xgrad.cdist(xgrad.ones(2, 3), xgrad.ones(2, 3), -1.0),
                  lambda: torch.cdist(torch.ones(2, 3), torch.ones(2, 3), -1.0))


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid(indexing):
    vs = [rng.standard_normal(n) for n in (3, 4, 2)]
    for k in (1, 2, 3):
        xs = xgrad.meshgrid(*[xgrad.tensor(v) for v in vs[:k]], indexing=indexing)
        ts = torch.meshgrid(*[torch.tensor(v) for v in vs[:k]], indexing=indexing)
        _same(xs, ts)
    xs = xgrad.meshgrid([xgrad.tensor(v) for v in vs[:2]], indexing=indexing)
    _same(xs, torch.meshgrid([torch.tensor(v) for v in vs[:2]], indexing=indexing))
    _grad_same(lambda x: xgrad.meshgrid(x, xgrad.tensor(vs[1]), indexing=indexing)[0],
               lambda t: torch.meshgrid(t, torch.tensor(vs[1]), indexing=indexing)[0], vs[0])


def test_meshgrid_warns_without_indexing_and_checks():
    with pytest.warns(UserWarning, match="indexing"):
        xgrad.meshgrid(xgrad.ones(2), xgrad.ones(3))
    _errors_match(lambda: xgrad.meshgrid(xgrad.ones(2), indexing="ab"),
                  lambda: torch.meshgrid(torch.ones(2), indexing="ab"))


def test_argsort_stable_matches_torch():
    for dim in (0, 1):
        for desc in (False, True):
            _same(xgrad.tensor(TIES).argsort(dim=dim, descending=desc, stable=True),
                  torch.tensor(TIES).argsort(dim=dim, descending=desc, stable=True))


@pytest.mark.parametrize("device", ["reference"])
def test_ops_run_on_the_reference_backend(device):
    x = xgrad.tensor(TIES, device=device)
    t = torch.tensor(TIES)
    _same(x.unique(return_inverse=True, return_counts=True),
          torch.unique(t, return_inverse=True, return_counts=True))
    _same(x.nonzero(), t.nonzero())
    _same(x.mode(1), t.mode(1))
    _same(x.quantile(0.3, 1), t.quantile(0.3, 1))
    _same(x.cummax(1), t.cummax(1))
    _same(xgrad.tensor(A, device=device).logcumsumexp(0), torch.tensor(A).logcumsumexp(0))
