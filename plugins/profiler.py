"""Op profiler: wall time, counts, shapes and backend of every forward and backward op.

``with xgrad.profiler.profile() as prof:`` registers a :class:`_Recorder`, a
``wrapper=True`` implementation of the ``xgrad_dispatch`` hook. Each dispatched op becomes
one :class:`FunctionEvent`; backward functions (``MulBackward0``) contain the forward ops
their gradient formula runs, so each event has a total time and a self time (total minus
its children). ``prof.key_averages().table()`` prints a PyTorch-like table and
``prof.export_chrome_trace(path)`` writes Trace Event Format JSON for Perfetto or
chrome://tracing. Fused-op fallbacks observed during the block are in ``prof.fallbacks``.
"""
from __future__ import annotations

import enum
import json
import os
import threading
import time
from collections.abc import Generator, Iterable
from typing import Any

from xgrad.backend import wait_for
from xgrad.hookspecs import hookimpl

from .anomaly import backward_name

__all__ = ["profile", "ProfilerActivity", "FunctionEvent", "FunctionEventAvg", "EventList"]

_clock = time.perf_counter_ns


class ProfilerActivity(enum.Enum):
    """Accepted for PyTorch compatibility: xgrad times every op on the host either way."""

    CPU = "cpu"
    CUDA = "cuda"


class FunctionEvent:
    """One op execution. Times are in microseconds; ``start_us`` is from the profile's start."""

    __slots__ = ("name", "op", "phase", "backend", "input_shapes", "start_us", "cpu_time_total",
                 "self_cpu_time_total", "thread", "stack")

    def __init__(self, name: str, op: str, phase: str, backend: str, input_shapes: list,
                 start_us: float, total_us: float, self_us: float, thread: int,
                 stack: list | None) -> None:
        self.name, self.op, self.phase, self.backend = name, op, phase, backend
        self.input_shapes = input_shapes
        self.start_us, self.cpu_time_total, self.self_cpu_time_total = start_us, total_us, self_us
        self.thread, self.stack = thread, stack

    @property
    def key(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return (f"<FunctionEvent {self.name} phase={self.phase} backend={self.backend} "
                f"cpu_time_total={self.cpu_time_total:.1f}us shapes={self.input_shapes}>")


class FunctionEventAvg:
    """Statistics of all events with the same key (name, phase, backend[, input shapes])."""

    def __init__(self, key: str, phase: str, backend: str, input_shapes: list | None) -> None:
        self.key, self.phase, self.backend, self.input_shapes = key, phase, backend, input_shapes
        self.count = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0

    def add(self, ev: FunctionEvent) -> None:
        self.count += 1
        self.cpu_time_total += ev.cpu_time_total
        self.self_cpu_time_total += ev.self_cpu_time_total

    @property
    def cpu_time(self) -> float:
        """Average total time per call (µs)."""
        return self.cpu_time_total / self.count if self.count else 0.0

    @property
    def self_cpu_time(self) -> float:
        """Average self time per call (µs)."""
        return self.self_cpu_time_total / self.count if self.count else 0.0

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg {self.key} phase={self.phase} count={self.count} "
                f"cpu_time_total={self.cpu_time_total:.1f}us "
                f"self_cpu_time_total={self.self_cpu_time_total:.1f}us>")


_SORT_KEYS = ("self_cpu_time_total", "cpu_time_total", "count", "cpu_time", "self_cpu_time")


def _fmt_us(us: float) -> str:
    if us >= 1e6:
        return f"{us / 1e6:.3f}s"
    if us >= 1e3:
        return f"{us / 1e3:.3f}ms"
    return f"{us:.3f}us"


