"""Distributed benchmarks: DDP step time and scaling on 1 and 2 ranks (MLP, CNN), a bucket size
sweep, and ``xgrad.distributed.all_reduce`` against raw mpi4py ``Allreduce`` on the same buffers.

    python -m benchmarks.distributed                 # full run (mpiexec -n 1 and -n 2)
    python -m benchmarks.distributed --quick         # a few steps each (CI; asserts nothing)
    python -m benchmarks.distributed --json out.json

The command starts ``mpiexec -n N python -m benchmarks.distributed --worker N`` for each rank
count; rank 0 reports JSON on stdout. Scaling is weak scaling (a fixed batch per rank):
efficiency = step time on 1 rank / step time on N ranks. Timings are medians of interleaved
repetitions (xgrad and raw mpi4py alternate, so background load hits both alike).
Needs ``pip install 'xgrad[distributed]'``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

import numpy as np

_BATCH = 64


def _models() -> dict[str, Any]:
    from xgrad import nn

    return {
        "mlp": (lambda: nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10)),
                (_BATCH, 784)),
        "cnn": (lambda: nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 3),
                                      nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 10)),
                (_BATCH, 1, 28, 28)),
        "mlp_wide": (lambda: nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                                           nn.Linear(1024, 10)), (_BATCH, 784)),
    }


def _median_step(model: Any, shape: tuple, steps: int, warmup: int = 2) -> float:
    import xgrad
    from xgrad import nn, optim

    opt = optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = xgrad.from_numpy(rng.standard_normal(shape).astype(np.float32))
    y = xgrad.from_numpy(rng.integers(0, 10, shape[0]))
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _sync_median(fn: Any, reps: int, comm: Any) -> float:
    """Median over ``reps`` of the slowest rank's time for ``fn`` (ranks start together)."""
    out = []
    for _ in range(reps):
        comm.Barrier()
        t0 = time.perf_counter()
        fn()
        out.append(comm.allreduce(time.perf_counter() - t0, op=_mpi().MAX))
    return statistics.median(out)


def _mpi() -> Any:
    from mpi4py import MPI

    return MPI


def worker(quick: bool) -> dict[str, Any]:
    """Run on every rank; returns the results on rank 0 (None elsewhere)."""
    import xgrad
    import xgrad.distributed as dist
    from xgrad.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    MPI = _mpi()
    comm = MPI.COMM_WORLD
    n = dist.get_world_size()
    steps = 3 if quick else 30
    res: dict[str, Any] = {"ranks": n, "ddp": {}, "plain": {}, "buckets": {}, "allreduce": []}
    for name, (make, shape) in _models().items():
        if name == "mlp_wide" and quick:
            continue
        xgrad.manual_seed(0)
        res["plain"][name] = _median_step(make(), shape, steps)
        xgrad.manual_seed(0)
        res["ddp"][name] = _median_step(DDP(make()), shape, steps)
    caps = [1.0, 25.0] if quick else [0.05, 0.25, 1.0, 4.0, 25.0]
    for cap in caps:
        xgrad.manual_seed(0)
        make, shape = _models()["mlp" if quick else "mlp_wide"]
        res["buckets"][str(cap)] = _median_step(DDP(make(), bucket_cap_mb=cap), shape, steps)
    sizes = [2 ** 10, 2 ** 20] if quick else [2 ** 10, 2 ** 14, 2 ** 18, 2 ** 20, 2 ** 22, 2 ** 24]
    for nbytes in sizes:
        res["allreduce"].append(_allreduce_row(nbytes, quick, comm))
    dist.destroy_process_group()
    return res if comm.Get_rank() == 0 else None


