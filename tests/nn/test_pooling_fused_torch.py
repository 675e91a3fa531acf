"""max_pool2d (fused on numpy, decomposed on reference) against PyTorch CPU, with ties."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
import xgrad.nn.functional as F

torch = pytest.importorskip("torch")

CONFIGS = [
    ((2, 3, 6, 6), dict(kernel_size=2)),
    ((1, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ((1, 1, 8, 7), dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1))),
    ((2, 2, 5, 5), dict(kernel_size=2, stride=1)),
    ((3, 5, 5), dict(kernel_size=2, ceil_mode=True)),
]


@pytest.mark.parametrize("device", ["numpy", "reference"])
@pytest.mark.parametrize("shape,kw", CONFIGS)
@pytest.mark.parametrize("ties", [False, True])
def test_max_pool2d_matches_torch(device, shape, kw, ties):
    rng = np.random.default_rng(0)
    a = np.maximum(rng.integers(-3, 3, shape), 0).astype(np.float64) if ties else \
        rng.standard_normal(shape)
    tx = torch.tensor(a, requires_grad=True)
    t_out, t_idx = torch.nn.functional.max_pool2d(tx, **kw, return_indices=True)
    g = rng.standard_normal(tuple(t_out.shape))
    t_out.backward(torch.tensor(g))
    x = xgrad.tensor(a, requires_grad=True, device=device)
    out, idx = F.max_pool2d(x, **kw, return_indices=True)
    out.backward(xgrad.tensor(g, device=device))
    np.testing.assert_array_equal(out.numpy(), t_out.detach().numpy())
    np.testing.assert_array_equal(idx.numpy(), t_idx.numpy())
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_double_backward_matches_torch():
    rng = np.random.default_rng(1)
    a = np.maximum(rng.integers(-3, 3, (1, 2, 6, 6)), 0) + rng.standard_normal((1, 2, 6, 6)) * 1e-3
    v = rng.standard_normal(a.shape)
    tx = torch.tensor(a, requires_grad=True)
    (tg,) = torch.autograd.grad((torch.nn.functional.max_pool2d(tx, 3, 2, 1) ** 2).sum(), tx,
                                create_graph=True)
    (tgg,) = torch.autograd.grad((tg * torch.tensor(v)).sum(), tx)
    x = xgrad.tensor(a, requires_grad=True)
    (g,) = xgrad.autograd.grad((F.max_pool2d(x, 3, 2, 1) ** 2).sum(), x, create_graph=True)
    (gg,) = xgrad.autograd.grad((g * xgrad.tensor(v)).sum(), x)
    np.testing.assert_allclose(g.detach().numpy(), tg.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("write_output", [False, True])
@pytest.mark.parametrize("shape,kw", CONFIGS[:3])
def test_backward_from_the_saved_output_and_after_an_inplace_write(shape, kw, write_output):
    """The backward reuses the forward's maxima (max_pool2d_backward_out) while the output is
    unmodified; after an in-place write to it (a ReLU(inplace=True) after the pool) it routes
    the gradient from the input alone. Both match PyTorch, with ties."""
    rng = np.random.default_rng(2)
    a = np.maximum(rng.integers(-3, 3, shape), 0).astype(np.float64) - 1.0
    calls = []
    be = xgrad.tensor([0.0])._backend
    for name in ("max_pool2d_backward", "max_pool2d_backward_out"):
        orig = getattr(be, name)
        setattr(be, name, lambda *args, _o=orig, _n=name: calls.append(_n) or _o(*args))
    try:
        tx = torch.tensor(a, requires_grad=True)
        t_out = torch.nn.functional.max_pool2d(tx, **kw)
        if write_output:
            t_out = torch.relu_(t_out)
        g = rng.standard_normal(tuple(t_out.shape))
        t_out.backward(torch.tensor(g))
        x = xgrad.tensor(a, requires_grad=True)
        out = F.max_pool2d(x, **kw)
        if write_output:
            out = F.relu(out, inplace=True)
        out.backward(xgrad.tensor(g))
    finally:
        for name in ("max_pool2d_backward", "max_pool2d_backward_out"):
            del be.__dict__[name]
    assert calls == (["max_pool2d_backward", "max_pool2d_backward_out"] if write_output
                     else ["max_pool2d_backward_out"])
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12, atol=1e-12)
