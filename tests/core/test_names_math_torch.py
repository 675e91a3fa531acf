"""asinh/acosh/atanh, erfc/erfinv, logit, xlogy, hypot, logaddexp/logaddexp2, fmax/fmin,
lerp, addcmul/addcdiv against torch in float64: values over the whole domain (tails, signed
zeros, infinities, NaN), gradients, dtypes, in-place forms and errors."""
from __future__ import annotations

import functools

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy on inf and NaN

rng = np.random.default_rng(0)
SPECIAL = [0.0, -0.0, np.inf, -np.inf, np.nan]
UNARY = {
    "asinh": np.concatenate([rng.uniform(-5, 5, 30), [1e-300, -1e-10, 0.999, 1.0, 1e200, -1e300]]),
    "acosh": np.concatenate([rng.uniform(1, 50, 30), [1.0, 1 + 1e-12, 2.0, 1e300, 0.5, -2.0]]),
    "atanh": np.concatenate([rng.uniform(-1, 1, 30), [1e-300, 1.0, -1.0, 1 - 1e-15, -1 + 1e-15,
                                                      1.5]]),
    "erfc": np.concatenate([rng.uniform(-6, 27, 60), [1.99, 2.0, 2.01, 26.5, 27.5]]),
    "erfinv": np.concatenate([rng.uniform(-1, 1, 60), 1 - np.logspace(-16, -1, 12),
                              -1 + np.logspace(-16, -1, 12), [1e-300, 1.0, -1.0, 1.5]]),
    "logit": np.concatenate([rng.uniform(0, 1, 30), [1e-300, 1.0, 2.0, -1.0]]),
}
# erfc: 1 - erf(x) just below the switch to the continued fraction at 2 keeps ~1e-14
RTOL = {"erfc": 2e-14}


def _t(a, rg=False):
    return (xgrad.tensor(a, dtype=xgrad.float64, requires_grad=rg),
            torch.tensor(a, dtype=torch.float64, requires_grad=rg))


