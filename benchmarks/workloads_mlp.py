"""The seed MLP training step: 784-128-ReLU-10, cross-entropy, SGD(lr=0.01)."""
from __future__ import annotations

import functools

import numpy as np

from . import Impl, Workload, init_uniform
from .workloads_common import framework_builder

LR = 0.01
NEEDS = ("nn.Sequential", "nn.Linear", "nn.ReLU", "nn.functional.cross_entropy", "optim.SGD")


def make_data(batch: int, seed: int) -> dict[str, np.ndarray]:
    """Inputs ``x``, labels ``y`` and PyTorch-style initial weights."""
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((batch, 784)).astype(np.float32),
            "y": rng.integers(0, 10, batch),
            "0.weight": init_uniform(rng, (128, 784), 784), "0.bias": init_uniform(rng, (128,), 784),
            "2.weight": init_uniform(rng, (10, 128), 128), "2.bias": init_uniform(rng, (10,), 128)}


class RawNumpy(Impl):
    """Forward, backward and the SGD update written out by hand in numpy."""

    def __init__(self, data: dict, device: str | None = None) -> None:
        self.x, self.y = data["x"], data["y"]
        self.w1, self.b1 = data["0.weight"].copy(), data["0.bias"].copy()
        self.w2, self.b2 = data["2.weight"].copy(), data["2.bias"].copy()
        self.rows = np.arange(len(self.y))

    def step(self) -> float:
        x, y, n = self.x, self.y, len(self.y)
        h = x @ self.w1.T
        h += self.b1
        a = np.maximum(h, 0)
        z = a @ self.w2.T
        z += self.b2
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.log(s).sum() - z[self.rows, y].sum()) / n
        dz = e
        dz /= s
        dz[self.rows, y] -= 1
        dz /= n
        self.g_w2 = dz.T @ a
        self.g_b2 = dz.sum(axis=0)
        da = dz @ self.w2
        da *= h > 0
        self.g_w1 = da.T @ x
        self.g_b1 = da.sum(axis=0)
        self.w1 -= LR * self.g_w1
        self.b1 -= LR * self.g_b1
        self.w2 -= LR * self.g_w2
        self.b2 -= LR * self.g_b2
        return loss

    def grads(self) -> dict[str, np.ndarray]:
        return {"0.weight": self.g_w1, "0.bias": self.g_b1, "2.weight": self.g_w2,
                "2.bias": self.g_b2}

    def params(self) -> dict[str, np.ndarray]:
        return {"0.weight": self.w1, "0.bias": self.b1, "2.weight": self.w2, "2.bias": self.b2}


def _build(fw):
    return fw.nn.Sequential(fw.nn.Linear(784, 128), fw.nn.ReLU(), fw.nn.Linear(128, 10))


def _loss(fw, model, x, y):
    return fw.nn.functional.cross_entropy(model(x), y)


def _sgd(fw, params):
    return fw.optim.SGD(params, lr=LR)


def _workload(batch: int) -> Workload:
    builders = {"numpy": RawNumpy}
    for fw in ("xgrad", "torch"):
        builders[fw] = framework_builder(fw, _build, ("x",), _loss, _sgd, NEEDS, int_inputs=("y",))
    return Workload(f"mlp_b{batch}", f"MLP 784-128-ReLU-10 training step, batch {batch} "
                    "(cross-entropy, SGD lr 0.01)", functools.partial(make_data, batch), builders)


WORKLOADS = [_workload(64), _workload(1024)]
