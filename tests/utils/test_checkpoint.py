"""xgrad.utils.checkpoint: the same loss and gradients as without checkpointing (inputs and
the parameters the function uses), dropout masks reproduced in the recomputation, the
intermediate activations not kept, and PyTorch's warning and errors."""
from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
import xgrad
from xgrad import nn
from xgrad.utils.checkpoint import checkpoint, checkpoint_sequential


def _model():
    xgrad.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Dropout(0.3), nn.Linear(8, 3), nn.GELU(),
                         nn.Linear(3, 2))


def _grads(model, x, use_ckpt):
    model.zero_grad()
    xgrad.manual_seed(5)
    if use_ckpt == "checkpoint":
        h = checkpoint(model[:3], x, use_reentrant=False)
        out = model[3:](h)
    elif use_ckpt == "sequential":
        out = checkpoint_sequential(model, 3, x, use_reentrant=True)
    else:
        out = model(x)
    loss = (out ** 2).sum()
    loss.backward()
    return loss.item(), [p.grad.numpy().copy() for p in model.parameters()], x.grad.numpy().copy()


@pytest.mark.parametrize("how", ["checkpoint", "sequential"])
def test_same_loss_and_gradients_as_without(how):
    model = _model()
    x = xgrad.randn(5, 4, requires_grad=True)
    want = _grads(model, x, None)
    x.grad = None
    got = _grads(model, x, how)
    assert got[0] == pytest.approx(want[0], rel=1e-12)
    for g, w in zip(got[1], want[1]):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(got[2], want[2], rtol=1e-6, atol=1e-7)


def test_activations_are_not_kept():
    kept = []

    def block(x):
        h = x.exp()
        kept.append(weakref.ref(h))
        return h.sin()

    x = xgrad.randn(1000, requires_grad=True)
    y = checkpoint(block, x, use_reentrant=False)
    gc.collect()
    assert kept[0]() is None  # freed after the forward; recomputed in backward
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(np.exp(x.detach().numpy()))
                               * np.exp(x.detach().numpy()), rtol=1e-5)


def test_rng_is_not_preserved_on_request():
    drop = nn.Dropout(0.5)
    x = xgrad.ones(200, requires_grad=True)
    xgrad.manual_seed(1)
    checkpoint(drop, x, use_reentrant=False, preserve_rng_state=False).sum().backward()
    with_other_mask = x.grad.numpy().copy()
    x.grad = None
    xgrad.manual_seed(1)
    checkpoint(drop, x, use_reentrant=False).sum().backward()
    xgrad.manual_seed(1)
    mask = (drop(xgrad.ones(200)) != 0).numpy()
    np.testing.assert_array_equal(x.grad.numpy() != 0, mask)  # the forward's mask
    assert not np.array_equal(with_other_mask != 0, mask)


def test_warns_without_use_reentrant_and_passes_kwargs_and_no_grad():
    with pytest.warns(UserWarning, match="use_reentrant parameter should be passed explicitly"):
        checkpoint(lambda a: a * 2, xgrad.ones(2, requires_grad=True))
    out = checkpoint(lambda a, scale=1.0: a * scale, xgrad.ones(2, requires_grad=True),
                     use_reentrant=False, scale=3.0)
    assert out.tolist() == [3.0, 3.0]
    with xgrad.no_grad():
        assert checkpoint(lambda a: a + 1, xgrad.ones(1), use_reentrant=False).tolist() == [2.0]
    with pytest.raises(ValueError, match="only supported when use_reentrant=False"):
        checkpoint(lambda a: a, xgrad.ones(1), use_reentrant=True, debug=True)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    w = np.random.default_rng(0).standard_normal((4, 4))
    res = []
    for fw, ck in ((torch, torch.utils.checkpoint.checkpoint), (xgrad, checkpoint)):
        lin = fw.tensor(w, requires_grad=True)
        x = fw.tensor(w[:2], requires_grad=True)
        y = ck(lambda a, m=lin: (a @ m).tanh() @ m, x, use_reentrant=False)
        y.pow(2).sum().backward()
        res.append((lin.grad.numpy(), x.grad.numpy()))
    for a, b in zip(*res):
        np.testing.assert_allclose(a, b, rtol=1e-12)