class EventList(list):
    """A list of events or averaged rows, with :meth:`table` (as PyTorch's ``EventList``)."""

    def __init__(self, items: Iterable = (), fallbacks: dict | None = None,
                 with_shapes: bool = False) -> None:
        super().__init__(items)
        self.fallbacks = fallbacks or {}
        self._with_shapes = with_shapes

    @property
    def self_cpu_time_total(self) -> float:
        """Sum of the self times of all rows (µs): the time spent inside ops."""
        return sum(e.self_cpu_time_total for e in self)

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_name_column_width: int = 55,
              header: str | None = None, top_level_events_only: bool = False) -> str:
        """A PyTorch-like text table of the rows, sorted by ``sort_by`` (descending)."""
        if sort_by is not None and sort_by not in _SORT_KEYS:
            raise ValueError(f"table(sort_by={sort_by!r}): expected one of {', '.join(_SORT_KEYS)}")
        rows = list(self)
        if top_level_events_only:
            raise ValueError("top_level_events_only is not supported by xgrad's profiler")
        if sort_by is not None:
            rows.sort(key=lambda r: getattr(r, sort_by), reverse=True)
        if row_limit is not None and row_limit >= 0:
            rows = rows[:row_limit]
        total_self = self.self_cpu_time_total or 1.0
        cols = ["Name", "Phase", "Backend", "Self CPU %", "Self CPU", "CPU total %", "CPU total",
                "CPU time avg", "# of Calls"]
        if self._with_shapes:
            cols.append("Input Shapes")
        body = []
        for r in rows:
            name = r.key if len(r.key) <= max_name_column_width else r.key[:max_name_column_width - 3] + "..."
            line = [name, r.phase, r.backend, f"{100 * r.self_cpu_time_total / total_self:.2f}%",
                    _fmt_us(r.self_cpu_time_total), f"{100 * r.cpu_time_total / total_self:.2f}%",
                    _fmt_us(r.cpu_time_total), _fmt_us(getattr(r, "cpu_time", r.cpu_time_total)),
                    str(getattr(r, "count", 1))]
            if self._with_shapes:
                line.append(str(r.input_shapes))
            body.append(line)
        widths = [max([len(c)] + [len(b[i]) for b in body]) for i, c in enumerate(cols)]
        sep = "-" * (sum(widths) + 2 * (len(widths) - 1))

        def fmt(cells: list) -> str:
            return "  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                             for i, (c, w) in enumerate(zip(cells, widths)))

        out = ([header] if header else []) + [sep, fmt(cols), sep] + [fmt(b) for b in body] + [sep]
        out.append(f"Self CPU time total: {_fmt_us(self.self_cpu_time_total)}")
        out.append(_fallback_footer(self.fallbacks))
        return "\n".join(out) + "\n"


def _fallback_footer(fallbacks: dict) -> str:
    if not fallbacks:
        return "Fused-op fallbacks: none (every fused op used ran a native kernel)"
    parts = [f"{be}: " + ", ".join(f"{op} x{n}" for op, n in sorted(ops.items()))
             for be, ops in sorted(fallbacks.items())]
    return "Fused-op fallbacks (decomposition ran instead of a fused kernel): " + "; ".join(parts)


def _shape_of(x: Any) -> list:
    shape = getattr(x, "shape", None)
    if shape is not None:
        return list(shape)
    if isinstance(x, (list, tuple)) and x and all(hasattr(i, "shape") for i in x):
        return [list(i.shape) for i in x]
    return []


def _arrays(x: Any) -> list:
    """The native arrays in an op's inputs or result (arrays, and tuples/lists of them)."""
    if x is None or isinstance(x, (bool, int, float, complex, str)):
        return []
    if isinstance(x, (list, tuple)):
        return [a for item in x for a in _arrays(item)]
    return [x] if hasattr(x, "shape") and hasattr(x, "dtype") else []


