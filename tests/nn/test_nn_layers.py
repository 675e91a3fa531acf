"""Layers, activations and losses: values against numpy float64, gradients by finite
differences (gradcheck, float64) on the numpy and reference backends, train/eval behaviour."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn
import xgrad.nn.functional as F
from xgrad.autograd import gradcheck

BACKENDS = ["numpy", "reference"]


def T(a, backend="numpy", grad=False):
    a = np.asarray(a)
    dt = xgrad.float64 if a.dtype.kind == "f" else None
    return xgrad.tensor(a, dtype=dt, device=backend, requires_grad=grad)


def R(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


# ---- gradcheck of every differentiable functional form (tiny shapes) -----------------------
def _ce_idx(x, w):
    t = T(np.array([1, 0, 2]), x.device.type if x.device.type != "cpu" else "numpy")
    return F.cross_entropy(x, t, weight=w, ignore_index=0, label_smoothing=0.1)


GRAD_CASES = {
    "linear": (lambda x, w, b: F.linear(x, w, b), [(2, 3), (4, 3), (4,)]),
    "bilinear": (lambda a, b, w, c: F.bilinear(a, b, w, c), [(2, 2), (2, 3), (2, 2, 3), (2,)]),
    "conv1d": (lambda x, w, b: F.conv1d(x, w, b, stride=2, padding=1, groups=2),
               [(1, 2, 5), (4, 1, 2), (4,)]),
    "conv2d": (lambda x, w, b: F.conv2d(x, w, b, stride=(1, 2), padding=1, dilation=(2, 1)),
               [(1, 2, 4, 4), (2, 2, 2, 2), (2,)]),
    "conv2d_same": (lambda x, w: F.conv2d(x, w, padding="same"), [(1, 1, 3, 4), (2, 1, 2, 2)]),
    "conv_transpose2d": (lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1,
                                                            output_padding=1),
                         [(1, 2, 2, 3), (2, 2, 3, 2), (2,)]),
    "max_pool1d": (lambda x: F.max_pool1d(x, 2, 1, padding=1), [(1, 2, 5)]),
    "max_pool2d": (lambda x: F.max_pool2d(x, 2, ceil_mode=True), [(1, 1, 3, 5)]),
    "avg_pool1d": (lambda x: F.avg_pool1d(x, 3, 2, padding=1, count_include_pad=False),
                   [(1, 2, 5)]),
    "avg_pool2d": (lambda x: F.avg_pool2d(x, 2, 1, padding=1), [(1, 1, 3, 3)]),
    "adaptive_avg_pool2d": (lambda x: F.adaptive_avg_pool2d(x, (2, 3)), [(1, 1, 3, 4)]),
    "batch_norm": (lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                   [(3, 2, 2), (2,), (2,)]),
    "layer_norm": (lambda x, w, b: F.layer_norm(x, (3,), w, b), [(2, 3), (3,), (3,)]),
    "group_norm": (lambda x, w, b: F.group_norm(x, 2, w, b), [(2, 4, 2), (4,), (4,)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.1), [(2, 3)]),
    "elu": (lambda x: F.elu(x, 0.5), [(2, 3)]),
    "gelu": (lambda x: F.gelu(x), [(2, 3)]),
    "gelu_tanh": (lambda x: F.gelu(x, "tanh"), [(2, 3)]),
    "silu": (F.silu, [(2, 3)]),
    "mish": (F.mish, [(2, 3)]),
    "softplus": (lambda x: F.softplus(x, 2.0), [(2, 3)]),
    "softmax": (lambda x: F.softmax(x, 1), [(2, 3)]),
    "log_softmax": (lambda x: F.log_softmax(x, 0), [(2, 3)]),
    "hardtanh": (lambda x: F.hardtanh(x * 3, -1.0, 1.0), [(2, 3)]),
    "mse": (F.mse_loss, [(2, 3), (2, 3)]),
    "l1": (F.l1_loss, [(2, 3), (2, 3)]),
    "smooth_l1": (lambda a, b: F.smooth_l1_loss(a, b, beta=0.5), [(2, 3), (2, 3)]),
    "huber": (lambda a, b: F.huber_loss(a, b, delta=0.5), [(2, 3), (2, 3)]),
    "cross_entropy": (_ce_idx, [(3, 3), (3,)]),
    "cross_entropy_probs": (lambda x, t: F.cross_entropy(x, t.softmax(1)), [(2, 3), (2, 3)]),
    "bce": (lambda x, t: F.binary_cross_entropy(x.sigmoid(), t.sigmoid()), [(2, 3), (2, 3)]),
    "bce_logits": (lambda x, t, pw: F.binary_cross_entropy_with_logits(x, t.sigmoid(),
                                                                       pos_weight=pw.exp()),
                   [(2, 3), (2, 3), (3,)]),
    "kl_div": (lambda x, t: F.kl_div(x.log_softmax(1), t.softmax(1), reduction="batchmean"),
               [(2, 3), (2, 3)]),
    "embedding": (lambda w: F.embedding(T(np.array([[0, 2], [2, 1]]), w.device.type
                                          if w.device.type != "cpu" else "numpy"), w,
                                        ), [(3, 2)]),
    "pad_reflect": (lambda x: F.pad(x, (1, 2), mode="reflect"), [(1, 2, 4)]),
    "interpolate": (lambda x: F.interpolate(x, size=(3, 4), mode="bilinear",
                                            align_corners=True), [(1, 1, 2, 3)]),
    "normalize": (F.normalize, [(2, 3)]),
    "cosine_similarity": (F.cosine_similarity, [(2, 3), (2, 3)]),
}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradcheck(name, backend):
    fn, shapes = GRAD_CASES[name]
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    inputs = []
    for s in shapes:
        a = rng.standard_normal(s)
        if name.startswith("max_pool"):  # distinct values: no ties at the max
            a = rng.permutation(np.arange(np.prod(s), dtype=float)).reshape(s) * 0.1
        if name in ("leaky_relu", "elu", "hardtanh", "l1", "smooth_l1", "huber"):
            a = np.where(np.abs(a) < 0.1, a + 0.3, a)  # away from kinks
        inputs.append(T(a, backend, grad=True))
    assert gradcheck(fn, tuple(inputs), eps=1e-6, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("backend", BACKENDS)
def test_modules_run_on_backend(backend):
    xgrad.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.BatchNorm2d(2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(2, 2, 1, groups=2), nn.GroupNorm(1, 2), nn.AvgPool2d(2, ceil_mode=True),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2, 3), nn.LayerNorm(3), nn.GELU(),
        nn.Dropout(0.2), nn.Linear(3, 2)).double().to(backend)
    x = T(R(0, 2, 1, 5, 5), backend)
    loss = F.cross_entropy(model(x), T(np.array([0, 1]), backend))
    loss.backward()
    assert all(p.grad is not None and p.grad.device.type == backend
               for p in model.parameters())
    assert math.isfinite(loss.item())


# ---- values against numpy float64 ----------------------------------------------------------
def test_linear_bilinear_values():
    x, w, b = R(1, 3, 4), R(2, 2, 4), R(3, 2)
    np.testing.assert_allclose(F.linear(T(x), T(w), T(b)).numpy(), x @ w.T + b, rtol=1e-12)
    x1, x2, w3 = R(4, 3, 2), R(5, 3, 3), R(6, 4, 2, 3)
    ref = np.einsum("ni,kij,nj->nk", x1, w3, x2)
    np.testing.assert_allclose(F.bilinear(T(x1), T(x2), T(w3)).numpy(), ref, rtol=1e-12)


def _conv2d_ref(x, w, stride, pad, dil, groups):
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, o, oh, ow))
    og = o // groups
    for oc in range(o):
        g = oc // og
        for i in range(oh):
            for j in range(ow):
                patch = xp[:, g * cg:(g + 1) * cg, i * stride[0]:i * stride[0] + dil[0] * (kh - 1) + 1:dil[0],
                           j * stride[1]:j * stride[1] + dil[1] * (kw - 1) + 1:dil[1]]
                out[:, oc, i, j] = (patch * w[oc]).sum((1, 2, 3))
    return out


@pytest.mark.parametrize("stride,pad,dil,groups", [((1, 1), (0, 0), (1, 1), 1),
                                                   ((2, 1), (1, 2), (1, 2), 2)])
def test_conv2d_values_against_loop_reference(stride, pad, dil, groups):
    x, w = R(7, 2, 4, 6, 5), R(8, 4, 4 // groups, 3, 2)
    out = F.conv2d(T(x), T(w), None, stride, pad, dil, groups).numpy()
    np.testing.assert_allclose(out, _conv2d_ref(x, w, stride, pad, dil, groups), rtol=1e-10)


def test_conv_transpose2d_is_the_adjoint_of_conv2d():
    # <conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for matching geometry
    x, w, y = R(9, 1, 2, 5, 6), R(10, 3, 2, 3, 3), R(11, 1, 3, 3, 3)
    ct = F.conv_transpose2d(T(y), T(w), stride=2, padding=1, output_padding=(0, 1)).numpy()
    assert ct.shape == (1, 2, 5, 6)
    lhs = (F.conv2d(T(x), T(w), stride=2, padding=1).numpy() * y).sum()
    rhs = (ct * x).sum()
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10)


def test_pooling_values():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(F.max_pool2d(T(x), 2).numpy()[0, 0], [[5, 7], [13, 15]])
    np.testing.assert_array_equal(F.avg_pool2d(T(x), 2).numpy()[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    # padding=1, count_include_pad: corner window holds x[0,0] only, divided by 4
    out = F.avg_pool2d(T(x), 2, 2, padding=1).numpy()[0, 0]
    assert out[0, 0] == 0 / 4 and out[0, 1] == (1 + 2) / 4
    out = F.avg_pool2d(T(x), 2, 2, padding=1, count_include_pad=False).numpy()[0, 0]
    assert out[0, 1] == (1 + 2) / 2
    np.testing.assert_allclose(F.adaptive_avg_pool2d(T(x), 1).numpy().ravel(), [7.5])
    out = F.adaptive_avg_pool2d(T(np.arange(5.0).reshape(1, 1, 1, 5)), (1, 3)).numpy().ravel()
    np.testing.assert_allclose(out, [np.mean([0, 1]), np.mean([1, 2, 3]), np.mean([3, 4])])
    out, idx = F.max_pool2d(T(x), 2, return_indices=True)
    np.testing.assert_array_equal(idx.numpy()[0, 0], [[5, 7], [13, 15]])


def test_norm_layers_values():
    x = R(12, 4, 3, 5)
    mu = x.mean((0, 2), keepdims=True)
    var = x.var((0, 2), keepdims=True)
    np.testing.assert_allclose(F.batch_norm(T(x), None, None, training=True).numpy(),
                               (x - mu) / np.sqrt(var + 1e-5), rtol=1e-10)
    mu = x.mean(-1, keepdims=True)
    np.testing.assert_allclose(F.layer_norm(T(x), (5,)).numpy(),
                               (x - mu) / np.sqrt(x.var(-1, keepdims=True) + 1e-5), rtol=1e-10)
    g = x.reshape(4, 1, 15)
    ref = ((g - g.mean(-1, keepdims=True)) / np.sqrt(g.var(-1, keepdims=True) + 1e-5))
    np.testing.assert_allclose(F.group_norm(T(x), 1).numpy(), ref.reshape(x.shape), rtol=1e-10)


def test_activation_values():
    x = np.array([-30.0, -2.0, -0.5, 0.5, 2.0, 30.0])
    cases = {
        "relu": (F.relu, np.maximum(x, 0)),
        "leaky": (lambda t: F.leaky_relu(t, 0.1), np.where(x > 0, x, 0.1 * x)),
        "elu": (F.elu, np.where(x > 0, x, np.expm1(x))),
        "silu": (F.silu, x / (1 + np.exp(-x))),
        "softplus": (F.softplus, np.where(x > 20, x, np.log1p(np.exp(x)))),
        "mish": (F.mish, x * np.tanh(np.log1p(np.exp(x)))),
        "sigmoid": (F.sigmoid, 1 / (1 + np.exp(-x))),
        "tanh": (F.tanh, np.tanh(x)),
        "hardtanh": (F.hardtanh, np.clip(x, -1, 1)),
        "gelu": (F.gelu, 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))),
        "gelu_tanh": (lambda t: F.gelu(t, approximate="tanh"),
                      0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))),
        "softmax": (lambda t: F.softmax(t, 0), np.exp(x - x.max()) / np.exp(x - x.max()).sum()),
    }
    for name, (fn, ref) in cases.items():
        np.testing.assert_allclose(fn(T(x)).numpy(), ref, rtol=1e-12, atol=1e-14, err_msg=name)
    mods = [nn.ReLU(), nn.LeakyReLU(0.1), nn.ELU(), nn.SiLU(), nn.Softplus(), nn.Mish(),
            nn.Sigmoid(), nn.Tanh(), nn.Hardtanh(), nn.GELU()]
    for m, key in zip(mods, ["relu", "leaky", "elu", "silu", "softplus", "mish", "sigmoid",
                             "tanh", "hardtanh", "gelu"]):
        np.testing.assert_allclose(m(T(x)).numpy(), cases[key][1], rtol=1e-12, atol=1e-14)


def test_loss_values():
    x, t = R(13, 4, 3), np.array([2, 0, 1, 1])
    lsm = x - np.log(np.exp(x).sum(1, keepdims=True))
    nll = -lsm[np.arange(4), t]
    np.testing.assert_allclose(F.cross_entropy(T(x), T(t)).item(), nll.mean(), rtol=1e-12)
    w = np.array([0.2, 1.0, 3.0])
    np.testing.assert_allclose(F.cross_entropy(T(x), T(t), weight=T(w)).item(),
                               (nll * w[t]).sum() / w[t].sum(), rtol=1e-12)
    ti = np.array([2, -100, 1, -100])
    np.testing.assert_allclose(F.cross_entropy(T(x), T(ti)).item(), nll[[0, 2]].mean(),
                               rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(T(x), T(t), reduction="none").numpy(), nll,
                               rtol=1e-12)
    eps = 0.1
    smooth = (1 - eps) * nll + eps * (-lsm.mean(1))
    np.testing.assert_allclose(F.cross_entropy(T(x), T(t), label_smoothing=eps).item(),
                               smooth.mean(), rtol=1e-12)
    p = np.exp(lsm)
    np.testing.assert_allclose(F.cross_entropy(T(x), T(p)).item(), -(p * lsm).sum(1).mean(),
                               rtol=1e-12)
    a, b = R(14, 5), R(15, 5)
    d = a - b
    np.testing.assert_allclose(F.mse_loss(T(a), T(b)).item(), (d ** 2).mean(), rtol=1e-12)
    np.testing.assert_allclose(F.l1_loss(T(a), T(b), reduction="sum").item(), np.abs(d).sum(),
                               rtol=1e-12)
    ad = np.abs(d)
    np.testing.assert_allclose(F.smooth_l1_loss(T(a), T(b), beta=0.5).item(),
                               np.where(ad < 0.5, 0.5 * ad ** 2 / 0.5, ad - 0.25).mean(),
                               rtol=1e-12)
    np.testing.assert_allclose(F.huber_loss(T(a), T(b), delta=0.5).item(),
                               np.where(ad <= 0.5, 0.5 * ad ** 2, 0.5 * (ad - 0.25)).mean(),
                               rtol=1e-12)
    s, y = 1 / (1 + np.exp(-a)), (b > 0).astype(float)
    bce = -(y * np.log(s) + (1 - y) * np.log(1 - s))
    np.testing.assert_allclose(F.binary_cross_entropy(T(s), T(y)).item(), bce.mean(), rtol=1e-10)
    np.testing.assert_allclose(F.binary_cross_entropy_with_logits(T(a), T(y)).item(), bce.mean(),
                               rtol=1e-10)
    pw = 3.0
    ref = -(pw * y * np.log(s) + (1 - y) * np.log(1 - s))
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(T(a), T(y), pos_weight=T(np.full(5, pw))).item(),
        ref.mean(), rtol=1e-10)
    lp, q = lsm[0], p[1]
    np.testing.assert_allclose(F.kl_div(T(lp[None]), T(q[None]), reduction="batchmean").item(),
                               (q * (np.log(q) - lp)).sum(), rtol=1e-12)


def test_bce_with_logits_is_stable_for_large_logits():
    x = T(np.array([1000.0, -1000.0]))
    y = T(np.array([0.0, 1.0]))
    assert F.binary_cross_entropy_with_logits(x, y, reduction="none").numpy().tolist() == [1000.0, 1000.0]


# ---- errors -------------------------------------------------------------------------------
def test_cross_entropy_rejects_out_of_range_targets_like_torch():
    x = xgrad.randn(4, 10)
    with pytest.raises(IndexError, match=r"Target 589 is out of bounds\."):
        nn.CrossEntropyLoss()(x, xgrad.tensor([1, 589, 3, 2]))
    with pytest.raises(IndexError, match=r"Target -1 is out of bounds\."):
        F.cross_entropy(x, xgrad.tensor([1, -1, 3, 2]))
    with pytest.raises(IndexError, match=r"Target 10 is out of bounds\."):
        F.nll_loss(x, xgrad.tensor([1, 10, 3, 2]), weight=xgrad.ones(10))
    with pytest.raises(ValueError, match=r"Expected input batch_size \(4\) to match target "
                                         r"batch_size \(3\)"):
        F.cross_entropy(x, xgrad.tensor([1, 2, 3]))


def test_shape_errors_are_clear():
    with pytest.raises(RuntimeError, match=r"mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)"):
        nn.Linear(4, 5)(xgrad.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"expected input\[1, 3, 5, 5\] to have 2 channels, "
                                           r"but got 3 channels instead"):
        nn.Conv2d(2, 4, 3)(xgrad.randn(1, 3, 5, 5))
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\]"):
        nn.LayerNorm(4)(xgrad.randn(2, 3))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(xgrad.randn(2, 3))
    with pytest.raises(RuntimeError, match="pad should be at most half"):
        F.max_pool2d(xgrad.randn(1, 1, 4, 4), 2, padding=2)
    with pytest.raises(ValueError, match="is not a valid value for reduction"):
        F.mse_loss(xgrad.randn(2), xgrad.randn(2), reduction="avg")


# ---- train / eval behaviour ---------------------------------------------------------------
def test_dropout_train_and_eval():
    xgrad.manual_seed(0)
    d = nn.Dropout(0.25)
    x = xgrad.ones(4000)
    y = d(x).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1 / 0.75, rtol=1e-6)
    assert abs(kept.mean() - 0.75) < 0.03
    d.eval()
    assert d(x) is x
    assert repr(d) == "Dropout(p=0.25, inplace=False)"
    assert float(F.dropout(x, 1.0).abs().sum()) == 0.0
    xgrad.manual_seed(1)
    a = F.dropout(x, 0.5).numpy()
    xgrad.manual_seed(1)
    np.testing.assert_array_equal(a, F.dropout(x, 0.5).numpy())
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_batchnorm_running_stats_momentum_and_eval():
    bn = nn.BatchNorm1d(2, momentum=0.5).double()
    x1, x2 = R(20, 6, 2), R(21, 6, 2)
    bn(T(x1))
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.5 * x1.mean(0), rtol=1e-12)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.5 + 0.5 * x1.var(0, ddof=1), rtol=1e-12)
    assert bn.num_batches_tracked.item() == 1
    bn.eval()
    out = bn(T(x2)).numpy()
    ref = (x2 - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + 1e-5)
    np.testing.assert_allclose(out, ref, rtol=1e-12)
    assert bn.num_batches_tracked.item() == 1
    cum = nn.BatchNorm1d(2, momentum=None).double()
    cum(T(x1))
    cum(T(x2))
    np.testing.assert_allclose(cum.running_mean.numpy(), (x1.mean(0) + x2.mean(0)) / 2,
                               rtol=1e-12)
    with pytest.raises(ValueError, match="Expected more than 1 value per channel"):
        nn.BatchNorm1d(2)(xgrad.randn(1, 2))


def test_embedding_padding_idx_row_and_gradient():
    xgrad.manual_seed(0)
    emb = nn.Embedding(5, 3, padding_idx=0)
    assert np.all(emb.weight.detach().numpy()[0] == 0)
    idx = xgrad.tensor([[0, 1], [1, 4]])
    out = emb(idx)
    assert out.shape == (2, 2, 3)
    out.sum().backward()
    g = emb.weight.grad.numpy()
    np.testing.assert_array_equal(g[0], 0)
    np.testing.assert_array_equal(g[1], 2)
    np.testing.assert_array_equal(g[4], 1)
    pre = nn.Embedding.from_pretrained(xgrad.eye(3))
    assert not pre.weight.requires_grad and pre(xgrad.tensor([2])).tolist() == [[0.0, 0.0, 1.0]]
    with pytest.raises(IndexError, match="out of range"):
        emb(xgrad.tensor([5]))


def test_one_hot_pad_interpolate_basics():
    assert F.one_hot(xgrad.tensor([0, 2]), 3).tolist() == [[1, 0, 0], [0, 0, 1]]
    assert F.one_hot(xgrad.tensor([0, 2])).dtype == xgrad.int64
    x = T(np.arange(4.0).reshape(1, 1, 4))
    assert F.pad(x, (1, 2), value=9.0).numpy().ravel().tolist() == [9, 0, 1, 2, 3, 9, 9]
    assert F.pad(x, (2, 1), mode="reflect").numpy().ravel().tolist() == [2, 1, 0, 1, 2, 3, 2]
    assert F.pad(x, (1, 1), mode="replicate").numpy().ravel().tolist() == [0, 0, 1, 2, 3, 3]
    assert F.pad(x, (-1, 0)).numpy().ravel().tolist() == [1, 2, 3]
    up = F.interpolate(T(np.arange(2.0).reshape(1, 1, 2)), scale_factor=2).numpy().ravel()
    assert up.tolist() == [0, 0, 1, 1]
    lin = F.interpolate(T(np.array([[[0.0, 3.0]]])), size=4, mode="linear", align_corners=True)
    np.testing.assert_allclose(lin.numpy().ravel(), [0, 1, 2, 3])


def test_functional_sdpa_is_the_transformer_function():
    from xgrad.nn.transformer import scaled_dot_product_attention as sdpa

    q, k, v = (T(R(i, 2, 3, 4)) for i in (30, 31, 32))
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, v, is_causal=True).numpy(),
                                  sdpa(q, k, v, is_causal=True).numpy())
