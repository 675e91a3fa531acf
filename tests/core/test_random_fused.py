"""The fused random draws (``random_uniform``, ``random_normal``): the numpy backend's give
what the decomposition over ``random_bits`` gives, leave the generator where it leaves it,
and replace the primitive chain with one kernel call per draw (also under xgrad.compile)."""
from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
import xgrad
from xgrad.backend import FUSED_OPS, PRIMITIVES
from xgrad.backends import get_backend
from xgrad.ops.fusion import decomposed_only

DRAWS = {
    "rand": lambda dt: xgrad.rand(5, 7, dtype=dt),
    "randn": lambda dt: xgrad.randn(4, 9, dtype=dt),
    "dropout": lambda dt: xgrad.nn.functional.dropout(xgrad.ones(6, 5, dtype=dt), 0.4),
    "bernoulli": lambda dt: xgrad.bernoulli(xgrad.full((3, 4), 0.3, dtype=dt)),
    "normal_": lambda dt: xgrad.empty(3, 5, dtype=dt).normal_(1.0, 2.0),
}


def _draw(name, dt):
    xgrad.manual_seed(11)
    out = [DRAWS[name](dt).numpy().copy() for _ in range(2)]
    return out, xgrad.random.default_generator.get_state().tolist()


@pytest.mark.parametrize("dt", ["float16", "float32", "float64"])
@pytest.mark.parametrize("name", sorted(DRAWS))
def test_fused_draws_equal_the_decomposition(name, dt):
    dtype = getattr(xgrad, dt)
    fused, state = _draw(name, dtype)
    with decomposed_only():
        decomposed, state_d = _draw(name, dtype)
    assert state == state_d  # the counter moved by the same number of words
    for a, b in zip(fused, decomposed):
        assert a.dtype == b.dtype and a.shape == b.shape
        if name == "randn" or name == "normal_":  # transcendental: equal within rounding
            np.testing.assert_allclose(a, b, rtol=1e-3 if dt == "float16" else 1e-6)
        else:  # exact arithmetic on the words
            assert np.array_equal(a, b)


def _count(monkeypatch, fn):
    be = get_backend("numpy")
    seen: Counter = Counter()
    for name in set(PRIMITIVES) | set(FUSED_OPS):
        orig = getattr(be, name, None)
        if orig is None:
            continue

        def wrapped(*a, _n=name, _f=orig, **k):
            seen[_n] += 1
            return _f(*a, **k)
        monkeypatch.setattr(be, name, wrapped)
    fn()
    return seen


def test_one_kernel_per_draw(monkeypatch):
    fused = _count(monkeypatch, lambda: xgrad.randn(64, 3))
    assert fused == Counter({"random_normal": 1})
    assert _count(monkeypatch, lambda: xgrad.rand(8, dtype=xgrad.float64)) == Counter(
        {"random_uniform": 1})
    with decomposed_only():
        chain = _count(monkeypatch, lambda: xgrad.randn(64, 3))
    assert chain["random_bits"] == 2 and sum(chain.values()) >= 15


def test_compiled_dropout_replays_the_fused_draw_with_the_live_counter():
    xgrad.manual_seed(0)
    x = xgrad.ones(4, 6)

    def step(t):
        return xgrad.nn.functional.dropout(t, 0.5) * 2

    fn = xgrad.compile(step)
    xgrad.manual_seed(5)
    got = [fn(x).numpy().copy() for _ in range(6)]
    xgrad.manual_seed(5)
    want = [step(x).numpy().copy() for _ in range(6)]
    assert fn.stats["replays"] >= 2, fn.stats
    assert "random_uniform" in fn.programs()[0].kernel_names()
    for g, w in zip(got, want):
        assert np.array_equal(g, w)
    assert len({g.tobytes() for g in got}) == 6  # each replay drew new numbers
