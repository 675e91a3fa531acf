"""Every view/alias program of the conformance suite gives PyTorch's answer (values,
gradients, strides, errors) on the numpy and reference backends."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad
from xgrad.conformance.views import VIEW_PROGRAMS

torch = pytest.importorskip("torch")


def _plain(v):
    if isinstance(v, (xgrad.Tensor, torch.Tensor)):
        return np.asarray(v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else v.numpy())
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def _same(got, want, path="result"):
    if isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{path}: got {got!r}, want an array"
        assert got.shape == want.shape, f"{path}: shape {got.shape} != {want.shape}"
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6, err_msg=path)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want), f"{path}: {got!r} != {want!r}"
        for i, (g, w) in enumerate(zip(got, want)):
            _same(g, w, f"{path}[{i}]")
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


@pytest.mark.parametrize("name", sorted(VIEW_PROGRAMS))
def test_view_program_matches_torch(backend, name):
    want = _plain(VIEW_PROGRAMS[name](torch, "cpu"))
    got = _plain(VIEW_PROGRAMS[name](xgrad, backend))
    _same(got, want, name)
