"""Dropout1d/2d/3d and F.dropout1d/2d/3d against PyTorch: whole channels dropped per sample,
survivors scaled by 1/(1-p), gradients through the same mask, identity in eval, and
PyTorch's errors, warnings and reprs."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn
import xgrad.nn.functional as F

torch = pytest.importorskip("torch")

CASES = [("dropout1d", "Dropout1d", (6, 40, 5)), ("dropout1d", "Dropout1d", (40, 5)),
         ("dropout2d", "Dropout2d", (6, 40, 3, 2)), ("dropout3d", "Dropout3d", (6, 40, 2, 2, 2)),
         ("dropout3d", "Dropout3d", (40, 2, 2, 2))]


@pytest.mark.parametrize("fn,cls,shape", CASES)
def test_channels_are_dropped_whole_and_scaled(fn, cls, shape):
    p = 0.4
    x = xgrad.ones(*shape, requires_grad=True)
    y = getattr(F, fn)(x, p, training=True)
    t = getattr(torch.nn.functional, fn)(torch.ones(*shape), p, training=True)
    assert tuple(y.shape) == tuple(t.shape)
    batched = len(shape) == {"dropout1d": 3, "dropout2d": 4, "dropout3d": 5}[fn]
    lead = 2 if batched else 1
    for out in (y.detach().numpy(), t.numpy()):
        per_channel = out.reshape(int(np.prod(shape[:lead])), -1)
        assert set(np.unique(per_channel).tolist()) <= {0.0, float(np.float32(1 / (1 - p)))}
        # every channel is all-kept or all-dropped
        assert (per_channel.min(1) == per_channel.max(1)).all()
        assert 0.15 < (per_channel[:, 0] == 0).mean() < 0.65
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.detach().numpy())
    xm, tm = getattr(nn, cls)(p), getattr(torch.nn, cls)(p)
    assert repr(xm) == repr(tm)
    xm.eval()
    np.testing.assert_array_equal(xm(x).detach().numpy(), x.detach().numpy())
    assert getattr(F, fn)(x, 1.0).abs().sum().item() == 0.0
    np.testing.assert_array_equal(getattr(F, fn)(x, p, training=False).detach().numpy(),
                                  x.detach().numpy())


def test_errors_and_warnings_match_torch():
    for fn, shape in [("dropout1d", (2, 3, 4, 5)), ("dropout2d", (5,))]:
        with pytest.raises(RuntimeError) as want:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(torch.nn.functional, fn)(torch.ones(*shape))
        with pytest.raises(RuntimeError, match=re.escape(str(want.value))):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                getattr(F, fn)(xgrad.ones(*shape))
    for bad in (-0.1, 1.5):
        with pytest.raises(ValueError, match=re.escape(f"but got {bad}")):
            F.dropout2d(xgrad.ones(2, 2, 2, 2), bad)
        with pytest.raises(ValueError, match=re.escape(f"but got {bad}")):
            nn.Dropout3d(bad)
    for fn, shape in [("dropout2d", (2, 3, 4)), ("dropout2d", (2, 3)), ("dropout3d", (2, 3, 4))]:
        with warnings.catch_warnings(record=True) as want:
            warnings.simplefilter("always")
            getattr(torch.nn.functional, fn)(torch.ones(*shape))
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always")
            getattr(F, fn)(xgrad.ones(*shape))
        assert [str(w.message) for w in got] == [str(w.message) for w in want]


def test_inplace_modifies_input():
    x = xgrad.ones(4, 30, 2, 2)
    y = nn.Dropout2d(0.5, inplace=True)(x)
    assert y is x and (x == 0).any().item()
