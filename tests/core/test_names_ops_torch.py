"""addmm/addmv/baddbmm/addbmm, mv, inner, tensordot, the stacks, atleast_*d, ravel, rot90,
flipud/fliplr, tensor_split, broadcast_tensors, repeat_interleave, masked_select,
index_fill/index_copy, take, nansum/nanmean, aminmax, var_mean/std_mean and logspace against
torch: values, gradients of every tensor argument, in-place forms and error texts."""
from __future__ import annotations

import functools

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

rng = np.random.default_rng(1)


def _pair(shape, rg=True):
    a = rng.standard_normal(shape)
    return (xgrad.tensor(a, dtype=xgrad.float64, requires_grad=rg),
            torch.tensor(a, dtype=torch.float64, requires_grad=rg))


def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _check(xfn, tfn, shapes, extra=(), rtol=1e-12):
    """Run both on equal float64 inputs of ``shapes`` (plus ``extra`` plain args, each a
    (xgrad value, torch value) pair); compare every output and every input's gradient."""
    pairs = [_pair(s) for s in shapes]
    xs = [p[0] for p in pairs] + [e[0] for e in extra]
    ts = [p[1] for p in pairs] + [e[1] for e in extra]
    gots, wants = _flat(xfn(*xs)), _flat(tfn(*ts))
    assert len(gots) == len(wants)
    xloss, tloss = 0, 0
    for g, w in zip(gots, wants):
        assert tuple(g.shape) == tuple(w.shape)
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=rtol, atol=1e-14)
        if w.requires_grad and w.numel():
            wt = rng.standard_normal(tuple(w.shape))
            xloss = xloss + (g * xgrad.tensor(wt)).sum()
            tloss = tloss + (w * torch.tensor(wt)).sum()
    if isinstance(tloss, torch.Tensor):
        xloss.backward()
        tloss.backward()
    for (x, t) in pairs:
        if t.grad is None:
            assert x.grad is None or not np.any(x.grad.numpy())
        elif x.grad is None:  # an input the result ignores (beta=0): PyTorch's zero gradient
            assert not np.any(t.grad.numpy())
        else:
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-13)


def _both(fn):
    return (lambda *a: fn(xgrad, *a)), (lambda *a: fn(torch, *a))


def _i(values):
    return xgrad.tensor(values), torch.tensor(values)


def _rot90(m, a, k, dims):
    return m.rot90(a, k, dims)


