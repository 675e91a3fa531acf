"""Anomaly detection and profiler names against PyTorch as an oracle."""
from __future__ import annotations

import re

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")


def _torch_anomaly_function(build) -> str:
    x = torch.tensor([0.0, 1.0, 4.0], requires_grad=True)
    with pytest.warns(UserWarning), torch.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            build(x).sum().backward()
    return re.search(r"Function '(\w+)' returned nan values in its (\d+)th output", str(info.value)).groups()


def _xgrad_anomaly_function(build) -> str:
    x = xgrad.tensor([0.0, 1.0, 4.0], requires_grad=True)
    with xgrad.autograd.detect_anomaly():
        with pytest.raises(RuntimeError) as info:
            build(x).sum().backward()
    return re.search(r"Function '(\w+)' returned nan values in its (\d+)th output", str(info.value)).groups()


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("build", [
    lambda x: x.sqrt() * 0,       # 0 * 1/(2*sqrt(0)) = nan in SqrtBackward0
    lambda x: (x * 3).sqrt().sqrt().mul(0).tanh(),  # nan first in the outer SqrtBackward0
], ids=["sqrt", "sqrt-chain"])
def test_backward_nan_names_same_function_as_torch(build):
    assert _xgrad_anomaly_function(build) == _torch_anomaly_function(build)


def test_profiler_counts_match_torch_backward_nodes():
    xs = np.linspace(-1, 1, 6).reshape(2, 3)

    def build(lib, x, w):
        return (x @ w).tanh().sum()

    tw = torch.tensor(np.ones((3, 2)), requires_grad=True)
    tx = torch.tensor(xs, requires_grad=True)
    with torch.profiler.profile() as tprof:
        build(torch, tx, tw).backward()
    t_bwd = sorted(e.key for e in tprof.key_averages()
                   if re.fullmatch(r"[A-Za-z]+Backward0", e.key))

    xw = xgrad.tensor(np.ones((3, 2)), requires_grad=True)
    xx = xgrad.tensor(xs, requires_grad=True)
    with xgrad.profiler.profile() as xprof:
        build(xgrad, xx, xw).backward()
    x_bwd = sorted(e.key for e in xprof.key_averages() if e.phase == "backward")
    assert x_bwd == t_bwd == ["MmBackward0", "SumBackward0", "TanhBackward0"]
