"""``--xgrad-count-kernels``: how many distinct (op, input shapes, dtypes) backend calls a
suite run makes on each backend under test.

A backend that compiles one kernel per (op, shape, dtype) (jax.jit, generated CUDA) pays
once per distinct key, so this number, not the number of tests, predicts its run time. An
``xgrad_dispatch`` wrapper sees every primitive and fused call the frontend dispatches; each
process keeps the keys it has seen, each test's report carries the keys new to its process
(so pytest-xdist workers send each key once) and the controlling process takes the union.
The count is printed at the end of the run and recorded as ``distinct_kernels`` in the JSON
report.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import xgrad

__all__ = ["KernelCounter", "kernel_key", "install"]

_PROP = "xgrad_kernels"


def _arrays(x: Any) -> Iterator[Any]:
    if hasattr(x, "shape") and hasattr(x, "dtype"):
        yield x
    elif isinstance(x, (list, tuple)):
        for y in x:
            yield from _arrays(y)


def kernel_key(op: str, inputs: tuple) -> str:
    """``op`` and the shape and dtype of every array among ``inputs``, as one string."""
    return op + "(" + ", ".join(f"{a.dtype}{list(a.shape)}" for a in _arrays(inputs)) + ")"


class KernelCounter:
    """An ``xgrad_dispatch`` wrapper recording the kernel keys of chosen backends."""

    def __init__(self, backends: set[str]) -> None:
        self.backends = backends
        self.seen: set[tuple[str, str]] = set()
        self.fresh: list[list[str]] = []

    @xgrad.hookimpl(wrapper=True)
    def xgrad_dispatch(self, op: str, phase: str, backend: Any, inputs: tuple) -> Any:
        """Record the call (forward kernels of a backend under test), then run it."""
        if phase == "forward" and backend.name in self.backends:
            key = (backend.name, kernel_key(op, inputs))
            if key not in self.seen:
                self.seen.add(key)
                self.fresh.append(list(key))
        return (yield)

    def take(self) -> list[list[str]]:
        """The keys seen since the last call."""
        fresh, self.fresh = self.fresh, []
        return fresh


class _Pytest:
    """The pytest side: ship each process's new keys with the test reports, and count."""

    def __init__(self, counter: KernelCounter) -> None:
        self.counter = counter
        self.union: dict[str, set[str]] = {b: set() for b in counter.backends}

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: Any, call: Any) -> Any:
        outcome = yield
        if call.when == "teardown":
            outcome.get_result().user_properties.append((_PROP, self.counter.take()))

    def pytest_runtest_logreport(self, report: Any) -> None:
        for name, value in report.user_properties:
            if name == _PROP:
                for backend, key in value:
                    self.union.setdefault(backend, set()).add(key)

    def counts(self) -> dict[str, int]:
        """Distinct kernel keys per backend under test."""
        return {b: len(keys) for b, keys in sorted(self.union.items())}

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: Any) -> None:
        path = session.config.getoption("xgrad_report")
        if hasattr(session.config, "workerinput") or not path:
            return
        try:
            with open(path, encoding="utf-8") as f:
                report = json.load(f)
        except OSError:
            return
        report["distinct_kernels"] = self.counts()
        with open(path, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)

    def pytest_terminal_summary(self, terminalreporter: Any, config: Any) -> None:
        if hasattr(config, "workerinput"):
            return
        for backend, n in self.counts().items():
            terminalreporter.write_line(
                f"xgrad: {n} distinct (op, shape, dtype) kernels called on {backend!r}")


def install(config: Any) -> None:
    """Count the kernels of this run's backends under test (``--xgrad-count-kernels``)."""
    from xgrad.registry import register_plugin

    from .selection import selection

    counter = KernelCounter(set(selection(config).backends))
    register_plugin(counter, name="xgrad-conformance-kernel-counter")
    config._xgrad_kernels = _Pytest(counter)
    config.pluginmanager.register(config._xgrad_kernels, "xgrad-conformance-kernel-count")