class _Recorder:
    """The ``xgrad_dispatch`` wrapper that times every op for one :class:`profile`."""

    def __init__(self, record_shapes: bool, with_stack: bool) -> None:
        self.record_shapes = record_shapes
        self.with_stack = with_stack
        self.raw: list[tuple] = []
        self.fallback_marks: list[tuple[str, str, int, int]] = []
        self._local = threading.local()

    @hookimpl(wrapper=True)
    def xgrad_dispatch(self, op: str, phase: str, backend: Any,
                       inputs: tuple) -> Generator[None, Any, Any]:
        sync = backend is not None and backend.asynchronous
        shapes = [_shape_of(x) for x in inputs] if self.record_shapes else []
        stack = None
        if self.with_stack:
            import traceback

            stack = traceback.format_stack()[:-3]
        open_frames = getattr(self._local, "open", None)
        if open_frames is None:
            open_frames = self._local.open = []
        child = [0]
        open_frames.append(child)
        if sync:  # the inputs must be ready, or their producers' time lands on this op
            wait_for(backend, *_arrays(inputs))
        t0 = _clock()
        out = None
        try:
            out = yield
            return out
        finally:
            if sync:  # wait for this op's results (everything, if it raised)
                wait_for(backend, *_arrays(out))
            dur = _clock() - t0
            open_frames.pop()
            if open_frames:
                open_frames[-1][0] += dur
            self.raw.append((op, phase, backend.name if backend is not None else "?", shapes, t0,
                             dur, dur - child[0], threading.get_ident(), stack))

    @hookimpl
    def xgrad_fallback(self, op: str, backend: Any) -> None:
        self.fallback_marks.append((op, backend.name, _clock(), threading.get_ident()))


def _fallbacks_now() -> dict[str, dict[str, int]]:
    """The process-wide fused-op fallback counts as ``{backend name: {op: count}}``."""
    from xgrad import registry

    out: dict[str, dict[str, int]] = {}
    for (be, op), n in list(registry._fallback_counts.items()):
        out.setdefault(be, {})[op] = n
    return out


