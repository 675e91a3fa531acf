"""optim.LBFGS against torch.optim.LBFGS (float64): the same iterates, losses and evaluation
counts on Rosenbrock's function and on small regressions, with and without the strong-Wolfe
line search; plus convergence to the known minimum and PyTorch's argument errors."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad import nn, optim

torch = pytest.importorskip("torch")


def _rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def _run(lib, opt_cls, params, loss_fn, steps, **kw):
    opt = opt_cls(params, **kw)
    trace = []

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    for _ in range(steps):
        loss = opt.step(closure)
        trace.append((float(loss.detach()), [p.detach().numpy().copy() for p in params]))
    state = opt.state[params[0]]
    return trace, (state["func_evals"], state["n_iter"])


def _compare(xt, tt, rtol):
    (xtrace, xcount), (ttrace, tcount) = xt, tt
    assert xcount == tcount
    for (xl, xp), (tl, tp) in zip(xtrace, ttrace):
        np.testing.assert_allclose(xl, tl, rtol=rtol, atol=1e-12)
        for a, b in zip(xp, tp):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-10)


CONFIGS = [{}, {"line_search_fn": "strong_wolfe"},
           {"lr": 0.5, "history_size": 3, "max_iter": 7},
           {"line_search_fn": "strong_wolfe", "history_size": 2, "max_eval": 9},
           {"tolerance_change": 1e-4, "tolerance_grad": 1e-3}]


@pytest.mark.parametrize("kw", CONFIGS)
def test_rosenbrock_iterates_match_torch(kw):
    x0 = np.array([-1.5, 2.0, 0.5, -0.3])
    lr_kw = {"lr": 1e-3} if "line_search_fn" not in kw and "lr" not in kw else {}
    xp = xgrad.tensor(x0, requires_grad=True)
    tp = torch.tensor(x0, requires_grad=True)
    xt = _run(xgrad, optim.LBFGS, [xp], lambda: _rosenbrock(xp), 4, **kw, **lr_kw)
    tt = _run(torch, torch.optim.LBFGS, [tp], lambda: _rosenbrock(tp), 4, **kw, **lr_kw)
    _compare(xt, tt, rtol=1e-7)


@pytest.mark.parametrize("kw", CONFIGS[:4])
def test_regression_iterates_match_torch(kw, rng):
    x = rng.standard_normal((32, 5))
    y = np.tanh(x @ rng.standard_normal((5, 1))) + 0.1 * rng.standard_normal((32, 1))
    xm, tm = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 1)).double(), \
        torch.nn.Sequential(torch.nn.Linear(5, 6), torch.nn.Tanh(), torch.nn.Linear(6, 1)).double()
    with torch.no_grad():
        for (_, xv), tv in zip(xm.named_parameters(), tm.parameters()):
            tv.copy_(torch.from_numpy(xv.detach().numpy().copy()))
    xx, xy, tx, ty = xgrad.tensor(x), xgrad.tensor(y), torch.tensor(x), torch.tensor(y)
    xparams, tparams = list(xm.parameters()), list(tm.parameters())
    xt = _run(xgrad, optim.LBFGS, xparams, lambda: ((xm(xx) - xy) ** 2).mean(), 3, **kw)
    tt = _run(torch, torch.optim.LBFGS, tparams, lambda: ((tm(tx) - ty) ** 2).mean(), 3, **kw)
    _compare(xt, tt, rtol=1e-6)
    assert xt[0][-1][0] < 0.5 * xt[0][0][0]


def test_strong_wolfe_solves_rosenbrock_and_least_squares(rng):
    x = xgrad.tensor([-1.2, 1.0], dtype=xgrad.float64, requires_grad=True)
    opt = optim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=100, tolerance_grad=1e-10,
                      tolerance_change=1e-14)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(x)
        loss.backward()
        return loss

    for _ in range(3):
        opt.step(closure)
    np.testing.assert_allclose(x.detach().numpy(), [1.0, 1.0], atol=1e-5)
    # linear least squares: the closed-form solution of the normal equations
    a, b = rng.standard_normal((20, 4)), rng.standard_normal(20)
    w = xgrad.zeros(4, dtype=xgrad.float64, requires_grad=True)
    at, bt = xgrad.tensor(a), xgrad.tensor(b)
    opt = optim.LBFGS([w], line_search_fn="strong_wolfe", tolerance_grad=1e-12,
                      tolerance_change=1e-15)

    def ls_closure():
        opt.zero_grad()
        loss = ((at @ w - bt) ** 2).sum()
        loss.backward()
        return loss

    opt.step(ls_closure)
    np.testing.assert_allclose(w.detach().numpy(), np.linalg.lstsq(a, b, rcond=None)[0],
                               rtol=1e-6, atol=1e-8)


def test_errors_match_torch():
    p = xgrad.zeros(2, requires_grad=True)
    tp = torch.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="only 'strong_wolfe' is supported"):
        optim.LBFGS([p], line_search_fn="backtracking")
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.LBFGS([p], lr=-1)
    q = xgrad.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options"):
        optim.LBFGS([{"params": [p]}, {"params": [q]}])
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options"):
        torch.optim.LBFGS([{"params": [tp]}, {"params": [torch.zeros(1, requires_grad=True)]}])
    opt = optim.LBFGS([p])
    assert opt.defaults["max_eval"] == 25 == torch.optim.LBFGS([tp]).defaults["max_eval"]
    with pytest.raises(RuntimeError, match="LBFGS requires a closure"):
        opt.step(None)
