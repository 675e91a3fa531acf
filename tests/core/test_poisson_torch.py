"""xgrad.poisson: draws whose frequencies match the Poisson pmf (inversion below rate 10,
PTRS above), reproducible under a seeded generator, in the input's dtype; PyTorch's errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

N = 200_000


@pytest.mark.parametrize("rate", [0.3, 2.0, 9.5, 10.0, 37.0, 800.0])
def test_frequencies_match_the_pmf(rate):
    g = xgrad.Generator().manual_seed(1)
    s = xgrad.poisson(xgrad.full((N,), rate, dtype=xgrad.float64), generator=g).numpy()
    assert np.all(s == np.round(s)) and s.min() >= 0
    sd = math.sqrt(rate / N)
    assert abs(s.mean() - rate) < 5 * sd
    assert abs(s.var() / rate - 1) < 5 * math.sqrt(2 / N) + 0.01
    lo, hi = int(max(0, rate - 3 * math.sqrt(rate))), int(rate + 3 * math.sqrt(rate)) + 1
    for k in range(lo, hi + 1, max(1, (hi - lo) // 12)):
        pmf = math.exp(-rate + k * math.log(rate) - math.lgamma(k + 1))
        freq = np.mean(s == k)
        assert abs(freq - pmf) < 5 * math.sqrt(pmf * (1 - pmf) / N) + 1e-4, (k, freq, pmf)


def test_mixed_rates_seed_dtype_and_zero_match_torch_semantics():
    rates = np.array([[0.0, 0.5, 3.0], [12.0, 100.0, 0.0]], np.float32)
    a = xgrad.poisson(xgrad.tensor(rates), generator=xgrad.Generator().manual_seed(5))
    b = xgrad.poisson(xgrad.tensor(rates), generator=xgrad.Generator().manual_seed(5))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    want = torch.poisson(torch.tensor(rates))
    assert str(a.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
    assert a.shape == tuple(want.shape) and np.all(a.numpy()[rates == 0] == 0)
    x = xgrad.tensor(rates, requires_grad=True)
    assert not xgrad.poisson(x).requires_grad  # no gradient (PyTorch's is zero)


def test_errors_match_torch():
    for bad in ([-1.0], [float("nan")]):
        with pytest.raises(RuntimeError) as want:
            torch.poisson(torch.tensor(bad))
        with pytest.raises(RuntimeError, match=str(want.value)):
            xgrad.poisson(xgrad.tensor(bad))
    with pytest.raises(NotImplementedError) as want:
        torch.poisson(torch.tensor([1, 2]))
    with pytest.raises(NotImplementedError, match=str(want.value).replace('"', '.')):
        xgrad.poisson(xgrad.tensor([1, 2]))