def _same(x, t, rtol=1e-14):
    xa, ta = x.detach().numpy(), t.detach().numpy()
    assert xa.shape == ta.shape
    assert str(x.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    tiny = np.finfo(xa.dtype).tiny if xa.dtype.kind == "f" else 0  # subnormals: absolute
    np.testing.assert_allclose(xa, ta, rtol=rtol, atol=tiny)
    np.testing.assert_array_equal(np.signbit(xa[ta == 0]), np.signbit(ta[ta == 0]))


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_values_and_gradients_match_torch(name):
    a = np.concatenate([UNARY[name], SPECIAL])
    x, t = _t(a, True)
    got, want = getattr(x, name)(), getattr(t, name)()
    _same(got, want, RTOL.get(name, 1e-14))
    _same(getattr(xgrad, name)(x), getattr(torch, name)(t), RTOL.get(name, 1e-14))
    w = want.detach().numpy()
    # torch's asinh gradient 1/sqrt(1 + x^2) overflows to 0 beyond 1e154; xgrad's does not
    ok = np.isfinite(w) & (np.abs(a) < 1e150)
    weights = np.where(ok, rng.standard_normal(a.shape), 0.0)
    (got * xgrad.tensor(weights)).sum().backward()
    (want * torch.tensor(weights)).sum().backward()
    gx, gt = x.grad.numpy()[ok], t.grad.numpy()[ok]
    np.testing.assert_allclose(gx, gt, rtol=1e-11, atol=1e-300)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float32_integer_and_inplace_match_torch(name):
    f = UNARY[name][:20].astype(np.float32)
    _same(getattr(xgrad.tensor(f), name)(), getattr(torch.tensor(f), name)(), rtol=5e-6)
    i = np.array([0, 1, 2, -1, 3])
    _same(getattr(xgrad.tensor(i), name)(), getattr(torch.tensor(i), name)(), rtol=5e-6)
    x, t = xgrad.tensor(UNARY[name][:8]), torch.tensor(UNARY[name][:8])
    assert getattr(x, name + "_")() is x
    getattr(t, name + "_")()
    _same(x, t)


def test_unary_aliases_and_float16():
    for alias, name in (("arcsinh", "asinh"), ("arccosh", "acosh"), ("arctanh", "atanh")):
        a = UNARY[name][:10]
        _same(getattr(xgrad, alias)(xgrad.tensor(a)), getattr(torch, name)(torch.tensor(a)))
        _same(getattr(xgrad.tensor(a), alias)(), getattr(torch.tensor(a), name)())
    for name in ("erfc", "erfinv"):
        h = UNARY[name][:20].astype(np.float16)
        _same(getattr(xgrad.tensor(h), name)(), getattr(torch.tensor(h), name)(), rtol=2e-3)


def test_logit_eps_clamps_and_zeroes_the_gradient():
    a = np.array([0.0, 1e-9, 0.3, 0.5, 0.9999999, 1.0])
    x, t = _t(a, True)
    got, want = x.logit(eps=1e-6), t.logit(eps=1e-6)
    _same(got, want)
    got.sum().backward()
    want.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


BINARY = {
    "hypot": (rng.uniform(-3, 3, 40), rng.uniform(-3, 3, 40)),
    "logaddexp": (rng.uniform(-50, 50, 40), rng.uniform(-50, 50, 40)),
    "logaddexp2": (rng.uniform(-50, 50, 40), rng.uniform(-50, 50, 40)),
    "fmax": (rng.uniform(-3, 3, 40), rng.uniform(-3, 3, 40)),
    "fmin": (rng.uniform(-3, 3, 40), rng.uniform(-3, 3, 40)),
    "xlogy": (rng.uniform(-3, 3, 40), rng.uniform(0.01, 5, 40)),
}
EDGES = [(0.0, 0.0), (np.inf, np.inf), (-np.inf, -np.inf), (np.inf, -np.inf), (np.nan, 1.0),
         (1.0, np.nan), (np.nan, np.nan), (1e300, 1e300), (-1e300, 3.0), (0.0, -1.0), (2.0, 0.0),
         (1.5, 1.5), (np.inf, np.nan), (0.0, np.nan)]


@pytest.mark.parametrize("name", sorted(BINARY))
def test_binary_values_and_gradients_match_torch(name):
    a, b = BINARY[name]
    ea, eb = (np.array(v) for v in zip(*EDGES))
    a, b = np.concatenate([a, ea]), np.concatenate([b, eb])
    (xa, ta), (xb, tb) = _t(a, True), _t(b, True)
    got, want = getattr(xgrad, name)(xa, xb), getattr(torch, name)(ta, tb)
    _same(got, want)
    _same(getattr(xa, name)(xb), getattr(ta, name)(tb))
    n = len(BINARY[name][0])
    weights = np.zeros(a.shape)
    weights[:n] = rng.standard_normal(n)
    (got * xgrad.tensor(weights)).sum().backward()
    (want * torch.tensor(weights)).sum().backward()
    # gradients away from the edge points (where 0 * inf makes either library's NaN)
    np.testing.assert_allclose(xa.grad.numpy()[:n], ta.grad.numpy()[:n], rtol=1e-12)
    np.testing.assert_allclose(xb.grad.numpy()[:n], tb.grad.numpy()[:n], rtol=1e-12)


def test_ties_gradients_match_torch():
    a = np.array([1.0, -2.0, 0.5])
    for name in ("fmax", "fmin", "logaddexp", "hypot"):
        (xa, ta), (xb, tb) = _t(a, True), _t(a.copy(), True)
        getattr(xgrad, name)(xa, xb).sum().backward()
        getattr(torch, name)(ta, tb).sum().backward()
        np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy(), rtol=1e-14, err_msg=name)
        np.testing.assert_allclose(xb.grad.numpy(), tb.grad.numpy(), rtol=1e-14, err_msg=name)


def test_xlogy_with_a_number_and_inplace_match_torch():
    y = np.array([0.0, 0.5, 2.0, -1.0, np.nan, np.inf])
    x = np.array([0.0, 0.0, 3.0, 0.0, 0.0, 2.0])
    for sx in (0.0, 2.0, -1.5):
        _same(xgrad.xlogy(sx, xgrad.tensor(y)), torch.xlogy(sx, torch.tensor(y)))
    for sy in (0.0, 2.0, -1.0, float("nan")):
        _same(xgrad.xlogy(xgrad.tensor(x), sy), torch.xlogy(torch.tensor(x), sy))
        _same(xgrad.tensor(x).xlogy(sy), torch.tensor(x).xlogy(sy))
    _same(xgrad.xlogy(xgrad.tensor([0, 2, 3]), xgrad.tensor([0, 4, 5])),
          torch.xlogy(torch.tensor([0, 2, 3]), torch.tensor([0, 4, 5])))
    xx, tt = xgrad.tensor(x), torch.tensor(x)
    assert xx.xlogy_(xgrad.tensor(np.abs(y) + 1)) is xx
    tt.xlogy_(torch.tensor(np.abs(y) + 1))
    _same(xx, tt)


