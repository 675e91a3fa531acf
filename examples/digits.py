"""A small CNN on scikit-learn's bundled 8x8 handwritten digits (real data, no download).

    python examples/digits.py                     # full run: >= 97% test accuracy
    python examples/digits.py --quick             # a few epochs, well under a minute
    python examples/digits.py --device reference  # any registered backend

Trains with Adam and a OneCycle schedule, shows a tqdm progress bar, saves a checkpoint with
``xgrad.save``, reloads it into a fresh model and re-checks its accuracy, and writes a PNG of
the loss and accuracy curves to ``--out``. Needs the ``examples`` extra
(``pip install scikit-learn matplotlib``).
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np
import xgrad
from tqdm import tqdm
from xgrad import nn, optim
from xgrad.utils.data import DataLoader, TensorDataset, random_split


class DigitsCNN(nn.Module):
    """conv(1->16) - pool - conv(16->32) - pool - linear(128->64) - linear(64->10)."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(32 * 2 * 2, 64), nn.ReLU(),
                                        nn.Linear(64, 10))

    def forward(self, x: xgrad.Tensor) -> xgrad.Tensor:
        return self.classifier(self.features(x))


def load_data(device: str, seed: int) -> tuple[TensorDataset, TensorDataset]:
    """The 1797 digits as (N, 1, 8, 8) float32 in [0, 1], split 80/20 with a seeded generator."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = xgrad.tensor((digits.images / 16.0).astype(np.float32)[:, None], device=device)
    y = xgrad.tensor(digits.target.astype(np.int64), device=device)
    train, test = random_split(TensorDataset(x, y), [0.8, 0.2],
                               generator=xgrad.Generator().manual_seed(seed))
    return _materialise(train), _materialise(test)


def _materialise(subset) -> TensorDataset:
    idx = xgrad.tensor(subset.indices, device=subset.dataset.tensors[0].device)
    return TensorDataset(*(t[idx] for t in subset.dataset.tensors))


def accuracy(model: nn.Module, data: TensorDataset, batch_size: int = 512) -> float:
    """Fraction of ``data`` the model classifies correctly."""
    model.eval()
    correct = 0
    with xgrad.no_grad():
        for x, y in DataLoader(data, batch_size=batch_size):
            correct += int((model(x).argmax(1) == y).sum().item())
    model.train()
    return correct / len(data)


def plot(history: dict[str, list[float]], path: str) -> None:
    """Loss and accuracy curves, side by side, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = range(1, len(history["loss"]) + 1)
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.5))
    a.plot(epochs, history["loss"], marker="o")
    a.set(xlabel="epoch", ylabel="training loss", title="Loss")
    b.plot(epochs, history["train_acc"], marker="o", label="train")
    b.plot(epochs, history["test_acc"], marker="o", label="test")
    b.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    b.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> float:
    """Train, checkpoint, reload, plot; returns the reloaded model's test accuracy."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cpu", help="backend: cpu/numpy, reference, cuda/cupy, ...")
    ap.add_argument("--epochs", type=int, default=None, help="default: 15 (4 with --quick)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-2, help="peak learning rate (OneCycle)")
    ap.add_argument("--quick", action="store_true", help="a short run for CI")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="digits_out", help="directory for checkpoint and plot")
    args = ap.parse_args(argv)
    epochs = args.epochs or (4 if args.quick else 15)
    os.makedirs(args.out, exist_ok=True)

    xgrad.manual_seed(args.seed)
    train, test = load_data(args.device, args.seed)
    model = DigitsCNN().to(args.device)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    loader = DataLoader(train, batch_size=args.batch_size, shuffle=True,
                        generator=xgrad.Generator().manual_seed(args.seed))
    scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=args.lr, epochs=epochs,
                                              steps_per_epoch=len(loader))
    history: dict[str, list[float]] = {"loss": [], "train_acc": [], "test_acc": []}
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        total, n = 0.0, 0
        bar = tqdm(loader, desc=f"epoch {epoch}/{epochs}", leave=False)
        for x, y in bar:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(y)
            n += len(y)
            bar.set_postfix(loss=f"{total / n:.4f}")
        history["loss"].append(total / n)
        history["train_acc"].append(accuracy(model, train))
        history["test_acc"].append(accuracy(model, test))
        print(f"epoch {epoch}: loss {history['loss'][-1]:.4f}  train acc "
              f"{history['train_acc'][-1]:.4f}  test acc {history['test_acc'][-1]:.4f}", flush=True)
    wall = time.perf_counter() - start

    ckpt = os.path.join(args.out, "digits_cnn.safetensors")
    xgrad.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(), "epoch": epochs, "history": history}, ckpt)
    restored = DigitsCNN().to(args.device)
    state = xgrad.load(ckpt, map_location=args.device)
    restored.load_state_dict(state["model"])
    reloaded_acc = accuracy(restored, test)
    png = os.path.join(args.out, "digits_curves.png")
    plot(history, png)
    print(f"first loss {history['loss'][0]:.4f}  final loss {history['loss'][-1]:.4f}")
    print(f"test accuracy {history['test_acc'][-1]:.4f}  reloaded accuracy {reloaded_acc:.4f}  "
          f"epochs {epochs}  train time {wall:.1f}s  device {args.device}")
    print(f"checkpoint {ckpt}")
    print(f"plot {png}")
    return reloaded_acc


if __name__ == "__main__":
    main()