PRODUCTS = [
    ("addmm", lambda m, a, b, c: m.addmm(a, b, c, beta=0.5, alpha=2.0), [(2, 3), (2, 4), (4, 3)]),
    ("addmm.bcast", lambda m, a, b, c: m.addmm(a, b, c), [(3,), (2, 4), (4, 3)]),
    ("addmm.beta0", lambda m, a, b, c: m.addmm(a, b, c, beta=0), [(2, 3), (2, 4), (4, 3)]),
    ("addmm.beta0.nan", lambda m, a, b, c: m.addmm(a.detach() * float("nan"), b, c, beta=0),
     [(2, 3), (2, 4), (4, 3)]),
    ("addmv", lambda m, a, b, c: m.addmv(a, b, c, beta=-1, alpha=0.5), [(2,), (2, 3), (3,)]),
    ("baddbmm", lambda m, a, b, c: m.baddbmm(a, b, c, beta=2), [(2, 2, 3), (2, 2, 4), (2, 4, 3)]),
    ("addbmm", lambda m, a, b, c: m.addbmm(a, b, c, alpha=3), [(2, 3), (4, 2, 5), (4, 5, 3)]),
    ("mv", lambda m, a, b: m.mv(a, b), [(3, 4), (4,)]),
    ("inner", lambda m, a, b: m.inner(a, b), [(2, 3, 4), (5, 4)]),
    ("inner.0d", lambda m, a, b: m.inner(a, b), [(), (2, 3)]),
    ("tensordot.int", lambda m, a, b: m.tensordot(a, b, 2), [(2, 3, 4), (3, 4, 5)]),
    ("tensordot.lists", lambda m, a, b: m.tensordot(a, b, ([2, 0], [0, 1])), [(2, 3, 4), (4, 2, 5)]),
    ("tensordot.0", lambda m, a, b: m.tensordot(a, b, 0), [(2, 3), (4,)]),
]
SHAPES = [
    ("hstack", lambda m, a, b: m.hstack([a, b]), [(2, 3), (2, 1)]),
    ("hstack.1d", lambda m, a, b: m.hstack((a, b)), [(3,), ()]),
    ("vstack", lambda m, a, b: m.vstack([a, b]), [(3,), (2, 3)]),
    ("row_stack", lambda m, a, b: m.row_stack([a, b]), [(3,), (3,)]),
    ("dstack", lambda m, a, b, c: m.dstack([a, b, c]), [(3,), (1, 3), (1, 3, 2)]),
    ("column_stack", lambda m, a, b, c: m.column_stack([a, b, c]), [(3,), (3, 2), (3, 1)]),
    ("atleast_1d", lambda m, a, b: m.atleast_1d(a, b), [(), (2, 3)]),
    ("atleast_2d", lambda m, a, b: m.atleast_2d([a, b]), [(), (3,)]),
    ("atleast_3d", lambda m, a, b, c, d: m.atleast_3d(a, b, c, d), [(), (3,), (2, 3), (1, 2, 3, 4)]),
    ("atleast_3d.one", lambda m, a: m.atleast_3d(a), [(2, 3)]),
    ("ravel", lambda m, a: a.mT.ravel(), [(2, 3)]),
    ("ravel.fn", lambda m, a: m.ravel(a), [(2, 3, 2)]),
    *[(f"rot90.{k}.{d}", functools.partial(_rot90, k=k, dims=d), [(2, 3, 4)])
      for k in (-3, -1, 0, 1, 2, 3, 5) for d in ([0, 1], [2, 0], [-1, -2])],
    ("flipud", lambda m, a: a.flipud(), [(3, 2)]),
    ("fliplr", lambda m, a: m.fliplr(a), [(3, 2, 2)]),
    ("tensor_split.n", lambda m, a: a.tensor_split(3, dim=1), [(2, 7)]),
    ("tensor_split.more", lambda m, a: m.tensor_split(a, 5), [(3, 2)]),
    ("tensor_split.idx", lambda m, a: a.tensor_split([1, -2, 9, 4], 0), [(6, 2)]),
    ("broadcast_tensors", lambda m, a, b, c: m.broadcast_tensors(a, b, c), [(2, 1), (3,), ()]),
    ("repeat_interleave", lambda m, a: a.repeat_interleave(2), [(2, 3)]),
    ("repeat_interleave.dim", lambda m, a: m.repeat_interleave(a, 3, dim=-1), [(2, 3)]),
    ("repeat_interleave.0", lambda m, a: a.repeat_interleave(0, 0), [(2, 3)]),
]
REDUCE = [
    ("nansum", lambda m, a: a.masked_fill(a > 0.5, float("nan")).nansum(), [(3, 4)]),
    ("nansum.dim", lambda m, a: m.nansum(a.masked_fill(a > 0.5, float("nan")), 1, keepdim=True), [(3, 4)]),
    ("nanmean", lambda m, a: a.masked_fill(a > 0.5, float("nan")).nanmean(0), [(3, 4)]),
    ("nanmean.all_nan", lambda m, a: m.nanmean(a.masked_fill(a > -9, float("nan")), (0, 1)), [(2, 2)]),
    ("aminmax", lambda m, a: a.aminmax(), [(3, 4)]),
    ("aminmax.dim", lambda m, a: m.aminmax(a, dim=-1, keepdim=True), [(3, 4)]),
    ("aminmax.keep", lambda m, a: a.aminmax(keepdim=True), [(3, 4)]),
    ("var_mean", lambda m, a: m.var_mean(a, 1), [(3, 4)]),
    ("var_mean.corr", lambda m, a: m.var_mean(a, dim=(0, 1), correction=0, keepdim=True), [(3, 4)]),
    ("std_mean", lambda m, a: m.std_mean(a), [(3, 4)]),
    ("std_mean.unbiased", lambda m, a: m.std_mean(a, 0, False), [(3, 4)]),
]


