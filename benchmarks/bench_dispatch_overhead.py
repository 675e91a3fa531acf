"""Per-op dispatch overhead: no plugin, profiler on, anomaly detection on, vs raw numpy.

Workload: a chain of 100 elementwise multiplies on a 32-element float32 tensor that
requires grad, then backward. Each op costs one forward kernel and one backward formula,
so "µs/op" is (forward + backward time) / 100. Run::

    python benchmarks/bench_dispatch_overhead.py [--quick]
"""
from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import xgrad
from xgrad.dispatch import Dispatch

N_OPS = 100
SIZE = 32


def raw_numpy() -> None:
    """The same chain by hand in numpy: forward products, then the chain-rule products."""
    x = np.linspace(0.5, 1.5, SIZE, dtype=np.float32)
    c = np.float32(1.001)
    y = x
    for _ in range(N_OPS):
        y = y * c
    g = np.ones_like(y)
    for _ in range(N_OPS):
        g = g * c


def xgrad_chain() -> None:
    x = xgrad.linspace(0.5, 1.5, SIZE, requires_grad=True)
    y = x
    for _ in range(N_OPS):
        y = y * 1.001
    y.backward(xgrad.ones(SIZE))


def with_profiler() -> None:
    with xgrad.profiler.profile():
        xgrad_chain()


def with_anomaly() -> None:
    with xgrad.autograd.detect_anomaly():
        xgrad_chain()


def measure(fn: Callable[[], None], repeats: int, inner: int) -> float:
    """Median over ``repeats`` of the mean time of ``inner`` calls, in µs per op."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        times.append((time.perf_counter() - t0) / inner / N_OPS * 1e6)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (a smoke run)")
    args = parser.parse_args(argv)
    repeats, inner = (3, 5) if args.quick else (15, 20)
    cases = [("raw numpy", raw_numpy), ("xgrad, no plugin", xgrad_chain),
             ("xgrad, profiler on", with_profiler), ("xgrad, anomaly on", with_anomaly)]
    results = {}
    for name, fn in cases:
        results[name] = measure(fn, repeats, inner)
        assert Dispatch.active is False, f"{name} left a dispatch wrapper registered"
    base, plain = results["raw numpy"], results["xgrad, no plugin"]
    print(f"{N_OPS}-op chain of y * 1.001 on float32[{SIZE}], forward + backward, "
          f"median of {repeats} x {inner} runs")
    print(f"{'case':<22}{'us/op':>10}{'x numpy':>10}{'x no plugin':>13}")
    for name, us in results.items():
        print(f"{name:<22}{us:>10.2f}{us / base:>10.1f}{us / plain:>13.2f}")


if __name__ == "__main__":
    main()
