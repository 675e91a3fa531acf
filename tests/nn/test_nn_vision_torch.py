"""3-d convolution and pooling, adaptive max pooling, fold/unfold, pixel (un)shuffle and
interpolate/Upsample against PyTorch: same float64 inputs and weights, outputs, input
gradients, parameter gradients, returned indices and error texts."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn
import xgrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _pair_call(xf, tf, arrays, backend="numpy", **kw):
    """Call ``xf``/``tf`` on the same arrays; compare the output and every input gradient."""
    xs = [xgrad.tensor(a, device=backend, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    xo, to = xf(*xs, **kw), tf(*ts, **kw)
    if isinstance(to, tuple):
        np.testing.assert_array_equal(xo[1].numpy(), to[1].numpy())
        xo, to = xo[0], to[0]
    assert tuple(xo.shape) == tuple(to.shape)
    np.testing.assert_allclose(xo.detach().numpy(), to.detach().numpy(), rtol=1e-9, atol=1e-11)
    g = np.random.default_rng(5).standard_normal(tuple(to.shape))
    xo.backward(xgrad.tensor(g, device=backend))
    to.backward(torch.from_numpy(g))
    for xa, ta in zip(xs, ts):
        np.testing.assert_allclose(xa.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-11)


def _module_pair(xm, tm, a, backend="numpy", **call):
    xm = xm.double().to(backend)
    tm = tm.double()
    with torch.no_grad():
        for k, v in xm.state_dict().items():
            tm.state_dict()[k].copy_(torch.from_numpy(np.array(v.numpy())))
    assert set(xm.state_dict()) == set(tm.state_dict())
    x = xgrad.tensor(a, device=backend, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    xo, to = xm(x, **call), tm(t, **call)
    np.testing.assert_allclose(xo.detach().numpy(), to.detach().numpy(), rtol=1e-9, atol=1e-11)
    g = np.random.default_rng(6).standard_normal(tuple(to.shape))
    xo.backward(xgrad.tensor(g, device=backend))
    to.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-11)
    tp = dict(tm.named_parameters())
    for name, p in xm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=name)


def _same_error(xf, tf):
    with pytest.raises(Exception) as te:
        tf()
    with pytest.raises(type(te.value)) as xe:
        xf()
    assert str(xe.value) == str(te.value)


# ---- conv3d -----------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [
    {}, {"stride": (2, 1, 2), "padding": (1, 0, 2), "dilation": (1, 2, 1), "groups": 2},
    {"padding": "same", "dilation": 2}, {"padding": "valid", "stride": 2},
])
def test_conv3d_matches_torch(rng, kw, backend):
    g = kw.get("groups", 1)
    x = rng.standard_normal((2, 4, 5, 6, 5))
    w = rng.standard_normal((6, 4 // g, 3, 2, 3))
    b = rng.standard_normal(6)
    _pair_call(F.conv3d, TF.conv3d, [x, w, b], backend, **kw)


def test_conv3d_unbatched_and_errors(rng):
    x, w = rng.standard_normal((3, 4, 4, 4)), rng.standard_normal((2, 3, 2, 2, 2))
    _pair_call(F.conv3d, TF.conv3d, [x, w])
    _same_error(lambda: F.conv3d(xgrad.randn(2, 3, 4, 4, 4), xgrad.randn(2, 2, 1, 1, 1)),
                lambda: TF.conv3d(torch.randn(2, 3, 4, 4, 4), torch.randn(2, 2, 1, 1, 1)))
    _same_error(lambda: F.conv3d(xgrad.randn(2, 3, 2, 2, 2), xgrad.randn(2, 3, 3, 3, 3)),
                lambda: TF.conv3d(torch.randn(2, 3, 2, 2, 2), torch.randn(2, 3, 3, 3, 3)))


@pytest.mark.parametrize("kw", [
    {}, {"stride": (2, 1, 3), "padding": (1, 0, 1), "output_padding": (1, 0, 2),
         "dilation": (1, 2, 1)},
    {"groups": 2, "stride": 2},
])
def test_conv_transpose3d_matches_torch(rng, kw):
    g = kw.get("groups", 1)
    x = rng.standard_normal((2, 4, 3, 4, 3))
    w = rng.standard_normal((4, 6 // g, 3, 2, 3))
    b = rng.standard_normal(6)
    _pair_call(F.conv_transpose3d, TF.conv_transpose3d, [x, w, b], **kw)


@pytest.mark.parametrize("kw", [{"padding": 1, "stride": (1, 2, 1)},
                                {"padding_mode": "reflect", "padding": 1},
                                {"groups": 2, "bias": False, "dilation": (2, 1, 1)}])
def test_conv3d_module_matches_torch(rng, kw):
    _module_pair(nn.Conv3d(4, 6, (3, 2, 2), **kw), torch.nn.Conv3d(4, 6, (3, 2, 2), **kw),
                 rng.standard_normal((2, 4, 5, 4, 5)))


def test_conv_transpose3d_module_with_output_size(rng):
    xm = nn.ConvTranspose3d(3, 2, 3, stride=2, padding=1)
    tm = torch.nn.ConvTranspose3d(3, 2, 3, stride=2, padding=1)
    _module_pair(xm, tm, rng.standard_normal((1, 3, 3, 4, 3)), output_size=(6, 8, 5))
    with pytest.raises(ValueError, match="requested an output size of"):
        xm(xgrad.randn(1, 3, 3, 4, 3, dtype=xgrad.float64), output_size=(9, 8, 5))


# ---- 3-d and adaptive pooling -------------------------------------------------------------
@pytest.mark.parametrize("kw", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": (2, 3, 2), "stride": (1, 2, 3), "dilation": (2, 1, 1)},
])
def test_max_pool3d_values_indices_and_grad(rng, kw, backend):
    x = rng.standard_normal((2, 3, 5, 6, 7))
    _pair_call(F.max_pool3d, TF.max_pool3d, [x], backend, return_indices=True, **kw)


def test_max_pool3d_ties_route_the_gradient_to_the_first_maximum():
    a = np.zeros((1, 1, 2, 2, 2))
    _pair_call(F.max_pool3d, TF.max_pool3d, [a], kernel_size=2, return_indices=True)


@pytest.mark.parametrize("kw", [
    {"kernel_size": 2}, {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
    {"kernel_size": 2, "divisor_override": 3},
])
def test_avg_pool3d_matches_torch(rng, kw):
    _pair_call(F.avg_pool3d, TF.avg_pool3d, [rng.standard_normal((2, 3, 5, 6, 7))], **kw)


def test_pool3d_modules_and_errors(rng):
    a = rng.standard_normal((2, 3, 4, 5, 6))
    _module_pair(nn.MaxPool3d(2, 1, 1), torch.nn.MaxPool3d(2, 1, 1), a)
    _module_pair(nn.AvgPool3d(3, 2, 1), torch.nn.AvgPool3d(3, 2, 1), a)
    assert repr(nn.MaxPool3d(2)) == repr(torch.nn.MaxPool3d(2))
    assert repr(nn.AvgPool3d(2)) == repr(torch.nn.AvgPool3d(2))
    _same_error(lambda: F.max_pool3d(xgrad.randn(2, 3, 4, 4, 4), 2, padding=2),
                lambda: TF.max_pool3d(torch.randn(2, 3, 4, 4, 4), 2, padding=2))


@pytest.mark.parametrize("size", [(3, 4), (5, 6), (4, None), 2, (7, 7)])
def test_adaptive_max_pool2d_matches_torch(rng, size, backend):
    _pair_call(F.adaptive_max_pool2d, TF.adaptive_max_pool2d,
               [rng.standard_normal((2, 3, 5, 7))], backend, output_size=size,
               return_indices=True)


def test_adaptive_pool1d_and_modules(rng):
    a = rng.standard_normal((2, 3, 7))
    _pair_call(F.adaptive_max_pool1d, TF.adaptive_max_pool1d, [a], output_size=3,
               return_indices=True)
    _pair_call(F.adaptive_avg_pool1d, TF.adaptive_avg_pool1d, [a], output_size=4)
    _pair_call(F.adaptive_avg_pool1d, TF.adaptive_avg_pool1d, [a[0]], output_size=5)
    _module_pair(nn.AdaptiveMaxPool1d(4), torch.nn.AdaptiveMaxPool1d(4), a)
    _module_pair(nn.AdaptiveAvgPool1d(3), torch.nn.AdaptiveAvgPool1d(3), a)
    _module_pair(nn.AdaptiveMaxPool2d((2, 3)), torch.nn.AdaptiveMaxPool2d((2, 3)), a)
    xo, xi = nn.AdaptiveMaxPool2d(2, return_indices=True)(xgrad.tensor(a))
    to, ti = torch.nn.AdaptiveMaxPool2d(2, return_indices=True)(torch.tensor(a))
    np.testing.assert_array_equal(xi.numpy(), ti.numpy())
    _same_error(lambda: F.adaptive_max_pool1d(xgrad.randn(3, 4, 4, 4), 2),
                lambda: TF.adaptive_max_pool1d(torch.randn(3, 4, 4, 4), 2))
    _same_error(lambda: F.adaptive_max_pool2d(xgrad.randn(3, 4), 2),
                lambda: TF.adaptive_max_pool2d(torch.randn(3, 4), 2))
    _same_error(lambda: F.adaptive_avg_pool1d(xgrad.randn(3, 4, 4, 4), 2),
                lambda: TF.adaptive_avg_pool1d(torch.randn(3, 4, 4, 4), 2))


# ---- fold / unfold / pixel shuffle ---------------------------------------------------------
FOLD_ARGS = [{"kernel_size": 3}, {"kernel_size": (2, 3), "dilation": (2, 1), "padding": (1, 2),
                                  "stride": (2, 3)}, {"kernel_size": 2, "stride": 2}]


@pytest.mark.parametrize("kw", FOLD_ARGS)
def test_unfold_and_fold_match_torch(rng, kw, backend):
    x = rng.standard_normal((2, 3, 7, 8))
    _pair_call(F.unfold, TF.unfold, [x], backend, **kw)
    _pair_call(F.unfold, TF.unfold, [x[0]], backend, **kw)
    cols = TF.unfold(torch.tensor(x), **kw)
    c = rng.standard_normal(tuple(cols.shape))
    _pair_call(F.fold, TF.fold, [c], backend, output_size=(7, 8), **kw)
    _pair_call(F.fold, TF.fold, [c[0]], backend, output_size=(7, 8), **kw)


def test_fold_is_the_adjoint_of_unfold(rng):
    x = rng.standard_normal((1, 2, 6, 5))
    y = rng.standard_normal(tuple(TF.unfold(torch.tensor(x), 3, padding=1, stride=2).shape))
    lhs = (F.unfold(xgrad.tensor(x), 3, padding=1, stride=2).numpy() * y).sum()
    rhs = (x * F.fold(xgrad.tensor(y), (6, 5), 3, padding=1, stride=2).numpy()).sum()
    assert abs(lhs - rhs) < 1e-10


def test_fold_unfold_modules_and_errors(rng):
    a = rng.standard_normal((2, 3, 6, 6))
    _module_pair(nn.Unfold(2, padding=1), torch.nn.Unfold(2, padding=1), a)
    _module_pair(nn.Fold((5, 4), 2), torch.nn.Fold((5, 4), 2), rng.standard_normal((2, 12, 12)))
    assert repr(nn.Fold(3, 2)) == repr(torch.nn.Fold(3, 2))
    assert repr(nn.Unfold(2, 1, 1, 2)) == repr(torch.nn.Unfold(2, 1, 1, 2))
    for shape, k in (((2, 3, 4, 4, 4), 2), ((1, 2, 4, 4), 5)):
        _same_error(lambda s=shape, k=k: F.unfold(xgrad.randn(*s), k),
                    lambda s=shape, k=k: TF.unfold(torch.randn(*s), k))
    for shape in ((2, 5, 9), (2, 8, 8), (2, 8, 8, 1)):
        _same_error(lambda s=shape: F.fold(xgrad.randn(*s), (4, 4), 2),
                    lambda s=shape: TF.fold(torch.randn(*s), (4, 4), 2))


def test_pixel_shuffle_and_unshuffle(rng, backend):
    a = rng.standard_normal((2, 8, 3, 4))
    _pair_call(F.pixel_shuffle, TF.pixel_shuffle, [a], backend, upscale_factor=2)
    _pair_call(F.pixel_shuffle, TF.pixel_shuffle, [a[0]], backend, upscale_factor=2)
    _pair_call(F.pixel_unshuffle, TF.pixel_unshuffle, [rng.standard_normal((2, 1, 3, 6, 9))],
               backend, downscale_factor=3)
    _module_pair(nn.PixelShuffle(2), torch.nn.PixelShuffle(2), a)
    _module_pair(nn.PixelUnshuffle(2), torch.nn.PixelUnshuffle(2), rng.standard_normal((1, 2, 4, 6)))
    assert repr(nn.PixelShuffle(3)) == repr(torch.nn.PixelShuffle(3))
    for f, tf, shape in ((F.pixel_shuffle, TF.pixel_shuffle, (2, 3)),
                         (F.pixel_shuffle, TF.pixel_shuffle, (2, 5, 3, 3)),
                         (F.pixel_unshuffle, TF.pixel_unshuffle, (2, 5, 3, 4)),
                         (F.pixel_unshuffle, TF.pixel_unshuffle, (2, 5, 4, 3))):
        _same_error(lambda f=f, s=shape: f(xgrad.randn(*s), 2),
                    lambda tf=tf, s=shape: tf(torch.randn(*s), 2))


# ---- interpolate / Upsample ----------------------------------------------------------------
_MODES = {1: ["nearest", "nearest-exact", "area", "linear"],
          2: ["nearest", "nearest-exact", "area", "bilinear", "bicubic"],
          3: ["nearest", "nearest-exact", "area", "trilinear"]}
_SIZES = [{"size": (7, 3, 9)}, {"size": (2, 11, 4)}, {"scale_factor": 2.5},
          {"scale_factor": (0.5, 1.7, 3.0)}, {"scale_factor": 0.7, "recompute_scale_factor": True},
          {"scale_factor": 1.3, "recompute_scale_factor": False}]


@pytest.mark.parametrize("nd,mode", [(n, m) for n, ms in _MODES.items() for m in ms])
def test_interpolate_matches_torch(rng, nd, mode):
    a = rng.standard_normal((2, 3) + (5, 6, 4)[:nd])
    corners = [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]
    for kw in _SIZES:
        kw = {k: (v[:nd] if isinstance(v, tuple) else v) for k, v in kw.items()}
        for ac in corners:
            _pair_call(F.interpolate, TF.interpolate, [a], mode=mode, align_corners=ac, **kw)


def test_interpolate_float32_nearest_index_rounding_matches_torch():
    a = np.arange(2 * 3 * 37, dtype=np.float32).reshape(2, 3, 37)
    for size in (5, 29, 61, 100):
        np.testing.assert_array_equal(
            F.interpolate(xgrad.tensor(a), size=size).numpy(),
            TF.interpolate(torch.tensor(a), size=size).numpy())


@pytest.mark.parametrize("call", [
    lambda m, x: m.interpolate(x.randn(1, 2, 4), size=3, mode="bilinear"),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), size=3, mode="linear"),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), size=3, mode="trilinear"),
    lambda m, x: m.interpolate(x.randn(1, 2), size=3),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4, 4, 4), size=3),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), size=(3,)),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), scale_factor=(2, 3, 4)),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), size=3, scale_factor=2),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4)),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), size=3, mode="foo"),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), size=3, align_corners=True),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), size=3, mode="area", align_corners=False),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), size=3, recompute_scale_factor=True),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), size=3, antialias=True),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4), size=0),
    lambda m, x: m.interpolate(x.randn(1, 2, 4, 4, 4), scale_factor=0.1),
])
def test_interpolate_errors_match_torch(call):
    _same_error(lambda: call(F, xgrad), lambda: call(TF, torch))


def test_upsample_modules_match_torch(rng):
    a = rng.standard_normal((1, 2, 3, 4))
    for xm, tm in ((nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
                   (nn.Upsample(size=(5, 7), mode="bicubic", align_corners=True),
                    torch.nn.Upsample(size=(5, 7), mode="bicubic", align_corners=True)),
                   (nn.UpsamplingNearest2d(scale_factor=3), torch.nn.UpsamplingNearest2d(
                       scale_factor=3)),
                   (nn.UpsamplingBilinear2d(size=6), torch.nn.UpsamplingBilinear2d(size=6))):
        assert repr(xm) == repr(tm)
        _module_pair(xm, tm, a)
