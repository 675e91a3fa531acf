"""The JAX example backend (examples/xgrad_jax) through xgrad's frontend: immutable arrays,
int64 stored as int32, numpy's results. Skipped where jax is not installed."""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
import xgrad
from xgrad.backend import missing_primitives
from xgrad.conformance.views import VIEW_PROGRAMS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "xgrad_jax"


@pytest.fixture(scope="module")
def dev():
    jax = pytest.importorskip("jax")
    if str(EXAMPLE) not in sys.path:
        sys.path.insert(0, str(EXAMPLE))
    import xgrad_jax.plugin as plugin

    if "jax" not in xgrad.backends.available():  # an installed xgrad-jax registered itself
        xgrad.registry.register_plugin(plugin)
    yield "jax"
    assert not jax.config.jax_enable_x64, "the backend must leave the process-global x64 flag alone"


def _plain(v):
    if isinstance(v, xgrad.Tensor):
        return v.numpy().tolist()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    return v


def test_declares_immutable_int32_index_and_no_float64(dev):
    be = xgrad.backends.get_backend(dev)
    assert missing_primitives(type(be)) == []
    assert be.mutable is False and be.index_dtype == "int32"
    assert {d.name for d in be.dtypes} == {"float16", "float32", "bfloat16", "int64", "bool"}


def test_index_results_are_int64_and_match_numpy(dev):
    def prog(d):
        x = xgrad.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 7.0]], device=d)
        out = [x.argmax(1), x.sort(1, descending=True).indices, (x > 1).nonzero(), (x > 1).sum(),
               xgrad.arange(4, device=d), x.topk(2).indices]
        assert all(t.dtype is xgrad.int64 for t in out)
        return out

    got = prog(dev)
    assert all(str(t._data.dtype) == "int32" for t in got)  # JAX's own arrays are 32-bit
    assert all(t.numpy().dtype == np.int64 for t in got)
    assert _plain(got) == _plain(prog("numpy"))


@pytest.mark.parametrize("name", sorted(VIEW_PROGRAMS))
def test_view_programs_match_numpy(dev, name):  # functionalized views on immutable arrays
    _close(_plain(VIEW_PROGRAMS[name](xgrad, dev)), _plain(VIEW_PROGRAMS[name](xgrad, "numpy")))


def _close(got, want):
    """Equal structure and non-float values; floats within float32 rounding (XLA's exp)."""
    if isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for g, w in zip(got, want):
            _close(g, w)
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-6, abs=1e-7)
    else:
        assert got == want


def test_random_streams_match_numpy(dev):
    def draws(d):
        xgrad.manual_seed(7)
        return [xgrad.randint(0, 1000, (50,), device=d).numpy(), xgrad.randperm(30, device=d).numpy(),
                xgrad.rand(20, device=d).numpy(), xgrad.rand(6, dtype=xgrad.float16, device=d).numpy()]

    for got, want in zip(draws(dev), draws("numpy")):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_training_matches_numpy(dev, opt):
    def train(d):
        xgrad.manual_seed(0)
        model = xgrad.nn.Sequential(xgrad.nn.Linear(6, 16), xgrad.nn.GELU(), xgrad.nn.Linear(16, 4)).to(d)
        o = (xgrad.optim.Adam(model.parameters(), lr=1e-2) if opt == "adam"
             else xgrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))
        x, y = xgrad.randn(32, 6, device=d), xgrad.randint(0, 4, (32,), device=d)
        losses = []
        for _ in range(5):
            o.zero_grad()
            loss = xgrad.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            o.step()
            losses.append(loss.item())
        return losses, [p.detach().numpy() for p in model.parameters()]

    (lj, pj), (ln, pn) = train(dev), train("numpy")
    np.testing.assert_allclose(lj, ln, rtol=1e-5)
    for a, b in zip(pj, pn):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_int32_is_refused_with_the_reason(dev):
    with pytest.raises(TypeError, match="index_dtype is 'int32'"):
        xgrad.tensor([1, 2], device=dev).to(xgrad.int32)


def test_docs_give_the_current_line_counts():
    text = (ROOT / "docs" / "writing-a-backend.md").read_text()
    for example, files in (("xgrad_jax", ("backend.py",)),
                           ("xgrad_arrayapi", ("backend.py", "_indexing.py", "_special.py"))):
        pkg = ROOT / "examples" / example / example
        total = sum(len((pkg / f).read_text().splitlines()) for f in files)
        row = next(line for line in text.splitlines() if line.startswith(f"| [`examples/{example}`"))
        assert re.search(rf"\| {total} lines", row), f"docs give a stale line count for {example}: {row}"


def test_compiled_step_is_one_jit_and_matches_eager(dev):
    be = xgrad.backends.get_backend(dev)
    made = []
    orig = type(be).compile_program

    def spy(self, program):
        made.append(orig(self, program))
        return made[-1]

    def run(compiled):
        xgrad.manual_seed(3)
        model = xgrad.nn.Linear(5, 3).to(dev)
        opt = xgrad.optim.Adam(model.parameters(), lr=0.05)
        x, y = xgrad.randn(8, 5, device=dev), xgrad.randint(0, 3, (8,), device=dev)

        def step(x, y):
            opt.zero_grad()
            loss = xgrad.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        f = xgrad.compile(step) if compiled else step
        losses = [f(x, y).item() for _ in range(4)]
        bad = y.clone()
        bad[0] = 7  # out of range: the guard read differs and the step runs eagerly; JAX is
        # asynchronous, so the target check is deferred to the next read of values
        with pytest.raises(IndexError, match="Target 7 is out of bounds"):
            f(x, bad).item()
        return losses, model.weight.detach().numpy()

    type(be).compile_program = spy
    try:
        (lc, wc), (le, we) = run(True), run(False)
    finally:
        type(be).compile_program = orig
    assert made and made[0] is not None  # the backend compiled the step itself
    np.testing.assert_allclose(lc, le, rtol=1e-5)
    np.testing.assert_allclose(wc, we, rtol=1e-5, atol=1e-6)
