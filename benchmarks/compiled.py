"""The ``xgrad-compiled`` implementation of each workload: the xgrad implementation with its
``step`` wrapped in :func:`xgrad.compile` (``python -m benchmarks --compiled``).

The compiled step captures on its first calls (eager speed: an optimizer's first step, then
two agreeing captures) and replays from then on, so it needs :data:`WARMUP` warm-up steps
before timing measures replays.
"""
from __future__ import annotations

from collections.abc import Callable

from . import Impl, Workload
from .workloads_common import framework

__all__ = ["LABEL", "WARMUP", "compiled_builder", "add_compiled"]

LABEL = "xgrad-compiled"
#: Steps until a compiled training step replays: first step (optimizer state created),
#: capture, check capture; the fourth call replays.
WARMUP = 4


def compiled_builder(builder: Callable[[dict, str | None], Impl]) -> Callable[[dict, str | None], Impl]:
    """Build the xgrad implementation, then compile its ``step``."""

    def make(data: dict, device: str | None) -> Impl:
        xgrad = framework("xgrad")
        impl = builder(data, device)
        impl.step = xgrad.compile(impl.step)  # an instance attribute shadows the method
        return impl

    return make


def add_compiled(workloads: list[Workload]) -> list[Workload]:
    """Give every workload with an xgrad implementation an ``xgrad-compiled`` one."""
    for w in workloads:
        if "xgrad" in w.builders and LABEL not in w.builders:
            w.builders[LABEL] = compiled_builder(w.builders["xgrad"])
    return workloads
