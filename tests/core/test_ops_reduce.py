"""Reductions on both backends: dim / keepdim / tuples / negative dims, values and gradients."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.autograd import gradcheck


def _t(arr, backend, rg=False):
    return xgrad.tensor(np.asarray(arr), dtype=xgrad.float64, device=backend, requires_grad=rg)


def _lse(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else (np.squeeze(out, axis=axis) if axis is not None else out.reshape(()))


# name, xgrad(x, dim, keepdim), numpy(a, axis, keepdims)
RED = [
    ("sum", lambda x, d, k: x.sum(d, keepdim=k), lambda a, d, k: a.sum(d, keepdims=k)),
    ("mean", lambda x, d, k: x.mean(d, keepdim=k), lambda a, d, k: a.mean(d, keepdims=k)),
    ("prod", lambda x, d, k: x.prod(d, keepdim=k), lambda a, d, k: a.prod(d, keepdims=k)),
    ("var", lambda x, d, k: x.var(d, keepdim=k), lambda a, d, k: a.var(d, ddof=1, keepdims=k)),
    ("var_biased", lambda x, d, k: x.var(d, unbiased=False, keepdim=k),
     lambda a, d, k: a.var(d, keepdims=k)),
    ("std", lambda x, d, k: x.std(d, keepdim=k), lambda a, d, k: a.std(d, ddof=1, keepdims=k)),
    ("amax", lambda x, d, k: x.amax(d, keepdim=k), lambda a, d, k: a.max(d, keepdims=k)),
    ("amin", lambda x, d, k: x.amin(d, keepdim=k), lambda a, d, k: a.min(d, keepdims=k)),
    ("logsumexp", lambda x, d, k: x.logsumexp(d, keepdim=k), _lse),
    ("norm", lambda x, d, k: x.norm(dim=d, keepdim=k),
     lambda a, d, k: np.sqrt((a * a).sum(d, keepdims=k))),
]
DIMS = [1, -1, (0, 2), (-1, 0), 0]


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("dim", DIMS, ids=str)
@pytest.mark.parametrize("name,fn,ref", RED, ids=[r[0] for r in RED])
def test_reduction_dims(backend, rng, name, fn, ref, dim, keepdim):
    a = rng.uniform(0.5, 2.0, size=(2, 3, 2)) * rng.choice([-1, 1], size=(2, 3, 2))
    x = _t(a, backend, True)
    out = fn(x, dim, keepdim)
    expect = ref(a, dim, keepdim)
    assert tuple(out.shape) == expect.shape
    np.testing.assert_allclose(out.numpy(), expect, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda t: fn(t, dim, keepdim), (x,))


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "var", "std", "amax", "amin", "logsumexp",
                                  "norm", "max", "min"])
def test_full_reduction(backend, rng, name):
    a = rng.uniform(0.5, 1.5, size=(2, 3))
    x = _t(a, backend, True)
    fn = getattr(xgrad, name)
    out = fn(x)
    expect = {"var": a.var(ddof=1), "std": a.std(ddof=1), "amax": a.max(), "amin": a.min(),
              "logsumexp": np.log(np.exp(a).sum()), "norm": np.sqrt((a * a).sum())}.get(
        name, getattr(np, name, None) and getattr(np, name)(a))
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), expect, rtol=1e-12)
    assert gradcheck(fn, (x,))


@pytest.mark.parametrize("dim", [0, 1, -1])
@pytest.mark.parametrize("keepdim", [False, True])
def test_max_min_with_dim_return_values_and_indices(backend, rng, dim, keepdim):
    a = rng.permutation(12).reshape(3, 4).astype(np.float64)
    x = _t(a, backend, True)
    for name, npv, npi in (("max", np.max, np.argmax), ("min", np.min, np.argmin)):
        res = getattr(x, name)(dim, keepdim=keepdim)
        values, indices = res
        assert res.values is values and res.indices is indices
        np.testing.assert_array_equal(values.numpy(), npv(a, dim, keepdims=keepdim))
        assert indices.dtype is xgrad.int64
        np.testing.assert_array_equal(indices.numpy(), npi(a, dim, keepdims=keepdim))
        assert gradcheck(lambda t, n=name: getattr(t, n)(dim, keepdim=keepdim)[0], (x,))


def test_argmax_argmin(backend, rng):
    a = rng.permutation(24).reshape(2, 3, 4).astype(np.float64)
    x = _t(a, backend)
    assert x.argmax().item() == a.argmax()
    assert x.argmin().item() == a.argmin()
    for d in (0, 1, -1):
        np.testing.assert_array_equal(x.argmax(d).numpy(), a.argmax(d))
        np.testing.assert_array_equal(x.argmin(dim=d, keepdim=True).numpy(),
                                      a.argmin(d, keepdims=True))
    assert x.argmax(1).dtype is xgrad.int64


def test_max_ties_split_gradient_like_pytorch_amax(backend):
    x = _t([1.0, 3.0, 3.0], backend, True)
    x.amax().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.0, 0.5, 0.5])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum(backend, rng, dim):
    a = rng.normal(size=(2, 3))
    x = _t(a, backend, True)
    np.testing.assert_allclose(x.cumsum(dim).numpy(), np.cumsum(a, dim), rtol=1e-12)
    np.testing.assert_allclose(xgrad.cumsum(x, dim=dim).numpy(), np.cumsum(a, dim), rtol=1e-12)
    assert gradcheck(lambda t: t.cumsum(dim), (x,))


def test_integer_reductions(backend):
    x = xgrad.tensor([[1, 2, 3], [4, 5, 6]], device=backend)
    s = x.sum()
    assert s.dtype is xgrad.int64 and s.item() == 21
    assert x.prod().item() == 720
    np.testing.assert_array_equal(x.sum(0).numpy(), [5, 7, 9])
    assert x.max().item() == 6 and x.amin().item() == 1
    assert x.float().mean().item() == pytest.approx(3.5)
    b = xgrad.tensor([True, False, True], device=backend)
    assert b.sum().item() == 2 and b.any().item() and not b.all().item()


def test_mean_of_int_tensor_raises_like_pytorch(backend):
    x = xgrad.tensor([1, 2, 3], device=backend)
    with pytest.raises(RuntimeError, match="(?i)mean.*(dtype|floating)"):
        x.mean()


def test_norm_p(backend, rng):
    a = rng.uniform(0.5, 2, size=(2, 3)) * np.array([1, -1, 1])
    x = _t(a, backend, True)
    np.testing.assert_allclose(x.norm(p=1).item(), np.abs(a).sum(), rtol=1e-12)
    np.testing.assert_allclose(x.norm(2, dim=1).numpy(), np.linalg.norm(a, axis=1), rtol=1e-12)
    np.testing.assert_allclose(x.norm(float("inf")).item(), np.abs(a).max(), rtol=1e-12)
    assert gradcheck(lambda t: t.norm(p=3, dim=0), (x,))


def test_norm_and_std_gradient_at_zero_is_zero_like_pytorch(backend):
    x = _t([[0.0, 0.0], [3.0, 4.0]], backend, True)
    x.norm(dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0], [0.6, 0.8]])
    y = _t([0.0, 0.0], backend, True)
    y.norm().backward()
    assert y.grad.tolist() == [0.0, 0.0]
    z = _t([0.0, 0.0], backend, True)
    z.norm(p=3).backward()
    assert z.grad.tolist() == [0.0, 0.0]
    w = _t([[1.0, 1.0], [1.0, 3.0]], backend, True)
    w.std(1).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [[0.0, 0.0], [-1 / np.sqrt(2), 1 / np.sqrt(2)]])
    assert np.isnan(_t([1.0], backend).std().item())  # one sample: NaN, as PyTorch