def test_lerp_matches_torch():
    s, e = rng.standard_normal((2, 3)), rng.standard_normal(3)
    w = np.array([[0.0, 0.3, 1.0], [0.5, -0.7, 1.7]])
    (xs, ts), (xe, te), (xw, tw) = _t(s, True), _t(e, True), _t(w, True)
    got, want = xgrad.lerp(xs, xe, xw), torch.lerp(ts, te, tw)
    _same(got, want)
    g = rng.standard_normal(want.shape)
    (got * xgrad.tensor(g)).sum().backward()
    (want * torch.tensor(g)).sum().backward()
    for x, t in ((xs, ts), (xe, te), (xw, tw)):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-13)
    for wn in (0.0, 0.25, 0.5, 1.0, 1.5, -2.0):
        _same(xgrad.tensor(s).lerp(xgrad.tensor(e), wn), torch.tensor(s).lerp(torch.tensor(e), wn))
    xs2, ts2 = xgrad.tensor(s), torch.tensor(s)
    assert xs2.lerp_(xgrad.tensor(e), 0.75) is xs2
    ts2.lerp_(torch.tensor(e), 0.75)
    _same(xs2, ts2)


def test_addcmul_addcdiv_match_torch_and_adam_style_inplace():
    a, b, c = rng.standard_normal((3, 2, 3))
    c = np.abs(c) + 0.5
    for name in ("addcmul", "addcdiv"):
        for value in (1, 0.5, -2.0):
            (xa, ta), (xb, tb), (xc, tc) = _t(a, True), _t(b, True), _t(c[0], True)
            got = getattr(xgrad, name)(xa, xb, xc, value=value)
            want = getattr(torch, name)(ta, tb, tc, value=value)
            _same(got, want)
            got.sum().backward()
            want.sum().backward()
            for x, t in ((xa, ta), (xb, tb), (xc, tc)):
                np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-13)
        xa, ta = xgrad.tensor(a), torch.tensor(a)
        assert getattr(xa, name + "_")(xgrad.tensor(b), xgrad.tensor(c), value=-0.1) is xa
        getattr(ta, name + "_")(torch.tensor(b), torch.tensor(c), value=-0.1)
        _same(xa, ta)


def _raises_like(xcall, tcall):
    with pytest.raises(Exception) as want:
        tcall()
    with pytest.raises(type(want.value)) as got:
        xcall()
    assert str(got.value).split("\n")[0] == str(want.value).split("\n")[0]


def test_errors_match_torch():
    f, d = np.ones(3, np.float32), np.ones(3)
    i = np.array([1, 2, 3])
    cases = [
        ("lerp", lambda m: m.lerp(m.tensor(f), m.tensor(d), 0.5)),
        ("lerp", lambda m: m.lerp(m.tensor(f), m.tensor(f), m.tensor(d))),
        ("lerp", lambda m: m.lerp(m.tensor(i), m.tensor(i), 0.5)),
        ("addcdiv", lambda m: m.addcdiv(m.tensor(i), m.tensor(i), m.tensor(i))),
        ("hypot", lambda m: m.hypot(m.tensor(f), 1.0)),
        ("hypot", lambda m: m.hypot(m.tensor(i), m.tensor(i))),
        ("logaddexp", lambda m: m.logaddexp(m.tensor(i), m.tensor(i))),
        ("fmax", lambda m: m.fmax(m.tensor(f), 1.0)),
        ("logaddexp", lambda m: m.logaddexp(m.tensor(f), 1.0)),
    ]
    for _, call in cases:
        _raises_like(functools.partial(call, xgrad), functools.partial(call, torch))
    with pytest.raises(TypeError, match="xlogy"):
        xgrad.xlogy(2, 3)
