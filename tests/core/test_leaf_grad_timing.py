"""A leaf's gradient is handed over as soon as its last contribution is computed, during
backward (PyTorch's AccumulateGrad): tensor hooks, ``.grad`` and post-accumulate-grad hooks
of late layers run before backward reaches the early layers. DDP relies on it to start its
bucket all-reduces while backward goes on."""
from __future__ import annotations

import numpy as np
import pytest
import xgrad


def _events(lib):
    """Backward of a 3-layer MLP, recording when each parameter's gradient is final and when
    backward reaches the first layer's output."""
    lib.manual_seed(0)
    nn = lib.nn
    layers = [nn.Linear(4, 5), nn.Linear(5, 5), nn.Linear(5, 2)]
    events = []
    for i, layer in enumerate(layers):
        for name, p in layer.named_parameters():
            p.register_post_accumulate_grad_hook(
                lambda t, tag=f"post l{i}.{name}": events.append((tag, t.grad is not None)))
            p.register_hook(lambda g, tag=f"hook l{i}.{name}": events.append((tag, True)))
    x = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
    h1 = layers[0](x)
    h1.register_hook(lambda g: events.append(("reached h1", True)))
    out = layers[2](layers[1](h1).tanh())
    out.pow(2).sum().backward()
    return events


def test_late_layers_finish_before_backward_reaches_early_ones():
    events = _events(xgrad)
    tags = [t for t, _ in events]
    reached = tags.index("reached h1")
    for name in ("weight", "bias"):
        for i in (1, 2):  # final before backward reaches layer 0's output
            assert tags.index(f"post l{i}.{name}") < reached, tags
            assert tags.index(f"hook l{i}.{name}") < tags.index(f"post l{i}.{name}")
        assert tags.index(f"post l0.{name}") > reached, tags
    assert all(ok for _, ok in events)  # .grad is set when the post hook runs


def test_event_order_matches_torch():
    torch = pytest.importorskip("torch")

    def coarse(events):  # per layer: when (relative to "reached h1") its gradients were final
        reached = [t for t, _ in events].index("reached h1")
        return sorted((t, i < reached) for i, (t, _) in enumerate(events) if t != "reached h1")

    assert coarse(_events(xgrad)) == coarse(_events(torch))


def test_leaf_used_twice_is_final_only_after_both_uses():
    w = xgrad.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    y = (w * 3).sum() + (w.exp() * 0 + w).sum() * 2  # two paths of different lengths
    y.backward()
    assert len(seen) == 1 and np.allclose(seen[0], [5.0, 5.0])
    y2 = (w * w).sum()
    y2.backward()  # accumulates into .grad; the hook sees the sum
    assert len(seen) == 2 and np.allclose(seen[1], [5.0 + 2.0, 5.0 + 4.0])
