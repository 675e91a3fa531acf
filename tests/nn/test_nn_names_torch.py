"""The nn names added for real programs against torch: F.prelu/selu/celu/glu/hardswish/
hardsigmoid/logsigmoid/softmin/rms_norm/pairwise_distance/conv_transpose1d and the margin,
embedding and likelihood losses (values and gradients in float64), alpha dropout's
statistics, the layers' forward with copied parameters, their reprs and errors."""
from __future__ import annotations

import functools
import itertools

import numpy as np
import pytest
import xgrad
import xgrad.nn as xnn
import xgrad.nn.functional as XF

torch = pytest.importorskip("torch")
import torch.nn as tnn  # noqa: E402
import torch.nn.functional as TF  # noqa: E402

rng = np.random.default_rng(2)


def _arr(spec):
    if isinstance(spec, tuple):
        return rng.standard_normal(spec)
    return np.asarray(spec, dtype=np.float64)


# torch's CPU backward kernels of these use float32 constants (1/6, 1/alpha) even in float64
GRAD_RTOL = {"celu": 1e-6, "hardsigmoid": 1e-7, "Hardsigmoid()": 1e-7, "CELU(alpha=0.5)": 1e-7}


def _check(call, specs, grads=None, rtol=1e-12, grad_rtol=1e-10):
    """``call(F, *tensors)`` under both libraries on equal float64 inputs (``specs``: a shape
    for random values, else fixed values); values and the gradients of ``grads`` (indices;
    default every random input) must agree."""
    arrays = [_arr(s) for s in specs]
    grads = [i for i, s in enumerate(specs) if isinstance(s, tuple)] if grads is None else grads
    xs = [xgrad.tensor(a, dtype=xgrad.float64, requires_grad=i in grads) for i, a in enumerate(arrays)]
    ts = [torch.tensor(a, dtype=torch.float64, requires_grad=i in grads) for i, a in enumerate(arrays)]
    got, want = call(XF, *xs), call(TF, *ts)
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=rtol, atol=1e-14)
    w = rng.standard_normal(tuple(want.shape))
    (got * xgrad.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    for i in grads:
        np.testing.assert_allclose(xs[i].grad.numpy(), ts[i].grad.numpy(), rtol=grad_rtol,
                                   atol=1e-13)


SIGNS = [1.0, -1.0, -1.0, 1.0]
FUNCTIONAL = {
    "prelu.channels": (lambda F, a, w: F.prelu(a, w), [(2, 3, 4), (3,)]),
    "prelu.one": (lambda F, a, w: F.prelu(a, w), [(5,), (1,)]),
    "selu": (lambda F, a: F.selu(a), [(3, 4)]),
    "celu": (lambda F, a: F.celu(a, alpha=0.6), [(3, 4)]),
    "glu": (lambda F, a: F.glu(a), [(3, 4)]),
    "glu.dim0": (lambda F, a: F.glu(a, 0), [(4, 3)]),
    "hardswish": (lambda F, a: F.hardswish(a * 3), [(3, 5)]),
    "hardsigmoid": (lambda F, a: F.hardsigmoid(a * 3), [(3, 5)]),
    "logsigmoid": (lambda F, a: F.logsigmoid(a * 20), [(3, 5)]),
    "softmin": (lambda F, a: F.softmin(a, dim=1), [(3, 5)]),
    "softmin.dtype": (lambda F, a: F.softmin(a, 0, dtype=a.dtype), [(3, 5)]),
    "rms_norm": (lambda F, a, w: F.rms_norm(a, (4,), w), [(2, 3, 4), (4,)]),
    "rms_norm.2d": (lambda F, a: F.rms_norm(a, [3, 4], eps=1e-3), [(2, 3, 4)]),
    "pairwise_distance": (lambda F, a, b: F.pairwise_distance(a, b), [(3, 4), (3, 4)]),
    "pairwise_distance.p1": (lambda F, a, b: F.pairwise_distance(a, b, 1.0, keepdim=True),
                             [(3, 4), (4,)]),
    "pairwise_distance.1d": (lambda F, a, b: F.pairwise_distance(a, b, 3), [(4,), (4,)]),
    "conv_transpose1d": (lambda F, a, w, b: F.conv_transpose1d(a, w, b, stride=2, padding=1,
                                                               output_padding=1),
                         [(2, 2, 5), (2, 3, 3), (3,)]),
    "conv_transpose1d.groups": (lambda F, a, w: F.conv_transpose1d(a, w, groups=2, dilation=2),
                                [(1, 4, 5), (4, 1, 3)]),
    "conv_transpose1d.unbatched": (lambda F, a, w: F.conv_transpose1d(a, w), [(2, 5), (2, 3, 2)]),
    "margin_ranking_loss": (lambda F, a, b, y: F.margin_ranking_loss(a, b, y, margin=0.2),
                            [(4,), (4,), SIGNS]),
    "margin_ranking_loss.none": (lambda F, a, b, y: F.margin_ranking_loss(a, b, y, reduction="none"),
                                 [(4,), (4,), SIGNS]),
    "hinge_embedding_loss": (lambda F, a, y: F.hinge_embedding_loss(a, y, margin=1.5),
                             [(4,), SIGNS]),
    "soft_margin_loss": (lambda F, a, y: F.soft_margin_loss(a, y, reduction="sum"), [(4,), SIGNS]),
    "multilabel_soft_margin_loss": (lambda F, a, y, w: F.multilabel_soft_margin_loss(a, y, w),
                                    [(2, 3), [[1, 0, 1], [0, 0, 1]], (3,)]),
    "multilabel_soft_margin_loss.none": (
        lambda F, a, y: F.multilabel_soft_margin_loss(a, y, reduction="none"),
        [(2, 3), [[1, 0, 1], [0, 1, 1]]]),
    "cosine_embedding_loss": (lambda F, a, b, y: F.cosine_embedding_loss(a, b, y, margin=-0.5),
                              [(4, 3), (4, 3), SIGNS]),
    "cosine_embedding_loss.1d": (lambda F, a, b, y: F.cosine_embedding_loss(a, b, y),
                                 [(3,), (3,), 1.0]),
    "triplet_margin_loss": (lambda F, a, p, n: F.triplet_margin_loss(a, p, n, margin=3.0),
                            [(3, 4), (3, 4), (3, 4)]),
    "triplet_margin_loss.swap": (lambda F, a, p, n: F.triplet_margin_loss(
        a, p, n, margin=3.0, p=1, swap=True, reduction="none"), [(3, 4), (3, 4), (3, 4)]),
    "poisson_nll_loss": (lambda F, a, y: F.poisson_nll_loss(a, y), [(2, 3), [[0, 1, 2], [3, 0, 5]]]),
    "poisson_nll_loss.full": (lambda F, a, y: F.poisson_nll_loss(a.exp(), y, log_input=False,
                                                                 full=True, reduction="sum"),
                              [(2, 3), [[0, 1, 2], [3, 0, 5]]]),
    "gaussian_nll_loss": (lambda F, a, y, v: F.gaussian_nll_loss(a, y, v.exp()),
                          [(2, 3), (2, 3), (2, 3)]),
    "gaussian_nll_loss.full": (lambda F, a, y, v: F.gaussian_nll_loss(a, y, v.exp(), full=True,
                                                                      reduction="none"),
                               [(2, 3), (2, 3), (2,)]),
    "gaussian_nll_loss.clamped": (lambda F, a, y, v: F.gaussian_nll_loss(a, y, v.abs() * 1e-4, eps=1e-3),
                                  [(2, 3), (2, 3), (2, 1)]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_matches_torch(name):
    call, specs = FUNCTIONAL[name]
    _check(call, specs, grad_rtol=GRAD_RTOL.get(name, 1e-10))


def test_selu_celu_inplace_and_softmin_warning_match_torch():
    a = rng.standard_normal((3, 4))
    for fn in ("selu", "celu", "hardswish", "hardsigmoid"):
        x, t = xgrad.tensor(a), torch.tensor(a)
        assert getattr(XF, fn)(x, inplace=True) is x
        getattr(TF, fn)(t, inplace=True)
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-12)
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        got = XF.softmin(xgrad.tensor(a))
    with pytest.warns(UserWarning):
        want = TF.softmin(torch.tensor(a))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


def test_alpha_dropout_keeps_selu_statistics_and_its_two_affine_values():
    # x from a stream of its own: drawn from the mask's stream (seed 0, as a test before may
    # leave the generator), x and the mask are correlated and the statistics are off by 7%
    xgrad.manual_seed(1)
    x = xgrad.randn(200_000, dtype=xgrad.float64)
    xgrad.manual_seed(0)
    y = XF.alpha_dropout(x, 0.2, training=True)
    assert abs(float(y.mean())) < 0.01 and abs(float(y.std()) - 1.0) < 0.01
    alpha, p = 1.7580993408473766, 0.2
    a = ((alpha * alpha * p + 1) * (1 - p)) ** -0.5
    kept = np.isclose(y.numpy(), a * x.numpy() + alpha * a * p)
    dropped = np.isclose(y.numpy(), alpha * a * (p - 1))
    assert np.all(kept | dropped) and abs(dropped.mean() - p) < 0.01
    assert XF.alpha_dropout(x, 0.5) is x  # training=False by default
    assert not np.any(XF.alpha_dropout(x, 1.0, True).numpy())
    t = torch.randn(3)
    for p in (-0.1, 1.5):
        with pytest.raises(ValueError) as want:
            TF.alpha_dropout(t, p)
        with pytest.raises(ValueError, match=str(want.value)):
            XF.alpha_dropout(xgrad.tensor(t.numpy()), p)


def _copy_params(xm, tm):
    for (name, p), (tname, tp) in zip(xm.named_parameters(), tm.named_parameters()):
        assert name == tname
        with xgrad.no_grad():
            p.copy_(xgrad.tensor(tp.detach().numpy()))


LAYERS = [
    (lambda m: m.PReLU(), (2, 3)), (lambda m: m.PReLU(3, init=0.1), (2, 3, 4)),
    (lambda m: m.SELU(), (2, 3)), (lambda m: m.CELU(0.5), (2, 3)), (lambda m: m.GLU(0), (4, 3)),
    (lambda m: m.Hardswish(), (2, 3)), (lambda m: m.Hardsigmoid(), (2, 3)),
    (lambda m: m.LogSigmoid(), (2, 3)), (lambda m: m.Softmin(1), (2, 3)),
    (lambda m: m.ConstantPad1d(2, 3.5), (1, 2, 3)),
    (lambda m: m.ConstantPad2d((1, 2, 0, 1), -1.0), (1, 2, 3)),
    (lambda m: m.ConstantPad3d(1, 0.5), (1, 2, 2, 2)), (lambda m: m.ZeroPad1d((0, 2)), (2, 3)),
    (lambda m: m.ZeroPad2d((1, 2, 3, 4)), (1, 2, 3)), (lambda m: m.ZeroPad3d(1), (1, 1, 2, 2, 2)),
    (lambda m: m.ReflectionPad1d(2), (1, 2, 4)), (lambda m: m.ReflectionPad2d((1, 1, 2, 0)), (1, 1, 3, 3)),
    (lambda m: m.ReflectionPad3d(1), (1, 1, 2, 3, 3)), (lambda m: m.ReplicationPad1d((3, 1)), (1, 2, 3)),
    (lambda m: m.ReplicationPad2d(1), (1, 1, 2, 3)), (lambda m: m.ReplicationPad3d((1, 0, 0, 1, 2, 0)),
                                                      (1, 1, 2, 2, 2)),
    (lambda m: m.BatchNorm3d(2), (3, 2, 2, 1, 2)),
    (lambda m: m.ConvTranspose1d(2, 3, 3, stride=2, padding=1, output_padding=1), (2, 2, 4)),
    (lambda m: m.ConvTranspose1d(2, 4, 3, groups=2, bias=False, dilation=2), (1, 2, 5)),
    (lambda m: m.RMSNorm(4), (2, 3, 4)), (lambda m: m.RMSNorm([3, 4], eps=1e-5,
                                                             elementwise_affine=False), (2, 3, 4)),
    (lambda m: m.AlphaDropout(0.3), (2, 3)),
]


@pytest.mark.parametrize("i", range(len(LAYERS)))
def test_layers_match_torch_forward_backward_and_repr(i):
    make, shape = LAYERS[i]
    xm, tm = make(xnn).double(), make(tnn).double()
    assert repr(xm) == repr(tm)
    _copy_params(xm, tm)
    if isinstance(tm, tnn.AlphaDropout):
        xm.eval()
        tm.eval()
    a = rng.standard_normal(shape)
    x = xgrad.tensor(a, dtype=xgrad.float64, requires_grad=True)
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    got, want = xm(x), tm(t)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-14)
    w = rng.standard_normal(tuple(want.shape))
    (got * xgrad.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=GRAD_RTOL.get(repr(tm), 1e-10),
                               atol=1e-13)
    for (_, p), (_, tp) in zip(xm.named_parameters(), tm.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_distance_and_loss_modules_match_torch():
    a, b, c = (rng.standard_normal((3, 4)) for _ in range(3))
    y = np.array([1.0, -1.0, 1.0])
    pairs = [
        (lambda m: m.CosineSimilarity(), (a, b)), (lambda m: m.CosineSimilarity(0, 1e-6), (a, b)),
        (lambda m: m.PairwiseDistance(1.0, keepdim=True), (a, b)),
        (lambda m: m.MarginRankingLoss(0.5, reduction="sum"), (a[:, 0], b[:, 0], y)),
        (lambda m: m.HingeEmbeddingLoss(2.0), (a[:, 0], y)),
        (lambda m: m.SoftMarginLoss(), (a[:, 0], y)),
        (lambda m: m.MultiLabelSoftMarginLoss(), (a, (b > 0) * 1.0)),
        (lambda m: m.CosineEmbeddingLoss(0.1), (a, b, y)),
        (lambda m: m.TripletMarginLoss(2.0, p=1.5, swap=True), (a, b, c)),
        (lambda m: m.PoissonNLLLoss(full=True), (a, np.abs(b) * 3)),
        (lambda m: m.GaussianNLLLoss(eps=1e-2), (a, b, np.abs(c))),
    ]
    for make, args in pairs:
        xm, tm = make(xnn), make(tnn)
        assert repr(xm) == repr(tm)
        got = xm(*(xgrad.tensor(v) for v in args))
        want = tm(*(torch.tensor(v) for v in args))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, err_msg=repr(tm))


def _raises_like(call):
    with pytest.raises(Exception) as want:
        call(TF, torch)
    with pytest.raises(type(want.value)) as got:
        call(XF, xgrad)
    # the texts may name the tensor class, which differs by library
    assert str(got.value).split("\n")[0].replace("xgrad.tensor.Tensor", "torch.Tensor") == \
        str(want.value).split("\n")[0]


ERRORS = [
    lambda F, m: F.prelu(m.ones(2, 4), m.ones(3)),
    lambda F, m: F.prelu(m.ones(2, 3), m.ones(1, 3)),
    lambda F, m: F.prelu(m.ones(3), m.ones(3)),
    lambda F, m: F.glu(m.ones(2, 3), 1),
    lambda F, m: F.glu(m.tensor(1.0)),
    lambda F, m: F.rms_norm(m.ones(2, 3), [4]),
    lambda F, m: F.triplet_margin_loss(m.ones(2, 3), m.ones(3), m.ones(2, 3)),
    lambda F, m: F.gaussian_nll_loss(m.ones(2, 3), m.ones(2, 3), m.ones(3)),
    lambda F, m: F.gaussian_nll_loss(m.ones(2, 3), m.ones(2, 3), -m.ones(2, 3)),
    lambda F, m: F.gaussian_nll_loss(m.ones(2, 3), m.ones(2, 3), m.ones(2, 3), reduction="x"),
    lambda F, m: F.poisson_nll_loss(m.ones(2), m.ones(2), reduction="bad"),
    lambda F, m: F.soft_margin_loss(m.ones(2), m.ones(2), reduction="bad"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_errors_match_torch(i):
    _raises_like(ERRORS[i])


def test_module_argument_errors_match_torch():
    for make in (functools.partial(tnn.TripletMarginLoss, margin=0.0),
                 functools.partial(tnn.ConvTranspose1d, 2, 2, 3, padding_mode="reflect"),
                 functools.partial(tnn.AlphaDropout, 1.5)):
        with pytest.raises(ValueError) as want:
            make()
        xmake = functools.partial(getattr(xnn, make.func.__name__), *make.args, **make.keywords)
        with pytest.raises(ValueError, match=str(want.value).replace("(", r"\(").replace(")", r"\)")):
            xmake()
    with pytest.raises(ValueError, match="expected 5D input"):
        xnn.BatchNorm3d(2)(xgrad.ones(2, 2, 3))


BAGS = [
    ({"mode": "mean"}, [1, 2, 4, 0, 2], [0, 2, 2]),
    ({"mode": "sum"}, [[1, 2], [4, 4], [0, 3]], None),
    ({"mode": "max"}, [3, 1, 0, 4, 4, 2], [0, 1, 1, 5]),
    ({"mode": "mean", "padding_idx": 2}, [2, 2, 1, 2, 0], [0, 2]),
    ({"mode": "max", "padding_idx": 0}, [0, 3, 0], [0, 1]),
    ({"mode": "sum", "include_last_offset": True}, [1, 2, 3, 4], [0, 1, 4]),
    ({"mode": "sum", "per_sample_weights": True}, [1, 2, 3, 4], [0, 3]),
    ({"mode": "mean", "max_norm": 1.0}, [1, 2, 3], [0, 1]),
]


@pytest.mark.parametrize("i", range(len(BAGS)))
def test_embedding_bag_matches_torch(i):
    kw, idx, offsets = BAGS[i]
    w = rng.standard_normal((5, 3))
    psw = rng.standard_normal(np.shape(idx)) if kw.get("per_sample_weights") else None
    xw, tw = xgrad.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    xkw, tkw = dict(kw), dict(kw)
    if psw is not None:
        xkw["per_sample_weights"] = xgrad.tensor(psw)
        tkw["per_sample_weights"] = torch.tensor(psw)
    xo = None if offsets is None else xgrad.tensor(offsets)
    to = None if offsets is None else torch.tensor(offsets)
    got = XF.embedding_bag(xgrad.tensor(idx), xw, xo, **xkw)
    want = TF.embedding_bag(torch.tensor(idx), tw, to, **tkw)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12, atol=1e-15)
    g = rng.standard_normal(tuple(want.shape))
    (got * xgrad.tensor(g)).sum().backward()
    (want * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(xw.grad.numpy(), tw.grad.numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(xw.detach().numpy(), tw.detach().numpy(), rtol=1e-12)  # max_norm


def test_embedding_bag_module_and_errors_match_torch():
    for kw in ({}, {"mode": "sum", "padding_idx": 0, "max_norm": 1.0}, {"mode": "max", "norm_type": 1.0}):
        xm, tm = xnn.EmbeddingBag(10, 3, **kw), tnn.EmbeddingBag(10, 3, **kw)
        assert repr(xm) == repr(tm)
        if "padding_idx" in kw:
            assert not np.any(xm.weight.detach().numpy()[0])
        _copy_params(xm, tm)
        idx = [[1, 0, 9], [4, 4, 2]]
        # float32 bag sums can cancel: an absolute floor of a few ulps of the inputs
        np.testing.assert_allclose(xm(xgrad.tensor(idx)).detach().numpy(),
                                   tm(torch.tensor(idx)).detach().numpy(), rtol=1e-6, atol=1e-6)
    w = np.ones((5, 2), np.float32)
    bad = [
        lambda F, m: F.embedding_bag(m.tensor([[1, 2], [3, 4]]), m.tensor(w), m.tensor([0])),
        lambda F, m: F.embedding_bag(m.tensor([1, 2, 3]), m.tensor(w)),
        lambda F, m: F.embedding_bag(m.tensor([1, 2, 3]), m.tensor(w), m.tensor([0, 1]), mode="foo"),
        lambda F, m: F.embedding_bag(m.tensor([1, 2, 3]), m.tensor(w), m.tensor([0, 1]), mode="max",
                                     per_sample_weights=m.ones(3)),
        lambda F, m: F.embedding_bag(m.tensor([1, 2, 3]), m.tensor(w), m.tensor([1, 2])),
    ]
    for call in bad:
        _raises_like(call)


MARGIN = [
    (lambda F, a: F.multi_margin_loss(a, torch_or_x(F).tensor([0, 3, 1])), (3, 4)),
    (lambda F, a: F.multi_margin_loss(a, torch_or_x(F).tensor([2, 2, 0]), p=2, margin=0.7,
                                      reduction="none"), (3, 4)),
    (lambda F, a: F.multi_margin_loss(a, torch_or_x(F).tensor([1, 0, 2]),
                                      weight=torch_or_x(F).tensor([0.5, 2.0, 1.0, 3.0]).double()),
     (3, 4)),
    (lambda F, a: F.multi_margin_loss(a, torch_or_x(F).tensor(1)), (4,)),
    (lambda F, a: F.multilabel_margin_loss(a, torch_or_x(F).tensor([[0, 1, -1, 2], [3, -1, 0, 0],
                                                                      [2, 1, 0, 3]])), (3, 4)),
    (lambda F, a: F.multilabel_margin_loss(a, torch_or_x(F).tensor([[-1, 1, 2, 0], [1, 3, 2, -1]]),
                                           reduction="sum"), (2, 4)),
    (lambda F, a: F.multilabel_margin_loss(a, torch_or_x(F).tensor([2, 0, -1])), (3,)),
]


def torch_or_x(F):
    return torch if F is TF else xgrad


@pytest.mark.parametrize("i", range(len(MARGIN)))
def test_multi_margin_losses_match_torch(i):
    call, shape = MARGIN[i]
    _check(call, [shape])


def test_multi_margin_modules_and_errors_match_torch():
    a, y = rng.standard_normal((3, 4)), np.array([0, 2, 3])
    for make in (lambda m: m.MultiMarginLoss(), lambda m: m.MultiMarginLoss(p=2, margin=0.5)):
        xm, tm = make(xnn), make(tnn)
        assert repr(xm) == repr(tm)
        np.testing.assert_allclose(xm(xgrad.tensor(a), xgrad.tensor(y)).numpy(),
                                   tm(torch.tensor(a), torch.tensor(y)).numpy(), rtol=1e-12)
    t = np.array([[3, 0, -1, 1]] * 3)
    assert repr(xnn.MultiLabelMarginLoss()) == repr(tnn.MultiLabelMarginLoss())
    np.testing.assert_allclose(xnn.MultiLabelMarginLoss()(xgrad.tensor(a), xgrad.tensor(t)).numpy(),
                               tnn.MultiLabelMarginLoss()(torch.tensor(a), torch.tensor(t)).numpy(),
                               rtol=1e-12)
    bad = [
        lambda F, m: F.multi_margin_loss(m.ones(3, 4), m.tensor([0, 1, 5])),
        lambda F, m: F.multi_margin_loss(m.ones(3, 4), m.tensor([0, 1, 2]), p=3),
        lambda F, m: F.multi_margin_loss(m.ones(3, 4), m.tensor([0, 1])),
        lambda F, m: F.multi_margin_loss(m.ones(3, 4), m.tensor([0.0, 1.0, 2.0])),
        lambda F, m: F.multi_margin_loss(m.ones(3, 4), m.tensor([0, 1, 2]), weight=m.ones(3)),
        lambda F, m: F.multilabel_margin_loss(m.ones(3, 4), m.tensor([[0, 1]] * 3)),
        lambda F, m: F.multilabel_margin_loss(m.ones(3, 4), m.tensor([[0, 7, -1, 2]] * 3)),
    ]
    for call in bad:
        _raises_like(call)


CTC = [  # targets, input lengths, target lengths
    ([[1, 2, 2], [3, 1, 0], [2, 0, 0]], [6, 5, 4], [3, 2, 1]),
    ([1, 2, 2, 3, 1, 2], [6, 6, 3], [3, 2, 1]),  # concatenated 1-d targets
    ([[1, 1, 1], [2, 2, 2], [3, 0, 0]], [6, 4, 2], [3, 3, 1]),  # sample 1 cannot align
    ([[1, 2], [1, 2], [1, 2]], [6, 6, 6], [0, 1, 2]),  # an empty target
]


@pytest.mark.parametrize("case,reduction,zero_inf", list(itertools.product(
    range(len(CTC)), ("mean", "sum", "none"), (False, True))))
def test_ctc_loss_matches_torch(case, reduction, zero_inf):
    tg, il, tl = CTC[case]
    z = rng.standard_normal((6, 3, 4))
    x, t = xgrad.tensor(z, requires_grad=True), torch.tensor(z, requires_grad=True)
    got = XF.ctc_loss(XF.log_softmax(x, 2), xgrad.tensor(tg), il, tl, reduction=reduction,
                      zero_infinity=zero_inf)
    want = TF.ctc_loss(TF.log_softmax(t, 2), torch.tensor(tg), torch.tensor(il), torch.tensor(tl),
                       reduction=reduction, zero_infinity=zero_inf)
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy(), rtol=1e-12)
    if not np.all(np.isfinite(want.detach().numpy())):
        return
    # through log_softmax: torch's backward of ctc_loss itself returns the gradient of the
    # logits a log_softmax produced them from (its sum over classes is 0), xgrad's the
    # derivative in log_probs; the logits' gradients agree
    w = rng.standard_normal(tuple(want.shape))
    (got * xgrad.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_ctc_module_unbatched_and_errors_match_torch():
    z = rng.standard_normal((5, 4))
    for kw in ({}, {"blank": 3, "reduction": "sum", "zero_infinity": True}):
        xm, tm = xnn.CTCLoss(**kw), tnn.CTCLoss(**kw)
        assert repr(xm) == repr(tm)
        tg = [1, 2] if not kw else [0, 2]
        got = xm(XF.log_softmax(xgrad.tensor(z), 1), xgrad.tensor(tg), 5, 2)
        want = tm(TF.log_softmax(torch.tensor(z), 1), torch.tensor(tg), torch.tensor(5),
                  torch.tensor(2))
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    lp = np.log(np.full((3, 1, 3), 1 / 3, np.float32))
    bad = [
        lambda F, m: F.ctc_loss(m.tensor(lp), m.tensor([[1, 2]]), m.tensor([4]), m.tensor([2])),
        lambda F, m: F.ctc_loss(m.tensor(lp), m.tensor([[1, 2]]), m.tensor([3]), m.tensor([3])),
        lambda F, m: F.ctc_loss(m.tensor(lp).half(), m.tensor([[1]]), m.tensor([3]), m.tensor([1])),
    ]
    for call in bad:
        _raises_like(call)
