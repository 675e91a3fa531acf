"""InstanceNorm1d/2d/3d, F.instance_norm, LocalResponseNorm against PyTorch (float64):
outputs, input and affine-parameter gradients, running statistics, state_dict keys,
reprs and error texts."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn
import xgrad.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _copy(xm, tm):
    assert list(xm.state_dict()) == list(tm.state_dict())
    with torch.no_grad():
        for k, v in xm.state_dict().items():
            tm.state_dict()[k].copy_(torch.from_numpy(np.array(v.numpy())))


def _compare(xm, tm, a, backend="numpy"):
    x = xgrad.tensor(a, device=backend, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    xo, to = xm(x), tm(t)
    np.testing.assert_allclose(xo.detach().numpy(), to.detach().numpy(), rtol=1e-9, atol=1e-11)
    g = np.random.default_rng(2).standard_normal(tuple(to.shape))
    xo.backward(xgrad.tensor(g, device=backend))
    to.backward(torch.from_numpy(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-10)
    tp = dict(tm.named_parameters())
    for name, p in xm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-8, atol=1e-10)
    for name, b in xm.named_buffers():
        np.testing.assert_allclose(b.numpy(), dict(tm.named_buffers())[name].numpy(),
                                   rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("cls,shape", [("InstanceNorm1d", (2, 3, 6)), ("InstanceNorm1d", (3, 6)),
                                       ("InstanceNorm2d", (2, 3, 4, 5)),
                                       ("InstanceNorm2d", (3, 4, 5)),
                                       ("InstanceNorm3d", (2, 3, 2, 3, 4))])
@pytest.mark.parametrize("affine,track", [(False, False), (True, False), (True, True),
                                          (False, True)])
def test_instance_norm_modules_match_torch(rng, backend, cls, shape, affine, track):
    xm = getattr(nn, cls)(3, affine=affine, track_running_stats=track, momentum=0.3)
    tm = getattr(torch.nn, cls)(3, affine=affine, track_running_stats=track, momentum=0.3)
    xm, tm = xm.double().to(backend), tm.double()
    if affine:
        with xgrad.no_grad():
            xm.weight.copy_(xgrad.tensor(rng.standard_normal(3)))
            xm.bias.copy_(xgrad.tensor(rng.standard_normal(3)))
    _copy(xm, tm)
    assert repr(xm) == repr(tm)
    for _ in range(2):  # training updates the running stats
        _compare(xm, tm, rng.standard_normal(shape) * 2 + 1, backend)
    xm.eval()
    tm.eval()  # eval uses the running stats only when they are tracked
    _compare(xm, tm, rng.standard_normal(shape), backend)


def test_instance_norm_state_dict_loads_into_torch():
    xm = nn.InstanceNorm2d(4, affine=True, track_running_stats=True)
    tm = torch.nn.InstanceNorm2d(4, affine=True, track_running_stats=True)
    tm.load_state_dict({k: torch.from_numpy(np.array(v.numpy()))
                        for k, v in xm.state_dict().items()})
    assert list(nn.InstanceNorm1d(2).state_dict()) == []


def test_functional_instance_norm_matches_torch(rng):
    a = rng.standard_normal((2, 6, 5, 4))
    w, b = rng.standard_normal(6), rng.standard_normal(6)
    xr, xv = xgrad.zeros(6, dtype=xgrad.float64), xgrad.ones(6, dtype=xgrad.float64)
    tr, tv = torch.zeros(6, dtype=torch.float64), torch.ones(6, dtype=torch.float64)
    xo = F.instance_norm(xgrad.tensor(a), xr, xv, xgrad.tensor(w), xgrad.tensor(b), momentum=0.2)
    to = TF.instance_norm(torch.tensor(a), tr, tv, torch.tensor(w), torch.tensor(b),
                          momentum=0.2)
    np.testing.assert_allclose(xo.numpy(), to.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(xr.numpy(), tr.numpy(), rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(xv.numpy(), tv.numpy(), rtol=1e-9, atol=1e-14)
    xo = F.instance_norm(xgrad.tensor(a), xr, xv, use_input_stats=False)
    to = TF.instance_norm(torch.tensor(a), tr, tv, use_input_stats=False)
    np.testing.assert_allclose(xo.numpy(), to.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda m, n, x: m.instance_norm(x.randn(2, 3, 1)),
    lambda m, n, x: m.instance_norm(x.randn(2, 3)),
    lambda m, n, x: m.local_response_norm(x.randn(2, 3), 2),
    lambda m, n, x: n.InstanceNorm1d(3)(x.randn(2, 3, 4, 4)),
    lambda m, n, x: n.InstanceNorm3d(3)(x.randn(2, 3, 4)),
    lambda m, n, x: n.InstanceNorm2d(3, affine=True)(x.randn(2, 4, 4, 4)),
])
def test_norm_errors_match_torch(call):
    with pytest.raises(Exception) as te:
        call(TF, torch.nn, torch)
    with pytest.raises(type(te.value)) as xe:
        call(F, nn, xgrad)
    assert str(xe.value) == str(te.value).replace("torch.Size", "xgrad.Size")


def test_instance_norm_warns_on_a_channel_mismatch_without_affine():
    with pytest.warns(UserWarning, match="does not match num_features"):
        nn.InstanceNorm2d(3)(xgrad.randn(2, 4, 4, 4))


@pytest.mark.parametrize("size", [1, 2, 3, 5])
@pytest.mark.parametrize("shape", [(2, 6, 5), (2, 6, 4, 3), (1, 4, 2, 3, 2)])
def test_local_response_norm_matches_torch(rng, backend, size, shape):
    xm, tm = nn.LocalResponseNorm(size, 0.1, 0.6, 2.0), torch.nn.LocalResponseNorm(size, 0.1, 0.6,
                                                                                   2.0)
    assert repr(xm) == repr(tm)
    _compare(xm, tm, rng.standard_normal(shape), backend)
