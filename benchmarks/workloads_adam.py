"""One Adam step (lr 1e-3, PyTorch defaults) over the parameters of a ~1M-parameter MLP
(784-1000-200: 985,200 float32 values in four tensors), with gradients given."""
from __future__ import annotations

import math

import numpy as np

from . import Impl, Workload, init_uniform
from .workloads_common import default_device, framework, require, sync_fn, to_np

LR, BETA1, BETA2, EPS = 1e-3, 0.9, 0.999, 1e-8
SHAPES = {"0.weight": (1000, 784), "0.bias": (1000,), "1.weight": (200, 1000), "1.bias": (200,)}


def make_data(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = {}
    for name, shape in SHAPES.items():
        fan_in = 784 if name.startswith("0.") else 1000
        data[name] = init_uniform(rng, shape, fan_in)
        data["grad." + name] = rng.standard_normal(shape).astype(np.float32) * np.float32(0.01)
    return data


class RawNumpy(Impl):
    """Adam written with in-place numpy ops and one scratch buffer per parameter."""

    def __init__(self, data: dict, device: str | None = None) -> None:
        self.p = {k: data[k].copy() for k in SHAPES}
        self.g = {k: data["grad." + k] for k in SHAPES}
        self.m = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.v = {k: np.zeros_like(v) for k, v in self.p.items()}
        self.tmp = {k: np.empty_like(v) for k, v in self.p.items()}
        self.t = 0

    def step(self) -> None:
        self.t += 1
        bc1 = 1 - BETA1 ** self.t
        bc2 = 1 - BETA2 ** self.t
        for k, p in self.p.items():
            g, m, v, tmp = self.g[k], self.m[k], self.v[k], self.tmp[k]
            m *= BETA1
            np.multiply(g, 1 - BETA1, out=tmp)
            m += tmp
            v *= BETA2
            np.multiply(g, g, out=tmp)
            tmp *= 1 - BETA2
            v += tmp
            np.sqrt(v, out=tmp)
            tmp *= 1 / math.sqrt(bc2)
            tmp += EPS
            np.divide(m, tmp, out=tmp)
            tmp *= LR / bc1
            p -= tmp
        return None

    def grads(self) -> dict[str, np.ndarray]:
        return self.g

    def params(self) -> dict[str, np.ndarray]:
        return self.p


class FrameworkAdam(Impl):
    """``optim.Adam`` of xgrad or torch over leaf tensors whose ``.grad`` is set once."""

    def __init__(self, fw_name: str, data: dict, device: str | None) -> None:
        fw = framework(fw_name)
        require(fw, "optim.Adam")
        device = default_device(fw, device)
        self.p = {}
        for k in SHAPES:
            t = fw.tensor(data[k], device=device, requires_grad=True)
            t.grad = fw.tensor(data["grad." + k], device=device)
            self.p[k] = t
        self.opt = fw.optim.Adam(list(self.p.values()), lr=LR, betas=(BETA1, BETA2), eps=EPS)
        self._sync = sync_fn(fw, device)

    def step(self) -> None:
        self.opt.step()
        return None

    def grads(self) -> dict[str, np.ndarray]:
        return {k: to_np(t.grad) for k, t in self.p.items()}

    def params(self) -> dict[str, np.ndarray]:
        return {k: to_np(t) for k, t in self.p.items()}

    def sync(self) -> None:
        self._sync(*self.p.values())


WORKLOADS = [Workload(
    "adam_1m", "Adam step (lr 1e-3) over 985,200 float32 parameters in 4 tensors, grads given",
    make_data,
    {"numpy": RawNumpy,
     "xgrad": lambda data, device: FrameworkAdam("xgrad", data, device),
     "torch": lambda data, device: FrameworkAdam("torch", data, device)})]
