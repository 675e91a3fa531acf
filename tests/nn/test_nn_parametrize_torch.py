"""nn.utils.parametrize / parametrizations (weight_norm, spectral_norm) and the older
nn.utils.weight_norm against PyTorch: state_dict keys (loaded across both ways), forward
values, input and parameter gradients, removal, and the parametrization API itself."""
from __future__ import annotations

import copy

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn
from xgrad.nn.utils import parametrizations as XP
from xgrad.nn.utils import parametrize as XZ

torch = pytest.importorskip("torch")
TP, TZ = torch.nn.utils.parametrizations, torch.nn.utils.parametrize


def _load_into_torch(xm, tm):
    assert list(xm.state_dict()) == list(tm.state_dict())
    tm.load_state_dict({k: torch.tensor(v.numpy()) for k, v in xm.state_dict().items()})


def _compare(xm, tm, a):
    x = xgrad.tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    xo, to = xm(x), tm(t)
    np.testing.assert_allclose(xo.detach().numpy(), to.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(3).standard_normal(tuple(to.shape))
    xo.backward(xgrad.tensor(g))
    to.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    tp = dict(tm.named_parameters())
    assert [n for n, _ in xm.named_parameters()] == list(tp)
    for name, p in xm.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), tp[name].grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=name)
    xm.zero_grad()
    tm.zero_grad()


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.Linear(3, 4), (2, 3)), (lambda m: m.Conv2d(2, 3, 2), (1, 2, 4, 4))])
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization_matches_torch(rng, make, shape, dim):
    xm, tm = make(nn).double(), make(torch.nn).double()
    XP.weight_norm(xm, dim=dim)
    TP.weight_norm(tm, dim=dim)
    assert type(xm).__name__ == type(tm).__name__
    _load_into_torch(xm, tm)
    _compare(xm, tm, rng.standard_normal(shape))
    XZ.remove_parametrizations(xm, "weight")
    TZ.remove_parametrizations(tm, "weight")
    assert type(xm) is type(make(nn)) and list(xm.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(xm.weight.detach().numpy(), tm.weight.detach().numpy(),
                               rtol=1e-12)


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.Linear(3, 5), (2, 3)), (lambda m: m.ConvTranspose2d(3, 2, 2), (1, 3, 3, 3)),
    (lambda m: m.Conv1d(2, 4, 3), (2, 2, 6))])
def test_spectral_norm_matches_torch_in_training_and_eval(rng, make, shape):
    xm, tm = make(nn).double(), make(torch.nn).double()
    XP.spectral_norm(xm)
    TP.spectral_norm(tm)
    _load_into_torch(xm, tm)  # copies the power-iteration vectors _u/_v too
    for train in (True, True, False):
        xm.train(train)
        tm.train(train)
        _compare(xm, tm, rng.standard_normal(shape))
    for k, v in tm.state_dict().items():
        np.testing.assert_allclose(xm.state_dict()[k].numpy(), v.numpy(), rtol=1e-9, atol=1e-12)
    xm.train()
    for _ in range(300):  # converges as (s2/s1)**(2k): close top singular values need many
        xm(xgrad.tensor(rng.standard_normal(shape)))
    xm.eval()
    w = xm.weight.detach().numpy()
    dim = 1 if isinstance(xm, nn.ConvTranspose2d) else 0
    mat = np.moveaxis(w, dim, 0).reshape(w.shape[dim], -1)
    top = np.linalg.svd(mat, compute_uv=False)[0]
    assert abs(top - 1.0) < 1e-5  # power iteration converged: largest singular value 1


def test_checkpoints_load_from_torch(rng):
    tm = TP.weight_norm(torch.nn.Linear(3, 2).double())
    xm = XP.weight_norm(nn.Linear(3, 2).double())
    xm.load_state_dict({k: xgrad.tensor(v.detach().numpy()) for k, v in tm.state_dict().items()})
    _compare(xm, tm, rng.standard_normal((4, 3)))


