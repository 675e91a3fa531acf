"""A chain of 100 small elementwise ops on a 32-element float32 vector, forward + backward.

The ops cycle through ``* 0.95``, ``- 0.95``, ``tanh``, ``exp``: one cycle maps 1 to 1 with
slope 0.95, so values stay near 1 and the gradient stays far from underflow at any length.
The loss is ``y.sum()``; the gradient is taken with respect to the input vector.
This measures per-op overhead (dispatch, graph recording).
"""
from __future__ import annotations

import functools

import numpy as np

from . import Impl, Workload
from .workloads_common import default_device, framework, sync_fn, to_np

N_OPS = 100
SIZE = 32
CYCLE = ("mul", "sub", "tanh", "exp")
MUL = SUB = 0.95  # y = 1 is an attracting fixed point of one cycle, with slope 0.95


def make_data(seed: int, size: int = SIZE) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal(size).astype(np.float32)}


class RawNumpy(Impl):
    """Forward keeping what the backward needs, then the chain rule by hand."""

    def __init__(self, data: dict, device: str | None = None, n_ops: int = N_OPS) -> None:
        self.x = data["x"]
        self.n_ops = n_ops

    def step(self) -> float:
        y = self.x
        saved = []
        for i in range(self.n_ops):
            op = CYCLE[i % 4]
            if op == "mul":
                y = y * np.float32(MUL)
            elif op == "sub":
                y = y - np.float32(SUB)
            elif op == "tanh":
                y = np.tanh(y)
                saved.append(y)
            else:
                y = np.exp(y)
                saved.append(y)
        loss = float(y.sum())
        g = np.ones_like(y)
        for i in range(self.n_ops - 1, -1, -1):
            op = CYCLE[i % 4]
            if op == "mul":
                g = g * np.float32(MUL)
            elif op == "tanh":
                t = saved.pop()
                g = g * (1 - t * t)
            elif op == "exp":
                g = g * saved.pop()
        self.g = g
        return loss

    def grads(self) -> dict[str, np.ndarray]:
        return {"x": self.g}


class FrameworkChain(Impl):
    """The chain with xgrad or torch autograd."""

    def __init__(self, fw_name: str, data: dict, device: str | None, n_ops: int = N_OPS) -> None:
        fw = framework(fw_name)
        self.n_ops = n_ops
        device = default_device(fw, device)
        self.x = fw.tensor(data["x"], device=device, requires_grad=True)
        self._sync = sync_fn(fw, device)

    def step(self):
        self.x.grad = None
        y = self.x
        for i in range(self.n_ops):
            op = CYCLE[i % 4]
            if op == "mul":
                y = y * MUL
            elif op == "sub":
                y = y - SUB
            elif op == "tanh":
                y = y.tanh()
            else:
                y = y.exp()
        loss = y.sum()
        loss.backward()
        return loss

    def grads(self) -> dict[str, np.ndarray]:
        return {"x": to_np(self.x.grad)}

    def sync(self) -> None:
        self._sync(self.x.grad)


def chain_workload(name: str, n_ops: int = N_OPS, size: int = SIZE) -> Workload:
    """The chain of ``n_ops`` ops on ``size`` float32 values, in raw numpy, xgrad and torch."""
    return Workload(
        name, f"{n_ops} elementwise ops (mul, sub, tanh, exp) on {size} float32 values, "
        "forward + backward", functools.partial(make_data, size=size),
        {"numpy": lambda data, device: RawNumpy(data, device, n_ops),
         "xgrad": lambda data, device: FrameworkChain("xgrad", data, device, n_ops),
         "torch": lambda data, device: FrameworkChain("torch", data, device, n_ops)})


WORKLOADS = [chain_workload("elementwise_chain")]
