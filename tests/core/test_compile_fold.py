"""xgrad.compile's constant folding: kernels over constants run once, when the program is
built, and never where sharing one array across replays could be seen."""
from __future__ import annotations

import numpy as np
import xgrad
from xgrad import nn, optim


def _program(c):
    (prog,) = c.programs()
    return prog


def _mlp_step():
    xgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    opt = optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return model, step


def test_the_backward_seed_is_folded_and_results_stay_bit_for_bit():
    rng = np.random.default_rng(0)
    batches = [(xgrad.from_numpy(rng.standard_normal((5, 6)).astype(np.float32)),
                xgrad.from_numpy(rng.integers(0, 3, 5))) for _ in range(5)]
    m_eager, s_eager = _mlp_step()
    m_comp, s_comp = _mlp_step()
    compiled = xgrad.compile(s_comp)
    for x, y in batches:
        assert s_eager(x, y).item() == compiled(x, y).item()
    for pe, pc in zip(m_eager.parameters(), m_comp.parameters()):
        assert np.array_equal(pe.numpy(), pc.numpy())
    prog = _program(compiled)
    assert compiled.stats["replays"] == 2
    # loss.backward() seeds with full((), 1) scaled and broadcast: all folded into one array
    assert "full" not in prog.kernel_names() and "broadcast_to" not in prog.kernel_names()
    assert len(prog.constants) >= 1


def test_a_constant_written_in_place_is_made_fresh_at_every_replay():
    @xgrad.compile
    def f(x):
        z = xgrad.zeros(3)
        z += x  # the zeros are written: sharing them across replays would accumulate
        return z * 2

    for k in range(1, 6):
        out = f(xgrad.full((3,), float(k)))
        assert out.tolist() == [2.0 * k] * 3
    assert f.stats["replays"] >= 1


def test_a_constant_the_step_returns_is_a_new_array_each_call():
    @xgrad.compile
    def f(x):
        return x + 1, xgrad.ones(3)

    results = [f(xgrad.full((3,), float(k)))[1] for k in range(5)]
    with xgrad.no_grad():
        results[3].mul_(5)  # writing one call's result must not change another's
    assert [r.tolist() for r in results] == [[1.0] * 3, [1.0] * 3, [1.0] * 3, [5.0] * 3, [1.0] * 3]
    assert f.stats["replays"] >= 1
