"""Per-step training time of the README's MLP (784-128-10, batch 512, SGD) on ``jax`` and
``numpy`` in one run: the median of ``--steps`` steps after ``--warmup`` steps (JAX compiles
each new shape on its first call). A step ends with ``loss.item()``, which waits for it.

Run: ``python examples/xgrad_jax/bench_step.py [--steps 30] [--opt sgd|adam] [--compile]``
(``--compile``: the step under ``xgrad.compile``; on jax one ``jax.jit`` computation).
"""
from __future__ import annotations

import argparse
import statistics
import time

import xgrad
from xgrad import nn, optim


def step_times(device: str, steps: int, warmup: int, opt_name: str,
               compiled: bool = False) -> tuple[float, float]:
    """(median seconds per step, final loss) of training the MLP on ``device``."""
    xgrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)).to(device)
    x = xgrad.randn(512, 784, device=device)
    y = (x @ xgrad.randn(784, 10, device=device)).argmax(1)
    opt = (optim.Adam(model.parameters(), lr=1e-3) if opt_name == "adam"
           else optim.SGD(model.parameters(), lr=0.01, momentum=0.9))
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = xgrad.compile(step) if compiled else step
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        value = run(x, y).item()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times), value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--opt", choices=("sgd", "adam"), default="sgd")
    ap.add_argument("--devices", default="numpy,jax")
    ap.add_argument("--compile", action="store_true", help="run the step under xgrad.compile")
    args = ap.parse_args()
    res = {d: step_times(d, args.steps, args.warmup, args.opt, args.compile)
           for d in args.devices.split(",")}
    for d, (t, loss) in res.items():
        print(f"{d:>8}: {t * 1e3:8.2f} ms/step (median of {args.steps}), final loss {loss:.4f}")
    if {"numpy", "jax"} <= res.keys():
        print(f"jax / numpy: {res['jax'][0] / res['numpy'][0]:.2f}x")


if __name__ == "__main__":
    main()
