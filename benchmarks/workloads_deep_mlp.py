"""A deep MLP training step for the depth scaling family: ``depth`` Linear layers of width
128 (ReLU between them, 128 input features, 10 classes) at batch 64, cross-entropy, SGD."""
from __future__ import annotations

import functools

import numpy as np

from . import Impl, Workload, init_uniform
from .workloads_common import framework_builder

LR = 0.01
WIDTH, IN, CLASSES, BATCH = 128, 128, 10, 64
NEEDS = ("nn.Sequential", "nn.Linear", "nn.ReLU", "nn.functional.cross_entropy", "optim.SGD")


def _dims(depth: int) -> list[tuple[int, int]]:
    """(in, out) of each Linear layer."""
    sizes = [IN] + [WIDTH] * (depth - 1) + [CLASSES]
    return list(zip(sizes[:-1], sizes[1:]))


def make_data(seed: int, depth: int, batch: int = BATCH) -> dict[str, np.ndarray]:
    """Inputs, labels and PyTorch-style initial weights named as ``nn.Sequential`` names them
    (Linear layers at even indices, ReLUs between)."""
    rng = np.random.default_rng(seed)
    data = {"x": rng.standard_normal((batch, IN)).astype(np.float32),
            "y": rng.integers(0, CLASSES, batch)}
    for i, (fin, fout) in enumerate(_dims(depth)):
        data[f"{2 * i}.weight"] = init_uniform(rng, (fout, fin), fin)
        data[f"{2 * i}.bias"] = init_uniform(rng, (fout,), fin)
    return data


class RawNumpy(Impl):
    """Forward, backward and the SGD update by hand, updating in place."""

    def __init__(self, data: dict, device: str | None = None) -> None:
        self.x, self.y = data["x"], data["y"]
        self.names = sorted({k.split(".")[0] for k in data if k.endswith(".weight")}, key=int)
        self.w = [data[f"{n}.weight"].copy() for n in self.names]
        self.b = [data[f"{n}.bias"].copy() for n in self.names]
        self.rows = np.arange(len(self.y))

    def step(self) -> float:
        n = len(self.y)
        acts, pre = [self.x], []
        for i, (w, b) in enumerate(zip(self.w, self.b)):
            h = acts[-1] @ w.T
            h += b
            if i < len(self.w) - 1:
                pre.append(h)
                acts.append(np.maximum(h, 0))
            else:
                z = h
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.log(s).sum() - z[self.rows, self.y].sum()) / n
        g = e
        g /= s
        g[self.rows, self.y] -= 1
        g /= n
        self.gw, self.gb = [None] * len(self.w), [None] * len(self.w)
        for i in range(len(self.w) - 1, -1, -1):
            self.gw[i] = g.T @ acts[i]
            self.gb[i] = g.sum(axis=0)
            if i:
                g = g @ self.w[i]
                g *= pre[i - 1] > 0
        for w, b, gw, gb in zip(self.w, self.b, self.gw, self.gb):
            w -= LR * gw
            b -= LR * gb
        return loss

    def grads(self) -> dict[str, np.ndarray]:
        out = {f"{n}.weight": g for n, g in zip(self.names, self.gw)}
        out.update({f"{n}.bias": g for n, g in zip(self.names, self.gb)})
        return out

    def params(self) -> dict[str, np.ndarray]:
        out = {f"{n}.weight": w for n, w in zip(self.names, self.w)}
        out.update({f"{n}.bias": b for n, b in zip(self.names, self.b)})
        return out


def _build(fw, depth: int):
    layers = []
    for i, (fin, fout) in enumerate(_dims(depth)):
        if i:
            layers.append(fw.nn.ReLU())
        layers.append(fw.nn.Linear(fin, fout))
    return fw.nn.Sequential(*layers)


def _loss(fw, model, x, y):
    return fw.nn.functional.cross_entropy(model(x), y)


def _sgd(fw, params):
    return fw.optim.SGD(params, lr=LR)


def deep_mlp_workload(name: str, depth: int) -> Workload:
    """The step with ``depth`` Linear layers (``depth >= 2``)."""
    builders = {"numpy": RawNumpy}
    for fw in ("xgrad", "torch"):
        builders[fw] = framework_builder(fw, functools.partial(_build, depth=depth), ("x",),
                                         _loss, _sgd, NEEDS, int_inputs=("y",))
    return Workload(name, f"MLP of {depth} Linear layers (width {WIDTH}, ReLU), batch {BATCH} "
                    "(cross-entropy, SGD lr 0.01)", functools.partial(make_data, depth=depth),
                    builders)