@pytest.mark.parametrize("name,fn,shapes", PRODUCTS + SHAPES + REDUCE, ids=lambda v: v
                         if isinstance(v, str) else "")
def test_values_and_gradients_match_torch(name, fn, shapes):
    _check(*_both(fn), shapes)


def test_index_ops_match_torch():
    mask = (rng.standard_normal((2, 3)) > 0)
    _check(*_both(lambda m, a, k: m.masked_select(a, k)), [(2, 3)], [_i(mask)])
    _check(*_both(lambda m, a, k: a.masked_select(k)), [(3,)], [_i(mask)])
    _check(*_both(lambda m, a, i: a.index_fill(1, i, -2.5)), [(2, 4)], [_i([3, 0, -1])])
    _check(*_both(lambda m, a, i: m.index_fill(a, 0, i, 7.0)), [(3, 2)], [_i(1)])
    _check(*_both(lambda m, a, s, i: a.index_copy(0, i, s)), [(4, 3), (2, 3)], [_i([3, 1])])
    _check(*_both(lambda m, a, s, i: m.index_copy(a, -1, i, s)), [(2, 4), (2, 3)], [_i([0, 3, 2])])
    _check(*_both(lambda m, a, i: a.take(i)), [(3, 4)], [_i([[0, 11, -1], [5, 5, -12]])])
    _check(*_both(lambda m, a, r: a.repeat_interleave(r, dim=0)), [(3, 2)], [_i([2, 0, 3])])
    _check(*_both(lambda m, a, r: m.repeat_interleave(a, r)), [(2, 2)], [_i([1, 2, 0, 1])])
    _check(*_both(lambda m, a, i: a.tensor_split(i, 1)), [(2, 6)], [_i([1, 4])])
    _check(*_both(lambda m, a, i: m.tensor_split(a, i)), [(5,)], [_i(2)])
    np.testing.assert_array_equal(xgrad.repeat_interleave(xgrad.tensor([2, 0, 1])).numpy(),
                                  torch.repeat_interleave(torch.tensor([2, 0, 1])).numpy())


def test_inplace_forms_match_torch():
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((4, 3))
    calls = [
        lambda m, x: x.addmm_(m.tensor(b), m.tensor(c), beta=0.5),
        lambda m, x: x[0].addmv_(m.tensor(c.T), m.tensor(b[0]), alpha=2),
        lambda m, x: x.unsqueeze(0).baddbmm_(m.tensor(b[None]), m.tensor(c[None])),
        lambda m, x: x.addbmm_(m.tensor(b[None]), m.tensor(c[None]), beta=0),
        lambda m, x: x.index_fill_(1, m.tensor([0, 2]), 3.0),
        lambda m, x: x.index_copy_(0, m.tensor([1]), m.tensor(a[:1] * 2)),
    ]
    for call in calls:
        xa, ta = xgrad.tensor(a), torch.tensor(a)
        call(xgrad, xa)
        call(torch, ta)
        np.testing.assert_allclose(xa.numpy(), ta.numpy(), rtol=1e-13)


def test_logspace_matches_torch():
    for args, kw in [((0, 3, 4), {}), ((-2, 2, 5), {"base": 2.0}), ((1, 1, 1), {}), ((0, 1, 0), {}),
                     ((0.5, -1.5, 7), {"base": 3, "dtype": "float64"})]:
        kx = {k: getattr(xgrad, v) if k == "dtype" else v for k, v in kw.items()}
        kt = {k: getattr(torch, v) if k == "dtype" else v for k, v in kw.items()}
        got, want = xgrad.logspace(*args, **kx), torch.logspace(*args, **kt)
        assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    assert xgrad.logspace(0, 1, 3, requires_grad=True).requires_grad