class _Double(nn.Module):
    def forward(self, x):
        return 2 * x

    def right_inverse(self, x):
        return x / 2


class _Symmetric(nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT


def test_register_parametrization_api():
    m = nn.Linear(3, 3)
    w = m.weight.detach().clone()
    XZ.register_parametrization(m, "weight", _Double())
    assert XZ.is_parametrized(m) and XZ.is_parametrized(m, "weight")
    assert not XZ.is_parametrized(m, "bias")
    assert XZ.type_before_parametrizations(m) is nn.Linear
    np.testing.assert_allclose(m.parametrizations.weight.original.detach().numpy(),
                               w.numpy() / 2, rtol=1e-6)
    np.testing.assert_allclose(m.weight.detach().numpy(), w.numpy(), rtol=1e-6)
    XZ.register_parametrization(m, "weight", _Symmetric())  # chains after the first
    s = m.weight.detach().numpy()
    np.testing.assert_allclose(s, s.T)
    with XZ.cached():
        assert m.weight is m.weight
    assert m.weight is not m.weight
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        m.weight = xgrad.zeros(3, 3)
    XZ.remove_parametrizations(m, "weight", leave_parametrized=True)
    assert type(m) is nn.Linear and "parametrizations" not in dict(m.named_children())
    np.testing.assert_allclose(m.weight.detach().numpy(), s)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        XZ.remove_parametrizations(m, "weight")
    m2 = nn.Linear(2, 2)
    XZ.register_parametrization(m2, "weight", _Double())
    m2.weight = xgrad.ones(2, 2)  # assignment goes through right_inverse
    np.testing.assert_allclose(m2.parametrizations.weight.original.detach().numpy(), 0.5)
    c = copy.deepcopy(m2)
    np.testing.assert_allclose(c.weight.detach().numpy(), 1.0)
    with pytest.raises(ValueError, match="may not change the shape"):
        XZ.register_parametrization(nn.Linear(2, 3), "weight", _Flat())
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        XZ.register_parametrization(nn.Linear(2, 3), "nope", _Double())


class _Flat(nn.Module):
    def forward(self, x):
        return x.reshape(-1)


def test_legacy_weight_norm_matches_torch(rng):
    xm, tm = nn.Conv2d(2, 3, 2).double(), torch.nn.Conv2d(2, 3, 2).double()
    with pytest.warns(FutureWarning, match="deprecated in favor of"):
        nn.utils.weight_norm(xm, dim=1)
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(tm, dim=1)
    _load_into_torch(xm, tm)
    _compare(xm, tm, rng.standard_normal((1, 2, 4, 4)))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"), \
            pytest.warns(FutureWarning):
        nn.utils.weight_norm(xm)
    nn.utils.remove_weight_norm(xm)
    torch.nn.utils.remove_weight_norm(tm)
    assert list(xm.state_dict()) == list(tm.state_dict())
    np.testing.assert_allclose(xm.weight.detach().numpy(), tm.weight.detach().numpy(),
                               rtol=1e-12)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        nn.utils.remove_weight_norm(xm)


def test_nn_modules_alias_package():
    from xgrad.nn.modules import Linear, Module
    from xgrad.nn.modules.batchnorm import _BatchNorm
    from xgrad.nn.modules.conv import Conv3d
    from xgrad.nn.modules.loss import _Loss

    assert Module is nn.Module and Linear is nn.Linear and Conv3d is nn.Conv3d
    assert issubclass(nn.MSELoss, _Loss) and issubclass(nn.BatchNorm2d, _BatchNorm)
    for name in ("container", "pooling", "rnn", "transformer", "instancenorm", "upsampling"):
        mod = getattr(nn.modules, name)
        tmod = getattr(torch.nn.modules, name)
        for cls in mod.__all__:
            if not cls.startswith("_"):
                assert hasattr(tmod, cls), (name, cls)
