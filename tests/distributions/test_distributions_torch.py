"""xgrad.distributions against torch.distributions on the same parameters: densities,
entropies, moments, cdf/icdf (values and gradients w.r.t. the parameters), shapes, expand,
sample statistics and argument validation."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad import distributions as D

torch = pytest.importorskip("torch")
TD = torch.distributions


@pytest.fixture(autouse=True)
def _torch_validates_arguments():
    """torch's default argument validation, as a fresh process has it: the first
    ``torch.compile`` call anywhere in the process (tests/core/test_compile.py compares error
    texts with it) turns it off for good (``TorchPatcher.patch``), which made these oracle
    comparisons fail in some test orders."""
    before = TD.Distribution._validate_args
    TD.Distribution.set_default_validate_args(True)
    yield
    TD.Distribution.set_default_validate_args(before)

rng = np.random.default_rng(0)
_POS = rng.uniform(0.5, 3.0, (2, 3))
_POS2 = rng.uniform(0.5, 3.0, (2, 3))
_REAL = rng.standard_normal((2, 3))
_PROBS = rng.uniform(0.1, 0.9, (2, 3))
_SIMPLEX = rng.uniform(0.2, 1.0, (2, 4))
_SPD = (lambda m: m @ m.T + 3 * np.eye(3))(rng.standard_normal((3, 3)))


def _pair(a):
    return (xgrad.tensor(a, dtype=xgrad.float64, requires_grad=True),
            torch.tensor(a, dtype=torch.float64, requires_grad=True))


# name -> (param arrays, builder(lib, *params), value array for log_prob)
CASES = {
    "Normal": ([_REAL, _POS], lambda m, a, b: m.Normal(a, b), rng.standard_normal((2, 3))),
    "Uniform": ([_REAL, _REAL + _POS], lambda m, a, b: m.Uniform(a, b), _REAL + 0.3 * _POS),
    "Gamma": ([_POS, _POS2], lambda m, a, b: m.Gamma(a, b), _POS2 * 0.7),
    "Beta": ([_POS, _POS2], lambda m, a, b: m.Beta(a, b), _PROBS),
    "Dirichlet": ([_SIMPLEX * 3], lambda m, a: m.Dirichlet(a),
                  _SIMPLEX / _SIMPLEX.sum(-1, keepdims=True)),
    "Bernoulli.probs": ([_PROBS], lambda m, p: m.Bernoulli(probs=p), (_PROBS > 0.5) * 1.0),
    "Bernoulli.logits": ([_REAL], lambda m, v: m.Bernoulli(logits=v), (_REAL > 0) * 1.0),
    "Categorical.probs": ([_SIMPLEX], lambda m, p: m.Categorical(probs=p), np.array([0, 3])),
    "Categorical.logits": ([_SIMPLEX], lambda m, v: m.Categorical(logits=v),
                           np.array([[1, 2], [3, 0]])),
    "OneHotCategorical": ([_SIMPLEX], lambda m, p: m.OneHotCategorical(probs=p),
                          np.eye(4)[[2, 1]]),
    "MultivariateNormal.cov": ([_REAL[0], _SPD],
                               lambda m, a, c: m.MultivariateNormal(a, covariance_matrix=c),
                               rng.standard_normal((4, 3))),
    "MultivariateNormal.tril": ([_REAL, np.linalg.cholesky(_SPD)],
                                lambda m, a, s: m.MultivariateNormal(a, scale_tril=s),
                                rng.standard_normal((2, 3))),
    "MultivariateNormal.prec": ([_REAL[0], _SPD],
                                lambda m, a, p: m.MultivariateNormal(a, precision_matrix=p),
                                rng.standard_normal((3,))),
    "Independent": ([_REAL, _POS], lambda m, a, b: m.Independent(m.Normal(a, b), 1),
                    rng.standard_normal((2, 3))),
}


def _build(name):
    arrays, build, value = CASES[name]
    pairs = [_pair(a) for a in arrays]
    xd = build(D, *[p[0] for p in pairs])
    td = build(TD, *[p[1] for p in pairs])
    return pairs, xd, td, value


def _value(a, dist):
    dt_x = xgrad.int64 if a.dtype.kind == "i" else xgrad.float64
    dt_t = torch.int64 if a.dtype.kind == "i" else torch.float64
    return xgrad.tensor(a, dtype=dt_x), torch.tensor(a, dtype=dt_t)


def _close(x, t, tol=1e-9):
    np.testing.assert_allclose(x.detach().numpy(), t.detach().numpy(), rtol=tol, atol=tol)


@pytest.mark.parametrize("name", list(CASES))
def test_log_prob_entropy_and_gradients(name):
    pairs, xd, td, value = _build(name)
    assert tuple(xd.batch_shape) == tuple(td.batch_shape)
    assert tuple(xd.event_shape) == tuple(td.event_shape)
    vx, vt = _value(value, td)
    lx, lt = xd.log_prob(vx), td.log_prob(vt)
    _close(lx, lt)
    ex, et = xd.entropy(), td.entropy()
    _close(ex, et)
    (lx.sum() + ex.sum()).backward()
    (lt.sum() + et.sum()).backward()
    for px, pt in pairs:
        np.testing.assert_allclose(px.grad.numpy(), pt.grad.numpy(), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", list(CASES))
def test_moments(name):
    _, xd, td, _ = _build(name)
    for attr in ("mean", "variance", "stddev", "mode"):
        xv, tv = getattr(xd, attr), getattr(td, attr)
        np.testing.assert_allclose(xv.detach().numpy(), tv.detach().numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=attr)


@pytest.mark.parametrize("name", ["Normal", "Uniform"])
def test_cdf_icdf(name):
    pairs, xd, td, value = _build(name)
    vx, vt = _value(value, td)
    cx, ct = xd.cdf(vx), td.cdf(vt)
    _close(cx, ct)
    q = rng.uniform(0.05, 0.95, (2, 3))
    ix, it = xd.icdf(xgrad.tensor(q, dtype=xgrad.float64)), td.icdf(torch.tensor(q))
    _close(ix, it, 1e-8)
    (cx.sum() + ix.sum()).backward()
    (ct.sum() + it.sum()).backward()
    for px, pt in pairs:
        np.testing.assert_allclose(px.grad.numpy(), pt.grad.numpy(), rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("value", [np.array([0.05, 0.3, 1.0, 2.5, 9.0, 40.0]),
                                   np.array([0.0, 1e-8, 0.7, 3.0, 6.0, 15.0])])
def test_gamma_cdf_values_and_gradients(value):
    """Gamma.cdf (both the series and the continued-fraction side of ``x = a + 1``) and its
    gradients in ``value`` and ``rate``; none in ``concentration``, as in PyTorch."""
    a = np.array([0.3, 0.9, 2.0, 3.5, 5.0, 12.0])
    (cx, ct), (rx, rt), (vx, vt) = _pair(a), _pair(np.array(1.3)), _pair(value)
    cx.requires_grad_(False)
    ct.requires_grad_(False)
    got, want = D.Gamma(cx, rx).cdf(vx), TD.Gamma(ct, rt).cdf(vt)
    _close(got, want, 1e-9)
    got.sum().backward()
    want.sum().backward()
    for x, t in ((vx, vt), (rx, rt)):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=1e-12)
    c32 = D.Gamma(xgrad.tensor([2.0]), xgrad.tensor([1.0])).cdf(xgrad.tensor([1.0]))
    assert c32.dtype is xgrad.float32


def test_gamma_cdf_errors_match_torch():
    with pytest.raises(ValueError, match="within the support"):
        TD.Gamma(2.0, 1.0).cdf(torch.tensor([-1.0]))
    with pytest.raises(ValueError, match="within the support"):
        D.Gamma(2.0, 1.0).cdf(xgrad.tensor([-1.0]))
    want = TD.Gamma(2.0, 1.0, validate_args=False).cdf(torch.tensor([-1.0, 0.0]))
    got = D.Gamma(2.0, 1.0, validate_args=False).cdf(xgrad.tensor([-1.0, 0.0]))
    np.testing.assert_array_equal(got.numpy(), want.numpy())  # nan below the support
    (cx, ct), (vx, vt) = _pair(np.array([2.0])), _pair(np.array([1.0]))
    with pytest.raises(NotImplementedError) as want_err:
        TD.Gamma(ct, 1.0).cdf(vt).sum().backward()
    with pytest.raises(NotImplementedError, match=str(want_err.value)):
        D.Gamma(cx, 1.0).cdf(vx).sum().backward()


@pytest.mark.parametrize("name", list(CASES))
def test_sample_shapes_and_expand(name):
    _, xd, td, _ = _build(name)
    for ss in [(), (5,), (2, 4)]:
        assert tuple(xd.sample(ss).shape) == tuple(td.sample(ss).shape)
    assert xd.has_rsample == td.has_rsample
    new_batch = (4,) + tuple(xd.batch_shape)
    xe, te = xd.expand(new_batch), td.expand(new_batch)
    assert tuple(xe.batch_shape) == tuple(te.batch_shape)
    assert tuple(xe.sample().shape) == tuple(te.sample().shape)
    assert type(xe) is type(xd)


@pytest.mark.parametrize("name", ["Normal", "Uniform", "MultivariateNormal.cov",
                                  "MultivariateNormal.tril", "Independent", "Gamma", "Beta",
                                  "Dirichlet"])
def test_rsample_is_differentiable(name):
    pairs, xd, _, _ = _build(name)
    xgrad.manual_seed(0)
    s = xd.rsample((3,))
    assert s.requires_grad
    s.sum().backward()
    assert all(p[0].grad is not None for p in pairs)
    xgrad.manual_seed(0)
    np.testing.assert_array_equal(xd.rsample((3,)).detach().numpy(), s.detach().numpy())
    assert not xd.sample().requires_grad


def test_rsample_gradient_closed_form():
    loc = xgrad.tensor([0.5, -1.0], dtype=xgrad.float64, requires_grad=True)
    scale = xgrad.tensor([2.0, 0.5], dtype=xgrad.float64, requires_grad=True)
    xgrad.manual_seed(3)
    s = D.Normal(loc, scale).rsample((7,))
    s.sum().backward()
    eps = (s.detach() - loc.detach()) / scale.detach()
    np.testing.assert_allclose(loc.grad.numpy(), [7.0, 7.0])
    np.testing.assert_allclose(scale.grad.numpy(), eps.sum(0).numpy(), rtol=1e-12)


def test_gamma_rsample_implicit_gradient_is_exact_per_sample():
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 30
    alpha = xgrad.tensor([0.3, 1.0, 2.5, 40.0], dtype=xgrad.float64, requires_grad=True)
    xgrad.manual_seed(4)
    x = D.Gamma(alpha, 1.0).rsample()
    x.sum().backward()
    for a, v, g in zip(alpha.tolist(), x.tolist(), alpha.grad.tolist()):
        d_cdf = mp.diff(lambda s, v=v: mp.gammainc(s, 0, v, regularized=True), a)
        pdf = mp.exp((a - 1) * mp.log(v) - v - mp.loggamma(a))
        np.testing.assert_allclose(g, float(-d_cdf / pdf), rtol=1e-6)
    # PyTorch's own approximation of the same derivative agrees to its accuracy
    ref = torch._standard_gamma_grad(torch.tensor(alpha.tolist()), torch.tensor(x.tolist()))
    np.testing.assert_allclose(alpha.grad.numpy(), ref.numpy(), rtol=2e-3)


@pytest.mark.parametrize("name", ["Gamma", "Beta", "Dirichlet"])
def test_implicit_rsample_mean_gradients(name):
    """The gradient of the sample mean estimates the gradient of the true mean."""
    xgrad.manual_seed(6)
    n = 20000
    if name == "Gamma":
        c = xgrad.tensor([0.7, 3.0], dtype=xgrad.float64, requires_grad=True)
        r = xgrad.tensor([2.0, 0.5], dtype=xgrad.float64, requires_grad=True)
        params, dist = (c, r), D.Gamma(c, r)
        exact = D.Gamma(c, r).mean
    elif name == "Beta":
        c = xgrad.tensor([0.8, 2.0], dtype=xgrad.float64, requires_grad=True)
        r = xgrad.tensor([1.5, 0.6], dtype=xgrad.float64, requires_grad=True)
        params, dist = (c, r), D.Beta(c, r)
        exact = D.Beta(c, r).mean
    else:
        c = xgrad.tensor([0.5, 1.0, 2.5], dtype=xgrad.float64, requires_grad=True)
        params, dist = (c,), D.Dirichlet(c)
        exact = D.Dirichlet(c).mean
    assert dist.has_rsample
    w = xgrad.tensor(np.arange(1.0, exact.numel() + 1), dtype=xgrad.float64).reshape(exact.shape)
    est = xgrad.autograd.grad((dist.rsample((n,)).mean(0) * w).sum(), params)
    ref = xgrad.autograd.grad((exact * w).sum(), params)
    for e, r_ in zip(est, ref):
        np.testing.assert_allclose(e.numpy(), r_.numpy(), rtol=0.05, atol=0.01)


STAT_CASES = {
    "Normal": lambda: D.Normal(xgrad.tensor([1.0, -2.0]), xgrad.tensor([0.5, 2.0])),
    "Uniform": lambda: D.Uniform(xgrad.tensor([0.0, -3.0]), xgrad.tensor([1.0, 5.0])),
    "Gamma": lambda: D.Gamma(xgrad.tensor([0.3, 1.0, 4.5]), xgrad.tensor([1.0, 2.0, 0.5])),
    "Beta": lambda: D.Beta(xgrad.tensor([0.5, 2.0]), xgrad.tensor([0.7, 5.0])),
    "Dirichlet": lambda: D.Dirichlet(xgrad.tensor([0.4, 1.0, 3.0])),
    "Bernoulli": lambda: D.Bernoulli(probs=xgrad.tensor([0.1, 0.5, 0.8])),
    "OneHotCategorical": lambda: D.OneHotCategorical(probs=xgrad.tensor([0.2, 0.3, 0.5])),
    "MultivariateNormal": lambda: D.MultivariateNormal(
        xgrad.tensor([1.0, -1.0]), covariance_matrix=xgrad.tensor([[2.0, 0.6], [0.6, 1.0]])),
}


@pytest.mark.parametrize("name", list(STAT_CASES))
def test_sample_statistics(name):
    xgrad.manual_seed(1)
    d = STAT_CASES[name]()
    n = 40000
    s = d.sample((n,)).to(xgrad.float64).numpy()
    mean, var = d.mean.numpy().astype(np.float64), d.variance.numpy().astype(np.float64)
    se = np.sqrt(var / n)
    assert np.all(np.abs(s.mean(0) - mean) < 5 * se + 1e-6), (s.mean(0), mean)
    np.testing.assert_allclose(s.var(0), var, rtol=0.05, atol=1e-4)
    support = d.support.check(xgrad.tensor(s, dtype=xgrad.float32))
    assert bool(support.all().item())


def test_categorical_sample_frequencies_and_seed():
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    d = D.Categorical(probs=xgrad.tensor(p))
    xgrad.manual_seed(5)
    s = d.sample((30000,))
    assert tuple(s.shape) == (30000, 2) and s.dtype is xgrad.int64
    freq = np.stack([(s.numpy() == k).mean(0) for k in range(3)], -1)
    np.testing.assert_allclose(freq, p, atol=0.015)
    xgrad.manual_seed(5)
    np.testing.assert_array_equal(d.sample((30000,)).numpy(), s.numpy())


def test_mvn_sample_covariance():
    cov = np.array([[2.0, 0.6, 0.0], [0.6, 1.0, -0.3], [0.0, -0.3, 0.5]])
    xgrad.manual_seed(2)
    d = D.MultivariateNormal(xgrad.zeros(3, dtype=xgrad.float64),
                             covariance_matrix=xgrad.tensor(cov))
    s = d.sample((50000,)).numpy()
    np.testing.assert_allclose(np.cov(s.T), cov, atol=0.04)
    np.testing.assert_allclose(d.covariance_matrix.numpy(), cov, atol=1e-12)
    np.testing.assert_allclose(d.precision_matrix.numpy(), np.linalg.inv(cov), atol=1e-10)
    np.testing.assert_allclose(d.scale_tril.numpy(), np.linalg.cholesky(cov), atol=1e-12)


# ---- KL divergences --------------------------------------------------------------------
KL_PAIRS = [("Normal", "Normal"), ("Uniform", "Uniform"), ("Gamma", "Gamma"), ("Beta", "Beta"),
            ("Dirichlet", "Dirichlet"), ("Bernoulli.probs", "Bernoulli.logits"),
            ("Categorical.probs", "Categorical.logits"), ("OneHotCategorical", "OneHotCategorical"),
            ("MultivariateNormal.cov", "MultivariateNormal.tril"),
            ("MultivariateNormal.tril", "MultivariateNormal.prec"),
            ("Independent", "Independent"), ("Uniform", "Normal"), ("Beta", "Normal"),
            ("Gamma", "Normal"), ("Normal", "Uniform"), ("Normal", "Gamma")]


@pytest.mark.parametrize("pq", KL_PAIRS, ids=["-".join(p) for p in KL_PAIRS])
def test_kl_divergence(pq):
    p_pairs, xp, tp, _ = _build(pq[0])
    q_pairs, xq, tq, _ = _build(pq[1])
    if pq == ("Uniform", "Uniform"):  # q must contain p for a finite value
        q_pairs = [_pair(_REAL - 1.0), _pair(_REAL + _POS + 1.0)]
        xq, tq = D.Uniform(*[p[0] for p in q_pairs]), TD.Uniform(*[p[1] for p in q_pairs])
    kx, kt = D.kl_divergence(xp, xq), TD.kl_divergence(tp, tq)
    _close(kx, kt, 1e-8)
    if np.isfinite(kt.detach().numpy()).all():
        kx.sum().backward()
        kt.sum().backward()
        for px, pt in p_pairs + q_pairs:
            if pt.grad is None:
                continue
            np.testing.assert_allclose(px.grad.numpy(), pt.grad.numpy(), rtol=1e-6, atol=1e-9)


def test_kl_uniform_into_gamma_and_beta():
    lo, hi = np.array([0.1, 0.2]), np.array([0.6, 0.9])
    a, b = np.array([1.5, 2.5]), np.array([2.0, 0.7])
    for qx, qt in ((D.Gamma, TD.Gamma), (D.Beta, TD.Beta)):
        kx = D.kl_divergence(D.Uniform(xgrad.tensor(lo), xgrad.tensor(hi)),
                             qx(xgrad.tensor(a), xgrad.tensor(b)))
        kt = TD.kl_divergence(TD.Uniform(torch.tensor(lo), torch.tensor(hi)),
                              qt(torch.tensor(a), torch.tensor(b)))
        _close(kx, kt, 1e-8)


def test_register_kl_and_missing_pair():
    class MyNormal(D.Normal):
        pass

    p, q = MyNormal(0.0, 1.0), D.Normal(1.0, 2.0)
    ref = D.kl_divergence(D.Normal(0.0, 1.0), q)
    np.testing.assert_allclose(D.kl_divergence(p, q).numpy(), ref.numpy())

    @D.register_kl(MyNormal, D.Normal)
    def _mine(p, q):
        return xgrad.tensor(42.0)

    assert D.kl_divergence(p, q).item() == 42.0
    with pytest.raises(NotImplementedError, match="No KL"):
        D.kl_divergence(D.Bernoulli(0.5), D.Normal(0.0, 1.0))
    with pytest.raises(TypeError):
        D.register_kl(int, D.Normal)


# ---- validation ------------------------------------------------------------------------
BAD = [
    (lambda m, T: m.Normal(T([0.0]), T([-1.0])), "scale"),
    (lambda m, T: m.Normal(T([float("nan")]), T([1.0])), "loc"),
    (lambda m, T: m.Uniform(T([1.0]), T([0.0])), "low"),
    (lambda m, T: m.Gamma(T([0.0]), T([1.0])), "concentration"),
    (lambda m, T: m.Beta(T([1.0]), T([-1.0])), None),
    (lambda m, T: m.Dirichlet(T([1.0, -1.0])), "concentration"),
    (lambda m, T: m.Bernoulli(probs=T([1.5])), "probs"),
    (lambda m, T: m.Categorical(probs=T([0.5, -0.5])), "probs"),
    (lambda m, T: m.MultivariateNormal(T([0.0, 0.0]), scale_tril=T([[1.0, 0.5], [0.0, 1.0]])),
     "scale_tril"),
    (lambda m, T: m.MultivariateNormal(T([0.0, 0.0]),
                                       covariance_matrix=T([[1.0, 2.0], [2.0, 1.0]])),
     "covariance_matrix"),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # invalid parameters, unvalidated
@pytest.mark.parametrize("i", range(len(BAD)))
def test_invalid_parameters_raise_like_torch(i):
    build, param = BAD[i]
    with pytest.raises(ValueError) as tx:
        build(TD, torch.tensor)
    with pytest.raises(ValueError) as xx:
        build(D, xgrad.tensor)
    t_msg, x_msg = str(tx.value), str(xx.value)
    assert t_msg.split(" of distribution")[0] == x_msg.split(" of distribution")[0]
    assert t_msg.split("to satisfy the constraint ")[1].split(",")[0] == \
        x_msg.split("to satisfy the constraint ")[1].split(",")[0]
    if param:
        assert f"Expected parameter {param} " in x_msg
    # validate_args=False skips the check
    D.Distribution.set_default_validate_args(False)
    try:
        build(D, xgrad.tensor)
    except (ValueError, RuntimeError):
        pass
    finally:
        D.Distribution.set_default_validate_args(True)


def test_constructor_errors_match_torch():
    for fn in (lambda m, T: m.Bernoulli(), lambda m, T: m.Bernoulli(T([0.5]), T([0.0])),
               lambda m, T: m.Categorical(T(0.5)), lambda m, T: m.Dirichlet(T(1.0)),
               lambda m, T: m.MultivariateNormal(T([0.0])),
               lambda m, T: m.MultivariateNormal(T(0.0), scale_tril=T([[1.0]])),
               lambda m, T: m.MultivariateNormal(T([0.0]), scale_tril=T([1.0])),
               lambda m, T: m.Independent(m.Normal(T([0.0]), T([1.0])), 2)):
        with pytest.raises(ValueError) as tx:
            fn(TD, torch.tensor)
        with pytest.raises(ValueError) as xx:
            fn(D, xgrad.tensor)
        assert str(xx.value) == str(tx.value)


def test_sample_validation_errors_match_torch():
    for dist, value in ((lambda m, T: m.Normal(T([0.0, 1.0]), T([1.0, 1.0])), [[0.0, 0.0, 0.0]]),
                        (lambda m, T: m.Bernoulli(T([0.5])), [0.5]),
                        (lambda m, T: m.Dirichlet(T([1.0, 1.0])), [0.5, 0.5, 0.0]),
                        (lambda m, T: m.Categorical(T([0.5, 0.5])), [2]),
                        (lambda m, T: m.Gamma(T([1.0]), T([1.0])), [-1.0])):
        with pytest.raises(ValueError) as tx:
            dist(TD, torch.tensor).log_prob(torch.tensor(value))
        with pytest.raises(ValueError) as xx:
            dist(D, xgrad.tensor).log_prob(xgrad.tensor(value))
        assert str(xx.value).split(" of the distribution")[0].replace("xgrad", "torch") == \
            str(tx.value).split(" of the distribution")[0]
    with pytest.raises(ValueError, match="must be a Tensor"):
        D.Normal(0.0, 1.0).log_prob(0.5)
    # validate_args=False: no support check
    assert D.Bernoulli(xgrad.tensor([0.5]), validate_args=False).log_prob(
        xgrad.tensor([0.5])).shape == (1,)


def test_repr_and_constraints_match_torch():
    assert repr(D.Normal(0.0, 1.0)) == repr(TD.Normal(0.0, 1.0))
    assert repr(D.Categorical(probs=xgrad.ones(2, 3))).replace("xgrad", "torch") == \
        repr(TD.Categorical(probs=torch.ones(2, 3)))
    for name in ("real", "positive", "unit_interval", "simplex", "boolean", "real_vector",
                 "lower_cholesky", "positive_definite", "nonnegative", "one_hot"):
        assert repr(getattr(D.constraints, name)) == repr(getattr(TD.constraints, name)), name
    d = D.Categorical(probs=xgrad.ones(4))
    assert repr(d.support) == repr(TD.Categorical(probs=torch.ones(4)).support)


def test_enumerate_support_and_perplexity():
    p = np.array([[0.2, 0.8], [0.5, 0.5]])
    for name in ("Bernoulli", "Categorical", "OneHotCategorical"):
        x = getattr(D, name)(probs=xgrad.tensor(p if name != "Bernoulli" else p[:, 0]))
        t = getattr(TD, name)(probs=torch.tensor(p if name != "Bernoulli" else p[:, 0]))
        np.testing.assert_array_equal(x.enumerate_support().numpy(), t.enumerate_support().numpy())
        np.testing.assert_array_equal(x.enumerate_support(False).numpy(),
                                      t.enumerate_support(False).numpy())
        _close(x.perplexity(), t.perplexity())
