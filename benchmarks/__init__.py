"""xgrad's benchmark suite: each workload in xgrad, in hand-written raw numpy and in PyTorch.

Run it with ``python -m benchmarks`` (see ``benchmarks/README.md``). This module holds the
harness: the :class:`Workload`/:class:`Impl` interface the ``workloads_*`` modules
implement, thread bookkeeping, and the interleaved timer.
"""
from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Impl", "Workload", "Unavailable", "all_workloads", "thread_info", "set_threads",
           "time_interleaved", "summarize", "init_uniform", "one_step", "max_rel_diff"]


class Unavailable(Exception):
    """An implementation cannot run here (e.g. torch or an xgrad module is missing)."""


class Impl:
    """One implementation of a workload, built from the workload's shared initial data.

    ``step()`` runs one timed iteration and returns the loss (or ``None``); afterwards
    ``grads()`` and ``params()`` give the last step's gradients and the current parameters as
    float64 numpy arrays keyed by name, so implementations can be checked against each
    other. ``sync()`` waits for asynchronous devices.
    """

    def step(self) -> float | None:
        raise NotImplementedError

    def grads(self) -> dict[str, np.ndarray]:
        return {}

    def params(self) -> dict[str, np.ndarray]:
        return {}

    def sync(self) -> None:
        """Wait until the step's results (its parameters, gradients) are computed on an
        asynchronous device (no-op on the CPU)."""


@dataclass
class Workload:
    """A benchmark: ``data(seed)`` makes the shared float32 inputs and initial weights, and
    ``builders[impl](data, device)`` builds an :class:`Impl` on a copy of them."""

    name: str
    description: str
    data: Callable[[int], dict[str, np.ndarray]]
    builders: dict[str, Callable[[dict, str | None], Impl]] = field(default_factory=dict)


def init_uniform(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    """PyTorch's default Linear/Conv init range, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), float32."""
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def all_workloads() -> list[Workload]:
    """Every workload, in report order."""
    from . import workloads_adam, workloads_chain, workloads_cnn, workloads_mlp, workloads_transformer
    from .compiled import add_compiled

    return add_compiled([*workloads_mlp.WORKLOADS, *workloads_chain.WORKLOADS,
                         *workloads_cnn.WORKLOADS, *workloads_transformer.WORKLOADS,
                         *workloads_adam.WORKLOADS])


# ---- threads -------------------------------------------------------------------------------
_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def set_threads(n: int) -> None:
    """Limit numpy's BLAS (threadpoolctl if installed, else the environment, which only takes
    effect before numpy loads its BLAS) and torch (if imported later) to ``n`` threads."""
    for var in _THREAD_ENV:
        os.environ[var] = str(n)
    try:
        import threadpoolctl
    except ImportError:
        return
    threadpoolctl.threadpool_limits(n)


def numpy_threads() -> tuple[int, str]:
    """numpy's BLAS thread count and how it was found."""
    try:
        import threadpoolctl

        pools = [p for p in threadpoolctl.threadpool_info() if p.get("user_api") == "blas"]
        if pools:
            return int(pools[0]["num_threads"]), f"threadpoolctl ({pools[0].get('internal_api')})"
    except ImportError:
        pass
    for var in _THREAD_ENV:
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var]), f"environment {var}"
    return os.cpu_count() or 1, "os.cpu_count() (BLAS default; threadpoolctl not installed)"


def thread_info() -> dict[str, Any]:
    """What the run used: numpy version and BLAS, BLAS threads, torch threads, CPU count."""
    n, how = numpy_threads()
    info: dict[str, Any] = {"cpu_count": os.cpu_count(), "numpy": np.__version__,
                            "numpy_blas_threads": n, "numpy_blas_threads_source": how}
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        info["numpy_blas"] = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # noqa: BLE001 - older numpy: no dict mode
        info["numpy_blas"] = "unknown"
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info


# ---- timing --------------------------------------------------------------------------------
def time_interleaved(impls: dict[str, Impl], reps: int, warmup: int = 2,
                     budget_s: float | None = None) -> dict[str, list[float]]:
    """Seconds per step of each implementation, measured round-robin: every repetition runs
    each implementation once, so drift (thermal, other load) hits all of them alike. Stops
    early once ``budget_s`` seconds have passed (at least 3 repetitions)."""
    for impl in impls.values():
        for _ in range(warmup):
            impl.step()
        impl.sync()
    times: dict[str, list[float]] = {k: [] for k in impls}
    start = time.perf_counter()
    for rep in range(reps):
        for name, impl in impls.items():
            t0 = time.perf_counter()
            impl.step()
            impl.sync()
            times[name].append(time.perf_counter() - t0)
        if budget_s is not None and rep >= 2 and time.perf_counter() - start > budget_s:
            break
    return times


def summarize(times: list[float]) -> dict[str, float]:
    """Median, min and count of a list of seconds, in microseconds."""
    return {"median_us": statistics.median(times) * 1e6, "min_us": min(times) * 1e6,
            "n": len(times)}


# ---- agreement between implementations ----------------------------------------------------
def one_step(workload: Workload, impl: str, device: str | None = None,
             seed: int = 0) -> dict[str, Any]:
    """One step of ``impl`` from the workload's data: ``{"loss", "grads", "params"}`` (float64
    numpy). Raises :class:`Unavailable` when the implementation cannot run here."""
    step = workload.builders[impl](workload.data(seed), device)
    loss = step.step()
    step.sync()
    if loss is not None and not isinstance(loss, float):
        loss = float(loss.detach().cpu().item())
    return {"loss": loss, "grads": step.grads(), "params": step.params()}


def max_rel_diff(a: dict[str, Any], b: dict[str, Any]) -> float:
    """Largest difference between two :func:`one_step` results, relative to each array's
    largest magnitude (so tiny entries do not dominate)."""
    worst = 0.0
    if a["loss"] is not None:
        worst = abs(a["loss"] - b["loss"]) / max(abs(a["loss"]), 1e-30)
    for kind in ("grads", "params"):
        if set(a[kind]) != set(b[kind]):
            raise KeyError(f"{kind} differ in names: {sorted(a[kind])} vs {sorted(b[kind])}")
        for k, x in a[kind].items():
            y = b[kind][k]
            if x.shape != y.shape:
                raise ValueError(f"{kind} {k!r}: shapes {x.shape} and {y.shape}")
            scale = max(float(np.abs(x).max(initial=0.0)), 1e-30)
            worst = max(worst, float(np.abs(np.asarray(x) - y).max(initial=0.0)) / scale)
    return worst
