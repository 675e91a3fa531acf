"""xgrad.multinomial / Tensor.multinomial: frequencies by chi-square, distinctness without
replacement, PyTorch's errors (torch as the oracle for error types and texts)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import xgrad

torch = pytest.importorskip("torch")

P = [0.1, 0.0, 0.2, 0.3, 0.4]


def _chi2(counts: np.ndarray, probs: np.ndarray) -> float:
    n = counts.sum()
    mask = probs > 0
    assert counts[~mask].sum() == 0, "a zero-probability category was drawn"
    exp = probs[mask] * n
    return float(((counts[mask] - exp) ** 2 / exp).sum())


@pytest.mark.parametrize("device", ["cpu", "reference"])
def test_with_replacement_frequencies(device):
    xgrad.manual_seed(1)
    n = 40000 if device == "cpu" else 4000
    p = xgrad.tensor([v * 3 for v in P], device=device)  # unnormalised
    draws = xgrad.multinomial(p, n, replacement=True)
    assert draws.shape == (n,) and draws.dtype is xgrad.int64
    counts = np.bincount(draws.numpy(), minlength=len(P))
    # 3 degrees of freedom (4 positive categories): p(chi2 > 16.3) ~ 0.001
    assert _chi2(counts, np.array(P)) < 16.3


def test_2d_rows_are_independent_distributions():
    xgrad.manual_seed(2)
    p = xgrad.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 3.0]])
    d = p.multinomial(2000, replacement=True).numpy()
    assert d.shape == (2, 2000)
    assert (d[0] == 0).all()
    assert set(np.unique(d[1])) <= {1, 2}
    assert abs((d[1] == 2).mean() - 0.75) < 0.05


def test_without_replacement_is_distinct_and_sequential():
    xgrad.manual_seed(3)
    p = xgrad.tensor([P] * 4000)
    d = xgrad.multinomial(p, 3).numpy()
    assert d.shape == (4000, 3)
    assert all(len(set(row)) == 3 for row in d)
    assert not (d == 1).any()  # zero probability, and enough positive categories
    probs = np.array(P)
    # the first draw follows p; the second follows p with the first removed
    assert _chi2(np.bincount(d[:, 0], minlength=5), probs) < 16.3
    exp2 = np.zeros(5)
    for i, j in itertools.permutations(range(5), 2):
        if probs[i] > 0:
            exp2[j] += probs[i] * probs[j] / (1 - probs[i])
    assert _chi2(np.bincount(d[:, 1], minlength=5), exp2) < 16.3
    # all categories requested: a permutation, zero-probability ones last
    full = xgrad.tensor(P).multinomial(5).numpy()
    assert sorted(full) == list(range(5)) and full[-1] == 1


def test_seeding_reproduces_and_generator_is_used():
    xgrad.manual_seed(7)
    a = xgrad.multinomial(xgrad.tensor(P), 3).tolist()
    xgrad.manual_seed(7)
    assert xgrad.multinomial(xgrad.tensor(P), 3).tolist() == a
    g = xgrad.Generator().manual_seed(5)
    b = xgrad.multinomial(xgrad.tensor(P), 50, True, generator=g).tolist()
    g.manual_seed(5)
    assert xgrad.multinomial(xgrad.tensor(P), 50, True, generator=g).tolist() == b


@pytest.mark.parametrize("data, n, repl", [
    ([-1.0, 2.0], 1, False), ([float("inf"), 1.0], 1, True), ([float("nan"), 1.0], 1, False),
    ([1.0, 2.0], 3, False), ([0.0, 0.0], 1, True), ([[1.0, 2.0], [0.0, 0.0]], 1, False),
    ([[[1.0, 2.0]]], 1, False), ([1.0, 2.0], 0, True), ([1.0, 2.0], -1, False), ([1, 2], 1, True),
    (5.0, 1, True),
])
def test_errors_match_torch(data, n, repl):
    with pytest.raises(RuntimeError) as te:
        torch.multinomial(torch.tensor(data), n, repl)
    with pytest.raises(RuntimeError) as xe:
        xgrad.multinomial(xgrad.tensor(data), n, repl)
    assert str(xe.value) == str(te.value)


def test_chunked_counting_gives_the_same_draws(monkeypatch):
    from xgrad import random as xrandom

    p = xgrad.tensor([[0.1, 0.2, 0.7, 0.0], [1.0, 1.0, 0.0, 2.0]])
    xgrad.manual_seed(11)
    whole = xgrad.multinomial(p, 64, True).tolist()
    monkeypatch.setattr(xrandom, "_MULTINOMIAL_CHUNK", 7)
    xgrad.manual_seed(11)
    assert xgrad.multinomial(p, 64, True).tolist() == whole
