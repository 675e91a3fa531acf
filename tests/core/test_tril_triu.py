"""tril/triu (+ in-place forms): values, gradients and errors against torch; gradcheck."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("fn", ["tril", "triu"])
@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (2, 3, 3), (0, 2), (1, 1)])
@pytest.mark.parametrize("diagonal", [0, 1, -1, 5, -5])
@pytest.mark.parametrize("device", ["cpu", "reference"])
def test_values_and_grads_match_torch(fn, shape, diagonal, device):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape)
    g = rng.standard_normal(shape)
    x = xgrad.tensor(a, requires_grad=True, device=device)
    t = torch.tensor(a, requires_grad=True)
    xo, to = getattr(xgrad, fn)(x, diagonal), getattr(torch, fn)(t, diagonal)
    np.testing.assert_array_equal(xo.detach().numpy(), to.detach().numpy())
    xo.backward(xgrad.tensor(g, device=device))
    to.backward(torch.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    np.testing.assert_array_equal(getattr(x, fn)(diagonal=diagonal).detach().numpy(),
                                  to.detach().numpy())


@pytest.mark.parametrize("fn", ["tril", "triu"])
def test_inplace_and_dtypes(fn):
    for dt, tdt in ((xgrad.int64, torch.int64), (xgrad.bool, torch.bool), (xgrad.float16, torch.float16)):
        a = np.arange(12).reshape(3, 4) % 3
        x = xgrad.tensor(a).to(dt)
        t = torch.tensor(a).to(tdt)
        out = getattr(x, fn + "_")(1)
        assert out is x and x.dtype is dt
        getattr(t, fn + "_")(1)
        np.testing.assert_array_equal(x.numpy(), t.numpy())


@pytest.mark.parametrize("fn", ["tril", "triu"])
def test_gradcheck_and_gradgrad(fn):
    x = xgrad.tensor(np.random.default_rng(1).standard_normal((2, 3, 4)), dtype=xgrad.float64,
                     requires_grad=True)
    assert xgrad.autograd.gradcheck(lambda a: getattr(xgrad, fn)(a, -1) * a, (x,))
    assert xgrad.autograd.gradgradcheck(lambda a: getattr(xgrad, fn)(a * a, 1), (x,))


@pytest.mark.parametrize("fn", ["tril", "triu"])
def test_errors_match_torch(fn):
    for lib in (torch, xgrad):
        with pytest.raises(RuntimeError) as e:
            getattr(lib, fn)(lib.tensor([1.0, 2.0]))
        assert str(e.value) == f"{fn}: input tensor must have at least 2 dimensions"
        with pytest.raises(TypeError):
            getattr(lib, fn)(lib.ones(2, 2), 1.5)
