"""Training loops keep memory flat; inference under no_grad records no graph."""
from __future__ import annotations

import gc
import tracemalloc

import xgrad
from xgrad.autograd.node import Node
from xgrad.ops import fused as F


def _mlp_params(seed: int = 0, width: int = 32, inputs: int = 16) -> list:
    xgrad.manual_seed(seed)
    shapes = [(width, inputs), (width,), (4, width), (4,)]
    return [(xgrad.randn(*s) * 0.1).requires_grad_() for s in shapes]


def _step(params: list, x: xgrad.Tensor, y: xgrad.Tensor) -> float:
    w1, b1, w2, b2 = params
    loss = F.cross_entropy_rows(F.linear(F.linear(x, w1, b1).relu(), w2, b2), y).mean()
    loss.backward()
    with xgrad.no_grad():
        for p in params:
            p.sub_(0.1 * p.grad)
            p.grad = None
    return loss.item()


def _live() -> tuple[int, int]:
    gc.collect()
    objs = gc.get_objects()
    return (sum(issubclass(type(o), xgrad.Tensor) for o in objs),
            sum(type(o) is Node for o in objs))


def test_thousand_training_steps_keep_peak_memory_flat() -> None:
    # Arrays of ~128 KB each, so graphs kept alive across steps would add up to many
    # megabytes, far above the noise of CPython's small-object free lists.
    params = _mlp_params(width=256, inputs=128)
    x = xgrad.randn(128, 128)
    y = xgrad.randint(0, 4, (128,))
    for _ in range(20):
        _step(params, x, y)
    live_before = _live()
    tracemalloc.start()
    try:
        losses = []
        for i in range(1000):
            losses.append(_step(params, x, y))
            if i == 99:
                _, peak_early = tracemalloc.get_traced_memory()
            if i == 899:
                tracemalloc.reset_peak()
        _, peak_late = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert losses[-1] < losses[0]
    assert peak_early > 400_000  # the arrays of one step are traced
    # One step's graph is ~0.6 MB; CPython's free lists account for a few hundred KB.
    assert peak_late < peak_early + 1_000_000, (peak_early, peak_late)
    assert _live() == live_before  # no tensor or graph node outlives its step


def test_a_kept_loss_does_not_keep_its_graph_alive_after_backward() -> None:
    params = _mlp_params()
    x, y = xgrad.randn(8, 16), xgrad.randint(0, 4, (8,))
    w1, b1, w2, b2 = params
    loss = F.cross_entropy_rows(F.linear(F.linear(x, w1, b1).relu(), w2, b2), y).mean()
    loss.backward()
    assert loss.grad_fn is not None
    assert loss.grad_fn.next_functions == ()  # inputs released after backward


def test_no_grad_inference_records_no_graph() -> None:
    params = _mlp_params()
    w1, b1, w2, b2 = params
    x = xgrad.randn(8, 16)
    gc.collect()
    before = sum(type(o) is Node for o in gc.get_objects())
    with xgrad.no_grad():
        out = F.linear(F.linear(x, w1, b1).relu(), w2, b2).softmax(1)
    after = sum(type(o) is Node for o in gc.get_objects())
    assert out.grad_fn is None and not out.requires_grad
    assert after == before
    with xgrad.inference_mode():
        assert F.linear(x, w1, b1).grad_fn is None
