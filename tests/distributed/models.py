"""Models, data and the single-process reference training of the DDP tests (shared by the
scripts run under mpiexec and by the tests, which train the reference here)."""
from __future__ import annotations

import numpy as np
import xgrad
from xgrad import nn, optim

BATCH, STEPS = 12, 3


class CNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 4 * 4, 3)

    def forward(self, x):
        return self.fc(nn.functional.max_pool2d(nn.functional.relu(self.bn(self.conv(x))), 2).flatten(1))


class LSTMHead(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm = nn.LSTM(3, 5, batch_first=True)
        self.fc = nn.Linear(5, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.fc(out[:, -1])


class TwoHeads(nn.Module):
    """A body and two heads, of which each forward uses one."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Linear(6, 4)
        self.a = nn.Linear(4, 3)
        self.b = nn.Linear(4, 3)

    def forward(self, x, use_b: bool):
        return (self.b if use_b else self.a)(self.body(x))


def make(kind: str) -> tuple[nn.Module, np.ndarray, np.ndarray]:
    """A fresh model (seeded: the same on every call) and its full batch of data."""
    xgrad.manual_seed(0)
    rng = np.random.default_rng(1)
    if kind == "mlp":
        model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))
        x = rng.normal(size=(BATCH, 6))
    elif kind == "cnn":
        model = CNN()
        x = rng.normal(size=(BATCH, 1, 8, 8))
    elif kind == "lstm":
        model = LSTMHead()
        x = rng.normal(size=(BATCH, 4, 3))
    else:
        raise ValueError(kind)
    y = rng.integers(0, 3, size=BATCH)
    return model, x.astype("float32"), y.astype("int64")


def shard(a: np.ndarray, rank: int, n: int) -> np.ndarray:
    """Rank ``rank``'s contiguous share of the batch (sizes as even as possible)."""
    return np.array_split(a, n)[rank]


def step(model: nn.Module, opt: optim.Optimizer, x: np.ndarray, y: np.ndarray, scale: float = 1.0) -> None:
    """One SGD step with the loss averaged over ``x`` and multiplied by ``scale``."""
    opt.zero_grad()
    loss = nn.functional.cross_entropy(model(xgrad.from_numpy(x)), xgrad.from_numpy(y)) * scale
    loss.backward()
    opt.step()


def reference(kind: str) -> dict[str, np.ndarray]:
    """Parameters after STEPS single-process full-batch steps (BatchNorm in eval mode)."""
    model, x, y = make(kind)
    if kind == "cnn":
        model.eval()
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    for _ in range(STEPS):
        step(model, opt, x, y)
    return {k: v.numpy().copy() for k, v in model.named_parameters()}