class profile:  # noqa: N801 - PyTorch's name
    """Profile every op run inside the block, as ``torch.profiler.profile``::

        with xgrad.profiler.profile() as prof:
            loss = model(x).sum()
            loss.backward()
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=10))
        prof.export_chrome_trace("trace.json")

    On asynchronous (GPU) backends each op is bracketed by ``backend.synchronize()`` so its
    wall time is its execution time. ``record_shapes`` stores input shapes (needed for
    ``key_averages(group_by_input_shape=True)``); ``with_stack`` stores each op's Python
    stack in the trace. ``activities`` is accepted for PyTorch compatibility.
    """

    def __init__(self, activities: Iterable[ProfilerActivity] | None = None, *, enabled: bool = True,
                 record_shapes: bool = True, with_stack: bool = False,
                 profile_memory: bool = False) -> None:
        if profile_memory:
            raise NotImplementedError("profile(profile_memory=True) is not supported by xgrad's "
                                      "profiler; it records time, counts, shapes and backends")
        for a in activities or ():
            if not isinstance(a, ProfilerActivity):
                raise TypeError(f"profile(activities=...) expects ProfilerActivity values, got {a!r}")
        self.enabled = enabled
        self.record_shapes = record_shapes
        self.with_stack = with_stack
        self._recorder: _Recorder | None = None
        self._events: EventList | None = None
        self._t0 = 0
        self._before: dict = {}
        self.fallbacks: dict[str, dict[str, int]] = {}

    def start(self) -> None:
        """Begin recording (what ``__enter__`` does)."""
        if not self.enabled:
            return
        if self._recorder is not None:
            raise RuntimeError("profiler already started")
        from xgrad.registry import register_plugin

        self._before = _fallbacks_now()
        self._recorder = _Recorder(self.record_shapes, self.with_stack)
        self._t0 = _clock()
        self._events = None
        register_plugin(self._recorder, name=f"xgrad.plugins.profiler.{id(self)}")

    def stop(self) -> None:
        """Stop recording; the results stay available."""
        if self._recorder is None:
            return
        from xgrad.registry import unregister_plugin

        unregister_plugin(self._recorder)
        after = _fallbacks_now()
        self.fallbacks = {}
        for be, ops in after.items():
            for op, n in ops.items():
                d = n - self._before.get(be, {}).get(op, 0)
                if d:
                    self.fallbacks.setdefault(be, {})[op] = d
        self._raw, self._marks = self._recorder.raw, self._recorder.fallback_marks
        self._recorder = None

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> bool:
        self.stop()
        return False

    def _check_done(self) -> None:
        if self._recorder is not None:
            raise RuntimeError("profiler results are available after the profiled block exits")
        if not hasattr(self, "_raw"):
            raise RuntimeError("the profiler did not run (enabled=False, or never started)")

    def events(self) -> EventList:
        """Every recorded op, in start order."""
        self._check_done()
        if self._events is None:
            evs = []
            for op, phase, be, shapes, t0, dur, self_ns, tid, stack in sorted(self._raw,
                                                                            key=lambda r: r[4]):
                name = backward_name(op) if phase == "backward" else op
                evs.append(FunctionEvent(name, op, phase, be, shapes, (t0 - self._t0) / 1e3,
                                         dur / 1e3, self_ns / 1e3, tid, stack))
            self._events = EventList(evs, self.fallbacks, with_shapes=self.record_shapes)
        return self._events

    def key_averages(self, group_by_input_shape: bool = False) -> EventList:
        """One row per op name, phase and backend (and input shapes if asked), by first call."""
        if group_by_input_shape and not self.record_shapes:
            raise ValueError("key_averages(group_by_input_shape=True) needs "
                             "profile(record_shapes=True)")
        rows: dict[tuple, FunctionEventAvg] = {}
        for ev in self.events():
            shapes = str(ev.input_shapes) if group_by_input_shape else None
            key = (ev.name, ev.phase, ev.backend, shapes)
            row = rows.get(key)
            if row is None:
                row = rows[key] = FunctionEventAvg(ev.name, ev.phase, ev.backend,
                                                   ev.input_shapes if group_by_input_shape else None)
            row.add(ev)
        return EventList(rows.values(), self.fallbacks, with_shapes=group_by_input_shape)

    def table(self, sort_by: str | None = None, row_limit: int = 100, **kwargs: Any) -> str:
        """Shortcut for ``key_averages().table(...)``."""
        return self.key_averages().table(sort_by=sort_by, row_limit=row_limit, **kwargs)

    @property
    def self_cpu_time_total(self) -> float:
        """Total time spent inside ops (µs)."""
        return self.events().self_cpu_time_total

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        """Write the events as Trace Event Format JSON (Perfetto, chrome://tracing).

        Each op is one complete event (``"ph": "X"``, ``ts``/``dur`` in µs) whose ``cat`` is
        its phase; fallbacks of fused ops are instant events (``"ph": "i"``, cat
        ``"fallback"``).
        """
        pid = os.getpid()
        trace: list[dict] = [{"name": "process_name", "ph": "M", "pid": pid, "tid": 0,
                              "args": {"name": "xgrad"}}]
        for ev in self.events():
            args: dict[str, Any] = {"backend": ev.backend, "op": ev.op,
                                    "self_us": round(ev.self_cpu_time_total, 3)}
            if self.record_shapes:
                args["Input Dims"] = ev.input_shapes
            if ev.stack:
                args["stack"] = [s.strip() for s in ev.stack]
            trace.append({"name": ev.name, "cat": ev.phase, "ph": "X", "ts": round(ev.start_us, 3),
                          "dur": round(ev.cpu_time_total, 3), "pid": pid, "tid": ev.thread,
                          "args": args})
        for op, be, t, tid in self._marks:
            trace.append({"name": f"fallback: {op}", "cat": "fallback", "ph": "i", "s": "t",
                          "ts": round((t - self._t0) / 1e3, 3), "pid": pid, "tid": tid,
                          "args": {"backend": be, "op": op}})
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"traceEvents": trace, "displayTimeUnit": "ms"}, f)
