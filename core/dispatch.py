"""Op dispatch: the process-wide switches, the one way to call a backend kernel, and the
``xgrad_dispatch`` hook's innermost implementation.

While no plugin wraps ``xgrad_dispatch``, :func:`run` checks one class attribute and calls
the backend directly; only when a plugin adds a ``wrapper=True`` implementation does each
kernel call go through pluggy (the profiler and the anomaly detector do this).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .hookspecs import hookimpl

__all__ = ["Dispatch", "run", "call_kernel", "CoreDispatch", "refresh"]


class Dispatch:
    """Process-wide dispatch switches, read on every op (class attributes: cheapest lookup)."""

    #: True while some plugin wraps ``xgrad_dispatch``; ops then go through the hook.
    active = False
    #: Set by anomaly detection: graph nodes remember the stack of their forward call.
    record_stack = False
    #: The hook caller (pluggy's ``pm.hook.xgrad_dispatch``) when active.
    call: Callable[..., Any] | None = None
    #: The :class:`xgrad.compile.capture.Trace` recording kernel calls while
    #: ``xgrad.compile`` captures a step, else None. The trace shadows each backend's kernel
    #: methods for the length of the capture (calls made straight on a backend, such as
    #: ``be.full`` or ``be.random_bits``, are recorded too), so the hot path never tests it.
    capture: Any = None


def call_kernel(name: str, be: Any, fn: Callable, *args: Any) -> Any:
    """Run ``fn(*args)``, the forward kernel ``name`` of backend ``be``, through the dispatch
    hook while a plugin wraps it."""
    if Dispatch.active:
        return Dispatch.call(op=name, phase="forward", backend=be, inputs=args, node=None,
                             run=lambda: fn(*args))
    return fn(*args)


def run(name: str, be: Any, *args: Any) -> Any:
    """Call backend primitive (or fused kernel) ``name`` of ``be`` on native arrays ``args``."""
    fn = getattr(be, name)
    if Dispatch.active:
        return call_kernel(name, be, fn, *args)
    return fn(*args)


class CoreDispatch:
    """xgrad's innermost ``xgrad_dispatch`` implementation: run the kernel."""

    @staticmethod
    @hookimpl(trylast=True)
    def xgrad_dispatch(op: str, phase: str, backend: Any, inputs: tuple, run: Callable) -> Any:
        return run()


def refresh(pm: Any) -> None:
    """Turn dispatch hooking on iff a plugin wraps ``xgrad_dispatch``."""
    wrappers = [i for i in pm.hook.xgrad_dispatch.get_hookimpls() if i.wrapper or i.hookwrapper]
    Dispatch.call = pm.hook.xgrad_dispatch if wrappers else None
    Dispatch.active = bool(wrappers)
