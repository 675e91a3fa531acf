"""xgrad.func against torch.func: functional_call, grad / grad_and_value (composed), vjp,
jvp, jacrev / jacfwd, hessian and vmap, including per-sample gradients."""
import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(0)
W, X, T = RNG.standard_normal((3, 4)), RNG.standard_normal((5, 4)), RNG.standard_normal((5, 3))


def _np(v):
    if isinstance(v, (tuple, list)):
        return tuple(_np(e) for e in v)
    if isinstance(v, dict):
        return {k: _np(e) for k, e in v.items()}
    return v.detach().numpy()


def _close(a, b):
    if isinstance(a, tuple):
        for x, y in zip(a, b, strict=True):
            _close(x, y)
    elif isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _close(a[k], b[k])
    else:
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


def _both(build):
    return [_np(build(fw)) for fw in (xgrad, torch)]


def _model(fw):
    m = fw.nn.Linear(4, 3).double()
    with fw.no_grad():
        m.weight.copy_(fw.tensor(W))
        m.bias.fill_(0.25)
    return m


def test_functional_call_uses_the_given_tensors_and_restores():
    def build(fw):
        m = _model(fw)
        params = {"weight": fw.tensor(W * 2), "bias": fw.zeros(3, dtype=fw.float64)}
        out = fw.func.functional_call(m, params, (fw.tensor(X),))
        assert np.allclose(m.weight.detach().numpy(), W)  # the module's own are back
        return out

    _close(*_both(build))


def test_per_sample_gradients_with_vmap_grad_functional_call():
    def build(fw):
        m = _model(fw)
        params = {k: v.detach() for k, v in m.named_parameters()}

        def loss(p, x, t):
            out = fw.func.functional_call(m, p, (x.unsqueeze(0),))
            return ((out.squeeze(0) - t) ** 2).sum()

        return fw.func.vmap(fw.func.grad(loss), in_dims=(None, 0, 0))(params, fw.tensor(X),
                                                                       fw.tensor(T))

    _close(*_both(build))


@pytest.mark.parametrize("name", ["grad_argnums", "grad_of_grad", "grad_and_value_aux", "vjp",
                                  "jvp", "jacrev", "jacfwd_argnums", "hessian",
                                  "vmap_out_dims", "vmap_tuple"])
def test_transforms_match(name):
    def f(x, y):
        return (x.sin() * (y ** 2)).sum()

    builds = {
        "grad_argnums": lambda fw: fw.func.grad(f, argnums=(0, 1))(fw.tensor(X[0]),
                                                                     fw.tensor(X[1])),
        "grad_of_grad": lambda fw: fw.func.grad(lambda x: fw.func.grad(
            lambda z: (z ** 3).sin())(x))(fw.tensor(0.7, dtype=fw.float64)),
        "grad_and_value_aux": lambda fw: fw.func.grad_and_value(
            lambda x: ((x ** 2).sum(), x.mean()), has_aux=True)(fw.tensor(X[0])),
        "vjp": lambda fw: fw.func.vjp(lambda x: x.tanh() * 3, fw.tensor(X[0]))[1](
            fw.tensor(X[1])),
        "jvp": lambda fw: fw.func.jvp(lambda x, y: x * y.exp(), (fw.tensor(X[0]), fw.tensor(X[1])),
                                      (fw.tensor(X[2]), fw.tensor(X[3]))),
        "jacrev": lambda fw: fw.func.jacrev(lambda x: x.sin().cumsum(0))(fw.tensor(X[0])),
        "jacfwd_argnums": lambda fw: fw.func.jacfwd(lambda x, y: x * y, argnums=1)(
            fw.tensor(X[0]), fw.tensor(X[1])),
        "hessian": lambda fw: fw.func.hessian(f)(fw.tensor(X[0]), fw.tensor(X[1])),
        "vmap_out_dims": lambda fw: fw.func.vmap(lambda x: x.cumsum(0), out_dims=1)(fw.tensor(X)),
        "vmap_tuple": lambda fw: fw.func.vmap(lambda x, w: (x @ w, x.sum()), in_dims=(0, None))(
            fw.tensor(X), fw.tensor(W.T)),
    }
    _close(*_both(builds[name]))


def test_errors():
    with pytest.raises(RuntimeError, match="Expected f\\(\\*args\\) to return a scalar Tensor"):
        xgrad.func.grad(lambda x: x * 2)(xgrad.ones(3))
    with pytest.raises(ValueError, match="same size in the mapped dimension"):
        xgrad.func.vmap(lambda a, b: a + b)(xgrad.ones(2), xgrad.ones(3))
    with pytest.raises(RuntimeError, match="Missing key"):
        xgrad.func.functional_call(xgrad.nn.Linear(2, 2), {"weight": xgrad.ones(2, 2)},
                                   (xgrad.ones(1, 2),), strict=True)
