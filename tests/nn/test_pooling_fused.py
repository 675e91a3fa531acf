"""Fused max_pool2d / max_pool2d_backward: against a naive float64 loop reference, against
the decomposition (also on ties), and gradients by finite differences (first and second
order) on the numpy and reference backends."""
from __future__ import annotations

import contextlib
import itertools

import numpy as np
import pytest
import xgrad
import xgrad.nn.functional as F
from xgrad.autograd import gradcheck, gradgradcheck
from xgrad.ops import fused
from xgrad.ops.fused import decomposed_only

BACKENDS = ["numpy", "reference"]

# (input shape, kwargs of F.max_pool2d)
CONFIGS = [
    ((2, 3, 6, 6), dict(kernel_size=2)),
    ((1, 2, 7, 5), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 1, 8, 7), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1))),
    ((2, 2, 5, 5), dict(kernel_size=2, stride=1)),
    ((1, 2, 5, 6), dict(kernel_size=2, ceil_mode=True)),
]


def _pairs(kw: dict) -> tuple:
    def pair(v, default):
        v = default if v is None else v
        return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

    k = pair(kw["kernel_size"], None)
    return (k, pair(kw.get("stride"), k), pair(kw.get("padding"), 0),
            pair(kw.get("dilation"), 1), kw.get("ceil_mode", False))


def _out_size(n: int, k: int, s: int, p: int, d: int, ceil: bool) -> int:
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil else num // s) + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def naive_pool(x: np.ndarray, g: np.ndarray | None, kw: dict) -> tuple:
    """Loop reference: values, flat first-max indices, and ``g`` routed to them."""
    (kh, kw_), (sh, sw), (ph, pw), (dh, dw), ceil = _pairs(kw)
    n, c, h, w = x.shape
    oh, ow = _out_size(h, kh, sh, ph, dh, ceil), _out_size(w, kw_, sw, pw, dw, ceil)
    out = np.zeros((n, c, oh, ow))
    idx = np.zeros((n, c, oh, ow), dtype=np.int64)
    gx = np.zeros((n, c, h, w))
    for b, ch, i, j in itertools.product(range(n), range(c), range(oh), range(ow)):
        best, where = -np.inf, None
        for a, e in itertools.product(range(kh), range(kw_)):
            r, q = i * sh - ph + a * dh, j * sw - pw + e * dw
            if 0 <= r < h and 0 <= q < w and (where is None or x[b, ch, r, q] > best):
                best, where = x[b, ch, r, q], (r, q)
        out[b, ch, i, j] = best
        idx[b, ch, i, j] = where[0] * w + where[1]
        if g is not None:
            gx[b, ch, where[0], where[1]] += g[b, ch, i, j]
    return out, idx, gx


def _distinct(shape: tuple, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0).astype(np.float64)


def _tied(shape: tuple, seed: int) -> np.ndarray:
    """Many exact ties: ReLU'd values on a coarse grid (whole windows of zeros)."""
    rng = np.random.default_rng(seed)
    return np.maximum(rng.integers(-3, 3, shape), 0).astype(np.float64)


@pytest.mark.parametrize("device", BACKENDS)
@pytest.mark.parametrize("shape,kw", CONFIGS)
@pytest.mark.parametrize("make", [_distinct, _tied])
def test_against_loop_reference(device, shape, kw, make):
    a = make(shape, 1)
    x = xgrad.tensor(a, requires_grad=True, device=device)
    out, idx = F.max_pool2d(x, **kw, return_indices=True)
    g = np.random.default_rng(2).standard_normal(out.shape)
    out.backward(xgrad.tensor(g, device=device))
    r_out, r_idx, r_gx = naive_pool(a, g, kw)
    np.testing.assert_array_equal(out.numpy(), r_out)
    np.testing.assert_array_equal(idx.numpy(), r_idx)
    np.testing.assert_allclose(x.grad.numpy(), r_gx, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape,kw", CONFIGS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_matches_decomposition_on_ties(shape, kw, dtype):
    a = _tied(shape, 3)
    g = np.random.default_rng(4).standard_normal(naive_pool(a, None, kw)[0].shape)
    res = []
    for ctx in (contextlib.nullcontext(), decomposed_only()):
        x = xgrad.tensor(a, dtype=getattr(xgrad, dtype), requires_grad=True)
        with ctx:
            out = F.max_pool2d(x, **kw)
            out.backward(xgrad.tensor(g, dtype=getattr(xgrad, dtype)))
        res.append((out.numpy(), x.grad.numpy()))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-6, atol=1e-6)


def test_fused_kernel_is_used_on_numpy():
    be = xgrad.tensor([0.0]).to("numpy")._backend
    assert be.has("max_pool2d") and be.has("max_pool2d_backward")


@pytest.mark.parametrize("device", BACKENDS)
@pytest.mark.parametrize("shape,kw", [((1, 1, 5, 5), dict(kernel_size=2)),
                                      ((1, 2, 5, 4), dict(kernel_size=3, stride=2, padding=1,
                                                          ceil_mode=True)),
                                      ((1, 1, 5, 5), dict(kernel_size=2, stride=1, dilation=2))])
def test_gradcheck_and_gradgradcheck(device, shape, kw):
    x = xgrad.tensor(_distinct(shape, 5), requires_grad=True, device=device)
    fn = lambda t: F.max_pool2d(t, **kw)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


