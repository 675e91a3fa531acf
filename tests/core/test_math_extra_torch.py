"""log10, log2, exp2, tan, sinh, cosh, atan, asin, acos (and their arc* aliases), ceil,
trunc/fix and round (ties to even, decimals) against torch: values incl. signed zeros,
infinities and NaN, dtypes, gradients (inf at the ends of asin/acos) and errors."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy on inf and NaN

rng = np.random.default_rng(0)
REAL = np.concatenate([rng.uniform(-3, 3, 20), [0.0, -0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5,
                                                  1e-9, -1e-9, np.inf, -np.inf, np.nan]])
POS = np.concatenate([rng.uniform(0.01, 50, 20), [0.0, 1.0, 1e-30, np.inf, -1.0]])
UNIT = np.concatenate([rng.uniform(-1, 1, 20), [0.0, -0.0, 1.0, -1.0, 0.999999, 1.5, np.nan]])
OPS = {"atan": REAL, "arctan": REAL, "asin": UNIT, "arcsin": UNIT, "acos": UNIT,
       "arccos": UNIT, "log10": POS, "log2": POS, "exp2": REAL, "tan": REAL, "sinh": REAL, "cosh": REAL,
       "ceil": REAL, "trunc": REAL, "fix": REAL, "round": REAL}


def _same(x, t, rtol=1e-12):
    xa, ta = x.detach().numpy(), t.detach().numpy()
    assert str(x.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
    np.testing.assert_allclose(xa, ta, rtol=rtol, atol=1e-300)
    np.testing.assert_array_equal(np.signbit(xa[xa == 0]), np.signbit(ta[ta == 0]))


@pytest.mark.parametrize("name", sorted(OPS))
def test_values_and_gradients_match_torch(name):
    a = OPS[name]
    x = xgrad.tensor(a, dtype=xgrad.float64, requires_grad=True)
    t = torch.tensor(a, dtype=torch.float64, requires_grad=True)
    got, want = getattr(x, name)(), getattr(t, name)()
    _same(got, want)
    _same(getattr(xgrad, name)(x), getattr(torch, name)(t))
    finite = np.isfinite(want.detach().numpy())
    w = np.where(finite, rng.standard_normal(a.shape), 0.0)
    (got * xgrad.tensor(w)).sum().backward()
    (want * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", sorted(OPS))
def test_float32_and_integer_inputs_match_torch(name):
    a = np.array([-3, -1, 0, 2, 5])
    _same(getattr(xgrad.tensor(a), name)(), getattr(torch.tensor(a), name)(), rtol=2e-6)
    f = np.abs(OPS[name][:8]).astype(np.float32)
    _same(getattr(xgrad.tensor(f), name)(), getattr(torch.tensor(f), name)(), rtol=2e-6)


@pytest.mark.parametrize("decimals", [1, 2, -1, -2])
def test_round_decimals_matches_torch(decimals):
    a = np.concatenate([rng.uniform(-500, 500, 30), [0.25, 0.35, 125.0, -150.0, 0.05]])
    _same(xgrad.tensor(a).round(decimals=decimals), torch.tensor(a).round(decimals=decimals))
    with pytest.raises(NotImplementedError) as want:
        torch.tensor([1, 2]).round(decimals=decimals)
    with pytest.raises(NotImplementedError, match=str(want.value)):
        xgrad.tensor([1, 2]).round(decimals=decimals)
