"""xgrad.autograd.functional against torch.autograd.functional: vjp, jvp, jacobian, hessian,
vhp and hvp on single and tuple inputs/outputs, create_graph and strict mode."""
import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(0)
X, Y = RNG.standard_normal((3,)), RNG.standard_normal((2, 3))
V3, V2 = RNG.standard_normal((3,)), RNG.standard_normal((2,))


def f_single(x):
    return (x.sin() * x ** 2).cumsum(0)


def f_pair(x, y):
    return (y @ x).tanh(), (x * y).sum(1).exp()


def f_scalar(x, y):
    return ((y @ x) ** 3).sum() + (x.exp() * x).sum()


def _np(v):
    if isinstance(v, tuple):
        return tuple(_np(e) for e in v)
    return v.detach().numpy()


def _close(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y)
    else:
        np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)


def _both(call):
    return [_np(call(fw, fw.autograd.functional, fw.tensor)) for fw in (xgrad, torch)]


@pytest.mark.parametrize("name", ["vjp_single", "vjp_pair", "jvp_single", "jvp_pair",
                                  "jac_single", "jac_pair", "hessian_single", "hessian_pair",
                                  "vhp", "hvp", "vjp_scalar_default_v"])
def test_matches_torch(name):
    calls = {
        "vjp_single": lambda fw, F, t: F.vjp(f_single, t(X), t(V3)),
        "vjp_pair": lambda fw, F, t: F.vjp(f_pair, (t(X), t(Y)), (t(V2), t(V2))),
        "jvp_single": lambda fw, F, t: F.jvp(f_single, t(X), t(V3)),
        "jvp_pair": lambda fw, F, t: F.jvp(f_pair, (t(X), t(Y)), (t(V3), t(Y * 0.5))),
        "jac_single": lambda fw, F, t: F.jacobian(f_single, t(X)),
        "jac_pair": lambda fw, F, t: F.jacobian(f_pair, (t(X), t(Y))),
        "hessian_single": lambda fw, F, t: F.hessian(lambda x: (x.sin() * x ** 3).sum(), t(X)),
        "hessian_pair": lambda fw, F, t: F.hessian(f_scalar, (t(X), t(Y))),
        "vhp": lambda fw, F, t: F.vhp(f_scalar, (t(X), t(Y)), (t(V3), t(Y))),
        "hvp": lambda fw, F, t: F.hvp(f_scalar, (t(X), t(Y)), (t(V3), t(Y))),
        "vjp_scalar_default_v": lambda fw, F, t: F.vjp(lambda x: (x ** 2).sum(), t(X)),
    }
    ours, theirs = _both(calls[name])
    _close(ours, theirs)


def test_create_graph_allows_higher_order():
    x = xgrad.tensor(X, requires_grad=True)
    _, g = xgrad.autograd.functional.vjp(lambda a: (a ** 3).sum(), x, create_graph=True)
    (g.sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), 6 * X, rtol=1e-12)


def test_strict_and_errors():
    F = xgrad.autograd.functional
    with pytest.raises(RuntimeError, match="independent of input 1"):
        F.vjp(lambda a, b: a * 2, (xgrad.tensor(X), xgrad.tensor(X)), xgrad.tensor(V3),
              strict=True)
    _, (ga, gb) = F.vjp(lambda a, b: a * 2, (xgrad.tensor(X), xgrad.tensor(X)), xgrad.tensor(V3))
    assert gb.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(RuntimeError, match="can only be None"):
        F.vjp(f_single, xgrad.tensor(X))
    with pytest.raises(ValueError, match="forward-mode"):
        F.jacobian(f_single, xgrad.tensor(X), strategy="sideways")
    with pytest.raises(TypeError, match="must be either a Tensor or a tuple of Tensors"):
        F.jacobian(f_single, (xgrad.tensor(X), 3.0))
