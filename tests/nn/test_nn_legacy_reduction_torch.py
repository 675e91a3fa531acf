"""The legacy ``size_average``/``reduce`` arguments of the losses (yunjey's VAE tutorial
passes ``size_average=False``) against PyTorch: the reduction they select, the values and
PyTorch's deprecation warning."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import xgrad
import xgrad.nn as nn
import xgrad.nn.functional as F

torch = pytest.importorskip("torch")

rng = np.random.default_rng(0)
P = rng.uniform(0.1, 0.9, (4, 3))
Q = rng.uniform(0.1, 0.9, (4, 3))
COMBOS = [dict(size_average=False), dict(size_average=True), dict(reduce=False),
          dict(size_average=False, reduce=True), dict(reduce=True)]
LOSSES = [("mse_loss", "MSELoss"), ("l1_loss", "L1Loss"),
          ("binary_cross_entropy", "BCELoss"), ("smooth_l1_loss", "SmoothL1Loss")]


def _messages(record):
    return [str(w.message) for w in record if issubclass(w.category, UserWarning)]


@pytest.mark.parametrize("fn,cls", LOSSES)
@pytest.mark.parametrize("kw", COMBOS, ids=[str(c) for c in COMBOS])
def test_legacy_arguments_match_torch(fn, cls, kw):
    with warnings.catch_warnings(record=True) as want_w:
        warnings.simplefilter("always")
        want = getattr(torch.nn.functional, fn)(torch.tensor(P), torch.tensor(Q), **kw)
        want_m = getattr(torch.nn, cls)(**kw)
    with warnings.catch_warnings(record=True) as got_w:
        warnings.simplefilter("always")
        got = getattr(F, fn)(xgrad.tensor(P), xgrad.tensor(Q), **kw)
        got_m = getattr(nn, cls)(**kw)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)
    assert got_m.reduction == want_m.reduction
    assert _messages(got_w) == _messages(want_w) and len(_messages(got_w)) == 2


def test_no_warning_without_legacy_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.mse_loss(xgrad.tensor(P), xgrad.tensor(Q), reduction="sum")
        nn.BCELoss(reduction="none")
