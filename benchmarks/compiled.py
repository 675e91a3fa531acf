"""The ``xgrad-compiled`` implementation of each workload: the xgrad implementation with its
``step`` wrapped in :func:`xgrad.compile` (``python -m benchmarks --compiled``).

The compiled step captures on its first calls (eager speed: an optimizer's first step, then
two agreeing captures) and replays from then on, so it needs :data:`WARMUP` warm-up steps
before timing measures replays.
"""
from __future__ import annotations

from collections.abc import Callable

from . import Impl, Unavailable, Workload
from .workloads_common import framework

__all__ = ["LABEL", "TORCH_LABEL", "WARMUP", "TORCH_WARMUP", "compiled_builder",
           "torch_compiled_builder", "add_compiled"]

LABEL = "xgrad-compiled"
#: ``torch.compile`` of the PyTorch step (``--torch-compile``), when it works on the machine
TORCH_LABEL = "torch-compiled"
#: torch.compile traces on the first call and may recompile once the optimizer state exists
TORCH_WARMUP = 5
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


def torch_compiled_builder(builder: Callable[[dict, str | None], Impl]
                           ) -> Callable[[dict, str | None], Impl]:
    """Build the PyTorch implementation, then ``torch.compile`` its ``step`` (default mode);
    :class:`~benchmarks.Unavailable` with the reason when compiling fails here."""

    def make(data: dict, device: str | None) -> Impl:
        torch = framework("torch")
        impl = builder(data, device)
        compiled = torch.compile(impl.step)
        try:
            compiled()  # the first call compiles (tens of seconds); fail here, not mid-timing
        except Exception as exc:  # noqa: BLE001 - e.g. no C compiler for inductor
            raise Unavailable(f"torch.compile failed here: {type(exc).__name__}: "
                              f"{str(exc).splitlines()[0][:200]}") from None
        impl.step = compiled
        return impl

    return make


def add_compiled(workloads: list[Workload]) -> list[Workload]:
    """Give every workload with an xgrad implementation an ``xgrad-compiled`` one, and every
    one with a PyTorch implementation a ``torch-compiled`` one."""
    for w in workloads:
        if "xgrad" in w.builders and LABEL not in w.builders:
            w.builders[LABEL] = compiled_builder(w.builders["xgrad"])
        if "torch" in w.builders and TORCH_LABEL not in w.builders:
            w.builders[TORCH_LABEL] = torch_compiled_builder(w.builders["torch"])
    return workloads
