"""xgrad.nn against PyTorch: same weights, same inputs, compare outputs and gradients (float64)."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn
import xgrad.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

RTOL, ATOL = 1e-9, 1e-10


def _x(t: xgrad.Tensor) -> np.ndarray:
    return t.detach().numpy()


def _copy_weights(xm: nn.Module, tm: torch.nn.Module) -> None:
    tsd = tm.state_dict()
    xsd = xm.state_dict()
    assert set(tsd) == set(xsd), (sorted(tsd), sorted(xsd))
    with torch.no_grad():
        for k, v in xsd.items():
            assert tuple(tsd[k].shape) == tuple(v.shape), k
            tsd[k].copy_(torch.from_numpy(np.array(v.numpy())))


def _run_pair(xm, tm, inputs, backend="numpy", train=True):
    """Run both modules on the same float64 inputs; compare outputs, input and param grads."""
    xm = xm.double().to(backend)
    tm = tm.double()
    _copy_weights(xm, tm)
    xm.train(train)
    tm.train(train)
    xin, tin = [], []
    for a in inputs:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            xin.append(xgrad.tensor(a, device=backend, requires_grad=True))
            tin.append(torch.tensor(a, requires_grad=True))
        else:
            xin.append(xgrad.tensor(np.asarray(a), device=backend))
            tin.append(torch.tensor(np.asarray(a)))
    xo = xm(*xin)
    to = tm(*tin)
    if isinstance(to, tuple):
        xo, to = xo[0], to[0]
    np.testing.assert_allclose(_x(xo), to.detach().numpy(), rtol=1e-7, atol=1e-9)
    g = np.random.default_rng(1).standard_normal(tuple(to.shape))
    xo.backward(xgrad.tensor(g, device=backend))
    to.backward(torch.from_numpy(g))
    for xa, ta in zip(xin, tin):
        if ta.requires_grad:
            np.testing.assert_allclose(_x(xa.grad), ta.grad.numpy(), rtol=1e-7, atol=1e-9)
    tparams = dict(tm.named_parameters())
    for name, p in xm.named_parameters():
        np.testing.assert_allclose(_x(p.grad), tparams[name].grad.numpy(), rtol=1e-7, atol=1e-9,
                                   err_msg=name)
    return xm, tm


R = np.random.default_rng(0)


def rn(*shape):
    return R.standard_normal(shape)


LAYERS = {
    "linear": (lambda m: m.Linear(4, 3), [rn(2, 4)]),
    "linear_nobias_3d": (lambda m: m.Linear(4, 3, bias=False), [rn(2, 5, 4)]),
    "bilinear": (lambda m: m.Bilinear(3, 4, 2), [rn(5, 3), rn(5, 4)]),
    "conv1d": (lambda m: m.Conv1d(4, 6, 3, stride=2, padding=1, dilation=1, groups=2),
               [rn(2, 4, 9)]),
    "conv1d_same": (lambda m: m.Conv1d(2, 3, 4, padding="same", dilation=2), [rn(2, 2, 9)]),
    "conv2d": (lambda m: m.Conv2d(2, 4, 3, stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
               [rn(2, 2, 7, 8)]),
    "conv2d_groups": (lambda m: m.Conv2d(4, 6, (2, 3), groups=2, bias=False), [rn(1, 4, 5, 6)]),
    "conv2d_same_even": (lambda m: m.Conv2d(2, 3, (2, 4), padding="same"), [rn(1, 2, 5, 6)]),
    "conv2d_valid": (lambda m: m.Conv2d(2, 3, 3, padding="valid"), [rn(1, 2, 5, 5)]),
    "conv2d_reflect": (lambda m: m.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
                       [rn(1, 2, 5, 5)]),
    "conv2d_circular": (lambda m: m.Conv2d(2, 3, 3, padding=(1, 2), padding_mode="circular"),
                        [rn(1, 2, 5, 5)]),
    "conv2d_replicate": (lambda m: m.Conv2d(2, 3, 3, padding=2, padding_mode="replicate"),
                         [rn(1, 2, 4, 4)]),
    "convT2d": (lambda m: m.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1,
                                            groups=2), [rn(2, 4, 3, 4)]),
    "convT2d_dil": (lambda m: m.ConvTranspose2d(2, 3, (2, 3), stride=(1, 2), dilation=2),
                    [rn(1, 2, 3, 3)]),
    "maxpool1d": (lambda m: m.MaxPool1d(3, stride=2, padding=1), [rn(2, 3, 8)]),
    "maxpool1d_ceil": (lambda m: m.MaxPool1d(2, ceil_mode=True), [rn(2, 3, 7)]),
    "maxpool2d": (lambda m: m.MaxPool2d(2), [rn(2, 3, 6, 7)]),
    "maxpool2d_pad_dil": (lambda m: m.MaxPool2d(3, stride=2, padding=1, dilation=2),
                          [rn(1, 2, 9, 8)]),
    "maxpool2d_ceil": (lambda m: m.MaxPool2d(3, stride=2, ceil_mode=True), [rn(1, 2, 8, 7)]),
    "avgpool1d": (lambda m: m.AvgPool1d(3, stride=2, padding=1), [rn(2, 3, 8)]),
    "avgpool2d": (lambda m: m.AvgPool2d(2), [rn(2, 3, 6, 7)]),
    "avgpool2d_pad": (lambda m: m.AvgPool2d(3, stride=2, padding=1), [rn(1, 2, 7, 6)]),
    "avgpool2d_pad_excl": (lambda m: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
                           [rn(1, 2, 7, 6)]),
    "avgpool2d_ceil": (lambda m: m.AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
                       [rn(1, 2, 8, 6)]),
    "avgpool2d_ceil_excl": (lambda m: m.AvgPool2d(2, ceil_mode=True, count_include_pad=False),
                            [rn(1, 2, 5, 5)]),
    "adaptive_avg_div": (lambda m: m.AdaptiveAvgPool2d((2, 3)), [rn(2, 2, 4, 6)]),
    "adaptive_avg": (lambda m: m.AdaptiveAvgPool2d((3, 4)), [rn(2, 2, 5, 7)]),
    "adaptive_avg_none": (lambda m: m.AdaptiveAvgPool2d((None, 2)), [rn(1, 2, 5, 5)]),
    "bn1d": (lambda m: m.BatchNorm1d(3), [rn(5, 3)]),
    "bn1d_3d": (lambda m: m.BatchNorm1d(3, momentum=None), [rn(4, 3, 5)]),
    "bn2d": (lambda m: m.BatchNorm2d(3, momentum=0.3), [rn(2, 3, 4, 4)]),
    "bn2d_noaffine": (lambda m: m.BatchNorm2d(3, affine=False, track_running_stats=False),
                      [rn(2, 3, 2, 2)]),
    "bn2d_nobias": (lambda m: m.BatchNorm2d(2, bias=False), [rn(2, 2, 3, 3)]),
    "groupnorm_nobias": (lambda m: m.GroupNorm(3, 3, bias=False), [rn(2, 3, 4)]),
    "layernorm": (lambda m: m.LayerNorm((3, 4)), [rn(2, 3, 4)]),
    "layernorm_nobias": (lambda m: m.LayerNorm(4, bias=False), [rn(2, 3, 4)]),
    "layernorm_noaffine": (lambda m: m.LayerNorm(4, elementwise_affine=False), [rn(2, 4)]),
    "groupnorm": (lambda m: m.GroupNorm(2, 4), [rn(3, 4, 5)]),
    "flatten": (lambda m: m.Flatten(), [rn(2, 3, 4)]),
    "unflatten": (lambda m: m.Unflatten(1, (2, 3)), [rn(2, 6)]),
    "relu": (lambda m: m.ReLU(), [rn(3, 4)]),
    "leaky_relu": (lambda m: m.LeakyReLU(0.2), [rn(3, 4)]),
    "elu": (lambda m: m.ELU(0.7), [rn(3, 4) * 3]),
    "gelu": (lambda m: m.GELU(), [rn(3, 4)]),
    "gelu_tanh": (lambda m: m.GELU("tanh"), [rn(3, 4)]),
    "silu": (lambda m: m.SiLU(), [rn(3, 4)]),
    "mish": (lambda m: m.Mish(), [rn(3, 4)]),
    "sigmoid": (lambda m: m.Sigmoid(), [rn(3, 4)]),
    "tanh": (lambda m: m.Tanh(), [rn(3, 4)]),
    "softplus": (lambda m: m.Softplus(beta=2.0, threshold=3.0), [rn(3, 4) * 3]),
    "softmax": (lambda m: m.Softmax(dim=0), [rn(3, 4)]),
    "log_softmax": (lambda m: m.LogSoftmax(dim=-1), [rn(3, 4)]),
    "hardtanh": (lambda m: m.Hardtanh(-0.5, 0.7), [rn(3, 4)]),
    "sequential": (lambda m: m.Sequential(m.Linear(3, 4), m.Tanh(), m.Linear(4, 2)), [rn(2, 3)]),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_matches_torch(name):
    make, inputs = LAYERS[name]
    _run_pair(make(nn), make(tnn), inputs)


@pytest.mark.parametrize("name", ["bn1d", "bn1d_3d", "bn2d"])
def test_batchnorm_running_stats_and_eval_match_torch(name):
    make, inputs = LAYERS[name]
    xm, tm = _run_pair(make(nn), make(tnn), inputs)
    xm.train()
    tm.train()
    a = rn(*inputs[0].shape)
    xm(xgrad.tensor(a))
    tm(torch.tensor(a))
    for key in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(np.asarray(xm.state_dict()[key].numpy()),
                                   tm.state_dict()[key].numpy(), rtol=1e-12)
    _run_pair(xm, tm, [rn(*inputs[0].shape)], train=False)


def test_maxpool_indices_match_torch():
    a = rn(2, 3, 7, 8)
    xo, xi = F.max_pool2d(xgrad.tensor(a), 3, 2, 1, 1, True, return_indices=True)
    to, ti = TF.max_pool2d(torch.tensor(a), 3, 2, 1, 1, True, return_indices=True)
    np.testing.assert_allclose(xo.numpy(), to.numpy())
    np.testing.assert_array_equal(xi.numpy(), ti.numpy())
    b = rn(2, 3, 9)
    xo, xi = F.max_pool1d(xgrad.tensor(b), 2, return_indices=True)
    to, ti = TF.max_pool1d(torch.tensor(b), 2, return_indices=True)
    np.testing.assert_array_equal(xi.numpy(), ti.numpy())


def test_embedding_matches_torch_with_padding_idx():
    xm, tm = nn.Embedding(6, 3, padding_idx=2), tnn.Embedding(6, 3, padding_idx=2)
    idx = np.array([[0, 2, 5], [2, 1, 1]])
    _run_pair(xm, tm, [idx])
    assert np.all(xm.weight.grad.numpy()[2] == 0)


# ---- losses --------------------------------------------------------------------------------
def _loss_pair(xfn, tfn, arrays, grad_idx=(0,)):
    xs = [xgrad.tensor(a, requires_grad=(i in grad_idx)) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, requires_grad=(i in grad_idx)) for i, a in enumerate(arrays)]
    xo, to = xfn(*xs), tfn(*ts)
    np.testing.assert_allclose(_x(xo), to.detach().numpy(), rtol=1e-9, atol=1e-12)
    g = np.random.default_rng(2).standard_normal(tuple(to.shape))
    xo.backward(xgrad.tensor(g))
    to.backward(torch.tensor(g))
    for i in grad_idx:
        np.testing.assert_allclose(_x(xs[i].grad), ts[i].grad.numpy(), rtol=1e-8, atol=1e-12)


REDUCTIONS = ["mean", "sum", "none"]
logits = rn(5, 4)
cls = np.array([0, 3, 1, 1, 2])
cls_ign = np.array([0, -100, 1, 3, -100])
probs = np.exp(rn(5, 4))
probs = probs / probs.sum(1, keepdims=True)
w4 = np.abs(rn(4)) + 0.1


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", [
    "plain", "weight", "ignore", "weight_ignore", "smooth", "smooth_weight_ignore", "probs",
    "probs_smooth_weight", "nd", "nd_weight_ignore_smooth", "unbatched"])
def test_cross_entropy_matches_torch(case, reduction):
    kw = {"reduction": reduction}
    x, t = logits, cls
    if "weight" in case:
        kw["weight"] = w4
    if "ignore" in case:
        t = cls_ign
    if "smooth" in case:
        kw["label_smoothing"] = 0.2
    if case.startswith("probs"):
        t = probs
    if case.startswith("nd"):
        x = rn(2, 4, 3, 2)
        t = np.array([[[0, 1], [3, 2], [1, 1]], [[2, -100], [0, 3], [-100, 1]]])
        if "ignore" not in case:
            t = np.abs(t) % 4
    if case == "unbatched":
        x, t = rn(4), np.array(2)
    wt = kw.pop("weight", None)

    def xf(a, b):
        return nn.CrossEntropyLoss(weight=None if wt is None else xgrad.tensor(wt), **kw)(a, b)

    def tf(a, b):
        return tnn.CrossEntropyLoss(weight=None if wt is None else torch.tensor(wt), **kw)(a, b)

    _loss_pair(xf, tf, [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", ["plain", "weight_ignore", "nd"])
def test_nll_loss_matches_torch(case, reduction):
    x = np.log(probs)
    t = cls_ign if "ignore" in case else cls
    w = w4 if "weight" in case else None
    if case == "nd":
        x, t = rn(2, 4, 3), np.array([[0, 1, 3], [2, 2, 0]])
    _loss_pair(lambda a, b: F.nll_loss(a, b, None if w is None else xgrad.tensor(w),
                                       reduction=reduction),
               lambda a, b: TF.nll_loss(a, b, None if w is None else torch.tensor(w),
                                        reduction=reduction), [x, t])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse", "l1", "smooth_l1", "smooth_l1_b0", "huber", "bce",
                                  "bce_w", "bcel", "bcel_pw", "kl", "kl_log"])
def test_pointwise_losses_match_torch(name, reduction):
    a, b = rn(3, 4) * 2, rn(3, 4)
    w = np.abs(rn(3, 4))
    pw = np.abs(rn(4)) + 0.5
    if name == "mse":
        pair = (nn.MSELoss(reduction=reduction), tnn.MSELoss(reduction=reduction))
    elif name == "l1":
        pair = (nn.L1Loss(reduction=reduction), tnn.L1Loss(reduction=reduction))
    elif name == "smooth_l1":
        pair = (nn.SmoothL1Loss(reduction=reduction, beta=0.5),
                tnn.SmoothL1Loss(reduction=reduction, beta=0.5))
    elif name == "smooth_l1_b0":
        pair = (nn.SmoothL1Loss(reduction=reduction, beta=0.0),
                tnn.SmoothL1Loss(reduction=reduction, beta=0.0))
    elif name == "huber":
        pair = (nn.HuberLoss(reduction=reduction, delta=0.7),
                tnn.HuberLoss(reduction=reduction, delta=0.7))
    elif name.startswith("bce") and not name.startswith("bcel"):
        a, b = 1 / (1 + np.exp(-a)), (rn(3, 4) > 0).astype(float)
        wx = xgrad.tensor(w) if name == "bce_w" else None
        wt = torch.tensor(w) if name == "bce_w" else None
        pair = (nn.BCELoss(wx, reduction=reduction), tnn.BCELoss(wt, reduction=reduction))
    elif name.startswith("bcel"):
        b = 1 / (1 + np.exp(-b))
        a = a * 20
        pwx = xgrad.tensor(pw) if name == "bcel_pw" else None
        pwt = torch.tensor(pw) if name == "bcel_pw" else None
        pair = (nn.BCEWithLogitsLoss(xgrad.tensor(w), reduction=reduction, pos_weight=pwx),
                tnn.BCEWithLogitsLoss(torch.tensor(w), reduction=reduction, pos_weight=pwt))
    else:
        a = np.log(probs)
        b = probs if name == "kl" else np.log(probs)
        b = b.copy()
        if name == "kl":
            b[0, 0] = 0.0
        red = "batchmean" if reduction == "mean" else reduction
        pair = (nn.KLDivLoss(reduction=red, log_target=name == "kl_log"),
                tnn.KLDivLoss(reduction=red, log_target=name == "kl_log"))
    _loss_pair(pair[0], pair[1], [a, b], grad_idx=(0, 1) if name != "kl" else (0,))


# ---- functional extras ---------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_matches_torch(mode):
    a = rn(2, 3, 4, 5)
    pads = (1, 2, 2, 1) if mode != "constant" else (1, -1, 2, 0, 0, 1)
    kw = {"value": 1.5} if mode == "constant" else {}
    _loss_pair(lambda x: F.pad(x, pads, mode, **kw), lambda x: TF.pad(x, pads, mode, **kw), [a])


@pytest.mark.parametrize("kw", [
    {"size": (5, 7), "mode": "nearest"}, {"scale_factor": 2, "mode": "nearest"},
    {"scale_factor": 0.5, "mode": "nearest"}, {"size": (5, 7), "mode": "bilinear"},
    {"size": (2, 9), "mode": "bilinear", "align_corners": True},
    {"size": (2, 9), "mode": "bilinear", "align_corners": False},
    {"scale_factor": 1.5, "mode": "bilinear"}, {"size": (5, 7), "mode": "nearest-exact"}])
def test_interpolate_matches_torch(kw):
    a = rn(2, 2, 4, 5)
    _loss_pair(lambda x: F.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), [a])


def test_interpolate_linear_1d_matches_torch():
    a = rn(2, 2, 5)
    _loss_pair(lambda x: F.interpolate(x, size=8, mode="linear"),
               lambda x: TF.interpolate(x, size=8, mode="linear"), [a])


def test_normalize_cosine_one_hot_match_torch():
    a, b = rn(3, 4), rn(3, 4)
    _loss_pair(lambda x: F.normalize(x, p=3, dim=0), lambda x: TF.normalize(x, p=3, dim=0), [a])
    _loss_pair(lambda x, y: F.cosine_similarity(x, y), lambda x, y: TF.cosine_similarity(x, y),
               [a, b], grad_idx=(0, 1))
    t = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(xgrad.tensor(t), 5).numpy(),
                                  TF.one_hot(torch.tensor(t), 5).numpy())
    np.testing.assert_array_equal(F.one_hot(xgrad.tensor(t)).numpy(),
                                  TF.one_hot(torch.tensor(t)).numpy())


def test_repr_matches_torch():
    def build(m):
        return m.Sequential(
            m.Conv2d(1, 4, 3, padding=1), m.BatchNorm2d(4), m.ReLU(inplace=True),
            m.MaxPool2d(2), m.Conv2d(4, 4, 3, stride=2, groups=2, bias=False, dilation=2),
            m.AvgPool2d(2), m.AdaptiveAvgPool2d((1, 1)), m.Flatten(), m.Dropout(0.25),
            m.Linear(4, 3), m.LayerNorm(3), m.GroupNorm(1, 3), m.GELU("tanh"), m.LeakyReLU(0.2),
            m.ModuleList([m.Linear(3, 3) for _ in range(3)] + [m.Tanh()]),
            m.ModuleDict({"a": m.Softmax(dim=1), "b": m.Softplus()}), m.Embedding(5, 2,
                                                                                padding_idx=0),
            m.ConvTranspose2d(2, 3, 3, stride=2, output_padding=1), m.Conv1d(2, 3, 3),
            m.MaxPool1d(2), m.AvgPool1d(3), m.Bilinear(2, 3, 4), m.BatchNorm1d(3),
            m.ELU(), m.Hardtanh(), m.LogSoftmax(1), m.Unflatten(1, (2, 2)), m.Identity(),
            m.SiLU(), m.Mish(), m.Sigmoid(), m.CrossEntropyLoss(), m.MSELoss(), m.Conv2d(
                2, 2, 3, padding="same", padding_mode="reflect"), m.HuberLoss())
    assert repr(build(nn)) == repr(build(tnn))


def test_state_dict_loads_into_torch_and_back():
    def build(m):
        return m.Sequential(m.Conv2d(1, 2, 3), m.BatchNorm2d(2), m.Flatten(), m.Linear(8, 3))
    xm, tm = build(nn), build(tnn)
    sd = {k: torch.from_numpy(np.array(v.numpy())) for k, v in xm.state_dict().items()}
    tm.load_state_dict(sd)
    tm2 = build(tnn)
    xm2 = build(nn)
    res = xm2.load_state_dict({k: xgrad.tensor(v.numpy()) for k, v in tm2.state_dict().items()})
    assert res.missing_keys == [] and res.unexpected_keys == []
    for k, v in tm2.state_dict().items():
        np.testing.assert_allclose(xm2.state_dict()[k].numpy(), v.numpy())


@pytest.mark.parametrize("name", ["conv1d", "conv2d", "conv2d_groups", "convT2d", "bilinear",
                                  "maxpool2d_pad_dil", "avgpool2d_ceil", "adaptive_avg", "bn2d",
                                  "layernorm", "groupnorm", "gelu", "mish"])
def test_layer_matches_torch_on_reference_backend(name):
    make, inputs = LAYERS[name]
    _run_pair(make(nn), make(tnn), inputs, backend="reference")


def test_embedding_max_norm_renormalises_rows_like_torch():
    w = rn(5, 3) * 2
    idx = np.array([[0, 2], [2, 4]])
    te = tnn.Embedding(5, 3, max_norm=1.0).double()
    xe = nn.Embedding(5, 3, max_norm=1.0).double()
    with torch.no_grad():
        te.weight.copy_(torch.tensor(w))
    with xgrad.no_grad():
        xe.weight.copy_(xgrad.tensor(w))
    to, xo = te(torch.tensor(idx)), xe(xgrad.tensor(idx))
    np.testing.assert_allclose(_x(xo), to.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(_x(xe.weight), te.weight.detach().numpy(), rtol=1e-12)
