"""The LeNet-like CNN training step at batch 64 on 28x28 inputs: conv 1->8 3x3, ReLU,
maxpool 2, conv 8->16 3x3, ReLU, maxpool 2, linear 400->10, cross-entropy, SGD(lr=0.01)."""
from __future__ import annotations

import numpy as np

from . import Impl, Workload, init_uniform
from .workloads_common import framework_builder

LR = 0.01
BATCH = 64
NEEDS = ("nn.Sequential", "nn.Conv2d", "nn.ReLU", "nn.MaxPool2d", "nn.Flatten", "nn.Linear",
         "nn.functional.cross_entropy", "optim.SGD")


def make_data(seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"x": rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32),
            "y": rng.integers(0, 10, BATCH),
            "0.weight": init_uniform(rng, (8, 1, 3, 3), 9), "0.bias": init_uniform(rng, (8,), 9),
            "3.weight": init_uniform(rng, (16, 8, 3, 3), 72),
            "3.bias": init_uniform(rng, (16,), 72),
            "7.weight": init_uniform(rng, (10, 400), 400), "7.bias": init_uniform(rng, (10,), 400)}


def _im2col(x: np.ndarray) -> np.ndarray:
    """(N, H, W, C) -> (N*OH*OW, C*9) rows of 3x3 patches, ordered (C, kh, kw)."""
    win = np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))  # N OH OW C 3 3
    return win.reshape(-1, win.shape[3] * 9)


def _pool(r: np.ndarray) -> np.ndarray:
    n, h, w, c = r.shape
    return r.reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _unpool(r: np.ndarray, pooled: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Route ``g`` (pooled shape) to the argmax positions of 2x2 windows of ``r``."""
    n, h, w, c = r.shape
    r6 = r.reshape(n, h // 2, 2, w // 2, 2, c)
    mask = r6 == pooled[:, :, None, :, None, :]
    return (mask * g[:, :, None, :, None, :]).reshape(n, h, w, c)


class RawNumpy(Impl):
    """Channels-last (NHWC) im2col convolutions and 2x2 pooling by reshape, by hand."""

    def __init__(self, data: dict, device: str | None = None) -> None:
        self.x = np.ascontiguousarray(data["x"].transpose(0, 2, 3, 1))  # N 28 28 1
        self.y = data["y"]
        self.rows = np.arange(len(self.y))
        self.w1 = data["0.weight"].reshape(8, 9).copy()
        self.b1 = data["0.bias"].copy()
        self.w2 = data["3.weight"].reshape(16, 72).copy()
        self.b2 = data["3.bias"].copy()
        # the linear layer's inputs are flattened (h, w, c) here, (c, h, w) in the frameworks
        self.w3 = data["7.weight"].reshape(10, 16, 5, 5).transpose(0, 2, 3, 1).reshape(10, 400)
        self.b3 = data["7.bias"].copy()

    def step(self) -> float:
        n = len(self.y)
        cols1 = _im2col(self.x)  # (n*26*26, 9)
        h1 = (cols1 @ self.w1.T).reshape(n, 26, 26, 8)
        h1 += self.b1
        r1 = np.maximum(h1, 0)
        p1 = _pool(r1)  # n 13 13 8
        cols2 = _im2col(p1)  # (n*11*11, 72)
        h2 = (cols2 @ self.w2.T).reshape(n, 11, 11, 16)
        h2 += self.b2
        r2 = np.maximum(h2, 0)[:, :10, :10]
        p2 = _pool(r2)  # n 5 5 16
        f = p2.reshape(n, 400)
        z = f @ self.w3.T
        z += self.b3
        z -= z.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.log(s).sum() - z[self.rows, self.y].sum()) / n
        dz = e
        dz /= s
        dz[self.rows, self.y] -= 1
        dz /= n
        self.g_w3 = dz.T @ f
        self.g_b3 = dz.sum(axis=0)
        df = (dz @ self.w3).reshape(n, 5, 5, 16)
        dh2 = np.zeros_like(h2)
        dh2[:, :10, :10] = _unpool(r2, p2, df)
        dh2 *= h2 > 0
        dh2m = dh2.reshape(-1, 16)
        self.g_w2 = dh2m.T @ cols2
        self.g_b2 = dh2m.sum(axis=0)
        dcols = (dh2m @ self.w2).reshape(n, 11, 11, 8, 3, 3)
        dp1 = np.zeros_like(p1)
        for i in range(3):
            for j in range(3):
                dp1[:, i:i + 11, j:j + 11] += dcols[..., i, j]
        dh1 = _unpool(r1, p1, dp1)
        dh1 *= h1 > 0
        dh1m = dh1.reshape(-1, 8)
        self.g_w1 = dh1m.T @ cols1
        self.g_b1 = dh1m.sum(axis=0)
        for p, g in ((self.w1, self.g_w1), (self.b1, self.g_b1), (self.w2, self.g_w2),
                     (self.b2, self.g_b2), (self.w3, self.g_w3), (self.b3, self.g_b3)):
            p -= LR * g
        return loss

    @staticmethod
    def _layout(w1, b1, w2, b2, w3, b3) -> dict[str, np.ndarray]:
        return {"0.weight": w1.reshape(8, 1, 3, 3), "0.bias": b1,
                "3.weight": w2.reshape(16, 8, 3, 3), "3.bias": b2,
                "7.weight": w3.reshape(10, 5, 5, 16).transpose(0, 3, 1, 2).reshape(10, 400),
                "7.bias": b3}

    def grads(self) -> dict[str, np.ndarray]:
        return self._layout(self.g_w1, self.g_b1, self.g_w2, self.g_b2, self.g_w3, self.g_b3)

    def params(self) -> dict[str, np.ndarray]:
        return self._layout(self.w1, self.b1, self.w2, self.b2, self.w3, self.b3)


def _build(fw):
    nn = fw.nn
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3),
                         nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 10))


def _loss(fw, model, x, y):
    return fw.nn.functional.cross_entropy(model(x), y)


def _sgd(fw, params):
    return fw.optim.SGD(params, lr=LR)


WORKLOADS = [Workload(
    "cnn_b64", "LeNet-like CNN training step, batch 64, 28x28 (conv 1->8 3x3, ReLU, maxpool 2, "
    "conv 8->16 3x3, ReLU, maxpool 2, linear 400->10; cross-entropy, SGD lr 0.01)", make_data,
    {"numpy": RawNumpy,
     **{fw: framework_builder(fw, _build, ("x",), _loss, _sgd, NEEDS, int_inputs=("y",))
        for fw in ("xgrad", "torch")}})]