def _raises_like(call):
    with pytest.raises(Exception) as want:
        call(torch)
    with pytest.raises(type(want.value)) as got:
        call(xgrad)
    assert str(got.value).split("\n")[0] == str(want.value).split("\n")[0]


ERRORS = [
    lambda m: m.addmm(m.ones(2, 3), m.ones(3), m.ones(3, 4)),
    lambda m: m.addmm(m.ones(2, 3), m.ones(2, 3), m.ones(2, 3)),
    lambda m: m.addmm(m.ones(5), m.ones(2, 3), m.ones(3, 4)),
    lambda m: m.mv(m.ones(2, 3), m.ones(2, 3)),
    lambda m: m.mv(m.ones(2, 3), m.ones(4)),
    lambda m: m.addmv(m.ones(2), m.ones(2, 3), m.ones(4)),
    lambda m: m.bmm(m.ones(2, 2, 3), m.ones(2, 4, 5)),
    lambda m: m.baddbmm(m.ones(2, 2, 5), m.ones(2, 2, 3), m.ones(2, 4, 5)),
    lambda m: m.inner(m.ones(2, 3), m.ones(4)),
    lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), 2),
    lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), -1),
    lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), ([0], [1])),
    lambda m: m.tensordot(m.ones(2, 3), m.ones(3, 4), ([1], [0, 1])),
    lambda m: m.hstack(m.ones(2)),
    lambda m: m.hstack([]),
    lambda m: m.hstack([m.ones(2, 3), m.ones(3)]),
    lambda m: m.nanmean(m.tensor([1, 2])),
    lambda m: m.ones(2, 3).rot90(1, [0]),
    lambda m: m.ones(3).rot90(),
    lambda m: m.ones(2, 3).rot90(1, [0, 0]),
    lambda m: m.ones(2, 3).rot90(1, [0, 5]),
    lambda m: m.tensor(1.0).flipud(),
    lambda m: m.ones(3).fliplr(),
    lambda m: m.ones(2, 3).tensor_split(0),
    lambda m: m.ones(2, 3).tensor_split(m.tensor([[1]])),
    lambda m: m.tensor(1.0).tensor_split(2),
    lambda m: m.ones(2, 3).take(m.tensor([6])),
    lambda m: m.ones(2, 3).take(m.tensor([-7])),
    lambda m: m.ones(2, 3).take(m.tensor([1.0])),
    lambda m: m.ones(0).aminmax(),
    lambda m: m.ones(2, 3).aminmax(dim=5),
    lambda m: m.broadcast_tensors(m.ones(2, 3), m.ones(4)),
    lambda m: m.logspace(0, 1, -1),
    lambda m: m.ones(2, 3).masked_select(m.ones(2, 3)),
    lambda m: m.ones(2, 3).masked_select(m.ones(4, dtype=m.bool)),
    lambda m: m.ones(2, 3).index_fill(0, m.tensor([5]), 1.0),
    lambda m: m.ones(2, 3).index_fill(0, m.tensor([0.0]), 1.0),
    lambda m: m.ones(2, 3).index_fill(0, m.tensor([[0]]), 1.0),
    lambda m: m.ones(2, 3).index_copy(0, m.tensor([0]), m.ones(1, 4)),
    lambda m: m.ones(2, 3).index_copy(0, m.tensor([0, 1]), m.ones(1, 3)),
    lambda m: m.ones(2, 3).index_copy(0, m.tensor([7]), m.ones(1, 3)),
    lambda m: m.ones(2, 3).index_copy(0, m.tensor([0]), m.ones(1, 3, dtype=m.float64)),
    lambda m: m.ones(2, 3).repeat_interleave(-1),
    lambda m: m.ones(2, 3).repeat_interleave(m.tensor([1, 2]), dim=1),
    lambda m: m.ones(2, 3).repeat_interleave(m.tensor([[1]])),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    _raises_like(ERRORS[i])