@pytest.mark.parametrize("device", BACKENDS)
def test_backward_op_gradients_in_g(device):
    """max_pool2d_backward is linear in g: its own gradient gathers gg at the first maxima,
    checked by finite differences with ties in x (the kink is in x, not in g)."""
    a = _tied((1, 2, 4, 4), 6)
    x = xgrad.tensor(a, device=device)
    g = xgrad.tensor(np.random.default_rng(7).standard_normal((1, 2, 3, 3)), requires_grad=True,
                     device=device)
    params = ((2, 2), (1, 1), (0, 0), (1, 1), False)
    fn = lambda t: fused.max_pool2d_backward(x, t, *params)  # noqa: E731
    assert gradcheck(fn, (g,))
    assert gradgradcheck(fn, (g,))


def test_double_backward_through_pool_and_relu():
    """d/dx of (grad of sum(pool(x)**2)) . v: the pool's routing is fixed, so this equals
    2 * v at the first maxima, routed back; compared against the loop reference."""
    a = _tied((1, 2, 6, 6), 8) + _distinct((1, 2, 6, 6), 9) * 1e-3  # no ties, close values
    v = np.random.default_rng(10).standard_normal(a.shape)
    x = xgrad.tensor(a, requires_grad=True)
    (gx,) = xgrad.autograd.grad((F.max_pool2d(x, 2) ** 2).sum(), x, create_graph=True)
    (gxx,) = xgrad.autograd.grad((gx * xgrad.tensor(v)).sum(), x)
    _, idx, _ = naive_pool(a, None, dict(kernel_size=2))
    sel = np.take_along_axis(v.reshape(1, 2, -1), idx.reshape(1, 2, -1), 2).reshape(idx.shape)
    _, _, expected = naive_pool(a, 2 * sel, dict(kernel_size=2))
    np.testing.assert_allclose(gxx.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_relu_then_pool_parameter_gradients_agree():
    """Conv -> ReLU -> pool, with whole windows of zeros after the ReLU: the fused path and
    the decomposition give the same parameter gradients, equal to a float64 numpy chain."""
    rng = np.random.default_rng(11)
    a = rng.standard_normal((2, 1, 7, 7))
    wv = rng.standard_normal((3, 1, 2, 2))
    grads = []
    for ctx in (contextlib.nullcontext(), decomposed_only()):
        w = xgrad.tensor(wv, requires_grad=True)
        with ctx:
            h = F.relu(F.conv2d(xgrad.tensor(a), w))
            F.max_pool2d(h, 2).sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-12, atol=1e-12)
    # independent reference: conv by loops, relu, pool routing by the loop reference
    conv = np.zeros((2, 3, 6, 6))
    for i, j in itertools.product(range(2), range(2)):
        conv += np.einsum("nhw,o->nohw", a[:, 0, i:i + 6, j:j + 6], wv[:, 0, i, j])
    r = np.maximum(conv, 0)
    _, _, gr = naive_pool(r, np.ones((2, 3, 3, 3)), dict(kernel_size=2))
    gc = gr * (conv > 0)
    ref = np.zeros_like(wv)
    for i, j in itertools.product(range(2), range(2)):
        ref[:, 0, i, j] = np.einsum("nohw,nhw->o", gc, a[:, 0, i:i + 6, j:j + 6])
    np.testing.assert_allclose(grads[0], ref, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("device", BACKENDS)
def test_unbatched_and_1d(device):
    a = _distinct((2, 5, 6), 12)
    x = xgrad.tensor(a, device=device)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    r_out, r_idx, _ = naive_pool(a[None], None, dict(kernel_size=2))
    np.testing.assert_array_equal(out.numpy(), r_out[0])
    np.testing.assert_array_equal(idx.numpy(), r_idx[0])
    out1 = F.max_pool1d(xgrad.tensor(a[0], device=device), 3, 2, 1)
    r1, _, _ = naive_pool(a[0][:, None, None, :], None,
                          dict(kernel_size=(1, 3), stride=(1, 2), padding=(0, 1)))
    np.testing.assert_array_equal(out1.numpy(), r1[:, 0, 0])


def test_module_uses_fused_pair():
    x = xgrad.tensor(_distinct((1, 1, 4, 4), 13), requires_grad=True)
    out = xgrad.nn.MaxPool2d(2)(x)
    out.sum().backward()
    assert x.grad.numpy().sum() == 4.0
    assert set(np.flatnonzero(x.grad.numpy())) == set(
        naive_pool(x.detach().numpy(), None, dict(kernel_size=2))[1].ravel())


def test_nan_propagates():
    a = _distinct((1, 1, 4, 4), 14)
    a[0, 0, 1, 1] = np.nan
    out = F.max_pool2d(xgrad.tensor(a), 2).numpy()
    assert np.isnan(out[0, 0, 0, 0]) and not np.isnan(out[0, 0, 1:, 1:]).any()


@pytest.mark.parametrize("device", BACKENDS)
def test_too_small_output_raises(device):
    x = xgrad.zeros(1, 1, 2, 2, device=device)
    with pytest.raises(RuntimeError, match="Calculated output size would be too small"):
        F.max_pool2d(x, 3)
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(x, 2, padding=2)
