"""What xgrad is for, in a few seconds: one PyTorch-style program, two backends, the same numbers.

A small MLP classifier is trained twice from the same seed, once on the numpy backend and once
on the pure-Python reference backend (the oracle every backend is checked against). The losses
are printed side by side with their difference, a progress bar shows the reference run, and the
two loss curves are plotted to ``demo_losses.png`` (when matplotlib is installed:
``pip install -e '.[examples]'``).

    python examples/demo.py [--steps 60] [--out demo_losses.png]
"""
from __future__ import annotations

import argparse
import time

import xgrad as torch
from tqdm import tqdm
from xgrad import nn, optim


def make_data(device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """256 points in 16 dims, labelled by a fixed random linear teacher into 4 classes."""
    g = torch.Generator().manual_seed(1)
    x = torch.randn(256, 16, generator=g)
    y = (x @ torch.randn(16, 4, generator=g)).argmax(1)
    return x.to(device), y.to(device)


def train(device: str, steps: int, progress: bool) -> tuple[list[float], float]:
    """Train the MLP on ``device``; returns the losses and the wall time in seconds."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 32), nn.Tanh(), nn.Linear(32, 4)).to(device)
    opt = optim.Adam(model.parameters(), lr=0.01)
    x, y = make_data(device)
    losses = []
    start = time.perf_counter()
    for _ in tqdm(range(steps), desc=f"training on {device}", disable=not progress, leave=False):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses, time.perf_counter() - start


def plot(curves: dict[str, list[float]], path: str) -> bool:
    """Write the loss curves to ``path``; False when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return False
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    for (name, losses), style in zip(curves.items(), ("-", "--")):
        ax.plot(range(1, len(losses) + 1), losses, style, label=name)
    ax.set_xlabel("step")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title("The same program on two xgrad backends")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv: list[str] | None = None) -> float:
    """Run the demo; returns the largest loss difference between the backends."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--out", default="demo_losses.png", help="where to write the plot (PNG)")
    args = p.parse_args(argv)

    fast, t_fast = train("numpy", args.steps, progress=False)
    ref, t_ref = train("reference", args.steps, progress=True)
    print(f"{'step':>4}  {'numpy':>10}  {'reference':>10}  {'|diff|':>9}")
    for i, (a, b) in enumerate(zip(fast, ref), 1):
        if i <= 5 or i % 5 == 0 or i == len(fast):
            print(f"{i:>4}  {a:>10.6f}  {b:>10.6f}  {abs(a - b):>9.2e}")
    worst = max(abs(a - b) for a, b in zip(fast, ref))
    print(f"numpy {t_fast:.2f}s, reference (pure Python) {t_ref:.2f}s; largest difference {worst:.1e}")
    if worst > 1e-4:
        raise SystemExit(f"the backends disagree: largest loss difference {worst:.3g}")
    if plot({"numpy": fast, "reference": ref}, args.out):
        print(f"loss curves: {args.out}")
    else:
        print("matplotlib not installed (pip install -e '.[examples]'): no plot written")
    return worst


if __name__ == "__main__":
    main()