def _allreduce_row(nbytes: int, quick: bool, comm: Any) -> dict[str, Any]:
    """Median times of ``dist.all_reduce`` and raw ``Allreduce`` on one float32 buffer."""
    import xgrad
    import xgrad.distributed as dist

    MPI = _mpi()
    host = np.random.default_rng(1).standard_normal(nbytes // 4).astype(np.float32)
    t = xgrad.from_numpy(host)
    target = xgrad.from_numpy(host)
    recv = np.empty_like(host)
    reps = 3 if quick else max(5, min(200, (2 ** 26) // nbytes))

    def raw() -> None:
        comm.Allreduce(host, recv, op=MPI.SUM)

    def raw_then_copy() -> None:  # what getting mpi4py's result into a tensor costs
        raw()
        with xgrad.no_grad():
            target.copy_(xgrad.from_dlpack(recv))

    times: dict[str, list[float]] = {"xgrad_s": [], "mpi4py_s": [], "mpi4py_copy_s": []}
    for _ in range(reps):  # interleaved
        times["xgrad_s"].append(_sync_median(lambda: dist.all_reduce(t), 1, comm))
        times["mpi4py_s"].append(_sync_median(raw, 1, comm))
        times["mpi4py_copy_s"].append(_sync_median(raw_then_copy, 1, comm))
    return {"bytes": nbytes, **{k: statistics.median(v) for k, v in times.items()}}


def _launch(n: int, quick: bool) -> dict[str, Any]:
    from xgrad.distributed.run import find_mpiexec

    cmd = [find_mpiexec(), "-n", str(n), sys.executable, "-m", "benchmarks.distributed", "--worker"]
    if quick:
        cmd.append("--quick")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def report(runs: dict[int, dict[str, Any]]) -> str:
    """Markdown tables of the runs (keyed by rank count)."""
    one, many = runs[min(runs)], runs[max(runs)]
    n = max(runs)
    lines = [f"| workload | no DDP, 1 rank | no DDP, {n} ranks | DDP, 1 rank | DDP, {n} ranks | "
             f"scaling efficiency ({n} ranks) |", "|---|---|---|---|---|---|"]
    for name in one["ddp"]:
        t1, tn = one["ddp"][name], many["ddp"][name]
        lines.append(f"| {name} (batch {_BATCH}/rank) | {one['plain'][name] * 1e3:.2f} ms | "
                     f"{many['plain'][name] * 1e3:.2f} ms | {t1 * 1e3:.2f} ms | {tn * 1e3:.2f} ms | "
                     f"{t1 / tn:.0%} |")
    lines += ["", f"| bucket_cap_mb ({n} ranks) | DDP step |", "|---|---|"]
    lines += [f"| {cap} | {t * 1e3:.2f} ms |" for cap, t in many["buckets"].items()]
    lines += ["", f"| all_reduce size ({n} ranks) | xgrad | raw mpi4py | mpi4py + copy_ into the tensor | "
              "xgrad bandwidth | xgrad / mpi4py | xgrad / (mpi4py + copy_) |",
              "|---|---|---|---|---|---|---|"]
    for row in many["allreduce"]:
        b = row["bytes"]
        size = f"{b // 2 ** 20} MiB" if b >= 2 ** 20 else f"{b // 2 ** 10} KiB"
        lines.append(f"| {size} | {row['xgrad_s'] * 1e6:.0f} us | {row['mpi4py_s'] * 1e6:.0f} us | "
                     f"{row['mpi4py_copy_s'] * 1e6:.0f} us | {b / row['xgrad_s'] / 1e9:.2f} GB/s | "
                     f"{row['xgrad_s'] / row['mpi4py_s']:.2f} | "
                     f"{row['xgrad_s'] / row['mpi4py_copy_s']:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: launch the rank counts and print the tables (or, with --worker, measure)."""
    ap = argparse.ArgumentParser(prog="python -m benchmarks.distributed", description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="a few steps each (CI)")
    ap.add_argument("--ranks", default="1,2", help="rank counts to run (default 1,2)")
    ap.add_argument("--json", default=None, metavar="PATH", help="also write the results as JSON")
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        res = worker(args.quick)
        if res is not None:
            print("RESULT " + json.dumps(res), flush=True)
        return 0
    try:
        import mpi4py  # noqa: F401
    except ImportError:
        print("benchmarks.distributed: skipped, mpi4py is not installed (pip install 'xgrad[distributed]')")
        return 0
    runs = {int(k): _launch(int(k), args.quick) for k in args.ranks.split(",")}
    print(report(runs))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({str(k): v for k, v in runs.items()}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
